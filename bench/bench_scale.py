"""Scale: 5 language versions × N claims each, checked cold (fresh result cache) and cached.

    python bench/bench_scale.py [--claims 5000] [--encoder SPEC|fake] [--nli SPEC|none|fake]
                                [--max-nli-pairs N]
    python bench/bench_scale.py --align-only 20000

The versions are built from the NTREX sentences in fixtures/eval/align/*.jsonl (en, ar, fa, ms, id; one
file per language): the stories, then pairs of their sentences joined into new statements. Each
run is a child process (``--child``), so its peak RSS is its own; it prints the seconds and the peak RSS
of each stage (``report.timings`` plus writing the report files; resident memory sampled every 20 ms),
and this process prints the cold and cached figures side by side. The cached run finds everything in the
result cache: embeddings, NLI probabilities, and what code derived (segments, fact slots, alignments,
candidate pairs, slot conflicts).

``--encoder fake`` and ``--nli fake`` time everything but the models: the fake encoder gives each claim a
vector from its sentence's gold translation links (so versions align as with a real encoder), the fake
NLI scorer returns probabilities from a hash of the pair. Setting them up is left out of the totals.

``--align-only N`` aligns two documents of N claims each, nothing else (random unit vectors and a noisy
copy of them, 384 dimensions), in a child process: seconds and peak RSS of alignment in row tiles, beside
the memory a whole similarity matrix would take.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STORIES = sorted((ROOT / "fixtures/eval/align").glob("ntrex-stories-*.jsonl"))
LANGUAGES = ("en", "ar", "fa", "ms", "id")
STAGES = ("ingest", "segment", "load_models", "embed", "align", "compare", "report")
FAKE_DIM = 384


def _translated_alike(story: dict) -> list[dict[str, str]]:
    """The story's English sentences that every version translates one to one, in each language."""
    links: dict[tuple[str, int], set[int]] = {}
    for src, i, tgt, j in story["gold"]:
        if src == "en":
            links.setdefault((tgt, j), set()).add(i)
    found = []
    for e, english in enumerate(story["docs"]["en"]):
        texts = {"en": english}
        for lang in LANGUAGES[1:]:
            units = [j for (tgt, j), sources in links.items() if tgt == lang and sources == {e}]
            if len(units) != 1:
                break
            texts[lang] = story["docs"][lang][units[0]]
        else:
            found.append(texts)
    return found


def build_versions(claims: int, folder: Path) -> int:
    """One .txt per language, one sentence per line: the stories as they are (with their dropped, merged
    and inserted sentences), then as many rounds as needed of new lines made of two sentences joined by a
    comma, the same two in every language (a repeated sentence would be a near-duplicate that no margin
    can align). A few more lines than ``claims`` are written (a line makes slightly more than one claim);
    the check caps each version at exactly ``claims``. ``concepts.json`` names each line's gold statement
    (for the fake encoder). Returns the lines per version."""
    stories = [json.loads(line) for path in STORIES for line in path.read_text(encoding="utf-8").splitlines()]
    alike = [texts for story in stories for texts in _translated_alike(story)]
    lines_wanted = claims + claims // 50 + 10
    rounds = math.ceil(lines_wanted / len(alike))
    concepts: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        lines, keys = [], []
        for s, story in enumerate(stories):
            english = {j: i for src, i, tgt, j in story["gold"] if src == "en" and tgt == lang}
            for j, sentence in enumerate(story["docs"][lang]):
                lines.append(sentence)
                linked = j if lang == "en" else english.get(j)
                keys.append(f"0:{s}:{linked}" if linked is not None else f"0:{s}:{lang}{j}")
        comma = "، " if lang in ("ar", "fa") else ", "
        for r in range(1, rounds + 1):
            for k, texts in enumerate(alike):
                first = texts[lang].rstrip().rstrip(".!?؟…\"”»'")
                lines.append(first + comma + alike[(k + r) % len(alike)][lang])
                keys.append(f"{r}:{k}")
        (folder / f"{lang}.txt").write_text("\n".join(lines[:lines_wanted]) + "\n", encoding="utf-8")
        concepts[lang] = keys[:lines_wanted]
    (folder / "concepts.json").write_text(json.dumps(concepts), encoding="utf-8")
    return len(concepts["en"])


def _seeded(key: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))


class FakeEncoder:
    """Model-free encoder: a claim's vector is its sentence's gold concept (shared by its translations) plus
    its clause position and a little noise of its own, so versions align much as with a real encoder."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        from checker.types import ModelInfo

        self.info = ModelInfo("encoder", "bench/fake-encoder", "1", False, "gold-link vectors, no model")
        self._vectors = vectors

    @classmethod
    def for_versions(cls, folder: Path, max_claims: int) -> FakeEncoder:
        from checker.ingest import read_documents
        from checker.segment import segment_document

        concepts = json.loads((folder / "concepts.json").read_text(encoding="utf-8"))
        documents, _ = read_documents([folder / f"{lang}.txt" for lang in LANGUAGES])
        vectors: dict[str, np.ndarray] = {}
        for doc in documents:
            keys = concepts[Path(doc.path).stem]
            clause_of_line: dict[int, int] = {}
            for claim in segment_document(doc)[0][:max_claims]:
                line = doc.raw.count("\n", 0, claim.start)
                clause = clause_of_line[line] = clause_of_line.get(line, -1) + 1
                concept = _seeded(f"{keys[line]}:{clause}").standard_normal(FAKE_DIM)
                vector = concept + 0.35 * _seeded(claim.normalized).standard_normal(FAKE_DIM)
                vectors[claim.normalized] = (vector / np.linalg.norm(vector)).astype(np.float32)
        return cls(vectors)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        unknown = np.zeros(FAKE_DIM, dtype=np.float32)
        return np.stack([self._vectors.get(t, unknown) for t in texts]) if texts else np.zeros((0, FAKE_DIM))


class FakeNLI:
    """Deterministic NLI probabilities from a hash of the pair, no model."""

    def __init__(self) -> None:
        from checker.types import ModelInfo

        self.info = ModelInfo("nli", "bench/fake-nli", "1", False, "hashed probabilities, no model")

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        logits = np.stack([_seeded(p + "\0" + h).standard_normal(3) for p, h in zip(premises, hypotheses, strict=True)])
        probs = np.exp(logits)
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


class RSSSampler:
    """Resident memory every 20 ms in a background thread (Linux ``/proc``), to tell each stage's peak."""

    def __init__(self, interval: float = 0.02) -> None:
        self.samples: list[tuple[float, float]] = []
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RSSSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError), open("/proc/self/statm") as statm:
                self.samples.append((time.perf_counter(), int(statm.read().split()[1]) * page_mb))
            self._stop.wait(self._interval)

    def stage_peaks(self, start: float, timings: dict[str, float]) -> dict[str, float]:
        """Peak MB within each stage, the stages laid end to end from ``start`` in ``STAGES`` order."""
        peaks: dict[str, float] = {}
        for stage in STAGES:
            end = start + timings.get(stage, 0.0)
            peaks[stage] = max((mb for t, mb in self.samples if start <= t <= end), default=0.0)
            start = end
        return peaks


def child(args: argparse.Namespace) -> None:
    """One check of the versions in ``args.child``; prints a JSON line of figures."""
    from dataclasses import replace

    from checker.embed import load_encoder
    from checker.nli import load_nli
    from checker.pipeline import CheckConfig, Models, check
    from checker.report import write_report

    config = CheckConfig(encoder=args.encoder, nli=args.nli, cache_dir=args.cache, progress=False,
                         max_claims=args.claims)
    if args.max_nli_pairs is not None:
        config.compare = replace(config.compare, max_nli_pairs=args.max_nli_pairs)
    models, fake_setup = None, 0.0
    if args.encoder == "fake" or args.nli == "fake":
        t0 = time.perf_counter()
        encoder = (FakeEncoder.for_versions(args.child, args.claims) if args.encoder == "fake"
                   else load_encoder(args.encoder))
        nli = FakeNLI() if args.nli == "fake" else load_nli(args.nli, encoder=encoder)
        models = Models(encoder=encoder, nli=nli)
        fake_setup = time.perf_counter() - t0
    with RSSSampler() as sampler:
        started = time.perf_counter()
        report = check([args.child / f"{lang}.txt" for lang in LANGUAGES], config, models=models)
        checked_rss = peak_rss_mb()
        t0 = time.perf_counter()
        write_report(report, args.out, ("json", "csv", "md", "html", "groups"))
        timings = dict(report.timings, report=time.perf_counter() - t0)
    print(json.dumps({"timings": timings, "fake_setup": fake_setup, "peak_rss_mb": peak_rss_mb(),
                      "check_rss_mb": checked_rss,
                      "stage_rss_mb": sampler.stage_peaks(started, timings),
                      "claims": len(report.claims),
                      "pairs": len(report.pairs), "discrepancies": len(report.discrepancies),
                      "nli_evaluations": report.settings.get("nli_pair_evaluations", 0),
                      "candidate_pairs": report.settings.get("candidate_pairs", 0),
                      "warnings": [w for w in report.settings.get("warnings", []) if "NLI" in w]}))


def run_child(folder: Path, cache: Path, out: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", str(folder), "--cache", str(cache), "--out", str(out),
               "--claims", str(args.claims), "--encoder", args.encoder or "", "--nli", args.nli or ""]
    if args.max_nli_pairs is not None:
        command += ["--max-nli-pairs", str(args.max_nli_pairs)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"check failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - t0 - figures["fake_setup"]  # what a check of real files takes
    return figures


def align_only(claims: int) -> None:
    """Align two documents of ``claims`` claims (child process); prints a JSON line of figures."""
    from checker.align import AlignConfig, align_documents
    from checker.types import Claim

    rng = np.random.default_rng(0)
    emb_a = rng.standard_normal((claims, FAKE_DIM)).astype(np.float32)
    emb_b = emb_a + rng.standard_normal((claims, FAKE_DIM)).astype(np.float32) * (0.5 / math.sqrt(FAKE_DIM))
    for emb in (emb_a, emb_b):
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    docs = [[Claim(id=f"{doc}#{n}", doc_id=doc, text="", start=0, end=0, normalized="") for n in range(claims)]
            for doc in "ab"]
    before = peak_rss_mb()
    t0 = time.perf_counter()
    pairs = align_documents(docs[0], emb_a, docs[1], emb_b, AlignConfig())
    print(json.dumps({"seconds": time.perf_counter() - t0, "pairs": len(pairs), "inputs_rss_mb": before,
                      "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=5000, help="claims per language version")
    parser.add_argument("--encoder", default=None, help="registry name, hub id, local path or 'fake'")
    parser.add_argument("--nli", default=None, help="registry name, hub id, local path, 'none' or 'fake'")
    parser.add_argument("--max-nli-pairs", type=int, default=None, help="the check's NLI pair cap")
    parser.add_argument("--align-only", type=int, metavar="N", help="align two documents of N claims, nothing else")
    parser.add_argument("--align-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.encoder, args.nli = args.encoder or None, args.nli or None
    if args.child:
        child(args)
        return
    if args.align_child:
        align_only(args.align_child)
        return
    if args.align_only:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run([sys.executable, __file__, "--align-child", str(args.align_only)], capture_output=True,
                              text=True, env=env)
        if done.returncode:
            sys.exit(f"alignment failed:\n{done.stderr[-3000:]}")
        got = json.loads(done.stdout.strip().splitlines()[-1])
        whole = args.align_only ** 2 * 4 / 2 ** 20
        print(f"{args.align_only:,} x {args.align_only:,} claims: {got['seconds']:.1f} s, {got['pairs']:,} pairs, peak RSS "
              f"{got['peak_rss_mb']:.0f} MiB ({got['inputs_rss_mb']:.0f} MiB with the vectors and claims built; one "
              f"whole similarity matrix would be {whole:,.0f} MiB)")
        return
    with tempfile.TemporaryDirectory(prefix="claimcheck-scale-") as tmp:
        folder, cache, out = Path(tmp) / "versions", Path(tmp) / "cache", Path(tmp) / "out"
        folder.mkdir()
        lines = build_versions(args.claims, folder)
        print(f"5 versions ({', '.join(LANGUAGES)}), {lines} lines each, checked at {args.claims} claims each; "
              f"encoder {args.encoder or 'default'}, NLI {args.nli or 'default'}")
        cold = run_child(folder, cache, out, args)
        cached = run_child(folder, cache, out, args)
    print(f"{cold['claims']} claims, {cold['pairs']} aligned pairs, {cold['candidate_pairs']} candidate pairs, "
          f"{cold['nli_evaluations']} NLI evaluations, {cold['discrepancies']} discrepancies")
    for warning in cold["warnings"]:
        print(f"warning: {warning}")
    print(f"cold total {cold['wall']:.1f} s, cached total {cached['wall']:.1f} s (whole processes, report written"
          f"{', fake-model set-up left out' if cold['fake_setup'] else ''}); "
          f"peak RSS cold {cold['peak_rss_mb']:.0f} MB, cached {cached['peak_rss_mb']:.0f} MB")
    print("| stage | cold s | cached s | cold peak RSS MB | cached peak RSS MB |")
    print("|---|---|---|---|---|")
    for stage in STAGES:
        print(f"| {stage} | {cold['timings'].get(stage, 0.0):.2f} | {cached['timings'].get(stage, 0.0):.2f} "
              f"| {cold['stage_rss_mb'][stage]:.0f} | {cached['stage_rss_mb'][stage]:.0f} |")
    print(f"| total (report.timings + report) | {cold['timings']['total'] + cold['timings']['report']:.2f} "
          f"| {cached['timings']['total'] + cached['timings']['report']:.2f} | {cold['peak_rss_mb']:.0f} "
          f"| {cached['peak_rss_mb']:.0f} |")
    print(f"| process wall | {cold['wall']:.2f} | {cached['wall']:.2f} | | |")


if __name__ == "__main__":
    main()
