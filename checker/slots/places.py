"""Place names: candidates from cue words, prepositions and a gazetteer; keys comparable across scripts.

The slot value is a readable transliterated key ("tal afar", "mosul"); `skeleton` reduces it to a
consonant skeleton (articles, vowels, h/w/y and doubled letters dropped) that is compared fuzzily.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import babel
from babel import Locale
from rapidfuzz import fuzz, process

from ..textnorm import Normalized, key_of, norm_word, place_key, skeleton, skeletons
from .gazetteer import city_index, index_stamp, other_city_names
from .model import Slot
from .resources import (
    DATA_DIR,
    common_words,
    decode_mapping,
    derived_table,
    encode_mapping,
    lang_group,
    load,
    source_digest,
    trie_pattern,
)

_AR_TOKEN = re.compile(r"[\u0621-\u064a\u0671-\u06d3]+")
# lower-case particles inside a Latin name ("Ras al-Khaimah", "Bandar Seri Begawan", "Isle of Man")
NAME_PARTICLES = ("al", "el", "ad", "as", "ash", "at", "ar", "az", "an", "ul", "bin", "de", "of", "ez", "es", "ed")
_INITIALS = re.compile(r"(?:[A-Z]\.){2,}")  # "D.C.", "U.S."
# a capitalised word, or initials with their stops
_LATIN_WORD = rf"(?:{_INITIALS.pattern}|[A-Z][\w'’]*(?:-[A-Za-z][\w'’]*)*)"
_LATIN_CAP = re.compile(
    rf"(?<![\w']){_LATIN_WORD}(?:[ \t]+(?:(?:{'|'.join(NAME_PARTICLES)})[- ])?{_LATIN_WORD})*"
)
_BAD_TERRITORY = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
_PREFIXES = ("وال", "بال", "فال", "لل", "و", "ب", "ل", "ف")
_QUOTES = "\"«»“”„‹›「」"
_OPEN_Q = "[\"«“„‹「”]"
_CLOSE_Q = "[\"»”“›」]"
_MAX_QUOTED_WORDS = 5


@dataclass(frozen=True)
class _PlaceTables:
    gazetteer: dict[str, tuple[str, str]]  # normalised name -> (canonical key, type)
    max_words: int
    cue_before: dict[str, str]  # normalised cue -> type
    cue_after: dict[str, str]
    re_cue_ar: re.Pattern[str]
    re_cue_before_latin: re.Pattern[str]
    re_cue_after_latin: re.Pattern[str]
    skip: frozenset[str]
    stop: frozenset[str]
    preps: frozenset[str]
    non_places: frozenset[str]
    first_words: frozenset[str]  # first word of every gazetteer name
    re_quoted: re.Pattern[str]  # cue word followed by a quoted name
    letter_names: frozenset[str]  # Latin letters written out in Arabic script: a run of them is initials
    # answers of ``_lookup`` by (name, article): the word runs of a story recur claim after claim
    lookups: dict[tuple[str, bool], tuple[str, str] | None] = field(default_factory=dict, compare=False, repr=False)


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, tuple[str, str]]:
    """Index key -> (canonical key, type): Babel countries, GeoNames cities, a few extra aliases;
    cached between runs beside the city index (``gazetteer.derived_table``)."""
    here = Path(__file__).parent
    stamp = source_digest(index_stamp(), f"babel {babel.__version__}", DATA_DIR / "gazetteer.json",
                          here / "places.py")
    return derived_table("places", stamp, _build_gazetteer, encode_mapping,
                         lambda data: decode_mapping(data, tuple))


def _build_gazetteer() -> dict[str, tuple[str, str]]:
    data = load("gazetteer.json")
    gaz: dict[str, tuple[str, str]] = {}
    en = Locale.parse("en").territories
    aliases: dict[str, list[str]] = data.get("country_aliases", {})
    for code, eng in en.items():
        if not code.isalpha() or code in _BAD_TERRITORY:
            continue
        gaz.setdefault(key_of(eng), (place_key(eng), "country"))
    for lang in ("en", "ar", "fa", "ms", "id", "tr", "ur"):
        for code, name in Locale.parse(lang).territories.items():
            if code.isalpha() and code not in _BAD_TERRITORY and code in en:
                gaz.setdefault(key_of(name), (place_key(en[code]), "country"))
    for code, names in aliases.items():
        for n in names:
            gaz[key_of(n)] = (place_key(en[code]), "country")
    # Arabic-script country names also without the article
    for k, v in list(gaz.items()):
        if k.startswith("ال") and len(k) > 4:
            gaz.setdefault(k[2:], v)
    for canon, typ, variants in data.get("aliases", []):
        for n in variants:
            gaz.setdefault(key_of(n), (canon, typ))
    for k, canon in city_index().items():
        gaz.setdefault(k, (canon, "city"))
    return gaz


@lru_cache(maxsize=1)
def _known_keys() -> frozenset[str]:
    return frozenset(canon for canon, _ in _gazetteer().values())


def known_place(key: str) -> bool:
    """A place key of the gazetteer (a country, a city, a listed alias), not a name read through a cue
    word alone ("the region of X")."""
    return key in _known_keys()


@lru_cache(maxsize=1)
def _gazetteer_shape() -> tuple[int, frozenset[str]]:
    """Longest gazetteer name in words, and the first word of every name (shared by all languages)."""
    gaz = _gazetteer()
    return max(k.count(" ") for k in gaz) + 1, frozenset(k.partition(" ")[0] for k in gaz)


@lru_cache(maxsize=32)
def _tables(langs: tuple[str, ...]) -> _PlaceTables:
    cues = load("place_cues.json")
    lang_only: dict[str, str] = cues.get("lang_only", {})
    gaz = _gazetteer()

    def cue_map(section: str) -> dict[str, str]:
        out = {}
        for typ, words in cues[section].items():
            for w in words:
                if w in lang_only and lang_only[w] != langs[0]:
                    continue
                out[norm_word(w)] = typ
        return out

    before, after = cue_map("before"), cue_map("after")
    ar_cues = [c for c in before if not c.isascii()]
    lat_before = [c for c in before if c.isascii()]
    # "مدينة X" names a place; with the article ("المدينة ...") the cue is a plain noun
    re_cue_ar = re.compile(rf"(?<![\w])(?:و|ب|ل|ف)?({trie_pattern(ar_cues)})(?![\w])")
    re_before = re.compile(rf"(?<![\w])(?:the\s+)?({trie_pattern(lat_before)})\s+(?:of\s+)?$", re.I)
    re_after = re.compile(rf"^\s+({trie_pattern(list(after))})(?![\w])", re.I)
    non_places: set[str] = set()
    months = load("months.json")
    for lang in langs:
        for cal in months.get(lang, {}).values():
            if isinstance(cal, list):
                for variants in cal:
                    non_places.update(norm_word(v) for v in variants)
        for variants in load("relative.json")["weekdays"].get(lang, []):
            non_places.update(norm_word(v) for v in variants)
    non_places.update(before)
    non_places.update(after)
    skip = frozenset(norm_word(w) for w in cues["skip"])
    re_quoted = re.compile(
        rf"(?<![\w])(?:[وبلف])?(?:ال)?({trie_pattern(list(before))})"
        rf"(?:\s+{trie_pattern(list(skip))})*(?:\s+of)?\s*{_OPEN_Q}\s*([^\n{_QUOTES}]{{1,48}}?)\s*{_CLOSE_Q}"
    )
    max_words, first_words = _gazetteer_shape()
    return _PlaceTables(
        gaz, max_words, before, after, re_cue_ar, re_before, re_after,
        skip, frozenset(norm_word(w) for w in cues["stop"]),
        frozenset(cues["preps"]), frozenset(non_places), first_words, re_quoted,
        frozenset(key_of(w) for w in cues.get("letter_names", [])),
    )


# ---------------------------------------------------------------------------- keys

FUZZY_MIN_LETTERS = 4  # skeletons this long or longer may match fuzzily ...
FUZZY_MIN_RATIO = 80  # ... when this similar (rapidfuzz ratio, 0-100)


SHORT_SKELETON = 3


def _has_vowel(key: str, shape: str) -> bool:
    """Whether a place key has letters beyond its consonant skeleton (vowels, or w/y written for them)."""
    return len(key.replace(" ", "")) > len(shape)


def same_place(a: str, b: str) -> bool:
    if a == b:
        return True
    ra, rb = skeletons(a), skeletons(b)
    if any(len(x) >= SHORT_SKELETON for x in set(ra) & set(rb)):
        return True  # the same consonants, in one of the readings of a Latin spelling (a soft c, a v written و)
    sa, sb = ra[0], rb[0]
    if not sa or not sb:
        return a.replace(" ", "") == b.replace(" ", "")
    if sa == sb:
        # one or two consonants are shared by many words ("sr": Syria and an Arabic verb): both names are
        # written with vowels ("syria", "swry"), or neither is
        return len(sa) >= SHORT_SKELETON or _has_vowel(a, sa) == _has_vowel(b, sb)
    return min(len(sa), len(sb)) >= FUZZY_MIN_LETTERS and fuzz.ratio(sa, sb) >= FUZZY_MIN_RATIO


def other_names(key: str) -> frozenset[str]:
    """Keys of the other names GeoNames gives the city ``key`` (exonyms, other scripts: "البندقية" for
    "venice"); many are common words, so they only confirm a place found otherwise."""
    return other_city_names().get(key, frozenset())


def also_named(a: str, b: str) -> bool:
    """Whether one place key is another name of the other's city ("venezia" and "venice")."""
    return b in other_names(a) or a in other_names(b)


class PlaceKeys:
    """Many place keys (the word runs of a whole text) prepared so that ``any(same_place(name, k) for
    k in keys)`` is answered by set lookups, plus a fuzzy search over distinct skeletons only."""

    def __init__(self, keys: Iterable[str], known: Mapping[str, str] | None = None) -> None:
        """``known``: the ``skeleton_of`` of keys indexed before (a whole text that holds these keys), so
        their skeletons are looked up instead of computed again."""
        self.keys = frozenset(keys)
        known = known or {}
        self.skeleton_of = {k: known[k] if k in known else skeleton(k) for k in self.keys}
        # other readings of Latin spellings (``skeletons``), three consonants or more
        self.readings = frozenset(r for k in self.keys if "v" in k or "c" in k for r in skeletons(k)[1:])
        self.joined = frozenset(k.replace(" ", "") for k in self.keys)
        self.joined_shapeless = frozenset(k.replace(" ", "") for k, s in self.skeleton_of.items() if not s)
        self.skeletons = frozenset(s for s in self.skeleton_of.values() if len(s) >= SHORT_SKELETON)
        # a skeleton of one or two consonants is shared by many words: see same_place
        self.voiced_short = frozenset(s for k, s in self.skeleton_of.items()
                                      if s and len(s) < SHORT_SKELETON and _has_vowel(k, s))
        self.unvoiced_short = frozenset(s for k, s in self.skeleton_of.items()
                                        if s and len(s) < SHORT_SKELETON and not _has_vowel(k, s))
        self.long_skeletons = tuple(sorted(s for s in self.skeletons if len(s) >= FUZZY_MIN_LETTERS))
        self._answers: dict[str, bool] = {}  # a whole version is asked about the same places pair after pair

    def match(self, name: str) -> bool:
        """Whether ``same_place(name, key)`` holds for one of the keys."""
        if name not in self._answers:
            self._answers[name] = self._match(name)
        return self._answers[name]

    def _match(self, name: str) -> bool:
        if name in self.keys:
            return True
        sa, joined = skeleton(name), name.replace(" ", "")
        if not sa:
            return joined in self.joined
        if joined in self.joined_shapeless or sa in self.skeletons:
            return True
        if any(r in self.skeletons or r in self.readings for r in skeletons(name)[1:]) or sa in self.readings:
            return True
        if len(sa) < SHORT_SKELETON:
            return sa in (self.voiced_short if _has_vowel(name, sa) else self.unvoiced_short)
        if len(sa) < FUZZY_MIN_LETTERS:
            return False
        # candidates found in C with a looser cutoff, then decided by the very test same_place makes
        near = process.extract(sa, self.long_skeletons, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO - 5,
                               limit=None)
        return any(fuzz.ratio(sa, sb) >= FUZZY_MIN_RATIO for sb, _, _ in near)


# ---------------------------------------------------------------------------- extraction

@dataclass
class PlaceHit:
    start: int  # normalised offsets
    end: int
    key: str
    typ: str | None
    homograph: bool = False


@lru_cache(maxsize=1)
def _homographs() -> dict[str, frozenset[str]]:
    """Language -> gazetteer names that are words of that language first (see common_words.py)."""
    return {lang: frozenset(words) for lang, words in load("place_homographs.json").items()
            if not lang.startswith("_") and isinstance(words, list)}


def _mark_homographs(hits: list[PlaceHit], text: str, nt: Normalized, lang: str, tb: _PlaceTables) -> list[PlaceHit]:
    """Gazetteer names that are frequent words of ``lang`` marked as such: in Arabic script any of them (a
    clitic left off), in Latin script one capitalised only as the first word of a sentence or quote; and
    in any text a Latin name that is an English phrase first ("White House")."""
    table = _homographs()
    words, phrases = table.get(lang, frozenset()), table.get("en", frozenset())
    letters = tb.letter_names
    out = []
    for h in hits:
        name = key_of(nt.text[h.start:h.end])
        bare = [name] + [name[len(p):] for p in _PREFIXES if name.startswith(p) and len(name) - len(p) >= 2]
        s, e = nt.span(h.start, h.end)
        if name in phrases:
            h = replace(h, homograph=True)
        elif lang != "en" and any(b in words for b in bare):
            # a Latin name is a word first where it opens a sentence, a quote or a clause after a dash
            if not name.isascii() or not re.search(r"\w[^.!?:;\"“”«»–—]*$", _DASH.sub(" . ", text[:s])):
                h = replace(h, homograph=True)
        elif not name.isascii() and ("\u064b" in text[s:e + 1] or len(name.split()) > 1 and set(name.split()) <= letters):
            # an indefinite accusative ending (غالبًا, "often") is no name's; letters written out (بی سی, "B C") are initials
            h = replace(h, homograph=True)
        out.append(h)
    return out


_DASH = re.compile(r"\s[-–—]\s")


def _lookup(tb: _PlaceTables, name: str, article: bool = False) -> tuple[str, str] | None:
    """The place a name (or the name behind a proclitic) stands for. ``article``: Arabic text, where a
    name that takes the article keeps it ("والرقة"), so its bare form ("ورقة": "and a paper") is no place."""
    asked = (name, article)
    hit = tb.lookups.get(asked, _UNKNOWN)  # one step: checks in other threads may clear the table meanwhile
    if hit is _UNKNOWN:
        if len(tb.lookups) >= MAX_LOOKUPS_KEPT:
            tb.lookups.clear()
        hit = tb.lookups[asked] = _lookup_key(tb, key_of(name), article)
    return hit  # type: ignore[return-value]


MAX_LOOKUPS_KEPT = 50_000  # under 10 MB
_UNKNOWN = object()


def _lookup_key(tb: _PlaceTables, name: str, article: bool) -> tuple[str, str] | None:
    hit = _unless_bare(tb, name, article)
    if hit is None and name and not name.isascii():
        for p in _PREFIXES:
            if name.startswith(p) and len(name) - len(p) >= 3:
                rest = ("ال" + name[len(p):]) if p in ("وال", "بال", "فال", "لل") else name[len(p):]
                hit = _unless_bare(tb, rest, article)
                if hit:
                    break
    return hit


def _unless_bare(tb: _PlaceTables, key: str, article: bool) -> tuple[str, str] | None:
    hit = tb.gazetteer.get(key)
    if hit and article and not key.startswith("ال") and tb.gazetteer.get("ال" + key) == hit:
        return None
    return hit


def _arabic_places(nt: Normalized, tb: _PlaceTables, article: bool) -> list[PlaceHit]:
    t = nt.text
    toks = [(m.start(), m.end(), m.group()) for m in _AR_TOKEN.finditer(t)]
    out: list[PlaceHit] = []
    used_until = -1
    for i, (s, _e, _w) in enumerate(toks):
        if s < used_until:
            continue
        # cue + name
        mc = tb.re_cue_ar.fullmatch(t, s, toks[i][1])
        if mc is None and i + 1 < len(toks):
            two = tb.re_cue_ar.fullmatch(t, s, toks[i + 1][1])
            mc, cue_end_idx = (two, i + 1) if two else (None, i)
        else:
            cue_end_idx = i
        if mc is not None:
            typ = tb.cue_before[" ".join(mc[1].split())]
            j = cue_end_idx + 1
            while j < len(toks) and toks[j][2] in tb.skip:
                j += 1
            if j < len(toks) and toks[j][2] not in tb.stop and toks[j][2] not in tb.cue_before and \
                    t[toks[j - 1][1]:toks[j][0]].strip() == "":
                name_toks = [toks[j]]
                if (j + 1 < len(toks) and not toks[j][2].startswith("ال") and toks[j + 1][2].startswith("ال")
                        and toks[j + 1][2] not in tb.skip and toks[j + 1][2] not in tb.stop
                        and t[toks[j][1]:toks[j + 1][0]].strip() == ""):
                    name_toks.append(toks[j + 1])
                ns, ne = name_toks[0][0], name_toks[-1][1]
                name = t[ns:ne]
                g = _lookup(tb, name, article)
                # one everyday word after a cue ("منطقه جنگی", a war zone) is a place only where the other
                # version names one
                ordinary = g is None and len(name_toks) == 1 and key_of(name) in common_words()
                out.append(PlaceHit(ns, ne, g[0] if g else place_key(name), typ, homograph=ordinary))
                used_until = ne
                continue
        # gazetteer n-grams, longest first
        w = toks[i][2]
        if w not in tb.first_words and not (
            w[:1] in "وبلف" and (w[1:] in tb.first_words or "ال" + w[2:] in tb.first_words
                                 or w[2:] in tb.first_words or "ال" + w[3:] in tb.first_words)
        ):
            continue
        for n in range(min(tb.max_words, len(toks) - i), 0, -1):
            ne = toks[i + n - 1][1]
            g = _lookup(tb, t[s:ne], article)
            if g and key_of(t[s:ne]) not in tb.non_places:
                out.append(PlaceHit(s, ne, g[0], g[1]))
                used_until = ne
                break
    return out


def _latin_places(text: str, nt: Normalized, tb: _PlaceTables) -> list[PlaceHit]:
    out: list[PlaceHit] = []
    # Latin names are matched on the original text (case matters); map to normalised offsets
    inv = _inverse(nt)
    for m in _LATIN_CAP.finditer(text):
        words = [(w.start() + m.start(), w.end() + m.start(), w.group()) for w in re.finditer(r"\S+", m.group())]
        typ: str | None = None
        whole = _lookup(tb, m.group()) if len(words) > 1 else None
        # leading cue inside the capitalised run ("Pangkalan X", "Province of X"), unless the whole run
        # is a known name ("Kota Bharu")
        for k in (3, 2, 1):
            if whole is None and len(words) > k:
                head = norm_word(" ".join(w for _, _, w in words[:k]))
                if head in tb.cue_before:
                    typ = tb.cue_before[head]
                    words = words[k:]
                    if words and words[0][2].lower() == "of":
                        words = words[1:]
                    break
        # trailing cue ("X Air Base", "X Province")
        for k in (3, 2, 1):
            if len(words) > k:
                tail = norm_word(" ".join(w for _, _, w in words[-k:]))
                if tail in tb.cue_after:
                    typ = tb.cue_after[tail]
                    words = words[:-k]
                    break
        if not words:
            continue
        s, e = words[0][0], words[-1][1]
        name = re.sub(r"['’]s$", "", text[s:e])
        e = s + len(name)
        before = text[max(0, s - 30):s].lower()
        after = text[e:e + 30]
        if typ is None:
            mb = tb.re_cue_before_latin.search(before)
            ma = tb.re_cue_after_latin.match(after)
            if mb:
                typ = tb.cue_before.get(norm_word(mb[1]))
            elif ma:
                typ = tb.cue_after.get(norm_word(ma[1]))
        g = _lookup(tb, norm_word(name))
        if g is None and typ is None:
            # sub-spans found in the gazetteer ("Menteri Luar Negeri Jordan", "Syria's")
            initials = False
            for k in range(min(tb.max_words, len(words)), 0, -1):
                for a in range(0, len(words) - k + 1):
                    ss, ee = words[a][0], words[a + k - 1][1]
                    sub = re.sub(r"['’]s$", "", text[ss:ee])
                    g2 = _lookup(tb, norm_word(sub))
                    if g2:
                        out.append(PlaceHit(inv(ss), inv(ss + len(sub)), g2[0], g2[1]))
                        initials = initials or bool(_INITIALS.fullmatch(sub))
                        break
                else:
                    continue
                break
            # initials name the place they abbreviate, whatever the run around them ("di Mahkamah Rayuan D.C.")
            if not initials and not any(h.start == inv(s) for h in out):
                prev = re.search(r"(\w+)\s+$", before)
                nn = norm_word(name)
                if prev and prev[1] in tb.preps and nn not in tb.non_places and len(words) <= 4:
                    out.append(PlaceHit(inv(s), inv(e), place_key(name), None))
            continue
        if norm_word(name) in tb.non_places:
            continue
        out.append(PlaceHit(inv(s), inv(e), g[0] if g else place_key(name), typ or (g[1] if g else None)))
    return out


def _inverse(nt: Normalized) -> Callable[[int], int]:
    if nt.offsets is None:
        return lambda i: i
    pos = {o: k for k, o in enumerate(nt.offsets)}

    def inv(i: int) -> int:
        while i not in pos and i < nt.length:
            i += 1
        return pos.get(i, len(nt.text))

    return inv


def _quoted_places(nt: Normalized, tb: _PlaceTables) -> list[PlaceHit]:
    """Quoted names right after a cue word: base "Eagle", قاعدة "الصقر", پایگاه «شهید»."""
    out: list[PlaceHit] = []
    for m in tb.re_quoted.finditer(nt.text):
        name = m[2]
        if not name.strip() or len(name.split()) > _MAX_QUOTED_WORDS or not any(c.isalpha() for c in name):
            continue
        g = _lookup(tb, name)
        out.append(PlaceHit(m.start(2), m.end(2), g[0] if g else place_key(name),
                            tb.cue_before[" ".join(m[1].split())]))
    return out


def extract_places(text: str, nt: Normalized, lang: str) -> list[PlaceHit]:
    tb = _tables(lang_group(lang))
    quoted = _quoted_places(nt, tb) if any(c in nt.text for c in _QUOTES) else []
    hits = _latin_places(text, nt, tb)
    if any("\u0600" <= c <= "\u06ff" for c in nt.text):
        hits += _arabic_places(nt, tb, lang == "ar")
    if quoted:  # a quoted name after a cue wins over anything found inside or around it
        hits = quoted + [h for h in hits if not any(h.start < q.end and q.start < h.end for q in quoted)]
    hits.sort(key=lambda h: (h.start, h.end))
    dateline = _DATELINE_CITY.match(text)
    out: list[PlaceHit] = []
    for h in hits:
        if dateline and nt.span(h.start, h.end)[1] <= dateline.end(1):
            continue  # "TEHRAN: ...", "jpnn.com, JAKARTA - ...": where the report was filed, not a fact of it
        if h.key and (not out or h.start >= out[-1].end):
            out.append(h)
    return _mark_homographs(out, text, nt, lang, tb)


# a news dateline opening a paragraph: an optional outlet, then the city in capitals and a colon or dash
_DATELINE_CITY = re.compile(r"\s*(?:[\w.]+,\s*)?([A-Z][A-Z .'-]*[A-Z])\s*(?:\([^)]*\)\s*)?[:\-–—]\s")


def to_slots(hits: list[PlaceHit], nt: Normalized, text: str) -> list[Slot]:
    slots = []
    for h in hits:
        s, e = nt.span(h.start, h.end)
        disp = h.key + (f" ({h.typ})" if h.typ else "")
        slots.append(Slot("place", h.key, text[s:e], s, e, None, False, h.typ, disp, homograph=h.homograph))
    return slots
