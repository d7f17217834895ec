"""``claimcheck ci``: fail a build when a translation says something its source does not (see
``checker.ci`` for findings, baselines and output formats). Exit codes: 0 no new finding, 1 at least one
new finding among the ``--fail-on`` kinds that passes its kind's calibrated rule (or scores at least
``--min-score``), 2 usage or input error, 130
interrupted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..fileio import write_or_fail
from ..safetext import json_text
from ..types import DEFAULT_FAIL_ON, MAX_CLAIMS_DEFAULT, MAX_NLI_PAIRS_DEFAULT, CheckError
from .common import (
    DEFAULT_MAX_MB,
    EXIT_FINDINGS,
    EXIT_OK,
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


def ci(
    source: Annotated[Path, typer.Argument(help="The source document (.txt, .md, .html)")],
    translations: Annotated[list[Path], typer.Argument(help="Translations of it: files, or folders of files")],
    baseline: Annotated[Path | None, typer.Option(help="JSON file of accepted findings (they do not fail)")] = None,
    fail_on: Annotated[str, typer.Option(help="Comma-separated kinds that fail: nli,date,number,place,unmatched "
                                         "or all")] = ",".join(DEFAULT_FAIL_ON),
    min_score: Annotated[float | None, typer.Option(help="Fail on findings scoring at least this (0-1) instead of "
                                                    "each kind's calibrated rule")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json, github (annotations) or sarif")] = "text",
    update_baseline: Annotated[bool, typer.Option("--update-baseline",
                                                  help="Accept all current findings into --baseline")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write ci.json, ci.sarif and each pair's "
                                             "full report (one folder per translation) here")] = None,
    encoder: EncoderOption = None,
    nli: NLIOption = None,
    nli_threshold: NLIThresholdOption = None,
    no_slots: NoSlotsOption = False,
    max_claims: MaxClaimsOption = MAX_CLAIMS_DEFAULT,
    max_nli_pairs: MaxNLIPairsOption = MAX_NLI_PAIRS_DEFAULT,
    max_mb: MaxMBOption = DEFAULT_MAX_MB,
    no_cache: NoCacheOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr")] = False,
) -> None:
    """Check translations against their source; exit 1 when one says something new that the source does not."""
    from .. import pipeline  # the library loads when the command runs, not for --help
    from ..ci import (
        FORMATS,
        PairResult,
        accepted_for,
        check_pair,
        gather_evidence,
        guard_policy,
        load_baseline,
        pair_result,
        parse_kinds,
        read_inputs,
        to_github,
        to_json,
        to_sarif,
        to_text,
        translation_files,
        updated_baseline,
    )
    from ..ingest import input_path_error
    from ..report import write_report

    with reported_errors("interrupted; nothing written"):
        if output_format not in FORMATS:
            raise CheckError(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
        kinds = parse_kinds(fail_on)
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise CheckError("--min-score must be between 0 and 1")
        if update_baseline and baseline is None:
            raise CheckError("--update-baseline needs --baseline FILE")
        error = input_path_error(source)
        if error:
            raise CheckError(error)
        if not source.is_file():
            raise CheckError(f"{source}: the source must be a file")
        files = translation_files(source, translations, out)
        previous = load_baseline(baseline, must_exist=not update_baseline) if baseline else {"accepted": []}
        if out is not None:
            ensure_writable_folder(out)
        if update_baseline:
            assert baseline is not None
            ensure_writable_folder(baseline.parent)
        max_bytes = int(max_mb * 1024 * 1024)
        config = build_config(encoder=encoder, nli=nli, no_cache=no_cache, max_bytes=max_bytes, quiet=quiet,
                              max_claims=max_claims, nli_threshold=nli_threshold, no_slots=no_slots,
                              max_nli_pairs=max_nli_pairs)
        cache = pipeline.open_cache(config)  # detected languages, embeddings and NLI results
        source_doc, tr_docs = read_inputs(source, files, max_bytes, cache)
        for doc in tr_docs:
            if doc.language == source_doc.language and not quiet:
                warn(f"{doc.path} is in the source's language ({doc.language}): checked as a version of the same story")

        policy = guard_policy(config.nli)
        models = interruptible(lambda: pipeline.load_models(config))
        results: list[PairResult] = []
        folders: set[str] = set()
        for n, (file, tr_doc) in enumerate(zip(files, tr_docs, strict=True), start=1):
            if not quiet:
                say(f"claimcheck: [{n}/{len(files)}] {file} against {source}", err=True)
            report = interruptible(lambda tr_doc=tr_doc: check_pair(source_doc, tr_doc, config, models))
            accepted = set() if update_baseline else accepted_for(previous, file)
            evidence = interruptible(lambda report=report: gather_evidence(report, models.encoder, cache, models.nli))
            results.append(pair_result(report, source_doc, tr_doc, set(kinds), min_score, accepted, folders, evidence,
                                       policy))

        if update_baseline:  # everything found now is accepted from now on
            for result in results:
                for finding in result.findings:
                    finding.status = "accepted"
        data = to_json(source_doc, results, kinds, min_score, baseline)
        if out is not None:
            for result in results:
                write_report(result.report, out / result.folder, ("json", "csv", "md"))
            write_or_fail(out / "ci.json", json_text(data) + "\n")
            write_or_fail(out / "ci.sarif", json_text(to_sarif(results)) + "\n")
        if update_baseline:
            assert baseline is not None
            write_or_fail(baseline, json_text(updated_baseline(previous, source, results)) + "\n")

    if output_format == "json":
        say(json_text(data))
    elif output_format == "sarif":
        say(json_text(to_sarif(results)))
    elif output_format == "github":
        text = to_github(results)
        if text:
            say(text)
    else:
        say(to_text(source_doc, results, kinds, min_score))
    if update_baseline:
        total = sum(len(r.findings) for r in results)
        say(f"claimcheck: baseline {baseline} updated: {total} finding(s) accepted", err=True)
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(EXIT_FINDINGS if data["status"] == "fail" else EXIT_OK)
