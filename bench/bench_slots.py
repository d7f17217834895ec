"""What the fact-slot layer adds to the wall time of ``claimcheck check``, slots off vs on.

    python bench/bench_slots.py [--repeat 3] [STORY_FOLDER ...]

Defaults to every story folder shipped under fixtures/ (except eval data). Each run is a fresh
``claimcheck check`` process, so the layer's one-off start (month tables, place index read from the
user cache) is counted. Two settings: cold (a fresh embedding cache, as on a story's first check)
and cached (embeddings already on disk). Target: < 20% added.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_check(folder: Path, out: Path, cache: Path, slots: bool) -> float:
    command = [sys.executable, "-m", "checker", "check", str(folder), "--out", str(out), "--quiet"]
    if not slots:
        command.append("--no-slots")
    env = dict(os.environ, CLAIMCHECK_CACHE=str(cache))
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stories", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folders = args.stories or sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir() and p.name != "eval")
    print("| story | setting | slots off s | slots on s | added |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="claimcheck-bench-") as tmp:
        root = Path(tmp)
        for folder in folders:
            run_check(folder, root / "out", root / "warm", slots=True)  # warm cache for the cached setting
            for setting in ("cold", "cached"):
                times: dict[bool, list[float]] = {False: [], True: []}
                for n in range(args.repeat):
                    for slots in (False, True):
                        cache = root / f"cold-{folder.name}-{n}-{slots}" if setting == "cold" else root / "warm"
                        times[slots].append(run_check(folder, root / "out", cache, slots))
                off, on = statistics.median(times[False]), statistics.median(times[True])
                print(f"| {folder.name} | {setting} | {off:.2f} | {on:.2f} | {(on - off) / off:+.0%} |")


if __name__ == "__main__":
    main()
