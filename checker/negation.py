"""Negation cues per language (``checker/data/negation_cues.json``): how often a text says "no".

A negation cue negates a clause or a noun phrase (not, no, never, لا, لم, نمی‌, tidak, bukan). Cues inside
idioms that say nothing about polarity ("not only", "no fewer than", "or not", Arabic لا يزال "still",
لا ... إلا "only") are not counted, and a cue repeated with only punctuation between ("No, no, no") counts once. Softer negative words (unfit, غير, عدم, without, tanpa, refused) are counted apart: a
translation may render a cue with one of them, so they excuse a cue missing on their side. A negation on
one side of an aligned pair only is what NLI alone is for (the CI guard's negation finding; the NLI bar
in ``compare``). Cues that only negate a clause (English, Arabic; Persian نمی‌, نخواه-) are told from those
that also make a word negative (Malay "tidak sah", invalid), which a translation more often renders with a
word that is no cue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .textnorm import norm_word, normalize

_WORDS = re.compile(r"[\w'-]+")
_EDGES = "'’-"  # quote marks and dashes a token may carry at either end ('jangan, -tidak)
_CLAUSE_END = re.compile(r"[.!?;:,\u060c\u061b\u061f]")
CONCORD_WORDS = 10  # a concord cue and a later cue of its clause at most this many words apart


@dataclass(frozen=True)
class _Cues:
    words: frozenset[str]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    clitics: tuple[str, ...]
    idioms: tuple[re.Pattern[str], ...]
    soft_words: frozenset[str]
    soft_prefixes: tuple[str, ...]
    soft_suffixes: tuple[str, ...]
    soft_exceptions: tuple[str, ...]
    undo: dict[str, str]
    undo_suffixes: dict[str, str]
    undo_prefixes: tuple[tuple[str, str], ...]  # longest first
    clausal: bool | tuple[str, ...]  # cues (True) or cue beginnings that negate a clause, never a word alone
    concord: frozenset[str]  # cues that agree with a later cue of their clause ("never ... not") as one negation


@dataclass(frozen=True)
class Polarity:
    """The negation cues of a text (a run of repeated cues once) and its softer negative words."""

    cues: tuple[str, ...] = ()
    soft: tuple[str, ...] = ()
    clausal: int = 0  # how many of the cues negate a clause, never a word alone (English not, Arabic لم, نمی‌)

    @property
    def negations(self) -> int:
        return len(self.cues)


@lru_cache(maxsize=1)
def _negation_cues() -> dict[str, _Cues]:
    text = (resources.files("checker") / "data" / "negation_cues.json").read_text(encoding="utf-8")
    out = {}
    for lang, entry in json.loads(text).items():
        if lang.startswith("_"):
            continue

        def norm(key: str, entry: dict = entry) -> tuple[str, ...]:
            return tuple(norm_word(w) for w in entry.get(key, []))

        # idioms are regular expressions: only their Arabic-script letters are normalised
        idioms = ["".join(norm_word(c) if "\u0600" <= c <= "\u06ff" else c for c in p) for p in entry.get("idioms", [])]
        out[lang] = _Cues(
            frozenset(norm("words")), norm("prefixes"), norm("suffixes"), norm("clitics"),
            tuple(re.compile(rf"(?<![\w'-])(?:{'|'.join(norm('clitics'))})?(?:{p})(?![\w'-])") for p in idioms),
            frozenset(norm("soft_words")), norm("soft_prefixes"), norm("soft_suffixes"), norm("soft_exceptions"),
            {norm_word(k): v for k, v in entry.get("undo", {}).items()}, dict(entry.get("undo_suffixes", {})),
            tuple(sorted(entry.get("undo_prefixes", {}).items(), key=lambda kv: -len(kv[0]))),
            True if entry.get("clausal") is True else norm("clausal"), frozenset(norm("concord")))
    return out


def _is_cue(word: str, cues: _Cues) -> bool:
    if word in cues.words or any(word.startswith(c) and word[len(c):] in cues.words for c in cues.clitics):
        return True
    return bool(cues.prefixes) and word.startswith(cues.prefixes) or bool(cues.suffixes) and word.endswith(cues.suffixes)


def _is_soft(word: str, cues: _Cues) -> bool:
    head, _, rest = word.partition("-")  # a compound is negative where its first part is (غیر-نظامی, "non-military")
    return bool(head and rest) and _is_soft_word(head, cues) or _is_soft_word(word, cues)


def _is_soft_word(word: str, cues: _Cues) -> bool:
    if word in cues.soft_words or any(word.startswith(c) and word[len(c):] in cues.soft_words for c in cues.clitics):
        return True
    if word.startswith(cues.soft_exceptions):
        return False
    return (any(word.startswith(p) and len(word) >= len(p) + 3 for p in cues.soft_prefixes)
            or any(word.endswith(s) and len(word) >= len(s) + 3 for s in cues.soft_suffixes))


_CUE, _SOFT = 1, 2


@lru_cache(maxsize=1 << 16)
def _word_kind(word: str, lang: str) -> int:
    """Whether a word of ``lang`` is a negation cue (``_CUE``), a softer negative word (``_SOFT``) or
    neither (0); words recur, so each is judged once."""
    cues = _negation_cues()[lang]
    return _CUE if _is_cue(word, cues) else _SOFT if _is_soft(word, cues) else 0


def polarity(text: str, lang: str) -> Polarity:
    """The negation cues and softer negative words of a text (none for a language without cues)."""
    cues = _negation_cues().get(lang)
    if cues is None:
        return Polarity()
    normal = normalize(text.replace("’", "'")).text
    for idiom in cues.idioms:  # an idiom's cues do not count, but for a group named "keep"
        normal = idiom.sub(lambda m: m.groupdict().get("keep") or " , ", normal)
    found: list[str] = []
    spans: list[tuple[int, int, int]] = []  # (index of the word, start, end) of each cue found
    soft: list[str] = []
    previous, end = "", 0
    for index, match in enumerate(_WORDS.finditer(normal)):
        word = match.group().strip(_EDGES)
        kind = _word_kind(word, lang)
        if kind == _CUE:
            # "No, no, no" is one answer; "tidak tidak" (not unable) two negations
            if word != previous or not normal[end:match.start()].strip():
                found.append(word)
                spans.append((index, match.start(), match.end()))
            previous, end = word, match.end()
            continue
        previous = ""
        if kind == _SOFT:
            soft.append(word)
    if cues.concord:  # negative concord: Persian هرگز ... نمی‌کند says "never" once
        agreeing = {n for n in range(len(found) - 1) if found[n] in cues.concord
                    and spans[n + 1][0] - spans[n][0] <= CONCORD_WORDS
                    and not _CLAUSE_END.search(normal, spans[n][2], spans[n + 1][1])}
        found = [w for n, w in enumerate(found) if n not in agreeing]
    clausal = len(found) if cues.clausal is True else sum(w.startswith(cues.clausal) for w in found)
    return Polarity(tuple(found), tuple(soft), clausal)


def negations(text: str, lang: str) -> int:
    """How many negation cues a claim holds (0 for a language without cues)."""
    return polarity(text, lang).negations


_TOKEN = re.compile(r"[\w\u200c'’-]+")


def _idiom_tokens(tokens: list[str], cues: _Cues) -> set[int]:
    """Indices of the tokens inside idioms (but for an idiom's group named "keep")."""
    spans, text = [], ""
    for token in tokens:
        spans.append((len(text), len(text) + len(token)))
        text += token + " "
    inside: set[int] = set()
    for idiom in cues.idioms:
        for m in idiom.finditer(text):
            keep = m.span("keep") if "keep" in idiom.groupindex and m.group("keep") else (0, 0)
            inside.update(n for n, (a, b) in enumerate(spans)
                          if a < m.end() and b > m.start() and not (a < keep[1] and b > keep[0]))
    return inside


def without_negation(text: str, lang: str) -> str:
    """``text`` with its negation cues taken out (never -> ever, didn't -> did, نمی‌شود -> می‌شود, tidak
    dropped), to ask whether the negation is what makes two sentences differ. Idioms are left as they are."""
    cues = _negation_cues().get(lang)
    if cues is None:
        return text
    matches = list(_TOKEN.finditer(text))
    cores = [m.group().strip(_EDGES) for m in matches]
    words = [normalize(core.replace("’", "'")).text for core in cores]
    idioms = _idiom_tokens(words, cues)
    out, at = [], 0
    for n, (match, core, word) in enumerate(zip(matches, cores, words, strict=True)):
        out.append(text[at:match.start()])
        at = match.end()
        if n in idioms or not core or not _is_cue(word, cues):
            out.append(match.group())
            continue
        lead = match.group().index(core)
        out.append(match.group()[:lead])
        token = core
        clitic = next((c for c in cues.clitics if word.startswith(c) and word[len(c):] in cues.words), "")
        out.append(token[:len(clitic)])
        word, token = word[len(clitic):], token[len(clitic):]
        suffix = next((x for x in cues.undo_suffixes if word.endswith(x)), None)
        prefix = next(((p, r) for p, r in cues.undo_prefixes if word.startswith(norm_word(p))), None)
        if word in cues.undo:
            out.append(cues.undo[word])
        elif suffix is not None:
            out.append(token[:len(token) - len(suffix)] + cues.undo_suffixes[suffix])
        elif prefix is not None:
            out.append(prefix[1] + token[len(prefix[0]):])
        out.append(match.group()[lead + len(core):])
    out.append(text[at:])
    return " ".join("".join(out).split())
