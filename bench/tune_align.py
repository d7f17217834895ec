"""Choose AlignConfig defaults on the dev stories, report them on the test stories.

    python bench/tune_align.py [--dev fixtures/eval/align/ntrex-stories-dev.jsonl]
                               [--test fixtures/eval/align/ntrex-stories-test.jsonl]

Grid search over k, min_margin, one_way_margin and min_cosine (micro F1 over all language pairs);
the cosine-only baseline threshold is tuned on dev the same way, so the comparison is fair.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from checker.align import AlignConfig
from checker.cache import ResultCache, default_cache_dir
from checker.embed import load_encoder
from checker.evaluate import alignment_scores, embed_stories, load_stories, predict_links

ROOT = Path(__file__).resolve().parents[1]
GRID = {
    "k": [2, 3, 4, 6],
    "min_margin": [1.0, 1.01, 1.02, 1.05],
    "one_way_margin": [0.98, 1.0, 1.01, 1.02, 1.03, 1.05, 1.08, 9.9],
    "min_cosine": [0.75, 0.78, 0.80, 0.82],
}
COSINES = [0.70, 0.75, 0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=ROOT / "fixtures/eval/align/ntrex-stories-dev.jsonl")
    parser.add_argument("--test", type=Path, default=ROOT / "fixtures/eval/align/ntrex-stories-test.jsonl")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    encoder = load_encoder()
    cache = ResultCache(default_cache_dir())
    dev_stories, test_stories = load_stories(args.dev), load_stories(args.test)
    dev, test = embed_stories(dev_stories, encoder, cache, True), embed_stories(test_stories, encoder, cache, True)

    def f1(stories, embedded, method: str, config: AlignConfig | None = None, threshold: float = 0.8) -> dict:
        scores = alignment_scores(stories, predict_links(embedded, method, config, threshold))
        orphans = scores["orphans"]
        return {**scores["overall"], "orphan_rate": orphans["falsely_linked"] / max(1, orphans["sentences"])}

    scored = []
    for values in itertools.product(*GRID.values()):
        config = AlignConfig(**dict(zip(GRID, values, strict=True)))
        if config.one_way_margin < config.min_margin:
            continue
        scored.append((f1(dev_stories, dev, "margin", config)["f1"], config))
    scored.sort(key=lambda x: -x[0])
    default = AlignConfig()
    print(f"{'config':<72} {'dev F1':>7} {'test P':>7} {'test R':>7} {'test F1':>7} {'orphans linked':>14}")
    for label, config in [("current default", default)] + [("", c) for _, c in scored[: args.top]]:
        d, t = f1(dev_stories, dev, "margin", config), f1(test_stories, test, "margin", config)
        print(f"{label or str(config):<72} {d['f1']:>7.4f} {t['precision']:>7.4f} {t['recall']:>7.4f} {t['f1']:>7.4f} {t['orphan_rate']:>14.1%}")
    best_cos = max(COSINES, key=lambda c: f1(dev_stories, dev, "cosine", threshold=c)["f1"])
    for c in sorted({0.80, best_cos}):
        d, t = f1(dev_stories, dev, "cosine", threshold=c), f1(test_stories, test, "cosine", threshold=c)
        print(f"{f'cosine-only >= {c}':<72} {d['f1']:>7.4f} {t['precision']:>7.4f} {t['recall']:>7.4f} {t['f1']:>7.4f} {t['orphan_rate']:>14.1%}")


if __name__ == "__main__":
    main()
