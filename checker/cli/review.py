"""``claimcheck review``: list the open findings of a report, record editorial decisions, export them
(see ``checker.review`` for the decision store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..fileio import write_or_fail
from ..safetext import shorten
from ..types import CheckError
from .common import reported_errors, say

if TYPE_CHECKING:
    from ..review import Decision, ReviewItem


def _iter_lines(items: list[ReviewItem]) -> Iterator[str]:
    for item in items:
        d = item.discrepancy
        status = item.status + (" (found again after 'fixed')" if item.reappeared else "")
        head = f"{d.id:<5} {d.kind:<9} {d.score:>5.2f}  {status:<10} {item.fingerprint[:12]}"
        if d.values_a or d.values_b:
            head += f"  {'; '.join(d.values_a)} vs {'; '.join(d.values_b)}"
        yield head
        yield f"      {d.claim_a}: {shorten(d.text_a, 100)}"
        if d.claim_b:
            yield f"      {d.claim_b}: {shorten(d.text_b, 100)}"
        else:
            yield "      (no equivalent claim in any other version)"
        if item.decision and item.decision.note:
            yield f"      note: {shorten(item.decision.note, 100)}"


def review(
    report_dir: Annotated[Path, typer.Argument(help="Folder written by `claimcheck check --out`")],
    mark: Annotated[tuple[str, str] | None, typer.Option(
        "--mark", metavar="ID STATUS",
        help="Decide a finding: ID is d3 (comma-separated for several) or a fingerprint prefix; "
             "STATUS is confirmed, dismissed, fixed, or open to undo")] = None,
    note: Annotated[str, typer.Option("--note", help="Why (required for dismissed)")] = "",
    show_all: Annotated[bool, typer.Option("--all", help="List decided findings too")] = False,
    export: Annotated[Path | None, typer.Option("--export", help="Write every finding with its status as CSV")] = None,
) -> None:
    """List the open findings of a report, record editorial decisions, export them as CSV."""
    from ..review import (
        DB_NAME,
        EXPORT_COLUMNS,
        OPEN,
        STATUSES,
        ReviewStore,
        export_rows,
        find_items,
        load_report,
        mark_findings,
        refresh_html,
        review_items,
    )

    with reported_errors():
        data = load_report(report_dir)
        db = report_dir / DB_NAME
        status, targets = "", []
        if mark is not None:
            status = mark[1].strip().lower()
            if status != OPEN and status not in STATUSES:
                raise CheckError(f"unknown status {mark[1]!r} (use {', '.join(STATUSES)} or {OPEN})")
            if status == "dismissed" and not note.strip():
                raise CheckError("a dismissal needs a reason: add --note \"...\"")
            targets = find_items(review_items(data, {}), mark[0])
        decisions: dict[str, Decision] = {}
        page = None
        if targets:
            items, decisions, page = mark_findings(report_dir, data, targets, status, note.strip())
            say(f"marked {', '.join(t.discrepancy.id for t in targets)} {status}")
        else:
            if db.exists():
                with ReviewStore(db) as store:
                    decisions = store.decisions()
            items = review_items(data, decisions)
        if export is not None:
            from ..report import csv_table

            write_or_fail(export, csv_table(EXPORT_COLUMNS, export_rows(items, decisions)))
            say(f"wrote {export}")
        if not targets and db.exists():
            page = refresh_html(report_dir, data, items)
    if mark is not None or export is not None:
        if page:
            say(f"updated {page}")
        return
    open_items = [i for i in items if i.is_open]
    counts = {s: sum(i.status == s for i in items) for s in STATUSES}
    say(f"{len(open_items)} open of {len(items)} findings ("
        + ", ".join(f"{s} {n}" for s, n in counts.items()) + ")")
    shown = items if show_all else open_items
    for line in _iter_lines(shown):
        say(line)
    if page:
        say(f"updated {page}")
