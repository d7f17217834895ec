"""The shipped NLI scorer: a small MLP over frozen sentence embeddings of premise and hypothesis.

The head lives in a folder with ``config.json`` (feature recipe, labels, calibration) and
``head.npz`` (feature standardisation + dense layers). Inference is numpy only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .cache import ResultCache
from .embed import Encoder, embed_texts
from .types import NLI_LABELS, CheckError, ModelInfo

FEATURES = ("u", "v", "absdiff", "prod", "cos")


def pair_features(u: np.ndarray, v: np.ndarray, recipe: Sequence[str] = FEATURES) -> np.ndarray:
    """Concatenate the named pair features of premise vectors u and hypothesis vectors v."""
    parts = {
        "u": lambda: u,
        "v": lambda: v,
        "absdiff": lambda: np.abs(u - v),
        "prod": lambda: u * v,
        "cos": lambda: np.sum(u * v, axis=1, keepdims=True),
    }
    try:
        return np.concatenate([parts[name]() for name in recipe], axis=1).astype(np.float32)
    except KeyError as exc:
        raise CheckError(f"unknown NLI head feature {exc.args[0]!r}") from exc


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class HeadWeights:
    """Feature standardisation + dense layers (ReLU between, none after the last)."""

    def __init__(self, arrays: dict[str, np.ndarray], n_layers: int) -> None:
        self.mean = arrays["feat_mean"].astype(np.float32)
        self.scale = arrays["feat_scale"].astype(np.float32)
        self.layers = [(arrays[f"W{i}"].astype(np.float32), arrays[f"b{i}"].astype(np.float32))
                       for i in range(n_layers)]
        dim = self.mean.shape[0]
        for w, b in self.layers:
            if w.ndim != 2 or w.shape[0] != dim or b.shape != (w.shape[1],):
                raise CheckError("NLI head weights have inconsistent shapes")
            dim = w.shape[1]
        if dim != len(NLI_LABELS):
            raise CheckError(f"NLI head outputs {dim} classes, expected {len(NLI_LABELS)}")

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = (x - self.mean) / self.scale
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return h


def load_head(head_dir: Path) -> tuple[dict, HeadWeights]:
    """Read and validate ``config.json`` + ``head.npz``; CheckError on anything missing or corrupt."""
    config_path, weights_path = head_dir / "config.json", head_dir / "head.npz"
    for path in (config_path, weights_path):
        if not path.is_file():
            raise CheckError(f"NLI head file missing: {path} (rebuild with python -m checker.train_nli)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        with np.load(weights_path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        labels = tuple(config["labels"])
        weights = HeadWeights(arrays, int(config["n_layers"]))
    except CheckError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckError(f"NLI head in {head_dir} is corrupt: {type(exc).__name__}: {exc}") from exc
    if labels != NLI_LABELS:
        raise CheckError(f"NLI head labels {labels} differ from {NLI_LABELS}")
    return config, weights


class EmbeddingHeadNLI:
    """3-way NLI from frozen multilingual embeddings; works across languages (premise and
    hypothesis may be in different languages) because the encoder maps both into one space."""

    def __init__(self, head_dir: Path, encoder: Encoder, cache: ResultCache | None = None) -> None:
        self.config, self._weights = load_head(Path(head_dir))
        expected = self.config.get("encoder_info_name")
        if expected and encoder.info.name != expected:
            raise CheckError(f"NLI head was trained on encoder {expected!r}, got {encoder.info.name!r}")
        self._encoder = encoder
        self._cache = cache
        self._recipe = tuple(self.config["features"])
        bias = self.config.get("calibration", {}).get("logit_bias", [0.0, 0.0, 0.0])
        self._bias = np.asarray(bias, dtype=np.float32)
        self.info = ModelInfo(role="nli", name="e5-nli-head", version=str(self.config["version"]), real=True,
                              note=f"MLP head over frozen {self.config['encoder']} embeddings, "
                                   "trained on public NLI data (fa, id, ar, en)")

    @property
    def encoder_name(self) -> str:
        """Name of the encoder whose embeddings the head reads (callers holding them can skip encoding)."""
        return self._encoder.info.name

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        if len(premises) != len(hypotheses):
            raise CheckError("premises and hypotheses differ in length")
        n = len(premises)
        if n == 0:
            return np.zeros((0, 3), dtype=np.float32)
        vectors = embed_texts(self._encoder, list(premises) + list(hypotheses), cache=self._cache)
        return self.predict_vectors(vectors[:n], vectors[n:])

    def predict_vectors(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Probabilities (n, 3) from already computed premise / hypothesis embeddings."""
        logits = self._weights.logits(pair_features(u, v, self._recipe)) + self._bias
        return softmax(logits).astype(np.float32)
