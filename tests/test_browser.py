"""The HTML report in a real browser (headless Chromium): cards render, the page's own script runs,
injected markup from documents does not, filters preset from the address apply, and a screenshot
can be taken. Skipped when Chromium is not installed (``apt-get install chromium``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_html_report import GENERATED_AT, sample_report

from checker.report import write_report

CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                             shutil.which("chromium-browser"), shutil.which("google-chrome")) if p and Path(p).exists()),
                None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    return write_report(sample_report(), folder, ("json", "html"), generated_at=GENERATED_AT)["report.html"]


def dump(tmp_path: Path, url: str, *extra: str) -> str:
    result = chromium(tmp_path, *extra, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout
    return result.stdout


def test_cards_render_and_injected_markup_stays_inert(page: Path, tmp_path: Path) -> None:
    dom = dump(tmp_path, page.as_uri())
    assert re.search(r'<html[^>]*data-report-js="ready"', dom)  # the page's own script ran
    assert re.search(r"<title>claimcheck report</title>", dom)  # an injected script would retitle it
    assert "pwned" not in dom.split("<body", 1)[0]
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "<img" not in dom  # no element was created from document text
    assert len(re.findall(r'<article class="card', dom)) == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text
    assert "<form class=\"toolbar\" id=\"toolbar\">" in dom  # revealed by the script
    assert "3 of 3 shown" in dom


def test_filter_from_address(page: Path, tmp_path: Path) -> None:
    dom = dump(tmp_path, page.as_uri() + "?kind=date")
    articles = re.findall(r"<article [^>]*>", dom)
    visible = [a for a in articles if " hidden" not in a]
    assert len(articles) == 3 and len(visible) == 1 and 'data-kind="date"' in visible[0]
    assert "1 of 3 shown" in dom


def test_language_filter_from_address(page: Path, tmp_path: Path) -> None:
    dom = dump(tmp_path, page.as_uri() + "?lang=fa")
    visible = [a for a in re.findall(r"<article [^>]*>", dom) if " hidden" not in a]
    assert len(visible) == 1 and 'data-langs="fa ms"' in visible[0]
    assert "1 of 3 shown" in dom


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = chromium(tmp_path, "--window-size=1280,2000", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
