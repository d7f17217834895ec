"""Translations checked against their source, as findings a build can fail on (``claimcheck ci``).

Each translation is checked against the source (one pipeline run per pair, each file read once,
models loaded once).
Findings are keyed by stable fingerprints (``checker.fingerprint``), so a baseline file can mark
known differences as accepted. Exit codes: 0 no new finding, 1 at least one new finding among the
``--fail-on`` kinds at or above ``--min-score``, 2 usage or input error, 130 interrupted.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import __version__
from .fingerprint import fingerprinted
from .ingest import SUPPORTED_SUFFIXES, input_path_error, is_own_report, read_document, unique_ids
from .pipeline import CheckConfig, Models, check_documents
from .safetext import for_github, shorten
from .types import DISCREPANCY_KINDS, CheckError, Claim, Document, Report

CI_SCHEMA_VERSION = 1
BASELINE_SCHEMA_VERSION = 1
FORMATS = ("text", "json", "github", "sarif")
DEFAULT_FAIL_ON: tuple[str, ...] = DISCREPANCY_KINDS  # omissions/additions ("unmatched") included
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES: dict[str, str] = {
    "nli": "The translation contradicts the source (natural-language inference).",
    "date": "A date in the translation differs from the source.",
    "number": "A number in the translation differs from the source.",
    "place": "A place in the translation differs from the source.",
    "unmatched": "A sentence has no counterpart: dropped from the translation, or added to it.",
}
# status -> (SARIF level, GitHub workflow command)
LEVELS = {"new": ("error", "error"), "ignored": ("warning", "warning"), "accepted": ("note", "notice")}


@dataclass
class Finding:
    fingerprint: str
    kind: str
    score: float
    status: str  # "new" (fails the build) | "accepted" (in the baseline) | "ignored" (kind/score not selected)
    file: str  # where the finding is located (the translation, or the source for a dropped sentence)
    line: int
    message: str
    source_text: str | None
    translation_text: str | None
    values_source: list[str] = field(default_factory=list)
    values_translation: list[str] = field(default_factory=list)
    nli: dict[str, float] | None = None


@dataclass
class PairResult:
    path: str
    id: str
    language: str
    findings: list[Finding]
    warnings: list[str]
    report: Report
    folder: str = ""  # where --out keeps this pair's full report (unique per run)

    @property
    def new(self) -> int:
        return sum(f.status == "new" for f in self.findings)


# ---------------------------------------------------------------- findings


def claim_line(doc: Document, claim: Claim) -> int:
    """The line (1-based) of a claim in its file as it is on disk."""
    if doc.markup is None:  # plain text: offsets are file offsets
        return doc.raw.count("\n", 0, claim.start) + 1
    # HTML: look the claim up in the markup
    for probe in (claim.text, claim.text[:60], " ".join(claim.text.split()[:5])):
        at = doc.markup.find(probe)
        if probe and at >= 0:
            return doc.markup.count("\n", 0, at) + 1
    return 1


def _quote(text: str | None, limit: int = 140) -> str:
    return "“" + shorten(text, limit) + "”"


def _message(kind: str, src: str | None, tr: str | None, values_src: list[str], values_tr: list[str],
             nli: dict[str, float] | None, tr_name: str, omission: bool) -> str:
    if kind == "unmatched":
        if omission:
            return f"Missing from {tr_name}: the source sentence {_quote(src)} has no counterpart in the translation."
        return f"Not in the source: {tr_name} says {_quote(tr)}, which has no counterpart in the source."
    if kind == "nli":
        p = (nli or {}).get("contradiction", 0.0)
        return f"Translation contradicts the source (contradiction {p:.2f}): source {_quote(src)}; translation {_quote(tr)}."
    return (f"{kind.capitalize()} differs: source has {'; '.join(values_src) or '-'}, translation has "
            f"{'; '.join(values_tr) or '-'}. Source {_quote(src)}; translation {_quote(tr)}.")


def baseline_path(path: Path | str) -> str:
    """How a translation is named in a baseline: relative to the working folder when inside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def findings_of(report: Report, source_path: Path, fail_on: set[str], min_score: float,
                accepted: set[str]) -> list[Finding]:
    """The report's discrepancies oriented source → translation, with a status each."""
    source_doc = next(d for d in report.documents if Path(d.path) == source_path)
    docs = {d.id: d for d in report.documents}
    claims = {c.id: c for c in report.claims}
    tr_doc = next(d for d in report.documents if d.id != source_doc.id)
    out = []
    for view in fingerprinted(report.discrepancies):
        d, fp = view.discrepancy, view.fingerprint
        flip = d.doc_a != source_doc.id
        src_claim = d.claim_b if flip else d.claim_a
        tr_claim = d.claim_a if flip else d.claim_b
        src_text, tr_text = (d.text_b, d.text_a) if flip else (d.text_a, d.text_b)
        values_src, values_tr = (d.values_b, d.values_a) if flip else (d.values_a, d.values_b)
        omission = d.kind == "unmatched" and not flip
        where = src_claim if omission else tr_claim
        assert where is not None
        located = claims[where]
        if fp in accepted:  # fingerprints accepted for this translation
            status = "accepted"
        elif d.kind in fail_on and d.score >= min_score:
            status = "new"
        else:
            status = "ignored"
        out.append(Finding(
            fingerprint=fp, kind=d.kind, score=d.score, status=status, file=docs[located.doc_id].path,
            line=claim_line(docs[located.doc_id], located),
            message=_message(d.kind, src_text, tr_text, values_src, values_tr, d.nli, Path(tr_doc.path).name,
                             omission),
            source_text=src_text, translation_text=tr_text, values_source=list(values_src),
            values_translation=list(values_tr), nli=d.nli,
        ))
    return out


# ---------------------------------------------------------------- baseline


def load_baseline(path: Path, *, must_exist: bool) -> dict:
    if not path.exists():
        if must_exist:
            raise CheckError(f"baseline not found: {path} (create it with --update-baseline)")
        return {"accepted": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckError(f"cannot read baseline {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CheckError(f"baseline {path} is not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("accepted"), list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in data["accepted"]):
        raise CheckError(f"baseline {path} is not a claimcheck baseline (needs an 'accepted' list of fingerprints)")
    return data


def updated_baseline(previous: dict, source: Path, results: list[PairResult]) -> dict:
    """Entries for the translations of this run are replaced by their current findings; others are kept."""
    checked = {baseline_path(r.path) for r in results}
    entries = [e for e in previous.get("accepted", []) if e.get("translation") not in checked]
    for result in results:
        for f in result.findings:
            entries.append({"fingerprint": f.fingerprint, "translation": baseline_path(result.path), "kind": f.kind,
                            "source_text": f.source_text, "translation_text": f.translation_text,
                            "values_source": f.values_source, "values_translation": f.values_translation})
    entries.sort(key=lambda e: (str(e.get("translation")), str(e.get("kind")), e["fingerprint"]))
    unique = list({(e.get("translation"), e["fingerprint"]): e for e in entries}.values())
    return {"schema": "claimcheck-baseline", "version": BASELINE_SCHEMA_VERSION, "source": baseline_path(source),
            "about": "Accepted claimcheck findings: a finding whose fingerprint is listed here does not fail "
                     "`claimcheck ci --baseline`. Regenerate with --update-baseline.",
            "accepted": unique}


def safe_folder_name(name: str) -> str:
    """A folder name made from a file name that stays inside --out: no separators, no leading dots
    (so never '.' or '..'), no control characters."""
    cleaned = re.sub(r"[^\w.\-]+", "_", name).lstrip(".")
    return cleaned[:100] or "translation"


# ---------------------------------------------------------------- output formats


def to_json(source: Document, results: list[PairResult], fail_on: list[str], min_score: float,
            baseline: Path | None) -> dict:
    findings = [f for r in results for f in r.findings]
    models = results[0].report.models if results else []
    return {
        "schema": "claimcheck-ci", "version": CI_SCHEMA_VERSION, "claimcheck_version": __version__,
        "status": "fail" if any(f.status == "new" for f in findings) else "pass",
        "source": {"path": source.path, "language": source.language},
        "fail_on": fail_on, "min_score": min_score, "baseline": str(baseline) if baseline else None,
        "counts": {s: sum(f.status == s for f in findings) for s in ("new", "accepted", "ignored")},
        "translations": [{
            "path": r.path, "id": r.id, "language": r.language, "status": "fail" if r.new else "pass",
            "warnings": r.warnings, "findings": [asdict(f) for f in r.findings],
        } for r in results],
        "models": [asdict(m) for m in models],
    }


def to_github(results: list[PairResult]) -> str:
    lines = []
    for r in results:
        for w in r.warnings:
            lines.append(f"::warning file={for_github(r.path, True)}::{for_github(w)}")
        for f in r.findings:
            command = LEVELS[f.status][1]
            title = f"claimcheck {f.kind}" + (" (accepted)" if f.status == "accepted" else "")
            lines.append(f"::{command} file={for_github(f.file, True)},line={f.line},title={for_github(title, True)}"
                         f"::{for_github(f.message)}")
    return "\n".join(lines)


def _uri(path: str) -> str:
    """A SARIF artifactLocation.uri: a percent-encoded relative reference, or a file:// URI."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else urllib.parse.quote(p.as_posix(), safe="/")


def to_sarif(results: list[PairResult]) -> dict:
    rule_ids = list(DISCREPANCY_KINDS)
    sarif_results = []
    for r in results:
        for f in r.findings:
            sarif_results.append({
                "ruleId": f.kind, "ruleIndex": rule_ids.index(f.kind), "level": LEVELS[f.status][0],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(f.file)},
                                                    "region": {"startLine": f.line}}}],
                "partialFingerprints": {"claimcheck/v1": f.fingerprint},
                "baselineState": "unchanged" if f.status == "accepted" else "new",
                "properties": {"score": f.score, "status": f.status, "translation": r.path},
            })
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "claimcheck", "version": __version__, "semanticVersion": __version__,
                "rules": [{"id": kind, "name": f"{kind}-drift", "shortDescription": {"text": RULES[kind]},
                           "defaultConfiguration": {"level": "error"}} for kind in rule_ids],
            }},
            "results": sarif_results,
        }],
    }


def to_text(source: Document, results: list[PairResult], fail_on: list[str], min_score: float) -> str:
    lines = [f"claimcheck ci: {source.path} ({source.language}) against {len(results)} translation(s); "
             f"failing on {', '.join(fail_on)} with score >= {min_score:g}"]
    for r in results:
        counts = {s: sum(f.status == s for f in r.findings) for s in ("new", "accepted", "ignored")}
        head = "FAIL" if r.new else "ok  "
        lines.append(f"{head} {r.path} ({r.language}): {counts['new']} new, {counts['accepted']} accepted, "
                     f"{counts['ignored']} ignored")
        for w in r.warnings:
            lines.append(f"     warning: {w}")
        for f in r.findings:
            lines.append(f"     {f.status:<8} {f.kind:<9} {f.score:.2f}  {f.file}:{f.line}  {f.message}  [{f.fingerprint}]")
    failed = sum(1 for r in results if r.new)
    new = sum(r.new for r in results)
    lines.append(f"result: FAIL ({new} new finding(s) in {failed} translation(s))" if failed else "result: pass")
    return "\n".join(lines)


# ---------------------------------------------------------------- inputs


def parse_kinds(value: str) -> list[str]:
    kinds = [k.strip().lower() for k in value.split(",") if k.strip()]
    if kinds == ["all"]:
        return list(DISCREPANCY_KINDS)
    unknown = [k for k in kinds if k not in DISCREPANCY_KINDS]
    if unknown or not kinds:
        raise CheckError(f"--fail-on: unknown kind(s) {', '.join(unknown) or '(none given)'} "
                         f"(known: {', '.join(DISCREPANCY_KINDS)}, or all)")
    return [k for k in DISCREPANCY_KINDS if k in kinds]


def translation_files(source: Path, translations: list[Path], output_dir: Path | None = None) -> list[Path]:
    """Files to check; a folder stands for its supported files (the source excluded)."""
    files: list[Path] = []
    for item in translations:
        error = input_path_error(item)
        if error:
            raise CheckError(error)
        if item.is_dir():
            try:
                children = sorted(item.iterdir())
            except OSError as exc:
                raise CheckError(f"{item}: cannot read folder ({exc.strerror or exc})") from exc
            found = [c for c in children if c.is_file() and not c.name.startswith(".")
                     and c.suffix.lower() in SUPPORTED_SUFFIXES and c.resolve() != source.resolve()
                     and not is_own_report(c, output_dir)]
            if not found:
                raise CheckError(f"{item}: folder holds no translation (.txt, .md, .html)")
            files.extend(found)
        elif item.is_file():
            if item.resolve() == source.resolve():
                raise CheckError(f"{item}: the translation is the source file itself")
            files.append(item)
        else:
            raise CheckError(f"not a regular file or folder: {item}")
    return list(dict.fromkeys(files))


def read_inputs(source: Path, files: list[Path], max_bytes: int) -> tuple[Document, list[Document]]:
    """The source and every translation, each read once; a file that cannot be used is an error
    (a broken translation must not pass silently)."""
    return read_document(source, max_bytes=max_bytes), [read_document(f, max_bytes=max_bytes) for f in files]


def check_pair(source: Document, translation: Document, config: CheckConfig, models: Models) -> Report:
    """One pipeline run on the source and one translation (copies: a run assigns datelines and ids)."""
    return check_documents(unique_ids([replace(source), replace(translation)]), config, models)


def pair_result(report: Report, source: Document, translation: Document, fail_on: set[str], min_score: float,
                accepted: set[str], taken_folders: set[str]) -> PairResult:
    """A pair's findings, with a folder name for its full report that is new among ``taken_folders``."""
    tr_doc = next(d for d in report.documents if d.path == translation.path)
    base = safe_folder_name(tr_doc.id)
    folder, k = base, 1
    while folder in taken_folders:  # the same file name in two folders
        k += 1
        folder = f"{base}-{k}"
    taken_folders.add(folder)
    warnings = [str(w) for w in report.settings.get("warnings", [])]  # type: ignore[attr-defined]
    return PairResult(path=translation.path, id=tr_doc.id, language=tr_doc.language,
                      findings=findings_of(report, Path(source.path), fail_on, min_score, accepted),
                      warnings=warnings, report=report, folder=folder)


def accepted_for(baseline: dict, translation: Path) -> set[str]:
    """Fingerprints a baseline accepts for a translation (an entry without a translation applies to all)."""
    key = baseline_path(translation)
    return {e["fingerprint"] for e in baseline["accepted"] if e.get("translation") in (None, key)}
