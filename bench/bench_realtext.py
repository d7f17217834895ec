"""Sentence boundaries and fact values on real news page text (fixtures/eval/realtext).

    python bench/bench_realtext.py [--splitter checker|pysbd|blingfire|icu] [--flat]

Each ``*.txt`` there is a few paragraphs of a public news page (sources in its README) with a
``*.json`` beside it: the expected sentences, the page furniture lines expected to be dropped, and
the expected date and number values. Prints per language:

- sentence-boundary F1: the end offsets of the expected sentences against those of the sentences
  the segmenter keeps (a kept furniture line counts as a wrong boundary);
- value precision / recall: dates and numbers that ``extract_slots`` finds in the expected
  sentences, against the expected ones. An expected number without a unit matches that number
  with any unit; one with a unit needs the same unit. Unresolved relative dates are not counted.

``--flat`` joins each page's paragraphs into one, as pages whose markup is lost come out.
``--splitter`` splits the story lines with another sentence splitter instead (for comparison;
those libraries are not dependencies: install them to try).
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

from checker.ingest import find_dateline
from checker.segment import MIN_CLAIM_WORDS, _words, find_boilerplate, split_sentences
from checker.slots import extract_slots
from checker.types import Document

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fixtures" / "eval" / "realtext"


def _other_splitter(name: str, language: str):
    """(text, start, end) -> spans, using a third-party splitter on one story line."""
    if name == "pysbd":
        import pysbd

        seg = pysbd.Segmenter(language=language if language in ("en", "ar", "fa") else "en", clean=False,
                              char_span=True)

        def split(text: str, start: int, end: int) -> list[tuple[int, int]]:
            return [(start + s.start, start + s.start + len(s.sent.rstrip())) for s in seg.segment(text[start:end])]
    elif name == "blingfire":
        import blingfire

        def split(text: str, start: int, end: int) -> list[tuple[int, int]]:
            line = text[start:end]
            _, offsets = blingfire.text_to_sentences_and_offsets(line)
            return [(start + s, start + s + len(line[s:e].rstrip())) for s, e in offsets]
    elif name == "icu":
        from icu import BreakIterator, Locale

        def split(text: str, start: int, end: int) -> list[tuple[int, int]]:
            line = text[start:end]
            it = BreakIterator.createSentenceInstance(Locale(language))
            it.setText(line)  # ICU offsets are UTF-16 code units: all corpus text is in the BMP
            cuts = [0, *list(it)]
            return [(start + a, start + a + len(line[a:b].rstrip())) for a, b in itertools.pairwise(cuts)
                    if line[a:b].strip()]
    else:
        return split_sentences
    return split


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _value_matches(expected: str, found: str) -> bool:
    if expected == found:
        return True
    kind, value = expected.split(":", 1)
    return kind == "number" and " " not in value and found.split(":", 1)[1].split(" ")[0] == value \
        and found.startswith("number:")


def evaluate(splitter: str, flat: bool, misses: list[str] | None = None) -> dict[str, Counter]:
    totals: dict[str, Counter] = defaultdict(Counter)
    for gold_path in sorted(CORPUS.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        lang = gold["language"]
        text = gold_path.with_suffix(".txt").read_text(encoding="utf-8")
        dateline, body = find_dateline(text)
        if flat:
            text = text[:body] + " ".join(line.strip() for line in text[body:].split("\n") if line.strip())
        doc = Document(id=gold_path.stem, path=str(gold_path), raw=text, language=lang, language_confidence=1.0,
                       dateline=dateline, encoding="utf-8", body_start=body)
        split = _other_splitter(splitter, lang)
        lines, _ = find_boilerplate(doc)
        # pieces too short to be a claim (an agency credit such as "- Bernama") are dropped anyway
        found_ends = {e for a, b in lines for s, e in split(text, a, b) if _words(text[s:e]) >= MIN_CLAIM_WORDS}
        gold_ends, cursor = set(), body
        for sentence in gold["sentences"]:
            at = text.index(sentence, cursor)
            gold_ends.add(at + len(sentence))
            cursor = at + len(sentence)
        c = totals[lang]
        c["s_tp"] += len(found_ends & gold_ends)
        c["s_fp"] += len(found_ends - gold_ends)
        c["s_fn"] += len(gold_ends - found_ends)
        found_values = [f"{s.kind}:{s.value}" for sentence in gold["sentences"]
                        for s in extract_slots(sentence, lang, dateline) if s.kind != "place" and not s.relative]
        unmatched = list(found_values)
        for expected in gold["values"]:
            hit = next((f for f in unmatched if _value_matches(expected, f)), None)
            if hit is None:
                c["v_fn"] += 1
                if misses is not None:
                    misses.append(f"{gold_path.stem}: missed {expected}")
            else:
                c["v_tp"] += 1
                unmatched.remove(hit)
        c["v_fp"] += len(unmatched)
        if misses is not None:
            misses += [f"{gold_path.stem}: extra {f}" for f in unmatched]
            misses += [f"{gold_path.stem}: sentence end at {e} wrong: {text[max(0, e - 40):e + 20]!r}"
                       for e in sorted(found_ends ^ gold_ends)]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splitter", choices=("checker", "pysbd", "blingfire", "icu"), default="checker")
    parser.add_argument("--flat", action="store_true", help="one paragraph per page")
    parser.add_argument("--verbose", action="store_true", help="list the values missed and the extra ones")
    args = parser.parse_args()
    misses: list[str] = []
    totals = evaluate(args.splitter, args.flat, misses if args.verbose else None)
    print(f"{'lang':5} {'sent F1':>8} {'value P':>8} {'value R':>8}   (splitter {args.splitter}"
          f"{', one paragraph per page' if args.flat else ''})")
    for lang in sorted(totals):
        c = totals[lang]
        sf = _prf(c["s_tp"], c["s_fp"], c["s_fn"])[2]
        vp, vr, _ = _prf(c["v_tp"], c["v_fp"], c["v_fn"])
        print(f"{lang:5} {sf:8.3f} {vp:8.3f} {vr:8.3f}")
    for line in misses:
        print(line)


if __name__ == "__main__":
    main()
