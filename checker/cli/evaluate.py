"""``claimcheck eval``: the models measured on labelled data (see ``checker.evaluate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..fileio import write_or_fail
from ..safetext import json_text
from .common import EncoderOption, NLIOption, NoCacheOption, reported_errors, say


def eval_command(
    dataset: Annotated[Path, typer.Argument(help="NLI pairs, alignment stories or CI-guard documents "
                                                 "(.jsonl), parallel .tsv, or a folder of multi-outlet stories "
                                                 "with gold.json")],
    limit: Annotated[int | None, typer.Option(help="Only the first N pairs / stories")] = None,
    nli: NLIOption = None,
    encoder: EncoderOption = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the full result as JSON")] = None,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars")] = False,
) -> None:
    """Evaluate the models on labelled data: NLI pairs (JSONL), alignment gold (JSONL stories, TSV), or
    multi-outlet stories against their gold (a story folder, or a folder of them)."""
    from ..evaluate import evaluate, render_text

    with reported_errors():
        if dataset.is_dir():
            from ..pipeline import CheckConfig
            from ..storyeval import evaluate_stories
            from ..storyeval import render_text as render_stories

            result = evaluate_stories(dataset, CheckConfig(encoder=encoder, nli=nli, use_cache=not no_cache,
                                                           progress=False))
        else:
            result = evaluate(dataset, limit=limit, nli=nli, encoder=encoder, use_cache=not no_cache,
                              progress=not quiet)
        if json_out is not None:
            write_or_fail(json_out, json_text(result) + "\n")
    say(render_stories(result) if result.get("kind") == "stories" else render_text(result))
