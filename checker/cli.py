"""Command line: a thin layer over the library API. Exit codes: 0 done, 1 findings (where a command
fails on findings), 2 usage or input error."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import typer.core

from .compare import CompareConfig
from .ingest import MAX_BYTES_DEFAULT
from .pipeline import MAX_CLAIMS_DEFAULT, CheckConfig
from .safetext import for_terminal
from .types import CheckError

T = TypeVar("T")
# typer >= 0.2x ships its own copy of click; older versions use click itself
_click_exceptions = getattr(typer.core, "_click", None) or __import__("click")
_click_exceptions = _click_exceptions.exceptions
_NoArgsIsHelp: type[Exception] = getattr(_click_exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {}))

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


def say(text: object = "", *, err: bool = False) -> None:
    """Print a line for a terminal or CI log: document text and file names cannot carry escape sequences."""
    typer.echo(for_terminal(text), err=err)


def warn(message: str) -> None:
    say(f"claimcheck: warning: {message}", err=True)


def fail(message: str) -> typer.Exit:
    say(f"claimcheck: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def internal_error(exc: BaseException) -> typer.Exit:
    """An unexpected failure: one line, and the traceback only when CLAIMCHECK_DEBUG is set."""
    if os.environ.get("CLAIMCHECK_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    say(f"claimcheck: internal error: {type(exc).__name__}: {exc} (set CLAIMCHECK_DEBUG=1 for details)", err=True)
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
        say(f"claimcheck: {interrupted}", err=True)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        raise internal_error(exc) from None


def interruptible(work: Callable[[], T]) -> T:
    """Run the work in a worker thread while the main thread waits, so Ctrl-C is acted on within a
    fraction of a second even while native model code (which does not look at signals) is running."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="claimcheck-work", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def build_config(*, encoder: str | None, nli: str | None, no_cache: bool, max_bytes: int, quiet: bool,
                 max_claims: int | None, nli_threshold: float | None = None, no_slots: bool = False,
                 min_margin: float | None = None, languages: str | None = None,
                 output_dir: Path | None = None) -> CheckConfig:
    """A CheckConfig from the options `check` and `ci` share."""
    config = CheckConfig(encoder=encoder, nli=nli, use_cache=not no_cache, max_bytes=max_bytes,
                         languages=tuple(x.strip().lower() for x in languages.split(",") if x.strip()) if languages else None, progress=not quiet,
                         max_claims=max_claims, output_dir=output_dir, on_warning=None if quiet else warn)
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
    help=f"Contradiction probability (either direction) to report an NLI finding; default "
         f"{CompareConfig().nli_threshold}")]
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
                              min_margin=min_margin, languages=languages, output_dir=out)
        report = interruptible(lambda: run_check(inputs, config))
        written = write_report(report, out, wanted)
        if "html" in wanted:
            from .review import refresh_html

            try:
                refresh_html(out)  # carry earlier review decisions into the new page
            except CheckError as exc:  # the report is written: a broken review database does not undo that
                warn(f"report.html shows no review decisions: {exc}")
    if not quiet:
        print_summary(report, written)


def main(args: list[str] | None = None) -> None:
    """Console entry point: usage errors are one line, like every other error."""
    try:
        code = app(args, standalone_mode=False)
    except _NoArgsIsHelp as exc:
        ctx = getattr(exc, "ctx", None)
        typer.echo(ctx.get_help() if ctx else exc)
        code = EXIT_ERROR
    except _click_exceptions.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "claimcheck"
        say(f"claimcheck: error: {exc.format_message().rstrip('.')} (see '{command} --help')", err=True)
        code = EXIT_ERROR
    except typer.Abort:
        say("claimcheck: interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = EXIT_OK
    if code == 130:  # do not wait for a worker stuck in native code
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(130)
    sys.exit(code or 0)


# Commands defined in their own modules are registered below.
from .evaluate import eval_command  # noqa: E402

app.command("eval")(eval_command)
from .ci import ci as _ci  # noqa: E402

app.command("ci")(_ci)
from .review import review_command  # noqa: E402

app.command("review")(review_command)
