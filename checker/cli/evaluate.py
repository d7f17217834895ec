"""``claimcheck eval``: the models measured on labelled data (see ``checker.evaluate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..evaluate import evaluate, render_text
from ..fileio import write_or_fail
from ..safetext import json_text
from .common import EncoderOption, NLIOption, NoCacheOption, reported_errors, say


def eval_command(
    dataset: Annotated[Path, typer.Argument(help="NLI pairs, alignment stories or CI-guard documents (.jsonl), or parallel .tsv")],
    limit: Annotated[int | None, typer.Option(help="Only the first N pairs / stories")] = None,
    nli: NLIOption = None,
    encoder: EncoderOption = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the full result as JSON")] = None,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars")] = False,
) -> None:
    """Evaluate the models on labelled data: NLI pairs (JSONL) or alignment gold (JSONL stories, TSV)."""
    with reported_errors():
        result = evaluate(dataset, limit=limit, nli=nli, encoder=encoder, use_cache=not no_cache, progress=not quiet)
        if json_out is not None:
            write_or_fail(json_out, json_text(result) + "\n")
    say(render_text(result))
