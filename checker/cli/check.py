"""``claimcheck check``: the language versions of one story, checked against each other."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..safetext import shorten
from ..types import MAX_CLAIMS_DEFAULT, MAX_NLI_PAIRS_DEFAULT, CheckError, Report
from .common import (
    DEFAULT_MAX_MB,
    EncoderOption,
    MaxClaimsOption,
    MaxMBOption,
    MaxNLIPairsOption,
    NLIOption,
    NLIThresholdOption,
    NoCacheOption,
    NoSlotsOption,
    build_config,
    ensure_writable_folder,
    interruptible,
    reported_errors,
    say,
    warn,
)


def _short_claim_id(claim_id: str) -> str:
    doc, _, n = claim_id.rpartition("#")
    return f"{doc[:8]}#{n}"


def print_summary(report: Report, written: dict[str, Path] | None = None, top: int = 10) -> None:
    from ..report import summary_counts

    echo = say
    echo("")
    echo(f"{'document':<24} {'lang':<5} {'dateline':<11} {'claims':>6} {'dropped':>7}")
    claims_per_doc: dict[str, int] = {}
    for claim in report.claims:
        claims_per_doc[claim.doc_id] = claims_per_doc.get(claim.doc_id, 0) + 1
    dropped_per_doc: dict[str, int] = {}
    for item in report.dropped:
        dropped_per_doc[item.doc_id] = dropped_per_doc.get(item.doc_id, 0) + 1
    for doc in report.documents:
        dateline = doc.dateline.isoformat() if doc.dateline else "-"
        echo(f"{shorten(doc.id, 24):<24} {doc.language:<5} {dateline:<11} {claims_per_doc.get(doc.id, 0):>6} "
             f"{dropped_per_doc.get(doc.id, 0):>7}")
    for item in report.skipped:
        echo(f"skipped {item['path']}: {item['reason']}")
    for warning in report.settings.get("warnings", []):
        echo(f"warning: {warning}")
    doc_of = {c.id: c.doc_id for c in report.claims}
    multi = [g for g in report.groups if len({doc_of[c] for c in g.claims}) > 1]
    echo(f"\n{len(report.groups)} groups of equivalent claims ({len(multi)} spanning several documents), "
         f"{len(report.pairs)} aligned pairs")
    counts = summary_counts(report)
    echo("discrepancies: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if report.discrepancies:
        echo(f"\n{'id':<5} {'kind':<9} {'score':>5}  {'claims':<28} values / text")
        for d in report.discrepancies[:top]:
            pair = _short_claim_id(d.claim_a)
            if d.claim_b:
                pair += f" ~ {_short_claim_id(d.claim_b)}"
            detail = (f"{'; '.join(d.values_a) or '(none)'} vs {'; '.join(d.values_b) or '(none)'}"
                      if d.values_a or d.values_b
                      else shorten(d.text_a, 60))
            echo(f"{d.id:<5} {d.kind:<9} {d.score:>5.2f}  {pair:<28} {detail}")
        if len(report.discrepancies) > top:
            echo(f"… {len(report.discrepancies) - top} more in the report")
    for model in report.models:
        echo(f"{model.role}: {model.name} {model.version}{'' if model.real else ' (TEST MODEL)'}")
    if not any(m.role == "nli" for m in report.models):
        echo("nli: none (fact slots and omissions only)")
    if written:
        echo("wrote " + ", ".join(str(p) for p in written.values()))


def check(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders, one language version per file "
                                                 "(.txt, .md, .html)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report files")] = Path("reports/latest"),
    encoder: EncoderOption = None,
    nli: NLIOption = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: json,csv,md,html,groups")] = (
        "json,csv,md,html,groups"),
    min_margin: Annotated[float | None, typer.Option(help="Alignment margin for mutual nearest neighbours")] = None,
    nli_threshold: NLIThresholdOption = None,
    languages: Annotated[str | None, typer.Option(help="Only check these languages, e.g. ar,fa,ms")] = None,
    max_mb: MaxMBOption = DEFAULT_MAX_MB,
    max_claims: MaxClaimsOption = MAX_CLAIMS_DEFAULT,
    max_nli_pairs: MaxNLIPairsOption = MAX_NLI_PAIRS_DEFAULT,
    no_slots: NoSlotsOption = False,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summary")] = False,
) -> None:
    """Check the language versions of one story; write report.json, discrepancies.csv, report.md,
    report.html and groups.csv into --out."""
    from ..pipeline import check as run_check
    from ..report import RENDERERS, write_report

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    with reported_errors("interrupted; no report written"):
        unknown = [f for f in wanted if f not in RENDERERS]
        if unknown:
            raise CheckError(f"unknown --format {', '.join(unknown)} (known: {', '.join(RENDERERS)})")
        ensure_writable_folder(out)
        config = build_config(encoder=encoder, nli=nli, no_cache=no_cache, max_bytes=int(max_mb * 1024 * 1024),
                              quiet=quiet, max_claims=max_claims, nli_threshold=nli_threshold, no_slots=no_slots,
                              min_margin=min_margin, languages=languages, output_dir=out,
                              max_nli_pairs=max_nli_pairs)
        report = interruptible(lambda: run_check(inputs, config))
        written = write_report(report, out, wanted)
        if "html" in wanted:
            from ..review import refresh_html

            try:
                refresh_html(out)  # carry earlier review decisions into the new page
            except CheckError as exc:  # the report is written: a broken review database does not undo that
                warn(f"report.html shows no review decisions: {exc}")
    if not quiet:
        print_summary(report, written)
