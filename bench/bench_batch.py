"""Corpus throughput: N separate `claimcheck check` processes vs `claimcheck batch` with 1 and 2 workers.

    python bench/bench_batch.py [--stories 20] [--sentences N] [--encoder SPEC] [--nli SPEC] [--skip-separate]

Generates N stories × 5 language versions from the labelled NTREX stories in fixtures/eval/align
(story k uses base story k mod 40; later rounds rotate the sentences so no two stories are identical;
``--sentences`` keeps the first N sentences of each version, e.g. 12 for wire-story length),
then times each mode with a fresh empty embedding cache, and a re-run of the 2-worker batch with nothing
changed. Prints stories/s and the peak memory of one worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "fixtures" / "eval" / "align").glob("ntrex-stories-*.jsonl"))


def generate(folder: Path, n: int, per_version: int = 0) -> list[Path]:
    """Write n story folders (one .txt per language, a dateline line first); returns them."""
    base = [json.loads(line) for path in SOURCES for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    stories = []
    for k in range(n):
        story = base[k % len(base)]
        shift = k // len(base)
        target = folder / f"story-{k:05d}"
        target.mkdir(parents=True)
        for lang, sentences in sorted(story["docs"].items()):
            rotated = sentences[shift % len(sentences):] + sentences[: shift % len(sentences)]
            kept = rotated[:per_version] if per_version else rotated
            text = "date 2024-03-04\n" + "\n".join(kept) + "\n"
            (target / f"{lang}.txt").write_text(text, encoding="utf-8")
        stories.append(target)
    return stories


_MEASURE = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time, and the peak RSS (MB) of the largest process the command ran (itself or a worker)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=0, help="keep the first N sentences per version")
    parser.add_argument("--encoder")
    parser.add_argument("--nli")
    parser.add_argument("--skip-separate", action="store_true", help="skip the N separate check processes")
    args = parser.parse_args()
    models = [*(["--encoder", args.encoder] if args.encoder else []), *(["--nli", args.nli] if args.nli else [])]
    cli = [sys.executable, "-m", "checker"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        stories = generate(tmp_path / "corpus", args.stories, args.sentences)
        env = dict(os.environ, PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="false")
        rows: list[tuple[str, float, float]] = []
        claims = sum(len(f.read_text(encoding="utf-8").splitlines()) - 1 for s in stories for f in s.glob("*.txt"))
        print(f"{args.stories} stories x 5 versions, {claims / len(stories):.0f} sentences per story, "
              f"cpu count {os.cpu_count()}")
        if not args.skip_separate:
            env["CLAIMCHECK_CACHE"] = str(tmp_path / "cache-separate")
            start, peak = time.perf_counter(), 0.0
            for story in stories:
                _, p = run([*cli, "check", str(story), "--out", str(tmp_path / "sep" / story.name), "-q",
                            *models], env)
                peak = max(peak, p)
            rows.append((f"{args.stories} x check", time.perf_counter() - start, peak))
        for workers in (1, 2):
            env["CLAIMCHECK_CACHE"] = str(tmp_path / f"cache-{workers}")
            # peak RSS of children: with 1 worker the batch runs in its own process, with 2 in workers
            wall, peak = run([*cli, "batch", str(tmp_path / "corpus"), "--out", str(tmp_path / f"b{workers}"),
                              "--workers", str(workers), "-q", *models], env)
            rows.append((f"batch --workers {workers}", wall, peak))
        wall, peak = run([*cli, "batch", str(tmp_path / "corpus"), "--out", str(tmp_path / "b2"),
                          "--workers", "2", "-q", *models], env)
        rows.append(("batch re-run, unchanged", wall, peak))
    print(f"{'mode':<26} {'seconds':>8} {'stories/s':>10} {'peak MB/process':>16}")
    for name, wall, peak in rows:
        print(f"{name:<26} {wall:>8.1f} {args.stories / wall:>10.2f} {peak:>16.0f}")
    if not args.skip_separate:
        print(f"speed-up of batch --workers 2 over separate checks: {rows[0][1] / rows[2][1]:.1f}x")
    first = rows[-2][1]
    print(f"unchanged re-run: {100 * rows[-1][1] / first:.1f}% of the first 2-worker run")


if __name__ == "__main__":
    main()
