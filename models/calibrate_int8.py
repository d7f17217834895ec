"""Measure the int8 smoothing factors of the e5 encoder and the e5-nli cross-encoder (``checker.e5onnx``).

For every Linear layer of every encoder layer, the largest |input| per channel over calibration text
(sentences and sentence pairs of the NLI training file, in ar, en, fa and id) sets SmoothQuant factors
s_j = range_j ** alpha / weight_range_j ** (1 - alpha); the factors ship as ``.npz`` beside the model.
ALPHA, per model, is the value whose outputs came closest to the float32 model's on held-out text (the
NLI validation file's pairs): ``--alphas 0.5 0.6 0.7 0.8`` prints that comparison.

    python models/calibrate_int8.py [--texts 512] [--alphas ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

import numpy as np

from checker import e5model
from checker.crossencoder import load_inference, read_delta
from checker.e5model import E5Inference, e5_tokenizer, load_e5_file, pad_ids, run_batched
from checker.e5onnx import LAYER_LINEARS, E5OnnxInference, read_safetensors, smoothing
from checker.nli_head import softmax

ROOT = Path(__file__).resolve().parents[1]
NLI = ROOT / "fixtures" / "eval" / "nli"
ALPHA = {"encoder": 0.6, "cross-encoder": 0.7}
OUTPUTS = {"encoder": ROOT / "models" / "e5-int8" / "smooth.npz",
           "cross-encoder": ROOT / "models" / "e5-nli" / "int8-smooth.npz"}


def nli_rows(path: Path, count: int, seed: int) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return random.Random(seed).sample(rows, min(count, len(rows)))


def input_ranges(model: E5Inference, ids: list[list[int]], pad_id: int) -> dict[str, np.ndarray]:
    """Largest |input| per channel of each Linear layer of each encoder layer, float32 forward pass over
    length-sorted batches of 32 token-id sequences."""
    import torch

    names = {}
    for i, (qkv, attention_out, _, _, inner_in, inner_out, _, _) in enumerate(model._layers):
        for linear, layer in zip(LAYER_LINEARS, (qkv, attention_out, inner_in, inner_out), strict=True):
            names[id(layer[0])] = f"layer.{i}.{linear}"
    ranges: dict[str, np.ndarray] = {}
    plain = e5model.project

    def recording(x, layer):
        name = names.get(id(layer[0])) if isinstance(layer, tuple) else None
        if name:
            seen = x.detach().abs().amax(dim=tuple(range(x.dim() - 1))).numpy()
            ranges[name] = np.maximum(ranges.get(name, seen), seen)
        return plain(x, layer)

    def forward(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        model.hidden_states(torch.from_numpy(input_ids), torch.from_numpy(mask))
        return np.zeros((len(input_ids), 1), dtype=np.float32)  # only the inputs recorded above count

    e5model.project = recording
    try:
        with torch.inference_mode():
            run_batched(ids, 32, pad_id, 1, forward)
    finally:
        e5model.project = plain
    return ranges


def factors_for(model: E5Inference, ranges: dict[str, np.ndarray], alpha: float) -> dict[str, np.ndarray]:
    out = {}
    for i, (qkv, attention_out, _, _, inner_in, inner_out, _, _) in enumerate(model._layers):
        for linear, layer in zip(LAYER_LINEARS, (qkv, attention_out, inner_in, inner_out), strict=True):
            name = f"layer.{i}.{linear}"
            out[name] = smoothing(ranges[name], layer[0].numpy(), alpha)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--alphas", type=float, nargs="*", default=[])
    parser.add_argument("--float-linears", nargs="*", default=[])
    parser.add_argument("--roles", nargs="*", default=["encoder", "cross-encoder"])
    args = parser.parse_args()

    f = load_e5_file()
    tokenizer = e5_tokenizer()
    calibration = nli_rows(NLI / "train.jsonl.gz", args.texts, seed=7)
    held_out = nli_rows(NLI / "val.jsonl", 256, seed=11)
    folder = ROOT / "models" / "e5-nli"
    cross, _ = load_inference(folder, f, "fp32")
    delta = read_safetensors(read_delta(folder, f.sha256)[1])  # float32 arrays, as E5OnnxInference takes them
    models = {
        "encoder": (E5Inference(f), {}, False,
                    lambda rows: tokenizer.ids(["query: " + r["premise"] for r in rows]
                                               + ["query: " + r["hypothesis"] for r in rows])),
        "cross-encoder": (cross, delta, True,
                          lambda rows: tokenizer.ids([r["premise"] for r in rows], [r["hypothesis"] for r in rows],
                                                     max_length=256)),
    }
    for role, (model, weights, classifier, ids_of) in models.items():
        if role not in args.roles:
            continue
        ranges = input_ranges(model, ids_of(calibration), tokenizer.pad_id)
        test_ids = ids_of(held_out)
        reference = E5OnnxInference(f, weights, classifier=classifier, int8=False)
        want = np.concatenate([reference.run(*pad_ids(test_ids[i:i + 32], tokenizer.pad_id))
                               for i in range(0, len(test_ids), 32)])
        for alpha in args.alphas or [ALPHA[role]]:
            smooth = factors_for(model, ranges, alpha)
            got = np.concatenate([E5OnnxInference(f, weights, classifier=classifier, smooth=smooth,
                                                  float_linears=args.float_linears)
                                  .run(*pad_ids(test_ids[i:i + 32], tokenizer.pad_id)) for i in range(0, len(test_ids), 32)])
            print(f"{role} alpha {alpha}: {_agreement(want, got, classifier)}")
        if not args.alphas:
            OUTPUTS[role].parent.mkdir(parents=True, exist_ok=True)
            np.savez(OUTPUTS[role], **{k: v.astype(np.float32) for k, v in factors_for(model, ranges, ALPHA[role]).items()})
            print(f"wrote {OUTPUTS[role].relative_to(ROOT)}")


def _agreement(want: np.ndarray, got: np.ndarray, classifier: bool) -> str:
    if classifier:
        diff = np.abs(softmax(want) - softmax(got))
        same = (want.argmax(1) == got.argmax(1)).mean()
        return f"probabilities max / mean abs diff {diff.max():.4f} / {diff.mean():.4f}, argmax agrees {same:.1%}"
    cos = (want * got).sum(1) / np.linalg.norm(want, axis=1) / np.linalg.norm(got, axis=1)
    return f"cosine mean {cos.mean():.5f} min {cos.min():.5f}"


if __name__ == "__main__":
    main()
