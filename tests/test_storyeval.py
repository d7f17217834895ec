import datetime as dt
import json

import numpy as np
import pytest

from checker.anchor import off_event_documents
from checker.compare import SlotsPerClaim
from checker.slots import compare_slots, extract_slots
from checker.storyeval import load_gold, score_story, story_folders
from checker.types import AlignedPair, CheckError, Claim, Discrepancy, Document, Report


def _claim(cid: str, text: str) -> Claim:
    return Claim(id=cid, doc_id=cid.split("#")[0], text=text, start=0, end=len(text), normalized=text)


def _gold(tmp_path, docs: dict[str, str]) -> None:
    for name, text in docs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    gold = {
        "documents": {name: {} for name in docs},
        "distractors": {"c.id.txt": "another quake"},
        "disagreements": [{"id": "toll", "sides": [{"docs": ["a.en.txt"], "value": "15", "cues": ["15 people"]},
                                                   {"docs": ["b.ar.txt"], "value": "14", "cues": ["١٤ شخصا"]}]}],
    }
    (tmp_path / "gold.json").write_text(json.dumps(gold), encoding="utf-8")


def _finding(fid: str, doc_a: str, doc_b: str, text_a: str, text_b: str, kind: str = "number") -> Discrepancy:
    return Discrepancy(id=fid, kind=kind, doc_a=doc_a, doc_b=doc_b, claim_a=f"{doc_a}#1", claim_b=f"{doc_b}#1",
                       text_a=text_a, text_b=text_b, values_a=["x"], values_b=["y"])


def test_story_scores_recall_false_findings_and_distractors(tmp_path):
    _gold(tmp_path, {"a.en.txt": "The storm killed 15 people.", "b.ar.txt": "قتل ١٤ شخصا", "c.id.txt": "Gempa."})
    gold = load_gold(tmp_path)
    docs = [Document(id=n, path=n, raw="", language="en") for n in ("a.en", "b.ar", "c.id")]
    findings = [
        _finding("d1", "a.en", "b.ar", "The storm killed 15 people.", "قتل 14 شخصا"),  # digits normalised
        _finding("d2", "a.en", "c.id", "The storm killed 15 people.", "Gempa."),  # with the distractor
        _finding("d3", "b.ar", "a.en", "قتل ١٤ شخصا", "The storm killed 15 people."),  # other orientation
        Discrepancy(id="d4", kind="unmatched", doc_a="a.en", doc_b=None, claim_a="a.en#2", claim_b=None,
                    text_a="x", text_b=None),
    ]
    report = Report(documents=docs, claims=[], dropped=[], groups=[], pairs=[], discrepancies=findings, models=[],
                    settings={"off_topic": {"c.id": 0.5}})
    row = score_story(report, gold)
    assert row["recalled"] == 1 and row["missed"] == []
    assert row["findings"] == 3 and row["false_findings"] == 1 and row["false_with_distractor"] == 1
    assert row["omissions"] == 1
    assert row["distractors_set_aside"] == 1 and row["on_event_set_aside"] == []
    report.settings["off_topic"] = {"a.en": 0.1}
    assert score_story(report, gold)["on_event_set_aside"] == ["a.en"]


def test_gold_errors_are_one_line_input_errors(tmp_path):
    with pytest.raises(CheckError, match="no story folder with a gold.json"):
        story_folders(tmp_path)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "gold.json").write_text('{"documents": {"missing.txt": {}}}', encoding="utf-8")
    with pytest.raises(CheckError, match="not found: missing.txt"):
        load_gold(tmp_path / "s")
    (tmp_path / "s" / "gold.json").write_text('{"documents": []', encoding="utf-8")
    with pytest.raises(CheckError, match="malformed gold"):
        load_gold(tmp_path / "s")


def test_the_development_stories_have_usable_gold():
    folders = story_folders(__import__("pathlib").Path("fixtures/stories"))
    assert len(folders) >= 6
    for folder in folders:
        gold = load_gold(folder)
        assert 3 <= len(gold.files) <= 6 and gold.disagreements
        for item in gold.disagreements:
            for side in item.sides:  # every cue is in the text of a document of its side
                texts = [(folder / f.name).read_text(encoding="utf-8") for f in gold.files
                         if f.name.rsplit(".", 1)[0] in side.docs]
                assert any(any(c in t for t in texts) for c in side.cues), (folder.name, item.id, side.value)


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("Gempa terjadi pukul 02.36 WIB di laut.", "id", "156 clock WIB"),
    ("The quake hit at 8:26 p.m. local time.", "en", "1226 clock"),
    ("وقع الزلزال في الساعة 20:26 مساء", "ar", "1226 clock"),
])
def test_clock_times_are_slots(text, lang, value):
    assert value in [s.value for s in extract_slots(text, lang)]


def test_clock_times_conflict_only_within_one_zone():
    a = extract_slots("Gempa terjadi pukul 02.36 WIB.", "id")
    b = extract_slots("The quake hit at 02.19 WIB.", "en")
    c = extract_slots("The quake hit at 04.19 WIT.", "en")
    assert [x.kind for x in compare_slots(a, b)] == ["number"]
    assert compare_slots(a, c) == []
    assert extract_slots("The score was 2.35 in the end.", "en")[0].unit is None  # no cue: a plain number


def test_a_report_dated_far_from_the_story_and_disagreeing_is_set_aside():
    lines = {
        "a": ["The quake of magnitude 5.6 killed 2 people.", "Its centre was 38 km north of the city."],
        "b": ["A magnitude 5.6 quake left 2 people dead.", "The centre lay 38 km north of the city."],
        "c": ["The magnitude 5.6 tremor killed 2 people.", "It struck 38 km north of the city."],
        "d": ["A magnitude 6.2 quake injured 9 people.", "Its centre was 140 km south of the town."],
    }
    datelines = {"a": dt.date(2021, 3, 18), "b": dt.date(2021, 3, 18), "c": dt.date(2021, 3, 19),
                 "d": dt.date(2021, 4, 23)}
    docs = [Document(id=k, path=k, raw="", language="en", dateline=v) for k, v in datelines.items()]
    claims = [_claim(f"{k}#{n + 1}", t) for k, ts in lines.items() for n, t in enumerate(ts)]
    pairs = [AlignedPair(f"{x}#{n}", f"{y}#{n}", 0.9, 1.1, True) for n in (1, 2)
             for i, x in enumerate(lines) for y in list(lines)[i + 1:]]
    vectors = {c.id: np.ones(4) / 2 for c in claims}
    found = off_event_documents(docs, claims, pairs, SlotsPerClaim(docs).__getitem__, vectors)
    assert list(found) == ["d"]
    assert any("dateline (2021-04-23)" in r for r in found["d"]["reasons"])  # type: ignore[union-attr]


def _anchor_story(lines: dict[str, list[str]], datelines: dict[str, dt.date | None]):
    docs = [Document(id=k, path=k, raw="", language="en", dateline=datelines.get(k)) for k in lines]
    claims = [_claim(f"{k}#{n + 1}", t) for k, ts in lines.items() for n, t in enumerate(ts)]
    pairs = [AlignedPair(f"{x}#{n}", f"{y}#{n}", 0.9, 1.1, True) for n in (1, 2)
             for i, x in enumerate(lines) for y in list(lines)[i + 1:]]
    vectors = {c.id: np.ones(4) / 2 for c in claims}
    return off_event_documents(docs, claims, pairs, SlotsPerClaim(docs).__getitem__, vectors)


def test_a_report_dated_away_on_another_weekday_is_set_aside_however_its_values_agree():
    lines = {k: ["The magnitude 5.6 quake struck on Tuesday and killed 2 people.", "It was 38 km north of the city."]
             for k in "abc"}
    lines["d"] = ["The magnitude 5.6 quake struck on Monday, 4 July 2022, and killed 2 people.",
                  "It was 38 km north of the city."]
    story = dt.date(2022, 6, 14)
    datelines = {"a": story, "b": story, "c": story}
    found = _anchor_story(lines, datelines)
    assert list(found) == ["d"]
    assert any("another day of the week (Monday against Tuesday)" in r for r in found["d"]["reasons"])  # type: ignore[union-attr]
    # dated weeks away but on the story's weekday: a later report of the same event
    lines["d"][0] = "The magnitude 5.6 quake struck on Tuesday, 5 July 2022, and killed 2 people."
    assert _anchor_story(lines, datelines) == {}


def test_a_report_naming_only_another_weekday_with_no_value_in_common_is_set_aside():
    lines = {k: ["A magnitude 5.7 quake hit on Tuesday, killing 6 people.", "Its depth was 33 km."] for k in "abc"}
    lines["d"] = ["A magnitude 6.6 quake hit on Saturday, killing 1 person.", "Its depth was 12 km."]
    found = _anchor_story(lines, {})
    assert list(found) == ["d"]
    assert any("names another day of the week" in r for r in found["d"]["reasons"])  # type: ignore[union-attr]
    # another weekday with values in common: a later development of the same event
    lines["d"] = ["Rescuers searched the rubble on Saturday after the magnitude 5.7 quake.", "Its depth was 33 km."]
    assert _anchor_story(lines, {}) == {}
