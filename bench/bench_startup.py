"""How fast ``claimcheck`` starts and how cheap its non-model work is.

    python bench/bench_startup.py [--repeat 5] [STORY_FOLDER]

Prints, each in fresh processes (median and best of --repeat):
- ``claimcheck --help`` and ``claimcheck check --help`` through the installed entry point;
- the import time of ``checker.cli``;
- ``claimcheck check STORY --out DIR`` through the entry point with the default models, everything
  cached (embeddings, NLI results and detected languages, in a result cache filled by a first run);
- ``claimcheck check STORY --nli none`` with the embeddings already cached, split into the CLI import,
  option parsing (and the pipeline import), the stages the pipeline times, report writing, and the
  rest; "non-model" is the whole run (from the interpreter's first import) less loading, using and
  freeing the models;
- that check on a fresh machine (an empty user cache folder, embeddings still cached), then again;
- the place index (GeoNames cities and Babel countries) on a fresh machine, with an empty
  CLAIMCHECK_GAZETTEER_CACHE, then again with the cache it left behind.
Targets: the two help commands < 0.3 s, the cached check < 0.6 s, non-model part well under 0.4 s,
a first run on a fresh machine no more than 1 s slower than the second.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "segment", "align", "compare")

# Run inside a fresh interpreter: the CLI as the entry point runs it, with the pipeline's stage timings
# and the report writing time captured on the way.
_CHECK_RUN = """
import json, sys, time
started = time.perf_counter()
import checker.cli
seen = {"cli_import": time.perf_counter() - started}
import checker.pipeline as pipeline
import checker.report as report
run_check, write = pipeline.check, report.write_report
def check(*args, **kwargs):
    seen["parse"] = time.perf_counter() - started - seen["cli_import"]
    t0 = time.perf_counter()
    result = run_check(*args, **kwargs)
    seen.update(result.timings)
    seen["teardown"] = time.perf_counter() - t0 - result.timings["total"]
    return result
def write_report(*args, **kwargs):
    t0 = time.perf_counter()
    try:
        return write(*args, **kwargs)
    finally:
        seen["report"] = time.perf_counter() - t0
pipeline.check, report.write_report = check, write_report
try:
    checker.cli.main(sys.argv[1:])
except SystemExit:
    pass
seen["wall"] = time.perf_counter() - started
print(json.dumps(seen))
"""

_PLACE_INDEX = """
import time
started = time.perf_counter()
from checker.slots.places import _gazetteer
_gazetteer()
print(time.perf_counter() - started)
"""


def entry_point() -> list[str]:
    """The installed ``claimcheck`` script (next to this interpreter), else ``python -m checker``."""
    script = Path(sys.executable).with_name("claimcheck")
    found = str(script) if script.exists() else shutil.which("claimcheck")
    return [found] if found else [sys.executable, "-m", "checker"]


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def model_time(run: dict[str, float]) -> float:
    """Loading the models, embedding, and freeing the models when the pipeline returns."""
    return run["load_models"] + run["embed"] + run["teardown"]


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s, best {min(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("story", nargs="?", type=Path, default=ROOT / "fixtures" / "ain-al-asad")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    claimcheck = entry_point()
    python = [sys.executable]

    for label, extra in (("claimcheck --help", ["--help"]), ("claimcheck check --help", ["check", "--help"])):
        times = [timed(claimcheck + extra)[0] for _ in range(args.repeat)]
        print(f"{label:<26} {spread(times)}")
    imports = [float(timed(python + ["-c", "import time; t = time.perf_counter(); import checker.cli; "
                                           "print(time.perf_counter() - t)"])[1]) for _ in range(args.repeat)]
    print(f"{'import checker.cli':<26} {spread(imports)}")

    with tempfile.TemporaryDirectory(prefix="claimcheck-bench-") as tmp:
        env = dict(os.environ, CLAIMCHECK_CACHE=str(Path(tmp) / "results"))
        cached_check = claimcheck + ["check", str(args.story), "--out", str(Path(tmp) / "report")]
        timed(cached_check, env)  # fills the result cache: embeddings, NLI results, detected languages
        times = [timed(cached_check, env)[0] for _ in range(args.repeat)]
        print(f"{'claimcheck check, cached':<26} {spread(times)}   (`claimcheck check {args.story.name} --out DIR`)")

        command = python + ["-c", _CHECK_RUN, "check", str(args.story), "--out", str(Path(tmp) / "out"),
                            "--nli", "none", "--quiet"]
        runs = [json.loads(timed(command, env)[1]) for _ in range(args.repeat)]
        parts = ("cli_import", "parse", *STAGES, "report")
        print(f"\n`claimcheck check {args.story.name} --nli none`, embeddings cached, "
              f"median of {args.repeat} fresh processes:")
        for part in parts:
            print(f"  {part:<12} {statistics.median(r[part] for r in runs):.3f} s")
        models = [model_time(r) for r in runs]
        non_model = [r["wall"] - m for r, m in zip(runs, models, strict=True)]
        rest = [n - sum(r[p] for p in parts) for r, n in zip(runs, non_model, strict=True)]
        print(f"  {'rest':<12} {statistics.median(rest):.3f} s")
        print(f"  {'non-model':<12} {spread(non_model)}   (models: loading and embedding "
              f"{statistics.median(r['load_models'] + r['embed'] for r in runs):.3f} s, freeing "
              f"{statistics.median(r['teardown'] for r in runs):.3f} s)")

        print("\nthe same check on a fresh machine (empty user cache folder, embeddings still cached), "
              "then again:")
        for _ in range(max(1, args.repeat // 2)):
            with tempfile.TemporaryDirectory(prefix="claimcheck-home-") as home:
                fresh = {k: v for k, v in env.items() if k != "CLAIMCHECK_GAZETTEER_CACHE"} | {"XDG_CACHE_HOME": home}
                first, second = (json.loads(timed(command, fresh)[1]) for _ in range(2))
            print(f"  non-model first run {first['wall'] - model_time(first):.3f} s, "
                  f"second run {second['wall'] - model_time(second):.3f} s")

    print("\nplace index, fresh processes:")
    for _ in range(max(1, args.repeat // 2)):
        with tempfile.TemporaryDirectory(prefix="claimcheck-places-") as tmp:
            env = dict(os.environ, CLAIMCHECK_GAZETTEER_CACHE=tmp)
            first = float(timed(python + ["-c", _PLACE_INDEX], env)[1])
            second = float(timed(python + ["-c", _PLACE_INDEX], env)[1])
        print(f"  first run (empty cache) {first:.3f} s, second run {second:.3f} s")


if __name__ == "__main__":
    main()
