"""GeoNames city index: spellings across scripts, common words kept out; the shipped index and the
cache of derived place tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.fileio import CACHED_VERSIONS, read_stamped_json
from checker.slots import extract_slots, gazetteer, resources
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
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty place-table cache, and no shipped city index (as when its inputs changed)."""
    monkeypatch.setenv("CLAIMCHECK_GAZETTEER_CACHE", str(tmp_path))
    monkeypatch.setattr(gazetteer, "SHIPPED_INDEX", tmp_path / "none.json.gz")
    city_index.cache_clear()
    yield tmp_path
    city_index.cache_clear()


def test_shipped_index_is_current() -> None:
    """The shipped city index was built from today's inputs; else run `python -m checker.slots`."""
    stored = read_stamped_json(gazetteer.SHIPPED_INDEX, gazetteer.index_stamp())
    assert stored is not None, "checker/data/slots/cities.json.gz is stale: rebuild it with python -m checker.slots"
    assert len(stored["keys"]) == len(stored["positions"]) > 50_000


def test_shipped_other_names_are_current() -> None:
    """The other names of the cities were built with the index (``python -m checker.slots``)."""
    stored = read_stamped_json(gazetteer.SHIPPED_OTHER_NAMES, gazetteer.index_stamp())
    assert stored is not None, "checker/data/slots/city_other_names.json.gz is stale: python -m checker.slots"
    assert len(stored) > 10_000 and set(stored.values()) != {""}


def test_derived_table_is_cached_and_reused(fresh_cache: Path) -> None:
    builds: list[int] = []

    def build() -> dict[str, str]:
        builds.append(1)
        return {"zedville": "zed city", "zed": "zed city", "ypres": "ieper"}

    table = resources.derived_table("test", "s1", build, resources.encode_mapping, resources.decode_mapping)
    again = resources.derived_table("test", "s1", build, resources.encode_mapping, resources.decode_mapping)
    assert len(builds) == 1  # the second call read the cache
    assert again == table == {"zedville": "zed city", "zed": "zed city", "ypres": "ieper"}
    assert [p.name for p in fresh_cache.glob("test-*.json")] == ["test-s1.json"]


def test_a_few_versions_of_a_cached_table_are_kept(fresh_cache: Path) -> None:
    stamps = [f"{n:016x}" for n in range(CACHED_VERSIONS + 2)]
    for age, stamp in enumerate(reversed(stamps[:-1])):  # older versions, the first stamp oldest
        path = fresh_cache / f"test-{stamp}.json"
        path.write_text("{}", encoding="utf-8")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
    (fresh_cache / "test-notes.json").write_text("not a cached table", encoding="utf-8")
    resources.derived_table("test", stamps[-1], dict, resources.encode_mapping, resources.decode_mapping)
    kept = sorted(p.name for p in fresh_cache.glob("test-*.json"))
    assert kept == sorted([f"test-{s}.json" for s in stamps[-CACHED_VERSIONS:]] + ["test-notes.json"])


@pytest.mark.parametrize("damage", [
    b"", b"{", b"\xff\xfe", b"[1, 2]", b'{"stamp": "s1"}', b'{"stamp": "s1", "data": {"keys": ["a"]}}',
    b'{"stamp": "s1", "data": {"values": ["x"], "keys": ["a"], "positions": [5]}}',
    b'{"stamp": "s1", "data": {"values": ["x"], "keys": ["a", "b"], "positions": [0]}}',
    b'{"stamp": "s1", "data": {"values": ["x"], "keys": ["a"], "positions": [-1]}}',
    b'{"stamp": "old", "data": {"values": ["x"], "keys": ["a"], "positions": [0]}}',
])
def test_damaged_or_stale_cache_is_rebuilt(fresh_cache: Path, damage: bytes) -> None:
    (fresh_cache / "test-s1.json").write_bytes(damage)
    table = resources.derived_table("test", "s1", lambda: {"a": "rebuilt"}, resources.encode_mapping,
                                    resources.decode_mapping)
    assert table == {"a": "rebuilt"}
    assert read_stamped_json(fresh_cache / "test-s1.json", "s1") == resources.encode_mapping(table)


def test_city_index_is_built_and_cached_when_the_shipped_one_is_stale(fresh_cache: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gazetteer, "build_city_index", lambda: {"zedville": "zed city"})
    assert city_index() == {"zedville": "zed city"}
    assert len(list(fresh_cache.glob("cities-*.json"))) == 1


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAIMCHECK_GAZETTEER_CACHE", "off")
    assert resources.cache_dir() is None
    built = resources.derived_table("test", "s1", lambda: {"a": "b"}, resources.encode_mapping,
                                    resources.decode_mapping)
    assert built == {"a": "b"}


def test_unwritable_cache_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CLAIMCHECK_GAZETTEER_CACHE", str(blocker / "cache"))
    built = resources.derived_table("test", "s1", lambda: {"a": "b"}, resources.encode_mapping,
                                    resources.decode_mapping)
    assert built == {"a": "b"}
