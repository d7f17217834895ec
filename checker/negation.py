"""Negation cues per language (``checker/data/negation_cues.json``): how many a claim holds. A negation on
one side of an aligned pair only is what NLI alone is for (the CI guard's polarity rule; the NLI bar in
``compare``)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

_WORDS = re.compile(r"[\w\u200c']+")


@lru_cache(maxsize=1)
def _negation_cues() -> dict[str, dict[str, list[str]]]:
    text = (resources.files("checker") / "data" / "negation_cues.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def negations(text: str, lang: str) -> int:
    """How many negation cues a claim holds (0 for a language without cues)."""
    cues = _negation_cues().get(lang)
    if not cues:
        return 0
    words = set(cues.get("words", []))
    count = 0
    for word in _WORDS.findall(text.casefold().replace("’", "'")):
        bare = word[1:] if lang in ("ar", "fa") and word.startswith("و") and len(word) > 2 else word
        if (word in words or bare in words or any(word.startswith(p) for p in cues.get("prefixes", []))
                or any(word.endswith(x) for x in cues.get("suffixes", []))):
            count += 1
    return count
