"""A re-run of a check reads back from the result cache what code derived the first time (segments, fact
slots, alignments, candidate pairs, slot conflicts), under digests of that code, and gives the same
report; changed inputs are derived again."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from checker.codedigest import CHECKER_DIR, code_digest, code_sources
from checker.pipeline import CheckConfig, Models, check
from checker.report import report_to_dict
from checker.slots import compare_slots, extract_slots
from checker.slots.persist import conflicts_from_json, conflicts_to_json, slots_from_json, slots_to_json
from checker.types import ModelInfo


class BagOfWordsEncoder:
    """Hashed bag-of-words vectors: claims sharing most words align (a test double, no model)."""

    info = ModelInfo("encoder", "test/bag-of-words", "1", False, "test double")

    def encode(self, texts):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, hashlib.sha256(word.encode()).digest()[0] % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


VERSIONS = {
    "a.txt": "The army moved 300 soldiers to the northern base on 4 March 2024.\n"
             "Officials said the bridge near Mosul would reopen next week.\n"
             "The ministry said 12 people were injured in the blast at the market.\n",
    "b.txt": "The army moved 350 soldiers to the northern base on 4 March 2024.\n"
             "Officials said the bridge near Mosul would reopen next week.\n"
             "The ministry said 12 people were injured in the blast at the market.\n",
    "c.txt": "The army moved 300 soldiers to the northern base on 5 March 2024.\n"
             "Officials said the bridge near Erbil would reopen next week.\n"
             "The ministry said 12 people were injured in the blast at the market.\n",
}


def _report(paths, config, models) -> dict:
    data = report_to_dict(check(paths, config, models=models), generated_at="fixed")
    data.pop("timings", None)
    return data


def test_a_rerun_derives_nothing_again_and_reports_the_same(tmp_path, monkeypatch):
    for name, text in VERSIONS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = [tmp_path / name for name in VERSIONS]
    config = CheckConfig(nli="none", cache_dir=tmp_path / "cache", progress=False)
    models = Models(BagOfWordsEncoder(), None)
    first = _report(paths, config, models)
    assert {d["kind"] for d in first["discrepancies"]} >= {"number", "date"}

    def derived_again(*args, **kwargs):
        raise AssertionError("derived again on a re-run")

    for target in ("checker.segment.segment_document", "checker.slots.extract_slots", "checker.slots.compare_slots",
                   "checker.align.align_documents", "checker.compare._nearest_and_anchored"):
        monkeypatch.setattr(target, derived_again)
    assert _report(paths, config, models) == first
    monkeypatch.undo()

    (tmp_path / "c.txt").write_text(VERSIONS["c.txt"].replace("12 people", "15 people"), encoding="utf-8")
    changed = _report(paths, config, models)
    assert changed == _report(paths, replace(config, use_cache=False), models)
    assert changed != first


@pytest.mark.parametrize(("text", "lang"), [
    ("About 300 soldiers left Aleppo on 4 March 2024, 120 km north of Hama.", "en"),
    ("غادر نحو 300 جندي قاعدة حميميم يوم الثلاثاء الماضي.", "ar"),
    ("Kira-kira 4,000 kenderaan sehari akan melalui jambatan itu menjelang Jun 2025.", "ms"),
])
def test_slots_and_their_conflicts_survive_json(text, lang):
    import datetime as dt

    slots = extract_slots(text, lang, dt.date(2024, 3, 6))
    assert slots and slots_from_json(slots_to_json(slots)) == slots
    other = extract_slots(text.replace("300", "350").replace("4,000", "5,000"), lang, dt.date(2024, 3, 6))
    conflicts = compare_slots(slots, other)
    assert conflicts and conflicts_from_json(json.loads(json.dumps(conflicts_to_json(conflicts)))) == conflicts


def test_code_digests_cover_imported_modules_packages_and_data(tmp_path):
    sources, packages = code_sources(CHECKER_DIR / "slots" / "places.py")
    names = {p.relative_to(CHECKER_DIR).as_posix() for p in sources}
    assert {"slots/places.py", "textnorm.py", "fileio.py", "types.py", "slots/resources.py"} <= names
    assert {"rapidfuzz", "anyascii"} <= set(packages) and "re" not in packages
    data = tmp_path / "rules.json"
    data.write_text("[1]", encoding="utf-8")
    before = code_digest(CHECKER_DIR / "align.py", data=(data,))
    data.write_text("[2]", encoding="utf-8")
    code_digest.cache_clear()
    assert code_digest(CHECKER_DIR / "align.py", data=(data,)) != before
    assert code_digest(CHECKER_DIR / "align.py") != code_digest(CHECKER_DIR / "segment.py")


def test_import_statements_of_every_form_enter_the_digest(tmp_path, monkeypatch):
    from checker import codedigest

    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for name in ("a.py", "b.py", "c.py", "sub/__init__.py", "sub/d.py", "unused.py"):
        (package / name).write_text("x = 1\n", encoding="utf-8")
    (package / "main.py").write_text(
        "import os, numpy as np\nimport babel.dates\nfrom . import (a,\n    b as bee)\n"
        "def f():\n    from .sub.d import x\n    from .c import y  # noqa\n    from lingua import Language\n",
        encoding="utf-8")
    monkeypatch.setattr(codedigest, "CHECKER_DIR", package)
    sources, packages = codedigest.code_sources(package / "main.py")
    assert [p.relative_to(package).as_posix() for p in sources] == ["a.py", "b.py", "c.py", "main.py", "sub/d.py"]
    assert packages == ["babel", "lingua", "numpy"]


def test_slots_extracted_in_the_background_are_those_extracted_in_turn_and_are_kept(tmp_path, monkeypatch):
    import datetime as dt

    from checker.cache import ResultCache
    from checker.compare import SlotsPerClaim
    from checker.types import Claim, Document

    texts = ["The council approved 45 new buses on 2 May 2023.", "The library closes early on Sunday.",
             "Pada 2 Mei 2023 majlis meluluskan 45 bas baharu."]
    docs = [Document(id="a", path="a", raw="", language="en", dateline=dt.date(2023, 5, 3))]
    claims = [Claim(id=f"a#{n}", doc_id="a", text=t, start=0, end=len(t), normalized=t) for n, t in enumerate(texts)]
    in_turn = SlotsPerClaim(docs)  # no cache: each claim's slots extracted when asked for
    cache = ResultCache(tmp_path)
    finish = SlotsPerClaim(docs, cache).start_prefetch(claims)
    background = finish()
    assert [background[c] for c in claims] == [in_turn[c] for c in claims]
    assert any(background[c] for c in claims)

    def extracted_again(*args, **kwargs):
        raise AssertionError("extracted again")

    monkeypatch.setattr("checker.slots.extract_slots", extracted_again)
    kept = SlotsPerClaim(docs, cache).start_prefetch(claims)()  # read back from the cache, nothing extracted
    assert [kept[c] for c in claims] == [in_turn[c] for c in claims]
    other = [replace(claims[0], id="a#9", text="The market opens at dawn on weekdays.")]
    finish = SlotsPerClaim(docs, cache).start_prefetch(other)
    with pytest.raises(AssertionError, match="extracted again"):  # the thread's error reaches the caller
        finish()
    cache.close()
