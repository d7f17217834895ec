"""The real pipeline code path with tiny self-built models (fast)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from checker.cli import app
from checker.embed import load_encoder
from checker.nli import TransformersNLI, label_order, load_nli
from checker.pipeline import CheckConfig, check
from checker.report import discrepancies_frame, groups_frame, report_to_dict, write_report
from checker.types import CheckError, ModelInfo


def test_tiny_encoder_loads_through_sentence_transformers(tiny_encoder_path):
    encoder = load_encoder(str(tiny_encoder_path))
    vectors = encoder.encode(["one claim here", "another claim"])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.info.real is False


def test_nli_label_order_follows_the_model_config(tiny_nli_path):
    scorer = load_nli(str(tiny_nli_path))
    assert isinstance(scorer, TransformersNLI)
    assert scorer._order == [1, 2, 0]
    probs = scorer.predict(["the army left the base"] * 3, ["the army left", "nobody left", "a b c"])
    assert probs.shape == (3, 3)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert scorer.info.real is False


def test_label_order_rejects_ambiguous_labels():
    with pytest.raises(CheckError):
        label_order({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


def test_nli_none_disables_nli():
    assert load_nli("none") is None


def test_bad_model_spec_is_a_clear_error(tmp_path):
    with pytest.raises(CheckError, match="cannot load encoder"):
        load_encoder(str(tmp_path / "no-such-model"))


def test_check_runs_end_to_end_with_tiny_models(story_dir, tiny_encoder_path, tiny_nli_path, tmp_path):
    config = CheckConfig(encoder=str(tiny_encoder_path), nli=str(tiny_nli_path), cache_dir=tmp_path / "c",
                         progress=False)
    report = check([story_dir], config)
    assert [d.language for d in report.documents] == ["ar", "en", "ms"]
    assert len(report.claims) == 9  # the comment box is dropped, not claimed
    assert any(d.reason.startswith("comment box") for d in report.dropped)
    claim_ids = {c.id for c in report.claims}
    for pair in report.pairs:
        assert pair.claim_a in claim_ids and pair.claim_b in claim_ids
        assert pair.claim_a.split("#")[0] != pair.claim_b.split("#")[0]
    # NLI covers the group trees, within a budget of four evaluations (two pairs) per claim
    tree_edges = sum(len(g.claims) - 1 for g in report.groups)
    assert 2 * tree_edges <= report.settings["nli_pair_evaluations"] <= 4 * len(report.claims)
    assert [m.real for m in report.models] == [False, False]
    scores = [d.score for d in report.discrepancies]
    assert scores == sorted(scores, reverse=True)
    data = report_to_dict(report, generated_at="x")
    assert set(data) >= {"documents", "groups", "discrepancies", "models"}
    doc = data["documents"][0]
    assert set(doc) >= {"id", "path", "language", "dateline", "claims", "dropped"}
    for claim in doc["claims"]:
        assert report.documents[0].raw[claim["start"]:claim["end"]] == claim["text"]
    assert len(discrepancies_frame(report)) == len(report.discrepancies)
    assert list(groups_frame(report).columns)[:2] == ["group", "size"]


def test_report_files_are_written_and_deterministic(story_dir, tiny_encoder_path, tmp_path):
    config = CheckConfig(encoder=str(tiny_encoder_path), nli="none", cache_dir=tmp_path / "c", progress=False)
    out1, out2 = tmp_path / "r1", tmp_path / "r2"
    write_report(check([story_dir], config), out1, generated_at="t")
    write_report(check([story_dir], config), out2, generated_at="t")
    for name in ("report.json", "discrepancies.csv", "report.md"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes()
    assert not list(out1.glob(".*.tmp"))
    data = json.loads((out1 / "report.json").read_text())
    assert all(m["role"] != "nli" for m in data["models"])
    assert "nli: none" in (out1 / "report.md").read_text()


def test_one_document_is_an_error(story_dir, tiny_encoder_path, tmp_path):
    (story_dir / "ar.txt").unlink()
    (story_dir / "ms.txt").unlink()
    with pytest.raises(CheckError, match="at least two"):
        check([story_dir], CheckConfig(encoder=str(tiny_encoder_path), nli="none", progress=False))


def test_cli_check_writes_report_and_summary(story_dir, tiny_encoder_path, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["check", str(story_dir), "--out", str(out), "--encoder",
                                      str(tiny_encoder_path), "--nli", "none", "--no-slots"])
    assert result.exit_code == 0, result.output
    assert "groups of equivalent claims" in result.output
    assert (out / "report.json").is_file() and (out / "discrepancies.csv").is_file()


def test_cli_errors_are_one_line_with_exit_2(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "input not found" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["check", str(empty), "--out", str(tmp_path / "o"), "--nli", "none"])
    assert result.exit_code == 2
    assert "need at least two" in result.output and "empty file" in result.output


def test_alignment_floor_follows_the_encoder_unless_set(story_dir, tiny_encoder_path, tmp_path):
    from dataclasses import replace

    from checker.align import AlignConfig

    config = CheckConfig(encoder=str(tiny_encoder_path), nli="none", cache_dir=tmp_path / "c", progress=False)
    assert check([story_dir], config).settings["align"]["min_cosine"] == 0.5  # sentence-transformers scale
    config = replace(config, align=AlignConfig(min_cosine=0.9))
    assert check([story_dir], config).settings["align"]["min_cosine"] == 0.9


def test_cli_max_nli_pairs_caps_nli_with_a_warning(tmp_path, monkeypatch):
    from tiny_models import HashEncoder

    import checker.pipeline
    from checker.pipeline import Models

    class CountingNLI:
        info = ModelInfo("nli", "test/counting-nli", "1", False, "test double")
        calls = 0

        def predict(self, premises, hypotheses):
            CountingNLI.calls += len(premises)
            return np.tile([0.6, 0.3, 0.1], (len(premises), 1))

    lines = [f"Statement number {word} says the council met again." for word in
             ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")]
    # three copies: ten groups of three claims, three aligned pairs each (two of them the group's tree)
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(checker.pipeline, "load_models", lambda config: Models(HashEncoder(), CountingNLI()))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["check", *(str(tmp_path / f"{n}.txt") for n in "abc"), "--out", str(out),
                                      "--max-nli-pairs", "7", "--no-cache", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert CountingNLI.calls == 2 * 7 == data["settings"]["nli_pair_evaluations"]
    assert "NLI ran on 7 of 30 candidate pairs (--max-nli-pairs)" in data["warnings"]
    assert "NLI ran on 7 of 30" in result.output
    assert data["settings"]["compare"]["max_nli_pairs"] == 7


def test_a_large_check_frees_each_models_weights_after_its_stage(tmp_path, monkeypatch):
    from tiny_models import HashEncoder

    import checker.pipeline
    from checker.pipeline import Models

    events: list[str] = []

    class Encoder(HashEncoder):
        def encode(self, texts):
            events.append("encode")
            return super().encode(texts)

        def release(self):
            events.append("release encoder")

    class NLI:
        info = ModelInfo("nli", "test/nli", "1", False, "test double")

        def predict(self, premises, hypotheses):
            events.append("nli")
            return np.tile([0.6, 0.3, 0.1], (len(premises), 1))

        def release(self):
            events.append("release nli")

    lines = [f"Statement number {word} says the council met again." for word in ("one", "two", "three")]
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    models = Models(Encoder(), NLI())
    config = CheckConfig(progress=False, use_cache=False)
    inputs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    check(inputs, config, models=models)
    assert "release encoder" not in events and "release nli" not in events  # a small check keeps them
    events.clear()
    monkeypatch.setattr(checker.pipeline, "RELEASE_MIN_CLAIMS", 6)
    check(inputs, config, models=models)
    assert events.index("release encoder") > max(i for i, e in enumerate(events) if e == "encode")
    assert events.index("release encoder") < events.index("nli") < events.index("release nli") == len(events) - 1
