"""What the commands share: exit codes, one-line errors, terminal-safe printing, Ctrl-C handling and
the options `check` and `ci` have in common (with the library's defaults)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
import typer.core

from ..safetext import for_terminal
from ..types import DEFAULT_NLI_THRESHOLD, MAX_BYTES_DEFAULT, MAX_NLI_PAIRS_DEFAULT, CheckError

if TYPE_CHECKING:  # the pipeline (numpy, models) loads only when a command runs
    from ..pipeline import CheckConfig

T = TypeVar("T")
# typer >= 0.2x ships its own copy of click; older versions use click itself
_click_exceptions = (getattr(typer.core, "_click", None) or __import__("click")).exceptions
UsageError: type[Exception] = _click_exceptions.UsageError
NoArgsIsHelp: type[Exception] = getattr(_click_exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {}))

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3


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
                 output_dir: Path | None = None, max_nli_pairs: int | None = MAX_NLI_PAIRS_DEFAULT) -> CheckConfig:
    """A CheckConfig from the options `check` and `ci` share."""
    from ..pipeline import CheckConfig

    config = CheckConfig(encoder=encoder, nli=nli, use_cache=not no_cache, max_bytes=max_bytes,
                         languages=tuple(x.strip().lower() for x in languages.split(",") if x.strip()) if languages else None, progress=not quiet,
                         max_claims=max_claims, output_dir=output_dir, on_warning=None if quiet else warn)
    if min_margin is not None:
        config.align = replace(config.align, min_margin=min_margin)
    if nli_threshold is not None:
        config.compare = replace(config.compare, nli_threshold=nli_threshold)
    if no_slots:
        config.compare = replace(config.compare, slots=False)
    config.compare = replace(config.compare, max_nli_pairs=max_nli_pairs)
    return config


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
MaxNLIPairsOption = Annotated[int, typer.Option(min=0, help="Claim pairs NLI runs on per check at most (two "
                                                          "evaluations each); beyond it the least informative "
                                                          "are skipped with a warning")]
DEFAULT_MAX_MB = MAX_BYTES_DEFAULT / (1024 * 1024)
