"""The status of the event a claim reports: planned, begun or completed, read from cue words.

Outlets report one event at different stages: forces "will take over" a base in one version, its
evacuation "has been completed" in another; implementation "began" in a month in one, the first phase "is
completed by" that month in another. NLI models barely see tense and aspect, so the status is read from
cues (``checker/data/slots/status.json``): future auxiliaries and plans, verbs of starting and completing,
ongoing and perfect markers, the Arabic future prefix سـ. Precision first: a marker counts only with an
event word after it, a cue in a subordinate or relative clause ("after the evacuation was completed") or
beside a negation is not the claim's own status, and a claim whose cues disagree has none.

Two claims conflict only where they speak of one event: a shared named place or the same event date (the
date nearest each cue), and neither different dates nor different places on the two sides (different
sub-events of one story). Then planned against completed (a completion whose time is marked) conflicts,
and begun against completed (or a planned completion) when both date the event alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..negation import negations
from ..textnorm import Normalized, norm_word, normalize
from ..types import Discrepancy
from .compare import _claim_keys, _dates_compatible, _named_in
from .model import Slot, SlotConflict
from .places import same_place
from .resources import WB_L, WB_R, load, trie_pattern

PLANNED, BEGUN, COMPLETED = "planned", "begun", "completed"
START, END = "start", "end"
STATUS_SCORE = 0.25  # severity of a status conflict: below any date (0.3+) or number (0.5+) conflict
SUBORDINATE_WORDS = 4  # words before a cue searched for a subordinator of its clause
RELATIVE_WORDS = 2  # ... and for a relative pronoun (the cue is then in a relative clause)
EVENT_WORDS = 3  # words after a marker searched for its event word (skip words included)
NEGATION_WORDS = 2  # words before a cue (and one after its event word) searched for a negation

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\"«»“”\n]")
_CLITICS = ("و", "ف")  # Arabic-script conjunctions written onto the next word
# category -> (status, phase, time marked); "future", "ongoing" and "perfect" need an event word
_CATEGORIES: dict[str, tuple[str, str | None, bool]] = {
    "future": (PLANNED, None, True), "plan": (PLANNED, None, True),
    "planned_start": (PLANNED, START, True), "planned_end": (PLANNED, END, True),
    "start": (BEGUN, START, True), "ongoing": (BEGUN, START, True),
    "end": (COMPLETED, END, True), "end_nonpast": (COMPLETED, END, False), "perfect": (COMPLETED, END, True),
}
_NEEDS_EVENT = frozenset({"future", "ongoing", "perfect"})
_PHASE_CATEGORIES = frozenset({"start", "end", "end_nonpast", "planned_start", "planned_end"})


@dataclass(frozen=True)
class Status:
    """What a claim says of its event's stage, and the cues that say so."""

    value: str  # "planned" | "begun" | "completed"
    phase: str | None  # the stage its predicate names: "start", "end" ("will be completed"), or None
    definite: bool  # the time is marked (False for a non-past form such as Arabic تكتمل "is completed")
    explicit: bool  # a verb of starting or completing says it ("completed"), not a perfect alone ("has been")
    cues: tuple[str, ...]  # the cues as written, each with the event word it governs ("will take")
    spans: tuple[tuple[int, int], ...]  # their offsets in the claim text


@dataclass(frozen=True)
class _Hit:
    category: str
    start: int  # offsets in the normalised text
    end: int
    event_end: int  # end of the event word the cue governs (= end without one)
    phase: str | None
    explicit: bool  # the cue or its event word is a verb of starting or completing


@dataclass(frozen=True)
class _Table:
    cues: re.Pattern[str]
    category: dict[str, str]  # normalised cue -> category
    not_cues: re.Pattern[str] | None
    # subordinators ("after") and hypotheticals ("should have"), each as its words: a cue after one in its
    # clause is no status the claim states
    clause_markers: tuple[tuple[str, ...], ...]
    relatives: frozenset[str]
    function_words: frozenset[str]
    skip_words: frozenset[str]
    event_prefixes: tuple[str, ...]  # an event word must start with one (empty: any word)
    perfect_prefixes: tuple[str, ...]  # ... and after a perfect marker, with one of these
    future_prefix: str  # Arabic سـ ("" for none)
    non_verbs: frozenset[str]
    short_verbs: frozenset[str]
    end_nonpast: frozenset[str]
    clitics: bool


def _language_key(lang: str) -> str:
    return (lang or "").lower().split("-")[0].split("_")[0]


@lru_cache(maxsize=16)
def _table(lang: str) -> _Table | None:
    """The compiled cues of a language (``lang`` as _language_key gives it); None without cues."""
    data = load("status.json")
    entry = data.get(lang)
    if isinstance(entry, str):  # another language's table ("id" -> "ms")
        entry = data.get(entry)
    if not isinstance(entry, dict):
        return None
    category: dict[str, str] = {}
    for name in _CATEGORIES:
        for cue in entry.get(name, []):
            category.setdefault(norm_word(cue), name)
    clitics = lang in ("ar", "fa")
    lead = "(?:[" + "".join(_CLITICS) + "])?" if clitics else ""

    def words(name: str) -> frozenset[str]:
        return frozenset(norm_word(w) for w in entry.get(name, []))

    not_cues = [norm_word(w) for w in entry.get("not_cues", [])]
    return _Table(
        cues=re.compile(WB_L + lead + "(" + trie_pattern(list(category)) + ")" + WB_R),
        category=category,
        not_cues=re.compile(WB_L + lead + trie_pattern(not_cues) + WB_R) if not_cues else None,
        clause_markers=tuple(tuple(norm_word(s).split())
                             for name in ("subordinators", "hypotheticals") for s in entry.get(name, [])),
        relatives=words("relatives"),
        function_words=words("function_words"), skip_words=words("skip_words"),
        event_prefixes=tuple(entry.get("event_prefixes", [])),
        perfect_prefixes=tuple(entry.get("perfect_prefixes", [])),
        future_prefix=norm_word(entry.get("future_prefix", "")),
        non_verbs=words("non_verbs"), short_verbs=words("short_verbs"), end_nonpast=words("end_nonpast"),
        clitics=clitics,
    )


def _bare(word: str, table: _Table) -> str:
    """A word without a leading conjunction written onto it (Arabic script)."""
    if table.clitics and len(word) > 3 and word[0] in _CLITICS:
        return word[1:]
    return word


def _clause_words(text: str, start: int, end: int) -> list[re.Match[str]]:
    """The words of text[start:end] that are in the clause at `end` (after the last clause break)."""
    breaks = list(_CLAUSE_BREAK.finditer(text, start, end))
    return list(_WORD.finditer(text, breaks[-1].end() if breaks else start, end))


def _words_after(text: str, pos: int, n: int) -> list[re.Match[str]]:
    """Up to n words after pos in the same clause."""
    out: list[re.Match[str]] = []
    for word in _WORD.finditer(text, pos):
        if _CLAUSE_BREAK.search(text, pos, word.start()) or len(out) >= n:
            break
        out.append(word)
        pos = word.end()
    return out


def _phase_at(text: str, pos: int, table: _Table) -> str | None:
    """The phase a start or end cue written at pos names (None for any other word)."""
    found = table.cues.match(text, pos)
    name = table.category.get(norm_word(found.group(1))) if found else None
    return _CATEGORIES[name][1] if name in _PHASE_CATEGORIES else None


def _event_word(text: str, pos: int, table: _Table, prefixes: tuple[str, ...]) -> re.Match[str] | None:
    """The event word a marker ending at pos governs: the first word after it past the skip words, no
    function word nor number, and with one of `prefixes` unless it is a start or end cue itself."""
    for word in _words_after(text, pos, EVENT_WORDS):
        bare = _bare(word.group(), table)
        if bare in table.skip_words:
            continue
        if bare in table.function_words or word.group()[0].isdigit():
            return None
        if prefixes and not bare.startswith(prefixes) and _phase_at(text, word.start(), table) is None:
            return None
        return word
    return None


def _future_prefixed(word: str, table: _Table) -> bool:
    """An Arabic imperfect verb with the future prefix سـ (سيتسلم, ستشهد), not a noun that looks like one."""
    bare = _bare(word, table)
    prefix = table.future_prefix
    if not prefix or not bare.startswith(prefix) or "-" in bare or bare in table.non_verbs:
        return False
    if bare in table.short_verbs:
        return True
    stem = bare[len(prefix):]
    # the prefix of the third person or of "we", then a root letter; nouns end in ة (normalised ه), ات or
    # اء, and names of people and places often in اوي or يو
    return (len(stem) >= 4 and stem[0] in "يتن" and stem[1] not in "اوي"
            and not stem.endswith(("ه", "ات", "اء", "اوي", "يو")))


def _hits(t: str, table: _Table) -> list[_Hit]:
    masked = [(m.start(), m.end()) for m in table.not_cues.finditer(t)] if table.not_cues else []
    hits: list[_Hit] = []
    governed: set[int] = set()  # start of event words already read with their marker
    for found in table.cues.finditer(t):
        start, end = found.start(1), found.end(1)
        if start in governed or any(s < end and start < e for s, e in masked):
            continue
        name = table.category[norm_word(found.group(1))]
        phase = _CATEGORIES[name][1]
        explicit = name in _PHASE_CATEGORIES
        event_end = end
        if name in _NEEDS_EVENT or name == "plan":
            prefixes = table.perfect_prefixes if name == "perfect" else table.event_prefixes
            event = _event_word(t, end, table, prefixes)
            if event is None and name != "plan":
                continue
            if event is not None:
                event_phase = _phase_at(t, event.start(), table)
                if event_phase is not None:
                    governed.add(event.start())
                    phase, explicit = event_phase, True
                event_end = event.end()
            if name == "perfect" and phase == START:
                name = "start"  # "has begun", "telah dimulai"
        hits.append(_Hit(name, start, end, event_end, phase, explicit))
    for word in _WORD.finditer(t):
        if table.future_prefix and _future_prefixed(word.group(), table) and not any(
                h.start <= word.start() < h.end for h in hits):
            stem = _bare(word.group(), table)[len(table.future_prefix):]
            phase = END if stem in table.end_nonpast else None
            hits.append(_Hit("future", word.start(), word.end(), word.end(), phase, phase is not None))
    return sorted(hits, key=lambda h: h.start)


def _subordinate(t: str, hit: _Hit, table: _Table) -> bool:
    """A subordinator or a hypothetical ("should have") of the cue's clause stands within SUBORDINATE_WORDS
    words before it, or a relative pronoun within RELATIVE_WORDS."""
    before = [_bare(w.group(), table) for w in _clause_words(t, 0, hit.start)][-SUBORDINATE_WORDS:]
    return (any(w in table.relatives for w in before[-RELATIVE_WORDS:])
            or any(before[i:i + len(s)] == list(s) for s in table.clause_markers for i in range(len(before))))


def _negated(text: str, nt: Normalized, hit: _Hit, lang: str) -> bool:
    before = _clause_words(nt.text, 0, hit.start)[-NEGATION_WORDS:]
    after = _words_after(nt.text, hit.event_end, 1)
    lo = before[0].start() if before else hit.start
    hi = after[-1].end() if after else hit.event_end
    s, e = nt.span(lo, hi)
    return negations(text[s:e], lang) > 0


@lru_cache(maxsize=8192)
def claim_status(text: str, lang: str) -> Status | None:
    """The status of the event a claim reports, or None when no cue says it or its cues disagree."""
    table = _table(_language_key(lang))
    if table is None or not text:
        return None
    nt = normalize(text)
    hits = [h for h in _hits(nt.text, table)
            if not _subordinate(nt.text, h, table) and not _negated(text, nt, h, lang)]
    values = {_CATEGORIES[h.category][0] for h in hits}
    if len(values) != 1:
        return None
    phases = {h.phase for h in hits}
    spans = tuple(nt.span(h.start, h.event_end) for h in hits)  # the cue with the event word it governs
    return Status(value=values.pop(), phase=phases.pop() if len(phases) == 1 else None,
                  definite=any(_CATEGORIES[h.category][2] for h in hits), explicit=any(h.explicit for h in hits),
                  cues=tuple(text[s:e] for s, e in spans), spans=spans)


def _dates(slots: list[Slot]) -> list[Slot]:
    return [s for s in slots if s.kind == "date" and not s.relative and s.role != "as_of"]


def _event_date(dates: list[Slot], status: Status) -> Slot | None:
    """The date written nearest the status cue: the date of the event it speaks of."""
    start, end = status.spans[0]
    return min(dates, key=lambda d: max(d.start - end, start - d.end, 0), default=None)


def _places(slots: list[Slot]) -> list[Slot]:
    return [s for s in slots if s.kind == "place" and s.unit not in (None, "country")]


def _conflicting(a: Status, b: Status, same_date: bool) -> bool:
    values = {a.value, b.value}
    if values == {PLANNED, COMPLETED}:
        done = a if a.value == COMPLETED else b
        return done.definite
    if BEGUN in values:  # begun against completed, or against a completion still planned, of one date
        other = b if a.value == BEGUN else a
        return same_date and other.phase == END and other.value in (COMPLETED, PLANNED)
    return False


def status_conflicts(a: Status | None, b: Status | None, slots_a: list[Slot], slots_b: list[Slot],
                     text_a: str, text_b: str, translation: bool = True) -> list[SlotConflict]:
    """A status conflict between two claims about one event (empty list when there is none). Claims that
    are no translation of each other (``translation`` False) may tell of different events: a perfect alone
    ("has been", "telah di-", "تم") is then too weak a cue, the begun or completed side needs a verb of
    starting or completing."""
    if a is None or b is None or a.value == b.value:
        return []
    if not translation and not all(s.explicit for s in (a, b) if s.value != PLANNED):
        return []
    dates_a, dates_b = _dates(slots_a), _dates(slots_b)
    if dates_a and dates_b and not any(_dates_compatible(x, y) for x in dates_a for y in dates_b):
        return []  # different dates: different sub-events
    event_a, event_b = _event_date(dates_a, a), _event_date(dates_b, b)
    if event_a is not None and event_b is not None and not _dates_compatible(event_a, event_b):
        return []
    same_date = event_a is not None and event_b is not None
    places_a, places_b = _places(slots_a), _places(slots_b)
    shared_place = (any(same_place(x.value, y.value) for x in places_a for y in places_b)
                    or any(_named_in(x, _claim_keys(text_b)) for x in places_a)
                    or any(_named_in(y, _claim_keys(text_a)) for y in places_b))
    if places_a and places_b and not shared_place:
        return []  # different places: different sub-events
    if not (same_date or shared_place) or not _conflicting(a, b, same_date):
        return []
    return [SlotConflict("status", [a.value], [b.value], list(a.spans), list(b.spans), STATUS_SCORE,
                         shown_a=[a.value], shown_b=[b.value], note=f"status cues: {_quoted(a)} / {_quoted(b)}")]


def _quoted(status: Status) -> str:
    return ", ".join(f"“{cue}”" for cue in dict.fromkeys(status.cues))


def status_events(found: list[Discrepancy]) -> list[list[Discrepancy]]:
    """Status conflicts grouped by event: conflicts that share a claim speak of one event (its versions are
    then counted apart from other events', whose statuses use the same few words)."""
    parent: dict[str, str] = {}

    def root(claim: str) -> str:
        while parent.setdefault(claim, claim) != claim:
            claim = parent[claim]
        return claim

    for item in found:
        parent[root(item.claim_a)] = root(item.claim_b or item.claim_a)
    events: dict[str, list[Discrepancy]] = {}
    for item in found:
        events.setdefault(root(item.claim_a), []).append(item)
    return list(events.values())
