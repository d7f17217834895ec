"""What the fact-slot layer adds to a ``check`` run: compare stage and total, slots off vs on.

    python bench/bench_slots.py [--repeat 5] [STORY_FOLDER ...]

Defaults to every story folder shipped under fixtures/ (except eval data). Embeddings are cached
by a warm-up run first, so the difference is the slot work itself; target: < 20% of a run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from checker.compare import CompareConfig
from checker.pipeline import CheckConfig, check, load_models

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stories", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    try:
        import checker.slots  # noqa: F401
    except ImportError:
        raise SystemExit("checker.slots is not available") from None
    folders = args.stories or sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir() and p.name != "eval")
    models = load_models(CheckConfig())
    with tempfile.TemporaryDirectory(prefix="claimcheck-bench-") as tmp:
        base = CheckConfig(cache_dir=Path(tmp), progress=False)
        print("| story | claims | aligned pairs | compare off s | compare on s | total off s | total on s | added |")
        print("|---|---|---|---|---|---|---|---|")
        for folder in folders:
            check([folder], base, models=models)  # fill the embedding cache
            runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            report = None
            for _ in range(args.repeat):
                for slots in (False, True):
                    config = replace(base, compare=CompareConfig(slots=slots))
                    t0 = time.perf_counter()
                    report = check([folder], config, models=models)
                    runs[slots].append((report.timings["compare"], time.perf_counter() - t0))
            off = [statistics.median(x) for x in zip(*runs[False], strict=True)]
            on = [statistics.median(x) for x in zip(*runs[True], strict=True)]
            assert report is not None
            print(f"| {folder.name} | {len(report.claims)} | {len(report.pairs)} | {off[0]:.3f} | {on[0]:.3f} "
                  f"| {off[1]:.3f} | {on[1]:.3f} | {(on[1] - off[1]) / off[1]:+.1%} |")


if __name__ == "__main__":
    main()
