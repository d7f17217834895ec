"""Bad and unusual inputs through the CLI: every one ends in a clear one-line error with exit 2, or a
documented skip, never a traceback. Models are tiny random ones: their scores are not the point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from checker.cli import app

REPO = Path(__file__).resolve().parents[1]
SOURCE_TEXT = (REPO / "fixtures" / "drift" / "source.en.txt").read_text(encoding="utf-8")
MALAY_TEXT = (REPO / "fixtures" / "drift" / "clean.ms.txt").read_text(encoding="utf-8")
ARABIC_TEXT = (REPO / "fixtures" / "drift" / "clean.ar.txt").read_text(encoding="utf-8")
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("per_test_cache")


@pytest.fixture()
def source(tmp_path) -> Path:
    path = tmp_path / "source.en.txt"
    path.write_text(SOURCE_TEXT, encoding="utf-8")
    return path


def ci(encoder: str, *args: str | Path):
    return runner.invoke(app, ["ci", *map(str, args), "--encoder", encoder, "--nli", "none", "--no-slots", "-q"])


def check(encoder: str, *args: str | Path):
    return runner.invoke(app, ["check", *map(str, args), "--encoder", encoder, "--nli", "none", "--no-slots", "-q"])


def assert_clean_error(result, *needles: str) -> None:
    """Exit 2 with one `claimcheck: error:` line on stderr and no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("claimcheck: error:"), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


def test_empty_file(encoder, source, tmp_path) -> None:
    empty = tmp_path / "empty.ms.txt"
    empty.write_bytes(b"  \n")
    assert_clean_error(ci(encoder, source, empty), "empty.ms.txt", "empty file")
    # `check` on a folder skips it with the reason and checks the rest
    (tmp_path / "ms.txt").write_text(MALAY_TEXT, encoding="utf-8")
    out = tmp_path / "out"
    assert check(encoder, tmp_path, "--out", out).exit_code == 0
    skipped = json.loads((out / "report.json").read_text(encoding="utf-8"))["skipped"]
    assert {"path": str(empty), "reason": "empty file"} in skipped


def test_binary_file(encoder, source, tmp_path) -> None:
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    assert_clean_error(ci(encoder, source, binary), "binary file")


@pytest.mark.parametrize(("name", "text", "encoding", "language", "probe"), [
    ("cp1256.ar.txt", ARABIC_TEXT, "cp1256", "ar", ARABIC_TEXT.split()[2]),
    ("latin1.fr.txt", "Le gouvernement a inauguré une nouvelle gare routière à Ipoh le 3 juin 2025.\n\n"
                      "La gare a coûté 40 millions de ringgits et sa construction a duré deux ans.\n",
     "latin-1", "fr", "inauguré une nouvelle gare"),
    ("utf16.ms.txt", MALAY_TEXT, "utf-16", "ms", MALAY_TEXT.split()[2]),
])
def test_encodings_are_decoded(encoder, source, tmp_path, name, text, encoding, language, probe) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))  # Python's utf-16 codec writes a BOM
    out = tmp_path / "out"
    result = check(encoder, source, path, "--out", out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))["documents"][1]
    assert doc["language"] == language
    assert any(probe in claim["text"] for claim in doc["claims"])


def test_mixed_encodings_in_one_file(encoder, source, tmp_path) -> None:
    """UTF-8 lines with one latin-1 line: decoded with a best guess, checked, no crash."""
    path = tmp_path / "mixed.ms.txt"
    path.write_bytes(MALAY_TEXT.encode("utf-8") + "\nKenyataan itu dikeluarkan di Café Pelabuhan.\n".encode("latin-1"))
    out = tmp_path / "out"
    result = ci(encoder, source, path, "--out", out)
    assert result.exit_code in (0, 1), result.output
    data = json.loads((out / "mixed.ms" / "report.json").read_text(encoding="utf-8"))
    doc = data["documents"][1]
    assert doc["language"] == "ms" and len(doc["claims"]) >= 8


def test_huge_document_is_capped_and_bounded(encoder, source, tmp_path) -> None:
    """A 10 MB translation: claims beyond --max-claims are skipped with a warning; progress is shown;
    time and peak memory stay bounded. Runs as a real process to measure its memory."""
    big = tmp_path / "big.ms.txt"
    towns = ["Ipoh", "Kuantan", "Melaka", "Seremban", "Kuching", "Kota Bharu"]
    lines, size, n = [], 0, 0
    while size < 10 * 1024 * 1024:
        line = (f"Laporan {n} menyatakan bahawa {n % 977 + 3} orang menghadiri mesyuarat ke-{n * 7} "
                f"di {towns[n % 6]} pada hari ke-{n % 28 + 1}.\n")
        lines.append(line)
        size += len(line.encode())
        n += 1
    big.write_text("".join(lines), encoding="utf-8")
    env = {**os.environ, "CLAIMCHECK_CACHE": str(tmp_path / "cache")}
    started = time.monotonic()
    stdout, stderr, peak = tmp_path / "stdout", tmp_path / "stderr", tmp_path / "peak"
    command = [sys.executable, "-m", "checker", "ci", str(source), str(big), "--encoder", encoder, "--nli", "none",
               "--no-slots", "--max-claims", "500", "--format", "json"]
    # the check runs as the child of a small launcher: a child forked from this (large) test process would
    # count this process's memory as its own peak
    launcher = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); _, status, usage = os.wait4(p.pid, 0); "
                "open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); sys.exit(os.waitstatus_to_exitcode(status))")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.run([sys.executable, "-c", launcher, str(peak), *command], stdout=out, stderr=err, env=env,
                              timeout=300)
    elapsed = time.monotonic() - started
    peak_mb = int(peak.read_text()) / 1024
    err_text = stderr.read_text(encoding="utf-8")
    assert proc.returncode in (0, 1), err_text[-2000:]
    assert "Traceback" not in err_text
    assert "embedding claims" in err_text  # progress bar
    warnings = json.loads(stdout.read_text(encoding="utf-8"))["translations"][0]["warnings"]
    assert any(f"{n} claims, only the first 500 are checked" in w for w in warnings), warnings
    assert elapsed < 180 and peak_mb < 3000, (elapsed, peak_mb)


def test_embedding_deduplicates_identical_claims(tmp_path, monkeypatch) -> None:
    from tiny_models import HashEncoder

    from checker.pipeline import CheckConfig, Models
    from checker.pipeline import check as run_check

    repeated = tmp_path / "repeated.en.txt"
    # the same sentence in many paragraphs (boilerplate repeated lines are dropped; sentences inside lines are not)
    repeated.write_text("\n".join(f"Bulletin number {n} is out now! The bus station in Ipoh will open soon."
                                  for n in range(50)), encoding="utf-8")
    (tmp_path / "source.en.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    encoder = HashEncoder()
    report = run_check([tmp_path / "source.en.txt", repeated], CheckConfig(nli="none", use_cache=False,
                                                                           progress=False),
                       models=Models(encoder=encoder, nli=None))
    texts = [c.normalized for c in report.claims]
    assert len(texts) > len(set(texts)) and sum(encoder.calls) == len(set(texts))


def test_folder_with_one_document(encoder, tmp_path) -> None:
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "only.en.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    assert_clean_error(check(encoder, folder, "--out", tmp_path / "out"), "need at least two")
    assert_clean_error(ci(encoder, folder / "only.en.txt", folder), "holds no translation")


def test_two_documents_in_the_same_language(encoder, source, tmp_path) -> None:
    revision = tmp_path / "revision.en.txt"
    revision.write_text(SOURCE_TEXT.replace("150 new workers", "160 new workers"), encoding="utf-8")
    result = runner.invoke(app, ["ci", str(source), str(revision), "--encoder", encoder, "--nli", "none",
                                 "--no-slots", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert "is in the source's language (en)" in result.stderr
    assert any("all documents are in one language" in w for w in json.loads(result.stdout)["translations"][0]["warnings"])


def test_unsupported_language(encoder, source, tmp_path) -> None:
    greek = tmp_path / "story.el.txt"
    greek.write_text("Ο δήμος άνοιξε μια νέα γέφυρα την Τρίτη και ο δήμαρχος μίλησε στην τελετή.\n", encoding="utf-8")
    assert_clean_error(ci(encoder, source, greek), "story.el.txt", "language not recognised")
    # `check` skips it with the reason when enough other versions remain
    (tmp_path / "ms.txt").write_text(MALAY_TEXT, encoding="utf-8")
    out = tmp_path / "out"
    assert check(encoder, tmp_path, "--out", out).exit_code == 0
    skipped = json.loads((out / "report.json").read_text(encoding="utf-8"))["skipped"]
    assert any(s["path"] == str(greek) and "language not recognised" in s["reason"] for s in skipped)


def test_html_scripts_and_styles_are_not_claims(encoder, source, tmp_path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><head><title>Berita tempatan</title><style>p { color: red; } .x:after "
        "{ content: 'Hidden style sentence about the weather today.'; }</style>"
        "<script>var claim = 'The secret script says the bridge collapsed yesterday.'; "
        "document.write('<p>Injected paragraph text from a script.</p>');</script></head><body>"
        + "".join(f"<p>{line}</p>" for line in MALAY_TEXT.splitlines() if line)
        + "<script type='application/ld+json'>{\"headline\": \"Structured data headline sentence here.\"}</script>"
        "<noscript>Please enable scripts to read the full story here.</noscript></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    assert check(encoder, source, page, "--out", out).exit_code == 0
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))["documents"][1]
    text = " ".join(c["text"] for c in doc["claims"])
    for leaked in ("secret script", "Injected paragraph", "Hidden style", "Structured data", "enable scripts",
                   "color: red"):
        assert leaked not in text
    assert len(doc["claims"]) == 8 and MALAY_TEXT.splitlines()[0].split()[2] in text


def test_path_that_does_not_exist(encoder, source, tmp_path) -> None:
    missing = tmp_path / "missing.txt"
    assert_clean_error(ci(encoder, source, missing), "input not found", str(missing))
    assert_clean_error(ci(encoder, missing, source), "input not found")
    assert_clean_error(check(encoder, source, missing), "input not found")


def test_unwritable_out(encoder, source, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    translation = tmp_path / "ms.txt"
    translation.write_text(MALAY_TEXT, encoding="utf-8")
    assert_clean_error(ci(encoder, source, translation, "--out", blocker / "reports"), "cannot write")
    assert_clean_error(check(encoder, source, translation, "--out", blocker / "reports"), "cannot write")
    baseline = blocker / "baseline.json"
    assert_clean_error(ci(encoder, source, translation, "--baseline", baseline, "--update-baseline"), "cannot write")


# ---------------------------------------------------------------- atomic writes, cache, determinism


def _pair(tmp_path: Path) -> list[Path]:
    files = [tmp_path / "source.en.txt", tmp_path / "ms.txt"]
    files[0].write_text(SOURCE_TEXT, encoding="utf-8")
    files[1].write_text(MALAY_TEXT, encoding="utf-8")
    return files


def test_interrupt_while_rendering_leaves_no_files(encoder, tmp_path, monkeypatch) -> None:
    from checker import report

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setitem(report.RENDERERS, "md", ("report.md", interrupted))
    out = tmp_path / "out"
    result = check(encoder, *_pair(tmp_path), "--out", out)
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert not out.exists() or not list(out.iterdir())


def test_interrupt_while_writing_leaves_no_files(encoder, tmp_path, monkeypatch) -> None:
    import tempfile as tempfile_module

    real_mkstemp = tempfile_module.mkstemp
    calls = []

    def mkstemp_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first temp file is written, then the run is interrupted
            raise KeyboardInterrupt
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr("checker.fileio.tempfile.mkstemp", mkstemp_then_interrupt)
    out = tmp_path / "out"
    result = check(encoder, *_pair(tmp_path), "--out", out, "--no-cache")
    assert result.exit_code == 130 and len(calls) == 2
    assert list(out.iterdir()) == []  # neither report files nor temp files


def test_damaged_cache_rows_are_ignored_and_rewritten(encoder, tmp_path) -> None:
    import sqlite3

    from checker.cache import CACHE_FILE

    files = _pair(tmp_path)
    cache = tmp_path / "cache" / CACHE_FILE
    first, second = tmp_path / "first", tmp_path / "second"
    assert check(encoder, *files, "--out", first).exit_code == 0
    with sqlite3.connect(cache) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM vectors ORDER BY key")]
        assert len(keys) == 16
        good = np.frombuffer(db.execute("SELECT value FROM vectors WHERE key = ?", (keys[0],)).fetchone()[0], "<f4")
        for key, garbage in zip(keys, [b"\x93NUMPY garbage", good.tobytes()[:100], b"",
                                       np.full(good.size, np.nan, "<f4").tobytes()], strict=False):
            db.execute("UPDATE vectors SET value = ? WHERE key = ?", (garbage, key))
    result = check(encoder, *files, "--out", second)
    assert result.exit_code == 0, result.output
    assert _without_time(first / "report.json") == _without_time(second / "report.json")
    with sqlite3.connect(cache) as db:
        rows = dict(db.execute("SELECT key, value FROM vectors"))
    assert np.allclose(np.frombuffer(rows[keys[0]], "<f4"), good, atol=1e-6)  # recomputed and stored again
    assert all(len(rows[k]) == good.nbytes for k in keys[:4])


def _without_time(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data.pop("generated_at")
    return json.dumps(data, ensure_ascii=False, indent=2)


def test_runs_are_deterministic(encoder, tmp_path) -> None:
    files = _pair(tmp_path)
    outs = [tmp_path / "a", tmp_path / "b"]
    for n, out in enumerate(outs):
        extra = ["--no-cache"] if n else []  # one run from the cache, one computing afresh
        assert check(encoder, *files, "--out", out, *extra).exit_code == 0
    a, b = ((out / "report.json").read_text(encoding="utf-8").splitlines() for out in outs)
    assert len(a) > 20 and sum('"generated_at"' in line for line in a) == 1
    assert [x for x in a if '"generated_at"' not in x] == [y for y in b if '"generated_at"' not in y]
    for name in ("discrepancies.csv", "report.md"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    ci_outs = [tmp_path / "ci-a", tmp_path / "ci-b"]
    for out in ci_outs:
        assert ci(encoder, *files, "--out", out).exit_code in (0, 1)
    for name in ("ci.json", "ci.sarif"):
        assert (ci_outs[0] / name).read_bytes() == (ci_outs[1] / name).read_bytes()
