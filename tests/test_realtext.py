"""Text as news pages carry it: sentences ending in numbers, links, 'Read more' labels, UTF-16
without a byte order mark, and values written the way reports write them."""

from __future__ import annotations

import datetime as dt

import pytest

from checker.ingest import decode_bytes, looks_binary
from checker.segment import segment_document, split_sentences
from checker.slots import compare_slots, extract_slots
from checker.types import Document


def _doc(text: str, lang: str = "en") -> Document:
    return Document(id="d", path="d.txt", raw=text, language=lang, language_confidence=1.0, dateline=None,
                    encoding="utf-8", body_start=0)


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, 0, len(text))]


@pytest.mark.parametrize("text, first", [
    ("The library reopened on 3 June 2025. Buses run every 15 minutes.", "The library reopened on 3 June 2025."),
    ("Perpustakaan itu dibuka semula pada 3 Jun 2025. Bas beroperasi setiap 15 minit.",
     "Perpustakaan itu dibuka semula pada 3 Jun 2025."),
    ("تاریخ بازگشایی پل: ۱۲ اسفند ۱۴۰۲. کشتی‌ها هر ۲۰ دقیقه حرکت می‌کنند.", "تاریخ بازگشایی پل: ۱۲ اسفند ۱۴۰۲."),
    ("وأعيد فتح الجسر في ١٢ آذار ٢٠٢٤. وتعمل العبارات كل ٢٠ دقيقة.", "وأعيد فتح الجسر في ١٢ آذار ٢٠٢٤."),
])
def test_sentence_ending_in_a_number_is_split(text: str, first: str) -> None:
    assert _sentences(text)[0] == first
    assert len(_sentences(text)) == 2


def test_list_number_opening_a_line_is_not_a_sentence() -> None:
    assert _sentences("1. The ferry runs again from Monday.") == ["1. The ferry runs again from Monday."]


def test_link_is_dropped_not_the_sentence() -> None:
    text = "The ministry published the full list of closed roads at https://example.org/roads today.\n"
    claims, _ = segment_document(_doc(text))
    assert len(claims) == 1
    assert "https" not in claims[0].normalized and "closed roads" in claims[0].normalized


@pytest.mark.parametrize("label", ["Baca juga", "Related", "Read more", "اقرأ أيضا"])
def test_lone_link_label_drops_its_headline_not_the_story(label: str) -> None:
    text = ("The storm closed three ports on Monday morning.\n" f"{label}\n"
            "Ferry operator posts record profits\n"
            "Officials said the ports would reopen once the swell had eased.\n")
    claims, dropped = segment_document(_doc(text))
    assert [c.text for c in claims] == ["The storm closed three ports on Monday morning.",
                                        "Officials said the ports would reopen once the swell had eased."]
    assert any("record profits" in d.text for d in dropped)


def test_label_with_headline_on_one_line_is_dropped_alone() -> None:
    text = "Angin kencang melanda Tasikmalaya pada sore hari.\nBaca juga: Atap sekolah roboh di Purwakarta\nWarga diminta menjauhi pohon besar.\n"
    claims, _ = segment_document(_doc(text, "id"))
    assert [c.text for c in claims] == ["Angin kencang melanda Tasikmalaya pada sore hari.",
                                        "Warga diminta menjauhi pohon besar."]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text(encoding: str) -> None:
    text = "وقال المسؤول إن العبارات تعمل من جديد. Ferries run again."
    data = text.encode(encoding)
    assert not looks_binary(data)
    assert decode_bytes(data)[0] == text


def _values(text: str, lang: str, dateline: dt.date | None = None) -> list[str]:
    return [s.value for s in extract_slots(text, lang, dateline) if s.kind != "place"]


@pytest.mark.parametrize("text, lang, expected", [
    ("There was one death in the village.", "en", "1 killed"),
    ("بیش از /109/ نفر در این حادثه جان باختند.", "fa", "109 killed"),  # people who died: a toll
    ("توفيت امرأة تبلغ (58) عامًا.", "ar", "58 year"),
    ("Seramai 2,716 mangsa dipindahkan ke tujuh dewan.", "ms", "2716 person"),
    ("Sebanyak 23 keluarga kehilangan rumah.", "id", "23 family"),
    ("این سیل تاکنون 27 مصدوم داشته است.", "fa", "27 wounded"),
    ("The town is 50 miles from the coast.", "en", "50 mile"),
])
def test_counts_with_what_they_count(text: str, lang: str, expected: str) -> None:
    assert expected in _values(text, lang)


@pytest.mark.parametrize("text, lang", [
    ("Mangsa berada di dewan sekolah setakat 8.40 pagi ini.", "ms"),
    ("Gempa terasa pada Kamis malam pukul 20.38 WIB.", "id"),
    ("Banjir terjadi pada Kamis (14/3) malam.", "id"),
])
def test_times_and_day_month_pairs_are_not_counts(text: str, lang: str) -> None:
    # a time of day with its cue word is a clock slot (minutes after midnight), never a count
    assert not [v for v in _values(text, lang) if v[0].isdigit() and " clock" not in v]


@pytest.mark.parametrize("text, lang, dateline, expected", [
    ("راهپیمایی ۲۲ بهمن برگزار شد.", "fa", dt.date(2024, 2, 12), "2024-02-11"),
    ("وقعت الحادثة في 5 رمضان.", "ar", dt.date(2024, 3, 20), "2024-03-15"),
    ("KUANTAN, Jan 9 ― Landslides forced the closure of 3 roads.", "en", dt.date(2024, 1, 9), "2024-01-09"),
    ("Floods hit the coast on Dec 28.", "en", dt.date(2024, 1, 3), "2023-12-28"),
    ("The last ferry leaves on Wednesday.", "en", dt.date(2017, 6, 13), "2017-06-14"),
])
def test_day_month_without_year_against_the_dateline(text: str, lang: str, dateline: dt.date, expected: str) -> None:
    assert expected in _values(text, lang, dateline)


def _conflicts(a: str, la: str, b: str, lb: str, dateline: dt.date | None = None) -> list:
    return compare_slots(extract_slots(a, la, dateline), extract_slots(b, lb, dateline))


def test_early_last_month_conflicts_with_early_this_month() -> None:
    day = dt.date(2024, 3, 25)
    assert _conflicts("The talks began early last month.", "en", "The talks began early this month.", "en", day)
    assert not _conflicts("The talks began early this month.", "en", "The talks began on 4 March.", "en", day)
    assert _conflicts("The talks began early this month.", "en", "The talks began on 24 March.", "en", day)


def test_count_and_duration_are_not_compared() -> None:
    assert not _conflicts("The toll rose to 33.", "en", "The siege lasted 2 days.", "en")


@pytest.mark.parametrize("total, parts", [
    ("33 people were killed.", "30 children and 3 women were killed."),
    ("17 hostages were freed.", "11 Israelis and 6 Thais were freed."),
])
def test_total_and_parts_that_add_up_agree(total: str, parts: str) -> None:
    assert not _conflicts(total, "en", parts, "en")


def test_total_that_parts_do_not_add_up_to_conflicts() -> None:
    assert _conflicts("19 hostages were freed.", "en", "11 Israelis and 6 Thais were freed.", "en")


def test_miles_and_km_compared_after_conversion() -> None:
    assert not _conflicts("The town is 80 km from the coast.", "en", "The town is 50 miles from the coast.", "en")
    assert _conflicts("The town is 80 km from the coast.", "en", "The town is 70 miles from the coast.", "en")


def test_place_shown_in_its_own_spelling_and_named_elsewhere_in_the_version() -> None:
    a = extract_slots("وصلت القوات إلى قاعدة حميميم الجوية.", "ar")
    b_claim = "Tentera tiba di pangkalan itu."
    b_version = "Tentera tiba di pangkalan itu. Pangkalan Hmeimim terletak di Latakia."
    b = extract_slots(b_claim, "ms")
    shown = [v for c in compare_slots(a, b, "وصلت القوات إلى قاعدة حميميم الجوية.", b_claim) for v in c.shown_a]
    assert shown and all(any("\u0600" <= ch <= "\u06ff" for ch in v) for v in shown)
    assert not compare_slots(a, b, "وصلت القوات إلى قاعدة حميميم الجوية.", b_claim, None, b_version)
