"""Rule data (checker/data/slots/*.json), helpers to turn word lists into fast regexes, and tables
derived from the data, kept between runs in the user cache folder (or shipped)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from ..fileio import keep_newest, read_stamped_json, user_cache_dir, write_stamped_json

T = TypeVar("T")

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


@cache
def common_words() -> frozenset[str]:
    """Normalised Arabic-script words frequent in running text (``common_words.json``; see common_words.py):
    too ordinary to be taken for a place's name on their own."""
    return frozenset(load("common_words.json")["words"])


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, or None when no such set is known: a text
    holding none of them cannot match, so the pattern need not be run over it (a pattern tried at every
    position of every claim costs more than a few substring tests). Read from the parsed pattern; a case-
    insensitive pattern, or one the parser of this Python cannot read, gives None."""
    import re._parser as parser  # the re module's own parser (private; any failure falls back to None)

    try:
        parsed = parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        return _required(list(parsed))
    except Exception:  # noqa: BLE001 - an unreadable pattern is just run
        return None


def _required(items: list) -> frozenset[str] | None:
    """``required_literals`` of a parsed sequence: its most selective mandatory part (longest shortest string)."""
    from re import _constants as op  # noqa: PLC2701

    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    for code, arg in items + [(None, None)]:
        if code is op.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            consider(frozenset({"".join(run)}))
            run = []
        if code is op.SUBPATTERN:
            if arg[1] & re.IGNORECASE:  # (?i:...) inline
                raise ValueError("case-insensitive group")
            consider(_required(list(arg[3])))
        elif code is op.BRANCH:
            branches = [_required(list(b)) for b in arg[1]]
            if all(branches):
                consider(frozenset().union(*branches))  # type: ignore[arg-type]
        elif code in (op.MAX_REPEAT, op.MIN_REPEAT, getattr(op, "POSSESSIVE_REPEAT", None)) and arg[0] >= 1:
            consider(_required(list(arg[2])))
        elif code is getattr(op, "ATOMIC_GROUP", None):
            consider(_required(list(arg)))
    return best


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


# ---------------------------------------------------------------------------- derived tables

def cache_dir() -> Path | None:
    """Where derived place tables are cached: CLAIMCHECK_GAZETTEER_CACHE, else the user cache folder;
    None when CLAIMCHECK_GAZETTEER_CACHE is "off"."""
    env = os.environ.get("CLAIMCHECK_GAZETTEER_CACHE", "")
    if env.lower() == "off":
        return None
    return Path(env) if env else user_cache_dir()


def source_digest(*parts: str | Path) -> str:
    """A short hash of strings and file contents (line endings unified): the stamp of a derived table."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.read_bytes().replace(b"\r\n", b"\n") if isinstance(part, Path) else part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:16]


def derived_table(name: str, stamp: str, build: Callable[[], T], encode: Callable[[T], object],
                  decode: Callable[[Any], T], shipped: Path | None = None) -> T:
    """A table derived from data files: the ``shipped`` copy or the one cached by an earlier run when
    stamped with ``stamp``, else built, then cached as ``cache_dir()/NAME-STAMP.json`` (beside a few
    copies with other stamps, ``fileio.keep_newest``). A damaged or stale file is rebuilt, and a cache that
    cannot be written is skipped."""
    folder = cache_dir()
    cached = folder / f"{name}-{stamp}.json" if folder is not None else None
    for path in (shipped, cached):
        stored = read_stamped_json(path, stamp) if path is not None else None
        if stored is not None:
            try:
                return decode(stored)
            except (KeyError, IndexError, TypeError, ValueError):
                pass  # damaged: rebuilt below
    table = build()
    if cached is not None:
        try:
            write_stamped_json(cached, stamp, encode(table))
            keep_newest(cached.parent, f"{name}-" + "[0-9a-f]" * len(stamp) + ".json")
        except OSError:
            pass
    return table


def encode_mapping(table: Mapping[str, object]) -> dict[str, list[Any]]:
    """A name table as JSON: each distinct value once, and per key the position of its value."""
    values = list(dict.fromkeys(table.values()))
    position = {value: n for n, value in enumerate(values)}
    return {"values": values, "keys": list(table), "positions": [position[v] for v in table.values()]}


def decode_mapping(data: dict[str, list[Any]], value: Callable[[Any], T] = str) -> dict[str, T]:
    """The table ``encode_mapping`` wrote; ``value`` turns a JSON value back into a table value.
    Raises KeyError, IndexError, TypeError or ValueError when the data is damaged."""
    values, positions = [value(v) for v in data["values"]], data["positions"]
    if positions and min(positions) < 0:
        raise IndexError("negative position")
    return dict(zip(data["keys"], [values[n] for n in positions], strict=True))
