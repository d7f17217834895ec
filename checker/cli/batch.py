"""``claimcheck batch``: many stories, models loaded once per worker, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..types import MAX_CLAIMS_DEFAULT, MAX_NLI_PAIRS_DEFAULT, CheckError
from .common import (
    DEFAULT_MAX_MB,
    EXIT_FINDINGS,
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
    reported_errors,
)


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
    max_nli_pairs: MaxNLIPairsOption = MAX_NLI_PAIRS_DEFAULT,
    no_slots: NoSlotsOption = False,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary")] = False,
) -> None:
    """Check many stories: a report per story in OUT/<story>/ (as check writes it), and index.html,
    stories.csv, discrepancies.csv over all. Unchanged stories are skipped on a re-run; a story that fails
    is reported and skipped. Exit 1 when some story failed."""
    from ..batch import dask_client, printable, read_stories, run_batch

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    with reported_errors("interrupted; finished stories are kept, run again to continue"):
        if engine not in ("local", "dask"):
            raise CheckError(f"unknown --engine {engine} (known: local, dask)")
        if scheduler and engine != "dask":
            raise CheckError("--scheduler needs --engine dask")
        ensure_writable_folder(out)
        config = build_config(encoder=encoder, nli=nli, no_cache=no_cache, max_bytes=int(max_mb * 1024 * 1024),
                              quiet=True, max_claims=max_claims, nli_threshold=nli_threshold, no_slots=no_slots,
                              max_nli_pairs=max_nli_pairs)
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
