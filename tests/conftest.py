"""Shared fixtures: tiny randomly initialised models built here, so tests exercise the real
sentence-transformers / transformers loading code without any download."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.embed import TEST_MODEL_MARKER

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
FIXTURE_STORY = REPO / "fixtures" / "ain-al-asad"

_CORPUS = [
    "The minister said the army will take over the base next week.",
    "Menteri berkata tentera akan mengambil alih pangkalan minggu depan.",
    "Menteri mengatakan tentara akan mengambil alih pangkalan pekan depan.",
    "قال الوزير إن الجيش سيتسلم القاعدة الأسبوع المقبل.",
    "وزیر گفت ارتش هفته آینده پایگاه را تحویل خواهد گرفت.",
    "Prices rose by ten percent in 2024 and fell in 2025.",
]


def _build_tokenizer(path: Path):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(_CORPUS * 3, trainer)
    from tokenizers.processors import TemplateProcessing

    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    fast.save_pretrained(path)
    return fast


def _tiny_bert_config(vocab_size: int, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128, **extra)


@pytest.fixture(scope="session")
def tiny_encoder_path(tmp_path_factory) -> Path:
    """A sentence-transformers model with random weights (mean pooling over a 2-layer BERT)."""
    import torch
    from sentence_transformers import SentenceTransformer
    try:  # sentence-transformers >= 6 moved the module classes
        from sentence_transformers.sentence_transformer import modules as st_models
    except ImportError:
        from sentence_transformers import models as st_models
    from transformers import BertModel

    torch.manual_seed(0)
    base = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = _build_tokenizer(base)
    BertModel(_tiny_bert_config(len(tokenizer))).save_pretrained(base)
    word = st_models.Transformer(str(base), max_seq_length=64)
    dimension = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    pooling = st_models.Pooling(dimension(), pooling_mode="mean")
    out = tmp_path_factory.mktemp("tiny-st")
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(out))
    (out / TEST_MODEL_MARKER).write_text("random weights\n")
    return out


@pytest.fixture(scope="session")
def tiny_nli_path(tmp_path_factory) -> Path:
    """A 3-label sequence classifier with random weights and NLI label names."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-nli")
    tokenizer = _build_tokenizer(path)
    config = _tiny_bert_config(len(tokenizer), num_labels=3,
                               id2label={0: "CONTRADICTION", 1: "entailment", 2: "Neutral"},
                               label2id={"CONTRADICTION": 0, "entailment": 1, "Neutral": 2})
    BertForSequenceClassification(config).save_pretrained(path)
    (path / TEST_MODEL_MARKER).write_text("random weights\n")
    return path


@pytest.fixture()
def story_dir(tmp_path) -> Path:
    """A small three-language story written for the tests (not taken from any fixture)."""
    docs = {
        "en.txt": "date 2024-03-04\nThe minister said on Monday that the army will take over the northern base "
                  "next week.\nThe handover follows an agreement signed in January 2024.\nAbout 300 soldiers "
                  "will remain at the airport.\nComments\nNo comments yet. Be the first to comment!\n",
        "ms.txt": "Menteri berkata pada hari Isnin bahawa tentera akan mengambil alih pangkalan utara minggu "
                  "depan.\nPenyerahan itu menyusuli perjanjian yang ditandatangani pada Januari 2024.\nKira-kira "
                  "300 askar akan kekal di lapangan terbang.\n",
        "ar.txt": "قال الوزير يوم الاثنين إن الجيش سيتسلم القاعدة الشمالية الأسبوع المقبل.\n"
                  "ويأتي التسليم بعد اتفاق وقع في يناير 2024.\nوسيبقى نحو 300 جندي في المطار.\n",
    }
    for name, text in docs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path
