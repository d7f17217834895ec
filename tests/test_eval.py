"""Metric code of ``claimcheck eval`` on hand-made data, plus one end-to-end run on the real models."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from checker.align import AlignConfig
from checker.evaluate import (
    alignment_scores,
    cosine_links,
    detect_format,
    evaluate_nli,
    load_nli_pairs,
    load_stories,
    margin_links,
)
from checker.metrics import binary_metrics, classification_metrics, majority_baseline, prf
from checker.types import CheckError, ModelInfo

ROOT = Path(__file__).resolve().parents[1]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_prf_arithmetic() -> None:
    m = prf(tp=3, fp=1, fn=2)
    assert m["precision"] == 0.75
    assert m["recall"] == 0.6
    assert m["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35, abs=1e-4)
    assert prf(0, 0, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 0}


def test_classification_metrics_per_label() -> None:
    gold = ["entailment", "contradiction", "contradiction", "neutral"]
    pred = ["entailment", "contradiction", "neutral", "contradiction"]
    m = classification_metrics(gold, pred)
    assert m["accuracy"] == 0.5
    assert m["per_label"]["contradiction"] == prf(1, 1, 1)
    assert m["per_label"]["entailment"]["f1"] == 1.0
    assert m["confusion"]["contradiction"]["neutral"] == 1
    contra = binary_metrics((g == "contradiction" for g in gold), (p == "contradiction" for p in pred))
    assert (contra["tp"], contra["fp"], contra["fn"]) == (1, 1, 1)


def test_majority_baseline() -> None:
    base = majority_baseline(["neutral", "neutral", "contradiction"])
    assert base["label"] == "neutral"
    assert base["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert base["contradiction"]["recall"] == 0.0


def test_detect_format(tmp_path: Path) -> None:
    nli = write_jsonl(tmp_path / "n.jsonl", [{"premise": "a", "hypothesis": "b", "label": "neutral"}])
    align = write_jsonl(tmp_path / "a.jsonl", [{"id": "s", "docs": {"en": ["x"], "fa": ["y"]}, "gold": []}])
    tsv = tmp_path / "p.tsv"
    tsv.write_text("en\tid\nOne.\tSatu.\n", encoding="utf-8")
    other = write_jsonl(tmp_path / "o.jsonl", [{"text": "x"}])
    assert detect_format(nli) == "nli"
    assert detect_format(align) == "align"
    assert detect_format(tsv) == "parallel"
    with pytest.raises(CheckError):
        detect_format(other)
    with pytest.raises(CheckError):
        detect_format(tmp_path / "missing.jsonl")


def test_load_stories_canonical_gold_and_bounds(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [{"id": "s1", "docs": {"fa": ["a", "b"], "en": ["c", "d"]},
                                               "gold": [["fa", 1, "en", 0]]}])
    (story,) = load_stories(path)
    assert story.gold == {("en", 0, "fa", 1)}  # languages ordered, indices swapped with them
    bad = write_jsonl(tmp_path / "b.jsonl", [{"id": "s", "docs": {"en": ["a"], "fa": ["b"]}, "gold": [["en", 3, "fa", 0]]}])
    with pytest.raises(CheckError):
        load_stories(bad)


def test_parallel_tsv_groups_by_story(tmp_path: Path) -> None:
    tsv = tmp_path / "p.tsv"
    tsv.write_text("story\ten\tms\nA\tOne.\tSatu.\nA\tTwo.\tDua.\nB\tThree.\tTiga.\n", encoding="utf-8")
    stories = load_stories(tsv)
    assert [s.id for s in stories] == ["A", "B"]
    assert stories[0].gold == {("en", 0, "ms", 0), ("en", 1, "ms", 1)}
    assert stories[1].docs["ms"] == ["Tiga."]


def test_alignment_scores_per_language_pair_and_orphans(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [{
        "id": "s1", "docs": {"en": ["a", "b", "c"], "id": ["a'", "bc'"], "ms": ["a\"", "b\"", "x"]},
        "gold": [["en", 0, "id", 0], ["en", 1, "id", 1], ["en", 2, "id", 1], ["en", 0, "ms", 0], ["en", 1, "ms", 1],
                 ["id", 0, "ms", 0], ["id", 1, "ms", 1]]}])
    (story,) = load_stories(path)
    predicted = story.gold - {("en", 2, "id", 1)} | {("en", 2, "ms", 2)}
    scores = alignment_scores([story], [predicted])
    assert scores["overall"] == prf(tp=6, fp=1, fn=1)
    assert scores["by_language_pair"]["en-id"] == prf(tp=2, fp=0, fn=1)
    assert scores["by_language_pair"]["en-ms"] == prf(tp=2, fp=1, fn=0)
    # en#1, en#2 -> id#1 is a merge (2 links); id#1 <-> ms#1 is one-to-one
    assert scores["recall_by_kind"]["merged"] == {"gold": 2, "found": 1, "recall": 0.5}
    assert scores["recall_by_kind"]["one-to-one"]["gold"] == 5
    # en#2 and ms#2 have no counterpart in en-ms and are linked to each other; ms#2 again in id-ms
    assert scores["orphans"] == {"sentences": 3, "falsely_linked": 2}


def unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def test_cosine_baseline_links_an_orphan_that_margin_rejects() -> None:
    # b has no counterpart for a[2]; a[2] is equally close to everything, so only the margin rejects it
    a = np.stack([unit([1, 0.1, 0.1]), unit([0.1, 1, 0.1]), unit([1, 1, 0.2])])
    b = np.stack([unit([1, 0.12, 0.1]), unit([0.1, 1, 0.12])])
    cfg = AlignConfig(k=2, min_margin=1.02, one_way_margin=1.5, min_cosine=0.5)
    assert margin_links(a, b, cfg) == {(0, 0), (1, 1)}
    assert (2, 0) in cosine_links(a, b, 0.5) or (2, 1) in cosine_links(a, b, 0.5)
    assert cosine_links(a, b, 0.9) == {(0, 0), (1, 1)}  # the orphan's best cosine is about 0.78


class TableNLI:
    """A fake scorer: contradiction when the hypothesis contains 'not'."""

    info = ModelInfo("nli", "fake", "0", False)

    def predict(self, premises, hypotheses) -> np.ndarray:
        return np.array([[0.1, 0.1, 0.8] if "not" in h.split() else [0.7, 0.2, 0.1] for h in hypotheses],
                        dtype=np.float32)


class NoEncoder:
    info = ModelInfo("encoder", "none", "0", False)

    def encode(self, texts):  # pragma: no cover - the fake scorer never embeds
        raise AssertionError("not used")


def test_evaluate_nli_groups_by_language_pair(tmp_path: Path) -> None:
    rows = [{"premise": "It rained.", "hypothesis": "It did not rain.", "label": "contradiction", "lang_p": "en", "lang_h": "en"},
            {"premise": "It rained.", "hypothesis": "It rained hard.", "label": "neutral", "lang_p": "en", "lang_h": "en"},
            {"premise": "Hujan.", "hypothesis": "Tidak not hujan.", "label": "contradiction", "lang_p": "id", "lang_h": "ms"},
            {"premise": "Hujan.", "hypothesis": "Hujan turun.", "label": "entailment", "lang_p": "id", "lang_h": "ms"}]
    pairs = load_nli_pairs(write_jsonl(tmp_path / "n.jsonl", rows))
    result = evaluate_nli(pairs, TableNLI(), NoEncoder())
    assert set(result["by_language_pair"]) == {"en-en", "id-ms"}
    assert result["overall"]["accuracy"] == 0.75
    assert result["by_language_pair"]["en-en"]["accuracy"] == 0.5
    assert result["overall"]["contradiction"] == prf(2, 0, 0)
    # the checker's rule takes the more contradicting direction, as reports do
    assert result["overall"]["contradiction_rule"]["tp"] == 2
    assert load_nli_pairs(tmp_path / "n.jsonl", limit=1)[0].lang_h == "en"


@pytest.mark.e2e
def test_eval_cli_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from checker.cli import app

    monkeypatch.setenv("CLAIMCHECK_CACHE", str(tmp_path / "cache"))
    nli_slice = ROOT / "fixtures/eval/nli/test-slice.jsonl"
    stories = ROOT / "fixtures/eval/align/ntrex-stories-test.jsonl"
    if not nli_slice.is_file() or not (ROOT / "models/nli-head/head.npz").is_file():
        pytest.skip("NLI test slice or shipped NLI head not present")
    runner = CliRunner()
    started = time.perf_counter()
    out_nli, out_align = tmp_path / "nli.json", tmp_path / "align.json"
    r1 = runner.invoke(app, ["eval", str(nli_slice), "--limit", "300", "--json", str(out_nli), "-q"])
    assert r1.exit_code == 0, r1.output
    # all-pairs NLI over three stories is thousands of pairs: the embedding head keeps it quick, and the
    # aligned-vs-all-pairs comparison below does not depend on the NLI model
    r2 = runner.invoke(app, ["eval", str(stories), "--limit", "3", "--nli", "e5-nli-head", "--json", str(out_align),
                             "-q"])
    assert r2.exit_code == 0, r2.output
    assert time.perf_counter() - started < 90
    nli = json.loads(out_nli.read_text())
    assert nli["overall"]["n"] == 300
    assert nli["overall"]["accuracy"] > nli["overall"]["majority_baseline"]["accuracy"]
    align = json.loads(out_align.read_text())
    assert align["margin"]["overall"]["f1"] > align["cosine_baseline"]["overall"]["f1"]
    assert align["nli"]["aligned"]["nli_evaluations"] < align["nli"]["all_pairs"]["nli_evaluations"]


def test_malformed_dataset_line_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"premise": "a", "hypothesis": "b", "label": "entailment"}\n{"premise": "a"}\n', encoding="utf-8")
    with pytest.raises(CheckError, match=r"bad\.jsonl:2: malformed record"):
        load_nli_pairs(path)
