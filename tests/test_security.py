"""Untrusted documents and file names on their way into spreadsheets, terminals, browsers and the file
system; and the reliability of the commands around them (permissions, re-runs, Ctrl-C, concurrency).
Models are tiny random ones: their scores are not the point."""

from __future__ import annotations

import csv
import ctypes
import json
import os
import signal
import sqlite3
import stat
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.cli import app, main

REPO = Path(__file__).resolve().parents[1]
SOURCE_TEXT = (REPO / "fixtures" / "drift" / "source.en.txt").read_text(encoding="utf-8")
MALAY_TEXT = (REPO / "fixtures" / "drift" / "clean.ms.txt").read_text(encoding="utf-8")
ESC = "\x1b"
# a line that is a spreadsheet formula and a terminal title/colour escape at once
HOSTILE = f"=SUM(A1:A9)*2 {ESC}]0;owned{ESC}\\{ESC}[31m The ferry carried twelve cars across the strait."
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("per_test_cache")


def run(*args: str | Path, quiet: bool = True):
    return runner.invoke(app, [*map(str, args), *(["-q"] if quiet else [])])


def model_args(encoder: str) -> list[str]:
    return ["--encoder", encoder, "--nli", "none", "--no-slots"]


def hostile_story(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / "source.en.txt", folder / f"=ms{ESC}[2J.txt"]
    files[0].write_text(SOURCE_TEXT + "\n" + HOSTILE + "\n", encoding="utf-8")
    files[1].write_text(MALAY_TEXT + "\n@SUM(1+1) Feri itu membawa dua belas kereta.\n", encoding="utf-8")
    return files


def csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def assert_inert_csv(path: Path) -> None:
    cells = csv_cells(path)
    texts = [c for c in cells if c.lstrip("'").startswith(("=", "@"))]
    assert texts, f"{path.name}: the hostile claim should be in it"
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not (cell.startswith("-") and not _is_number(cell)), cell
        assert ESC not in cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- spreadsheets, terminals, files


def test_csv_cells_that_look_like_formulas_are_text(encoder, tmp_path) -> None:
    out = tmp_path / "out"
    result = run("check", *hostile_story(tmp_path / "in"), "--out", out, *model_args(encoder))
    assert result.exit_code == 0, result.output
    assert_inert_csv(out / "discrepancies.csv")
    assert_inert_csv(out / "groups.csv")
    first = run("review", out, "--mark", "d1", "dismissed", "--note", "-2+3 =cmd|' /C calc'!A0", quiet=False)
    assert first.exit_code == 0, first.output
    export = tmp_path / "decisions.csv"
    assert run("review", out, "--export", export, quiet=False).exit_code == 0
    assert "'-2+3 =cmd|' /C calc'!A0" in csv_cells(export)
    assert_inert_csv(export)


def test_escape_sequences_never_reach_terminal_or_reports(encoder, tmp_path) -> None:
    files = hostile_story(tmp_path / "in")
    out = tmp_path / "out"
    checked = run("check", *files, "--out", out, *model_args(encoder), quiet=False)
    assert checked.exit_code == 0, checked.output
    assert ESC not in checked.stdout + checked.stderr
    assert "␛" in checked.stdout  # shown, not executed
    for name in ("report.md", "discrepancies.csv", "groups.csv", "report.html"):
        assert ESC not in (out / name).read_text(encoding="utf-8"), name
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))  # the data keeps the text as read
    assert any(ESC in c["text"] for d in data["documents"] for c in d["claims"])
    assert run("review", out, "--all", quiet=False).stdout.count(ESC) == 0
    for fmt in ("text", "github", "json", "sarif"):
        result = run("ci", files[0], files[1], "--format", fmt, *model_args(encoder))
        assert result.exit_code in (0, 1), result.output
        assert ESC not in result.stdout + result.stderr, fmt
        assert "\x9b" not in result.stdout


def test_undecodable_file_name_is_reported_not_a_crash(encoder, tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "source.en.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    odd = os.fsdecode(bytes(folder / "ms") + b"\xff.txt")
    Path(odd).write_text(MALAY_TEXT, encoding="utf-8")
    out = tmp_path / "out"
    result = run("check", folder, "--out", out, *model_args(encoder), quiet=False)
    assert result.exit_code == 0, result.output
    assert "\ufffd" in (out / "report.md").read_text(encoding="utf-8")


def test_report_files_keep_existing_permissions_and_follow_the_umask(encoder, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("old", encoding="utf-8")
    os.chmod(out / "report.md", 0o644)
    old_umask = os.umask(0o027)
    try:
        result = run("check", *hostile_story(tmp_path / "in"), "--out", out, *model_args(encoder))
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((out / "report.md").stat().st_mode) == 0o644  # kept
    assert stat.S_IMODE((out / "report.json").stat().st_mode) == 0o640  # 0666 & ~027


def test_ci_out_names_from_dot_stems_stay_inside_out(encoder, tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    source = folder / "source.en.txt"
    source.write_text(SOURCE_TEXT, encoding="utf-8")
    traps = [folder / "..txt", folder / "...txt"]  # stems "." and ".."
    for trap in traps:
        trap.write_text(MALAY_TEXT, encoding="utf-8")
    parent = tmp_path / "parent"
    out = parent / "out"
    result = run("ci", source, *traps, "--out", out, *model_args(encoder))
    assert result.exit_code in (0, 1), result.output
    assert sorted(p.name for p in parent.iterdir()) == ["out"]  # nothing written beside --out
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(folders) == 2 and not any(f.startswith(".") for f in folders)
    for name in folders:
        assert (out / name / "report.json").is_file()


def test_sarif_uri_is_percent_encoded(encoder, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("my docs")
    folder.mkdir()
    (folder / "source.en.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    translation = folder / 'ms #1 "draft".txt'
    added = ("Feri itu membawa dua belas kereta pada waktu malam.", "Pelabuhan baharu dibuka kepada pelancong.",
             "Harga tiket dijangka naik tahun depan.")  # additions with no counterpart: findings to locate
    translation.write_text(MALAY_TEXT + "\n" + "\n".join(added) + "\n", encoding="utf-8")
    result = run("ci", folder / "source.en.txt", translation, "--format", "sarif", *model_args(encoder))
    assert result.exit_code in (0, 1), result.output
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(result.stdout)["runs"][0]["results"] for loc in r["locations"]}
    assert "my%20docs/ms%20%231%20%22draft%22.txt" in uris
    assert all(" " not in u and "#" not in u and '"' not in u for u in uris)


# ---------------------------------------------------------------- re-runs and inputs


def test_out_inside_the_input_folder_is_not_read_back(encoder, tmp_path) -> None:
    folder = tmp_path / "story"
    hostile_story(folder)
    for _ in range(2):
        result = run("check", folder, "--out", folder, *model_args(encoder))
        assert result.exit_code == 0, result.output
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert sorted(d["id"] for d in data["documents"]) == sorted(["source.en", f"=ms{ESC}[2J"])
    skipped = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert "claimcheck report" in skipped["report.md"] and "claimcheck report" in skipped["report.html"]
    # a report copied elsewhere is recognised by its header, too
    other = tmp_path / "other"
    hostile_story(other)
    (other / "report.md").write_bytes((folder / "report.md").read_bytes())
    out = tmp_path / "out"
    assert run("check", other, "--out", out, *model_args(encoder)).exit_code == 0
    assert len(json.loads((out / "report.json").read_text(encoding="utf-8"))["documents"]) == 2


def test_symlink_loop_is_named_as_such(tmp_path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    result = run("check", loop, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "symbolic links" in result.stderr and "not found" not in result.stderr


def test_unreadable_folder_is_a_one_line_error(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self == folder:
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    result = run("check", folder, "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr.strip() == f"claimcheck: error: {folder}: cannot read folder " \
                                                               "(Permission denied)"


def test_unreadable_file_named_on_the_command_line_is_skipped(encoder, tmp_path, monkeypatch) -> None:
    files = hostile_story(tmp_path / "in")
    locked = tmp_path / "in" / "ar.txt"
    locked.write_text("x", encoding="utf-8")
    real_read = Path.read_bytes

    def read_bytes(self):
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    out = tmp_path / "out"
    result = run("check", *files, locked, "--out", out, *model_args(encoder))
    assert result.exit_code == 0, result.output
    skipped = json.loads((out / "report.json").read_text(encoding="utf-8"))["skipped"]
    assert skipped == [{"path": str(locked), "reason": "cannot read (Permission denied)"}]


@pytest.mark.parametrize("argv", [["check"], ["check", "--max-claims", "0", "x"], ["ci", "a.txt"], ["chek"]])
def test_usage_errors_are_one_line(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("claimcheck: error: "), err
    assert "╭" not in err and "{" not in err


# ---------------------------------------------------------------- review store


def test_corrupt_review_database_does_not_fail_a_written_report(encoder, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "review.sqlite").write_bytes(b"this is not a database" * 100)
    result = run("check", *hostile_story(tmp_path / "in"), "--out", out, *model_args(encoder))
    assert result.exit_code == 0, result.output
    assert "warning: report.html shows no review decisions" in result.stderr
    assert (out / "report.html").is_file() and (out / "report.json").is_file()


def test_concurrent_marks_leave_the_page_with_both_decisions(encoder, tmp_path, monkeypatch) -> None:
    from checker import html_report, review

    out = tmp_path / "out"
    assert run("check", *hostile_story(tmp_path / "in"), "--out", out, *model_args(encoder)).exit_code == 0
    data = review.load_report(out)
    items = review.review_items(data, {})
    assert len(items) >= 2
    rendered: list[dict] = []
    real_render = html_report.render_html_data
    second: list[threading.Thread] = []

    def render(data_, states=None):
        if not second:  # the first writer is about to render: a second one marks meanwhile
            thread = threading.Thread(target=review.mark_findings, args=(out, data, [items[1]], "confirmed"))
            second.append(thread)
            thread.start()
            thread.join(1.0)  # with the lock it waits for this writer to finish
        rendered.append({fp: s.status for fp, s in (states or {}).items()})
        return real_render(data_, states)

    monkeypatch.setattr(html_report, "render_html_data", render)
    review.mark_findings(out, data, [items[0]], "confirmed")
    second[0].join(10)
    final = rendered[-1]
    assert final[items[0].fingerprint] == "confirmed" and final[items[1].fingerprint] == "confirmed"
    with sqlite3.connect(out / "review.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 2


# ---------------------------------------------------------------- large inputs and Ctrl-C


def test_max_claims_warning_comes_before_the_long_part(encoder, tmp_path, monkeypatch) -> None:
    def embedding_fails(*_args, **_kwargs):
        raise RuntimeError("stopped before embedding")

    monkeypatch.setattr("checker.pipeline.embed_texts", embedding_fails)
    result = run("check", *hostile_story(tmp_path / "in"), "--out", tmp_path / "out", "--max-claims", "2",
                 *model_args(encoder), quiet=False)
    assert result.exit_code == 3  # the run failed later, yet the warning was already given
    assert "only the first 2 are checked (--max-claims)" in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mutex stands in for native code")
def test_ctrl_c_is_prompt_while_native_code_runs(encoder, tmp_path, monkeypatch) -> None:
    libc = ctypes.CDLL(None)
    mutex = ctypes.create_string_buffer(64)  # zeroed: PTHREAD_MUTEX_INITIALIZER
    libc.pthread_mutex_lock(mutex)

    signalled: list[float] = []

    def interrupt() -> None:
        signalled.append(time.monotonic())
        signal.raise_signal(signal.SIGINT)

    def native_encoder(*_args, **_kwargs):
        # like a model's forward pass: releases the GIL and does not look at signals
        threading.Timer(0.3, interrupt).start()
        libc.pthread_mutex_lock(mutex)
        libc.pthread_mutex_unlock(mutex)
        raise RuntimeError("released")

    monkeypatch.setattr("checker.pipeline.embed_texts", native_encoder)
    release = threading.Timer(15.0, libc.pthread_mutex_unlock, (mutex,))  # bounds the test on failure
    release.start()
    try:
        result = run("check", *hostile_story(tmp_path / "in"), "--out", tmp_path / "out", *model_args(encoder))
        elapsed = time.monotonic() - signalled[0]
    finally:
        release.cancel()
        libc.pthread_mutex_unlock(mutex)
    assert result.exit_code == 130, result.output
    assert elapsed < 2.0, elapsed
    assert not (tmp_path / "out").exists()


def test_json_output_escapes_c1_controls() -> None:
    from checker.safetext import json_text

    text = json_text({"t": "a\x9b31mb\u2028"})
    assert "\x9b" not in text and "\\u009b" in text
    assert json.loads(text) == {"t": "a\x9b31mb\u2028"}


def test_ci_reads_each_input_once(encoder, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    source = folder / "source.en.txt"
    source.write_text(SOURCE_TEXT, encoding="utf-8")
    translations = [folder / "a.ms.txt", folder / "b.ms.html"]
    translations[0].write_text(MALAY_TEXT, encoding="utf-8")
    translations[1].write_text("<html><body>" + "".join(f"<p>{line}</p>\n" for line in MALAY_TEXT.splitlines())
                               + "</body></html>", encoding="utf-8")
    reads: list[str] = []
    real_read = Path.read_bytes

    def read_bytes(self):
        reads.append(self.name)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = run("ci", source, *translations, "--format", "json", *model_args(encoder))
    assert result.exit_code in (0, 1), result.output
    assert sorted(r for r in reads if r.endswith((".txt", ".html"))) == ["a.ms.txt", "b.ms.html", "source.en.txt"]
    lines = [f["line"] for t in json.loads(result.stdout)["translations"] for f in t["findings"]
             if f["file"].endswith(".html")]
    assert all(line >= 1 for line in lines)
