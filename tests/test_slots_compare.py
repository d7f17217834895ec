"""compare_slots: only values unmatched on both sides are conflicts; severity ordering; determinism."""

from __future__ import annotations

import datetime as dt

from checker.slots import Slot, SlotConflict, compare_slots, extract_slots


def conflicts(a: str, la: str, b: str, lb: str, dateline: dt.date | None = None) -> list[SlotConflict]:
    return compare_slots(extract_slots(a, la, dateline), extract_slots(b, lb, dateline))


def test_granularity_refinement_is_not_a_conflict() -> None:
    assert conflicts("The mission ended in March 2022.", "en",
                     "Misi itu berakhir pada 14 Mac 2022.", "ms") == []
    assert conflicts("انتهت المهمة في آذار 2022.", "ar", "The mission ended on 14 March 2022.", "en") == []
    assert conflicts("The mission ended in 2022.", "en", "انتهت المهمة في مارس 2022.", "ar") == []


def test_date_within_a_range_is_compatible() -> None:
    assert conflicts("It ran from 2011 to 2019.", "en", "Program itu berjalan pada tahun 2015.", "id") == []


def test_real_date_conflict() -> None:
    (c,) = conflicts("The renovation ends in April 2027.", "en", "Pengubahsuaian berakhir pada Oktober 2026.", "ms")
    assert c.kind == "date"
    assert c.values_a == ["2027-04"] and c.values_b == ["2026-10"]
    a_text = "The renovation ends in April 2027."
    assert a_text[c.spans_a[0][0]:c.spans_a[0][1]] == "April 2027"


def test_solar_hijri_month_matches_gregorian_month_it_overlaps() -> None:
    assert conflicts("این طرح در مهر ۱۴۰۳ اجرا شد.", "fa", "The plan started in October 2024.", "en") == []
    (c,) = conflicts("این طرح در مهر ۱۴۰۳ اجرا شد.", "fa", "The plan started in March 2024.", "en")
    assert c.kind == "date"


def test_year_difference_scores_above_month_difference() -> None:
    (year_c,) = conflicts("It ends in May 2026.", "en", "It ends in May 2025.", "en")
    (month_c,) = conflicts("It ends in May 2026.", "en", "It ends in July 2026.", "en")
    assert 0.0 <= month_c.score < year_c.score <= 1.0


def test_relative_unresolved_never_conflicts() -> None:
    assert conflicts("by the end of the current year", "en", "pada tahun 2027", "ms") == []


def test_relative_resolved_can_conflict() -> None:
    dl = dt.date(2025, 4, 2)
    (c,) = conflicts("The work ends by the end of the current year.", "en", "Kerja itu tamat pada tahun 2027.", "ms", dl)
    assert c.values_a == ["2025-12"] and c.values_b == ["2027"]


def test_value_only_on_one_side_is_not_a_conflict() -> None:
    assert conflicts("In 2019, 40 soldiers arrived in Mosul.", "en", "Tentera tiba di Mosul.", "ms") == []


def test_number_conflict_and_unit_tolerance() -> None:
    (c,) = conflicts("The war lasted 9 years.", "en", "استمرت الحرب ۱۰ سال.", "fa")
    assert (c.kind, c.values_a, c.values_b) == ("number", ["9 year"], ["10 year"])
    assert conflicts("The war lasted nine years.", "en", "استمرت الحرب تسعة أعوام.", "ar") == []
    assert conflicts("Nine soldiers died.", "en", "Ramai mati: 9.", "ms") == []


def test_numbers_with_different_units_are_not_compared() -> None:
    assert conflicts("It lasted 9 years.", "en", "Seramai 40 orang hadir.", "ms") == []


def test_place_conflict_and_cross_script_match() -> None:
    assert conflicts("Troops left the Tal Afar base.", "en", "غادرت القوات قاعدة تلعفر الجوية.", "ar") == []
    (c,) = conflicts("Troops left the Tal Afar base.", "en", "غادرت القوات قاعدة القيارة الجوية.", "ar")
    assert c.kind == "place"
    assert c.values_a == ["tal afar"]
    assert 0.0 < c.score < 0.8


def test_multiple_kinds_in_stable_order() -> None:
    a = "In May 2026, 9 soldiers left Kirkuk."
    b = "Pada Mei 2025, 12 tentera meninggalkan Basra."
    first = conflicts(a, "en", b, "ms")
    assert [c.kind for c in first] == ["date", "number", "place"]
    assert first == conflicts(a, "en", b, "ms")


def test_handmade_slots() -> None:
    a = [Slot("date", "2014/2017", "2014-2017", 0, 9, "year")]
    b = [Slot("date", "2016-05", "May 2016", 3, 11, "month")]
    c_ = [Slot("date", "2018", "2018", 0, 4, "year")]
    assert compare_slots(a, b) == []
    (c,) = compare_slots(a, c_)
    assert c.spans_a == [(0, 9)] and c.spans_b == [(0, 4)]


def test_unresolved_relative_date_does_not_absorb_an_exact_date() -> None:
    a = [Slot("date", "2023-04", "April 2023", 0, 10, "month")]
    b = [Slot("date", "2023-06-02", "2 June 2023", 0, 11, "day"),
         Slot("date", "rel:today", "today", 20, 25, None, True)]
    (c,) = compare_slots(a, b)
    assert (c.values_a, c.values_b) == (["2023-04"], ["2023-06-02"])
    assert compare_slots(a, [b[1]]) == []


def test_unresolved_relative_date_from_text() -> None:
    (c,) = conflicts("The talks ended in April 2023.", "en",
                     "Perundingan itu berakhir hari ini, 2 Juni 2023.", "id")
    assert c.values_a == ["2023-04"] and c.values_b == ["2023-06-02"]


def test_approximate_interval_still_matches_by_overlap() -> None:
    a = [Slot("date", "~2025-09/2025-10", "in the coming weeks", 0, 5, None)]
    b = [Slot("date", "2025-10-02", "2 October 2025", 0, 5, "day")]
    assert compare_slots(a, b) == []


def test_different_country_sets_are_not_a_conflict() -> None:
    assert conflicts("Officials in Iraq and Jordan welcomed the plan.", "en",
                     "Pegawai Amerika Syarikat menyambut baik rancangan itu.", "ms") == []
    assert conflicts("Iraq and Syria signed the deal.", "en", "وقعت إيران الاتفاق.", "ar") == []


def test_single_country_each_side_can_conflict() -> None:
    (c,) = conflicts("The meeting took place in Iraq.", "en", "Pertemuan itu berlangsung di Iran.", "id")
    assert (c.kind, c.values_a, c.values_b) == ("place", ["iraq"], ["iran"])


def test_places_of_different_categories_are_not_compared() -> None:
    assert conflicts("Troops left Kirkuk.", "en", "غادرت القوات قاعدة القيارة الجوية.", "ar") == []
    (c,) = conflicts("Troops left Kirkuk.", "en", "Tentera meninggalkan Basra.", "ms")
    assert c.kind == "place"


def test_cross_script_base_names_still_equal() -> None:
    assert conflicts("Troops left the Tall Afar base.", "en", "غادرت القوات قاعدة تلعفر الجوية.", "ar") == []


def test_country_only_conflicts_need_support():
    from checker.slots import compare_slots, extract_slots

    a = extract_slots("The minister thanked France for its support.", "en", None)
    b = extract_slots("The minister thanked Germany for its support.", "en", None)
    conflicts = [c for c in compare_slots(a, b) if c.kind == "place"]
    assert conflicts and all(c.needs_support for c in conflicts)
    a = extract_slots("The talks were held at the Eagle base.", "en", None)
    b = extract_slots("The talks were held at the Falcon base.", "en", None)
    conflicts = compare_slots(a, b)
    assert [c.kind for c in conflicts] == ["place"]
    assert not conflicts[0].needs_support


def test_place_spelled_in_another_script_is_not_a_conflict():
    from checker.slots import compare_slots, extract_slots

    en = "Buses will run every hour between Ipoh and Taiping."
    ar = "وستعمل الحافلات كل ساعة بين إيبوه وتايبينغ."
    assert compare_slots(extract_slots(en, "en"), extract_slots(ar, "ar"), en, ar) == []


def test_place_missing_from_the_other_version_is_reported():
    from checker.slots import compare_slots, extract_slots

    en = "Buses will run every hour between Ipoh and Taiping."
    ar = "وستعمل الحافلات كل ساعة بين إيبوه وسيرمبان."
    conflicts = compare_slots(extract_slots(en, "en"), extract_slots(ar, "ar"), en, ar)
    assert [c.kind for c in conflicts] == ["place"]
    assert conflicts[0].values_a == ["taiping"]
    start, end = conflicts[0].spans_a[0]
    assert en[start:end] == "Taiping"


def test_swapped_places_in_one_script_are_reported_on_both_sides():
    from checker.slots import compare_slots, extract_slots

    a = "The new bus station opened in Taiping on Monday."
    b = "The new bus station opened in Kuantan on Monday."
    conflicts = compare_slots(extract_slots(a, "en"), extract_slots(b, "en"), a, b)
    assert [(c.values_a, c.values_b) for c in conflicts] == [(["taiping"], ["kuantan"])]


def test_one_word_of_a_longer_name_is_enough():
    from checker.slots import compare_slots, extract_slots

    ms = "Kerajaan negeri Kuala Terengganu membina jeti nelayan baharu."
    en = "The Terengganu state authorities built a new fishing jetty."
    assert compare_slots(extract_slots(ms, "ms"), extract_slots(en, "en"), ms, en) == []


def test_country_left_on_each_side_once_shared_ones_are_set_aside_conflicts() -> None:
    a = "Canada keeps about 450 engineers in Ghana, a spokesman said."
    b = "Kanada menempatkan kira-kira 450 jurutera di Kenya, kata jurucakap."
    (c,) = [c for c in compare_slots(extract_slots(a, "en"), extract_slots(b, "ms"), a, b) if c.kind == "place"]
    assert (c.values_a, c.values_b) == (["ghana"], ["kenya"])
    # two countries left on one side: a list, not a swap
    b = "Kanada menempatkan kira-kira 450 jurutera di Kenya dan Uganda, kata jurucakap."
    assert [c for c in compare_slots(extract_slots(a, "en"), extract_slots(b, "ms"), a, b) if c.kind == "place"] == []


def test_changed_score_is_a_number_conflict() -> None:
    # "4-1" is no total of 3 and 1: numbers written against each other are never parts of a total
    (c,) = conflicts("Europe took the morning session 3-1.", "en", "Eropah memenangi sesi pagi 4-1.", "ms")
    assert (c.kind, c.values_a, c.values_b) == ("number", ["3"], ["4"])
    (c,) = conflicts("They won 2 and 1.", "en", "فازا 2 مقابل 2.", "ar")
    assert (c.values_a, c.values_b) == (["1"], ["2"])


def test_number_written_more_often_on_one_side_conflicts() -> None:
    (c,) = conflicts("She has now won 14 of her 22 races.", "en", "Dia kini menang 22 daripada 22 perlumbaan.", "ms")
    assert (c.values_a, c.values_b) == (["14"], ["22"])
    # a number word left over (part of a name such as "five ball") does not take a surplus digit
    assert conflicts("The hosts lead 7-3 after the five ball rounds.", "en",
                     "Tuan rumah unggul 7-3, pada babak kedua unggul 7-3.", "id") == []


def test_parts_of_a_time_are_compared_with_parts_of_a_time() -> None:
    (c,) = conflicts("She scored in the 38th minute, minute 38.", "en", "مریم در دقیقه ۴۸ گل زد.", "fa")
    assert c.kind == "number" and c.values_b == ["48"]


def test_short_lengths_convert_but_never_meet_distances() -> None:
    assert conflicts("a table with a three-foot wide top", "en", "میزی با رویه ۹۰ سانتیمتری", "fa") == []
    assert [c.kind for c in conflicts("a top of 3 feet", "en", "میزی با رویه ۱۲۰ سانتیمتری", "fa")] == ["number"]
    assert conflicts("The quake struck 212 km away.", "en", "Gelombang setinggi 2 meter.", "id") == []


def test_homograph_place_named_on_one_side_only_is_no_conflict() -> None:
    a = "The bank reported its results on Monday."
    b = "این بانک روز دوشنبه نتایج مالی خود را در میدان اعلام کرد."
    sb = extract_slots(b, "fa")
    assert {s.value for s in sb if s.kind == "place" and s.homograph} >= {"medan"}
    assert [c for c in compare_slots(extract_slots(a, "en"), sb, a, b) if c.kind == "place"] == []


def test_lower_case_word_spells_no_place() -> None:
    a = "The fee applies to shops trading without a licence in Spain, and the rise pays for street lighting."
    b = "Yuran dikenakan kepada kedai yang berniaga tanpa lesen di Rusia."
    (c,) = [c for c in compare_slots(extract_slots(a, "en"), extract_slots(b, "ms"), a, b) if c.kind == "place"]
    assert (c.values_a, c.values_b) == (["spain"], ["russia"])


def test_place_shown_without_a_clitic_but_whole_when_its_name_starts_with_that_letter() -> None:
    from checker.slots.compare import _shown

    shown = _shown([s for s in extract_slots("زار الوزير واشنطن ثم وبغداد.", "ar") if s.kind == "place"])
    assert shown == ["واشنطن", "بغداد"]
