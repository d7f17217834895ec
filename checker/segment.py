"""Stage 2: split documents into claims (sentences, and clauses of long sentences), dropping page
furniture (comment boxes, ads, repeated titles) and recording what was dropped and why."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .cache import ResultCache, data_key, remembered
from .codedigest import code_digest
from .ingest import dominant_script, passage_language
from .textnorm import normalize_for_model
from .types import Claim, Document, Dropped

MAX_CLAIM_CHARS = 1200  # longer stretches without sentence punctuation are cut at spaces (bounded cost)
MIN_CLAIM_WORDS = 3
MIN_CLAIM_CHARS = 12
TRAILING_FRAGMENT_MAX_WORDS = 5
SENTENCE_END = ".!?؟…।"
CLOSING_QUOTES = "\"”»’'"

# Sentence boundary: terminal punctuation (optionally inside closing quotes), whitespace, then a
# character that can start a sentence (not a lowercase Latin letter, not a digit continuing a number).
_BOUNDARY = re.compile(
    rf"(?:[{re.escape(SENTENCE_END)}]+[{re.escape(CLOSING_QUOTES)}]*|[{re.escape(CLOSING_QUOTES)}][{re.escape(SENTENCE_END)}]+)"
    r"(?=\s+(?![a-z]))"
)
# Tokens ending in '.' that do not end a sentence. A number before a full stop ends a sentence
# ("... in May 2019. Trams run ..."), except a list number opening the sentence ("1. ...").
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|St|Jr|Sr|No|Vol|vs|etc|e\.g|i\.e|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Bhd|Sdn|Tn|Dato|Datuk|Hj|Prof|Drs|Ir|H|K\.H|Sen|Sens|Rep|Reps|Gov|Rev|v))\.$"
)
_LIST_NUMBER = re.compile(r"\d{1,3}\.$")


@dataclass(frozen=True)
class _Rules:
    section_start: frozenset[str]
    link_labels: frozenset[str]
    label_prefix: re.Pattern[str]
    inline: re.Pattern[str]
    line_patterns: tuple[re.Pattern[str], ...]
    connectors: dict[str, tuple[str, ...]]
    min_words_to_split: int
    min_clause_words: int


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = resources.files("checker") / "data"
    boiler = json.loads((data / "boilerplate.json").read_text(encoding="utf-8"))
    clauses = json.loads((data / "clauses.json").read_text(encoding="utf-8"))
    return _Rules(
        section_start=frozenset(s.casefold() for s in boiler["section_start"]),
        link_labels=frozenset(_line_key(s) for s in boiler["link_labels"]),
        label_prefix=re.compile(
            r"^\W*(?:" + "|".join(re.escape(s) for s in sorted(boiler["link_labels"], key=len, reverse=True))
            + r")\s*[:：]", re.IGNORECASE),
        inline=re.compile("|".join(boiler["inline_patterns"]), re.IGNORECASE),
        line_patterns=tuple(re.compile(p, re.IGNORECASE) for p in boiler["line_patterns"]),
        connectors={lang: tuple(items) for lang, items in clauses["connectors"].items()},
        min_words_to_split=int(clauses["min_words_to_split"]),
        min_clause_words=int(clauses["min_clause_words"]),
    )


def strip_links(text: str) -> str:
    """Text without web links, for the models (a sentence that carries a link is still a claim)."""
    return _rules().inline.sub(" ", text)


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _line_key(line: str) -> str:
    return re.sub(r"[\W_]+", " ", line.casefold()).strip()


def _lines(text: str, start: int) -> list[tuple[int, int]]:
    """Non-empty lines of text[start:] as (start, end) offsets, trimmed."""
    spans = []
    for match in re.finditer(r"[^\n]+", text[start:]):
        line = match.group()
        left = len(line) - len(line.lstrip())
        right = len(line.rstrip())
        if right > left:
            spans.append((start + match.start() + left, start + match.start() + right))
    return spans


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end]."""
    spans = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.end()
        before = text[max(cursor, stop - 12):stop].rstrip(CLOSING_QUOTES)
        if _ABBREVIATION.search(before) or (_LIST_NUMBER.fullmatch(text[cursor:stop].strip())):
            continue
        spans.append((cursor, stop))
        cursor = stop
    spans.append((cursor, end))
    trimmed = []
    for s, e in spans:
        seg = text[s:e]
        left = len(seg) - len(seg.lstrip())
        right = len(seg.rstrip())
        if right > left:
            trimmed.append((s + left, s + right))
    return trimmed


def split_clauses(text: str, start: int, end: int, language: str) -> list[tuple[int, int]]:
    """Split a long sentence at semicolons and at connectors that join independent statements."""
    rules = _rules()
    sentence = text[start:end]
    cut_points: set[int] = set()
    for match in re.finditer(r"[;؛]\s*", sentence):
        cut_points.add(match.end())
    if _words(sentence) > rules.min_words_to_split:
        for connector in rules.connectors.get(language, ()):
            for match in re.finditer(re.escape(connector), sentence):
                # keep the connector's comma on the left clause, the connector word on the right
                cut_points.add(match.start() + (1 if connector[0] in ",،" else 0))
    pieces: list[tuple[int, int]] = []
    cursor = 0
    for cut in sorted(cut_points):
        left, right = sentence[cursor:cut], sentence[cut:]
        if _words(left) >= rules.min_clause_words and _words(right) >= rules.min_clause_words:
            pieces.append((cursor, cut))
            cursor = cut
    pieces.append((cursor, len(sentence)))
    out = []
    for s, e in pieces:
        seg = sentence[s:e]
        left = len(seg) - len(seg.lstrip(" ,،"))
        right = len(seg.rstrip())
        if right > left:
            out.append((start + s + left, start + s + right))
    return out


def cut_long(text: str, start: int, end: int, limit: int = MAX_CLAIM_CHARS) -> list[tuple[int, int]]:
    """Spans of at most `limit` characters, cut at the last space before the limit where there is one."""
    pieces = []
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        pieces.append((start, cut))
        start = cut + (text[cut] == " ")
    pieces.append((start, end))
    return pieces


def _is_sentence_like(line: str) -> bool:
    return line.rstrip(CLOSING_QUOTES + ")").endswith(tuple(SENTENCE_END)) or _words(line) > 12


def find_boilerplate(doc: Document) -> tuple[list[tuple[int, int]], list[Dropped]]:
    """Story lines (offsets) and dropped furniture lines with reasons."""
    rules = _rules()
    lines = _lines(doc.raw, doc.body_start)
    kept: list[tuple[int, int]] = []
    dropped: list[Dropped] = []
    seen: set[str] = set()

    def drop(span: tuple[int, int], reason: str) -> None:
        dropped.append(Dropped(doc.id, doc.raw[span[0]:span[1]], reason, span[0], span[1]))

    in_section = after_label = False
    for span in lines:
        line = doc.raw[span[0]:span[1]]
        key = _line_key(line)
        # headlines under a 'Read more' label: lines up to the first that ends in a full stop
        after_label = after_label and not line.rstrip(CLOSING_QUOTES + ")").endswith((".", "。", "۔"))
        if in_section:
            drop(span, "comment box section")
        elif key in rules.section_start:
            in_section = True
            drop(span, "comment box section")
        elif key in rules.link_labels:
            after_label = True
            drop(span, "link to another story")
        elif after_label or rules.label_prefix.match(line):
            drop(span, "link to another story")
        elif any(p.search(line.strip(" .:!•·")) for p in rules.line_patterns):
            drop(span, "page furniture (sharing, ads, links, comments)")
        elif key in seen:
            drop(span, "repeated line (e.g. a title printed twice)")
        elif not key:
            drop(span, "no words")
        else:
            seen.add(key)
            kept.append(span)
    # Short non-sentence lines after the last sentence-like line: ads, spam, bylines, footers.
    while len(kept) > 1:
        line = doc.raw[kept[-1][0]:kept[-1][1]]
        if _is_sentence_like(line) or _words(line) > TRAILING_FRAGMENT_MAX_WORDS:
            break
        drop(kept.pop(), "trailing fragment after the story (ad, spam or footer)")
    dropped.sort(key=lambda d: d.start)
    return kept, dropped


def segment_document(doc: Document, cache: ResultCache | None = None) -> tuple[list[Claim], list[Dropped]]:
    """Claims of one document in reading order, and what was dropped (``cache`` remembers the languages
    detected on passages in another script)."""
    lines, dropped = find_boilerplate(doc)
    claims: list[Claim] = []
    script = dominant_script(doc.raw[doc.body_start:])
    for line_start, line_end in lines:
        line = doc.raw[line_start:line_end]
        for s_start, s_end in split_sentences(doc.raw, line_start, line_end):
            sentence = doc.raw[s_start:s_end]
            # a sentence in another script (a quotation) is read by its own language's rules
            language = passage_language(sentence, doc.language, script, context=line, cache=cache)
            for c_start, c_end in (piece for clause in split_clauses(doc.raw, s_start, s_end, language)
                                   for piece in cut_long(doc.raw, *clause)):
                text = doc.raw[c_start:c_end]
                if _words(text) < MIN_CLAIM_WORDS or len(text) < MIN_CLAIM_CHARS:
                    dropped.append(Dropped(doc.id, text, "too short to be a claim", c_start, c_end))
                    continue
                claims.append(Claim(id=f"{doc.id}#{len(claims) + 1}", doc_id=doc.id, text=text, start=c_start,
                                    end=c_end, sentence=sentence, normalized=normalize_for_model(strip_links(text), language),
                                    language="" if language == doc.language else language))
    dropped.sort(key=lambda d: d.start)
    return claims, dropped


def segment_document_cached(doc: Document, cache: ResultCache | None) -> tuple[list[Claim], list[Dropped]]:
    """``segment_document``, read back from the result cache where an earlier run segmented the same text
    (in the same language, from the same body offset) with the same code and rules."""
    if cache is None:
        return segment_document(doc)

    def segment() -> list:
        claims, dropped = segment_document(doc, cache)
        return [[[c.start, c.end, c.sentence, c.normalized, c.language] for c in claims],
                [[d.text, d.reason, d.start, d.end] for d in dropped]]

    here = Path(__file__).resolve()
    kind = "segments\0" + code_digest(here, data=tuple(sorted((here.parent / "data").glob("*.json"))))
    claims, dropped = remembered(cache, kind, data_key(doc.raw, str(doc.body_start), doc.language), segment)
    return ([Claim(id=f"{doc.id}#{n}", doc_id=doc.id, text=doc.raw[start:end], start=start, end=end, sentence=sentence,
                   normalized=normalized, language=language)
             for n, (start, end, sentence, normalized, language) in enumerate(claims, start=1)],
            [Dropped(doc.id, text, reason, start, end) for text, reason, start, end in dropped])
