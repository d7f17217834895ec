"""Comparison of fact slots between two aligned claims."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from functools import lru_cache

from rapidfuzz import fuzz

from ..textnorm import place_key
from .model import Slot, SlotConflict
from .numbers import PAIRED
from .places import NAME_PARTICLES, PlaceKeys, also_named, other_names, same_place
from .resources import load
from .roles import PARTS_MAX, roles_compatible

_KIND_ORDER = ("date", "number", "place")


def _parse_point(s: str) -> tuple[dt.date, dt.date]:
    parts = [int(p) for p in s.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        y, m = parts
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        return dt.date(y, m, 1), nxt - dt.timedelta(days=1)
    d = dt.date(*parts)
    return d, d


def date_interval(value: str) -> tuple[dt.date, dt.date, bool] | None:
    """(lo, hi, approximate) for a normalised date value; None when unresolved/unknown."""
    approx = value.startswith("~")
    v = value.lstrip("~")
    try:
        if "/" in v:
            a, b = v.split("/", 1)
            return _parse_point(a)[0], _parse_point(b)[1], approx
        lo, hi = _parse_point(v)
        return lo, hi, approx
    except (ValueError, TypeError):
        return None


def _dates_compatible(a: Slot, b: Slot) -> bool:
    ia, ib = date_interval(a.value), date_interval(b.value)
    if ia is None or ib is None:
        return True
    (alo, ahi, aap), (blo, bhi, bap) = ia, ib
    if aap or bap:
        return alo <= bhi and blo <= ahi
    return (alo <= blo and bhi <= ahi) or (blo <= alo and ahi <= bhi)


@lru_cache(maxsize=1)
def _unit_rules() -> tuple[frozenset[str], dict[str, tuple[str, float]]]:
    data = load("units.json")
    return frozenset(data["durations"]), {u: (to, float(f)) for u, (to, f) in data["conversions"].items()}


def _base(slot: Slot) -> tuple[float, str | None, bool]:
    """Value in its comparison unit ("50 miles" -> 80.47 km) and whether it was converted."""
    return _converted(slot.value, slot.unit)


@lru_cache(maxsize=65536)  # a value is compared pair after pair
def _converted(value: str, unit: str | None) -> tuple[float, str | None, bool]:
    to, factor = _unit_rules()[1].get(unit or "", (unit, 1.0))
    return float(value.split()[0]) * factor, to, factor != 1.0


def base_unit(unit: str | None) -> str | None:
    """The unit values are compared in ("mile" -> "km", "killed" -> "person")."""
    return _unit_rules()[1].get(unit or "", (unit, 1.0))[0]


def _num(slot: Slot) -> float:
    return _base(slot)[0]


def _units_compatible(a: Slot, b: Slot) -> bool:
    """A count and a duration ("33" / "2 days") are never the same fact, nor a number and a time of day;
    otherwise a missing unit fits."""
    durations = _unit_rules()[0]
    ua, ub = _base(a)[1], _base(b)[1]
    if (ua in durations or ub in durations or _is_clock(ua) or _is_clock(ub)) and ua != ub:
        return False
    return ua is None or ub is None or ua == ub


def _is_clock(unit: str | None) -> bool:
    return bool(unit) and unit.startswith("clock")  # type: ignore[union-attr]


def _numbers_compatible(a: Slot, b: Slot) -> bool:
    (x, _, ca), (y, _, cb) = _base(a), _base(b)
    # a converted value is rounded by the writer ("50 miles" / "80 km"): 2% tolerance
    tolerance = 0.02 * max(abs(x), abs(y)) if (ca or cb) else 1e-9
    return _units_compatible(a, b) and abs(x - y) <= tolerance




def _parts_of_totals(ua: list[Slot], sb: list[Slot]) -> tuple[list[Slot], set[int]]:
    """Unmatched values of one side that parts on the other side add up to, removed; and those parts."""
    durations = _unit_rules()[0]
    parts = [y for y in sb if _base(y)[1] not in durations and y.unit != "percent" and y.role != PAIRED]
    used: set[int] = set()
    left = []
    for x in ua:
        if _base(x)[1] in durations or x.unit == "percent" or x.role == PAIRED:
            left.append(x)
            continue
        # parts count what the total counts: 6 dead and 1 injured are no parts of 7 dead
        fitting = [y for y in parts if roles_compatible(x, y)]
        found = next((combo for n in range(2, PARTS_MAX + 1) for combo in itertools.combinations(fitting, n)
                      if abs(sum(_num(y) for y in combo) - _num(x)) < 1e-9), None)
        if found is None:
            left.append(x)
        else:
            used.update(id(y) for y in found)
    return left, used


def _unpaired(sa: list[Slot], sb: list[Slot]) -> tuple[list[Slot], list[Slot]]:
    """The values of each side left once each is paired with at most one compatible value on the other:
    those compatible with nothing at all, then the surplus of a value written more often on one side ("2-1" /
    "2-2"); a value that may pair with several is paired last."""
    ua = [x for x in sa if not any(_compatible(x, y) for y in sb)]
    ub = [y for y in sb if not any(_compatible(x, y) for x in sa)]
    rest_a = [x for x in sa if not any(x is u for u in ua)]
    free_b = [y for y in sb if not any(y is u for u in ub)]
    left_a = []
    for x in sorted(rest_a, key=lambda x: sum(_compatible(x, y) for y in free_b)):
        y = next((y for y in free_b if _compatible(x, y)), None)
        if y is None:
            left_a.append(x)
        else:
            free_b.remove(y)
    # a surplus counts where the other side has a number in digits left too (a number word may be part of a
    # name: "fourball")
    digits_a, digits_b = (any(_in_digits(x) for x in side) for side in (ua + left_a, ub + free_b))
    return ua + (left_a if digits_b else []), ub + (free_b if digits_a else [])


def _in_digits(slot: Slot) -> bool:
    return any(c.isdigit() for c in slot.text)


def _places_compatible(a: Slot, b: Slot) -> bool:
    return same_place(a.value, b.value) or also_named(a.value, b.value)


def _compatible(a: Slot, b: Slot) -> bool:
    if a.kind == "date":
        return _dates_compatible(a, b)
    if a.kind == "number":
        return _numbers_compatible(a, b)
    return _places_compatible(a, b)


def _date_severity(a: Slot, b: Slot) -> float:
    ia, ib = date_interval(a.value), date_interval(b.value)
    if ia is None or ib is None:
        return 0.3
    gap = max((ib[0] - ia[1]).days, (ia[0] - ib[1]).days, 0)
    if ia[0].year != ib[0].year or ia[1].year != ib[1].year:
        sev = 0.8 + 0.2 * min(1.0, gap / 730)
    elif ia[0].month != ib[0].month or ia[1].month != ib[1].month:
        sev = 0.55 + 0.15 * min(1.0, gap / 180)
    else:
        sev = 0.4
    return sev * (0.75 if (ia[2] or ib[2]) else 1.0)


def _number_severity(a: Slot, b: Slot) -> float:
    x, y = _num(a), _num(b)
    rel = abs(x - y) / max(abs(x), abs(y), 1e-9)
    return 0.5 + 0.45 * min(1.0, rel)


def _severity(a: Slot, b: Slot) -> float:
    if a.kind == "date":
        return _date_severity(a, b)
    if a.kind == "number":
        return _number_severity(a, b)
    return 0.6 if (a.unit == "country" or b.unit == "country") else 0.5


def _place_category(s: Slot) -> str:
    return s.unit or "city"  # a name found after a preposition is most often a town


def _comparable(a: Slot, b: Slot, single_countries: bool = False) -> bool:
    """Whether two mutually unmatched values describe the same kind of fact.

    Places only within one category (base vs base, city vs city ...); countries only when each claim
    names exactly one that the other does not name (`single_countries`), since aligned claims often list
    different countries.
    """
    if a.kind == "date":
        return not (a.relative or b.relative)
    if a.kind == "place":
        ca, cb = _place_category(a), _place_category(b)
        return ca == cb and (ca != "country" or single_countries)
    return _units_compatible(a, b) and roles_compatible(a, b)


def _single_country(slots: list[Slot]) -> bool:
    return len({s.value for s in slots if s.unit == "country"}) == 1


def _dedupe(slots: list[Slot]) -> list[Slot]:
    seen: set[str] = set()
    out = []
    for s in slots:
        if s.value not in seen:
            seen.add(s.value)
            out.append(s)
    return out


_WORD = re.compile(r"\w+")
MAX_NAME_WORDS = 3
ABSENT_PLACE_SCORE = 0.45


def _named_in(slot: Slot, spelled: PlaceKeys) -> bool:
    """Whether a text (``spelled``: its ``_version_keys`` or ``_claim_keys``) spells the place of `slot` in
    any script, found or not by extraction (a transliteration such as "ملبورن" for "Melbourne" matches by
    consonant skeleton). A name of several words also counts when one of its longer words is there
    ("Kuala Terengganu" / "Terengganu"). So does another name of the city, written as such ("البندقية" for "Venice")."""
    names = [slot.value] + ([w for w in slot.value.split() if len(w) >= 4] if " " in slot.value else [])
    return any(spelled.match(name) for name in names) or not other_names(slot.value).isdisjoint(spelled.keys)


def _ngram_keys(text: str, known: PlaceKeys | None = None) -> PlaceKeys:
    """Place keys of every run of 1 to MAX_NAME_WORDS words of a text (``known``: keys indexed before, whose
    skeletons are reused)."""
    # place_key works word by word: the key of a run is its words' keys joined (the empty ones left out)
    # a Latin word in lower case names no place ("rise" does not spell Russia), unless a particle of a name
    # ("al-Khaimah"): it breaks the runs
    words = [_NO_NAME if w.isascii() and w.islower() and w not in _PARTICLES else _word_key(w)
             for w in _WORD.findall(text)]
    runs, keys = words, list(words)
    for n in range(2, MAX_NAME_WORDS + 1):  # runs of n words: those of n - 1 words and the next word
        runs = [f"{run} {word}" if run and word else run or word
                for run, word in zip(runs[:-1], words[n - 1:], strict=True)]
        keys += runs
    return PlaceKeys(keys, known.skeleton_of if known else None)


_NO_NAME = "\0"
_PARTICLES = frozenset(NAME_PARTICLES)
_word_key = lru_cache(maxsize=65536)(place_key)  # the words of a story recur claim after claim


@lru_cache(maxsize=16)
def _version_keys(text: str) -> PlaceKeys:
    """``_ngram_keys`` of a whole version: few of them, each asked about pair after pair."""
    return _ngram_keys(text)


@lru_cache(maxsize=256)
def _claim_keys(text: str, version: str | None = None) -> PlaceKeys:
    """``_ngram_keys`` of a claim: a claim is in a few neighbouring pairs, and many claims' keys would
    take hundreds of MB (tens of kB each). Those of its ``version``, indexed once, lend it their skeletons."""
    return _ngram_keys(text, _version_keys(version) if version else None)


def forget_versions() -> None:
    """Drop the keys indexed for whole versions and their claims (tens of MB for a long story), once a
    story's claims are compared."""
    _version_keys.cache_clear()
    _claim_keys.cache_clear()


def _absent_places(found: list[Slot], other: list[Slot], other_text: str, other_version: str | None) -> list[Slot]:
    """Named places (not countries, nor words that are first a word of the language) of one claim that the
    other claim names nowhere, in no script,
    and that the other version as a whole (when given) does not name either. The other claim is part of
    its version, so a place the version does not name is not in the claim: the version is asked alone
    (its keys are indexed once for all its claims, a claim's would be for each claim)."""
    return [x for x in found if x.kind == "place" and x.unit not in (None, "country") and not x.homograph
            and not any(y.kind == "place" and _compatible(x, y) for y in other)
            and not _named_in(x, _version_keys(other_version) if other_version else _claim_keys(other_text))]


def _shown(slots: list[Slot]) -> list[str]:
    """Values for people: a place as the document spells it, other kinds as normalised."""
    out: list[str] = []
    seen: set[str] = set()
    for s in slots:
        if s.value not in seen:
            seen.add(s.value)
            out.append(_spelling(s) if s.kind == "place" and s.text.strip() else s.value)
    return out


def _spelling(place: Slot) -> str:
    """The place as written, without a clitic conjunction or preposition ("وواشنطن" -> "واشنطن")."""
    text = " ".join(place.text.split())
    for clitic in ("و", "ب", "ل", "ف"):
        rest = text[len(clitic):]
        # unless the name itself starts with that letter ("واشنطن")
        if text.startswith(clitic) and len(rest) >= 3 and same_place(place_key(rest), place.value) and (
                fuzz.ratio(place_key(rest), place.value) > fuzz.ratio(place_key(text), place.value)):
            return rest
    return text


# what agencies measure (each its own reading, often published side by side); counts are not measurements
MEASUREMENTS = frozenset({"magnitude", "depth", "distance", "coordinate"})
_ACRONYM = re.compile(r"(?<![\w])[A-Z]{3,5}(?![\w])")
_NOT_SOURCES = frozenset({"WIB", "WITA", "WIT", "GMT", "UTC"})


def _other_sources(text_a: str | None, text_b: str | None) -> bool:
    """Both claims attribute what they say to named sources (agencies written as acronyms: "the NWS
    said", "menurut ABC"), and not to the same one: their measurements are those sources' readings."""
    if not text_a or not text_b:
        return False
    a = set(_ACRONYM.findall(text_a)) - _NOT_SOURCES
    b = set(_ACRONYM.findall(text_b)) - _NOT_SOURCES
    return bool(a) and bool(b) and not a & b


def _reference_points(slots: list[Slot]) -> set[str]:
    """Places a claim measures a distance from ("168 km south of Ternate"): reference points, not places
    where something happened."""
    return {name for s in slots if s.kind == "number" for name in s.near}


def _stamp(slot: Slot) -> bool:
    return slot.kind == "date" and slot.role == "as_of"


def _tallied_at_other_times(a: list[Slot], b: list[Slot]) -> bool:
    """Both claims give their figures as of a stated time, and not the same one ("as of 16.00" / "until
    15.15"): figures of a tally taken at different times do not contradict each other."""
    times_a = {s.value for s in a if s.role == "as_of"}
    times_b = {s.value for s in b if s.role == "as_of"}
    return bool(times_a) and bool(times_b) and not times_a & times_b


def compare_slots(a: list[Slot], b: list[Slot], text_a: str | None = None, text_b: str | None = None,
                  version_a: str | None = None, version_b: str | None = None) -> list[SlotConflict]:
    """Conflicts per kind: values on both sides that have no compatible counterpart on the other.

    With the claim texts, a place that extraction missed on one side but that side spells anyway
    counts as matched, and a named place (base, city, province, airport) that the other claim does
    not name at all is a conflict of its own (a route "A–B" against "A–X"),
    unless the other version (`version_a` / `version_b`, the whole text that holds the claim) names it
    elsewhere.
    """
    conflicts: list[SlotConflict] = []
    for kind in _KIND_ORDER:
        # an unresolved relative date ("today" without a dateline) neither conflicts nor matches, nor does
        # the date a tally was taken
        sa = sorted((s for s in a if s.kind == kind and not s.relative and not _stamp(s)), key=lambda s: (s.start, s.end))
        sb = sorted((s for s in b if s.kind == kind and not s.relative and not _stamp(s)), key=lambda s: (s.start, s.end))
        if kind == "place":  # the towns distances are measured from are compared with the distances
            sa = [x for x in sa if x.value not in _reference_points(a)]
            sb = [y for y in sb if y.value not in _reference_points(b)]
        if kind == "place" and text_a is not None and text_b is not None:
            absent_a = _absent_places(sa, sb, text_b, version_b)
            absent_b = _absent_places(sb, sa, text_a, version_a)
            if absent_a or absent_b:
                conflicts.append(SlotConflict(
                    kind, [x.value for x in _dedupe(absent_a)], [y.value for y in _dedupe(absent_b)],
                    [(x.start, x.end) for x in absent_a], [(y.start, y.end) for y in absent_b],
                    ABSENT_PLACE_SCORE, shown_a=_shown(absent_a), shown_b=_shown(absent_b)))
                continue
        if not sa or not sb:
            continue
        if kind == "number" and _tallied_at_other_times(sa, sb):
            continue
        if kind == "number" and _other_sources(text_a, text_b):
            sa = [x for x in sa if x.role not in MEASUREMENTS]
            sb = [y for y in sb if y.role not in MEASUREMENTS]
        if kind == "number":  # each number pairs with one number only ("19 of 29" / "29 of 29")
            ua, ub = _unpaired(sa, sb)
        else:
            ua = [x for x in sa if not any(_compatible(x, y) for y in sb)]
            ub = [y for y in sb if not any(_compatible(x, y) for x in sa)]
        if kind == "number":  # a total on one side, its parts on the other ("17 hostages" / "11 and 6")
            ua, used_b = _parts_of_totals(ua, sb)
            ub, used_a = _parts_of_totals(ub, sa)
            ua = [x for x in ua if id(x) not in used_a]
            ub = [y for y in ub if id(y) not in used_b]
        if kind == "place" and text_a is not None and text_b is not None:
            ua = [x for x in ua if not _named_in(x, _claim_keys(text_b, version_b))]
            ub = [y for y in ub if not _named_in(y, _claim_keys(text_a, version_a))]
        # countries are compared when, once those both claims name are set aside, one is left on each side
        single = kind == "place" and _single_country(ua) and _single_country(ub)
        pairs = [(x, y) for x in ua for y in ub if _comparable(x, y, single)]
        if not pairs:
            continue
        xa = [x for x in ua if any(p[0] is x for p in pairs)]
        xb = [y for y in ub if any(p[1] is y for p in pairs)]
        # severity: the closest counterpart of each unmatched value, worst of those
        score = max(min(_severity(x, y) for y in xb if _comparable(x, y, single)) for x in xa)
        da, db = _dedupe(xa), _dedupe(xb)
        conflicts.append(SlotConflict(
            kind,
            [x.value for x in da], [y.value for y in db],
            [(x.start, x.end) for x in xa], [(y.start, y.end) for y in xb],
            round(min(1.0, max(0.0, score)), 3),
            needs_support=kind == "place" and all(x.unit == "country" for x in xa + xb),
            shown_a=_shown(xa), shown_b=_shown(xb),
        ))
    return conflicts
