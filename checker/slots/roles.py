"""What a number counts or measures, read from the words around it: "killing 3 people" (killed), "35 km
deep" (depth), "120 km south-west of X" (a distance from X), "as of 18.00" (the time a tally was taken).

A careful reader never compares counts of different things (the dead with the injured or the displaced),
a depth with a distance, distances from different places, or the time a tally was taken with the time of
the event; :func:`roles_compatible` says so for two number slots. Cue words are data
(``checker/data/slots/roles.json``, all languages). The words between two numbers are shared between
them (at a conjunction, else halfway); of the cues a number reads, the nearest wins, one after it on a tie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..textnorm import ARABIC_LETTERS, Normalized, key_of, norm_word, place_key
from .model import Slot
from .places import same_place
from .resources import common_words, load, trie_pattern

WORDS_BEFORE = 6  # cue words read before a number (back to its share of the words since the last one)
WORDS_AFTER = 5  # ... and after it (up to a conjunction, a comma or its share of the words to the next)

LENGTH_UNITS = frozenset({"km", "mile"})
COUNT_UNITS = frozenset({"person", "soldier", "family", "child", "woman"})
UNIT_ROLES = {"killed": "killed", "wounded": "injured"}  # units that say what they count
# a count of people (or a plain number) that the claim says were killed or injured is a toll of them
TOLL_UNITS = {role: unit for unit, role in UNIT_ROLES.items()}
LENGTH_ROLES = frozenset({"depth", "distance"})
PLAIN_ROLES = frozenset({"magnitude", "coordinate", "time"})  # numbers without a unit only
CLOCK_ROLES = frozenset({"as_of"})
# a tally's time is no fact of the event to compare; the parts of a time ("minute 75", "9 and 44 minutes")
# are compared only with parts of a time
UNCOMPARED = frozenset({"as_of"})
TIME_PARTS = "time"

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_SENTENCE_END = re.compile(r"[.;!?\n](?:\s|$)|[؟:]")
_AFTER_STOP = re.compile(r"[.,;:!?()\[\]\n؟]")
_VALUE = re.compile(r"\d(?:[\d.,]*\d)?|[^\W_]+")  # the number itself, before its unit
_NAME_LIKE = re.compile(rf"\b[A-Z][^\W\d_]+|[{ARABIC_LETTERS}]{{3,}}")
_AGE = re.compile(r"[^\W\d_]\s*\(\s*$")  # "Suryani (52)": a number alone in parentheses after a name
_SAME_VALUE = re.compile(r"\s*\(\s*")  # "40 kilometers (25 miles)": one value in two units
_TIMESTAMP_GAP = re.compile(r"[\s,(]*(?:[^\W\d_]+\s+)?")  # "Selasa (9/4) pukul 08.00", "16.30 Rabu (3/12)"


@dataclass(frozen=True)
class _Cues:
    around: dict[str, re.Pattern[str]]
    before: dict[str, re.Pattern[str]]
    conjunctions: frozenset[str]

    @property
    def count_roles(self) -> frozenset[str]:
        """Roles of counts (the others are measurements, or no facts to compare)."""
        return frozenset(self.around) - LENGTH_ROLES - PLAIN_ROLES

    def starts_item(self, word: str) -> bool:
        """A conjunction, or a word with the clitic "و" whose rest is a cue ("وأصيب"): a new list item."""
        return word in self.conjunctions or (
            word.startswith("و") and len(word) > 3 and any(rx.fullmatch(word[1:]) for rx in self.around.values()))


def _pattern(words: list[str]) -> re.Pattern[str]:
    # Arabic-script cues may carry a clitic ("وأصيب", "بقوة", "الجنوب")
    body = trie_pattern([norm_word(w) for w in words])
    return re.compile(rf"(?<!\w)(?:و|ب|ال|وال|بال)?{body}(?![\w-])")


@lru_cache(maxsize=1)
def _cues() -> _Cues:
    data = load("roles.json")
    return _Cues({role: _pattern(ws) for role, ws in data["around"].items()},
                 {role: _pattern(ws) for role, ws in data["before"].items()},
                 frozenset(norm_word(w) for w in data["conjunctions"]))


def _allowed(slot: Slot, cues: _Cues) -> frozenset[str] | None:
    """The roles open to a number of this unit; None when its unit says it all."""
    unit = slot.unit or ""
    if unit in UNIT_ROLES:
        return None
    if unit.startswith("clock"):
        return CLOCK_ROLES
    if unit in LENGTH_UNITS:
        return LENGTH_ROLES
    if unit in COUNT_UNITS:
        return cues.count_roles
    return cues.count_roles | PLAIN_ROLES if not unit else frozenset()


def _nearest(text: str, start: int, end: int, patterns: dict[str, re.Pattern[str]], allowed: frozenset[str],
             last: bool) -> tuple[int, str] | None:
    """(words between, role) of the cue nearest to the edge of text[start:end] (its end when ``last``)."""
    best: tuple[int, str] | None = None
    window = text[start:end]
    for role, rx in patterns.items():
        if role not in allowed:
            continue
        found = list(rx.finditer(window))
        if not found:
            continue
        m = found[-1] if last else found[0]
        words = len(_WORD.findall(window[m.end():] if last else window[:m.start()]))
        if best is None or words < best[0]:
            best = (words, role)
    return best


def _value_end(t: str, start: int, end: int) -> int:
    """End of the number itself, before its unit."""
    value = _VALUE.match(t, start, end)
    return value.end() if value else end


def _split(t: str, start: int, end: int, cues: _Cues) -> int:
    """Where the words of t[start:end] (between two numbers) part: at the last comma or sentence end ("7
    were injured, namely 3 ..."), else at the last conjunction ("210 injured and four dead"), else halfway
    (the earlier number takes the odd one out)."""
    stops = [m.end() for m in _AFTER_STOP.finditer(t, start, end) if m.group() not in "()[]"]
    if stops:
        return stops[-1]
    words = list(_WORD.finditer(t, start, end))
    items = [m.start() for m in words if cues.starts_item(m.group())]
    if items:
        return items[-1]
    half = (len(words) + 1) // 2
    return words[half].start() if half < len(words) else end


def _window_before(t: str, start: int, floor: int) -> int:
    """Start of the words read before ``start``: back to ``floor``, the last sentence end, or
    WORDS_BEFORE words."""
    lo = floor
    for m in _SENTENCE_END.finditer(t, floor, start):
        lo = m.end()
    words = list(_WORD.finditer(t, lo, start))
    return words[-WORDS_BEFORE].start() if len(words) > WORDS_BEFORE else lo


def _window_after(t: str, end: int, ceiling: int, cues: _Cues) -> int:
    """End of the words read after ``end``: up to ``ceiling``, a comma or sentence end, a new list item,
    or WORDS_AFTER words."""
    stop = _AFTER_STOP.search(t, end, ceiling)
    hi = stop.start() if stop else ceiling
    for count, m in enumerate(_WORD.finditer(t, end, hi)):
        if count >= WORDS_AFTER or cues.starts_item(m.group()):
            return m.start()
    return hi


def _role(slot: Slot, t: str, start: int, end: int, value_end: int, floor: int, ceiling: int,
          cues: _Cues) -> str | None:
    allowed = _allowed(slot, cues)
    if allowed is None:
        return UNIT_ROLES[slot.unit or ""]
    if not slot.unit and _AGE.search(t, max(0, start - 40), start) and re.match(r"\s*\)", t[value_end:]):
        return "age"
    lo = _window_before(t, start, floor)
    # read after the number and its unit; the unit's own words count as cues too ("46 korban jiwa")
    hi = _window_after(t, max(end, value_end), ceiling, cues)
    before = [x for x in (_nearest(t, lo, start, cues.around, allowed, last=True),
                          _nearest(t, lo, start, cues.before, allowed, last=True)) if x]
    after = _nearest(t, value_end, hi, cues.around, allowed, last=False)
    best_before = min(before) if before else None
    if after is not None and (best_before is None or after[0] <= best_before[0]):
        return after[1]
    return best_before[1] if best_before else None


def _measured_from(t: str, text: str, nt: Normalized, end: int, limit: int, places: list[tuple[int, Slot]],
                   cues: _Cues) -> tuple[str, ...]:
    """What a distance is measured from: the places and name-like words (capitalised Latin words,
    Arabic-script words that are neither cues nor everyday words) up to the next comma, and a name
    right after that comma ("40 km north of a town, province", "12 km barat daya sebuah kota")."""
    comma = t.find(",", end, limit)
    clause_end = limit if comma < 0 else comma
    after_comma = re.match(r",\s*", t[comma:limit]) if comma >= 0 else None
    names = [p.value for ps, p in places if end <= ps < clause_end]
    start, stop = nt.span(end, end)[0], nt.span(clause_end, clause_end)[0]
    common = common_words()
    names += [place_key(m.group()) for m in _NAME_LIKE.finditer(text, start, stop)
              if key_of(m.group()) not in common and not any(rx.fullmatch(norm_word(m.group())) for rx in cues.around.values())]
    if after_comma:
        at = comma + after_comma.end()
        place = next((p.value for ps, p in places if ps == at), None)
        word = _NAME_LIKE.match(text, nt.span(at, at)[0])
        if place:
            names.append(place)
        elif word and word.group()[0].isupper():
            names.append(place_key(word.group()))
    return tuple(dict.fromkeys(names))


def assign_roles(slots: list[Slot], nt: Normalized, spans: list[tuple[int, int]], text: str) -> list[Slot]:
    """``slots`` of ``text`` with the role of each number set (for a distance also what it is measured
    from; a count of the dead or injured takes their unit) and dates that stamp a tally marked as such.
    ``spans``: the span of each slot in the normalised text, in the same order."""
    cues = _cues()
    t = nt.text
    numbers = sorted((spans[i], i) for i, s in enumerate(slots) if s.kind == "number")
    places = [(spans[i][0], s) for i, s in enumerate(slots) if s.kind == "place"]
    value_ends = [_value_end(t, start, end) for (start, end), _ in numbers]
    splits = [_split(t, value_ends[n], numbers[n + 1][0][0], cues) for n in range(len(numbers) - 1)]
    out = list(slots)
    previous: Slot | None = None
    previous_end = 0
    for n, ((start, end), i) in enumerate(numbers):
        slot = slots[i]
        following = numbers[n + 1][0][0] if n + 1 < len(numbers) else len(t)
        role = _role(slot, t, start, end, value_ends[n], splits[n - 1] if n else 0,
                     splits[n] if n < len(splits) else len(t), cues)
        if role is None and previous is not None and _SAME_VALUE.fullmatch(t[previous_end:start]):
            role = previous.role
        if role is not None:
            near = ()
            if role == "distance":
                limit = min([following] + [m.start() for m in _SENTENCE_END.finditer(t, end, following)])
                near = _measured_from(t, text, nt, end, limit, places, cues)
            out[i] = _with_role(slot, role, near)
        previous, previous_end = out[i], end
    return _stamp_dates(_breakdowns(out, [i for _, i in numbers], cues), spans, t)


PARTS_MAX = 3  # "30 children and 3 women": a total is made up of at most three parts


def _breakdowns(slots: list[Slot], order: list[int], cues: _Cues) -> list[Slot]:
    """Numbers right after a total that add up to it ("4 injured, namely 1 in X and 3 in Y") break that
    total down: they count what it counts."""
    out = list(slots)
    for n, i in enumerate(order):
        total = out[i]
        if total.role not in cues.count_roles:
            continue
        parts = [j for j in order[n + 1:n + 1 + PARTS_MAX] if out[j].role is None and out[j].unit in (None, "person")]
        for k in range(len(parts), 1, -1):
            if abs(sum(float(out[j].value.split()[0]) for j in parts[:k]) - float(total.value.split()[0])) < 1e-9:
                for j in parts[:k]:
                    out[j] = _with_role(out[j], total.role)
                break
    return out


def _with_role(slot: Slot, role: str, near: tuple[str, ...] = ()) -> Slot:
    """``slot`` with its role; a count of people (or a plain number) that are dead or injured takes their
    unit ("3 person" -> "3 killed")."""
    slot = replace(slot, role=role, near=near)
    if role in TOLL_UNITS and slot.unit in (None, "person"):
        value = f"{slot.value.split()[0]} {TOLL_UNITS[role]}"
        slot = replace(slot, value=value, unit=TOLL_UNITS[role], display=value)
    return slot


def _stamp_dates(slots: list[Slot], spans: list[tuple[int, int]], t: str) -> list[Slot]:
    """A date written with the time a tally was taken ("hingga Selasa (9/4) pukul 08.00") is that
    tally's time stamp, not the date of the event."""
    stamps = [spans[i] for i, s in enumerate(slots) if s.role == "as_of"]
    out = list(slots)
    for i, slot in enumerate(slots):
        if slot.kind != "date":
            continue
        start, end = spans[i]
        if any((s >= end and _TIMESTAMP_GAP.fullmatch(t[end:s])) or (e <= start and _TIMESTAMP_GAP.fullmatch(t[e:start]))
               for s, e in stamps):
            out[i] = replace(slot, role="as_of")
    return out


def roles_compatible(a: Slot, b: Slot) -> bool:
    """Whether two numbers may state the same fact: the same role, or no role on one side; never the time
    a tally was taken, parts of a time only with parts of a time; distances only from a common place."""
    if a.role in UNCOMPARED or b.role in UNCOMPARED:
        return False
    if TIME_PARTS in (a.role, b.role):
        return a.role == b.role
    if a.role != b.role:
        return a.role is None or b.role is None
    if a.role == "distance" and a.near and b.near:
        return any(same_place(x, y) for x in a.near for y in b.near)
    return True
