"""NLI scorers behind one protocol: a hub id / local path through transformers, the shipped
cross-encoder (offline default, ``crossencoder``), the older embedding head, or none.

Every scorer returns probabilities of shape (n, 3) in the order of ``NLI_LABELS``
(entailment, neutral, contradiction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .cache import ResultCache, model_key
from .embed import Encoder, load_encoder
from .registry import is_test_model, lookup, models_dir
from .types import NLI_LABELS, CheckError, ModelInfo


@runtime_checkable
class NLIScorer(Protocol):
    info: ModelInfo

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray: ...


def label_order(id2label: dict[int, str]) -> list[int]:
    """Column index of entailment, neutral and contradiction in a model's output."""
    names = {i: str(lbl).lower() for i, lbl in id2label.items()}
    order = []
    for wanted in NLI_LABELS:
        hits = [i for i, name in names.items() if name.startswith(wanted[:4])]
        if len(hits) != 1:
            raise CheckError(f"NLI model labels {sorted(names.values())} do not name {wanted!r} exactly once")
        order.append(hits[0])
    return order


class TransformersNLI:
    """A sequence-classification NLI model (hub id or local path), e.g. an XNLI-tuned mDeBERTa."""

    def __init__(self, spec: str, *, batch_size: int = 16, max_length: int = 256) -> None:
        import transformers
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(spec)
            self._model = AutoModelForSequenceClassification.from_pretrained(spec)
        except Exception as exc:
            raise CheckError(f"cannot load NLI model {spec!r}: {type(exc).__name__}: {exc}".splitlines()[0]) from exc
        self._model.eval()
        self._order = label_order(self._model.config.id2label)
        self._batch_size = batch_size
        self._max_length = max_length
        real = not is_test_model(spec)
        self.info = ModelInfo("nli", spec, transformers.__version__, real,
                              "transformers sequence classification" if real else "tiny test model with random weights")

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        import torch
        from tqdm.auto import tqdm

        out = np.zeros((len(premises), 3), dtype=np.float32)
        starts = range(0, len(premises), self._batch_size)
        # a cross-encoder is the slow stage on CPU: show progress on a terminal (never in CI logs)
        with torch.inference_mode():
            for start in tqdm(starts, desc="NLI", unit="batch", disable=None if len(starts) > 1 else True):
                stop = start + self._batch_size
                enc = self._tokenizer(list(premises[start:stop]), list(hypotheses[start:stop]), truncation=True,
                                      max_length=self._max_length, padding=True, return_tensors="pt")
                logits = self._model(**enc).logits
                probs = torch.softmax(logits.float(), dim=-1).numpy()
                out[start:stop] = probs[:, self._order]
        return out


def load_nli(spec: str | None = None, encoder: Encoder | None = None,
             cache: ResultCache | None = None) -> NLIScorer | None:
    """Load an NLI scorer by registry name, hub id or local path; ``"none"`` disables NLI.
    ``cache`` remembers model-file digests."""
    spec, entry = lookup("nli", spec)
    if entry is None:
        return TransformersNLI(spec)
    kind = entry["kind"]
    if kind == "none":
        return None
    if kind == "cross-encoder":
        from .crossencoder import E5CrossEncoderNLI

        try:
            return E5CrossEncoderNLI(models_dir() / entry["path"], e5_file=entry.get("file"),
                                     precision=entry.get("precision", "bf16"), cache=cache)
        except ImportError as exc:
            raise CheckError(f"NLI model {spec!r} needs a package that is not installed: {exc}") from exc
    if kind == "embedding-head":
        from .nli_head import EmbeddingHeadNLI

        head_encoder = encoder if getattr(encoder, "registry_name", None) == entry["encoder"] else None
        # with another --encoder the head embeds with its own one, through the same result cache
        return EmbeddingHeadNLI(models_dir() / entry["path"],
                                encoder=head_encoder or load_encoder(entry["encoder"], cache=cache), cache=cache)
    raise CheckError(f"unknown NLI kind {kind!r} in the model registry")


class CachedNLI:
    """An NLI scorer whose results are kept in the result cache: only pairs not seen before with the
    same model reach it (and a model that loads on first use is then never loaded)."""

    def __init__(self, scorer: NLIScorer, cache: ResultCache) -> None:
        self.scorer = scorer
        self.cache = cache
        self.info = scorer.info
        self.threshold = getattr(scorer, "threshold", None)
        self._key = model_key(scorer)

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        pairs = list(zip(premises, hypotheses, strict=True))
        out = np.zeros((len(pairs), len(NLI_LABELS)), dtype=np.float32)
        known = self.cache.get_nli(self._key, pairs)
        todo = list(dict.fromkeys(p for p in pairs if p not in known))
        if todo:
            probs = self.scorer.predict([p for p, _ in todo], [h for _, h in todo])
            fresh = dict(zip(todo, probs, strict=True))
            self.cache.put_nli(self._key, fresh.items())
            known |= fresh
        for n, pair in enumerate(pairs):
            out[n] = known[pair]
        return out
