"""Date slots: month names per language and calendar, digit systems, ranges, relative phrases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.slots import extract_slots

ROOT = Path(__file__).resolve().parents[1]


def dates(text: str, lang: str, dateline: dt.date | None = None):
    return [s for s in extract_slots(text, lang, dateline) if s.kind == "date"]


def values(text: str, lang: str, dateline: dt.date | None = None) -> list[str]:
    return [s.value for s in dates(text, lang, dateline)]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The ceasefire was signed on 14 March 2023 in the capital.", "en", ["2023-03-14"]),
        ("The ceasefire was signed on March 14, 2023.", "en", ["2023-03-14"]),
        ("Perjanjian itu ditandatangani pada 14 Mac 2023.", "ms", ["2023-03-14"]),
        ("Perjanjian itu ditandatangani pada 14 Maret 2023.", "id", ["2023-03-14"]),
        ("Rundingan disambung pada 3 Ogos 2022.", "ms", ["2022-08-03"]),
        ("Perundingan dilanjutkan pada 3 Agustus 2022.", "id", ["2022-08-03"]),
        ("وقع الاتفاق في 14 آذار 2023.", "ar", ["2023-03-14"]),
        ("وقع الاتفاق في 14 مارس 2023.", "ar", ["2023-03-14"]),
        ("توافق‌نامه در ۱۴ مارس ۲۰۲۳ امضا شد.", "fa", ["2023-03-14"]),
    ],
)
def test_day_month_year_per_language(text: str, lang: str, expected: list[str]) -> None:
    assert values(text, lang) == expected
    assert dates(text, lang)[0].granularity == "day"


@pytest.mark.parametrize(
    "text",
    [
        "عقد الاجتماع في 5 تشرين الثاني 2021 في المقر.",  # Levantine/Iraqi name
        "عقد الاجتماع في 5 نوفمبر 2021 في المقر.",  # Egyptian/MSA name
        "عقد الاجتماع في ٥ تشرين الثاني ٢٠٢١ في المقر.",  # Arabic-Indic digits
        "عقد الاجتماع في ۵ نوفمبر ۲۰۲۱ في المقر.",  # Persian digits
        "عقد الاجتماع في 5 تشرين الثاني/نوفمبر 2021 في المقر.",  # both families together
    ],
)
def test_arabic_month_families_and_digit_systems(text: str) -> None:
    assert values(text, "ar") == ["2021-11-05"]


def test_levantine_and_msa_month_names_are_the_same_month() -> None:
    assert values("في أيلول 2019", "ar") == values("في سبتمبر 2019", "ar") == ["2019-09"]
    assert values("في كانون الثاني 2020", "ar") == values("في يناير 2020", "ar") == ["2020-01"]


def test_offsets_point_at_the_date_text() -> None:
    text = "قال المسؤول إن الانسحاب بدأ في ١٠ حزيران ٢٠٢٢ وفق الخطة."
    (slot,) = dates(text, "ar")
    assert text[slot.start:slot.end] == "١٠ حزيران ٢٠٢٢" == slot.text
    assert slot.value == "2022-06-10"


def test_offsets_survive_removed_diacritics() -> None:
    text = "وَصَلَ الوَفْدُ في ٣ شُبَاط ٢٠٢٠ إلى المدينة."
    (slot,) = dates(text, "ar")
    assert slot.value == "2020-02-03"
    assert text[slot.start:slot.end] == slot.text
    assert slot.text.startswith("٣") and slot.text.endswith("٢٠٢٠")


def test_month_year_granularity_and_display() -> None:
    (slot,) = dates("The review is due in October 2027.", "en")
    assert (slot.value, slot.granularity) == ("2027-10", "month")
    assert "October 2027" in slot.display


def test_solar_hijri_day_conversion() -> None:
    (slot,) = dates("این نشست در ۱۵ آبان ۱۴۰۲ برگزار شد.", "fa")
    assert slot.value == "2023-11-06"
    assert slot.granularity == "day"
    assert "SH" in slot.display


def test_solar_hijri_month_is_an_approximate_interval() -> None:
    (slot,) = dates("این طرح در اسفند ۱۴۰۱ تصویب شد.", "fa")
    assert slot.value == "~2023-02-20/2023-03-20"
    assert slot.granularity == "month"


def test_solar_hijri_bare_year() -> None:
    (slot,) = dates("در سال ۱۴۰۰ این قانون تغییر کرد.", "fa")
    assert slot.value.startswith("~2021-03-21/")
    assert slot.granularity == "year"


def test_hijri_month_and_year() -> None:
    (slot,) = dates("بدأت الحملة في رمضان 1445 هـ.", "ar")
    assert slot.value == "~2024-03-11/2024-04-09"
    assert slot.text.endswith("هـ")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The programme ran from 2011–2019.", "en"),
        ("The programme ran 2011-2019.", "en"),
        ("Program itu berjalan dari 2011 hingga 2019.", "ms"),
        ("Program itu berjalan 2011 sampai 2019.", "id"),
        ("این برنامه از ۲۰۱۱ تا ۲۰۱۹ اجرا شد.", "fa"),
        ("استمر البرنامج من 2011 إلى 2019.", "ar"),
        ("استمر البرنامج بين عامي ٢٠١١ و٢٠١٩.", "ar"),
    ],
)
def test_year_ranges(text: str, lang: str) -> None:
    assert values(text, lang) == ["2011/2019"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The plant opened in 2008.", "en"),
        ("Kilang itu dibuka pada tahun 2008.", "ms"),
        ("Pabrik itu dibuka tahun 2008.", "id"),
        ("افتتح المصنع عام 2008.", "ar"),
        ("این کارخانه در سال ۲۰۰۸ افتتاح شد.", "fa"),
    ],
)
def test_bare_years(text: str, lang: str) -> None:
    (slot,) = dates(text, lang)
    assert (slot.value, slot.granularity) == ("2008", "year")


def test_year_followed_by_count_unit_is_not_a_date() -> None:
    assert values("About 1500 soldiers were deployed.", "en") == []


DL = dt.date(2025, 6, 18)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "lang", "resolved"),
    [
        ("The work will finish by the end of the current year.", "en", "2025-12"),
        ("سينتهي العمل مع نهاية العام الجاري.", "ar", "2025-12"),
        ("Kerja itu akan siap menjelang akhir tahun ini.", "ms", "2025-12"),
        ("He spoke last Sunday.", "en", "2025-06-15"),
        ("تحدث يوم الأحد الماضي.", "ar", "2025-06-15"),
        ("او امروز سخن گفت.", "fa", "2025-06-18"),
        ("Beliau bercakap semalam.", "ms", "2025-06-17"),
        ("The vote is expected next year.", "en", "2026"),
    ],
)
def test_relative_resolved_with_dateline(text: str, lang: str, resolved: str) -> None:
    (slot,) = dates(text, lang, DL)
    assert slot.value == resolved
    assert slot.relative is False
    assert "relative to dateline" in slot.display


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Troops will move in the coming days.", "en"),
        ("Tentera akan bergerak dalam beberapa hari akan datang.", "ms"),
        ("ستتحرك القوات خلال الأيام المقبلة.", "ar"),
        ("نیروها در روزهای آینده حرکت می‌کنند.", "fa"),
    ],
)
def test_coming_days_relative(text: str, lang: str) -> None:
    (unresolved,) = dates(text, lang)
    assert unresolved.relative is True
    assert unresolved.value == "rel:coming_days"
    (resolved,) = dates(text, lang, DL)
    assert resolved.relative is False
    assert resolved.value.startswith("~2025-06-18/")


def test_relative_without_dateline_is_flagged() -> None:
    (slot,) = dates("سينتهي العمل مع نهاية العام الجاري.", "ar")
    assert slot.relative is True
    assert slot.granularity is None
    assert "no dateline" in slot.display


def test_day_month_without_year_uses_dateline_year() -> None:
    assert values("The talks resume on 3 July.", "en", DL) == ["2025-07-03"]
    (slot,) = dates("The talks resume on 3 July.", "en")
    assert slot.relative is True


def test_numeric_dates() -> None:
    assert values("Published 2024-09-27.", "en") == ["2024-09-27"]
    assert values("Diterbitkan 27/09/2024.", "id") == ["2024-09-27"]
    assert values("منتشر شده در ۱۴۰۳/۰۷/۰۶", "fa") == ["2024-09-27"]


def test_a_weekday_beside_a_date_names_that_date() -> None:
    found = dates("Banjir melanda kota itu pada Sabtu (14/3/2020) malam.", "id", dt.date(2020, 3, 15))
    assert [(s.value, s.weekday) for s in found] == [("2020-03-14", 5)]
    # a day and month without a year, beside its weekday, is that day of the dateline's year
    assert values("Hingga Senin (16/3) pukul 07.00 WIB.", "id", dt.date(2020, 3, 16)) == ["2020-03-16"]
    # the explicit date wins over a weekday that does not fit it; the weekday named is kept with it
    found = dates("The fair opened on Friday, 14 March 2020.", "en", dt.date(2020, 3, 15))
    assert [(s.value, s.weekday) for s in found] == [("2020-03-14", 4)]


def test_four_digits_before_a_universal_time_zone_are_a_time_not_a_year() -> None:
    slots = extract_slots("The blast came at 9:05 p.m. (1805 GMT) near the port.", "en")
    assert [s.value for s in slots if s.kind == "date"] == []
    assert [s.value for s in slots if s.kind == "number"] == ["1265 clock", "1085 clock GMT"]


def test_the_arabic_word_for_two_is_no_weekday() -> None:
    assert values("أصيب اثنين من العمال بجروح.", "ar", dt.date(2021, 4, 10)) == []
    assert values("وصل الوفد يوم الاثنين.", "ar", dt.date(2021, 4, 10)) == ["2021-04-12"]


def test_required_literals_are_in_every_match() -> None:
    from checker.slots.resources import required_literals

    assert required_literals(r"(?<!\w)(\d+)\s+days?\s+ago") == {"day"}
    assert required_literals(r"(?:before\s+)?the\s+end") == {"the"}  # the optional part is not required
    assert required_literals(r"yesterday|(?:last|next)\s+weekend") == {"yesterday", "weekend"}
    assert required_literals(r"\d+/\d+") == {"/"}
    assert required_literals(r"\d+\s+\d+") is None  # nothing literal: always run
    assert required_literals(r"a|\d+") is None  # one branch needs no literal
    assert required_literals(r"(?i)yesterday") is None  # case-insensitive: always run
    assert required_literals(r"(?:x)*y{0,2}") is None


def test_relative_date_rules_are_skipped_only_where_they_cannot_match() -> None:
    import json

    from checker.slots import dates
    from checker.slots.resources import lang_group
    from checker.textnorm import normalize

    rows = [json.loads(line) for line in (ROOT / "fixtures/eval/align/ntrex-stories-dev.jsonl").open(encoding="utf-8")]
    for lang in ("en", "ar", "fa", "ms", "id"):
        texts = [normalize(t).text for row in rows for t in row["docs"][lang]]
        rules = dates._tables(lang_group(lang)).relative
        assert all(needs is not None for _, _, needs in rules)  # every rule names a word of its own
        matched = 0
        for rx, _, needs in rules:
            for text in texts:
                for m in rx.finditer(text):
                    matched += 1
                    assert any(word in m.group() for word in needs), (lang, rx.pattern, m.group())
        assert matched, lang
