"""Editorial review of a report: mark each finding confirmed, dismissed (with a note) or fixed.

Decisions live in ``REPORT_DIR/review.sqlite`` keyed by the finding's fingerprint (normalised claim
texts + kind + values), so re-running ``check`` into the same folder carries them over: only new or
changed findings come back as open. A finding marked fixed that a later run still reports is open again.
report.json is never modified; report.html, when present, is re-rendered with the review state."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fileio import open_sqlite_wal, write_or_fail
from .fingerprint import fingerprint, fingerprinted
from .types import CheckError, Discrepancy

if TYPE_CHECKING:  # jinja2 loads only when rendering
    from .html_report import ReviewState

DB_NAME = "review.sqlite"
STATUSES: tuple[str, ...] = ("confirmed", "dismissed", "fixed")
OPEN = "open"
EXPORT_COLUMNS = ["id", "fingerprint", "status", "note", "decided_at", "in_report", "kind", "score", "doc_a", "doc_b",
                  "claim_a", "claim_b", "values_a", "values_b", "text_a", "text_b"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    fingerprint TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'dismissed', 'fixed')),
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    report_generated_at TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT '',
    text_a TEXT NOT NULL DEFAULT '',
    text_b TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS history (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Decision:
    fingerprint: str
    status: str
    note: str
    decided_at: str
    report_generated_at: str = ""
    kind: str = ""
    text_a: str = ""
    text_b: str = ""


@dataclass(frozen=True)
class ReviewItem:
    """One finding of the current report with its decision, if any."""

    discrepancy: Discrepancy
    fingerprint: str
    decision: Decision | None
    reappeared: bool = False  # marked fixed, yet reported again by a later run

    @property
    def status(self) -> str:
        return OPEN if self.decision is None or self.reappeared else self.decision.status

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class ReviewStore:
    """The decisions of one report folder (SQLite, created on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            # WAL and a busy timeout: several writers (two browser tabs, the CLI) wait for each other
            self.conn = open_sqlite_wal(path, _SCHEMA)
        except sqlite3.Error as exc:
            raise CheckError(f"cannot open the review database {path}: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise CheckError(f"cannot write the review database {self.path}: {exc}") from exc

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def decisions(self) -> dict[str, Decision]:
        try:
            rows = self.conn.execute("SELECT fingerprint, status, note, decided_at, report_generated_at, kind, "
                                     "text_a, text_b FROM decisions ORDER BY decided_at, fingerprint").fetchall()
        except sqlite3.Error as exc:
            raise CheckError(f"the review database {self.path} is not readable: {exc}") from exc
        return {row[0]: Decision(*row) for row in rows}

    def history(self) -> dict[str, list[Decision]]:
        """Every decision ever recorded, per fingerprint, oldest first (``open`` where one was undone)."""
        try:
            rows = self.conn.execute("SELECT fingerprint, status, note, decided_at FROM history ORDER BY n").fetchall()
        except sqlite3.Error as exc:
            raise CheckError(f"the review database {self.path} is not readable: {exc}") from exc
        found: dict[str, list[Decision]] = {}
        for fp, status, note, when in rows:
            found.setdefault(fp, []).append(Decision(fp, status, note, when))
        return found

    def decide(self, item: Discrepancy, status: str, note: str = "", *, report_generated_at: str = "",
               now: str | None = None) -> Decision:
        """Record a decision (``open`` removes it); the history table keeps every change."""
        if status != OPEN and status not in STATUSES:
            raise CheckError(f"unknown status {status!r} (use {', '.join(STATUSES)} or {OPEN})")
        fp = fingerprint(item)
        when = now or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        decision = Decision(fp, status, note, when, report_generated_at, item.kind, item.text_a, item.text_b or "")
        with self._writing(), self.conn:
            if status == OPEN:
                self.conn.execute("DELETE FROM decisions WHERE fingerprint = ?", (fp,))
            else:
                self.conn.execute("INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                  (fp, status, note, when, report_generated_at, item.kind, item.text_a,
                                   item.text_b or ""))
            self.conn.execute("INSERT INTO history (fingerprint, status, note, decided_at) VALUES (?, ?, ?, ?)",
                              (fp, status, note, when))
        return decision


def load_report(report_dir: Path) -> dict[str, Any]:
    path = report_dir / "report.json"
    if not path.is_file():
        raise CheckError(f"no report.json in {report_dir} (run `claimcheck check ... --out {report_dir}` first)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("discrepancies"), list):
        raise CheckError(f"{path} is not a claimcheck report")
    return data


def review_items(data: dict[str, Any], decisions: dict[str, Decision]) -> list[ReviewItem]:
    generated_at = str(data.get("generated_at", ""))
    items = []
    for finding in fingerprinted(data["discrepancies"]):
        decision = decisions.get(finding.fingerprint)
        reappeared = bool(decision and decision.status == "fixed" and decision.report_generated_at
                          and decision.report_generated_at != generated_at)
        items.append(ReviewItem(finding.discrepancy, finding.fingerprint, decision, reappeared))
    return items


def review_states(items: list[ReviewItem]) -> dict[str, ReviewState]:
    """Fingerprint -> state, for the HTML report."""
    from .html_report import ReviewState

    return {item.fingerprint: ReviewState(item.decision.status if item.decision else OPEN,
                                          item.decision.note if item.decision else "",
                                          item.decision.decided_at if item.decision else "", item.reappeared)
            for item in items}


def export_rows(items: list[ReviewItem], decisions: dict[str, Decision]) -> list[dict[str, object]]:
    """Every finding of the report with its status, then decisions whose finding is no longer reported
    (the rows of the exported CSV, columns ``EXPORT_COLUMNS``)."""
    rows: list[dict[str, object]] = []
    for item in items:
        d, dec = item.discrepancy, item.decision
        rows.append({"id": d.id, "fingerprint": item.fingerprint, "status": item.status,
                     "note": dec.note if dec else "", "decided_at": dec.decided_at if dec else "", "in_report": True,
                     "kind": d.kind, "score": d.score, "doc_a": d.doc_a, "doc_b": d.doc_b or "", "claim_a": d.claim_a,
                     "claim_b": d.claim_b or "", "values_a": "; ".join(d.values_a), "values_b": "; ".join(d.values_b),
                     "text_a": d.text_a, "text_b": d.text_b or ""})
    present = {item.fingerprint for item in items}
    for fp, dec in decisions.items():
        if fp not in present:
            rows.append({"id": "", "fingerprint": fp, "status": dec.status, "note": dec.note,
                         "decided_at": dec.decided_at, "in_report": False, "kind": dec.kind, "score": None,
                         "doc_a": "", "doc_b": "", "claim_a": "", "claim_b": "", "values_a": "", "values_b": "",
                         "text_a": dec.text_a, "text_b": dec.text_b})
    return rows


def refresh_html(report_dir: Path, data: dict[str, Any] | None = None,
                 items: list[ReviewItem] | None = None) -> Path | None:
    """Re-render REPORT_DIR/report.html with the review state, if that page and review.sqlite exist."""
    from .html_report import render_html_data

    page = report_dir / "report.html"
    if not page.is_file() or not (report_dir / DB_NAME).is_file():
        return None
    if data is None:
        data = load_report(report_dir)
    if items is None:
        with ReviewStore(report_dir / DB_NAME) as store:
            items = review_items(data, store.decisions())
    write_or_fail(page, render_html_data(data, review_states(items)))
    return page


@contextlib.contextmanager
def review_lock(report_dir: Path) -> Iterator[None]:
    """One writer at a time per report folder, from the decision to the re-rendered page, so two
    concurrent marks cannot leave report.html without the other's decision."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield
        return
    try:
        fd = os.open(report_dir / DB_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise CheckError(f"cannot open the review database {report_dir / DB_NAME}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # SQLite's own locks are fcntl record locks: no interference
        yield
    finally:
        os.close(fd)


def mark_findings(report_dir: Path, data: dict[str, Any], targets: list[ReviewItem], status: str,
         note: str = "") -> tuple[list[ReviewItem], dict[str, Decision], Path | None]:
    """Record one decision for each target and re-render report.html, under the folder's review lock.
    Returns the report's items with their decisions, the decisions, and the page (if re-rendered)."""
    with review_lock(report_dir):
        with ReviewStore(report_dir / DB_NAME) as store:
            for item in targets:
                store.decide(item.discrepancy, status, note, report_generated_at=str(data.get("generated_at", "")))
            decisions = store.decisions()
        items = review_items(data, decisions)
        page = refresh_html(report_dir, data, items)
    return items, decisions, page


def find_items(items: list[ReviewItem], keys: str) -> list[ReviewItem]:
    """Items by report id (``d3``) or fingerprint prefix (6+ characters); comma-separated."""
    found = []
    for key in (k.strip() for k in keys.split(",")):
        if not key:
            continue
        match = [i for i in items if i.discrepancy.id == key]
        if not match and len(key) >= 6:
            match = [i for i in items if i.fingerprint.startswith(key.lower())]
        if not match:
            raise CheckError(f"no finding {key!r} in this report (ids d1..d{len(items)}, or a fingerprint prefix)")
        found.extend(m for m in match if m not in found)
    if not found:
        raise CheckError("--mark needs a finding id, e.g. --mark d3 confirmed")
    return found
