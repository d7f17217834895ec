"""Stage 5: compare aligned claims: fact-slot conflicts on every aligned pair (dates, numbers,
places); NLI in both directions, batched, on aligned pairs only (a spanning tree of each group plus
the pairs with a fact conflict); and omissions (claims with no counterpart anywhere)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from .nli import NLIScorer
from .types import NLI_LABELS, AlignedPair, Claim, Discrepancy, Document

OFF_TOPIC_MAX_ALIGNED = 0.2  # a document with fewer aligned claims than this is reported as off-topic
OFF_TOPIC_MIN_CLAIMS = 5


DEFAULT_NLI_THRESHOLD = 0.65  # for NLI models that carry no calibrated threshold of their own


@dataclass(frozen=True)
class CompareConfig:
    # contradiction probability (the more contradicting direction) to report a pair; None: the NLI
    # model's own threshold, chosen on its validation split (``threshold`` in its config)
    nli_threshold: float | None = None
    slots: bool = True
    unmatched: bool = True
    # report country conflicts that NLI does not support too (noted as such), for callers that
    # weigh the evidence themselves (``claimcheck ci``)
    unsupported_places: bool = False


def nli_threshold(config: CompareConfig, nli: NLIScorer | None) -> float:
    """The contradiction threshold in force: the configured one, else the model's calibrated one."""
    if config.nli_threshold is not None:
        return config.nli_threshold
    return float(getattr(nli, "threshold", None) or DEFAULT_NLI_THRESHOLD)


@dataclass
class PairVerdict:
    pair: AlignedPair
    forward: np.ndarray  # P(label | premise=a, hypothesis=b)
    backward: np.ndarray  # P(label | premise=b, hypothesis=a)

    @property
    def worst(self) -> dict[str, float]:
        """Probabilities of the direction that contradicts more (contradiction is symmetric, the
        models' errors are not)."""
        probs = self.forward if self.forward[2] >= self.backward[2] else self.backward
        return {label: round(float(p), 4) for label, p in zip(NLI_LABELS, probs, strict=True)}


def run_nli(nli: NLIScorer, pairs: list[AlignedPair], claims: dict[str, Claim],
            vectors: dict[str, np.ndarray] | None = None, encoder_name: str | None = None) -> list[PairVerdict]:
    """One batched call over both directions of every aligned pair. A scorer that works on sentence
    embeddings of the same encoder reuses the alignment embeddings instead of encoding again."""
    if not pairs:
        return []
    reuse = (vectors is not None and hasattr(nli, "predict_vectors")
             and getattr(nli, "encoder_name", None) == encoder_name)
    if reuse:
        assert vectors is not None
        u = np.stack([vectors[p.claim_a] for p in pairs] + [vectors[p.claim_b] for p in pairs])
        v = np.stack([vectors[p.claim_b] for p in pairs] + [vectors[p.claim_a] for p in pairs])
        probs = nli.predict_vectors(u, v)  # type: ignore[attr-defined]
    else:
        texts_a = [claims[p.claim_a].normalized for p in pairs]
        texts_b = [claims[p.claim_b].normalized for p in pairs]
        probs = nli.predict(texts_a + texts_b, texts_b + texts_a)
    n = len(pairs)
    return [PairVerdict(p, probs[i], probs[n + i]) for i, p in enumerate(pairs)]


def nli_pairs(pairs: list[AlignedPair], claims: list[Claim]) -> list[AlignedPair]:
    """The aligned pairs NLI runs on: a maximum-similarity spanning tree of each group, grown from the
    group's most central claim. A group of n claims costs n - 1 pairs (so NLI stays under 2 calls per
    claim however many versions there are), and every claim is compared with its closest counterpart
    on the way to the centre."""
    position = {c.id: n for n, c in enumerate(claims)}
    edges: dict[str, list[AlignedPair]] = {}
    for pair in pairs:
        edges.setdefault(pair.claim_a, []).append(pair)
        edges.setdefault(pair.claim_b, []).append(pair)
    chosen: list[AlignedPair] = []
    seen: set[str] = set()
    for start in sorted(edges, key=position.__getitem__):
        if start in seen:
            continue
        component, stack = {start}, [start]
        while stack:
            for pair in edges[stack.pop()]:
                for node in (pair.claim_a, pair.claim_b):
                    if node not in component:
                        component.add(node)
                        stack.append(node)
        centre = max(sorted(component, key=position.__getitem__),
                     key=lambda c: sum(p.similarity for p in edges[c]))
        seen.add(centre)
        frontier = [(-p.similarity, position[p.claim_a], position[p.claim_b], p) for p in edges[centre]]
        heapq.heapify(frontier)
        while frontier:
            *_, pair = heapq.heappop(frontier)
            new = pair.claim_b if pair.claim_a in seen else pair.claim_a
            if new in seen:
                continue
            seen.add(new)
            chosen.append(pair)
            for nxt in edges[new]:
                heapq.heappush(frontier, (-nxt.similarity, position[nxt.claim_a], position[nxt.claim_b], nxt))
    return chosen


def off_topic_documents(documents: list[Document], claims: list[Claim], pairs: list[AlignedPair]) -> dict[str, float]:
    """Documents whose claims mostly have no counterpart: likely another story or an older event."""
    aligned = {p.claim_a for p in pairs} | {p.claim_b for p in pairs}
    result = {}
    for doc in documents:
        own = [c for c in claims if c.doc_id == doc.id]
        if len(own) < OFF_TOPIC_MIN_CLAIMS or len(documents) < 3:
            continue
        fraction = sum(c.id in aligned for c in own) / len(own)
        if fraction < OFF_TOPIC_MAX_ALIGNED:
            result[doc.id] = fraction
    return result


class SlotsPerClaim:
    """Fact slots of each claim, extracted once however many pairs the claim is in."""

    def __init__(self, documents: list[Document]) -> None:
        self._docs = {d.id: d for d in documents}
        self._found: dict[str, list] = {}

    def __getitem__(self, claim: Claim) -> list:
        if claim.id not in self._found:
            from .slots import extract_slots

            doc = self._docs[claim.doc_id]
            self._found[claim.id] = extract_slots(claim.text, doc.language, doc.reference_date)
        return self._found[claim.id]


UNSUPPORTED_NOTE = "different countries, not supported by NLI"


def _slot_discrepancies(conflicts: list, verdict: dict[str, float] | None, claim_a: Claim, claim_b: Claim,
                        nli_threshold: float, keep_unsupported: bool = False) -> list[Discrepancy]:
    contradiction = verdict["contradiction"] if verdict else 0.0
    found = []
    for conflict in conflicts:
        unsupported = conflict.needs_support and contradiction < nli_threshold
        if unsupported and not keep_unsupported:
            continue
        if unsupported:  # weak evidence on its own: ranked below supported conflicts
            score = 0.45 + 0.10 * contradiction
            note = UNSUPPORTED_NOTE
        elif conflict.values_a and conflict.values_b:
            # a value-level conflict ranks above NLI alone; NLI agreement raises it further
            score = min(1.0, 0.55 + 0.35 * conflict.score + 0.10 * contradiction)
            note = ""
        else:  # a value named in one version only: an omission or addition, ranked below conflicts
            score = 0.35 + 0.10 * contradiction
            note = "named in one version only"
        found.append(Discrepancy(
            id="", kind=conflict.kind, doc_a=claim_a.doc_id, doc_b=claim_b.doc_id, claim_a=claim_a.id,
            claim_b=claim_b.id, text_a=claim_a.text, text_b=claim_b.text,
            values_a=list(conflict.shown_a or conflict.values_a), values_b=list(conflict.shown_b or conflict.values_b), spans_a=[list(s) for s in conflict.spans_a],
            spans_b=[list(s) for s in conflict.spans_b], nli=verdict, score=round(score, 4), note=note,
        ))
    return found


def compare_claims(documents: list[Document], claims: list[Claim], pairs: list[AlignedPair],
                   nli: NLIScorer | None, config: CompareConfig, *, vectors: dict[str, np.ndarray] | None = None,
                   encoder_name: str | None = None) -> tuple[list[Discrepancy], dict[str, float]]:
    """All discrepancies, most severe first, and the off-topic documents (id -> aligned fraction)."""
    by_id = {c.id: c for c in claims}
    threshold = nli_threshold(config, nli)
    off_topic = off_topic_documents(documents, claims, pairs)
    all_pairs = pairs
    # a version about another story or event is flagged as a whole; its chance alignments are not compared
    pairs = [p for p in pairs if by_id[p.claim_a].doc_id not in off_topic and by_id[p.claim_b].doc_id not in off_topic]
    conflicts: dict[tuple[str, str], list] = {}
    if config.slots:
        from .slots import compare_slots

        slots = SlotsPerClaim(documents)
        story = {d.id: d.raw[d.body_start:] for d in documents}  # a place named anywhere in a version counts
        for pair in pairs:
            claim_a, claim_b = by_id[pair.claim_a], by_id[pair.claim_b]
            found_here = compare_slots(slots[claim_a], slots[claim_b], claim_a.text, claim_b.text,
                                       story[claim_a.doc_id], story[claim_b.doc_id])
            if found_here:
                conflicts[(pair.claim_a, pair.claim_b)] = found_here
    verdicts: dict[tuple[str, str], dict[str, float]] = {}
    if nli:
        # the group trees, plus pairs with a fact conflict (most severe first) so their cards carry NLI
        # evidence too, within a budget of 1.5 pairs (3 NLI calls) per claim
        tree = nli_pairs(pairs, claims)
        in_tree = {(p.claim_a, p.claim_b) for p in tree}
        extra = [p for p in pairs if (p.claim_a, p.claim_b) in conflicts and (p.claim_a, p.claim_b) not in in_tree]
        extra.sort(key=lambda p: -max(c.score for c in conflicts[(p.claim_a, p.claim_b)]))
        checked = tree + extra[:max(0, (3 * len(claims)) // 2 - len(tree))]
        verdicts = {(v.pair.claim_a, v.pair.claim_b): v.worst
                    for v in run_nli(nli, checked, by_id, vectors, encoder_name)}
    found: list[Discrepancy] = []
    for pair in pairs:
        claim_a, claim_b = by_id[pair.claim_a], by_id[pair.claim_b]
        verdict = verdicts.get((pair.claim_a, pair.claim_b))
        pair.nli = verdict
        slot_found = _slot_discrepancies(conflicts.get((pair.claim_a, pair.claim_b), []), verdict, claim_a, claim_b,
                                         threshold, config.unsupported_places)
        found.extend(slot_found)
        if verdict and not slot_found and verdict["contradiction"] >= threshold:
            found.append(Discrepancy(
                id="", kind="nli", doc_a=claim_a.doc_id, doc_b=claim_b.doc_id, claim_a=claim_a.id,
                claim_b=claim_b.id, text_a=claim_a.text, text_b=claim_b.text, nli=verdict,
                score=round(0.9 * verdict["contradiction"], 4),
            ))
    if config.unmatched:
        aligned = {p.claim_a for p in all_pairs} | {p.claim_b for p in all_pairs}
        for claim in claims:
            if claim.id in aligned or claim.doc_id in off_topic:
                continue
            found.append(Discrepancy(
                id="", kind="unmatched", doc_a=claim.doc_id, doc_b=None, claim_a=claim.id, claim_b=None,
                text_a=claim.text, text_b=None, score=0.25,
                note="no equivalent claim in any other version (omission or addition)",
            ))
    position = {c.id: n for n, c in enumerate(claims)}
    found.sort(key=lambda d: (-d.score, d.kind, position[d.claim_a],
                              position[d.claim_b] if d.claim_b else -1, d.values_a, d.values_b))
    for n, item in enumerate(found, start=1):
        item.id = f"d{n}"
    return found, off_topic
