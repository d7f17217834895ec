"""Stage 6: the discrepancy report as JSON (the schema other tools read), CSV, Markdown and
pandas DataFrames. All files of one report are written atomically: to temporary files first, then
renamed into place, so an interrupted run never leaves a half-written report. pandas is loaded only
for the DataFrame helpers; the CSV files are written with the standard library."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .fileio import write_all_atomic
from .safetext import for_csv, for_markdown, json_text, shorten
from .types import DISCREPANCY_KINDS, REPORT_FILES, CheckError, Discrepancy, Report

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1
DISCREPANCY_COLUMNS = ["id", "kind", "score", "doc_a", "doc_b", "claim_a", "claim_b", "values_a", "values_b",
                       "entailment", "neutral", "contradiction", "text_a", "text_b", "note"]


def summary_counts(report: Report) -> dict[str, int]:
    counts = Counter(d.kind for d in report.discrepancies)
    return {kind: counts.get(kind, 0) for kind in DISCREPANCY_KINDS}


def _members(item: object) -> dict[str, object]:
    """A flat dataclass (fields of plain values, lists and dicts) as a dict: ``asdict`` without its deep
    copy, which dominates writing a report of tens of thousands of pairs. Read-only use."""
    return {f.name: getattr(item, f.name) for f in fields(item)}  # type: ignore[arg-type]


def report_to_dict(report: Report, *, generated_at: str | None = None) -> dict:
    """The report.json document. Only ``generated_at`` differs between two runs on the same input."""
    claims_by_doc: dict[str, list[dict]] = {}
    for claim in report.claims:
        item: dict[str, object] = {"id": claim.id, "text": claim.text, "start": claim.start, "end": claim.end,
                                   "sentence": claim.sentence}
        if claim.language:  # only a claim in another language than its document's (a quotation)
            item["language"] = claim.language
        claims_by_doc.setdefault(claim.doc_id, []).append(item)
    dropped_by_doc: dict[str, list[dict]] = {}
    for item in report.dropped:
        dropped_by_doc.setdefault(item.doc_id, []).append(
            {"text": item.text, "reason": item.reason, "start": item.start, "end": item.end})
    off_topic = report.settings.get("off_topic", {})
    assert isinstance(off_topic, dict)
    documents = [{
        "id": doc.id, "path": doc.path, "language": doc.language,
        "language_confidence": round(doc.language_confidence, 3),
        "dateline": doc.dateline.isoformat() if doc.dateline else None,
        "assumed_dateline": doc.assumed_dateline.isoformat() if doc.assumed_dateline else None,
        "encoding": doc.encoding,
        "off_topic": doc.id in off_topic,
        "claims": claims_by_doc.get(doc.id, []),
        "dropped": dropped_by_doc.get(doc.id, []),
    } for doc in report.documents]
    return {
        "schema_version": SCHEMA_VERSION,
        "claimcheck_version": __version__,
        "generated_at": generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "summary": {
            "documents": len(report.documents),
            "languages": sorted({d.language for d in report.documents}),
            "claims": len(report.claims),
            "groups": len(report.groups),
            "aligned_pairs": len(report.pairs),
            "discrepancies": summary_counts(report),
        },
        "documents": documents,
        "groups": [_members(g) for g in report.groups],
        "pairs": [_members(p) for p in report.pairs],
        "discrepancies": [_members(d) for d in report.discrepancies],
        "models": [_members(m) for m in report.models],
        "skipped": report.skipped,
        "warnings": list(report.settings.get("warnings", [])),  # type: ignore[call-overload]
        "settings": {k: v for k, v in report.settings.items() if k not in ("warnings", "off_topic")},
    }


def discrepancy_row(d: Discrepancy) -> dict[str, object]:
    """A discrepancy as one row of discrepancies.csv."""
    nli = d.nli or {}
    return {
        "id": d.id, "kind": d.kind, "score": d.score, "doc_a": d.doc_a, "doc_b": d.doc_b or "",
        "claim_a": d.claim_a, "claim_b": d.claim_b or "", "values_a": "; ".join(d.values_a),
        "values_b": "; ".join(d.values_b), "entailment": nli.get("entailment"), "neutral": nli.get("neutral"),
        "contradiction": nli.get("contradiction"), "text_a": d.text_a, "text_b": d.text_b or "", "note": d.note,
    }


def discrepancies_frame(report: Report) -> pd.DataFrame:
    """One row per discrepancy."""
    import pandas as pd

    return pd.DataFrame([discrepancy_row(d) for d in report.discrepancies], columns=DISCREPANCY_COLUMNS)


def csv_table(header: list[str], rows: Iterable[Mapping[str, object]]) -> str:
    """Rows as CSV that spreadsheets open as plain text (see ``safetext.for_csv``): one line per row,
    cells in ``header`` order, a missing or None cell empty, floats as Python writes them (as
    pandas' ``to_csv`` does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([for_csv(name) for name in header])
    writer.writerows([for_csv(row.get(name)) for name in header] for row in rows)
    return buffer.getvalue()


def group_rows(report: Report) -> tuple[list[str], list[dict[str, object]]]:
    """Columns and rows of groups.csv: one row per claim group, one column per document holding that
    document's claim text(s)."""
    texts = {c.id: c for c in report.claims}
    rows = []
    for group in report.groups:
        row: dict[str, object] = {"group": group.id, "size": len(group.claims)}
        for doc in report.documents:
            row[doc.id] = " | ".join(texts[cid].text for cid in group.claims if texts[cid].doc_id == doc.id)
        rows.append(row)
    return ["group", "size"] + [d.id for d in report.documents], rows


def groups_frame(report: Report) -> pd.DataFrame:
    """One row per claim group, one column per document holding that document's claim text(s)."""
    import pandas as pd

    columns, rows = group_rows(report)
    return pd.DataFrame(rows, columns=columns)


_md = for_markdown


def _short(text: str | None, limit: int = 160) -> str:
    return for_markdown(shorten(text, limit))


def render_markdown(report: Report, data: dict) -> str:
    lines = ["# claimcheck report", ""]
    summary = data["summary"]
    lines += [f"{summary['documents']} documents ({', '.join(summary['languages'])}), {summary['claims']} claims, "
              f"{summary['groups']} groups of equivalent claims, {summary['aligned_pairs']} aligned pairs.", ""]
    lines += ["| kind | count |", "|---|---|"] + [f"| {k} | {v} |" for k, v in summary["discrepancies"].items()]
    lines += ["", "## Documents", "", "| id | language | dateline | claims | dropped | note |", "|---|---|---|---|---|---|"]
    for doc in data["documents"]:
        note = "mostly unaligned: likely another story or an older event" if doc["off_topic"] else ""
        lines.append(f"| {_md(doc['id'])} | {doc['language']} | {doc['dateline'] or '-'} | {len(doc['claims'])} | "
                     f"{len(doc['dropped'])} | {note} |")
    if data["skipped"]:
        lines += ["", "Skipped inputs:", ""] + [f"- {_md(s['path'])}: {_md(s['reason'])}" for s in data["skipped"]]
    if data["warnings"]:
        lines += ["", "Warnings:", ""] + [f"- {_md(w)}" for w in data["warnings"]]
    lines += ["", "## Models", ""]
    for model in report.models:
        kind = "real model" if model.real else "TEST MODEL (random weights, scores are meaningless)"
        lines.append(f"- {model.role}: {_md(model.name)} {model.version} ({kind}){' - ' + model.note if model.note else ''}")
    if not any(m.role == "nli" for m in report.models):
        lines.append("- nli: none (no NLI scores in this report; fact slots and omissions only)")
    lines += ["", "## Discrepancies (most severe first)", ""]
    if not report.discrepancies:
        lines.append("None found.")
    for d in report.discrepancies:
        head = f"### {d.id} · {d.kind} · score {d.score:.2f}"
        lines += [head, ""]
        if d.values_a or d.values_b:
            lines.append(f"- values: {_md('; '.join(d.values_a) or '(none)')} vs {_md('; '.join(d.values_b) or '(none)')}")
        if d.nli:
            lines.append("- NLI: " + ", ".join(f"{k} {v:.2f}" for k, v in d.nli.items()))
        lines.append(f"- **{_md(d.doc_a)}** ({_md(d.claim_a)}): {_short(d.text_a, 400)}")
        if d.claim_b:
            lines.append(f"- **{_md(d.doc_b)}** ({_md(d.claim_b)}): {_short(d.text_b, 400)}")
        if d.note:
            lines.append(f"- {_md(d.note)}")
        lines.append("")
    lines += ["## Groups of equivalent claims", ""]
    texts = {c.id: c for c in report.claims}
    for group in report.groups:
        lines.append(f"- **{group.id}**: " + " ⟷ ".join(f"{_md(cid)} {_short(texts[cid].text, 90)}" for cid in group.claims))
    return "\n".join(lines) + "\n"


def _render_html(report: Report, data: dict) -> str:
    from .html_report import render_html  # jinja2 is loaded only when the page is written

    return render_html(report, data)


Renderer = Callable[[Report, dict], str | bytes]
RENDERERS: dict[str, tuple[str, Renderer]] = {
    "json": (REPORT_FILES["json"], lambda report, data: json_text(data) + "\n"),
    "csv": (REPORT_FILES["csv"], lambda report, data: csv_table(
        DISCREPANCY_COLUMNS, [discrepancy_row(d) for d in report.discrepancies])),
    "md": (REPORT_FILES["md"], render_markdown),
    "html": (REPORT_FILES["html"], _render_html),
    "groups": (REPORT_FILES["groups"], lambda report, data: csv_table(*group_rows(report))),
}


def write_report(report: Report, out_dir: Path, formats: tuple[str, ...] = ("json", "csv", "md"),
                 *, generated_at: str | None = None) -> dict[str, Path]:
    """Render every format in memory, write each to a temp file, then rename all into place."""
    data = report_to_dict(report, generated_at=generated_at)
    rendered: dict[str, tuple[str, str | bytes]] = {}
    for fmt in formats:
        if fmt not in RENDERERS:
            raise CheckError(f"unknown report format {fmt!r} (known: {', '.join(RENDERERS)})")
        name, render = RENDERERS[fmt]
        rendered[fmt] = (name, render(report, data))
    try:
        write_all_atomic({out_dir / name: content for name, content in rendered.values()})
    except OSError as exc:
        raise CheckError(f"cannot write the report to {out_dir}: {exc.strerror or exc}") from exc
    return {name: out_dir / name for name, _ in rendered.values()}
