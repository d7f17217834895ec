"""The command line: one module per command over the library API, all registered here.
Exit codes: 0 done, 1 findings (where a command fails on findings), 2 usage or input error,
3 internal error, 130 interrupted.

To add a command: write ``checker/cli/<name>.py`` with a plain function using the shared options and
``reported_errors`` from ``common``, and add it to ``COMMANDS`` below."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from . import batch, check, ci, evaluate, review, serve
from .common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    NoArgsIsHelp,
    PlainValuesCommand,
    PlainValuesGroup,
    UsageError,
    say,
)

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_OK", "app", "help_page", "main"]

PROG = "claimcheck"
# A command allocates a few hundred thousand objects and frees nearly all of them by reference counting:
# looking for cycles every 700 allocations (Python's default) costs a cached check some 40 ms.
GC_YOUNG_THRESHOLD = 100_000
# Plain help pages: rich's panels cost a fifth of a second on every --help.
app = typer.Typer(cls=PlainValuesGroup, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Find where the language versions of one story disagree.")

# name -> command function, in the order `claimcheck --help` lists them
COMMANDS: dict[str, Callable[..., None]] = {
    "check": check.check,
    "eval": evaluate.eval_command,
    "ci": ci.ci,
    "review": review.review,
    "serve": serve.serve_command,
    "batch": batch.batch,
}
for _name, _command in COMMANDS.items():
    app.command(_name, cls=PlainValuesCommand)(_command)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"claimcheck {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit")] = False) -> None:
    """claimcheck: cross-lingual claim-consistency checker."""


def help_page(args: list[str]) -> str | None:
    """The page `claimcheck --help` or `claimcheck COMMAND --help` asks for, made without parsing any
    option (typer's option parsing loads pydantic, which a help page does not need); None for any
    other command line."""
    if args == ["--help"]:
        names: list[str] = []
    elif len(args) == 2 and args[1] == "--help" and args[0] in COMMANDS:
        names = args[:1]
    else:
        return None
    command = typer.main.get_command(app)
    ctx = command.context_class(command, info_name=PROG)
    for name in names:
        command = command.get_command(ctx, name)  # type: ignore[attr-defined]
        ctx = command.context_class(command, info_name=name, parent=ctx)
    return command.get_help(ctx)


def main(args: list[str] | None = None) -> None:
    """Console entry point: usage errors are one line, like every other error."""
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    page = help_page(sys.argv[1:] if args is None else args)
    if page is not None:
        typer.echo(page)
        sys.exit(EXIT_OK)
    try:
        code = app(args, prog_name=PROG, standalone_mode=False)
    except NoArgsIsHelp as exc:
        ctx = getattr(exc, "ctx", None)
        typer.echo(ctx.get_help() if ctx else exc)
        code = EXIT_ERROR
    except UsageError as exc:
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
    # The process ends here: the collections of interpreter shutdown would walk every object still alive
    # (a tenth of a second after a check) only to find what the exit frees anyway.
    gc.freeze()
    sys.exit(code or 0)
