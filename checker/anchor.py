"""Event anchoring: which versions report the story's event, and which another (an older event at the
same place, a different quake in the same country) that only resembles it.

Signals per document, each relative to the other versions:
- its claims mostly have no aligned counterpart (another story altogether);
- its dates (dateline and day-level dates in its claims) are all more than ``DATE_WINDOW_DAYS`` away
  from every day-level date of the other versions;
- its fact anchors (numbers with units, dates, places) and its mean embedding are less shared with the
  others than is usual in this story.
A document is set aside with the reasons found; its claims are kept out of conflicts, and a version
without a dateline never borrows the dateline of a document set aside.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable

import numpy as np

from .types import AlignedPair, Claim, Document

OFF_TOPIC_MAX_ALIGNED = 0.2  # fewer aligned claims than this: another story
OFF_TOPIC_MIN_CLAIMS = 5
DATE_WINDOW_DAYS = 3
LOW_OVERLAP_RATIO = 0.6  # anchors shared at under this fraction of the story's median
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


def _anchors(slots: list) -> set[str]:
    keys = set()
    for slot in slots:
        if slot.kind == "date":
            if not slot.relative:
                keys.add("d:" + slot.value.lstrip("~")[:7])
        else:
            keys.add(f"{slot.kind[0]}:{slot.value}")
    return keys


def off_event_documents(documents: list[Document], claims: list[Claim], pairs: list[AlignedPair],
                        slots_of: Callable[[Claim], list], vectors: dict[str, np.ndarray] | None = None,
                        ) -> dict[str, dict[str, object]]:
    """Documents set aside: id -> {"aligned": fraction, "reasons": [...]}, in input order."""
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
    anchors = {d.id: _anchors(slots[d.id]) for d in documents}
    centroid = {}
    if vectors:
        for d in documents:
            if own[d.id]:
                v = np.mean([vectors[c.id] for c in own[d.id]], axis=0)
                centroid[d.id] = v / max(float(np.linalg.norm(v)), 1e-9)
    live = [d for d in documents if d.id not in result and own[d.id]]

    def overlap(a: str) -> float:
        others = [anchors[a] & anchors[b.id] for b in live if b.id != a]
        return float(np.mean([len(x) / max(1, len(anchors[a])) for x in others])) if others else 0.0

    def closeness(a: str) -> float:
        if a not in centroid:
            return 1.0
        return float(np.mean([centroid[a] @ centroid[b.id] for b in live if b.id != a and b.id in centroid]))

    ov = {d.id: overlap(d.id) for d in live}
    near = {d.id: closeness(d.id) for d in live}
    candidates: list[tuple[float, str, list[str]]] = []
    for doc in live:
        others = [d for d in live if d.id != doc.id]
        if len(others) < 2:
            continue
        median_ov = statistics.median(ov[d.id] for d in others)
        median_near = statistics.median(near[d.id] for d in others)
        other_days = set().union(*(days[d.id] for d in others))
        shares_day = any(abs((a - b).days) <= DATE_WINDOW_DAYS for a in days[doc.id] for b in other_days)
        date_far = bool(days[doc.id]) and bool(other_days) and not shares_day
        weak = ov[doc.id] <= median_ov or near[doc.id] <= median_near
        reasons = []
        if date_far and weak:
            mine = ", ".join(sorted(d.isoformat() for d in days[doc.id])[:3])
            reasons.append(f"its dates ({mine}) are more than {DATE_WINDOW_DAYS} days from every date of the other versions")
        if (not shares_day and ov[doc.id] < LOW_OVERLAP_RATIO * median_ov and near[doc.id] < median_near):
            reasons.append(f"shares few of the story's facts ({ov[doc.id]:.0%} of its values against a median of "
                           f"{median_ov:.0%})")
        if reasons:
            candidates.append((ov[doc.id] + near[doc.id], doc.id, reasons))
    # a majority of the versions defines the event: never set aside half of them or more
    room = (len(live) - 1) // 2
    for _, doc_id, reasons in sorted(candidates)[:room]:
        result[doc_id] = {"aligned": fraction[doc_id], "reasons": reasons}
    order = {d.id: n for n, d in enumerate(documents)}
    return dict(sorted(result.items(), key=lambda kv: order[kv[0]]))
