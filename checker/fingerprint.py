"""Stable fingerprints of findings, keyed by normalised claim text rather than position, so review
decisions and CI baselines survive re-runs and edits elsewhere in a document. ``fingerprinted`` is the
one view of a report's findings with their fingerprints that the HTML page, the review store and
``ci`` all use."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .textnorm import normalise_text
from .types import Discrepancy


def fingerprint(item: Discrepancy) -> str:
    """Same finding, same fingerprint: kind + both normalised claim texts (order-free) + values."""
    sides = sorted([(normalise_text(item.text_a), "|".join(sorted(item.values_a))),
                    (normalise_text(item.text_b), "|".join(sorted(item.values_b)))])
    payload = "\x1f".join([item.kind, *(part for side in sides for part in side)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Fingerprinted:
    """One finding of a report with its fingerprint."""

    discrepancy: Discrepancy
    fingerprint: str


def fingerprinted(items: Iterable[Discrepancy | Mapping[str, Any]]) -> list[Fingerprinted]:
    """A report's findings (``Discrepancy`` objects or their report.json dictionaries), in order."""
    out = []
    for item in items:
        d = item if isinstance(item, Discrepancy) else Discrepancy.from_dict(item)
        out.append(Fingerprinted(d, fingerprint(d)))
    return out
