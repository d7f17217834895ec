"""Data types of the fact-slot layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Slot:
    """One normalised fact value found in a claim."""

    kind: str  # "date" | "number" | "place" (the status of an event is no slot: checker/slots/status.py)
    value: str  # normalised value (ISO date at its granularity, "2014/2017", "11 year", "mosul")
    text: str  # original span text
    start: int  # char offsets into the text given to extract_slots
    end: int
    granularity: str | None = None  # "year" | "month" | "day" for dates
    relative: bool = False  # relative expression left unresolved (no dateline)
    unit: str | None = None  # numbers: canonical unit; places: category ("base", "province", ...)
    display: str = ""  # human-readable normalised value for reports
    weekday: int | None = None  # dates: the day of the week written in the span (Monday = 0)
    role: str | None = None  # numbers: what the value counts or measures ("killed", "depth"; see roles.py)
    near: tuple[str, ...] = ()  # distances: the places they are measured from
    # places: a word of the language first (place_homographs.json), a place only where the other claim names one
    homograph: bool = False


@dataclass
class SlotConflict:
    """Values of one kind that have no compatible counterpart on the other side."""

    kind: str
    values_a: list[str] = field(default_factory=list)
    values_b: list[str] = field(default_factory=list)
    spans_a: list[tuple[int, int]] = field(default_factory=list)
    spans_b: list[tuple[int, int]] = field(default_factory=list)
    score: float = 0.0  # severity in [0, 1]
    # weak evidence on its own (e.g. two claims naming different countries): report only when
    # another signal (NLI contradiction) agrees
    needs_support: bool = False
    # the values as the documents write them (places in their own spelling, not the matching key)
    shown_a: list[str] = field(default_factory=list)
    shown_b: list[str] = field(default_factory=list)
    note: str = ""  # evidence for people (the status cues that fired)
