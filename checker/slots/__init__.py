"""Fact slots: dates, numbers and places extracted from claims, normalised and compared across languages."""

from __future__ import annotations

import datetime as dt

from ..textnorm import normalize, place_key, skeleton
from . import clock, dates, numbers, places
from .compare import compare_slots, date_interval
from .model import Slot, SlotConflict
from .places import same_place
from .roles import assign_roles

__all__ = [
    "Slot", "SlotConflict", "extract_slots", "compare_slots", "date_interval", "place_key", "same_place",
    "skeleton",
]


def _normalised_span(nt, slot: Slot) -> tuple[int, int]:
    """The normalised-text span of a slot found in the original text."""
    if nt.offsets is None:
        return slot.start, slot.end
    inside = [i for i, o in enumerate(nt.offsets) if slot.start <= o < slot.end]
    return (inside[0], inside[-1] + 1) if inside else (0, 0)


def extract_slots(text: str, lang: str, dateline: dt.date | None = None) -> list[Slot]:
    """Dates, numbers and places in `text` (ordered by position; offsets index `text`)."""
    if not text:
        return []
    nt = normalize(text)
    date_hits = dates.extract_dates(nt, lang, dateline, numbers.blocker_pattern(lang))
    times = [t for t in clock.extract_clock(nt, text)
             if not any(h.start < t.end and t.start < h.end for h in date_hits)]
    taken = [(h.start, h.end) for h in date_hits] + [_normalised_span(nt, t) for t in times]
    place_hits = places.extract_places(text, nt, lang)
    num_hits = numbers.extract_numbers(nt, lang, taken)
    out = dates.to_slots(date_hits, nt, text) + numbers.to_slots(num_hits, nt, text) + places.to_slots(
        place_hits, nt, text) + times
    out.sort(key=lambda s: (s.start, s.end, s.kind))
    return assign_roles(out, nt, [_normalised_span(nt, s) for s in out], text)
