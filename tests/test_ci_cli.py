"""`claimcheck ci`: exit codes, baselines, output formats (fast: a hash encoder stands in for models),
and (e2e) planted drifts in fixtures/drift caught with the shipped default models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tiny_models import HashEncoder
from typer.testing import CliRunner

from checker.cli import app
from checker.pipeline import Models

REPO = Path(__file__).resolve().parents[1]
DRIFT = REPO / "fixtures" / "drift"
SOURCE_TEXT = (DRIFT / "source.en.txt").read_text(encoding="utf-8")
DROPPED = "Construction was delayed by six months because of heavy flooding in 2022."
runner = CliRunner()


@pytest.fixture()
def hash_models(monkeypatch, tmp_path) -> HashEncoder:
    """Every pipeline run uses a HashEncoder and no NLI model; the embedding cache lives in tmp_path."""
    encoder = HashEncoder()
    monkeypatch.setattr("checker.pipeline.load_models", lambda config: Models(encoder=encoder, nli=None))
    monkeypatch.setenv("CLAIMCHECK_CACHE", str(tmp_path / "cache"))
    return encoder


@pytest.fixture()
def story(tmp_path) -> dict[str, Path]:
    """The drift source, an identical revision, and one with a sentence dropped (all English)."""
    folder = tmp_path / "story"
    folder.mkdir()
    files = {"source": folder / "source.txt", "same": folder / "same.txt", "dropped": folder / "dropped.txt"}
    files["source"].write_text(SOURCE_TEXT, encoding="utf-8")
    files["same"].write_text(SOURCE_TEXT, encoding="utf-8")
    files["dropped"].write_text(SOURCE_TEXT.replace(DROPPED + "\n\n", ""), encoding="utf-8")
    return files


def run(*args: str | Path):
    return runner.invoke(app, ["ci", *map(str, args), "--no-slots", "-q"])


def test_identical_translation_passes(hash_models, story) -> None:
    result = run(story["source"], story["same"])
    assert result.exit_code == 0, result.output
    assert "result: pass" in result.stdout


def test_dropped_sentence_fails_with_location_in_source(hash_models, story) -> None:
    result = run(story["source"], story["dropped"], "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "fail" and data["counts"]["new"] == 1
    (finding,) = data["translations"][0]["findings"]
    assert finding["kind"] == "unmatched" and finding["source_text"] == DROPPED
    assert finding["file"] == str(story["source"])
    assert finding["line"] == SOURCE_TEXT.splitlines().index(DROPPED) + 1


def test_added_sentence_points_into_the_translation(hash_models, story) -> None:
    added = story["same"].parent / "added.txt"
    added.write_text(SOURCE_TEXT + "\nThe minister also promised free rides for all students next year.\n",
                     encoding="utf-8")
    data = json.loads(run(story["source"], added, "--format", "json").stdout)
    (finding,) = data["translations"][0]["findings"]
    assert finding["file"] == str(added) and finding["line"] == SOURCE_TEXT.count("\n") + 2
    assert finding["translation_text"].startswith("The minister also promised")


def test_fail_on_and_min_score_select_what_fails(hash_models, story) -> None:
    assert run(story["source"], story["dropped"], "--fail-on", "date,number").exit_code == 0
    assert run(story["source"], story["dropped"], "--min-score", "0.5").exit_code == 0
    assert run(story["source"], story["dropped"], "--fail-on", "unmatched", "--min-score", "0.2").exit_code == 1
    result = run(story["source"], story["dropped"], "--fail-on", "date", "--format", "json")
    assert json.loads(result.stdout)["translations"][0]["findings"][0]["status"] == "ignored"


def test_one_failing_translation_fails_the_run(hash_models, story) -> None:
    result = run(story["source"], story["same"], story["dropped"])
    assert result.exit_code == 1
    assert re.search(r"^ok +.*same\.txt", result.stdout, re.M) and re.search(r"^FAIL .*dropped\.txt", result.stdout, re.M)


def test_translation_folder_excludes_the_source(hash_models, story) -> None:
    data = json.loads(run(story["source"], story["source"].parent, "--format", "json").stdout)
    assert [Path(t["path"]).name for t in data["translations"]] == ["dropped.txt", "same.txt"]


def test_baseline_accepts_known_findings_only(hash_models, story, tmp_path) -> None:
    baseline = tmp_path / "ci" / "baseline.json"
    updated = run(story["source"], story["dropped"], "--baseline", baseline, "--update-baseline")
    assert updated.exit_code == 0, updated.output
    data = json.loads(baseline.read_text(encoding="utf-8"))
    (entry,) = data["accepted"]
    assert entry["kind"] == "unmatched" and entry["source_text"] == DROPPED and len(entry["fingerprint"]) == 20
    assert not list(baseline.parent.glob(".*.tmp"))

    assert run(story["source"], story["dropped"], "--baseline", baseline).exit_code == 0
    # a further drift in the same translation is new and fails; the accepted one stays accepted
    story["dropped"].write_text(story["dropped"].read_text(encoding="utf-8").replace(
        "The operator has hired 150 new workers", "The operator has hired 510 new workers"), encoding="utf-8")
    result = run(story["source"], story["dropped"], "--baseline", baseline, "--format", "json")
    assert result.exit_code == 1
    statuses = sorted(f["status"] for f in json.loads(result.stdout)["translations"][0]["findings"])
    assert statuses == ["accepted", "new", "new"]  # the edited sentence: missing on one side, added on the other


def test_baseline_is_per_translation(hash_models, story, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    other = story["dropped"].parent / "dropped-too.txt"
    other.write_text(story["dropped"].read_text(encoding="utf-8"), encoding="utf-8")
    assert run(story["source"], story["dropped"], "--baseline", baseline, "--update-baseline").exit_code == 0
    # the same omission in another translation was not accepted there
    assert run(story["source"], other, "--baseline", baseline).exit_code == 1
    # updating for one translation keeps the entries of the others
    assert run(story["source"], other, "--baseline", baseline, "--update-baseline").exit_code == 0
    entries = json.loads(baseline.read_text(encoding="utf-8"))["accepted"]
    assert sorted(Path(e["translation"]).name for e in entries) == ["dropped-too.txt", "dropped.txt"]
    assert run(story["source"], story["dropped"], other, "--baseline", baseline).exit_code == 0


def test_github_annotations(hash_models, story) -> None:
    result = run(story["source"], story["dropped"], "--format", "github")
    assert result.exit_code == 1
    line = SOURCE_TEXT.splitlines().index(DROPPED) + 1
    pattern = rf"^::error file={re.escape(str(story['source']))},line={line},title=claimcheck unmatched::Missing from"
    assert re.search(pattern, result.stdout, re.M), result.stdout
    ignored = run(story["source"], story["dropped"], "--format", "github", "--fail-on", "nli")
    assert ignored.exit_code == 0 and ignored.stdout.startswith("::warning file=")


def test_sarif_structure(hash_models, story) -> None:
    result = run(story["source"], story["dropped"], "--format", "sarif")
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    (sarif_run,) = sarif["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "claimcheck"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert set(rule_ids) == {"nli", "negation", "date", "number", "place", "status", "unmatched"}
    (res,) = sarif_run["results"]
    assert res["ruleId"] == "unmatched" and rule_ids[res["ruleIndex"]] == "unmatched" and res["level"] == "error"
    assert res["message"]["text"]
    location = res["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == story["source"].as_uri()
    assert location["region"]["startLine"] == SOURCE_TEXT.splitlines().index(DROPPED) + 1


def test_out_writes_ci_files_and_pair_reports(hash_models, story, tmp_path) -> None:
    out = tmp_path / "out"
    assert run(story["source"], story["dropped"], "--out", out).exit_code == 1
    assert json.loads((out / "ci.json").read_text(encoding="utf-8"))["status"] == "fail"
    assert json.loads((out / "ci.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    report = json.loads((out / "dropped" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["discrepancies"]["unmatched"] == 1
    assert not list(out.rglob("*.tmp"))


def test_out_keeps_one_report_per_translation_with_the_same_file_name(hash_models, story, tmp_path) -> None:
    other = tmp_path / "other" / "dropped.txt"
    other.parent.mkdir()
    other.write_text(SOURCE_TEXT, encoding="utf-8")
    out = tmp_path / "out"
    assert run(story["source"], story["dropped"], other, "--out", out).exit_code == 1
    first = json.loads((out / "dropped" / "report.json").read_text(encoding="utf-8"))
    second = json.loads((out / "dropped-2" / "report.json").read_text(encoding="utf-8"))
    assert first["summary"]["discrepancies"]["unmatched"] == 1
    assert second["summary"]["discrepancies"]["unmatched"] == 0


def test_html_translation_line_numbers_point_into_the_markup(hash_models, story) -> None:
    html = story["same"].parent / "page.html"
    body = "\n".join(f"<p>{line}</p>" for line in SOURCE_TEXT.splitlines() if line and DROPPED not in line)
    html.write_text(f"<html><head><title>x</title></head><body>\n{body}\n"
                    "<p>The minister also promised free rides for all students next year.</p>\n</body></html>\n",
                    encoding="utf-8")
    data = json.loads(run(story["source"], html, "--format", "json").stdout)
    added = [f for f in data["translations"][0]["findings"] if f["file"] == str(html)]
    assert len(added) == 1 and added[0]["line"] == body.count("\n") + 3


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "xml"], "unknown --format"),
    (["--fail-on", "dates"], "--fail-on: unknown kind"),
    (["--min-score", "2"], "--min-score"),
    (["--update-baseline"], "--update-baseline needs --baseline"),
    (["--baseline", "/nonexistent/baseline.json"], "baseline not found"),
])
def test_usage_errors_exit_2(hash_models, story, args, message) -> None:
    result = run(story["source"], story["same"], *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("claimcheck: error:") and message in result.stderr


def test_invalid_baseline_exits_2(hash_models, story, tmp_path) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text("{not json", encoding="utf-8")
    result = run(story["source"], story["same"], "--baseline", bad)
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
    bad.write_text('{"accepted": [1]}', encoding="utf-8")
    assert run(story["source"], story["same"], "--baseline", bad).exit_code == 2


def test_translation_equal_to_source_is_an_error(hash_models, story) -> None:
    result = run(story["source"], story["source"])
    assert result.exit_code == 2 and "is the source file itself" in result.stderr


# ---------------------------------------------------------------- real models (slow)

MANIFEST = json.loads((DRIFT / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def drift_results(tmp_path_factory) -> dict[str, dict]:
    """One `claimcheck ci` run over every fixture translation with the default models."""
    out = tmp_path_factory.mktemp("drift")
    files = [DRIFT / name for name in MANIFEST["clean"]] + [DRIFT / d["file"] for d in MANIFEST["drifts"]]
    result = runner.invoke(app, ["ci", str(DRIFT / MANIFEST["source"]), *map(str, files), "--format", "json",
                                 "-q", "--out", str(out)])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    return {Path(t["path"]).name: t for t in data["translations"]}


@pytest.mark.e2e
@pytest.mark.parametrize("name", MANIFEST["clean"])
def test_e2e_clean_translation_passes(drift_results, name) -> None:
    findings = drift_results[name]["findings"]
    assert drift_results[name]["status"] == "pass", [(f["kind"], f["message"]) for f in findings]


DRIFT_CASES = [pytest.param(d, id=d["file"]) for d in MANIFEST["drifts"]]


@pytest.mark.e2e
@pytest.mark.parametrize("drift", DRIFT_CASES)
def test_e2e_planted_drift_is_caught(drift_results, drift) -> None:
    translation = drift_results[drift["file"]]
    kinds = [f["kind"] for f in translation["findings"] if f["status"] == "new"]
    assert translation["status"] == "fail" and drift["kind"] in kinds, (drift["change"], translation["findings"])


@pytest.mark.e2e
def test_e2e_baseline_silences_accepted_drift(tmp_path) -> None:
    source, translation = DRIFT / MANIFEST["source"], DRIFT / "number.ms.txt"
    baseline = tmp_path / "baseline.json"
    base = ["ci", str(source), str(translation), "-q", "--baseline", str(baseline)]
    assert runner.invoke(app, [*base, "--update-baseline"]).exit_code == 0
    assert any(e["kind"] == "number" for e in json.loads(baseline.read_text(encoding="utf-8"))["accepted"])
    assert runner.invoke(app, base).exit_code == 0
