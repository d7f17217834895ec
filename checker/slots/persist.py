"""Fact slots kept between runs in the result cache: the extractor's version, and slots and slot
conflicts as JSON."""

from __future__ import annotations

import json
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

from ..codedigest import code_digest
from .model import Slot, SlotConflict
from .resources import DATA_DIR

PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """What ``extract_slots`` and ``compare_slots`` give for their inputs depends on: this package's
    modules, what they import and its data files (``codedigest``)."""
    return code_digest(*sorted(PACKAGE_DIR.glob("*.py")), data=tuple(sorted(p for p in DATA_DIR.rglob("*")
                                                                             if p.is_file())))


_FIELDS = tuple(f.name for f in fields(Slot))


def slots_to_json(slots: list[Slot]) -> bytes:
    """Slots as a JSON list of their field values, in field order (the version covers the fields)."""
    rows = [[getattr(s, name) for name in _FIELDS] for s in slots]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def slots_from_json(blob: bytes) -> list[Slot]:
    """The slots ``slots_to_json`` wrote; raises ValueError or TypeError on a damaged blob."""
    rows = json.loads(blob)
    if not isinstance(rows, list):
        raise ValueError("not a list of slots")
    return [Slot(*(tuple(v) if isinstance(v, list) else v for v in row)) for row in rows]


_CONFLICT_FIELDS = tuple(f.name for f in fields(SlotConflict))


def conflicts_to_json(conflicts: list[SlotConflict]) -> list:
    """Slot conflicts as JSON values (lists of their field values, in field order)."""
    return [[getattr(c, name) for name in _CONFLICT_FIELDS] for c in conflicts]


def conflicts_from_json(rows: list) -> list[SlotConflict]:
    """The conflicts ``conflicts_to_json`` gave (spans as tuples again)."""
    conflicts = [SlotConflict(*row) for row in rows]
    for c in conflicts:
        c.spans_a, c.spans_b = [tuple(s) for s in c.spans_a], [tuple(s) for s in c.spans_b]
    return conflicts
