"""Where the time goes: throughput per stage, NLI calls vs all-pairs NLI, cold vs cached runs, memory.

    python bench/bench_pipeline.py [--stories fixtures/eval/align/ntrex-stories-test.jsonl]
                                   [--per-language 300] [--nli SPEC] [--encoder SPEC]

Runs ``check`` on each story folder shipped under fixtures/ (except eval data) and on a synthetic
corpus: the alignment test stories written to a temporary folder, one .txt per language. Each corpus
is run twice with a fresh temporary embedding cache (cold, then cached); models are loaded once,
before timing, and reported separately.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import tempfile
import time
from pathlib import Path

from checker.pipeline import CheckConfig, check, load_models
from checker.types import Report

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "segment", "embed", "align", "compare")


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def synthetic_corpus(stories_path: Path, per_language: int, folder: Path) -> int:
    """Write the stories' sentences, one paragraph per story, one file per language; returns sentences."""
    from checker.evaluate import load_stories

    texts: dict[str, list[str]] = {}
    for story in load_stories(stories_path):
        for lang, sentences in story.docs.items():
            if sum(len(p) for p in texts.get(lang, [])) < per_language:
                texts.setdefault(lang, []).append(sentences)
    total = 0
    for lang, paragraphs in texts.items():
        (folder / f"{lang}.txt").write_text("\n\n".join(" ".join(p) for p in paragraphs) + "\n", encoding="utf-8")
        total += sum(len(p) for p in paragraphs)
    return total


def all_pairs_evaluations(report: Report) -> int:
    """NLI evaluations if every cross-document claim pair were compared (both directions)."""
    sizes: dict[str, int] = {}
    for claim in report.claims:
        sizes[claim.doc_id] = sizes.get(claim.doc_id, 0) + 1
    return sum(2 * a * b for a, b in itertools.combinations(sizes.values(), 2))


def bench(name: str, inputs: list[Path], models, base: CheckConfig) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="claimcheck-bench-") as tmp:
        config = CheckConfig(encoder=base.encoder, nli=base.nli, cache_dir=Path(tmp), progress=False)
        t0 = time.perf_counter()
        cold = check(inputs, config, models=models)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached = check(inputs, config, models=models)
        cached_s = time.perf_counter() - t0
    n = len(cold.claims)
    nli_evals = int(cold.settings.get("nli_pair_evaluations", 0))
    all_pairs = all_pairs_evaluations(cold)
    print(f"\n## {name}: {len(cold.documents)} documents "
          f"({', '.join(sorted(d.language for d in cold.documents))}), {n} claims, {len(cold.pairs)} aligned pairs")
    print("| stage | cold s | cold claims/s | cached s | cached claims/s |")
    print("|---|---|---|---|---|")
    for stage in STAGES:
        a, b = cold.timings.get(stage, 0.0), cached.timings.get(stage, 0.0)
        print(f"| {stage} | {a:.2f} | {n / a if a else float('inf'):,.0f} | {b:.2f} | {n / b if b else float('inf'):,.0f} |")
    print(f"| total (wall) | {cold_s:.2f} | {n / cold_s:,.1f} | {cached_s:.2f} | {n / cached_s:,.1f} |")
    fewer = f", {all_pairs / nli_evals:.0f} x more" if nli_evals else ""
    print(f"NLI pair evaluations: {nli_evals} = {nli_evals / max(1, n):.2f} x claims (target <= 3); "
          f"all-pairs NLI would make {all_pairs} ({all_pairs / max(1, n):.0f} x claims{fewer})")
    print(f"cached re-run: {cached_s:.2f} s = {cached_s / cold_s:.1%} of cold {cold_s:.2f} s (target < 10%)")
    print(f"peak RSS so far: {peak_rss_mb():.0f} MB")
    return {"claims": n, "cold_s": cold_s, "cached_s": cached_s, "nli_evaluations": nli_evals,
            "all_pairs": all_pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=Path, default=ROOT / "fixtures/eval/align/ntrex-stories-test.jsonl")
    parser.add_argument("--per-language", type=int, default=300, help="sentences per language in the synthetic corpus")
    parser.add_argument("--nli", default=None)
    parser.add_argument("--encoder", default=None)
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    base = CheckConfig(encoder=args.encoder, nli=args.nli)
    t0 = time.perf_counter()
    models = load_models(base)
    print(f"models: {models.encoder.info.name} + {models.nli.info.name if models.nli else 'no NLI'}, "
          f"loaded in {time.perf_counter() - t0:.2f} s; peak RSS {peak_rss_mb():.0f} MB")
    folders = sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir() and p.name != "eval")
    for folder in folders:
        bench(f"fixture story {folder.name}", [folder], models, base)
    if not args.skip_synthetic:
        with tempfile.TemporaryDirectory(prefix="claimcheck-corpus-") as tmp:
            sentences = synthetic_corpus(args.stories, args.per_language, Path(tmp))
            result = bench(f"synthetic corpus ({sentences} sentences from {args.stories.name})", [Path(tmp)],
                           models, base)
            verdict = "met" if result["claims"] >= 1000 and result["cold_s"] < 120 else "not met"
            print(f"target 1,000+ claims cold in < 120 s: {verdict} ({result['claims']} claims, "
                  f"{result['cold_s']:.1f} s)")


if __name__ == "__main__":
    main()
