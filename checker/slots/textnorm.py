"""Offset-preserving normalisation of multi-script text.

Digits of all systems become ASCII, Arabic-script letter variants are unified, diacritics and
tatweel are dropped, ZWNJ becomes a space and Latin letters are lower-cased.  Every matcher works
on the normalised string; `Normalized.span` maps its offsets back to the original text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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
