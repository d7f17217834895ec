"""Choose the ``claimcheck ci`` guard policy on the CI-guard dev documents; report the chosen one.

    python bench/calibrate_guard.py [--data fixtures/eval/ci/ci-dev.jsonl] [--nli SPEC] [--encoder SPEC]

Each document is checked once (reports kept in memory); then each policy setting is swept with the
others at their defaults, printing the false-alarm rate on faithful documents and the detection rate
of the edit kinds it affects. The defaults in ``checker.ci.GuardPolicy`` are set from this output; an NLI
model's own settings (its ``guard`` table in ``models/registry.toml``) are swept from with ``--nli``.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from dataclasses import asdict, fields, replace
from pathlib import Path

from checker.cache import ResultCache, default_cache_dir
from checker.ci import (
    GuardPolicy,
    check_pair,
    findings_of,
    gather_evidence,
    guard_policy,
    negation_checks,
    negation_cosine_gains,
    read_inputs,
)
from checker.evaluate import EDIT_KINDS, GuardItem, guard_outcome, guard_scores, load_guard_items
from checker.pipeline import CheckConfig, load_models
from checker.types import DEFAULT_FAIL_ON

ROOT = Path(__file__).resolve().parents[1]
GRID: dict[str, list[float]] = {
    "nli_min_contradiction": [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1.01],
    "slot_min_similarity": [0.0, 0.8, 0.85, 0.88, 0.9],
    "country_min_similarity": [0.8, 0.85, 0.88, 0.9, 0.92, 0.95, 1.01],
    "one_sided_place_min_similarity": [0.8, 0.85, 0.88, 0.9, 0.92, 0.95, 1.01],
    "polarity_min_contradiction": [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.01],
    "polarity_clausal_min_contradiction": [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 1.01],
    "polarity_min_contradiction_drop": [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.01],
    "polarity_min_entailment_gain": [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.01],
    "polarity_min_cosine_gain": [0.0, 0.003, 0.005, 0.006, 0.008, 0.01, 0.012, 0.015, 0.02, 1.01],
    "polarity_excused_min_contradiction": [0.3, 0.4, 0.5, 0.6, 0.75, 0.85, 1.01],
    "unmatched_max_cosine": [0.8, 0.83, 0.85, 0.87, 0.88, 0.89, 0.9, 0.92, 0.95, 1.01],
    "merge_min_gain": [-1.0, -0.02, 0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 1.0],
    "merge_max_length_loss": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 10.0],
    "merge_min_length_gain": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 10.0],
    "merge_length_max_cosine_loss": [0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 10.0],
}


def run_all(items: list[GuardItem], nli: str | None, encoder: str | None) -> list[tuple]:
    config = CheckConfig(nli=nli, encoder=encoder, progress=False)
    models = load_models(config)
    cache = ResultCache(default_cache_dir())
    kept = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, item in enumerate(items):
            src, tr = Path(tmp) / f"{n}" / "source.txt", Path(tmp) / f"{n}" / "translation.txt"
            src.parent.mkdir()
            src.write_text("\n".join(item.source) + "\n", encoding="utf-8")
            tr.write_text("\n".join(item.translation) + "\n", encoding="utf-8")
            source_doc, (tr_doc,) = read_inputs(src, [tr], config.max_bytes)
            report = check_pair(source_doc, tr_doc, config, models)
            kept.append((item, report, src, gather_evidence(report, models.encoder, cache, models.nli)))
    return kept


def _refresh(report, evidence, models, cache):  # noqa: ANN001, ANN202
    """A kept run's evidence recomputed by the current code but for the alignment (models' outputs come from
    the result cache)."""
    fresh = gather_evidence(report)
    return replace(evidence, polarity=fresh.polarity, negation_claims=fresh.negation_claims, partial=fresh.partial,
                   short_counterpart=fresh.short_counterpart, slots=fresh.slots, length_gain=fresh.length_gain,
                   negation_check=negation_checks(report, fresh.polarity, models.nli, cache),
                   negation_cosine_gain=negation_cosine_gains(report, fresh.polarity, models.encoder, cache))


def score(kept: list[tuple], policy: GuardPolicy) -> dict:
    outcomes = [guard_outcome(item, findings_of(report, src, set(DEFAULT_FAIL_ON), None, set(), evidence, policy))
                for item, report, src, evidence in kept]
    return guard_scores(outcomes)


def row(result: dict) -> str:
    m = result["overall"]
    worst = {k: min((d["detection"][k]["rate"] for d in result["by_direction"].values()
                     if d["detection"][k]["rate"] is not None), default=0.0) for k in EDIT_KINDS}
    def detected(kind: str) -> str:  # data of faithful documents only has no detection to show
        rate = m["detection"][kind]["rate"]
        return "—" if rate is None else f"{100 * rate:5.1f} (min {100 * worst[kind]:3.0f})"

    return (f"FA {100 * m['false_alarm_rate']:5.1f}%  " + "  ".join(f"{k} {detected(k)}" for k in EDIT_KINDS)
            + f"  FA by {m['false_alarm_findings']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "fixtures/eval/ci/ci-dev.jsonl")
    parser.add_argument("--nli", default=None)
    parser.add_argument("--encoder", default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="pickle of the checked documents: read if present, "
                        "else written (to sweep again without re-checking)")
    args = parser.parse_args()
    if args.keep and args.keep.exists():
        kept = pickle.loads(args.keep.read_bytes())
    else:
        kept = run_all(load_guard_items(args.data, args.limit), args.nli, args.encoder)
        if args.keep:
            args.keep.write_bytes(pickle.dumps(kept))
    # the polarity check recomputed (models' outputs cached), so that a kept run follows changes to its cues
    models, cache = load_models(CheckConfig(nli=args.nli, encoder=args.encoder, progress=False)), ResultCache(
        default_cache_dir())
    kept = [(item, report, src, _refresh(report, evidence, models, cache)) for item, report, src, evidence in kept]
    base = guard_policy(args.nli)  # the defaults, with the NLI model's own settings from the registry
    print(f"defaults {asdict(base)}\n  {row(score(kept, base))}")
    for f in fields(GuardPolicy):
        print(f"\n{f.name}:")
        for value in GRID[f.name]:
            print(f"  {value:6.3f}  {row(score(kept, replace(base, **{f.name: value})))}")


if __name__ == "__main__":
    main()
