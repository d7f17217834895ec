"""Findings against the number of dissenting versions: 30 copies of one real report, k of them with
another death toll. A pairwise checker reports k * (30 - k) conflicts; claimcheck one per dissenter.

    python bench/bench_versions.py [REPORT] [--versions 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from checker.pipeline import CheckConfig, check, load_models

DEFAULT = Path(__file__).resolve().parent.parent / "fixtures/stories/situbondo-quake-2018/04_maduraexpose.id.txt"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--versions", type=int, default=30)
    parser.add_argument("--old", default="ada tiga orang meninggal", help="phrase replaced in dissenting versions")
    parser.add_argument("--new", default="ada empat orang meninggal")
    args = parser.parse_args()
    text = args.report.read_text(encoding="utf-8")
    if args.old not in text:
        raise SystemExit(f"{args.report}: phrase not found: {args.old}")
    config = CheckConfig(progress=False)
    models = load_models(config)
    print("| versions | dissenting | number findings | pairwise conflicts | NLI evals/claim | seconds |")
    print("|---|---|---|---|---|---|")
    for k in (1, 2, 4, 8):
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.versions):
                body = text.replace(args.old, args.new) if i < k else text
                (Path(tmp) / f"v{i:02d}.txt").write_text(body, encoding="utf-8")
            started = time.perf_counter()
            report = check([tmp], config, models)
            seconds = time.perf_counter() - started
        numbers = sum(d.kind == "number" for d in report.discrepancies)
        per_claim = float(report.settings["nli_pair_evaluations"]) / max(1, len(report.claims))  # type: ignore[arg-type]
        print(f"| {args.versions} | {k} | {numbers} | {k * (args.versions - k)} | {per_claim:.2f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
