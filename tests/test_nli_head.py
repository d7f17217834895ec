"""The embedding NLI head: file format, numpy inference, and (e2e) quality of the shipped head."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from checker.nli_head import FEATURES, EmbeddingHeadNLI
from checker.types import NLI_LABELS, CheckError, ModelInfo

DIM = 16
SLICE = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "nli" / "test-slice.jsonl"


class FakeEncoder:
    """Deterministic pseudo-embeddings from a text hash (L2-normalised)."""

    info = ModelInfo("encoder", "fake/hash", "0", False, "test double")

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            rows.append(np.random.default_rng(seed).standard_normal(DIM))
        vecs = np.asarray(rows, dtype=np.float32)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def make_head(path: Path, hidden: int = 8, bias: Sequence[float] = (0.0, 0.0, 0.0)) -> Path:
    rng = np.random.default_rng(0)
    dim = 4 * DIM + 1
    np.savez(path / "head.npz", feat_mean=np.zeros(dim, np.float32), feat_scale=np.ones(dim, np.float32),
             W0=rng.standard_normal((dim, hidden)).astype(np.float32), b0=np.zeros(hidden, np.float32),
             W1=rng.standard_normal((hidden, 3)).astype(np.float32), b1=np.zeros(3, np.float32))
    config = {"version": "test-0", "encoder": "fake", "features": list(FEATURES), "labels": list(NLI_LABELS),
              "n_layers": 2, "calibration": {"logit_bias": list(bias)}}
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return path


def test_predict_shapes_and_probabilities(tmp_path: Path) -> None:
    enc = FakeEncoder()
    head = EmbeddingHeadNLI(make_head(tmp_path), enc)
    assert head.info.role == "nli" and head.info.name == "e5-nli-head" and head.info.version == "test-0"
    probs = head.predict(["a cat sat", "the vote was 12-3", "x"], ["a cat", "the vote failed", "y"])
    assert probs.shape == (3, 3) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()
    assert enc.calls == 1  # premises and hypotheses embedded in one batch
    assert head.predict([], []).shape == (0, 3)


def test_label_order_follows_logit_bias(tmp_path: Path) -> None:
    # a huge bias on one column must make that column (in NLI_LABELS order) win everywhere
    for k in range(3):
        bias = [0.0, 0.0, 0.0]
        bias[k] = 1e4
        sub = tmp_path / str(k)
        sub.mkdir()
        probs = EmbeddingHeadNLI(make_head(sub, bias=bias), FakeEncoder()).predict(["p1", "p2"], ["h1", "h2"])
        assert (probs.argmax(axis=1) == k).all()
    assert NLI_LABELS == ("entailment", "neutral", "contradiction")


def test_missing_and_corrupt_files_raise_check_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="missing"):
        EmbeddingHeadNLI(tmp_path, FakeEncoder())
    make_head(tmp_path)
    (tmp_path / "head.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckError, match="corrupt"):
        EmbeddingHeadNLI(tmp_path, FakeEncoder())
    make_head(tmp_path, hidden=5)
    config = json.loads((tmp_path / "config.json").read_text())
    config["labels"] = ["contradiction", "neutral", "entailment"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckError, match="labels"):
        EmbeddingHeadNLI(tmp_path, FakeEncoder())


def test_mismatched_length_raises(tmp_path: Path) -> None:
    head = EmbeddingHeadNLI(make_head(tmp_path), FakeEncoder())
    with pytest.raises(CheckError):
        head.predict(["a", "b"], ["c"])


@pytest.mark.e2e
def test_shipped_head_quality_on_test_slice() -> None:
    from checker.nli import load_nli

    scorer = load_nli("e5-nli-head")
    assert scorer is not None and scorer.info.real
    rows = [json.loads(line) for line in SLICE.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = np.array([NLI_LABELS.index(r["label"]) for r in rows])
    pred = scorer.predict([r["premise"] for r in rows], [r["hypothesis"] for r in rows]).argmax(axis=1)
    accuracy = float((pred == gold).mean())
    majority = float(np.bincount(gold, minlength=3).max() / len(gold))
    contradiction = gold == NLI_LABELS.index("contradiction")
    recall = float((pred[contradiction] == NLI_LABELS.index("contradiction")).mean())
    assert recall >= 0.60, f"contradiction recall {recall:.3f}"
    assert accuracy >= majority + 0.10, f"accuracy {accuracy:.3f} vs majority {majority:.3f}"
