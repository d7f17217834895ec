"""``claimcheck serve``: a report folder in the browser, with decisions written to its review store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import reported_errors


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
    from ..serve import serve

    with reported_errors("stopped"):
        serve(report_dir, host=host, port=port, gloss=gloss, gloss_lang=gloss_lang, echo=typer.echo)
