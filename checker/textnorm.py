"""Every text normalisation of the checker, in one place:

- ``normalize_for_model``: text as the models see it (per language);
- ``normalise_text``: the case-, digit-, diacritic- and punctuation-free key of a claim (fingerprints);
- ``normalize`` / ``norm_word``: offset-preserving normalisation the fact-slot matchers work on
  (``Normalized.span`` maps offsets back to the original text);
- ``key_of``, ``place_key``, ``skeleton``: keys of place names (gazetteer index and comparison).

Digits of all systems become ASCII, Arabic-script letter variants are unified, diacritics and
tatweel are dropped, ZWNJ becomes a space and Latin letters are lower-cased.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to ASCII (same length, so offsets are kept)."""
    return text.translate(_DIGITS)


_ARABIC_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, superscript alef, tatweel


def normalize_for_model(text: str, language: str) -> str:
    """Text as the models see it: NFC, one digit system, no tatweel/harakat, unified letter variants.

    Lost ZWNJ in Persian is tolerated rather than guessed back: the subword models read the joined
    forms, and fact-slot matching compares transliterated keys.
    """
    text = unicodedata.normalize("NFC", text)
    text = to_ascii_digits(text)
    text = _ARABIC_DIACRITICS.sub("", text)
    if language == "fa":
        text = text.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی")
    elif language == "ar":
        text = text.replace("ی", "ي").replace("ک", "ك")
    if language not in ("fa", "ur", "ps", "ku"):  # ZWNJ is only meaningful in these
        text = text.replace("\u200c", " ")
    return re.sub(r"\s+", " ", text).strip()


_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640\u200c\u200d]")


def normalise_text(text: str | None) -> str:
    """Case-, digit-, diacritic-, punctuation- and whitespace-insensitive form of a claim."""
    if not text:
        return ""
    text = to_ascii_digits(unicodedata.normalize("NFKC", text)).casefold()
    text = _ARABIC_MARKS.sub("", text)
    text = text.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی").replace("ة", "ه")
    text = re.sub(r"[أإآٱ]", "ا", text)
    return " ".join(re.findall(r"\w+", text))


# ---------------------------------------------------------------- offset-preserving (fact slots)

_MAP: dict[int, str | None] = {}
for _i in range(10):
    _MAP[0x0660 + _i] = str(_i)  # Arabic-Indic
    _MAP[0x06F0 + _i] = str(_i)  # Persian
for _src, _dst in {
    "ی": "ي", "ى": "ي", "ئ": "ي", "ک": "ك", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه", "ۀ": "ه", "ؤ": "و", "٫": ".", "٬": ",", "،": ",", "؛": ";", "؟": "?",
    "\u200c": " ", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "–": "-", "—": "-", "−": "-",
    "’": "'", "‘": "'",
}.items():
    _MAP[ord(_src)] = _dst
for _cp in [*range(0x064B, 0x0653), 0x0654, 0x0655, 0x0670, 0x0640, 0x200B, 0x200D, 0x200E, 0x200F, 0x061C]:
    _MAP[_cp] = None  # harakat, hamza marks, tatweel, zero-width and direction marks

ARABIC_LETTERS = "\u0600-\u06ff"


@dataclass(frozen=True)
class Normalized:
    text: str  # normalised text
    offsets: tuple[int, ...] | None  # original offset of each normalised char; None when identical
    length: int  # length of the original text

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the normalised span [start, end)."""
        if self.offsets is None:
            return start, end
        s = self.offsets[start] if start < len(self.offsets) else self.length
        if end <= start:
            return s, s
        # include marks dropped after the last char (harakat, tatweel)
        e = self.offsets[end] if end < len(self.offsets) else self.length
        return s, e


def _lower(s: str) -> str:
    low = s.lower()
    if len(low) == len(s):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


def normalize(text: str) -> Normalized:
    t = text.translate(_MAP)
    if len(t) == len(text):
        return Normalized(_lower(t), None, len(text))
    chars: list[str] = []
    offs: list[int] = []
    for i, c in enumerate(text):
        m = _MAP.get(ord(c), c)
        if m:
            chars.append(m)
            offs.append(i)
    return Normalized(_lower("".join(chars)), tuple(offs), len(text))


@lru_cache(maxsize=4096)
def norm_word(word: str) -> str:
    """Normalised form of a table entry (same rules as `normalize`)."""
    return " ".join(normalize(word).text.split())


def is_arabic_script(s: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in s)


# ---------------------------------------------------------------- place-name keys

_POSSESSIVE = re.compile(r"['`’]s\b")
_NOT_KEY = re.compile(r"[^a-z0-9 ]")
_VOWELS = re.compile(r"[aeiouhwy]")  # vowels, and h, w, y
_DOUBLED = re.compile(r"(.)\1+")
_ARTICLE_LATIN = re.compile(r"\b(?:al|el|ad|ar|as|ash|at|az|an|ud|ul|ez|es|ed)[-\s]+")
_DIGRAPHS = (("sh", "s"), ("kh", "k"), ("gh", "g"), ("th", "t"), ("dh", "d"), ("ph", "f"), ("ch", "c"),
             ("q", "k"), ("c", "k"), ("x", "ks"), ("v", "f"), ("p", "b"), ("ou", "u"),
             ("j", "g"))  # Arabic ج is written j or g in Latin names (George / جورج)


@lru_cache(maxsize=16384)
def key_of(name: str) -> str:
    """Index key of a name as written in text (same normalisation for the index and lookups)."""
    n = " ".join(normalize(name).text.replace("-", " ").split())
    if n.isascii():
        return n
    if any("\u0600" <= c <= "\u06ff" for c in n):
        return n
    return anyascii(n).lower()


def _ar_token_key(tok: str) -> list[str]:
    parts: list[str] = []
    if tok.startswith("ال") and len(tok) > 3:
        parts.append("al")
        tok = tok[2:]
    i = tok.find("ال", 2)
    if i >= 2 and len(tok) - i - 2 >= 3:  # name run together after a lost ZWNJ: "XالY"
        parts += [anyascii(tok[:i]), "al", anyascii(tok[i + 2:])]
    else:
        parts.append(anyascii(tok))
    return parts


def place_key(name: str) -> str:
    """Readable transliterated key: lower-case ASCII words, article kept as 'al'."""
    n = norm_word(name)
    words: list[str] = []
    for tok in n.split():
        if any("\u0600" <= c <= "\u06ff" for c in tok):
            words += _ar_token_key(tok)
        else:
            words.append(anyascii(tok))
    key = " ".join(words).lower().replace("-", " ")
    key = _POSSESSIVE.sub("", key)
    key = _NOT_KEY.sub("", key)
    return " ".join(key.split())


_SOFT_C = re.compile(r"(?<![sc])c(?=[eiy])")


@lru_cache(maxsize=16384)
def skeletons(key: str) -> tuple[str, ...]:
    """The consonant skeleton of a place key, and those of its other readings where Latin spelling leaves
    the sound open: a soft c ("Cincinnati", "Lucerne": سينسيناتي, لوسيرن) and a v that Persian and Arabic
    also write with و, read as a vowel letter ("Bratislava", "Livorno": براتیسلاوا, لیورنو; Arabic's ف for
    v is the skeleton itself)."""
    readings = {key}
    if "v" in key:
        readings.add(key.replace("v", "w"))
    readings |= {_SOFT_C.sub("s", k) for k in readings}
    first = skeleton(key)
    # a reading of one or two consonants would match too many short words (Persian این, "this")
    return (first, *sorted({shape for k in readings if len(shape := skeleton(k)) >= 3} - {first}))


@lru_cache(maxsize=8192)
def skeleton(key: str) -> str:
    """Consonant skeleton of a place key, used for cross-script comparison."""
    s = _ARTICLE_LATIN.sub("", key + " ")
    s = " ".join(w for w in s.split() if w not in ("al", "el"))
    s = s.replace(" ", "")
    for a, b in _DIGRAPHS:
        s = s.replace(a, b)
    s = _VOWELS.sub("", s)
    return _DOUBLED.sub(r"\1", s)
