"""Many stories at once: inputs, safe folders, resume, failures, and the same bytes from every engine."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.batch import (
    STAMP,
    Story,
    check_many,
    read_stories,
    run_batch,
    safe_folder_name,
    story_folder,
)
from checker.cli import app
from checker.pipeline import CheckConfig, check
from checker.report import write_report
from checker.types import CheckError

FORMATS = ("json", "csv", "md", "html", "groups")
WHEN = "2024-01-01T00:00:00+00:00"

SENTENCES = {
    "en": ["The council approved {n} new buses on Monday.", "The depot will open in {m}.",
           "Officials said fares stay the same."],
    "ms": ["Majlis meluluskan {n} bas baharu pada hari Isnin.", "Depoh itu akan dibuka pada {m}.",
           "Pegawai berkata tambang kekal sama."],
}


def write_story(folder: Path, n: int, month: str = "May") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for lang, lines in SENTENCES.items():
        text = "\n".join(line.format(n=n, m=month) for line in lines) + "\n"
        (folder / f"{lang}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    for k in range(4):
        write_story(root / f"story-{k}", 10 + k)
    return root


@pytest.fixture()
def config(tiny_encoder_path, tiny_nli_path) -> CheckConfig:
    return CheckConfig(encoder=str(tiny_encoder_path), nli=str(tiny_nli_path), use_cache=False, progress=False)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("story_id", ["..", ".", "../../etc", "a/b", "a\\b", "con", "NUL.txt", "\x1b[31mred",
                                      "=cmd", "x" * 300, "ünïcode", "", ".hidden"])
def test_untrusted_story_ids_get_safe_folders_inside_out(tmp_path, story_id):
    name = safe_folder_name(story_id)
    assert name and not name.startswith(".") and len(name) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert story_folder(tmp_path, story_id).resolve().parent == tmp_path.resolve()


def test_distinct_ids_never_share_a_folder():
    ids = ["a/b", "a_b", "a\\b", "a b", "A_b", "story", "story-1"]
    names = [safe_folder_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    assert safe_folder_name("story-1") == "story-1"  # a plain id is kept as is


def test_manifest_rows_good_and_bad(tmp_path, corpus):
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "story_id,paths,dateline,source\n"
        "s1,corpus/story-0/en.txt;corpus/story-0/ms.txt,2024-03-04,en.txt\n"
        ",corpus/story-1/en.txt,,\n"
        "s3,,,\n"
        "s4,corpus/story-2/en.txt,not-a-date,\n"
        "s5,corpus/story-3/en.txt,,fr.txt\n"
        "s1,corpus/story-1/en.txt,,\n", encoding="utf-8")
    stories, problems = read_stories(manifest)
    assert [s.id for s in stories] == ["s1"]
    assert stories[0].paths == [tmp_path / "corpus/story-0/en.txt", tmp_path / "corpus/story-0/ms.txt"]
    assert str(stories[0].dateline) == "2024-03-04" and stories[0].source == "en.txt"
    assert len(problems) == 5 and all("\n" not in p for p in problems)
    assert "line 3: no story id" in problems[0]
    assert "line 4" in problems[1] and "lists no files" in problems[1]
    assert "not YYYY-MM-DD" in problems[2] and "not one of its files" in problems[3]
    assert "duplicate story id" in problems[4]


def test_jsonl_manifest_and_unusable_inputs(tmp_path, corpus):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "x", "paths": [str(corpus / "story-0")]}) + "\nnot json\n[1]\n",
                        encoding="utf-8")
    stories, problems = read_stories(manifest)
    assert [s.id for s in stories] == ["x"] and stories[0].paths == [corpus / "story-0"]
    assert ["line 2: not a JSON object" in problems[0], "line 3" in problems[1]] == [True, True]
    (tmp_path / "bad.csv").write_text("id,files\nx,y\n", encoding="utf-8")
    with pytest.raises(CheckError, match="columns story_id and paths"):
        read_stories(tmp_path / "bad.csv")
    with pytest.raises(CheckError, match="not found"):
        read_stories(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckError, match="no stories"):
        read_stories(tmp_path / "empty")


def test_batch_reports_are_exactly_what_check_writes(corpus, config, tmp_path):
    stories, problems = read_stories(corpus)
    assert problems == [] and len(stories) == 4
    result = run_batch(stories, tmp_path / "out", config, formats=FORMATS, progress=False, generated_at=WHEN)
    assert result.checked == [s.id for s in stories] and not result.failed
    single = tmp_path / "single"
    write_report(check([corpus / "story-2"], config), single, FORMATS, generated_at=WHEN)
    batch_files = tree(tmp_path / "out" / "story-2")
    assert batch_files.pop(STAMP)
    assert batch_files == tree(single)
    rows = (tmp_path / "out" / "stories.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("story_id,folder,status") and len(rows) == 5
    header = rows[0].split(",")  # the findings on an event's status are counted apart from a story's status
    assert header.count("status") == 1 and "status_findings" in header
    assert all(",checked," in row for row in rows[1:])
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="story-{k}/report.html"' in index for k in range(4))


def test_dask_local_cluster_gives_the_same_bytes_as_one_process(corpus, config, tmp_path):
    distributed = pytest.importorskip("distributed")
    stories, _ = read_stories(corpus)
    run_batch(stories, tmp_path / "one", config, formats=FORMATS, progress=False, generated_at=WHEN)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        result = run_batch(stories, tmp_path / "dask", config, formats=FORMATS, client=client, progress=False,
                           generated_at=WHEN)
        assert sorted(result.checked) == sorted(s.id for s in stories)
        assert len(client.scheduler_info()["workers"]) == 2
    assert tree(tmp_path / "dask") == tree(tmp_path / "one")


def test_resume_skips_unchanged_stories_and_redoes_changed_ones(corpus, config, tmp_path):
    out = tmp_path / "out"
    stories, _ = read_stories(corpus)
    run_batch(stories, out, config, formats=FORMATS, progress=False)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/report.json")}
    again = run_batch(stories, out, config, formats=FORMATS, progress=False)
    assert again.checked == [] and len(again.unchanged) == 4
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/report.json")} == before
    write_story(corpus / "story-1", 99)  # an edited input
    edited = run_batch(stories, out, config, formats=FORMATS, progress=False)
    assert edited.checked == ["story-1"] and len(edited.unchanged) == 3
    assert "99" in (out / "story-1" / "report.json").read_text(encoding="utf-8")
    config.compare = replace(config.compare, nli_threshold=0.9)  # other settings: every report is stale
    assert len(run_batch(stories, out, config, formats=FORMATS, progress=False).checked) == 4


def test_a_failing_story_is_reported_and_skipped(corpus, config, tmp_path):
    bad = corpus / "=HYPERLINK(x)<b>"
    bad.mkdir()
    (bad / "en.txt").write_text("Only one version here.\n", encoding="utf-8")
    failures: list[tuple[str, str]] = []
    stories, _ = read_stories(corpus)
    result = run_batch(stories, tmp_path / "out", config, formats=FORMATS, progress=False,
                       on_failure=lambda sid, why: failures.append((sid, why)))
    assert len(result.checked) == 4 and list(result.failed) == [bad.name]
    assert failures and "at least two readable language versions" in failures[0][1]
    assert not any(p.name.startswith("HYPERLINK") for p in (tmp_path / "out").iterdir() if p.is_dir()
                   and (p / "report.json").exists())
    csv_text = (tmp_path / "out" / "stories.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(x)<b>,HYPERLINK_x_b_-" in csv_text and ",failed," in csv_text
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(x)&lt;b&gt;" in index and "<b>" not in index


def test_spreadsheet_safe_cells():
    from checker.safetext import for_csv

    assert [for_csv(v) for v in ["=1+1", "+1", "-1", "@x", "plain", 3.5, -2]] == [
        "'=1+1", "'+1", "'-1", "'@x", "plain", 3.5, -2]


class CrashingStory(Story):
    """A story whose worker process dies (as if killed) when it receives it."""

    def __setstate__(self, state: dict) -> None:
        if os.getpid() != state["parent"]:
            os._exit(1)
        self.__dict__.update(state)


def test_a_killed_worker_loses_no_finished_story_and_a_rerun_completes(corpus, config, tmp_path):
    out = tmp_path / "out"
    stories, _ = read_stories(corpus)
    crash = CrashingStory(id="story-3", paths=[corpus / "story-3"])
    crash.parent = os.getpid()  # type: ignore[attr-defined]
    first = run_batch([*stories[:3], crash], out, config, formats=FORMATS, workers=2, progress=False)
    assert "story-3" in first.failed and "worker process died" in first.failed["story-3"]
    for sid in first.checked:  # every story reported as done has its whole report
        assert (out / sid / "report.json").is_file() and (out / sid / STAMP).is_file()
    rerun = run_batch(stories, out, config, formats=FORMATS, progress=False)
    assert sorted(rerun.unchanged) == sorted(first.checked) and not rerun.failed
    assert sorted(rerun.checked + rerun.unchanged) == [s.id for s in stories]


def test_check_many_yields_one_result_per_story(corpus, config):
    stories, _ = read_stories(corpus)
    results = list(check_many(stories[:2], config))
    assert [r.story.id for r in results] == ["story-0", "story-1"]
    assert all(r.report is not None and r.error is None for r in results)


def test_cli_batch_one_line_errors_and_exit_codes(corpus, tiny_encoder_path, tiny_nli_path, tmp_path):
    runner = CliRunner()
    models = ["--encoder", str(tiny_encoder_path), "--nli", str(tiny_nli_path), "--no-cache", "-q"]
    done = runner.invoke(app, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), *models])
    assert done.exit_code == 2 and "input not found" in done.output and "Traceback" not in done.output
    done = runner.invoke(app, ["batch", str(corpus), "--out", str(tmp_path / "o"), "--engine", "spark", *models])
    assert done.exit_code == 2 and "unknown --engine" in done.output
    done = runner.invoke(app, ["batch", str(corpus), "--out", str(tmp_path / "o"), "--format", "pdf", *models])
    assert done.exit_code == 2 and "unknown --format pdf" in done.output and not (tmp_path / "o").exists()
    (corpus / "story-1" / "ms.txt").unlink()
    done = runner.invoke(app, ["batch", str(corpus), "--out", str(corpus / "out"), *models])
    assert done.exit_code == 1
    assert "story story-1 failed" in done.output and "out: the output folder" not in done.output
    rerun = runner.invoke(app, ["batch", str(corpus), "--out", str(corpus / "out"), *models])
    assert "the output folder, skipped" in rerun.output  # its own output is never read as a story


def test_workers_share_the_cores_out_unless_told(monkeypatch):
    from checker import batch, e5model

    monkeypatch.delenv("CLAIMCHECK_THREADS", raising=False)
    monkeypatch.setattr(e5model, "torch_threads", lambda: 8)
    assert [batch.worker_threads(n) for n in (1, 2, 3, 16)] == ["8", "4", "2", "1"]
    monkeypatch.setenv("CLAIMCHECK_THREADS", "3")
    assert batch.worker_threads(2) == "3"
