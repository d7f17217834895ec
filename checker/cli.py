"""Command line: a thin layer over the library API. Exit codes: 0 done, 1 findings (where a command
fails on findings), 2 usage or input error."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from .compare import DEFAULT_NLI_THRESHOLD
from .ingest import MAX_BYTES_DEFAULT
from .pipeline import MAX_CLAIMS_DEFAULT, CheckConfig
from .types import CheckError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Find where the language versions of one story disagree.")

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"claimcheck {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit")] = False) -> None:
    """claimcheck: cross-lingual claim-consistency checker."""


def fail(message: str) -> typer.Exit:
    typer.echo(f"claimcheck: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def internal_error(exc: BaseException) -> typer.Exit:
    """An unexpected failure: one line, and the traceback only when CLAIMCHECK_DEBUG is set."""
    if os.environ.get("CLAIMCHECK_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    typer.echo(f"claimcheck: internal error: {type(exc).__name__}: {exc} (set CLAIMCHECK_DEBUG=1 for details)",
               err=True)
    return typer.Exit(EXIT_INTERNAL)


def ensure_writable_folder(folder: Path) -> None:
    """Fail before any work when the output folder cannot be created or written (nothing is created here)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise CheckError(f"cannot write to {folder}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CheckError(f"cannot write to {folder}: permission denied")


@contextmanager
def reported_errors(interrupted: str = "interrupted") -> Iterator[None]:
    """One-line messages and exit codes for the commands: 2 for input errors, 3 for internal ones,
    130 when interrupted; never a traceback."""
    try:
        yield
    except CheckError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo(f"claimcheck: {interrupted}", err=True)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        raise internal_error(exc) from None


def build_config(*, encoder: str | None, nli: str | None, no_cache: bool, max_bytes: int, quiet: bool,
                 max_claims: int | None, nli_threshold: float | None = None, no_slots: bool = False,
                 min_margin: float | None = None, languages: str | None = None) -> CheckConfig:
    """A CheckConfig from the options `check` and `ci` share."""
    config = CheckConfig(encoder=encoder, nli=nli, use_cache=not no_cache, max_bytes=max_bytes,
                         languages=tuple(x.strip().lower() for x in languages.split(",") if x.strip()) if languages else None, progress=not quiet,
                         max_claims=max_claims)
    if min_margin is not None:
        config.align = replace(config.align, min_margin=min_margin)
    if nli_threshold is not None:
        config.compare = replace(config.compare, nli_threshold=nli_threshold)
    if no_slots:
        config.compare = replace(config.compare, slots=False)
    return config


def _short(text: str | None, width: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_claim_id(claim_id: str) -> str:
    doc, _, n = claim_id.rpartition("#")
    return f"{doc[:8]}#{n}"


def print_summary(report, written: dict[str, Path] | None = None, top: int = 10) -> None:
    from .report import summary_counts

    echo = typer.echo
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
        echo(f"{_short(doc.id, 24):<24} {doc.language:<5} {dateline:<11} {claims_per_doc.get(doc.id, 0):>6} "
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
                      else _short(d.text_a, 60))
            echo(f"{d.id:<5} {d.kind:<9} {d.score:>5.2f}  {pair:<28} {detail}")
        if len(report.discrepancies) > top:
            echo(f"… {len(report.discrepancies) - top} more in the report")
    for model in report.models:
        echo(f"{model.role}: {model.name} {model.version}{'' if model.real else ' (TEST MODEL)'}")
    if not any(m.role == "nli" for m in report.models):
        echo("nli: none (fact slots and omissions only)")
    if written:
        echo("wrote " + ", ".join(str(p) for p in written.values()))


# Options shared by `check` and `ci`, with the library's defaults.
EncoderOption = Annotated[str | None, typer.Option(help="Encoder: registry name, hub id or local path")]
NLIOption = Annotated[str | None, typer.Option(help="NLI model: registry name, hub id, local path, or 'none'")]
NLIThresholdOption = Annotated[float | None, typer.Option(
    help=f"Contradiction probability (either direction) to report an NLI finding; default: the NLI model's "
         f"calibrated threshold ({DEFAULT_NLI_THRESHOLD} for models without one)")]
NoSlotsOption = Annotated[bool, typer.Option("--no-slots", help="Skip fact-slot comparison")]
MaxMBOption = Annotated[float, typer.Option(help="Largest input file in MB")]
MaxClaimsOption = Annotated[int, typer.Option(min=1, help="Claims checked per document; the rest is skipped "
                                                          "with a warning")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the embedding cache")]
DEFAULT_MAX_MB = MAX_BYTES_DEFAULT / (1024 * 1024)


@app.command()
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
    no_slots: NoSlotsOption = False,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summary")] = False,
) -> None:
    """Check the language versions of one story; write report.json, discrepancies.csv, report.md,
    report.html and groups.csv into --out."""
    from .pipeline import check as run_check
    from .report import RENDERERS, write_report

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    with reported_errors("interrupted; no report written"):
        unknown = [f for f in wanted if f not in RENDERERS]
        if unknown:
            raise CheckError(f"unknown --format {', '.join(unknown)} (known: {', '.join(RENDERERS)})")
        ensure_writable_folder(out)
        config = build_config(encoder=encoder, nli=nli, no_cache=no_cache, max_bytes=int(max_mb * 1024 * 1024),
                              quiet=quiet, max_claims=max_claims, nli_threshold=nli_threshold, no_slots=no_slots,
                              min_margin=min_margin, languages=languages)
        report = run_check(inputs, config)
        written = write_report(report, out, wanted)
        if "html" in wanted:
            from .review import refresh_html

            refresh_html(out)  # carry earlier review decisions into the new page
    if not quiet:
        print_summary(report, written)


@app.command("serve")
def serve_command(
    report_dir: Annotated[Path, typer.Argument(help="Folder written by `claimcheck check --out`")],
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 unless others must reach it")] = (
        "127.0.0.1"),
    gloss: Annotated[str | None, typer.Option(help="Translation model (hub id or local path, e.g. an opus-mt or "
                                                   "NLLB model) for a machine-translation gloss of each claim")] = None,
    gloss_lang: Annotated[str, typer.Option(help="Language of the gloss (the editor's)")] = "en",
) -> None:
    """Review a report in the browser: decide findings with buttons or keys; decisions go to review.sqlite."""
    from .serve import serve

    with reported_errors("stopped"):
        serve(report_dir, host=host, port=port, gloss=gloss, gloss_lang=gloss_lang, echo=typer.echo)


@app.command()
def batch(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="A folder of story folders, or a manifest "
                                           "(.csv/.jsonl: story_id, paths, optional dateline and source)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the per-story reports and the summary")],
    workers: Annotated[int, typer.Option(min=1, help="Worker processes, each loading the models once")] = 1,
    engine: Annotated[str, typer.Option(help="local (process pool) or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (with --engine dask); "
                                                   "default: a local cluster of --workers processes")] = None,
    encoder: EncoderOption = None,
    nli: NLIOption = None,
    formats: Annotated[str, typer.Option("--format", help="Per-story reports, as for check")] = (
        "json,csv,md,html,groups"),
    nli_threshold: NLIThresholdOption = None,
    max_mb: MaxMBOption = DEFAULT_MAX_MB,
    max_claims: MaxClaimsOption = MAX_CLAIMS_DEFAULT,
    no_slots: NoSlotsOption = False,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary")] = False,
) -> None:
    """Check many stories: a report per story in OUT/<story>/ (as check writes it), and index.html,
    stories.csv, discrepancies.csv over all. Unchanged stories are skipped on a re-run; a story that fails
    is reported and skipped. Exit 1 when some story failed."""
    from .batch import dask_client, printable, read_stories, run_batch

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    with reported_errors("interrupted; finished stories are kept, run again to continue"):
        if engine not in ("local", "dask"):
            raise CheckError(f"unknown --engine {engine} (known: local, dask)")
        if scheduler and engine != "dask":
            raise CheckError("--scheduler needs --engine dask")
        ensure_writable_folder(out)
        config = build_config(encoder=encoder, nli=nli, no_cache=no_cache, max_bytes=int(max_mb * 1024 * 1024),
                              quiet=True, max_claims=max_claims, nli_threshold=nli_threshold, no_slots=no_slots)
        stories, problems = read_stories(source, exclude=out)
        for line in problems:
            typer.echo(f"claimcheck: {line}", err=True)
        client = dask_client(scheduler, workers) if engine == "dask" else None
        try:
            result = run_batch(stories, out, config, formats=wanted, workers=workers, client=client,
                               progress=not quiet, on_failure=lambda sid, why: typer.echo(
                                   f"claimcheck: story {printable(sid)} failed: {printable(why, 300)}", err=True))
        finally:
            if client is not None:
                client.close()
    if not quiet:
        typer.echo(f"{len(result.checked)} checked, {len(result.unchanged)} unchanged, {len(result.failed)} failed; "
                   f"wrote {out / 'index.html'}")
    if result.failed:
        raise typer.Exit(EXIT_FINDINGS)


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except BrokenPipeError:
        sys.exit(EXIT_OK)


# Commands defined in their own modules are registered below.
from .evaluate import eval_command  # noqa: E402

app.command("eval")(eval_command)
from .ci import ci as _ci  # noqa: E402

app.command("ci")(_ci)
from .review import review_command  # noqa: E402

app.command("review")(review_command)
