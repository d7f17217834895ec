"""Build ``checker/data/slots/common_words.json``: Arabic-script words frequent in the public text
shipped under ``fixtures/eval`` (NTREX-128 news, XNLI Arabic, FarsTail / ParsiNLU Persian).

GeoNames lists small towns whose Arabic-script names are everyday words ("news", "camp",
"framework"); a spelling that is this frequent in running text is not taken as a city name unless
the city is very large. Rebuild after changing the evaluation data:

    python -m checker.slots.common_words
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..fileio import open_text
from ..textnorm import key_of
from .resources import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("fixtures/eval/align/ntrex-stories-dev.jsonl", "fixtures/eval/align/ntrex-stories-test.jsonl",
           "fixtures/eval/nli/train.jsonl.gz", "fixtures/eval/nli/val.jsonl")
MIN_COUNT = 2
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u066e-\u06d3]{2,}")
_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


def _texts(path: Path) -> Iterator[str]:
    with open_text(path) as fh:
        for line in fh:
            row = json.loads(line)
            if "docs" in row:
                for lang in ("ar", "fa"):
                    yield from row["docs"].get(lang, [])
            else:
                yield row.get("premise", "")
                yield row.get("hypothesis", "")


def common_words(min_count: int = MIN_COUNT) -> list[str]:
    """Normalised Arabic-script words (and their forms without a clitic prefix) seen min_count+ times."""
    counts: Counter[str] = Counter()
    for source in SOURCES:
        for text in _texts(ROOT / source):
            for word in _ARABIC_WORD.findall(text):
                counts[key_of(word)] += 1
    frequent = {w for w, n in counts.items() if n >= min_count}
    forms = set(frequent)
    for word in frequent:
        for prefix in _PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                forms.add(word[len(prefix):])
    return sorted(forms)


def main() -> None:
    words = common_words()
    out = DATA_DIR / "common_words.json"
    out.write_text(json.dumps({"_doc": __doc__.split("\n\n")[0].replace("\n", " "), "min_count": MIN_COUNT,
                               "sources": list(SOURCES), "words": words}, ensure_ascii=False, indent=0) + "\n",
                   encoding="utf-8")
    print(f"{len(words)} words -> {out}")


if __name__ == "__main__":
    main()
