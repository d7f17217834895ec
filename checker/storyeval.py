"""Scoring a checked story against its gold: recall of the disagreements a careful reader marks, false
findings per document, and whether the reports of another event were set aside.

A story folder holds the reports (one per file) and ``gold.json``; a folder of such folders is scored
story by story. A story folder without ``gold.json`` may have its gold beside it as ``<folder>.gold.json``.

gold.json::

    {"documents": {"01_x.en.txt": {...}, ...},            # the reports checked (other files are ignored)
     "distractors": {"05_y.id.txt": "why it is about another event"},
     "disagreements": [{"id": "...", "fact": "...",
                        "sides": [{"docs": [...], "value": "...", "cues": ["text in the claim", ...]}, ...]}],
     "not_conflicts": [...], "equivalent": [...]}       # documentation for readers; not scored

Findings scored are disagreements: ``unmatched`` claims and values named in one version only are
omissions, counted apart. A finding hits a disagreement when its two documents are on different sides and each claim contains a
cue of its side (compared after the model normaliser: digits, letter variants, case).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from .fileio import open_text
from .textnorm import normalize_for_model
from .types import CheckError, Discrepancy, Report

GOLD_NAME = "gold.json"


@dataclass
class Side:
    docs: list[str]  # document ids (file names without their last suffix)
    value: str
    cues: list[str]


@dataclass
class GoldDisagreement:
    id: str
    fact: str
    sides: list[Side]


@dataclass
class StoryGold:
    name: str
    folder: Path
    files: list[Path]
    distractors: dict[str, str]  # document id -> why
    disagreements: list[GoldDisagreement]


def _doc_id(name: str) -> str:
    return Path(name).stem


def _norm(text: str) -> str:
    return normalize_for_model(text, "").casefold()


def gold_path(folder: Path) -> Path | None:
    inside = folder / GOLD_NAME
    if inside.is_file():
        return inside
    beside = folder.with_name(folder.name + ".gold.json")
    return beside if beside.is_file() else None


def load_gold(folder: Path) -> StoryGold:
    path = gold_path(folder)
    if path is None:
        raise CheckError(f"{folder}: no {GOLD_NAME}")
    try:
        with open_text(path) as fh:
            data = json.load(fh)
        documents = list(data["documents"])
        files = [folder / name for name in documents]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise CheckError(f"{path}: documents not found: {', '.join(missing)}")
        disagreements = [
            GoldDisagreement(id=str(d["id"]), fact=str(d.get("fact", "")),
                             sides=[Side(docs=[_doc_id(x) for x in s["docs"]], value=str(s.get("value", "")),
                                         cues=[str(c) for c in s["cues"]]) for s in d["sides"]])
            for d in data.get("disagreements", [])]
        distractors = {_doc_id(k): str(v) for k, v in dict(data.get("distractors", {})).items()}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckError(f"{path}: malformed gold ({type(exc).__name__}: {exc})") from exc
    return StoryGold(name=folder.name, folder=folder, files=files, distractors=distractors,
                     disagreements=disagreements)


def story_folders(path: Path) -> list[Path]:
    """The story itself, or every story folder inside it (sorted)."""
    if not path.is_dir():
        raise CheckError(f"not a folder: {path}")
    if gold_path(path):
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_dir() and gold_path(p))
    if not found:
        raise CheckError(f"{path}: no story folder with a {GOLD_NAME}")
    return found


def _has_cue(text: str | None, cues: list[str]) -> bool:
    if not text:
        return False
    norm = _norm(text)
    return any(_norm(c) in norm for c in cues)


def hits(finding: Discrepancy, gold: GoldDisagreement) -> bool:
    """Whether a finding states this disagreement: its documents on different sides, each claim with a
    cue of its side."""
    if finding.doc_b is None:
        return False
    for i, side_a in enumerate(gold.sides):
        for j, side_b in enumerate(gold.sides):
            if i == j or finding.doc_a not in side_a.docs or finding.doc_b not in side_b.docs:
                continue
            if _has_cue(finding.text_a, side_a.cues) and _has_cue(finding.text_b, side_b.cues):
                return True
    return False


def is_disagreement(finding: Discrepancy) -> bool:
    """Two versions disagree: not a claim without counterpart, nor a value named on one side only."""
    if finding.kind == "unmatched":
        return False
    return finding.kind == "nli" or bool(finding.values_a and finding.values_b)


def score_story(report: Report, gold: StoryGold) -> dict[str, object]:
    """Recall, false findings and distractor detection of one checked story."""
    findings = [d for d in report.discrepancies if is_disagreement(d)]
    found: dict[str, list[str]] = {g.id: [] for g in gold.disagreements}
    true_ids: set[str] = set()
    for finding in findings:
        for g in gold.disagreements:
            if hits(finding, g):
                found[g.id].append(finding.id)
                true_ids.add(finding.id)
    set_aside = set(dict(report.settings.get("off_topic", {}) or {}))  # type: ignore[call-overload]
    n_docs = len(report.documents)
    false = [f for f in findings if f.id not in true_ids]
    on_distractor = [f for f in false if f.doc_a in gold.distractors or f.doc_b in gold.distractors]
    recalled = sum(bool(v) for v in found.values())
    return {
        "story": gold.name,
        "documents": n_docs,
        "gold_disagreements": len(gold.disagreements),
        "recalled": recalled,
        "recall": recalled / len(gold.disagreements) if gold.disagreements else None,
        "missed": sorted(k for k, v in found.items() if not v),
        "findings": len(findings),
        "omissions": sum(not is_disagreement(d) for d in report.discrepancies),
        "false_findings": len(false),
        "false_per_document": len(false) / n_docs if n_docs else 0.0,
        "false_with_distractor": len(on_distractor),
        "distractors": len(gold.distractors),
        "distractors_set_aside": len(set_aside & set(gold.distractors)),
        "on_event_set_aside": sorted(set_aside - set(gold.distractors)),
        "nli_evaluations": report.settings.get("nli_pair_evaluations", 0),
        "claims": len(report.claims),
        "seconds": round(report.timings.get("total", 0.0), 2),
    }


def summarise(rows: list[dict[str, object]]) -> dict[str, object]:
    def total(key: str) -> float:
        return float(sum(float(r[key]) for r in rows))  # type: ignore[arg-type]

    gold, docs, claims = total("gold_disagreements"), total("documents"), total("claims")
    return {
        "stories": len(rows),
        "recall": total("recalled") / gold if gold else None,
        "false_per_document": total("false_findings") / docs if docs else 0.0,
        "distractors_set_aside": f"{int(total('distractors_set_aside'))}/{int(total('distractors'))}",
        "on_event_set_aside": int(sum(len(r["on_event_set_aside"]) for r in rows)),  # type: ignore[arg-type]
        "nli_evaluations_per_claim": total("nli_evaluations") / claims if claims else 0.0,
        "findings": int(total("findings")),
        "seconds": round(total("seconds"), 2),
    }


def evaluate_stories(path: Path, config=None, models=None) -> dict[str, object]:
    """Check every story under ``path`` with the default (or given) models and score it."""
    from .pipeline import CheckConfig, check, load_models

    config = config or CheckConfig(progress=False)
    started = time.perf_counter()
    golds = [load_gold(folder) for folder in story_folders(Path(path))]
    models = models or load_models(config)
    rows = [score_story(check(g.files, config, models), g) for g in golds]
    return {"kind": "stories", "dataset": str(path), "format": "stories", "rows": rows,
            "overall": summarise(rows), "encoder": models.encoder.info.name,
            "nli": models.nli.info.name if models.nli else None,
            "seconds": round(time.perf_counter() - started, 2)}


def render_text(result: dict) -> str:
    """A Markdown table: one row per story and the total."""
    lines = [f"stories: {result['dataset']}, encoder {result['encoder']}, NLI {result['nli']}, {result['seconds']} s", "",
             "| story | docs | gold | recall | findings | false/doc | distractors set aside | on-event set aside "
             "| NLI evals/claim | s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        recall = "-" if r["recall"] is None else f"{r['recalled']}/{r['gold_disagreements']}"
        lines.append(f"| {r['story']} | {r['documents']} | {r['gold_disagreements']} | {recall} | {r['findings']} "
                     f"| {r['false_per_document']:.2f} | {r['distractors_set_aside']}/{r['distractors']} "
                     f"| {len(r['on_event_set_aside'])} | {r['nli_evaluations'] / max(1, r['claims']):.2f} "
                     f"| {r['seconds']} |")
    o = result["overall"]
    recall = "-" if o["recall"] is None else f"{o['recall']:.2f}"
    lines.append(f"| **all** | | | {recall} | {o['findings']} | {o['false_per_document']:.2f} "
                 f"| {o['distractors_set_aside']} | {o['on_event_set_aside']} "
                 f"| {o['nli_evaluations_per_claim']:.2f} | {o['seconds']} |")
    missed = [f"{r['story']}: {', '.join(r['missed'])}" for r in result["rows"] if r["missed"]]
    if missed:
        lines += ["", "missed: " + "; ".join(missed)]
    return "\n".join(lines)
