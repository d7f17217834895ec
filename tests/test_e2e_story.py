"""End to end on the real fixture story with the shipped default models (offline)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.cli import app
from checker.pipeline import CheckConfig, check

FIXTURE_STORY = Path(__file__).resolve().parents[1] / "fixtures" / "ain-al-asad"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def story_report(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return check([FIXTURE_STORY], CheckConfig(cache_dir=cache, progress=False))


def _lang(report, claim_id: str) -> str:
    doc_id = claim_id.split("#")[0]
    return next(d.language for d in report.documents if d.id == doc_id)


def test_languages_and_datelines_are_read(story_report):
    assert sorted(d.language for d in story_report.documents) == ["ar", "ar", "fa", "id", "ms"]
    assert sum(d.dateline is not None for d in story_report.documents) == 2
    # undated versions borrow the story's dateline, marked as assumed
    assert all(d.reference_date is not None for d in story_report.documents)


def test_noise_is_dropped_not_claimed(story_report):
    reasons = {d.reason.split(" ")[0] for d in story_report.dropped}
    assert {"comment", "repeated", "trailing"} <= reasons
    claim_texts = " ".join(c.text for c in story_report.claims)
    for item in story_report.dropped:
        if item.reason.startswith(("comment", "trailing")):
            assert item.text not in claim_texts


def test_groups_span_malay_persian_and_arabic(story_report):
    spanning = [g for g in story_report.groups if {"ms", "fa", "ar"} <= {_lang(story_report, c) for c in g.claims}]
    assert len(spanning) >= 2


def test_the_older_event_is_flagged_off_topic(story_report):
    off_topic = story_report.settings["off_topic"]
    assert [d.language for d in story_report.documents if d.id in off_topic] == ["id"]


def test_value_level_date_differences_are_reported(story_report):
    dates = [d for d in story_report.discrepancies if d.kind == "date"]
    assert dates, "expected at least one date conflict between versions"
    for item in dates:
        assert item.values_a and item.values_b
        # the same date at two granularities ("2024-09" and "2024-09-27") is never a conflict
        for a in item.values_a:
            for b in item.values_b:
                assert not (a.startswith(b) or b.startswith(a)), (a, b)


def test_real_models_ran_and_nli_is_bounded(story_report):
    roles = {m.role: m for m in story_report.models}
    assert roles["encoder"].real and roles["nli"].real
    assert story_report.settings["nli_pair_evaluations"] <= 4 * len(story_report.claims)
    assert all(d.nli is not None for d in story_report.discrepancies if d.kind != "unmatched")


def test_cli_main_command_writes_the_three_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMCHECK_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["check", str(FIXTURE_STORY), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(data["documents"]) == 5
    assert (out / "discrepancies.csv").read_text(encoding="utf-8").startswith("id,kind,score")
    assert "# claimcheck report" in (out / "report.md").read_text(encoding="utf-8")


def test_status_findings_name_the_handover_and_phase_disagreements(story_report):
    from checker.storyeval import hits, load_gold

    gold = load_gold(FIXTURE_STORY)
    status = [d for d in story_report.discrepancies if d.kind == "status"]
    found = {g.id for d in status for g in gold.disagreements if hits(d, g)}
    assert found == {"handover-status", "phase-one"}
    # every status finding states a disagreement of the gold: none is false
    assert all(any(hits(d, g) for g in gold.disagreements) for d in status)
