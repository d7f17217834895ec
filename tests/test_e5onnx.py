"""The e5 forward pass as an ONNX Runtime graph (``checker.e5onnx``): float32 graph equal to PyTorch's,
int8 close to it, smoothing factors that keep the product, unsigned weights for CPUs without VNNI, a
torch-free safetensors reader, and the shipped int8 encoder against the bf16 one on real sentences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tiny_models import TRAINING_TEXT, build_tiny_e5_file, write_unit_smoothing

from checker.crossencoder import build_classifier
from checker.e5model import E5Inference, E5Tokenizer, e5_tokenizer, load_e5_file, pad_ids, read_e5_file
from checker.e5onnx import E5OnnxInference, read_safetensors, read_smooth_factors, smoothing
from checker.types import CheckError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("e5onnx") / "tiny-q4.bin"
    build_tiny_e5_file(path)
    f = read_e5_file(path)
    head = {k: v for k, v in build_classifier(f, seed=3).state_dict().items()
            if k.startswith(("bert.pooler.", "classifier."))}
    return f, E5Tokenizer(f), head


def _torch_outputs(f, tokenizer, head, premises, hypotheses=None):
    import torch

    enc = tokenizer.encode_batch(premises, hypotheses)
    model = E5Inference(f, head)
    with torch.inference_mode():
        return (model.mean_pooled(enc["input_ids"], enc["attention_mask"]).numpy(),
                model.logits(enc["input_ids"], enc["attention_mask"]).numpy())


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_the_float_graph_computes_what_pytorch_computes(tiny):
    f, tokenizer, head = tiny
    vectors, logits = _torch_outputs(f, tokenizer, head, TRAINING_TEXT[:4], TRAINING_TEXT[4:8])
    batch = pad_ids(tokenizer.ids(TRAINING_TEXT[:4], TRAINING_TEXT[4:8]), tokenizer.pad_id)
    numpy_head = {k: v.numpy() for k, v in head.items()}
    assert batch[1].min() == 0  # rows of different lengths: padding is masked out, as in PyTorch
    got_vectors = E5OnnxInference(f, int8=False).run(*batch)
    got_logits = E5OnnxInference(f, numpy_head, classifier=True, int8=False).run(*batch)
    np.testing.assert_allclose(got_vectors, vectors, atol=2e-5, rtol=1e-4)
    np.testing.assert_allclose(got_logits, logits, atol=2e-5, rtol=1e-4)


def test_int8_graphs_are_close_to_float_and_unsigned_weights_agree(tiny, tmp_path, monkeypatch):
    f, tokenizer, head = tiny
    batch = pad_ids(tokenizer.ids(TRAINING_TEXT[:8]), tokenizer.pad_id)
    exact = E5OnnxInference(f, int8=False).run(*batch)
    smooth = read_smooth_factors(write_unit_smoothing(tmp_path / "s.npz", f, value=1.5), f.layers)
    signed = E5OnnxInference(f, smooth=smooth).run(*batch)
    monkeypatch.setattr("checker.e5model.cpu_has_vnni", lambda: False)  # weights stored unsigned
    unsigned = E5OnnxInference(f, smooth=smooth).run(*batch)
    assert not np.array_equal(signed, exact)  # int8 arithmetic, not the float weights
    assert _cosines(signed, exact).min() > 0.999 and _cosines(unsigned, exact).min() > 0.999
    np.testing.assert_allclose(unsigned, signed, atol=1e-5)  # the same quantised weights, offset by 128


def test_smoothing_evens_out_input_ranges_and_bad_factor_files_are_refused(tmp_path):
    ranges = np.array([60.0, 1.0, 2.0, 1.0], np.float32)
    weight = np.full((3, 4), 0.5, np.float32)
    s = smoothing(ranges, weight, alpha=0.7)
    assert (ranges / s).max() / (ranges / s).min() < ranges.max() / ranges.min()
    assert s.dtype == np.float32 and (s > 0).all()
    np.savez(tmp_path / "few.npz", **{"layer.0.qkv": np.ones(4, np.float32)})
    with pytest.raises(CheckError, match="do not fit"):
        read_smooth_factors(tmp_path / "few.npz", layers=1)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckError, match="cannot read"):
        read_smooth_factors(tmp_path / "junk.npz", layers=1)


def test_int8_models_without_onnx_runtime_fail_with_one_clear_line(monkeypatch):
    import importlib.util

    from checker.e5onnx import check_runtime
    from checker.embed import load_encoder

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(CheckError, match="need onnxruntime: pip install"):
        check_runtime()
    with pytest.raises(CheckError, match="onnxruntime"):
        load_encoder("e5-int8")


def test_safetensors_are_read_without_torch_as_torch_reads_them():
    import torch
    from safetensors.torch import load, save

    tensors = {"a": torch.randn(3, 5).to(torch.bfloat16), "b": torch.randn(7), "c": torch.randn(2, 2).half()}
    blob = save(tensors)
    got = read_safetensors(blob)
    for name, value in load(blob).items():
        np.testing.assert_array_equal(got[name], value.float().numpy())
    for damaged in (blob[:8] + b"x" + blob[9:], blob[:len(blob) - 8], b"\x01"):
        with pytest.raises(CheckError, match="damaged"):
            read_safetensors(damaged)


def _real_sentences(count: int) -> list[str]:
    texts = []
    with (ROOT / "fixtures" / "eval" / "align" / "ntrex-stories-test.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            docs = json.loads(line)["docs"]
            texts += [docs[lang][0] for lang in ("en", "ar", "fa", "ms", "id")]
    return texts[:count]


@pytest.mark.e2e
def test_the_shipped_int8_encoder_gives_the_bf16_encoders_vectors_on_real_news():
    """The registry's e5-int8 (smoothed int8 in ONNX Runtime) against e5 (bf16 PyTorch) on NTREX test
    sentences in five languages: the bar an int8 model must clear to replace bf16 (models/README.md)."""
    from checker.embed import load_encoder

    texts = _real_sentences(60)
    int8, bf16 = load_encoder("e5-int8"), load_encoder("e5")
    cosine = (int8.encode(texts) * bf16.encode(texts)).sum(axis=1)
    assert cosine.mean() >= 0.999 and cosine.min() >= 0.995, (cosine.mean(), cosine.min())
    assert e5_tokenizer() is e5_tokenizer() and load_e5_file() is load_e5_file()


@pytest.mark.e2e
def test_the_shipped_int8_cross_encoder_stays_near_the_bf16_one_on_real_nli_pairs():
    """e5-nli-int8 against e5-nli on NLI validation pairs (ar, en, fa, id): the same most likely label on
    nearly every pair and probabilities within a few hundredths (models/README.md)."""
    from checker.evaluate import load_nli_pairs
    from checker.nli import load_nli

    pairs = load_nli_pairs(ROOT / "fixtures" / "eval" / "nli" / "val.jsonl")[::40][:60]
    premises, hypotheses = [p.premise for p in pairs], [p.hypothesis for p in pairs]
    int8, bf16 = (load_nli(spec).predict(premises, hypotheses) for spec in ("e5-nli-int8", "e5-nli"))
    assert (int8.argmax(1) == bf16.argmax(1)).mean() >= 0.95
    assert np.abs(int8 - bf16).mean() < 0.02 and np.abs(int8 - bf16).max() < 0.2
