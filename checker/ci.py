"""Translations checked against their source, as findings a build can fail on (``claimcheck ci``).

Each translation is checked against the source (one pipeline run per pair, each file read once,
models loaded once).
Findings are keyed by stable fingerprints (``checker.fingerprint``), so a baseline file can mark
known differences as accepted. Exit codes: 0 no new finding, 1 at least one new finding among the
``--fail-on`` kinds that passes its kind's calibrated rule (``GuardPolicy``; or, with ``--min-score``,
scores at least that), 2 usage or input error, 130 interrupted.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .compare import UNSUPPORTED_NOTE, SlotsPerClaim
from .fingerprint import fingerprinted
from .ingest import SUPPORTED_SUFFIXES, input_path_error, is_own_report, read_document, unique_ids
from .negation import negations, polarity, without_negation
from .pipeline import CheckConfig, Models, check_documents
from .registry import lookup
from .safetext import for_github, shorten
from .seqalign import OrderAlignConfig
from .types import GUARD_KINDS, AlignedPair, CheckError, Claim, Discrepancy, Document, Report

if TYPE_CHECKING:
    from .cache import ResultCache
    from .slots.model import Slot

CI_SCHEMA_VERSION = 1
BASELINE_SCHEMA_VERSION = 1
FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES: dict[str, str] = {
    "nli": "The translation contradicts the source (natural-language inference).",
    "negation": "A sentence of the translation is negated where the source's is not, or the reverse.",
    "date": "A date in the translation differs from the source.",
    "number": "A number in the translation differs from the source.",
    "place": "A place in the translation differs from the source.",
    "status": "The translation reports the event at another stage (planned, begun, completed) than the source.",
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
    reason: str = ""  # why it fails the build, or why it does not
    source_file: str = ""
    source_line: int | None = None  # the claim's line in the source (None: no counterpart there)
    translation_file: str = ""
    translation_line: int | None = None


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


# ---------------------------------------------------------------- guard policy


@dataclass(frozen=True)
class GuardPolicy:
    """What fails a build at the default settings, chosen on the CI-guard dev documents
    (``fixtures/eval/ci/ci-dev.jsonl``; figures in the README). A finding that does not pass its
    kind's rule is listed as "ignored", with the reason."""

    # NLI: P(contradiction), the more contradicting direction
    nli_min_contradiction: float = 0.85
    # numbers, dates, places: only values on both sides, on a confidently aligned pair of claims
    slot_min_similarity: float = 0.8
    # two different countries that NLI does not back: only on pairs this close (the rest of the claim agrees)
    country_min_similarity: float = 0.8
    # a named place (not a country) that the other version names nowhere: only on pairs this close
    one_sided_place_min_similarity: float = 0.8
    # aligned sentences with more negation cues on one side (checker/data/negation_cues.json): fail with at
    # least this P(contradiction) (the most contradicting pair of the sentences); above 1 the check is off ...
    polarity_min_contradiction: float = 0.6
    # ... (this one where the side with more cues has more cues that only negate a clause, English and Arabic
    # cues, Persian نمی‌ and نخواه-, than the other side has cues, and no softer negative word stands for them;
    # at 0 it found 67% of the dev negations at 4.9% false alarms, but added 2 points of test false alarms) ...
    polarity_clausal_min_contradiction: float = 0.2
    # ... or when taking the cues out lowers P(contradiction) by this much, or raises the mean P(entailment)
    # by this much (the negation is what makes the sentences differ) ...
    polarity_min_contradiction_drop: float = 0.2
    polarity_min_entailment_gain: float = 0.1
    # ... or when taking the cues out of the side with more makes it this much closer to the other side
    # (cosine of the encoder's vectors: a negation the other side does not say) ...
    polarity_min_cosine_gain: float = 0.012
    # ... and with at least this P(contradiction) where softer negative words on the other side may stand for
    # the cue, or where the other side runs its words together (a cue glued to its verb)
    polarity_excused_min_contradiction: float = 0.85
    # omissions/additions: only claims whose closest unmatched claim on the other side is below this cosine ...
    unmatched_max_cosine: float = 0.87
    # ... and that do not make a neighbouring aligned claim a better match of its counterpart when joined
    # to it (a sentence merged into, or split from, its neighbour)
    merge_min_gain: float = 0.005
    # ... unless the join fits the counterpart's length worse by more than this (log scale, see below): a
    # dropped or added sentence of the same topic also gains a little when joined
    merge_max_length_loss: float = 0.15
    # ... and whose neighbour's counterpart is not better explained, by its length, as the translation of
    # both together (Gale & Church): the gain in |log(length ratio / the document's usual ratio)| from the join
    merge_min_length_gain: float = 0.2
    # ... the length alone excusing it only when the join does not lower the neighbour's cosine to its
    # counterpart by more than this (an unrelated sentence, however short, does)
    merge_length_max_cosine_loss: float = 0.02


DEFAULT_POLICY = GuardPolicy()


def guard_policy(nli: str | None = None) -> GuardPolicy:
    """The policy for a CI run with the NLI model ``nli`` (the registry default when None): the defaults
    above, with the settings the model's registry entry overrides under ``guard`` (probabilities of
    another model sit on another scale)."""
    _, entry = lookup("nli", nli)
    overrides = (entry or {}).get("guard", {})
    known = {f.name for f in fields(GuardPolicy)}
    if not isinstance(overrides, dict) or not set(overrides) <= known or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in overrides.values()):
        raise CheckError(f"model registry: the guard settings of NLI model {nli!r} must be numbers named "
                         f"as in GuardPolicy ({', '.join(sorted(known))})")
    return replace(DEFAULT_POLICY, **{k: float(v) for k, v in overrides.items()})


@dataclass
class Evidence:
    """What the policy looks at beyond the discrepancy itself."""

    pairs: dict[frozenset[str], AlignedPair]
    # unmatched claim -> closest claim on the other side that has no counterpart either
    best_cosine: dict[str, float] = field(default_factory=dict)
    merge_gain: dict[str, float] = field(default_factory=dict)  # unmatched claim -> gain when joined to a neighbour
    # unmatched claims of a sentence another claim of which has a counterpart (a clause split differently)
    partial: set[str] = field(default_factory=set)
    # unmatched claims facing, between the counterparts of their aligned neighbours, as many sentences of the
    # other version that are too short to be claims (so never aligned: "No, no, no." / "Tidak benar.")
    short_counterpart: set[str] = field(default_factory=set)
    # aligned sentences whose negation cues differ, as discrepancies of kind "negation" ...
    polarity: list[Discrepancy] = field(default_factory=list)
    # ... and the claims of those sentences (a contradiction found on them is reported as the negation)
    negation_claims: set[str] = field(default_factory=set)
    # (claim_a, claim_b) of a negation finding -> NLI of its pair as written and with the negation cues taken
    # out: (contradiction, mean entailment of both directions) each
    negation_check: dict[tuple[str, str], tuple[float, float, float, float]] = field(default_factory=dict)
    # (claim_a, claim_b) of a negation finding -> how much closer (cosine) the claim with more negation cues
    # comes to the other once its cues are taken out
    negation_cosine_gain: dict[tuple[str, str], float] = field(default_factory=dict)
    # unmatched claim -> how much better its neighbour's counterpart fits in length when the two are joined
    length_gain: dict[str, float] = field(default_factory=dict)
    # claim -> its fact slots, for the claims of number and place findings (all values, not only the differing ones)
    slots: dict[str, list[Slot]] = field(default_factory=dict)


EXCUSED_NOTE = "softer negative words on the side with fewer"
CLAUSAL_NOTE = "the side with more negates clauses with them"
HIDDEN_NOTE = "the side with fewer runs its words together, where a cue cannot be told apart"


def _sentence_groups(report: Report) -> list[list[Claim]]:
    """Claims joined by alignment, each with every claim of its sentence: the units whose polarity is
    compared (a sentence split into clauses, or merged with its neighbour, is read as a whole)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        parent[find(x)] = find(y)

    by_sentence: dict[tuple[str, str], str] = {}
    for c in report.claims:
        union(c.id, by_sentence.setdefault((c.doc_id, c.sentence or c.text), c.id))
    for p in report.pairs:
        union(p.claim_a, p.claim_b)
    groups: dict[str, list[Claim]] = {}
    for c in report.claims:
        groups.setdefault(find(c.id), []).append(c)
    return [g for g in groups.values() if len({c.doc_id for c in g}) == 2]


def negation_mismatches(report: Report) -> tuple[list[Discrepancy], set[str]]:
    """Aligned sentences whose negation cues differ in number (``checker.negation``), one finding of kind
    "negation" each, on the pair whose claims differ most. A difference that softer negative words on the
    side with fewer cues can make up ("unfit" for "tidak sesuai", عدم for "did not") is noted as excused.
    Also every claim of those sentences (their NLI contradictions are read as the negation finding)."""
    lang = {d.id: d.language for d in report.documents}
    claims = {c.id: c for c in report.claims}
    pairs_of: dict[str, list[AlignedPair]] = {}
    for p in report.pairs:
        pairs_of.setdefault(p.claim_a, []).append(p)
    out = []
    covered: set[str] = set()
    for group in _sentence_groups(report):
        sides: dict[str, list[str]] = {}
        for c in group:
            sentence = c.sentence or c.text
            if sentence not in sides.setdefault(c.doc_id, []):
                sides[c.doc_id].append(sentence)
        (doc_a, sentences_a), (doc_b, sentences_b) = sides.items()
        pol_a = polarity(" / ".join(sentences_a), lang[doc_a])
        pol_b = polarity(" / ".join(sentences_b), lang[doc_b])
        if pol_a.negations == pol_b.negations:
            continue
        (low, _, low_text), (high, high_lang, _) = sorted(
            ((pol_a, lang[doc_a], " ".join(sentences_a)), (pol_b, lang[doc_b], " ".join(sentences_b))),
            key=lambda x: x[0].negations)
        # soft words stand for a cue only where the side with more cues has no soft word of its own for them
        excused = low.negations + max(0, len(low.soft) - len(high.soft)) >= high.negations
        hidden = not excused and runs_words_together(low_text)  # a cue glued to its verb is not found
        pairs = [p for c in group for p in pairs_of.get(c.id, [])]
        if not pairs:
            continue

        def spread(p: AlignedPair) -> tuple[int, float]:
            a, b = claims[p.claim_a], claims[p.claim_b]
            return (abs(negations(a.text, lang[a.doc_id]) - negations(b.text, lang[b.doc_id])),
                    (p.nli or {}).get("contradiction", 0.0))

        pair = max(pairs, key=spread)
        covered.update(c.id for c in group)
        verdicts = [p.nli for p in pairs if p.nli]
        nli = max(verdicts, key=lambda v: v.get("contradiction", 0.0)) if verdicts else pair.nli
        a, b = claims[pair.claim_a], claims[pair.claim_b]
        words = f"{', '.join(pol_a.cues) or '-'} / {', '.join(pol_b.cues) or '-'}"
        note = f"{pol_a.negations} / {pol_b.negations} negation words ({words})"
        if excused:
            note += f"; {EXCUSED_NOTE} ({', '.join(low.soft)})"
        elif hidden:
            note += f"; {HIDDEN_NOTE}"
        elif high.clausal > low.negations:  # more cues that only negate a clause than the other side has cues
            note += f"; {CLAUSAL_NOTE} ({high_lang})"
        out.append(Discrepancy(id="", kind="negation", doc_a=a.doc_id, doc_b=b.doc_id, claim_a=a.id, claim_b=b.id,
                               text_a=a.text, text_b=b.text, nli=nli,
                               score=round(0.5 + 0.4 * (nli or {}).get("contradiction", 0.0), 4), note=note))
    return out, covered


def _slots_of_findings(report: Report) -> dict[str, list[Slot]]:
    """Fact slots of both claims of each number and place finding."""
    slots = SlotsPerClaim(report.documents)
    claims = {c.id: c for c in report.claims}
    wanted = {cid for d in report.discrepancies if d.kind in ("number", "place") for cid in (d.claim_a, d.claim_b) if cid}
    return {cid: slots[claims[cid]] for cid in sorted(wanted)}


def neighbour_counterparts(report: Report, unmatched: list[str]) -> tuple[list[tuple[str, str, str]],
                                                                          dict[str, list[str]]]:
    """(unmatched claim, neighbour, neighbour's counterpart) for each reading-order neighbour of each
    unmatched claim that has counterparts, and every claim's counterparts."""
    claims = {c.id: c for c in report.claims}
    order: dict[str, list[Claim]] = {}
    for c in report.claims:
        order.setdefault(c.doc_id, []).append(c)
    partner: dict[str, list[str]] = {}
    for p in report.pairs:
        partner.setdefault(p.claim_a, []).append(p.claim_b)
        partner.setdefault(p.claim_b, []).append(p.claim_a)
    joins: list[tuple[str, str, str]] = []
    for cid in unmatched:
        own = order[claims[cid].doc_id]
        k = next(n for n, c in enumerate(own) if c.id == cid)
        for nb in (own[k - 1] if k else None, own[k + 1] if k + 1 < len(own) else None):
            for other in partner.get(nb.id, []) if nb else []:
                joins.append((cid, nb.id, other))
    return joins, partner


def length_gains(report: Report, unmatched: list[str]) -> dict[str, float]:
    """For each unmatched claim next to a claim with one counterpart: how much closer that counterpart's
    length comes to the document's usual length ratio when the two neighbours are read as one sentence
    (log scale; above 0 the join fits better: a sentence merged into, or split from, its neighbour)."""
    claims = {c.id: c for c in report.claims}
    ratios: dict[str, list[float]] = {}  # document -> other side's length per character of its own
    for p in report.pairs:
        a, b = claims[p.claim_a], claims[p.claim_b]
        ratios.setdefault(a.doc_id, []).append(len(b.text) / max(1, len(a.text)))
        ratios.setdefault(b.doc_id, []).append(len(a.text) / max(1, len(b.text)))
    joins, partner = neighbour_counterparts(report, unmatched)
    gains: dict[str, float] = {}
    for cid, nb_id, other in joins:
        claim, nb = claims[cid], claims[nb_id]
        if claim.doc_id not in ratios or len(partner.get(other, [])) != 1:
            continue
        scale = float(np.median(ratios[claim.doc_id]))
        length = len(claims[other].text)
        alone = abs(np.log(length / (scale * len(nb.text))))
        joined = abs(np.log(length / (scale * (len(nb.text) + 1 + len(claim.text)))))
        gains[cid] = max(gains.get(cid, -np.inf), float(alone - joined))
    return gains


def short_counterparts(report: Report, unmatched: list[str]) -> set[str]:
    """Unmatched claims of a gap between aligned claims (or a document's start or end) where the other
    version has, between the counterparts of the gap's neighbours, at least as many sentences that were too
    short to be claims, plus unmatched claims of its own, as the gap holds unmatched sentences."""
    claims = {c.id: c for c in report.claims}
    partner: dict[str, list[Claim]] = {}
    for p in report.pairs:
        partner.setdefault(p.claim_a, []).append(claims[p.claim_b])
        partner.setdefault(p.claim_b, []).append(claims[p.claim_a])
    lone = set(unmatched)
    out: set[str] = set()
    for doc in report.documents:
        own = [c for c in report.claims if c.doc_id == doc.id]
        others = [d.id for d in report.documents if d.id != doc.id]
        if len(others) != 1:
            continue
        other = others[0]
        k = 0
        while k < len(own):
            if own[k].id not in lone:
                k += 1
                continue
            end = k
            while end < len(own) and own[end].id not in partner:
                end += 1
            gap = [c for c in own[k:end] if c.id in lone]
            before = [x.end for x in partner.get(own[k - 1].id, [])] if k else []
            after = [x.start for x in partner.get(own[end].id, [])] if end < len(own) else []
            low, high = max(before, default=-1), min(after, default=10 ** 12)
            shorts = {d.start for d in report.dropped if d.doc_id == other and low <= d.start < high}
            theirs = {claims[c].sentence or claims[c].text for c in lone
                      if claims[c].doc_id == other and low <= claims[c].start < high}
            if shorts and len(shorts) + len(theirs) >= len({c.sentence or c.text for c in gap}):
                out.update(c.id for c in gap)
            k = end
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n else v


def negation_checks(report: Report, mismatches: list[Discrepancy], nli: object, cache: object | None = None) -> dict[
        tuple[str, str], tuple[float, float, float, float]]:
    """For each negation finding, NLI on its pair as written and with the negation cues taken out
    (``checker.negation.without_negation``): (contradiction of the more contradicting direction, mean
    entailment) before and after. A planted or mistaken negation is what makes the pair differ, so taking
    it out makes the pair agree; a translation that says the same with other words does not gain."""
    from .pipeline import cached_nli

    claims = {c.id: c for c in report.claims}
    lang = {d.id: d.language for d in report.documents}
    texts: list[tuple[str, str, str, str]] = []
    for d in mismatches:
        a, b = claims[d.claim_a], claims[d.claim_b]
        texts.append((a.normalized, b.normalized, without_negation(a.normalized, a.language or lang[a.doc_id]),
                      without_negation(b.normalized, b.language or lang[b.doc_id])))
    if not texts:
        return {}
    scorer = cached_nli(nli, cache) or nli  # type: ignore[arg-type]
    premises = [t[i] for i in (0, 1, 2, 3) for t in texts]
    hypotheses = [t[i] for i in (1, 0, 3, 2) for t in texts]
    probs = np.asarray(scorer.predict(premises, hypotheses))  # type: ignore[union-attr]
    n = len(texts)
    out = {}
    for k, d in enumerate(mismatches):
        before, after = probs[[k, n + k]], probs[[2 * n + k, 3 * n + k]]
        out[(d.claim_a, d.claim_b or "")] = (float(before[:, 2].max()), float(before[:, 0].mean()),
                                             float(after[:, 2].max()), float(after[:, 0].mean()))
    return out


def negation_cosine_gains(report: Report, mismatches: list[Discrepancy], encoder: object,
                          cache: object | None = None) -> dict[tuple[str, str], float]:
    """For each negation finding, how much the cosine of its pair rises when the claim with more negation
    cues is read without them (``checker.negation.without_negation``; both claims, where they hold as many,
    the larger rise). A negation one version adds moves it away from the other; one that renders a negative
    word of the other ("tidak sesuai" for "unfit") does not, and taking it out moves it away."""
    from .embed import embed_texts

    claims = {c.id: c for c in report.claims}
    lang = {d.id: d.language for d in report.documents}
    texts: list[str] = []
    plans: list[tuple[int, int, list[tuple[int, int]]]] = []  # (a, b, [(stripped, other)]) as indices of texts
    for d in mismatches:
        a, b = claims[d.claim_a], claims[d.claim_b]
        lang_a, lang_b = a.language or lang[a.doc_id], b.language or lang[b.doc_id]
        n_a, n_b = negations(a.normalized, lang_a), negations(b.normalized, lang_b)
        at = len(texts)
        texts += [a.normalized, b.normalized]
        strips = []
        for text, language, other, more in ((a.normalized, lang_a, at + 1, n_a >= n_b), (b.normalized, lang_b, at, n_b >= n_a)):
            stripped = without_negation(text, language)
            if more and stripped != text:
                strips.append((len(texts), other))
                texts.append(stripped)
        plans.append((at, at + 1, strips))
    if not texts:
        return {}
    vectors = embed_texts(encoder, texts, cache=cache, progress=False)  # type: ignore[arg-type]
    unit = [_unit(v) for v in vectors]
    out = {}
    for d, (ia, ib, strips) in zip(mismatches, plans, strict=True):
        before = float(unit[ia] @ unit[ib])
        out[(d.claim_a, d.claim_b or "")] = max((float(unit[s] @ unit[o]) - before for s, o in strips), default=0.0)
    return out


def gather_evidence(report: Report, encoder: object | None = None, cache: object | None = None,
                    nli: object | None = None) -> Evidence:
    """Alignment of each pair, and for each unmatched claim its closest counterpart and whether it
    reads as merged into (or split from) a neighbouring aligned claim; with ``nli``, whether taking the
    negation out of a negation finding's pair makes it agree. Without an encoder only the alignment is
    known (unmatched claims then count as having no counterpart)."""
    mismatches, negation_claims = negation_mismatches(report)
    evidence = Evidence(pairs={frozenset((p.claim_a, p.claim_b)): p for p in report.pairs}, polarity=mismatches,
                        negation_claims=negation_claims, slots=_slots_of_findings(report))
    unmatched = [d.claim_a for d in report.discrepancies if d.kind == "unmatched"]
    aligned = {p.claim_a for p in report.pairs} | {p.claim_b for p in report.pairs}
    line_of = {c.id: (c.doc_id, c.sentence or c.text) for c in report.claims}
    aligned_lines = {line_of[c] for c in aligned if c in line_of}
    evidence.partial = {c for c in unmatched if line_of[c] in aligned_lines}
    evidence.short_counterpart = short_counterparts(report, unmatched)
    if nli is not None:
        evidence.negation_check = negation_checks(report, mismatches, nli, cache)
    if encoder is not None:
        evidence.negation_cosine_gain = negation_cosine_gains(report, mismatches, encoder, cache)
    evidence.length_gain = length_gains(report, unmatched)
    if encoder is None or not unmatched:
        return evidence
    from .embed import embed_texts

    claims = {c.id: c for c in report.claims}
    joins, _ = neighbour_counterparts(report, unmatched)
    texts = [c.normalized for c in report.claims]
    joined = [claims[nb].normalized + " " + claims[cid].normalized if claims[nb].start < claims[cid].start
              else claims[cid].normalized + " " + claims[nb].normalized for cid, nb, _ in joins]
    vectors = embed_texts(encoder, texts + joined, cache=cache, progress=False)  # type: ignore[arg-type]
    vec = {c.id: _unit(vectors[n]) for n, c in enumerate(report.claims)}
    for cid in unmatched:  # a claim that has a counterpart of its own is no counterpart of this one
        others = [c.id for c in report.claims if c.doc_id != claims[cid].doc_id and c.id not in aligned]
        evidence.best_cosine[cid] = max((float(vec[cid] @ vec[o]) for o in others), default=0.0)
    for n, (cid, nb, other) in enumerate(joins):
        gain = float(_unit(vectors[len(texts) + n]) @ vec[other]) - float(vec[nb] @ vec[other])
        evidence.merge_gain[cid] = max(evidence.merge_gain.get(cid, -1.0), gain)
    return evidence


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _magnitudes(values: list[str]) -> list[float]:
    return [float(m.group()) for v in values if (m := _NUMBER.match(v))]


def _same_up_to_scale(x: float, y: float) -> bool:
    """Equal, or a power of 1000 apart (a scale word such as "million" read on one side only, or a
    thousands separator read as a decimal point)."""
    if not x or not y:
        return x == y
    return any(abs(x * 1000 ** k - y) <= 1e-6 * abs(y) for k in (-3, -2, -1, 0, 1, 2, 3))


def _scale_only(values_a: list[str], values_b: list[str]) -> bool:
    """Every value on one side is one on the other times a power of 1000, so the numbers may well agree."""
    a, b = _magnitudes(values_a), _magnitudes(values_b)
    if not a or not b or len(a) != len(values_a) or len(b) != len(values_b):
        return False

    def scaled(x: float, ys: list[float]) -> bool:
        return any(x and y and _same_up_to_scale(x, y) for y in ys)

    return all(scaled(x, b) for x in a) and all(scaled(y, a) for y in b)


def _spelled_out(values: list[str], slots: list[Slot]) -> bool:
    """Every one of ``values`` is written in words in its claim (no digit in any script)."""
    texts = {s.value: s.text for s in slots if s.kind == "number"}
    return bool(values) and all(v in texts and not any(ch.isdigit() for ch in texts[v]) for v in values)


def unpaired_numbers(values_a: list[str], values_b: list[str]) -> tuple[list[str], list[str]]:
    """The numbers of two claims left once each is paired with at most one equal number on the other side:
    the same value and unit first, then the same magnitude (up to a scale word) whatever the unit."""
    left_a, left_b = [v for v in values_a if _NUMBER.match(v)], [v for v in values_b if _NUMBER.match(v)]
    for same in (lambda x, y: x == y, lambda x, y: _same_up_to_scale(*_magnitudes([x, y]))):
        for x in list(left_a):
            y = next((y for y in left_b if same(x, y)), None)
            if y is not None:
                left_a.remove(x)
                left_b.remove(y)
    return left_a, left_b


def _claim_numbers(evidence: Evidence, claim: str | None) -> list[str]:
    return [s.value for s in evidence.slots.get(claim or "", []) if s.kind == "number"]


def known_places(shown: list[str], slots: list[Slot]) -> bool:
    """One of the places a finding shows is a gazetteer place (a country, a city), not a word read as a
    place name through a cue word ("منطقة العمليات", the area of operations)."""
    from .slots.places import known_place

    return any(known_place(s.value) for s in _shown_places(shown, slots))


def _shown_places(shown: list[str], slots: list[Slot]) -> list[Slot]:
    """The place slots a finding shows (a value as shown is the text, or part of the display, of its slot)."""

    def spells(value: str, slot: Slot) -> bool:
        value, text = value.casefold(), slot.text.casefold()
        return bool(value) and (value in text or value in slot.display.casefold() or text in value)

    return [s for s in slots if s.kind == "place" and any(spells(v, s) for v in shown)]


_TOKEN = re.compile(r"[\w\u064b-\u065f\u0670\u200c'’-]+")  # Arabic marks (shadda) inside words
_LATIN_CAPITAL = re.compile(r"[A-Z\u00c0-\u00de]")


def spelled_in(name: str, text: str, min_ratio: float = 80.0) -> bool:
    """Whether ``text`` writes the place ``name`` in some script: a word, or two, with the same consonant
    skeleton, or a close one when both have four consonants or more, or one more final consonant on one
    side."""
    from rapidfuzz import fuzz

    from .textnorm import place_key, skeleton, skeletons

    targets = skeletons(place_key(name))
    if not targets[0]:
        return False
    words = _TOKEN.findall(text)
    for candidate in [*words, *(f"{x} {y}" for x, y in zip(words, words[1:], strict=False))]:
        shape = skeleton(place_key(candidate))
        for target in targets:
            short, long = sorted((shape, target), key=len)
            if shape == target or (len(short) >= 4 and fuzz.ratio(shape, target) >= min_ratio) or (
                    len(short) >= 3 and len(long) == len(short) + 1 and long.startswith(short)):
                return True
    return False


def _lone_capitalised_neighbours(before: str, after: str) -> list[str]:
    """The capitalised word right before and right after a name, each when it stands alone (a given name or
    a surname: "Nancy Okafor", also after an acronym: "TV Nancy Okafor"; not "Paris Design Week")."""
    out = []
    for n, side in enumerate((before.split(" ")[::-1], after.split(" "))):  # nearest word first; "" when a space is next
        word = side[1].rstrip(",.;:!?\"'”’") if len(side) > 1 and side[0] == "" else ""
        beyond = side[2] if len(side) > 2 else ""
        acronym_before = n == 0 and len(beyond) > 1 and beyond.isupper()  # "TV Nancy Okafor": TV is not the name's
        longer_name = bool(_LATIN_CAPITAL.match(beyond)) and not acronym_before
        if word.isalpha() and _LATIN_CAPITAL.match(word) and not longer_name:
            out.append(word)
    return out


RUN_TOGETHER_LETTERS = 15  # an Arabic-script "word" this long is several words whose spaces were lost
RUN_TOGETHER_SHARE = 0.3  # ... and a text with this share of its letters in such words is run together


def runs_words_together(text: str) -> bool:
    """Whether an Arabic-script text lost the spaces between many of its words ("وقالالمدربإنفريقه..."), as
    some published pages do: no word of it can be looked up on its own."""
    from .textnorm import is_arabic_script

    words = [w for w in _TOKEN.findall(text) if is_arabic_script(w)]
    letters = sum(len(w) for w in words)
    return bool(letters) and sum(len(w) for w in words if len(w) >= RUN_TOGETHER_LETTERS) > RUN_TOGETHER_SHARE * letters


def one_sided_place_doubt(shown: list[str], slots: list[Slot], text: str, other_text: str) -> str | None:
    """Why a place named in one claim only may be no place at all, or no drift: the other claim runs its
    words together (where a name cannot be told apart); the other claim writes it in
    another script; it is part of a longer capitalised name (a person: "Nancy Okafor"); it is capitalised
    only as the first word of the sentence; or it is an Arabic-script name of two letters. None when there is
    no such doubt."""
    places = _shown_places(shown, slots)
    if not places:
        return None
    if runs_words_together(other_text):
        return "the other version runs its words together"
    reasons = []
    for slot in places:
        if spelled_in(slot.value, other_text):
            reasons.append("the other version writes it in its own script")
            continue
        at = text.find(slot.text)
        before, after = text[:at] if at >= 0 else "", text[at + len(slot.text):] if at >= 0 else ""
        if _LATIN_CAPITAL.match(slot.text):
            if not _TOKEN.search(before) and sum(c.isascii() for c in text) > 0.8 * len(text):
                reasons.append("capitalised as the first word of the sentence")
            elif any(spelled_in(n, other_text) for n in _lone_capitalised_neighbours(before, after)):
                reasons.append("part of a longer name that the other version writes too (a person)")
            else:
                return None
        elif len(slot.text.replace(" ", "")) <= 2:
            reasons.append("a name of two letters")
        else:
            return None
    return "; ".join(dict.fromkeys(reasons))


def judge(d: Discrepancy, evidence: Evidence, policy: GuardPolicy = DEFAULT_POLICY) -> tuple[bool, str]:
    """Whether a discrepancy is strong enough to fail a build under the policy, and why (or why not)."""
    if d.kind == "negation":
        p = (d.nli or {}).get("contradiction", 0.0)
        if EXCUSED_NOTE in d.note or HIDDEN_NOTE in d.note:
            bar = min(policy.polarity_excused_min_contradiction, policy.nli_min_contradiction)
            if p >= bar:
                return True, f"{d.note}, contradiction {p:.2f} >= {bar:g}"
            return False, f"{d.note}, contradiction {p:.2f} below {bar:g}"
        bar = policy.polarity_clausal_min_contradiction if CLAUSAL_NOTE in d.note else policy.polarity_min_contradiction
        if p >= bar:
            return True, f"{d.note}, contradiction {p:.2f} >= {bar:g}"
        gain = evidence.negation_cosine_gain.get((d.claim_a, d.claim_b or ""))
        if gain is not None and gain >= policy.polarity_min_cosine_gain:
            return True, f"{d.note}; without the negation, cosine +{gain:.3f}"
        check = evidence.negation_check.get((d.claim_a, d.claim_b or ""))
        if check is not None:
            c0, e0, c1, e1 = check
            if c0 - c1 >= policy.polarity_min_contradiction_drop:
                return True, f"{d.note}; without the negation, contradiction {c0:.2f} -> {c1:.2f}"
            if e1 - e0 >= policy.polarity_min_entailment_gain:
                return True, f"{d.note}; without the negation, entailment {e0:.2f} -> {e1:.2f}"
        return False, f"{d.note}, contradiction {p:.2f} below {bar:g}" + (
            "; taking the negation out changes little" if check is not None else "")
    if d.kind == "nli":
        p = (d.nli or {}).get("contradiction", 0.0)
        if p >= policy.nli_min_contradiction:
            return True, f"contradiction {p:.2f} >= {policy.nli_min_contradiction:g}"
        return False, f"contradiction {p:.2f} below {policy.nli_min_contradiction:g}"
    if d.kind == "unmatched":
        if d.claim_a in evidence.partial:
            return False, "part of a sentence whose other part has a counterpart"
        if d.claim_a in evidence.short_counterpart:
            return False, "the other version has a sentence too short to be checked in its place"
        best = evidence.best_cosine.get(d.claim_a)
        gain = evidence.merge_gain.get(d.claim_a)
        if best is not None and best >= policy.unmatched_max_cosine:
            return False, f"a close counterpart exists (cosine {best:.2f} >= {policy.unmatched_max_cosine:g})"
        length_gain = evidence.length_gain.get(d.claim_a)
        if gain is not None and gain > policy.merge_min_gain and (length_gain is None
                                                                   or length_gain >= -policy.merge_max_length_loss):
            return False, "merged into (or split from) a neighbouring sentence"
        if length_gain is not None and length_gain >= policy.merge_min_length_gain and (
                gain is None or gain >= -policy.merge_length_max_cosine_loss):
            return False, "merged into (or split from) a neighbouring sentence: its counterpart is as long as both"
        return True, "no counterpart" + (f" (closest cosine {best:.2f})" if best is not None else "")
    pair = evidence.pairs.get(frozenset((d.claim_a, d.claim_b or "")))
    if pair is None:
        return False, f"{d.kind} compared across claims that are not translations of each other"
    similarity = pair.similarity
    if not (d.values_a and d.values_b):
        if d.kind == "place" and similarity >= policy.one_sided_place_min_similarity:
            named, other = (d.claim_a, d.claim_b) if d.values_a else (d.claim_b, d.claim_a)
            if named in evidence.slots and not known_places(d.values_a or d.values_b, evidence.slots[named]):
                return False, "a place named in one version only, read through a cue word, not a known place"
            named_text, other_text = (d.text_a, d.text_b) if named == d.claim_a else (d.text_b, d.text_a)
            doubt = one_sided_place_doubt(d.values_a or d.values_b, evidence.slots.get(named, []), named_text,
                                          other_text or "")
            if doubt:
                return False, f"a place named in one version only, but {doubt}"
            return True, f"a place named in one version only, on claims that otherwise agree (cosine {similarity:.2f})"
        return False, f"{d.kind} named in one version only"
    if d.kind == "number" and _scale_only(d.values_a, d.values_b):
        return False, "numbers differ only by a scale word (thousand/million)"
    if d.kind == "number" and d.claim_a in evidence.slots and d.claim_b in evidence.slots and not all(
            unpaired_numbers(_claim_numbers(evidence, d.claim_a), _claim_numbers(evidence, d.claim_b))):
        return False, "every number of one claim has its equal in the other (a number more on one side)"
    if d.kind == "number" and all(_spelled_out(values, evidence.slots.get(claim or "", []))
                                  for values, claim in ((d.values_a, d.claim_a), (d.values_b, d.claim_b))):
        return False, "numbers written as words on both sides (counts the number reader may attach to another fact)"
    if d.kind == "place" and d.claim_a in evidence.slots and d.claim_b in evidence.slots and not any(
            known_places(values, evidence.slots[claim]) for values, claim in ((d.values_a, d.claim_a),
                                                                              (d.values_b, d.claim_b))):
        return False, "neither place is a known place (words read as places through a cue word)"
    if similarity < policy.slot_min_similarity:
        return False, f"claims aligned loosely (cosine {similarity:.2f} < {policy.slot_min_similarity:g})"
    if UNSUPPORTED_NOTE in d.note and similarity < policy.country_min_similarity:
        return False, f"different countries on claims that differ otherwise (cosine {similarity:.2f})"
    return True, f"{d.kind} differs on aligned claims"


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


def findings_of(report: Report, source_path: Path, fail_on: set[str], min_score: float | None,
                accepted: set[str], evidence: Evidence | None = None,
                policy: GuardPolicy = DEFAULT_POLICY) -> list[Finding]:
    """The report's discrepancies oriented source → translation, with a status each. With no
    --min-score (None) a finding fails when it passes its kind's rule of the guard policy; with one,
    when it scores at least that."""
    evidence = evidence or gather_evidence(report)
    source_doc = next(d for d in report.documents if Path(d.path) == source_path)
    docs = {d.id: d for d in report.documents}
    claims = {c.id: c for c in report.claims}
    tr_doc = next(d for d in report.documents if d.id != source_doc.id)
    out = []
    reported = [d for d in report.discrepancies  # a contradiction on sentences that differ in negation is that negation
                if not (d.kind == "nli" and {d.claim_a, d.claim_b} <= evidence.negation_claims)]
    for view in fingerprinted([*reported, *evidence.polarity]):
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
        if min_score is None:
            strong, why = judge(d, evidence, policy)
        else:
            strong, why = d.score >= min_score, f"score {d.score:.2f} {'>=' if d.score >= min_score else '<'} {min_score:g}"
        if fp in accepted:  # fingerprints accepted for this translation
            status, reason = "accepted", "accepted in the baseline"
        elif d.kind not in fail_on:
            status, reason = "ignored", f"{d.kind} is not in --fail-on"
        else:
            status, reason = ("new" if strong else "ignored"), why
        src_line = claim_line(docs[claims[src_claim].doc_id], claims[src_claim]) if src_claim else None
        tr_line = claim_line(docs[claims[tr_claim].doc_id], claims[tr_claim]) if tr_claim else None
        out.append(Finding(
            fingerprint=fp, kind=d.kind, score=d.score, status=status, file=docs[located.doc_id].path,
            line=claim_line(docs[located.doc_id], located),
            message=_message(d.kind, src_text, tr_text, values_src, values_tr, d.nli, Path(tr_doc.path).name,
                             omission),
            source_text=src_text, translation_text=tr_text, values_source=list(values_src),
            values_translation=list(values_tr), nli=d.nli, reason=reason, source_file=source_doc.path,
            source_line=src_line, translation_file=tr_doc.path, translation_line=tr_line,
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


def to_json(source: Document, results: list[PairResult], fail_on: list[str], min_score: float | None,
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
            "warnings": r.warnings, "findings": [asdict(f) | {"why": explanation(f)} for f in r.findings],
        } for r in results],
        "models": [asdict(m) for m in models],
    }


def explanation(f: Finding) -> str:
    """Why a finding fails the build (or does not): kind, values and line on each side, the rule."""
    verdict = {"new": "fails the build", "accepted": "does not fail (accepted)", "ignored": "does not fail"}[f.status]

    def side(name: str, path: str, line: int | None, values: list[str]) -> str:
        where = f"{Path(path).name}:{line}" if line is not None else "no line"
        return f"{name} {where}" + (f" [{'; '.join(values)}]" if values else "")

    return (f"{verdict}: {f.kind}; {side('source', f.source_file, f.source_line, f.values_source)}, "
            f"{side('translation', f.translation_file, f.translation_line, f.values_translation)}; {f.reason}")


def to_github(results: list[PairResult]) -> str:
    lines = []
    for r in results:
        for w in r.warnings:
            lines.append(f"::warning file={for_github(r.path, True)}::{for_github(w)}")
        for f in r.findings:
            command = LEVELS[f.status][1]
            title = f"claimcheck {f.kind}" + (" (accepted)" if f.status == "accepted" else "")
            lines.append(f"::{command} file={for_github(f.file, True)},line={f.line},title={for_github(title, True)}"
                         f"::{for_github(f.message + ' ' + explanation(f).capitalize() + '.')}")
    return "\n".join(lines)


def _uri(path: str) -> str:
    """A SARIF artifactLocation.uri: a percent-encoded relative reference, or a file:// URI."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else urllib.parse.quote(p.as_posix(), safe="/")


def to_sarif(results: list[PairResult]) -> dict:
    rule_ids = list(GUARD_KINDS)
    sarif_results = []
    for r in results:
        for f in r.findings:
            other = ((f.source_file, f.source_line) if f.file == f.translation_file
                     else (f.translation_file, f.translation_line))
            sarif_results.append({
                "ruleId": f.kind, "ruleIndex": rule_ids.index(f.kind), "level": LEVELS[f.status][0],
                "message": {"text": f"{f.message} {explanation(f).capitalize()}."},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(f.file)},
                                                    "region": {"startLine": f.line}}}],
                "relatedLocations": [{"id": 1, "physicalLocation": {"artifactLocation": {"uri": _uri(other[0])},
                                                                    "region": {"startLine": other[1]}}}]
                if other[1] is not None and other[0] != f.file else [],
                "partialFingerprints": {"claimcheck/v1": f.fingerprint},
                "baselineState": "unchanged" if f.status == "accepted" else "new",
                "properties": {"score": f.score, "status": f.status, "translation": r.path, "reason": f.reason,
                               "values_source": f.values_source, "values_translation": f.values_translation,
                               "source_line": f.source_line, "translation_line": f.translation_line},
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


def to_text(source: Document, results: list[PairResult], fail_on: list[str], min_score: float | None) -> str:
    rule = "the calibrated rules" if min_score is None else f"score >= {min_score:g}"
    lines = [f"claimcheck ci: {source.path} ({source.language}) against {len(results)} translation(s); "
             f"failing on {', '.join(fail_on)} by {rule}"]
    for r in results:
        counts = {s: sum(f.status == s for f in r.findings) for s in ("new", "accepted", "ignored")}
        head = "FAIL" if r.new else "ok  "
        lines.append(f"{head} {r.path} ({r.language}): {counts['new']} new, {counts['accepted']} accepted, "
                     f"{counts['ignored']} ignored")
        for w in r.warnings:
            lines.append(f"     warning: {w}")
        for f in r.findings:
            lines.append(f"     {f.status:<8} {f.kind:<9} {f.score:.2f}  {f.file}:{f.line}  {f.message}  [{f.fingerprint}]")
            lines.append(f"              why: {explanation(f)}")
    failed = sum(1 for r in results if r.new)
    new = sum(r.new for r in results)
    lines.append(f"result: FAIL ({new} new finding(s) in {failed} translation(s))" if failed else "result: pass")
    return "\n".join(lines)


# ---------------------------------------------------------------- inputs


def parse_kinds(value: str) -> list[str]:
    kinds = [k.strip().lower() for k in value.split(",") if k.strip()]
    if kinds == ["all"]:
        return list(GUARD_KINDS)
    unknown = [k for k in kinds if k not in GUARD_KINDS]
    if unknown or not kinds:
        raise CheckError(f"--fail-on: unknown kind(s) {', '.join(unknown) or '(none given)'} "
                         f"(known: {', '.join(GUARD_KINDS)}, or all)")
    return [k for k in GUARD_KINDS if k in kinds]


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


def read_inputs(source: Path, files: list[Path], max_bytes: int,
                cache: ResultCache | None = None) -> tuple[Document, list[Document]]:
    """The source and every translation, each read once; a file that cannot be used is an error
    (a broken translation must not pass silently)."""
    return (read_document(source, max_bytes=max_bytes, cache=cache),
            [read_document(f, max_bytes=max_bytes, cache=cache) for f in files])


def guard_config(config: CheckConfig) -> CheckConfig:
    """The pipeline settings of a CI run: a translation keeps its source's sentence order, so claims are
    aligned in order (split and merged sentences included); country conflicts are kept for the guard
    policy to weigh, and NLI runs on aligned pairs only (the guard fails on nothing else)."""
    return replace(config, align_order=config.align_order or OrderAlignConfig(),
                   compare=replace(config.compare, unsupported_places=True, wide_nli=False))


def check_pair(source: Document, translation: Document, config: CheckConfig, models: Models) -> Report:
    """One pipeline run on the source and one translation (copies: a run assigns datelines and ids)."""
    return check_documents(unique_ids([replace(source), replace(translation)]), guard_config(config), models)


def pair_result(report: Report, source: Document, translation: Document, fail_on: set[str], min_score: float | None,
                accepted: set[str], taken_folders: set[str], evidence: Evidence | None = None,
                policy: GuardPolicy = DEFAULT_POLICY) -> PairResult:
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
                      findings=findings_of(report, Path(source.path), fail_on, min_score, accepted, evidence, policy),
                      warnings=warnings, report=report, folder=folder)


def accepted_for(baseline: dict, translation: Path) -> set[str]:
    """Fingerprints a baseline accepts for a translation (an entry without a translation applies to all)."""
    key = baseline_path(translation)
    return {e["fingerprint"] for e in baseline["accepted"] if e.get("translation") in (None, key)}
