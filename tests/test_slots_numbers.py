"""Number slots: digits of three systems, number words, units, and no double counting of date digits."""

from __future__ import annotations

import pytest

from checker.slots import extract_slots


def numbers(text: str, lang: str) -> list[str]:
    return [s.value for s in extract_slots(text, lang) if s.kind == "number"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The siege lasted 7 years.", "en"),
        ("The siege lasted seven years.", "en"),
        ("Pengepungan itu berlangsung selama 7 tahun.", "ms"),
        ("Pengepungan itu berlangsung selama tujuh tahun.", "id"),
        ("استمر الحصار 7 سنوات.", "ar"),
        ("استمر الحصار ٧ سنوات.", "ar"),
        ("استمر الحصار سبع سنوات.", "ar"),
        ("محاصره ۷ سال طول کشید.", "fa"),
        ("محاصره هفت سال طول کشید.", "fa"),
    ],
)
def test_duration_in_every_language(text: str, lang: str) -> None:
    assert numbers(text, lang) == ["7 year"]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The conflict lasted thirteen years.", "en", "13 year"),
        ("Konflik itu berlangsung tiga belas tahun.", "ms", "13 year"),
        ("استمر النزاع ثلاثة عشر عاما.", "ar", "13 year"),
        ("درگیری سیزده سال ادامه داشت.", "fa", "13 year"),
        ("Some twenty-four people were hurt.", "en", "24 wounded"),
        ("Seramai dua puluh empat orang cedera.", "ms", "24 wounded"),
        ("بیست و چهار نفر زخمی شدند.", "fa", "24 wounded"),
        ("أصيب خمسة وعشرون شخصا.", "ar", "25 wounded"),
        ("Tiga ratus lima puluh orang hadir.", "id", "350 person"),
    ],
)
def test_number_words(text: str, lang: str, expected: str) -> None:
    assert numbers(text, lang) == [expected]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Some 2,500 troops remain.", "en", "2500 soldier"),
        ("Sekitar 2.500 tentara tetap tinggal.", "id", "2500 soldier"),
        ("Seramai 2,500 tentera kekal.", "ms", "2500 soldier"),
        ("Inflation reached 3.5%.", "en", "3.5 percent"),
        ("Inflasi mencapai 3,5 persen.", "id", "3.5 percent"),
        ("بلغ التضخم ٣٫٥٪.", "ar", "3.5 percent"),
        ("The fund holds 4 million dollars.", "en", "4000000 usd"),
        ("Sebanyak 4 juta orang terjejas.", "ms", "4000000 person"),
    ],
)
def test_separators_scales_and_units(text: str, lang: str, expected: str) -> None:
    assert numbers(text, lang) == [expected]


def test_dual_form_is_a_count() -> None:
    assert numbers("استمرت المهمة عامين.", "ar") == ["2 year"]


def test_date_digits_are_not_numbers() -> None:
    slots = extract_slots("On 14 March 2023, 40 soldiers left; the base opened in 2008.", "en")
    assert [s.value for s in slots if s.kind == "number"] == ["40 soldier"]
    assert [s.value for s in slots if s.kind == "date"] == ["2023-03-14", "2008"]


def test_persian_date_digits_are_not_numbers() -> None:
    slots = extract_slots("در ۱۵ آبان ۱۴۰۲ حدود ۳۰۰ نفر جمع شدند.", "fa")
    assert [s.value for s in slots if s.kind == "number"] == ["300 person"]


def test_indefinite_one_is_not_a_count_without_unit() -> None:
    assert numbers("One of the officials spoke.", "en") == []
    assert numbers("یک مقام گفت.", "fa") == []
    assert numbers("One year later the talks resumed.", "en") == ["1 year"]


def test_number_offsets() -> None:
    text = "قُتل ١٢ جنديا في الهجوم."
    (slot,) = [s for s in extract_slots(text, "ar") if s.kind == "number"]
    assert slot.value == "12 soldier"
    assert text[slot.start:slot.end] == slot.text == "١٢ جنديا"


def test_bare_number_without_unit() -> None:
    assert numbers("The committee has 9 members and met 3 times.", "en") == ["9", "3"]


def test_endless_digit_runs_are_not_quantities():
    from checker.slots import extract_slots

    text = "The code " + "9" * 500 + " was printed on 40 soldiers' badges."
    slots = [s for s in extract_slots(text, "en") if s.kind == "number"]
    assert [s.value for s in slots] == ["40 soldier"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hundreds of passengers were stranded.", "en"),
        ("Ratusan orang terluka.", "id"),
        ("أصيب مئات الأشخاص.", "ar"),
        ("صدها نفر زخمی شدند.", "fa"),
        ("میلیون ها نفر آواره شدند.", "fa"),
    ],
)
def test_vague_plurals_are_no_figures(text: str, lang: str) -> None:
    assert numbers(text, lang) == []


def test_an_age_in_parentheses_takes_no_count_unit() -> None:
    assert numbers("Korban berikutnya, Darmin (72), meninggal tertimpa pohon.", "id") == ["72"]


def test_the_arabic_abbreviation_of_kilometres() -> None:
    assert numbers("وقع الزلزال على بعد 120 كلم من المدينة.", "ar") == ["120 km"]


def _numbers(text: str, lang: str) -> list[str]:
    return [s.value for s in extract_slots(text, lang) if s.kind == "number"]


def test_digits_written_against_a_scale_word() -> None:
    assert _numbers("The club agreed a £7million transfer.", "en") == ["7000000"]
    assert _numbers("Proyek senilai 4juta dolar.", "id")[0].startswith("4000000")


def test_arabic_compound_ordinals_and_teens_with_the_article() -> None:
    assert _numbers("فاز باللقب للمرة الرابعة عشرة.", "ar") == ["14"]
    assert _numbers("توفي في سن السبعة عشر عامًا.", "ar") == ["17 year"]
    assert _numbers("وصل في اليوم الثالث من الرحلة.", "ar") == []  # an ordinal alone is no count


def test_the_first_end_of_a_range_takes_the_unit_of_the_second() -> None:
    from checker.slots.compare import compare_slots

    assert _numbers("Forecasts give 3 to 5 inches of snow.", "en") == ["3 inch", "5 inch"]
    assert _numbers("پیش‌بینی ۷۵ تا ۱۲۵ میلیمتر برف است.", "fa") == ["75 mm", "125 mm"]
    assert _numbers("The final score was 3-1.", "en") == ["3", "1"]  # a score keeps no unit
    english, persian = "Forecasts give 3 to 5 inches of snow.", "پیش‌بینی ۷۵ تا ۱۲۵ میلیمتر برف است."
    a, b = extract_slots(english, "en"), extract_slots(persian, "fa")
    assert compare_slots(a, b, english, persian) == []  # inches and millimetres, rounded by the writer
    wrong = "پیش‌بینی ۷۵ تا ۲۰۰ میلیمتر برف است."
    assert compare_slots(a, extract_slots(wrong, "fa"), english, wrong)
