"""Stable fingerprints of findings, keyed by normalised claim text rather than position, so review
decisions and CI baselines survive re-runs and edits elsewhere in a document."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from .ingest import to_ascii_digits
from .types import Discrepancy

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


def fingerprint(item: Discrepancy) -> str:
    """Same finding, same fingerprint: kind + both normalised claim texts (order-free) + values."""
    sides = sorted([(normalise_text(item.text_a), "|".join(sorted(item.values_a))),
                    (normalise_text(item.text_b), "|".join(sorted(item.values_b)))])
    payload = "\x1f".join([item.kind, *(part for side in sides for part in side)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
