"""Evaluation on labelled data: NLI pairs and sentence-alignment gold.

    claimcheck eval fixtures/eval/nli/test.jsonl
    claimcheck eval fixtures/eval/align/ntrex-stories-test.jsonl --json out.json

Formats (auto-detected; see ``fixtures/eval/README.md``):

- NLI pairs, JSONL: ``{"premise", "hypothesis", "label", "lang_p", "lang_h", ...}`` per line.
- Alignment stories, JSONL: ``{"id", "docs": {lang: [sentence, ...]}, "gold": [[lang_a, i, lang_b, j], ...]}``.
- CI-guard documents, JSONL: ``{"id", "source_lang", "translation_lang", "source": [line, ...],
  "translation": [line, ...], "edit": null | {"kind", "file": "source|translation", "line"}}``
  (``fixtures/eval/ci``): false-alarm rate of ``claimcheck ci`` on faithful items, detection per edit
  kind (a failing finding of the right kind on the edited line), per language direction.
- Parallel sentences, TSV: a header of language codes (plus an optional ``story`` column), one row
  per sentence; rows of a story are translations of each other (consecutive rows without a
  ``story`` column are grouped in stories of ``PARALLEL_STORY_SIZE``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np

from .align import AlignConfig, align_documents
from .cache import ResultCache, default_cache_dir
from .compare import CompareConfig, nli_threshold
from .embed import Encoder, embed_texts, load_encoder
from .fileio import open_text
from .metrics import binary_metrics, classification_metrics, link_metrics, majority_baseline
from .nli import NLIScorer, load_nli
from .textnorm import normalize_for_model
from .types import DEFAULT_FAIL_ON, NLI_LABELS, CheckError, Claim

Format = Literal["nli", "align", "parallel", "ci"]
PARALLEL_STORY_SIZE = 12
BASELINE_COSINE = 0.80  # naive aligner: best match above this cosine (AlignConfig().min_cosine)


# ---------------------------------------------------------------- data


@dataclass
class NLIPair:
    premise: str
    hypothesis: str
    label: str
    lang_p: str
    lang_h: str
    source: str = ""


@dataclass
class Story:
    id: str
    docs: dict[str, list[str]]
    gold: set[tuple[str, int, str, int]]  # (lang_a, i, lang_b, j) with lang_a < lang_b
    split: str = ""


T = TypeVar("T")


@contextlib.contextmanager
def _bad_line(path: Path, n: int) -> Iterator[None]:
    """A malformed dataset line is an input error naming the line, not a crash."""
    try:
        yield
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckError(f"{path}:{n}: malformed record ({type(exc).__name__}: {exc})") from exc


def _first_record(path: Path) -> dict:
    with open_text(path) as fh:
        for line in fh:
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CheckError(f"{path}: first line is not JSON: {exc}") from exc
                if not isinstance(record, dict):
                    raise CheckError(f"{path}: first line is not a JSON object")
                return record
    raise CheckError(f"{path}: empty dataset")


def detect_format(path: Path | str) -> Format:
    """NLI pairs, alignment stories (JSONL) or parallel sentences (TSV)."""
    path = Path(path)
    if not path.is_file():
        raise CheckError(f"dataset not found: {path}")
    name = path.name.removesuffix(".gz")
    if name.endswith(".tsv"):
        return "parallel"
    record = _first_record(path)
    if {"premise", "hypothesis", "label"} <= record.keys():
        return "nli"
    if {"docs", "gold"} <= record.keys():
        return "align"
    if {"source", "translation", "edit"} <= record.keys():
        return "ci"
    raise CheckError(f"{path}: unknown format (expected NLI pairs with premise/hypothesis/label, "
                     "alignment stories with docs/gold, or a .tsv of parallel sentences)")


def _json_records(path: Path, parse: Callable[[dict, int], T]) -> Iterator[T]:
    """parse(record, line number) for each non-empty JSONL line; a malformed line is an input error."""
    with open_text(path) as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                with _bad_line(path, n):
                    record = parse(json.loads(line), n)
                yield record


def load_nli_pairs(path: Path | str, limit: int | None = None) -> list[NLIPair]:
    path = Path(path)

    def pair(row: dict, n: int) -> NLIPair:
        label = str(row["label"]).lower()
        if label not in NLI_LABELS:
            raise CheckError(f"{path}:{n}: label {label!r} is not one of {', '.join(NLI_LABELS)}")
        return NLIPair(str(row["premise"]), str(row["hypothesis"]), label, row.get("lang_p", "?"),
                       row.get("lang_h", row.get("lang_p", "?")), row.get("source", ""))

    return list(itertools.islice(_json_records(path, pair), limit or None))


def _canonical(la: str, i: int, lb: str, j: int) -> tuple[str, int, str, int]:
    return (la, i, lb, j) if la <= lb else (lb, j, la, i)


def load_stories(path: Path | str, limit: int | None = None) -> list[Story]:
    path = Path(path)

    def story(row: dict, n: int) -> Story:
        docs = {lang: list(sents) for lang, sents in row["docs"].items()}
        gold = set()
        for la, i, lb, j in row["gold"]:
            if la not in docs or lb not in docs or not (0 <= i < len(docs[la]) and 0 <= j < len(docs[lb])):
                raise CheckError(f"{path}:{n}: gold link {[la, i, lb, j]} points outside the documents")
            gold.add(_canonical(la, int(i), lb, int(j)))
        return Story(str(row.get("id", n)), docs, gold, str(row.get("split", "")))

    stories = _parallel_stories(path) if detect_format(path) == "parallel" else list(_json_records(path, story))
    return stories[:limit] if limit else stories


def _parallel_stories(path: Path) -> list[Story]:
    with open_text(path) as fh:
        lines = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
    if len(lines) < 2:
        raise CheckError(f"{path}: a parallel TSV needs a header row and at least one sentence row")
    header, *rows = lines
    langs = [h for h in header if h != "story"]
    story_col = header.index("story") if "story" in header else None
    groups: dict[str, list[list[str]]] = {}
    for n, row in enumerate(rows):
        if len(row) != len(header):
            raise CheckError(f"{path}:{n + 2}: {len(row)} columns, header has {len(header)}")
        key = row[story_col] if story_col is not None else str(n // PARALLEL_STORY_SIZE)
        groups.setdefault(key, []).append(row)
    stories = []
    for key, group in groups.items():
        docs = {lang: [r[header.index(lang)] for r in group] for lang in langs}
        gold = {(la, i, lb, i) for la, lb in itertools.combinations(sorted(langs), 2) for i in range(len(group))}
        stories.append(Story(key, docs, gold))
    return stories


# ---------------------------------------------------------------- metrics


# ---------------------------------------------------------------- models


def _embed(encoder: Encoder, texts: list[str], cache: ResultCache | None, progress: bool, desc: str) -> np.ndarray:
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return embed_texts(encoder, texts, cache=cache, progress=progress, desc=desc)


def _nli_probs(scorer: NLIScorer, encoder: Encoder, premises: list[str], hypotheses: list[str],
               cache: ResultCache | None, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (n, 3) for premise→hypothesis and hypothesis→premise."""
    n = len(premises)
    predict_vectors = getattr(scorer, "predict_vectors", None)
    if predict_vectors is not None and getattr(scorer, "encoder_name", None) == encoder.info.name:
        vectors = _embed(encoder, premises + hypotheses, cache, progress, "embedding NLI pairs")
        u, v = vectors[:n], vectors[n:]
        return predict_vectors(u, v), predict_vectors(v, u)
    probs = scorer.predict(premises + hypotheses, hypotheses + premises)
    return probs[:n], probs[n:]


# ---------------------------------------------------------------- NLI evaluation


def evaluate_nli(pairs: list[NLIPair], scorer: NLIScorer, encoder: Encoder, cache: ResultCache | None = None,
                 threshold: float | None = None, progress: bool = False) -> dict[str, object]:
    """Accuracy and per-label metrics overall and per language pair, plus the checker's own
    contradiction rule (P(contradiction) in either direction >= threshold, as in reports; by default
    the model's calibrated threshold)."""
    if not pairs:
        raise CheckError("no NLI pairs to evaluate")
    threshold = nli_threshold(CompareConfig(nli_threshold=threshold), scorer)
    normalized_p = [normalize_for_model(p.premise, p.lang_p) for p in pairs]
    normalized_h = [normalize_for_model(p.hypothesis, p.lang_h) for p in pairs]
    forward, backward = _nli_probs(scorer, encoder, normalized_p, normalized_h, cache, progress)
    pred = [NLI_LABELS[k] for k in forward.argmax(axis=1)]
    flagged = np.maximum(forward[:, 2], backward[:, 2]) >= threshold
    gold = [p.label for p in pairs]

    def block(idx: list[int]) -> dict[str, object]:
        g, p = [gold[i] for i in idx], [pred[i] for i in idx]
        out = classification_metrics(g, p)
        out["contradiction"] = binary_metrics((x == "contradiction" for x in g), (x == "contradiction" for x in p))
        out["contradiction_rule"] = binary_metrics((x == "contradiction" for x in g), (bool(flagged[i]) for i in idx))
        out["majority_baseline"] = majority_baseline(g)
        return out

    by_lang: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_lang.setdefault(f"{p.lang_p}-{p.lang_h}", []).append(i)
    return {"kind": "nli", "model": scorer.info.name, "threshold": threshold, "overall": block(list(range(len(pairs)))),
            "by_language_pair": {k: block(v) for k, v in sorted(by_lang.items())}}


# ---------------------------------------------------------------- alignment evaluation


def margin_links(emb_a: np.ndarray, emb_b: np.ndarray, config: AlignConfig) -> set[tuple[int, int]]:
    """claimcheck's alignment (ratio margin, mutual / one-way) between two sentence lists."""
    claims_a = [Claim(f"a#{i}", "a", "", 0, 0) for i in range(len(emb_a))]
    claims_b = [Claim(f"b#{j}", "b", "", 0, 0) for j in range(len(emb_b))]
    pairs = align_documents(claims_a, emb_a, claims_b, emb_b, config)
    return {(int(p.claim_a[2:]), int(p.claim_b[2:])) for p in pairs}


def cosine_links(emb_a: np.ndarray, emb_b: np.ndarray, threshold: float = BASELINE_COSINE) -> set[tuple[int, int]]:
    """Naive baseline: each sentence's best cosine match in the other list (both directions), if
    above a fixed threshold."""
    if len(emb_a) == 0 or len(emb_b) == 0:
        return set()
    sim = emb_a @ emb_b.T
    links = {(i, int(j)) for i, j in enumerate(sim.argmax(axis=1)) if sim[i, j] >= threshold}
    links |= {(int(i), j) for j, i in enumerate(sim.argmax(axis=0)) if sim[i, j] >= threshold}
    return links


@dataclass
class StoryVectors:
    story: Story
    vectors: dict[str, np.ndarray]
    texts: dict[str, list[str]] = field(default_factory=dict)


def embed_stories(stories: list[Story], encoder: Encoder, cache: ResultCache | None = None,
                  progress: bool = False) -> list[StoryVectors]:
    texts = [(s, lang, normalize_for_model(t, lang)) for s in stories for lang, sents in s.docs.items() for t in sents]
    vectors = _embed(encoder, [t for _, _, t in texts], cache, progress, "embedding stories")
    out, row = [], 0
    for story in stories:
        sv = StoryVectors(story, {})
        for lang, sents in story.docs.items():
            sv.vectors[lang] = vectors[row:row + len(sents)]
            sv.texts[lang] = [t for _, _, t in texts[row:row + len(sents)]]
            row += len(sents)
        out.append(sv)
    return out


def predict_links(embedded: list[StoryVectors], method: str, config: AlignConfig | None = None,
                  threshold: float = BASELINE_COSINE) -> list[set[tuple[str, int, str, int]]]:
    """Predicted links per story, canonical (lang_a < lang_b)."""
    result = []
    for sv in embedded:
        links: set[tuple[str, int, str, int]] = set()
        for la, lb in itertools.combinations(sorted(sv.vectors), 2):
            ea, eb = sv.vectors[la], sv.vectors[lb]
            found = margin_links(ea, eb, config or AlignConfig()) if method == "margin" else cosine_links(ea, eb, threshold)
            links |= {(la, i, lb, j) for i, j in found}
        result.append(links)
    return result


def _link_kind(story: Story, link: tuple[str, int, str, int]) -> str:
    """'merged' when either side links to several sentences of the other, else 'one-to-one'."""
    la, i, lb, j = link
    fan_a = sum(1 for g in story.gold if g[0] == la and g[1] == i and g[2] == lb)
    fan_b = sum(1 for g in story.gold if g[0] == la and g[2] == lb and g[3] == j)
    return "merged" if fan_a > 1 or fan_b > 1 else "one-to-one"


def alignment_scores(stories: list[Story], predicted: list[set]) -> dict[str, object]:
    """Micro P/R/F1 overall and per language pair; recall per gold-link kind; false links from
    sentences that have no counterpart (dropped elsewhere or inserted)."""
    per_pair: dict[str, list[set]] = {}
    kinds: dict[str, list[int]] = {}
    orphans = [0, 0]  # orphan sentences, of which linked
    for story, pred in zip(stories, predicted, strict=True):
        for link in story.gold:
            kind = kinds.setdefault(_link_kind(story, link), [0, 0])
            kind[0] += 1
            kind[1] += link in pred
        for la, lb in itertools.combinations(sorted(story.docs), 2):
            key = f"{la}-{lb}"
            gold = {g for g in story.gold if g[0] == la and g[2] == lb}
            got = {p for p in pred if p[0] == la and p[2] == lb}
            bucket = per_pair.setdefault(key, [set(), set()])
            bucket[0] |= {(story.id, *g) for g in gold}
            bucket[1] |= {(story.id, *p) for p in got}
            for side, n_sent in ((1, len(story.docs[la])), (3, len(story.docs[lb]))):
                linked_gold = {g[side] for g in gold}
                linked_pred = {p[side] for p in got}
                for s in range(n_sent):
                    if s not in linked_gold:
                        orphans[0] += 1
                        orphans[1] += s in linked_pred
    all_gold = set().union(*(b[0] for b in per_pair.values())) if per_pair else set()
    all_pred = set().union(*(b[1] for b in per_pair.values())) if per_pair else set()
    return {
        "overall": link_metrics(all_pred, all_gold),
        "by_language_pair": {k: link_metrics(b[1], b[0]) for k, b in sorted(per_pair.items())},
        "recall_by_kind": {k: {"gold": v[0], "found": v[1], "recall": round(v[1] / v[0], 4) if v[0] else 0.0}
                           for k, v in sorted(kinds.items())},
        "orphans": {"sentences": orphans[0], "falsely_linked": orphans[1]},
    }


def nli_on_links(embedded: list[StoryVectors], links: list[set], scorer: NLIScorer, encoder: Encoder,
                 cache: ResultCache | None, threshold: float) -> dict[str, object]:
    """NLI over the given links (both directions, as the checker does): evaluations made and pairs
    flagged as contradictions. The stories are faithful translations, so every flag is false."""
    premises, hypotheses, keys = [], [], []
    for sv, story_links in zip(embedded, links, strict=True):
        for la, i, lb, j in sorted(story_links):
            premises.append(sv.texts[la][i])
            hypotheses.append(sv.texts[lb][j])
            keys.append(f"{la}-{lb}")
    if not premises:
        return {"pairs": 0, "nli_evaluations": 0, "false_contradictions": 0, "by_language_pair": {}}
    forward, backward = _nli_probs(scorer, encoder, premises, hypotheses, cache, False)
    flagged = np.maximum(forward[:, 2], backward[:, 2]) >= threshold
    by_pair: dict[str, int] = {}
    for key, hit in zip(keys, flagged, strict=True):
        by_pair[key] = by_pair.get(key, 0) + int(hit)
    return {"pairs": len(premises), "nli_evaluations": 2 * len(premises), "false_contradictions": int(flagged.sum()),
            "by_language_pair": dict(sorted(by_pair.items()))}


def all_pairs_links(stories: list[Story]) -> list[set[tuple[str, int, str, int]]]:
    """Every cross-language sentence pair of each story (NLI with no alignment)."""
    return [{(la, i, lb, j) for la, lb in itertools.combinations(sorted(s.docs), 2)
             for i in range(len(s.docs[la])) for j in range(len(s.docs[lb]))} for s in stories]


def evaluate_alignment(stories: list[Story], encoder: Encoder, scorer: NLIScorer | None,
                       config: AlignConfig | None = None, threshold: float = BASELINE_COSINE,
                       contradiction_threshold: float | None = None, cache: ResultCache | None = None,
                       progress: bool = False) -> dict[str, object]:
    if not stories:
        raise CheckError("no alignment stories to evaluate")
    contradiction = nli_threshold(CompareConfig(nli_threshold=contradiction_threshold), scorer)
    config = config or AlignConfig()
    embedded = embed_stories(stories, encoder, cache, progress)
    margin = predict_links(embedded, "margin", config)
    cosine = predict_links(embedded, "cosine", threshold=threshold)
    n_sentences = sum(len(x) for s in stories for x in s.docs.values())
    result: dict[str, object] = {
        "kind": "align", "stories": len(stories), "sentences": n_sentences,
        "languages": sorted({lang for s in stories for lang in s.docs}),
        "align_config": asdict(config), "baseline_cosine": threshold,
        "margin": alignment_scores(stories, margin),
        "cosine_baseline": alignment_scores(stories, cosine),
    }
    if scorer is not None:
        result["nli"] = {
            "model": scorer.info.name, "threshold": contradiction,
            "aligned": nli_on_links(embedded, margin, scorer, encoder, cache, contradiction),
            "all_pairs": nli_on_links(embedded, all_pairs_links(stories), scorer, encoder, cache, contradiction),
        }
    return result


# ---------------------------------------------------------------- CI-guard evaluation

EDIT_KINDS: tuple[str, ...] = ("number", "date", "place", "negation", "omission", "addition")
# the finding kind that reports each planted edit
EDIT_FINDING: dict[str, tuple[str, ...]] = {
    "number": ("number",), "date": ("date",), "place": ("place",), "negation": ("negation", "nli"),
    "omission": ("unmatched",), "addition": ("unmatched",)}


@dataclass
class GuardItem:
    id: str
    source_lang: str
    translation_lang: str
    source: list[str]
    translation: list[str]
    edit: dict | None

    @property
    def direction(self) -> str:
        return f"{self.source_lang}-{self.translation_lang}"

    @property
    def kind(self) -> str:
        return str(self.edit["kind"]) if self.edit else "faithful"


def load_guard_items(path: Path | str, limit: int | None = None) -> list[GuardItem]:
    path = Path(path)

    def item(row: dict, n: int) -> GuardItem:
        edit = row["edit"]
        if edit is not None and (edit.get("kind") not in EDIT_KINDS or edit.get("file") not in ("source", "translation")
                                 or not isinstance(edit.get("line"), int)):
            raise CheckError(f"{path}:{n}: edit needs kind ({', '.join(EDIT_KINDS)}), file (source|translation), line")
        return GuardItem(str(row.get("id", n)), str(row["source_lang"]), str(row["translation_lang"]),
                         [str(x) for x in row["source"]], [str(x) for x in row["translation"]], edit)

    return list(itertools.islice(_json_records(path, item), limit or None))


def guard_outcome(item: GuardItem, findings: list) -> dict[str, object]:
    """Whether the build failed and, for an edited item, whether a failing finding of the edit's
    kind points at the edited line (findings: ``checker.ci.Finding`` of files source.txt/translation.txt)."""
    failing = [f for f in findings if f.status == "new"]
    out: dict[str, object] = {
        "id": item.id, "direction": item.direction, "kind": item.kind, "failed": bool(failing),
        "findings": [{"kind": f.kind, "score": f.score, "status": f.status, "file": Path(f.file).stem, "line": f.line,
                      "values_source": f.values_source, "values_translation": f.values_translation}
                     for f in findings],
    }
    if item.edit is not None:
        want = EDIT_FINDING[item.kind]
        out["detected"] = any(f.kind in want and Path(f.file).stem == item.edit["file"]
                              and f.line == item.edit["line"] for f in failing)
    return out


def guard_scores(outcomes: list[dict]) -> dict[str, object]:
    """False-alarm rate on faithful items and detection rate per edit kind, overall and per direction."""

    def block(rows: list[dict]) -> dict[str, object]:
        faithful = [r for r in rows if r["kind"] == "faithful"]
        alarms = Counter(f["kind"] for r in faithful for f in r["findings"] if f["status"] == "new")
        out: dict[str, object] = {
            "faithful": len(faithful), "false_alarms": sum(r["failed"] for r in faithful),
            "false_alarm_rate": round(sum(r["failed"] for r in faithful) / len(faithful), 4) if faithful else None,
            "false_alarm_findings": dict(sorted(alarms.items())), "detection": {},
        }
        for kind in EDIT_KINDS:
            edited = [r for r in rows if r["kind"] == kind]
            out["detection"][kind] = {  # type: ignore[index]
                "n": len(edited), "detected": sum(r["detected"] for r in edited),
                "rate": round(sum(r["detected"] for r in edited) / len(edited), 4) if edited else None,
                "failed": sum(r["failed"] for r in edited)}
        return out

    directions = sorted({r["direction"] for r in outcomes})
    return {"overall": block(outcomes),
            "by_direction": {d: block([r for r in outcomes if r["direction"] == d]) for d in directions}}


def evaluate_guard(items: list[GuardItem], models: object, config: object, fail_on: Sequence[str] | None = None,
                   min_score: float | None = None, policy: object | None = None,
                   progress: bool = False) -> dict[str, object]:
    """Run ``claimcheck ci``'s checks on every item (source.txt against translation.txt) and score them."""
    import tempfile

    from .ci import (
        check_pair,
        findings_of,
        gather_evidence,
        guard_config,
        guard_policy,
        read_inputs,
    )

    if not items:
        raise CheckError("no CI-guard documents to evaluate")
    kinds = set(fail_on or DEFAULT_FAIL_ON)
    config = guard_config(config)  # type: ignore[arg-type]
    policy = policy or guard_policy(config.nli)
    cache = ResultCache(config.cache_dir or default_cache_dir()) if config.use_cache else None
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="claimcheck-eval-") as tmp:
        src, tr = Path(tmp) / "source.txt", Path(tmp) / "translation.txt"
        for n, item in enumerate(items, start=1):
            src.write_text("\n".join(item.source) + "\n", encoding="utf-8")
            tr.write_text("\n".join(item.translation) + "\n", encoding="utf-8")
            source_doc, (tr_doc,) = read_inputs(src, [tr], config.max_bytes, cache)
            report = check_pair(source_doc, tr_doc, config, models)  # type: ignore[arg-type]
            evidence = gather_evidence(report, models.encoder, cache, models.nli)  # type: ignore[attr-defined]
            findings = findings_of(report, src, kinds, min_score, set(), evidence, policy)  # type: ignore[arg-type]
            outcomes.append(guard_outcome(item, findings))
            if progress and n % 100 == 0:
                print(f"claimcheck: {n}/{len(items)} documents", file=sys.stderr, flush=True)
    result: dict[str, object] = {"kind": "ci", "items": len(items), "fail_on": sorted(kinds), "min_score": min_score,
                                 "policy": asdict(policy)}  # type: ignore[call-overload]
    result.update(guard_scores(outcomes))
    result["outcomes"] = outcomes
    return result


def render_guard(result: dict) -> str:
    kinds = list(EDIT_KINDS)
    rule = "the calibrated rules" if result["min_score"] is None else f"score >= {result['min_score']:g}"
    lines = [f"claimcheck ci on {result['items']} documents; failing on {', '.join(result['fail_on'])} by {rule}. "
             "False alarms: faithful documents that fail the build; detection: edited "
             "documents with a failing finding of the edit's kind on the edited line.", "",
             "| direction | faithful | false alarms % | " + " | ".join(f"{k} %" for k in kinds) + " |",
             "|---|---|---|" + "---|" * len(kinds)]
    rows = [("all", result["overall"])] + list(result["by_direction"].items())
    for name, m in rows:
        cells = [_pct(m["detection"][k]["rate"]) for k in kinds]
        lines.append(f"| {name} | {m['faithful']} | {_pct(m['false_alarm_rate'])} | " + " | ".join(cells) + " |")
    counts = result["overall"]["detection"]
    lines += ["", "edited documents per kind: " + ", ".join(f"{k} {counts[k]['n']}" for k in kinds),
              "findings behind false alarms: " + (", ".join(f"{k} {v}" for k, v in
                                                            result["overall"]["false_alarm_findings"].items()) or "none")]
    return "\n".join(lines)


# ---------------------------------------------------------------- entry point


def evaluate(dataset: Path, limit: int | None = None, nli: str | None = None, encoder: str | None = None,
             config: AlignConfig | None = None, use_cache: bool = True, progress: bool = False) -> dict[str, object]:
    """Detect the dataset format and evaluate the default (or given) models on it."""
    dataset = Path(dataset)
    fmt = detect_format(dataset)
    started = time.perf_counter()
    enc = load_encoder(encoder)
    scorer = load_nli(nli, encoder=enc)
    cache = ResultCache(default_cache_dir()) if use_cache else None
    if fmt == "ci":
        from .pipeline import CheckConfig, Models

        check_config = CheckConfig(encoder=encoder, nli=nli, use_cache=use_cache, progress=False)
        result = evaluate_guard(load_guard_items(dataset, limit), Models(enc, scorer), check_config, progress=progress)
    elif fmt == "nli":
        if scorer is None:
            raise CheckError("an NLI dataset needs an NLI model (--nli is 'none')")
        result = evaluate_nli(load_nli_pairs(dataset, limit), scorer, enc, cache, progress=progress)
    else:
        result = evaluate_alignment(load_stories(dataset, limit), enc, scorer, config or AlignConfig(),
                                    cache=cache, progress=progress)
    result["dataset"] = str(dataset)
    result["format"] = fmt
    result["encoder"] = enc.info.name
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _pct(x: object) -> str:
    return f"{100 * float(x):.1f}" if isinstance(x, int | float) else "-"


def render_text(result: dict) -> str:
    """Markdown tables of an evaluation result."""
    lines = [f"dataset: {result.get('dataset')} ({result.get('format')}), encoder {result.get('encoder')}, "
             f"{result.get('seconds')} s", ""]
    if result["kind"] == "ci":
        return "\n".join(lines + [render_guard(result)])
    if result["kind"] == "nli":
        lines += [f"NLI model {result['model']}; contradiction rule: P(contradiction) in either direction "
                  f">= {result['threshold']}", "",
                  "| languages | n | accuracy | majority | macro F1 | contra P | contra R | contra F1 "
                  "| rule P | rule R | rule F1 |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        rows = [("all", result["overall"])] + list(result["by_language_pair"].items())
        for name, m in rows:
            c, r = m["contradiction"], m["contradiction_rule"]
            lines.append(f"| {name} | {m['n']} | {_pct(m['accuracy'])} | {_pct(m['majority_baseline']['accuracy'])} "
                         f"| {_pct(m['macro_f1'])} | {_pct(c['precision'])} | {_pct(c['recall'])} | {_pct(c['f1'])} "
                         f"| {_pct(r['precision'])} | {_pct(r['recall'])} | {_pct(r['f1'])} |")
        lines += ["", "| label | precision | recall | F1 |", "|---|---|---|---|"]
        for label, m in result["overall"]["per_label"].items():
            lines.append(f"| {label} | {_pct(m['precision'])} | {_pct(m['recall'])} | {_pct(m['f1'])} |")
        return "\n".join(lines)
    cfg = result["align_config"]
    lines += [f"{result['stories']} stories, {result['sentences']} sentences; margin alignment k={cfg['k']} "
              f"min_margin={cfg['min_margin']} one_way_margin={cfg['one_way_margin']} "
              f"min_cosine={cfg['min_cosine']}; cosine-only baseline >= {result['baseline_cosine']}", "",
              "| languages | margin P | margin R | margin F1 | cosine P | cosine R | cosine F1 |",
              "|---|---|---|---|---|---|---|"]
    m, b = result["margin"], result["cosine_baseline"]
    for name in ["all", *m["by_language_pair"]]:
        x = m["overall"] if name == "all" else m["by_language_pair"][name]
        y = b["overall"] if name == "all" else b["by_language_pair"][name]
        lines.append(f"| {name} | {_pct(x['precision'])} | {_pct(x['recall'])} | {_pct(x['f1'])} "
                     f"| {_pct(y['precision'])} | {_pct(y['recall'])} | {_pct(y['f1'])} |")
    lines += ["", "| gold link kind | gold | margin recall | cosine recall |", "|---|---|---|---|"]
    for kind, v in m["recall_by_kind"].items():
        lines.append(f"| {kind} | {v['gold']} | {_pct(v['recall'])} | {_pct(b['recall_by_kind'][kind]['recall'])} |")
    lines.append(f"| sentences with no counterpart: falsely linked | {m['orphans']['sentences']} "
                 f"| {m['orphans']['falsely_linked']} | {b['orphans']['falsely_linked']} |")
    if "nli" in result:
        n = result["nli"]
        lines += ["", f"NLI ({n['model']}, flag when P(contradiction) in either direction >= {n['threshold']}); the stories are "
                  "faithful translations, so every flag is a false contradiction", "",
                  "| NLI over | pairs | NLI evaluations | per sentence | false contradictions |", "|---|---|---|---|---|"]
        for name, key in (("aligned pairs (claimcheck)", "aligned"), ("all pairs (no alignment)", "all_pairs")):
            v = n[key]
            lines.append(f"| {name} | {v['pairs']} | {v['nli_evaluations']} "
                         f"| {v['nli_evaluations'] / result['sentences']:.1f} | {v['false_contradictions']} |")
    return "\n".join(lines)
