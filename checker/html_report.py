"""The report as one self-contained HTML page: summary, side-by-side discrepancy cards and a claim-group
table. Everything comes from the report.json dictionary, so a page can be re-rendered later (for example
with review decisions) from report.json alone. Autoescaping is on and document text is only ever passed
to the template as plain strings; a Content-Security-Policy allows the page's own script and nothing else."""

from __future__ import annotations

import base64
import glob
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from .fileio import keep_newest, user_cache_dir, write_atomic
from .fingerprint import fingerprinted
from .safetext import visible
from .types import DISCREPANCY_KINDS, NLI_LABELS, Report

TEMPLATES = Path(__file__).parent / "templates"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "sd", "ug", "yi", "dv"})
LANGUAGE_NAMES = {"ar": "Arabic", "fa": "Persian", "ms": "Malay", "id": "Indonesian", "en": "English",
                  "fr": "French", "de": "German", "es": "Spanish", "tr": "Turkish", "ur": "Urdu", "he": "Hebrew"}
KIND_LABELS = {"nli": "contradiction (NLI)", "date": "date", "number": "number", "place": "place",
               "status": "status (planned / begun / completed)", "unmatched": "unmatched claim"}


@dataclass(frozen=True)
class ReviewState:
    """An editor's decision on one finding, as shown on its card."""

    status: str  # "open" | "confirmed" | "dismissed" | "fixed"
    note: str = ""
    decided_at: str = ""
    reappeared: bool = False  # marked fixed, but found again by a later run


@dataclass(frozen=True)
class LiveView:
    """What the page served by ``claimcheck serve`` adds to the static report: decision buttons carrying
    the server's write token, each finding's decision history and, where a translation model is
    configured, a machine-translation gloss per claim."""

    token: str
    history: Mapping[str, list[tuple[str, str, str]]]  # fingerprint -> [(when, status, note)], oldest first
    glosses: Mapping[str, str | None]  # claim id -> gloss (None: already in the editor's language)
    gloss_model: str = ""  # "" when no translation model is configured
    gloss_lang: str = "en"
    gloss_test_model: bool = False


def text_direction(language: str) -> str:
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def highlight(text: str, spans: list[list[int]] | None) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, marked) segments; spans are clipped to the text and merged."""
    clean = sorted((max(0, s[0]), min(len(text), s[1])) for s in spans or [] if len(s) == 2 and s[0] < s[1])
    merged: list[list[int]] = []
    for start, end in clean:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    segments: list[tuple[str, bool]] = []
    pos = 0
    for start, end in merged:
        if start > pos:
            segments.append((text[pos:start], False))
        segments.append((text[start:end], True))
        pos = end
    if pos < len(text) or not segments:
        segments.append((text[pos:], False))
    return segments


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _severity(score: float) -> str:
    return "high" if score >= 0.7 else "medium" if score >= 0.4 else "low"


@cache
def _assets(live: bool = False) -> tuple[str, str]:
    css, script = ((TEMPLATES / name).read_text(encoding="utf-8") for name in ("report.css", "report.js"))
    if live:  # the served page: the same page and script, plus the decision controls
        script += "\n" + (TEMPLATES / "serve.js").read_text(encoding="utf-8")
    return css, script


def _finalize(value: Any) -> Any:
    """Every printed value: document text with its control characters made visible (the page's own
    CSS and script are Markup and pass unchanged)."""
    if type(value) is str and value.isprintable():  # nothing to make visible (most values): no scan
        return value
    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept between runs in the user cache folder (compiling the page takes longer
    than rendering it). Keyed by template, template source (checked by jinja2), jinja2 and Python
    version, and this module, which sets the environment's options; a damaged file is compiled anew."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.salt = f"{jinja2.__version__}|{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}"

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return f"{name}-{hashlib.sha256(f'{self.salt}|{name}'.encode()).hexdigest()[:16]}"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            bucket.bytecode_from_string((self.folder / bucket.key).read_bytes())
        except Exception:  # missing, unreadable or damaged (jinja2 reads it with pickle and marshal)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = bucket.key.rsplit("-", 1)[0]
        try:
            write_atomic(self.folder / bucket.key, bucket.bytecode_to_string())
            keep_newest(self.folder, f"{glob.escape(name)}-" + "[0-9a-f]" * 16)
        except OSError:  # a cache that cannot be written is skipped
            pass


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=_finalize, bytecode_cache=_CompiledTemplates(user_cache_dir() / "templates"))
    env.filters["pct"] = lambda value: f"{100 * float(value):.0f}"
    return env


def build_context(data: Mapping[str, Any], review: Mapping[str, ReviewState] | None = None,
                  live: LiveView | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values (never pre-built HTML)."""
    documents = data["documents"]
    doc_info = {d["id"]: d for d in documents}
    claims = {c["id"]: {**c, "doc_id": d["id"]} for d in documents for c in d["claims"]}
    order = {cid: n for n, cid in enumerate(claims)}

    def doc_view(doc_id: str) -> dict[str, Any]:
        doc = doc_info.get(doc_id, {})
        language = doc.get("language", "und")
        return {"id": doc_id, "language": language, "dir": text_direction(language),
                "language_name": LANGUAGE_NAMES.get(language, language), "off_topic": doc.get("off_topic", False)}

    def side(doc_id: str, claim_id: str, text: str, spans: list[list[int]], values: list[str]) -> dict[str, Any]:
        sentence = claims.get(claim_id, {}).get("sentence") or ""
        return {"doc": doc_view(doc_id), "claim_id": claim_id, "segments": highlight(text, spans), "vals": values,
                "sentence": sentence if sentence and not _same_text(sentence, text) else "",
                "gloss": live.glosses.get(claim_id) if live else None}

    cards = []
    claim_findings: dict[str, list[str]] = {}
    for n, finding in enumerate(fingerprinted(data["discrepancies"])):
        d, fp = finding.discrepancy, finding.fingerprint
        state = (review or {}).get(fp)
        sides = [side(d.doc_a, d.claim_a, d.text_a, d.spans_a, d.values_a)]
        if d.claim_b is not None and d.doc_b is not None:
            sides.append(side(d.doc_b, d.claim_b, d.text_b or "", d.spans_b, d.values_b))
        for cid in (d.claim_a, d.claim_b):
            if cid:
                claim_findings.setdefault(cid, []).append(d.id)
        pair = sorted({d.doc_a, d.doc_b} - {None})
        nli = [{"label": label, "value": float(d.nli[label])} for label in NLI_LABELS if label in d.nli] if d.nli else []
        cards.append({
            "id": d.id, "kind": d.kind, "kind_label": KIND_LABELS.get(d.kind, d.kind), "score": d.score,
            "severity": _severity(d.score), "order": n, "fingerprint": fp, "sides": sides, "nli": nli,
            "note": d.note, "pair": "|".join(pair),
            "langs": " ".join(sorted({side["doc"]["language"] for side in sides})),
            "history": list(live.history.get(fp, [])) if live else [],
            "missing_in": [doc_view(x["id"]) for x in documents if x["id"] != d.doc_a] if d.claim_b is None else [],
            "review": state if state else (ReviewState("open") if review is not None else None),
        })

    pairs: dict[str, str] = {}
    for card in cards:
        ids = card["pair"].split("|")
        pairs[card["pair"]] = " ↔ ".join(ids) if len(ids) == 2 else f"{ids[0]} (unmatched)"

    columns = [doc_view(d["id"]) for d in documents]

    def cell_claim(cid: str) -> dict[str, Any]:
        return {"id": cid, "text": claims[cid]["text"], "findings": claim_findings.get(cid, []),
                "gloss": live.glosses.get(cid) if live else None}

    rows = []
    grouped: set[str] = set()
    for group in data["groups"]:
        members = [cid for cid in group["claims"] if cid in claims]
        grouped.update(members)
        rows.append({"id": group["id"], "single": False, "cells": [
            [cell_claim(cid) for cid in members if claims[cid]["doc_id"] == col["id"]] for col in columns]})
    for cid in sorted(set(claims) - grouped, key=order.__getitem__):
        rows.append({"id": "", "single": True, "cells": [
            [cell_claim(cid)] if claims[cid]["doc_id"] == col["id"] else [] for col in columns]})

    kind_counts = data["summary"]["discrepancies"]
    review_counts: dict[str, int] = {}
    if review is not None:
        for card in cards:
            status = "open" if card["review"].reappeared else card["review"].status
            review_counts[status] = review_counts.get(status, 0) + 1
    settings = data.get("settings", {})
    models = data.get("models", [])
    languages = sorted({d["language"] for d in documents})
    return {
        "data": data, "summary": data["summary"], "documents": [{**doc_view(d["id"]), "dateline": d.get("dateline"),
                                                                 "claims": len(d["claims"]), "dropped": len(d["dropped"]),
                                                                 "path": d.get("path", "")} for d in documents],
        "kinds": [k for k in DISCREPANCY_KINDS if kind_counts.get(k)], "kind_counts": kind_counts,
        "kind_labels": KIND_LABELS, "cards": cards, "pairs": sorted(pairs.items()), "columns": columns, "rows": rows,
        "models": models, "nli_model": any(m.get("role") == "nli" for m in models),
        "test_models": [m for m in models if not m.get("real", True)],
        "slots": settings.get("compare", {}).get("slots", True) if isinstance(settings.get("compare"), dict) else True,
        "warnings": data.get("warnings", []), "skipped": data.get("skipped", []),
        "review": review is not None, "review_counts": review_counts,
        "gloss_languages": ", ".join(LANGUAGE_NAMES.get(x, x) for x in languages),
        "languages": [(x, LANGUAGE_NAMES.get(x, x)) for x in languages], "live": live,
        "gloss_lang_name": LANGUAGE_NAMES.get(live.gloss_lang, live.gloss_lang) if live else "",
    }


def render_html_data(data: Mapping[str, Any], review: Mapping[str, ReviewState] | None = None,
                     live: LiveView | None = None) -> str:
    """The page for one report.json dictionary; ``review`` maps finding fingerprints to decisions;
    ``live`` adds the served page's controls (``claimcheck serve``)."""
    css, script = _assets(live is not None)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    context = build_context(data, review if review is not None or live is None else {}, live)
    return _environment().get_template("report.html.j2").render(
        **context, css=Markup(css), script=Markup(script), script_hash=f"sha256-{digest}")


def render_html(report: Report, data: dict) -> str:
    """Renderer for ``write_report``: the page without review state."""
    return render_html_data(data)
