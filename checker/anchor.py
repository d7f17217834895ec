"""Event anchoring: which versions report the story's event, and which another (an older event at the
same place, a different quake in the same country) that only resembles it.

Signals per document, each relative to the other versions:
- its claims mostly have no aligned counterpart (another story altogether);
- its dateline is more than ``DATE_WINDOW_DAYS`` away from every dateline of the other versions and from
  every day-level date that at least two of them give in their claims, and its values agree less than
  usual;
- none of its values agrees with those of its aligned counterparts, and its fact anchors (numbers with
  units, dates, places) are less shared with the others than is usual in this story;
- the days of the week it names are none of those that the other versions name for the event, and
  either its own dates (its dateline and the days its claims give) are all more than
  ``DATE_WINDOW_DAYS`` from every date the other versions give, or it gives no date but weekdays and
  none of its values agrees with its counterparts (two reports of one event may be dated weeks
  apart, or name another day for a later development, but not both).
A document is set aside with the reasons found; its claims are kept out of conflicts, and a version
without a dateline never borrows the dateline of a document set aside.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

import numpy as np

from .types import AlignedPair, Claim, Document

OFF_TOPIC_MAX_ALIGNED = 0.2  # fewer aligned claims than this: another story
OFF_TOPIC_MIN_CLAIMS = 5
DATE_WINDOW_DAYS = 3
LOW_OVERLAP_RATIO = 0.6  # anchors shared at under this fraction of the story's median
MIN_CONFLICTS = 3  # value conflicts with its counterparts before a version's values count as another event's
MIN_DOCUMENTS = 3  # with two versions there is no majority to tell the event from


def _day_dates(slots: list, dateline: dt.date | None) -> set[dt.date]:
    from .slots.compare import date_interval

    days = {dateline} if dateline else set()
    for slot in slots:
        if slot.kind != "date" or slot.relative or slot.granularity != "day":
            continue
        interval = date_interval(slot.value)
        if interval and interval[0] == interval[1]:
            days.add(interval[0])
    return days


def _weekdays(slots: list) -> set[int]:
    """The days of the week a version's claims name or date (its dateline aside)."""
    from .slots.dates import weekday_of

    return {w for w in (weekday_of(s) for s in slots) if w is not None}


def _anchors(slots: list) -> set[str]:
    keys = set()
    for slot in slots:
        if slot.kind == "date":
            if not slot.relative:
                keys.add("d:" + slot.value.lstrip("~")[:7])
        else:
            keys.add(f"{slot.kind[0]}:{slot.value}")
    return keys


ConflictsOf = Callable[[list[tuple[Claim, Claim]]], dict[tuple[str, str], list]]


def value_conflicts(pairs: list[tuple[Claim, Claim]], slots_of: Callable[[Claim], list]) -> dict[tuple[str, str], list]:
    """Conflicts of dates and numbers of claim pairs (claim ids -> ``compare_slots``' conflicts, pairs
    without any left out): comparing the places as well (the costly part) would change no agreement."""
    from .slots import compare_slots

    found = {}
    for a, b in pairs:
        conflicts = compare_slots([s for s in slots_of(a) if s.kind != "place"],
                                  [s for s in slots_of(b) if s.kind != "place"], a.text, b.text)
        if conflicts:
            found[(a.id, b.id)] = conflicts
    return found


def _value_agreement(live: list[Document], claims: list[Claim], pairs: list[AlignedPair],
                     slots_of: Callable[[Claim], list], conflicts_of: ConflictsOf | None = None,
                     ) -> tuple[dict[str, int], dict[str, int]]:
    """Per document: aligned pairs whose values agree (a shared value, no conflict) and pairs whose
    values conflict. A report of another event aligns by topic, and its values then rarely agree."""
    ids = {d.id for d in live}
    by_id = {c.id: c for c in claims}
    agree = dict.fromkeys(ids, 0)
    conflict = dict.fromkeys(ids, 0)
    clashing: dict[str, set[str]] = {doc_id: set() for doc_id in ids}
    compared = [(by_id[p.claim_a], by_id[p.claim_b]) for p in pairs]
    compared = [(a, b) for a, b in compared if a.doc_id in ids and b.doc_id in ids and slots_of(a) and slots_of(b)]
    conflicts = (conflicts_of or (lambda found: value_conflicts(found, slots_of)))(compared)
    for a, b in compared:
        sa, sb = slots_of(a), slots_of(b)
        clash = any(c.values_a and c.values_b for c in conflicts.get((a.id, b.id), []))
        shared = bool(_anchors(sa) & _anchors(sb))
        for doc_id, claim in ((a.doc_id, a), (b.doc_id, b)):
            if clash:
                conflict[doc_id] += 1
                clashing[doc_id].add(claim.id)
            elif shared:
                agree[doc_id] += 1
    # one claim that dissents from every other version is a disagreement, not another event
    return agree, {doc_id: conflict[doc_id] if len(clashing[doc_id]) >= 2 else 0 for doc_id in ids}


def off_event_documents(documents: list[Document], claims: list[Claim], pairs: list[AlignedPair],
                        slots_of: Callable[[Claim], list], vectors: dict[str, np.ndarray] | None = None,
                        conflicts_of: ConflictsOf | None = None) -> dict[str, dict[str, object]]:
    """Documents set aside: id -> {"aligned": fraction, "reasons": [...]}, in input order. ``conflicts_of``:
    what finds ``value_conflicts`` of claim pairs when not that function itself (one that keeps them)."""
    aligned = {p.claim_a for p in pairs} | {p.claim_b for p in pairs}
    own = {d.id: [c for c in claims if c.doc_id == d.id] for d in documents}
    fraction = {d.id: (sum(c.id in aligned for c in own[d.id]) / len(own[d.id]) if own[d.id] else 0.0)
                for d in documents}
    result: dict[str, dict[str, object]] = {}
    if len(documents) < MIN_DOCUMENTS:
        return result
    for doc in documents:
        if len(own[doc.id]) >= OFF_TOPIC_MIN_CLAIMS and fraction[doc.id] < OFF_TOPIC_MAX_ALIGNED:
            result[doc.id] = {"aligned": fraction[doc.id],
                              "reasons": [f"only {fraction[doc.id]:.0%} of its claims have a counterpart in another version"]}
    slots = {d.id: [s for c in own[d.id] for s in slots_of(c)] for d in documents}
    days = {d.id: _day_dates(slots[d.id], d.dateline) for d in documents}
    weekdays = {d.id: _weekdays(slots[d.id]) for d in documents}
    anchors = {d.id: _anchors(slots[d.id]) for d in documents}
    live = [d for d in documents if d.id not in result and own[d.id]]

    def overlap(a: str) -> float:
        others = [anchors[a] & anchors[b.id] for b in live if b.id != a]
        return float(np.mean([len(x) / max(1, len(anchors[a])) for x in others])) if others else 0.0

    ov = {d.id: overlap(d.id) for d in live}
    agree, conflict = _value_agreement(live, claims, pairs, slots_of, conflicts_of)

    def rate(doc_id: str) -> float:
        return agree[doc_id] / max(1, agree[doc_id] + conflict[doc_id])

    candidates: list[tuple[float, str, list[str]]] = []
    for doc in live:
        others = [d for d in live if d.id != doc.id]
        if len(others) < 2:
            continue
        median_ov = float(np.median([ov[d.id] for d in others]))
        median_rate = float(np.median([rate(d.id) for d in others]))
        other_days = set().union(*(days[d.id] for d in others))
        # the story's days: the other versions' datelines, and dates in their claims that at least two of
        # them give (within the window)
        story_days = {d.dateline for d in others if d.dateline} | {
            a for a in other_days
            if sum(any(abs((a - b).days) <= DATE_WINDOW_DAYS for b in days[d.id]) for d in others) >= 2}
        # a version is dated by its dateline: dates inside a report are often background (an agreement a
        # year earlier), so they place the story's days but never set a version aside on their own
        date_far = doc.dateline is not None and bool(story_days) and not any(
            abs((doc.dateline - b).days) <= DATE_WINDOW_DAYS for b in story_days)
        # another weekday as well as another date (or, for a version that dates nothing else, no value in
        # common): the report is about another event
        all_days = story_days | other_days
        dates_away = bool(days[doc.id]) and bool(all_days) and not any(
            abs((a - b).days) <= DATE_WINDOW_DAYS for a in days[doc.id] for b in all_days)
        story_weekdays = {w for w in range(7) if sum(w in weekdays[d.id] for d in others) >= 2}
        other_weekday = bool(weekdays[doc.id]) and bool(story_weekdays) and not weekdays[doc.id] & story_weekdays
        reasons = []
        if other_weekday and (dates_away or (not days[doc.id] and agree[doc.id] == 0)):
            named = ", ".join(calendar.day_name[w] for w in sorted(weekdays[doc.id]))
            story_named = ", ".join(calendar.day_name[w] for w in sorted(story_weekdays))
            reasons.append(
                f"its dates ({', '.join(sorted(d.isoformat() for d in days[doc.id])[:3])}) are more than "
                f"{DATE_WINDOW_DAYS} days from every date of the other versions, on another day of the week "
                f"({named} against {story_named})" if dates_away else
                f"it names another day of the week ({named} against {story_named}) and none of its values "
                "agrees with its counterparts")
        if date_far and rate(doc.id) <= median_rate:
            assert doc.dateline is not None
            reasons.append(f"its dateline ({doc.dateline.isoformat()}) is more than {DATE_WINDOW_DAYS} days from the story's "
                           f"({', '.join(sorted(d.isoformat() for d in story_days)[:3])})")
        if (agree[doc.id] == 0 and conflict[doc.id] >= MIN_CONFLICTS
                and ov[doc.id] < LOW_OVERLAP_RATIO * median_ov):
            reasons.append(f"none of its values agrees with its counterparts ({conflict[doc.id]} conflicts) and it "
                           f"shares few of the story's facts ({ov[doc.id]:.0%} against a median of {median_ov:.0%})")
        if reasons:
            candidates.append((rate(doc.id) + ov[doc.id], doc.id, reasons))
    # a majority of the versions defines the event: never set aside half of them or more
    room = (len(live) - 1) // 2
    for _, doc_id, reasons in sorted(candidates)[:room]:
        result[doc_id] = {"aligned": fraction[doc_id], "reasons": reasons}
    order = {d.id: n for n, d in enumerate(documents)}
    return dict(sorted(result.items(), key=lambda kv: order[kv[0]]))
