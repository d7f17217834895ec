"""Rule data (checker/data/slots/*.json) and helpers to turn word lists into fast regexes."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "slots"

# Languages that share a script; their tables are merged because mixed usage is common.
SCRIPT_GROUPS: dict[str, tuple[str, ...]] = {
    "ar": ("ar", "fa"),
    "fa": ("fa", "ar"),
    "ur": ("fa", "ar"),
    "ps": ("fa", "ar"),
    "ku": ("ar", "fa"),
    "ms": ("ms", "id", "en"),
    "id": ("id", "ms", "en"),
    "en": ("en",),
}


def lang_group(lang: str) -> tuple[str, ...]:
    lang = (lang or "en").lower().split("-")[0].split("_")[0]
    return SCRIPT_GROUPS.get(lang, (lang, "en") if lang != "en" else ("en",))


@cache
def load(name: str) -> dict[str, Any]:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def trie_pattern(words: list[str] | set[str] | tuple[str, ...]) -> str:
    """Regex alternation for `words` built as a character trie (fast; longest alternatives first)."""
    trie: dict[str, Any] = {}
    for w in words:
        if not w:
            continue
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return "(?:" + build(trie) + ")"


# word boundaries valid for Latin and Arabic script alike
WB_L = r"(?<![\w])"
WB_R = r"(?![\w])"
