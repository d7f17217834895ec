"""What the commands share: exit codes, one-line errors, terminal-safe printing, Ctrl-C handling, the
options `check` and `ci` have in common (with the library's defaults), and option values converted
without pydantic."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_args, get_origin

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
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the result cache (embeddings, "
                                                          "NLI results, detected languages)")]
MaxNLIPairsOption = Annotated[int, typer.Option(min=0, help="Claim pairs NLI runs on per check at most (two "
                                                          "evaluations each); beyond it the least informative "
                                                          "are skipped with a warning")]
DEFAULT_MAX_MB = MAX_BYTES_DEFAULT / (1024 * 1024)


# ---------------------------------------------------------------- option values without pydantic
# typer (0.2x on) converts every value with a pydantic TypeAdapter; importing pydantic and building the
# adapters takes about a tenth of a second on every run. The plain values of this command line (text,
# paths, whole and decimal numbers) are converted here exactly as typer converts them; anything else,
# every value typer would reject included, is left to typer, so results and error messages stay its own.

_WHOLE = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class _LeftToTyper(Exception):
    """A value typer converts (or rejects) itself."""


def _in_range(number: int | float, info: Any) -> int | float:
    if info.clamp or (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
        raise _LeftToTyper
    return number


def _path(value: object, info: Any) -> Path:
    """What typer makes of a path with its default checks: the path, once it is known to be readable
    when it exists."""
    plain_checks = (info.path_type in (None, Path) and info.file_okay and info.dir_okay and not info.exists
                    and not info.resolve_path and not info.writable and not info.allow_dash
                    and not getattr(info, "executable", False))
    if not plain_checks or not (isinstance(value, Path) or (isinstance(value, str) and value)):
        raise _LeftToTyper
    path = Path(value)
    try:
        os.stat(path)
    except OSError:
        return path  # need not exist
    if info.readable and not os.access(path, os.R_OK):
        raise _LeftToTyper  # typer says why
    return path


def _plain(annotation: object, value: object, info: Any) -> object:
    """One value of ``annotation``, as typer's adapter returns it."""
    if (annotation is str and isinstance(value, str)) or (annotation is bool and isinstance(value, bool)):
        return value
    if annotation is int and (type(value) is int or (isinstance(value, str) and _WHOLE.fullmatch(value))):
        return _in_range(int(str(value)), info)
    if annotation is float and (type(value) is float or (isinstance(value, str) and _DECIMAL.fullmatch(value))):
        return _in_range(float(str(value)), info)
    if annotation is Path:
        return _path(value, info)
    raise _LeftToTyper


class _PlainCoercion:
    """typer's runtime coercion of one parameter, with plain values converted here."""

    def __init__(self, param: Any, typer_coercion: Any) -> None:
        self.descriptor = param.type_descriptor
        self.typer_coercion = typer_coercion

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        descriptor, info = self.descriptor, self.descriptor.parameter_info
        try:
            if info.parser is not None or descriptor.file_annotation is not None:
                raise _LeftToTyper
            if not multiple:
                return _plain(descriptor.annotation, value, info)
            if get_origin(descriptor.annotation) is not list or isinstance(value, str | bytes):
                raise _LeftToTyper
            [item] = get_args(descriptor.annotation)
            return [_plain(item, v, info) for v in value]
        except _LeftToTyper:
            return self.typer_coercion().coerce(value, param=param, ctx=ctx)


def _with_plain_values(params: list[Any]) -> list[Any]:
    """``params`` with their runtime coercion replaced (once); a typer without one converts values with
    click's types, which need no pydantic."""
    for param in params:
        typer_coercion = getattr(param, "get_runtime_param", None)
        if typer_coercion is not None and hasattr(param, "type_descriptor") and "get_runtime_param" not in vars(param):
            coercion = _PlainCoercion(param, typer_coercion)
            param.get_runtime_param = lambda coercion=coercion: coercion
    return params


class PlainValuesCommand(typer.core.TyperCommand):
    """A typer command whose plain values are converted without pydantic (``app.command(cls=...)``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _with_plain_values(super().get_params(ctx))


class PlainValuesGroup(typer.core.TyperGroup):
    """The same for the options before a command (``typer.Typer(cls=...)``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _with_plain_values(super().get_params(ctx))
