"""`claimcheck serve` in a real browser (headless Chromium through Playwright): dismiss a finding with a
note, confirm one with the keyboard, reload and see both persisted, re-run `check` into the same folder
and still see them. Skipped when Chromium is not installed (``apt-get install chromium``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM
from typer.testing import CliRunner

from checker.cli import app
from checker.review import DB_NAME, ReviewStore, load_report, review_items
from checker.serve import create_app, new_token

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def checked(story_dir: Path, tiny_encoder_path: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    out = tmp_path / "out"
    args = ["check", str(story_dir), "--out", str(out), "--encoder", str(tiny_encoder_path), "--nli", "none",
            "--format", "json,html", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    assert len(review_items(load_report(out), {})) >= 2, "the test story should give two findings at least"
    return out, args


@pytest.fixture
def server(checked: tuple[Path, list[str]]) -> Iterator[str]:
    import uvicorn

    port = free_port()
    config = uvicorn.Config(create_app(checked[0], new_token()), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert instance.started
    yield f"http://127.0.0.1:{port}/"
    instance.should_exit = True
    thread.join(10)


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def test_dismiss_with_note_persists_across_reload_and_rerun(server: str, checked: tuple[Path, list[str]],
                                                            browser_page) -> None:
    out, args = checked
    page = browser_page
    page.goto(server)
    page.wait_for_selector("html[data-serve-js=ready]")
    ids = page.eval_on_selector_all("article.card", "cards => cards.map(c => c.id)")
    first, second = ids[0], ids[1]
    # Dismiss without a note is refused on the page; with a note it is saved
    page.click(f"#{first} button[data-status=dismissed]")
    assert "needs a reason" in page.inner_text(f"#{first} .decide-msg")
    page.fill(f"#{first} .note-input", "same fact, <b>worded</b> differently")
    page.click(f"#{first} button[data-status=dismissed]")
    page.wait_for_selector(f"html[data-last-saved='{first}:dismissed']")
    # keyboard: the clicked card is the current one; j moves to the next, k back, c confirms
    assert page.eval_on_selector(".card.current", "c => c.id") == first
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.eval_on_selector(".card.current", "c => c.id") == second
    page.keyboard.press("c")
    page.wait_for_selector(f"html[data-last-saved='{second}:confirmed']")

    page.reload()
    page.wait_for_selector("html[data-serve-js=ready]")
    assert page.get_attribute(f"#{first}", "data-status") == "dismissed"
    assert page.get_attribute(f"#{second}", "data-status") == "confirmed"
    assert "same fact, <b>worded</b> differently" in page.inner_text(f"#{first} .review-note")
    assert page.locator(f"#{first} .history li").count() == 1
    # the filter for decided findings shows exactly these two
    page.select_option("#toolbar select[name=status]", "decided")
    visible = page.eval_on_selector_all("article.card", "cards => cards.filter(c => !c.hidden).map(c => c.id)")
    assert sorted(visible) == sorted([first, second])

    result = CliRunner().invoke(app, args)  # a new run of `check` into the same folder
    assert result.exit_code in (0, 1), result.output
    page.goto(server)
    page.wait_for_selector("html[data-serve-js=ready]")
    fp = page.get_attribute(f"#{first}", "data-fp")
    assert page.get_attribute(f"#{first}", "data-status") == "dismissed"
    with ReviewStore(out / DB_NAME) as store:
        assert store.decisions()[fp].note == "same fact, <b>worded</b> differently"
    # and the static page shows it too, without the server
    static = (out / "report.html").read_text(encoding="utf-8")
    assert "same fact, &lt;b&gt;worded&lt;/b&gt; differently" in static
