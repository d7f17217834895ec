"""Roles of numbers (what a value counts or measures) and the comparison rules that read them: counts of
different things, depths and distances, distances from different places, tallies taken at different
times, measurements of different agencies are not compared."""

from __future__ import annotations

import pytest

from checker.slots import compare_slots, extract_slots


def roles(text: str, lang: str) -> list[tuple[str, str | None]]:
    return [(s.value, s.role) for s in extract_slots(text, lang) if s.kind == "number"]


def conflicts(a: str, la: str, b: str, lb: str) -> list[tuple[str, list[str], list[str]]]:
    return [(c.kind, c.values_a, c.values_b)
            for c in compare_slots(extract_slots(a, la), extract_slots(b, lb), a, b)]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The flood killed 12 people and injured 40 more.", "en", [("12 killed", "killed"), ("40 wounded", "injured")]),
        ("Banjir itu menewaskan 12 orang dan 40 orang luka-luka.", "id",
         [("12 killed", "killed"), ("40 wounded", "injured")]),
        ("قتل 12 شخصا وأصيب 40 آخرون في الفيضان.", "ar", [("12 killed", "killed"), ("40 wounded", "injured")]),
        ("About 3,000 residents fled to shelters.", "en", [("3000 person", "displaced")]),
        ("The town, home to 90,000 people, was cut off.", "en", [("90000 person", "population")]),
    ],
)
def test_counts_of_people_say_what_happened_to_them(text, lang, expected):
    assert roles(text, lang) == expected


def test_depth_distance_and_magnitude_are_told_apart():
    found = roles("The magnitude 6.1 quake struck at a depth of 30 km, 80 km south of the town.", "en")
    assert found == [("6.1", "magnitude"), ("30 km", "depth"), ("80 km", "distance")]
    # the same value in another unit, in parentheses, is the same fact
    assert roles("It struck at a depth of 24 kilometres (15 miles).", "en") == [("24 km", "depth"), ("15 mile", "depth")]


def test_a_number_alone_in_parentheses_after_a_name_is_an_age():
    assert roles("One victim, Karim (61), died in hospital.", "en") == [("61", "age")]


def test_a_breakdown_counts_what_its_total_counts():
    found = roles("Officials said 9 people were injured, namely 4 in the port and 5 in the old town.", "en")
    assert found == [("9 wounded", "injured"), ("4 wounded", "injured"), ("5 wounded", "injured")]


def test_counts_of_different_things_are_not_compared():
    assert conflicts("The storm killed 3 people.", "en", "About 2,000 people were evacuated after the storm.", "en") == []
    assert conflicts("The storm killed 3 people.", "en", "Badai itu menewaskan 5 orang.", "id") == [
        ("number", ["3 killed"], ["5 killed"])]
    # an unqualified count of people may be a toll: still compared
    assert conflicts("The storm killed 3 people.", "en", "The storm hit 5 people.", "en") == [
        ("number", ["3 killed"], ["5 person"])]


def test_a_depth_is_not_compared_with_a_distance():
    assert conflicts("The quake struck at a depth of 14 km.", "en", "The epicentre lay 60 km north of the city.", "en") == []
    assert conflicts("The quake struck at a depth of 14 km.", "en", "Gempa terjadi di kedalaman 12 km.", "id") == [
        ("number", ["14 km"], ["12 km"])]


def test_distances_from_different_places_are_not_compared():
    assert conflicts("The epicentre was 40 km east of Alderton.", "en",
                     "Pusat gempa berada 70 km barat daya Brookmere.", "id") == []
    assert conflicts("The epicentre was 40 km east of Alderton.", "en",
                     "Pusat gempa berada 45 km timur Alderton.", "id") == [("number", ["40 km"], ["45 km"])]


def test_tallies_taken_at_different_times_do_not_conflict():
    assert conflicts("By 4:00 p.m., 46 people had died.", "en", "Until 3:15 p.m., 14 people had died.", "en") == []
    assert conflicts("By 4:00 p.m., 46 people had died.", "en", "In all, 14 people died.", "en") == [
        ("number", ["46 killed"], ["14 killed"])]
    # the time a tally was taken is not the time of the event
    assert conflicts("Until 11:00 p.m. there were 48 aftershocks.", "en", "The quake struck at 4:10 p.m.", "en") == []
    assert conflicts("The quake struck at 4:10 p.m.", "en", "The quake struck at 4:40 p.m.", "en") == [
        ("number", ["970 clock"], ["1000 clock"])]


def test_measurements_of_different_named_agencies_are_their_readings():
    assert conflicts("The USGS said the depth was 37 km.", "en", "BMKG recorded a depth of 29 km.", "en") == []
    assert conflicts("BMKG said the depth was 37 km.", "en", "BMKG recorded a depth of 29 km.", "en") == [
        ("number", ["37 km"], ["29 km"])]
    # counts are not measurements: a toll attributed to two agencies is still compared
    assert conflicts("The USGS said 4 people died.", "en", "BMKG said 5 people died.", "en") == [
        ("number", ["4 killed"], ["5 killed"])]


def test_parts_must_count_what_the_total_counts():
    # 6 dead and 1 injured do not make up 7 dead
    assert conflicts("6 people died and 1 was injured.", "en", "7 people died.", "en") == [
        ("number", ["6 killed"], ["7 killed"])]
    assert conflicts("4 people died in the north and 3 died in the south.", "en", "7 people died.", "en") == []


def test_a_town_a_distance_is_measured_from_is_no_place_conflict():
    # the distances say where the epicentre lay; the towns are reference points
    found = conflicts("The epicentre was 126 km south of the city of Alderton.", "en",
                      "Pusat gempa 71 km timur Kota Brookmere.", "id")
    assert [c for c in found if c[0] == "place"] == []
