"""Numbers, counts and durations: digits of all systems and number words, with an optional unit."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ..textnorm import Normalized, norm_word
from .model import Slot
from .resources import lang_group, load, trie_pattern

# a number may stand between slashes ("/109/", a style of some agencies) but not inside a path or date
# digits, or digits written against a scale word ("£7million")
_RE_DIGITS = re.compile(r"(?<![A-Za-z0-9.,:])(?<![\w.]/)(?<![A-Za-z]-)(\d+(?:[.,]\d+)*)"
                        r"(?:(?=(?:million|billion|trillion|juta|bilion|miliar|milyar|trilion)(?![A-Za-z]))"
                        r"|(?![A-Za-z0-9]|[.,:/]\d))", re.IGNORECASE)
# day/month without a year ("Rabu (3/12)"): a date that cannot be placed, not a count
_RE_DAY_MONTH = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])")
# times of day: "9.15 pagi", "22.37 WIB", "pukul 6 pagi", "ساعت 11.30"
_RE_TIME_AFTER = re.compile(
    r"\s*(?:am|pm|a\.m\.|p\.m\.|wib|wita|wit|pagi|petang|siang|sore|malam|صباحا|صباحًا|مساء|مساءً|صبح|عصر|بامداد)(?!\w)")
_RE_TIME_BEFORE = re.compile(r"(?:pukul|jam|at|ساعت|الساعة|ساعة)\s*$")
_RE_CLOCK = re.compile(r"\d{1,2}[.:]\d{2}")
_CLOSERS = ")]/»”\""
_RE_WORD = re.compile(r"[^\W\d_]+")
# two numbers written against each other: a score ("4-1", "3&1", "3 مقابل 2", "۳ به ۱") or a range's ends
_RE_AGAINST = re.compile(r"\s*(?:[-–—&]|مقابل|به|lawan|to|vs\.?)\s*", re.I)
PAIRED = "paired"  # the role of such numbers: no count, so never the parts of a total


@dataclass(frozen=True)
class _NumTables:
    units: dict[str, int]
    teen: dict[str, int]
    teen_first: dict[str, int]  # words that are a unit only before a teen word (Arabic ordinals)
    mult: dict[str, int]
    scales: dict[str, int]
    needs_unit: frozenset[str]
    vague: frozenset[str]
    re_vague_suffix: re.Pattern[str] | None
    joiners: frozenset[str]
    duals: dict[str, tuple[int, str]]
    unit_of: dict[str, str]  # normalised unit word -> canonical unit
    re_unit: re.Pattern[str]
    re_prefix: re.Pattern[str]
    re_blocker: re.Pattern[str]
    re_scale: re.Pattern[str]


@lru_cache(maxsize=32)
def tables(langs: tuple[str, ...]) -> _NumTables:
    words = load("number_words.json")
    units_data = load("units.json")
    units: dict[str, int] = {}
    teen: dict[str, int] = {}
    teen_first: dict[str, int] = {}
    mult: dict[str, int] = {}
    scales: dict[str, int] = {}
    needs: set[str] = set()
    vague: set[str] = set()
    suffixes: set[str] = set()
    joiners: set[str] = set()
    duals: dict[str, tuple[int, str]] = {}
    for lang in langs:
        w = words.get(lang)
        if not w:
            continue
        for src, dst in ((w["units"], units), (w["teen"], teen), (w["multipliers"], mult), (w["scales"], scales),
                         (w.get("teen_first", {}), teen_first)):
            for k, v in src.items():
                dst.setdefault(norm_word(k), int(v))
        needs.update(norm_word(x) for x in w.get("needs_unit", []))
        vague.update(norm_word(x) for x in w.get("vague", []))
        suffixes.update(norm_word(x) for x in w.get("vague_suffixes", []))
        joiners.update(norm_word(x) for x in w.get("joiners", []))
        for k, (n, u) in w.get("duals", {}).items():
            duals[norm_word(k)] = (int(n), u)
    unit_of = {norm_word(v): u for u, vs in units_data["after"].items() for v in vs}
    prefix_of = {norm_word(v): u for u, vs in units_data["prefix"].items() for v in vs}
    unit_of.update({k: v for k, v in prefix_of.items() if k.isalpha()})
    up = trie_pattern(list(unit_of))
    # "60 cm", "a two-foot brim"
    re_unit = re.compile(rf"(?:\s*|-)(?:(?:من|of|dari)\s+)?(?:[^\W\d_]{{2,}}\s+)??(?:ال)?({up})(?![\w])")
    re_prefix = re.compile(rf"(?<![\w])({trie_pattern(list(prefix_of))})\s*$")
    blockers = [k for k, u in unit_of.items() if u in set(units_data["date_blockers"])]
    re_blocker = re.compile(rf"\s*(?:ال)?({trie_pattern(blockers)})(?![\w])")
    re_scale = re.compile(rf"\s*({trie_pattern(list(scales))})(?![\w])")
    re_suffix = re.compile(rf"\s?{trie_pattern(list(suffixes))}(?!\w)") if suffixes else None
    return _NumTables(units, teen, teen_first, mult, scales, frozenset(needs), frozenset(vague), re_suffix, frozenset(joiners),
                      duals, unit_of, re_unit, re_prefix, re_blocker, re_scale)


def blocker_pattern(lang: str) -> re.Pattern[str]:
    """Units after which a 4-digit number is a count rather than a year."""
    return tables(lang_group(lang)).re_blocker


MAX_DIGITS = 30  # longer digit runs are identifiers or noise, not quantities


def _fmt(x: float) -> str:
    if x == int(x):
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _parse_digits(s: str, lang: str) -> float | None:
    seps = [c for c in s if c in ".,"]
    if not seps:
        return float(s)
    groups = re.split(r"[.,]", s)
    thousands_sep = "." if lang == "id" else ","
    if all(c == thousands_sep for c in seps) and all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3:
        return float("".join(groups))
    if len(seps) == 1:
        return float(s.replace(",", "."))
    # grouped with a decimal part: "1,234.5" / "1.234,5"
    dec = seps[-1]
    if all(c != dec for c in seps[:-1]):
        return float(s.replace(seps[0], "").replace(dec, "."))
    return None


def _words_value(seq: list[str], tb: _NumTables) -> int | None:
    total = 0
    current = 0
    pending: int | None = None
    for w in seq:
        if pending is not None and pending < 10 and w in tb.teen:
            current += pending + tb.teen[w]
            pending = None
        elif w in tb.units:
            if pending is not None:
                current += pending
            pending = tb.units[w]
        elif w in tb.mult:
            current += (pending if pending is not None else 1) * tb.mult[w]
            pending = None
        elif w in tb.scales:
            current += pending or 0
            pending = None
            total += (current or 1) * tb.scales[w]
            current = 0
        else:
            return None
    return total + current + (pending or 0)


def _strip_joiner(w: str, tb: _NumTables) -> str:
    if w not in tb.units and w not in tb.scales and w.startswith("و") and len(w) > 2:
        rest = w[1:]
        if rest in tb.units or rest in tb.scales or rest in tb.teen:
            return rest
    return w


def extract_numbers(nt: Normalized, lang: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, float, str | None]]:
    """(start, end, value, unit) in normalised offsets, skipping spans already taken (dates)."""
    tb = tables(lang_group(lang))
    durations = frozenset(load("units.json")["durations"])
    t = nt.text
    out: list[tuple[int, int, float, str | None]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def unit_after(e: int) -> tuple[str | None, int]:
        if t[e:e + 1] in _CLOSERS and t[e:e + 1]:  # "(71) عامًا", "/230/ نفر"
            unit, ue = unit_after(e + 1)
            # "Rahman (87) yang meninggal": after a parenthesis only an age's unit belongs to the number
            if unit is not None and (t[e] != ")" or unit in durations):
                return unit, ue
        mu = tb.re_unit.match(t, e)
        if mu:
            return tb.unit_of.get(" ".join(mu[1].split())), mu.end()
        return None, e

    taken = [*taken, *(m.span() for m in _RE_DAY_MONTH.finditer(t))]
    for mt in _RE_DIGITS.finditer(t):
        s, e = mt.span(1)
        if not free(s, e):
            continue
        if _RE_TIME_AFTER.match(t, e) or (_RE_CLOCK.fullmatch(mt[1]) and _RE_TIME_BEFORE.search(t, max(0, s - 12), s)):
            continue
        val = _parse_digits(mt[1], lang) if len(mt[1]) <= MAX_DIGITS else None
        if val is None:
            continue
        ms = tb.re_scale.match(t, e)
        if ms:
            val *= tb.scales[" ".join(ms[1].split())]
            e = ms.end()
        if not math.isfinite(val):
            continue
        unit, ue = unit_after(e)
        mp = tb.re_prefix.search(t, max(0, s - 8), s)
        if unit is None and mp:
            unit = tb.unit_of.get(mp[1], "usd")
            s = mp.start()
        end = ue if unit else e
        out.append((s, end, val, unit))
        taken = [*taken, (s, end)]

    # number words
    toks = [(m.start(), m.end(), _strip_joiner(m.group(), tb)) for m in _RE_WORD.finditer(t)]
    i = 0
    while i < len(toks):
        s, e, w = toks[i]
        if w in tb.duals and free(s, e):
            n, u = tb.duals[w]
            out.append((s, e, float(n), u))
            i += 1
            continue
        if w in tb.teen_first and i + 1 < len(toks) and toks[i + 1][2] in tb.teen and free(s, toks[i + 1][1]) \
                and t[e:toks[i + 1][0]].strip() == "":
            unit, ue = unit_after(toks[i + 1][1])
            out.append((s, ue if unit else toks[i + 1][1], float(tb.teen_first[w] + tb.teen[toks[i + 1][2]]), unit))
            i += 2
            continue
        if w not in tb.units and w not in tb.scales and w not in tb.mult:
            i += 1
            continue
        j = i
        seq = [w]
        while j + 1 < len(toks):
            gap = t[toks[j][1]:toks[j + 1][0]]
            nw = toks[j + 1][2]
            if gap.strip(" -") == "" and nw in tb.joiners and j + 2 < len(toks):
                # "twenty and five" / Persian "بیست و پنج"
                nn = toks[j + 2][2]
                if t[toks[j + 1][1]:toks[j + 2][0]].strip() == "" and (nn in tb.units or nn in tb.scales):
                    j += 2
                    seq.append(nn)
                    continue
                break
            if gap.strip(" -") != "" or len(gap) > 3:
                break
            if nw in tb.units or nw in tb.scales or nw in tb.mult or (nw in tb.teen and seq[-1] not in tb.teen):
                j += 1
                seq.append(nw)
                continue
            break
        end = toks[j][1]
        value = _words_value(seq, tb)
        vague = len(seq) == 1 and (seq[0] in tb.vague or bool(tb.re_vague_suffix and tb.re_vague_suffix.match(t, end)))
        if value is not None and free(s, end) and not vague:
            unit, ue = unit_after(end)
            if unit is not None or not (len(seq) == 1 and seq[0] in tb.needs_unit):
                out.append((s, ue if unit else end, float(value), unit))
        i = j + 1
    out.sort(key=lambda x: (x[0], x[1]))
    return out


def _paired(found: list[tuple[int, int, float, str | None]], t: str) -> set[int]:
    """Positions in ``found`` of plain numbers written against a neighbour ("4-1", "3 مقابل 2")."""
    out: set[int] = set()
    for n in range(len(found) - 1):
        (_, e, _, unit), (s2, _, _, unit2) = found[n], found[n + 1]
        if unit is None and _RE_AGAINST.fullmatch(t, e, s2):
            out.add(n)
            if unit2 is None:
                out.add(n + 1)
    return out


# the ends of a range ("3 to 5 inches", "۷۵ تا ۱۲۵ میلیمتر", "5 hingga 8 inci")
_RE_RANGE = re.compile(r"\s*(?:[-–—]|to|تا|الى|الي|hingga|sampai)\s*", re.I)


def _range_units(found: list[tuple[int, int, float, str | None]], t: str) -> list[tuple[int, int, float, str | None]]:
    """The first end of a range written without its unit takes the unit of the second end."""
    out = list(found)
    for n in range(len(out) - 1):
        (s, e, value, unit), (s2, _, value2, unit2) = out[n], out[n + 1]
        if unit is None and unit2 is not None and value < value2 and _RE_RANGE.fullmatch(t, e, s2):
            out[n] = (s, e, value, unit2)
    return out


def to_slots(found: list[tuple[int, int, float, str | None]], nt: Normalized, text: str) -> list[Slot]:
    slots = []
    found = _range_units(found, nt.text)
    paired = _paired(found, nt.text)
    for n, (s, e, val, unit) in enumerate(found):
        os_, oe = nt.span(s, e)
        v = _fmt(val)
        value = f"{v} {unit}" if unit else v
        slots.append(Slot("number", value, text[os_:oe], os_, oe, None, False, unit, value,
                          role=PAIRED if n in paired else None))
    return slots
