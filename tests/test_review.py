"""Review workflow: decisions persist by fingerprint, carry over across re-runs, export, CLI errors."""

from __future__ import annotations

import csv
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from test_html_report import EN_2, GENERATED_AT, sample_report
from typer.testing import CliRunner

from checker.cli import EXIT_ERROR, app
from checker.report import write_report
from checker.review import DB_NAME, EXPORT_COLUMNS, ReviewStore, load_report, review_items
from checker.types import Report

runner = CliRunner()


def write(folder: Path, report: Report | None = None, generated_at: str = GENERATED_AT) -> Path:
    write_report(report or sample_report(), folder, ("json", "html"), generated_at=generated_at)
    return folder


def review(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["review", *args])
    return result.exit_code, result.output


def listed_ids(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line[:1] == "d"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write(tmp_path / "report")


def test_lists_open_items_without_creating_a_database(folder: Path) -> None:
    code, out = review(str(folder))
    assert code == 0
    assert out.startswith("3 open of 3 findings")
    assert listed_ids(out) == ["d1", "d2", "d3"]
    assert not (folder / DB_NAME).exists()


def test_decisions_persist_and_leave_report_json_untouched(folder: Path) -> None:
    before = (folder / "report.json").read_bytes()
    code, out = review(str(folder), "--mark", "d2", "dismissed", "--note", "translation ok")
    assert code == 0 and "marked d2 dismissed" in out
    code, out = review(str(folder), "--mark", "d1,d3", "confirmed")
    assert code == 0
    assert (folder / "report.json").read_bytes() == before
    code, out = review(str(folder))
    assert out.startswith("0 open of 3 findings (confirmed 2, dismissed 1, fixed 0)")
    assert listed_ids(out) == []
    code, out = review(str(folder), "--all")
    assert listed_ids(out) == ["d1", "d2", "d3"] and "note: translation ok" in out
    with ReviewStore(folder / DB_NAME) as store:
        assert sorted(d.status for d in store.decisions().values()) == ["confirmed", "confirmed", "dismissed"]
        assert store.conn.execute("SELECT count(*) FROM history").fetchone()[0] == 3
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'data-status="dismissed"' in page and "translation ok" in page


def test_decisions_carry_over_to_a_rewritten_report(folder: Path) -> None:
    review(str(folder), "--mark", "d2", "dismissed", "--note", "same meaning")
    # a new run: different order (so different ids), new timestamp, same claim texts
    report = sample_report()
    d1, d2, d3 = report.discrepancies
    report.discrepancies = [replace(d2, id="d1"), replace(d1, id="d2"), replace(d3, id="d3")]
    write(folder, report, generated_at="2025-06-01T00:00:00+00:00")
    code, out = review(str(folder))
    assert code == 0 and out.startswith("2 open of 3")
    assert listed_ids(out) == ["d2", "d3"]


def test_changed_claim_text_brings_the_item_back(folder: Path) -> None:
    review(str(folder), "--mark", "d3", "dismissed", "--note", "added context")
    assert "d3" not in listed_ids(review(str(folder))[1])
    write(folder, sample_report(en_2=EN_2.replace("ten", "twelve")), generated_at="2025-06-01T00:00:00+00:00")
    assert "d3" in listed_ids(review(str(folder))[1])
    write(folder, sample_report(en_2=EN_2.replace(".", " .")), generated_at="2025-07-01T00:00:00+00:00")
    assert "d3" not in listed_ids(review(str(folder))[1])  # punctuation/spacing only: same fingerprint


def test_fixed_item_found_again_is_open(folder: Path) -> None:
    review(str(folder), "--mark", "d1", "fixed")
    assert "d1" not in listed_ids(review(str(folder))[1])
    write(folder, generated_at="2025-06-01T00:00:00+00:00")
    code, out = review(str(folder))
    assert "d1" in listed_ids(out) and "found again after 'fixed'" in out
    items = review_items(load_report(folder), ReviewStore(folder / DB_NAME).decisions())
    assert items[0].reappeared and items[0].is_open


def test_open_undoes_a_decision(folder: Path) -> None:
    review(str(folder), "--mark", "d1", "confirmed")
    code, _ = review(str(folder), "--mark", "d1", "open")
    assert code == 0
    assert listed_ids(review(str(folder))[1]) == ["d1", "d2", "d3"]


def test_mark_by_fingerprint_prefix(folder: Path) -> None:
    items = review_items(load_report(folder), {})
    code, out = review(str(folder), "--mark", items[1].fingerprint[:8], "confirmed")
    assert code == 0 and "marked d2 confirmed" in out


def test_export_csv(folder: Path, tmp_path: Path) -> None:
    review(str(folder), "--mark", "d2", "dismissed", "--note", "ok")
    write(folder, sample_report(en_2="Prices fell."), generated_at="2025-06-01T00:00:00+00:00")
    review(str(folder), "--mark", "d3", "dismissed", "--note", "first wording")
    write(folder, sample_report(en_2="Prices fell sharply."), generated_at="2025-07-01T00:00:00+00:00")
    target = tmp_path / "decisions.csv"
    code, out = review(str(folder), "--export", str(target))
    assert code == 0 and "wrote" in out
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == EXPORT_COLUMNS
    by_id = {r["id"]: r for r in rows if r["in_report"] == "True"}
    assert by_id["d2"]["status"] == "dismissed" and by_id["d2"]["note"] == "ok"
    assert by_id["d1"]["status"] == "open" and by_id["d3"]["status"] == "open"
    stale = [r for r in rows if r["in_report"] == "False"]
    assert [(r["status"], r["text_a"]) for r in stale] == [("dismissed", "Prices fell.")]


@pytest.mark.parametrize("args, message", [
    (["--mark", "d9", "confirmed"], "no finding 'd9'"),
    (["--mark", "d1", "maybe"], "unknown status 'maybe'"),
    (["--mark", "d1", "dismissed"], "needs a reason"),
])
def test_cli_errors_exit_2(folder: Path, args: list[str], message: str) -> None:
    code, out = review(str(folder), *args)
    assert code == EXIT_ERROR
    assert message in out and len(out.strip().splitlines()) == 1
    assert not (folder / DB_NAME).exists()  # nothing recorded


def test_missing_or_broken_report_exit_2(tmp_path: Path) -> None:
    code, out = review(str(tmp_path))
    assert code == EXIT_ERROR and "no report.json" in out
    (tmp_path / "report.json").write_text("{not json", encoding="utf-8")
    code, out = review(str(tmp_path))
    assert code == EXIT_ERROR and "cannot read" in out


def test_a_damaged_review_database_is_a_one_line_error(folder: Path) -> None:
    import sqlite3

    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute("CREATE TABLE decisions (fingerprint TEXT)")
    result = runner.invoke(app, ["review", str(folder)])
    assert result.exit_code == EXIT_ERROR
    assert "review database" in result.output and "Traceback" not in result.output
    (folder / DB_NAME).write_bytes(b"not a database at all" * 100)
    result = runner.invoke(app, ["review", str(folder), "--mark", "d1", "confirmed"])
    assert result.exit_code == EXIT_ERROR
    assert "cannot open the review database" in result.output


def test_several_writers_creating_the_database_at_once_all_open_it(tmp_path: Path) -> None:
    # two review tabs and the CLI may open a report folder's fresh database at the same moment
    errors: list[str] = []
    for attempt in range(100):
        path = tmp_path / f"{attempt}.sqlite3"
        start = threading.Barrier(4)

        def open_store(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with ReviewStore(path) as store:
                    store.decisions()
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(str(exc))

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
