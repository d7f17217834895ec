"""The HTML report: escaping of document text, script direction, span highlighting, filters, group view."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from checker.html_report import ReviewState, highlight, render_html_data, text_direction
from checker.report import report_to_dict, write_report
from checker.types import AlignedPair, Claim, Discrepancy, Document, Group, ModelInfo, Report

SCRIPT_PAYLOAD = "<script>alert(1)</script><script>document.title='pwned'</script>"
ATTR_PAYLOAD = "\"><img src=x onerror=alert(1)><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
GENERATED_AT = "2025-01-01T00:00:00+00:00"

EN_1 = "The council will reopen the market on 9 October."
AR_1 = "قال الوزير إن المجلس سيعيد فتح السوق في 11 أكتوبر."
FA_1 = "وزیر گفت شورا بازار را در ۹ اکتبر دوباره باز خواهد کرد."
MS_1 = f"Menteri berkata {SCRIPT_PAYLOAD} tentera {ATTR_PAYLOAD} akan tiba."
MS_SENTENCE = f"Kata dia: {MS_1} Tamat."
EN_2 = "Prices rose by ten percent."
AR_2 = "وأضاف أن المفاوضات مستمرة."


def _span(text: str, piece: str) -> list[int]:
    start = text.index(piece)
    return [start, start + len(piece)]


def sample_report(*, en_2: str = EN_2, nli_model: bool = True, real: bool = True) -> Report:
    """Four versions (en, ar, fa, and a ms one carrying markup), one group, three findings."""
    documents = [
        Document(id="en-wire", path="in/en-wire.txt", raw="", language="en"),
        Document(id="ar-desk", path="in/ar-desk.txt", raw="", language="ar"),
        Document(id="fa-desk", path="in/fa-desk.txt", raw="", language="fa"),
        Document(id="ms-desk", path=f"in/{ATTR_PAYLOAD}.txt", raw="", language="ms"),
    ]
    claims = [
        Claim("en-wire#1", "en-wire", EN_1, 0, len(EN_1), sentence=EN_1),
        Claim("en-wire#2", "en-wire", en_2, 50, 50 + len(en_2), sentence=en_2),
        Claim("ar-desk#1", "ar-desk", AR_1, 0, len(AR_1), sentence=AR_1),
        Claim("ar-desk#2", "ar-desk", AR_2, 60, 60 + len(AR_2), sentence=AR_2),
        Claim("fa-desk#1", "fa-desk", FA_1, 0, len(FA_1), sentence=FA_1),
        Claim("ms-desk#1", "ms-desk", MS_1, 0, len(MS_1), sentence=MS_SENTENCE),
    ]
    groups = [Group("g1", ["en-wire#1", "ar-desk#1", "fa-desk#1", "ms-desk#1"])]
    pairs = [AlignedPair("en-wire#1", "ar-desk#1", 0.91, 1.2, True)]
    discrepancies = [
        Discrepancy("d1", "date", "en-wire", "ar-desk", "en-wire#1", "ar-desk#1", EN_1, AR_1,
                    values_a=["2025-10-09"], values_b=["2025-10-11"], spans_a=[_span(EN_1, "9 October")],
                    spans_b=[_span(AR_1, "11 أكتوبر")],
                    nli={"entailment": 0.1, "neutral": 0.2, "contradiction": 0.7}, score=0.9),
        Discrepancy("d2", "nli", "fa-desk", "ms-desk", "fa-desk#1", "ms-desk#1", FA_1, MS_1,
                    nli={"entailment": 0.05, "neutral": 0.3, "contradiction": 0.65}, score=0.58,
                    note=f"note with {SCRIPT_PAYLOAD}"),
        Discrepancy("d3", "unmatched", "en-wire", None, "en-wire#2", None, en_2, None, score=0.25,
                    note="no equivalent claim in any other version (omission or addition)"),
    ]
    models = [ModelInfo("encoder", "enc-small", "1.0", real)]
    if nli_model:
        models.append(ModelInfo("nli", "nli-small", "1.0", real))
    return Report(documents=documents, claims=claims, dropped=[], groups=groups, pairs=pairs,
                  discrepancies=discrepancies, models=models, skipped=[{"path": "in/x.pdf", "reason": "not text"}],
                  settings={"warnings": [f"warning about {SCRIPT_PAYLOAD}"], "compare": {"slots": True}})


def render(report: Report | None = None, review: dict[str, ReviewState] | None = None) -> str:
    report = report or sample_report()
    return render_html_data(report_to_dict(report, generated_at=GENERATED_AT), review)


class PageParser(HTMLParser):
    """Collects, per card, the claim blocks (lang, dir, marks) and the group table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict] = {}
        self.card: str | None = None
        self.claim: dict | None = None
        self.in_mark = False
        self.rows: list[list[str]] = []
        self.in_groups = False
        self.cell: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "script":
            self.scripts += 1
        if tag == "article" and "card" in classes:
            self.card = a["id"]
            self.cards[self.card] = {"claims": [], "attrs": a}
        elif tag == "blockquote" and "claim" in classes and self.card:
            self.claim = {"lang": a.get("lang"), "dir": a.get("dir"), "marks": [], "text": ""}
            self.cards[self.card]["claims"].append(self.claim)
        elif tag == "mark" and self.claim is not None:
            self.in_mark = True
            self.claim["marks"].append("")
        elif tag == "table" and "groups" in classes:
            self.in_groups = True
        elif self.in_groups and tag == "tr":
            self.rows.append([])
        elif self.in_groups and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.in_mark = False
        elif tag == "blockquote":
            self.claim = None
        elif tag == "article":
            self.card = None
        elif tag == "table":
            self.in_groups = False
        elif self.in_groups and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.claim is not None:
            self.claim["text"] += data
            if self.in_mark:
                self.claim["marks"][-1] += data
        if self.cell is not None:
            self.cell.append(data)


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


def test_document_text_is_escaped_everywhere() -> None:
    page = render()
    assert "<script>alert(1)</script>" not in page
    assert "document.title='pwned'" not in page  # quotes are escaped too
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert parse(page).scripts == 1  # the page's own script only
    # the escaped payload survives as text inside the claim
    ms_claim = parse(page).cards["d2"]["claims"][1]
    assert ms_claim["text"] == MS_1


def test_content_security_policy_allows_only_the_page_script() -> None:
    page = render()
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert "default-src 'none'" in policy.group(1)
    assert f"script-src 'sha256-{digest}'" in policy.group(1)


def test_rtl_languages_get_direction_and_lang() -> None:
    cards = parse(render()).cards
    en, ar = cards["d1"]["claims"]
    fa, ms = cards["d2"]["claims"]
    assert (ar["lang"], ar["dir"]) == ("ar", "rtl")
    assert (fa["lang"], fa["dir"]) == ("fa", "rtl")
    assert (en["lang"], en["dir"]) == ("en", "ltr")
    assert (ms["lang"], ms["dir"]) == ("ms", "ltr")
    assert text_direction("fa-IR") == "rtl" and text_direction("id") == "ltr"


def test_marks_wrap_exactly_the_spans() -> None:
    cards = parse(render()).cards
    en, ar = cards["d1"]["claims"]
    assert en["marks"] == ["9 October"] and en["text"] == EN_1
    assert ar["marks"] == ["11 أكتوبر"] and ar["text"] == AR_1
    assert all(not c["marks"] for c in cards["d2"]["claims"] + cards["d3"]["claims"])


def test_highlight_clips_merges_and_ignores_bad_spans() -> None:
    assert highlight("abcdef", [[4, 99], [1, 3], [2, 4], [5, 5], [-3, 0]]) == [("a", False), ("bcdef", True)]
    assert highlight("abc", []) == [("abc", False)]
    assert highlight("", None) == [("", False)]
    assert highlight("abcdef", [[0, 2], [4, 6]]) == [("ab", True), ("cd", False), ("ef", True)]


def test_card_details_values_nli_context_and_omission() -> None:
    page = render()
    d1 = page[page.index('id="d1"'):page.index('id="d2"')]
    assert '<bdi class="value">2025-10-09</bdi>' in d1 and '<bdi class="value">2025-10-11</bdi>' in d1
    assert 'class="nli-row nli-contradiction"' in d1 and 'style="width: 70%"' in d1
    assert "in context" not in d1  # the sentence equals the claim
    d2 = page[page.index('id="d2"'):page.index('id="d3"')]
    assert "in context" in d2 and "Kata dia: " in d2
    d3 = page[page.index('id="d3"'):page.index('id="groups"')]
    assert "No equivalent claim in" in d3
    for doc in ("ar-desk", "fa-desk", "ms-desk"):
        assert doc in d3
    assert len(parse(page).cards["d3"]["claims"]) == 1
    assert "class=\"nli\"" not in d3


def test_filters_sort_and_card_data_attributes() -> None:
    page = render()
    # without JavaScript: controls stay hidden, every card is shown, most severe first
    assert re.search(r'<form class="toolbar" id="toolbar" hidden>', page)
    assert not re.search(r"<article[^>]* hidden", page) and "<noscript>" in page
    assert re.findall(r'<article [^>]*id="(d\d+)"', page) == ["d1", "d2", "d3"]
    assert '<select name="kind">' in page and '<select name="pair">' in page and '<select name="sort">' in page
    for kind in ("date", "nli", "unmatched"):
        assert f'<option value="{kind}">' in page
    assert '<option value="number">' not in page  # no such findings
    assert '<option value="pair:ar-desk|en-wire">ar-desk ↔ en-wire</option>' in page
    assert '<option value="doc:fa-desk">' in page
    cards = parse(page).cards
    assert [cards[c]["attrs"]["data-kind"] for c in ("d1", "d2", "d3")] == ["date", "nli", "unmatched"]
    assert cards["d2"]["attrs"]["data-pair"] == "fa-desk|ms-desk"
    assert cards["d1"]["attrs"]["data-score"] == "0.9"


def test_group_view_rows() -> None:
    rows = parse(render()).rows
    header, body = rows[0], rows[1:]
    assert header[1:] == [h for h in header[1:] if h]  # one column per document
    assert len(header) == 5
    g1 = body[0]
    assert g1[0] == "g1" and all(cell and cell != "—" for cell in g1[1:])
    unmatched = body[1:]
    assert [row[0] for row in unmatched] == ["unmatched", "unmatched"]
    assert EN_2 in unmatched[0][1] and "d3" in unmatched[0][1]
    assert unmatched[0][2:] == ["—", "—", "—"]
    assert AR_2 in unmatched[1][2]


def test_summary_models_warnings_and_footer() -> None:
    page = render(sample_report(nli_model=False, real=False))
    assert "TEST MODEL" in page
    assert "<b>nli</b>: none." in page
    assert "&lt;script&gt;" in page.split('id="findings"')[0]  # the warning, escaped
    assert "in/x.pdf" in page and "not text" in page
    assert "no translation gloss" in page
    normal = render()
    assert "TEST MODEL" not in normal and "<b>nli</b>: none." not in normal


def test_review_state_on_cards() -> None:
    from checker.fingerprint import fingerprint

    report = sample_report()
    review = {fingerprint(report.discrepancies[1]): ReviewState("dismissed", "fine <b>really</b>", "2025-02-01"),
              fingerprint(report.discrepancies[2]): ReviewState("fixed", "", "2025-02-01", reappeared=True)}
    cards = parse(render(report, review)).cards
    assert cards["d2"]["attrs"]["data-status"] == "dismissed"
    assert cards["d1"]["attrs"]["data-status"] == "open"  # no decision yet
    assert cards["d3"]["attrs"]["data-status"] == "open"  # fixed, but reported again
    assert "This run still reports it." in render(report, review)
    page = render(report, review)
    assert "fine &lt;b&gt;really&lt;/b&gt;" in page
    assert '<select name="status">' in page
    assert '<select name="status">' not in render()


def test_write_report_html_and_groups_deterministic(tmp_path: Path) -> None:
    report = sample_report()
    first = write_report(report, tmp_path / "a", ("json", "html", "groups"), generated_at=GENERATED_AT)
    second = write_report(report, tmp_path / "b", ("json", "html", "groups"), generated_at=GENERATED_AT)
    assert set(first) == {"report.json", "report.html", "groups.csv"}
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes()
    groups_csv = first["groups.csv"].read_text(encoding="utf-8").splitlines()
    assert groups_csv[0] == "group,size,en-wire,ar-desk,fa-desk,ms-desk"
    assert groups_csv[1].startswith("g1,4,")


def test_compiled_page_is_cached_and_a_damaged_cache_is_recompiled(tmp_path: Path, monkeypatch) -> None:
    import os

    import jinja2.bccache

    from checker import html_report
    from checker.fileio import CACHED_VERSIONS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    html_report._environment.cache_clear()
    try:
        page = render()
        [cached] = (tmp_path / "claimcheck" / "templates").iterdir()
        assert cached.name.startswith("report.html.j2-") and cached.stat().st_size > 1000
        compiled = cached.read_bytes()
        for damage in (b"", b"junk", jinja2.bccache.bc_magic + b"junk", compiled[:-100]):
            cached.write_bytes(damage)
            html_report._environment.cache_clear()
            assert render() == page
            assert len(cached.read_bytes()) == len(compiled) > len(damage)  # compiled anew, written again
        old = [cached.with_name(f"report.html.j2-{n:016x}") for n in range(CACHED_VERSIONS)]
        for age, path in enumerate(old):  # compiled by earlier versions, the first most recently
            path.write_bytes(b"old")
            os.utime(path, (1_000_000 - age, 1_000_000 - age))
        cached.unlink()
        html_report._environment.cache_clear()
        assert render() == page
        kept = sorted((tmp_path / "claimcheck" / "templates").iterdir())
        assert kept == sorted([cached, *old[:CACHED_VERSIONS - 1]])  # the oldest copy is removed
    finally:
        html_report._environment.cache_clear()
