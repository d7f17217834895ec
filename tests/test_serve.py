"""`claimcheck serve`: the page with decision controls, the write token, the Host check, which files are
served, concurrent decisions, decisions carried across a re-run of `check`, and the gloss."""

from __future__ import annotations

import json
import re
import socket
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_html_report import FA_1, GENERATED_AT, SCRIPT_PAYLOAD, parse, sample_report
from tiny_models import build_tiny_translator
from typer.testing import CliRunner

from checker.cli import EXIT_ERROR, app
from checker.gloss import Glosser
from checker.report import write_report
from checker.review import DB_NAME, ReviewStore, load_report, review_items
from checker.serve import TOKEN_HEADER, allowed_hosts_for, create_app

TOKEN = "test-token-0123456789"
BASE = "http://127.0.0.1:8765"
SECRET = "secret outside the report folder"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "report"
    write_report(sample_report(), out, ("json", "html"), generated_at=GENERATED_AT)
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    return out


@pytest.fixture
def client(folder: Path) -> TestClient:
    return TestClient(create_app(folder, TOKEN), base_url=BASE)


def fingerprints(folder: Path) -> dict[str, str]:
    return {i.discrepancy.id: i.fingerprint for i in review_items(load_report(folder), {})}


def post(client: TestClient, fp: str, status: str, note: str = "", token: str | None = TOKEN, **headers: str):
    if token is not None:
        headers[TOKEN_HEADER] = token
    return client.post("/api/decisions", json={"fingerprint": fp, "status": status, "note": note}, headers=headers)


def stored(folder: Path) -> dict[str, str]:
    if not (folder / DB_NAME).exists():
        return {}
    with ReviewStore(folder / DB_NAME) as store:
        return {fp: d.status for fp, d in store.decisions().items()}


def test_page_has_controls_token_and_escaped_text(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert f'<meta name="claimcheck-token" content="{TOKEN}">' in page
    assert "connect-src 'self'" in page
    parsed = parse(page)
    assert sorted(parsed.cards) == ["d1", "d2", "d3"] and parsed.scripts == 1
    assert all(c["attrs"]["data-status"] == "open" for c in parsed.cards.values())
    assert page.count('<button type="button" data-status="dismissed">') == 3
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "No translation model is configured" in page
    # the language filter lists the report's languages; cards carry theirs
    assert '<option value="fa">Persian</option>' in page
    assert parsed.cards["d2"]["attrs"]["data-langs"] == "fa ms"


def test_writes_need_the_token(client: TestClient, folder: Path) -> None:
    fp = fingerprints(folder)["d1"]
    assert post(client, fp, "confirmed", token=None).status_code == 403
    assert post(client, fp, "confirmed", token="wrong").status_code == 403
    assert post(client, fp, "confirmed", token=TOKEN[:-1]).status_code == 403
    # a form post from another page can carry no JSON content type
    plain = client.post("/api/decisions", content=json.dumps({"fingerprint": fp, "status": "confirmed"}),
                        headers={TOKEN_HEADER: TOKEN, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert post(client, fp, "confirmed", Origin="http://evil.example").status_code == 403
    assert stored(folder) == {}
    ok = post(client, fp, "confirmed", Origin=BASE)
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert stored(folder) == {fp: "confirmed"}


def test_bad_decisions_are_refused(client: TestClient, folder: Path) -> None:
    fp = fingerprints(folder)["d2"]
    assert post(client, fp, "dismissed").json()["error"].startswith("a dismissal needs a reason")
    assert post(client, fp, "deleted").status_code == 400
    assert post(client, "0" * 20, "confirmed").status_code == 404
    assert post(client, fp, "dismissed", "x" * 5000).status_code == 400
    assert client.post("/api/decisions", content=b"{", headers={TOKEN_HEADER: TOKEN,
                                                                "Content-Type": "application/json"}).status_code == 400
    assert stored(folder) == {}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "10.0.0.1"])
def test_host_header_is_checked(folder: Path, host: str) -> None:
    client = TestClient(create_app(folder, TOKEN), base_url=f"http://{host}")
    assert client.get("/").status_code == 400
    fp = fingerprints(folder)["d1"]
    assert post(client, fp, "confirmed").status_code == 400
    assert stored(folder) == {}
    assert TestClient(create_app(folder, TOKEN), base_url="http://localhost:9000").get("/").status_code == 200


def test_allowed_hosts() -> None:
    assert allowed_hosts_for("127.0.0.1") == ["127.0.0.1", "localhost"]
    assert allowed_hosts_for("192.168.1.20") == ["127.0.0.1", "localhost", "192.168.1.20"]
    assert socket.gethostname() in allowed_hosts_for("0.0.0.0")
    assert "0.0.0.0" not in allowed_hosts_for("0.0.0.0")


def test_only_the_report_folders_files_are_served(client: TestClient, folder: Path) -> None:
    assert client.get("/files/report.json").content == (folder / "report.json").read_bytes()
    post(client, fingerprints(folder)["d1"], "confirmed")
    (folder / "link.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text("inner", encoding="utf-8")
    attempts = ["/files/review.sqlite", "/files/review.sqlite-wal", "/files/link.txt", "/files/sub",
                "/files/..%2fsecret.txt", "/files/%2e%2e%2fsecret.txt", "/files/../secret.txt",
                "/files/..%5csecret.txt", "/files/sub%2finner.txt", "/files/%2fetc%2fpasswd", "/../secret.txt",
                "/files/%2e%2e", "/secret.txt", "/report.json", "/files/report.json%00.txt"]
    for path in attempts:
        response = client.get(path)
        assert response.status_code == 404, path
        assert SECRET not in response.text and "inner" not in response.text and "SQLite" not in response.text


def test_decisions_history_and_static_page(client: TestClient, folder: Path) -> None:
    fp = fingerprints(folder)["d2"]
    assert post(client, fp, "confirmed").status_code == 200
    state = post(client, fp, "dismissed", f"same meaning {SCRIPT_PAYLOAD}").json()
    assert state["status"] == "dismissed" and [h["status"] for h in state["history"]] == ["confirmed", "dismissed"]
    page = client.get("/").text
    card = page.split('id="d2"', 1)[1].split("</article>", 1)[0]
    assert re.findall(r"<li><time>[^<]+</time> <b>(\w+)</b>", card) == ["confirmed", "dismissed"]
    assert "same meaning &lt;script&gt;" in card and "<script>alert" not in page
    # the static page is re-rendered with the decision, and has no controls or token
    static = (folder / "report.html").read_text(encoding="utf-8")
    assert 'data-status="dismissed"' in static and "same meaning" in static
    assert "claimcheck-token" not in static and "<button" not in static
    reopened = post(client, fp, "open").json()
    assert reopened["status"] == "open" and len(reopened["history"]) == 3


def test_concurrent_decisions_from_two_clients_lose_nothing(folder: Path) -> None:
    fps = fingerprints(folder)
    clients = [TestClient(create_app(folder, TOKEN), base_url=BASE) for _ in range(2)]
    rounds = 12
    errors: list[str] = []
    start = threading.Barrier(2)

    def decide(n: int) -> None:
        start.wait()
        for r in range(rounds):
            fp = fps[("d1", "d2", "d3")[(n + r) % 3]]
            response = post(clients[n], fp, "dismissed", f"client {n} round {r}")
            if response.status_code != 200:
                errors.append(response.text)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ReviewStore(folder / DB_NAME) as store:
        history = store.history()
        assert sum(len(rows) for rows in history.values()) == 2 * rounds
        notes = sorted(h.note for rows in history.values() for h in rows)
        assert notes == sorted(f"client {n} round {r}" for n in range(2) for r in range(rounds))
        assert set(store.decisions()) == set(fps.values())
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_decisions_carry_across_a_rerun_of_check(story_dir: Path, tiny_encoder_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["check", str(story_dir), "--out", str(out), "--encoder", str(tiny_encoder_path), "--nli", "none",
            "--format", "json,html", "-q"]
    runner = CliRunner()
    assert runner.invoke(app, args).exit_code in (0, 1)
    items = review_items(load_report(out), {})
    assert items, "the test story should give at least one finding"
    client = TestClient(create_app(out, TOKEN), base_url=BASE)
    target = items[-1]
    assert post(client, target.fingerprint, "dismissed", "checked by the desk").status_code == 200
    generated = load_report(out)["generated_at"]
    assert runner.invoke(app, args).exit_code in (0, 1)
    assert load_report(out)["generated_at"] >= generated
    page = client.get("/").text
    card = parse(page).cards[target.discrepancy.id]
    assert card["attrs"]["data-status"] == "dismissed" and card["attrs"]["data-fp"] == target.fingerprint
    assert "checked by the desk" in (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_translator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_translator(tmp_path_factory.mktemp("tiny-mt"))


def test_gloss_under_each_claim_with_a_tiny_model(folder: Path, tiny_translator: Path, tmp_path: Path) -> None:
    glosser = Glosser(str(tiny_translator), "en", cache_dir=tmp_path / "gloss")
    client = TestClient(create_app(folder, TOKEN, glosser=glosser), base_url=BASE)
    page = client.get("/").text
    assert "No translation model is configured" not in page and "TEST MODEL: random weights" in page
    for card_id, card in parse(page).cards.items():
        body = page.split(f'id="{card_id}"', 1)[1].split("</article>", 1)[0]
        glossed = re.findall(r'<p class="gloss" lang="en"[^>]*><span class="mt">MT</span> ([^<]+)</p>', body)
        foreign = [c for c in card["claims"] if c["lang"] != "en"]
        assert len(glossed) == len(foreign) and all(g.strip() for g in glossed), card_id
    groups = page.split('<table class="groups">', 1)[1]
    assert groups.count('<span class="mt">MT</span>') == 4  # the ar (2), fa and ms claims; not the en ones
    calls = glosser.calls
    assert calls > 0
    client.get("/")
    assert glosser.calls == calls  # cached in memory
    again = Glosser(str(tiny_translator), "en", cache_dir=tmp_path / "gloss")
    texts = [(FA_1, "fa"), ("The army", "en")]
    assert again.gloss(texts) == glosser.gloss(texts) and again.calls == 0  # cached on disk
    assert again.gloss(texts)[1] is None


def test_cli_errors_are_one_line(tmp_path: Path, folder: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["serve", str(tmp_path / "nothing")])
    assert result.exit_code == EXIT_ERROR and "no report.json" in result.output
    result = runner.invoke(app, ["serve", str(folder), "--gloss", str(tmp_path / "no-model")])
    assert result.exit_code == EXIT_ERROR and "cannot load translation model" in result.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = runner.invoke(app, ["serve", str(folder), "--port", str(taken.getsockname()[1])])
    assert result.exit_code == EXIT_ERROR and "cannot listen" in result.output
    assert "Traceback" not in result.output
