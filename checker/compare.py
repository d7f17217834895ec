"""Stage 5: compare aligned claims: fact-slot conflicts on every aligned pair (dates, numbers,
places); NLI in both directions, batched, on aligned pairs only (a spanning tree of each group plus
the pairs with a fact conflict); and omissions (claims with no counterpart anywhere)."""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .align import ColumnBest, row_tiles
from .cache import ResultCache, data_key, remembered, text_key
from .codedigest import code_digest
from .negation import negations
from .nli import NLIScorer
from .types import (
    DEFAULT_NLI_THRESHOLD,
    MAX_NLI_PAIRS_DEFAULT,
    NLI_LABELS,
    AlignedPair,
    Claim,
    Discrepancy,
    Document,
)

# NLI alone between claims that both state facts (dates, numbers, places) none of which conflict and that
# are negated alike: the facts were compared and agree, so what NLI finds is most often a different
# emphasis; only a strong contradiction is reported (the bar the CI guard sets for failing a build on NLI
# alone)
STRONG_NLI_CONTRADICTION = 0.75
NLI_PAIRS_PER_CLAIM = 2.0  # NLI budget: pairs per claim, two evaluations each (both directions)
CANDIDATE_SLACK = 0.05  # candidates may sit this far below the alignment's cosine floor
ANCHOR_SLACK = 0.10  # ... and further when they share a fact anchor (a place, a kind of quantity)


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
    # NLI also on wider candidates (claims that are not translations of each other but share a fact)
    wide_nli: bool = True
    # run-wide cap on the pairs NLI runs on (two evaluations each), for huge inputs; None: no cap
    max_nli_pairs: int | None = MAX_NLI_PAIRS_DEFAULT
    # the status of the event (planned / begun / completed) compared too, with the fact slots
    status: bool = True


def same_polarity(a: Claim, b: Claim, languages: dict[str, str] | None = None) -> bool:
    """Whether both claims hold a negation cue, or neither (``languages``: document id -> language, for
    claims that carry none of their own)."""
    languages = languages or {}
    lang_a = a.language or languages.get(a.doc_id, "")
    lang_b = b.language or languages.get(b.doc_id, "")
    return (negations(a.text, lang_a) > 0) == (negations(b.text, lang_b) > 0)


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


def cap_nli_pairs(tiers: list[list[AlignedPair]], cap: int,
                  values_differ: Callable[[AlignedPair], bool]) -> list[AlignedPair]:
    """At most ``cap`` pairs: whole tiers in priority order and, from the tier the cap cuts into, the pairs
    whose values differ first, then the least similar (the likeliest to disagree)."""
    kept: list[AlignedPair] = []
    for tier in tiers:
        room = cap - len(kept)
        if len(tier) > room:
            kept += sorted(tier, key=lambda p: (not values_differ(p), p.similarity))[:room]
            break
        kept += tier
    return kept


def _anchor_keys(slots: list) -> set[str]:
    """What two claims may both be about: a place, or a kind of quantity (its unit)."""
    keys = set()
    for slot in slots:
        if slot.kind == "place":
            keys.add("p:" + slot.value)
        elif slot.kind == "number" and slot.unit:
            keys.add("u:" + slot.unit)
    return keys


def candidate_pairs(documents: list[Document], claims: list[Claim], vectors: dict[str, np.ndarray] | None,
                    slots: SlotsPerClaim, excluded: set[str], min_cosine: float,
                    cache: ResultCache | None = None) -> list[AlignedPair]:
    """Pairs worth comparing beyond translation alignment, from each claim to each other version: its most
    similar claim, and for each of its fact anchors (a place, a kind of quantity) the most similar claim
    sharing that anchor (the first in reading order on a tie); above a cosine floor a little under the
    alignment's own. Versions set aside take no part. Similarities are computed a tile of rows at a time,
    as the alignment does, never as a whole matrix; the pairs of two versions are kept in ``cache``."""
    if not vectors:
        return []
    rows: dict[str, list[Claim]] = {}
    for claim in claims:
        if claim.doc_id not in excluded:
            rows.setdefault(claim.doc_id, []).append(claim)
    anchors = {c.id: _anchor_keys(slots[c]) for cs in rows.values() for c in cs}
    embedded = {doc_id: np.stack([vectors[c.id] for c in cs]) for doc_id, cs in rows.items()}
    found: dict[tuple[str, str], float] = {}
    docs = [d.id for d in documents if d.id in rows]
    kind = "candidates\0" + code_digest(Path(__file__))
    inputs = {doc_id: data_key(embedded[doc_id], json.dumps([sorted(anchors[c.id]) for c in cs]))
              for doc_id, cs in rows.items()} if cache is not None else {}
    for n, doc_a in enumerate(docs):
        for doc_b in docs[n + 1:]:
            ca, cb = rows[doc_a], rows[doc_b]
            args = (embedded[doc_a], embedded[doc_b], [anchors[c.id] for c in ca], [anchors[c.id] for c in cb],
                    min_cosine)
            key = data_key(inputs.get(doc_a, b""), inputs.get(doc_b, b""), repr(min_cosine))
            for i, j, cos in remembered(cache, kind, key, lambda args=args: _nearest_and_anchored(*args)):
                found[(ca[i].id, cb[j].id)] = cos
    position = {c.id: n for n, c in enumerate(claims)}
    return [AlignedPair(a, b, cos, 0.0, False)
            for (a, b), cos in sorted(found.items(), key=lambda kv: (position[kv[0][0]], position[kv[0][1]]))]


_SENTENCE_FINAL = re.compile(r"[.!?؟。…][\"'”’»)\]]*\s*$")


def is_sentence(claim: Claim) -> bool:
    """Whether a claim comes from a full sentence (ending in a full stop) rather than a headline."""
    return bool(_SENTENCE_FINAL.search(claim.sentence or claim.text))


def _key_members(anchors: list[set[str]]) -> dict[str, np.ndarray]:
    """Anchor key -> the (ascending) indices of the claims that have it."""
    members: dict[str, list[int]] = {}
    for n, keys in enumerate(anchors):
        for key in keys:
            members.setdefault(key, []).append(n)
    return {key: np.asarray(found) for key, found in members.items()}


def _nearest_and_anchored(emb_a: np.ndarray, emb_b: np.ndarray, anchors_a: list[set[str]],
                          anchors_b: list[set[str]], min_cosine: float) -> list[tuple[int, int, float]]:
    """(i, j, rounded cosine) of the candidate pairs between two versions, in both directions: each
    claim's nearest claim in the other version (at least min_cosine - CANDIDATE_SLACK) and, per anchor
    key, its nearest claim with that key (at least min_cosine - ANCHOR_SLACK)."""
    near_floor, anchor_floor = min_cosine - CANDIDATE_SLACK, min_cosine - ANCHOR_SLACK
    keys_a, keys_b = _key_members(anchors_a), _key_members(anchors_b)
    shared = sorted(keys_a.keys() & keys_b.keys())
    dtype = np.result_type(emb_a, emb_b)
    nearest_a = ColumnBest(len(emb_b), dtype)  # nearest claim of a for each claim of b
    anchored_a = {key: ColumnBest(len(keys_b[key]), dtype) for key in shared}
    picks: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []  # (i, j, cosine, floor) arrays
    for start, end in row_tiles(len(emb_a)):
        sim = emb_a[start:end] @ emb_b.T
        rows = np.arange(start, end)
        nearest_b = sim.argmax(axis=1)
        picks.append((rows, nearest_b, sim[rows - start, nearest_b], near_floor))
        nearest_a.update(sim, rows)
        for key in shared:
            members_a = keys_a[key][(keys_a[key] >= start) & (keys_a[key] < end)]
            if not len(members_a):
                continue
            members_b = keys_b[key]
            sub = sim[np.ix_(members_a - start, members_b)]
            best = sub.argmax(axis=1)
            picks.append((members_a, members_b[best], sub[np.arange(len(members_a)), best], anchor_floor))
            anchored_a[key].update(sub, members_a)
    columns = np.arange(len(emb_b))
    picks.append((nearest_a.row, columns, nearest_a.score, near_floor))
    for key, running in anchored_a.items():
        picks.append((running.row, keys_b[key], running.score, anchor_floor))
    found = []
    for i, j, cos, floor in picks:
        kept = cos >= floor
        found += zip(i[kept].tolist(), j[kept].tolist(), cos[kept].tolist(), strict=True)
    return [(i, j, round(cos, 4)) for i, j, cos in found]


def _units(values: list[str]) -> set[str]:
    """The units numbers are compared in ("" for none)."""
    from .slots.compare import base_unit

    return {base_unit(v.split(" ", 1)[1]) or "" if " " in v else "" for v in values}


def _same_fact(item: Discrepancy, wide: bool, threshold: float, same_place: bool = False) -> bool:
    """Whether a slot finding compares one fact. Numbers must share a unit (a count of people against a
    distance is two facts, not a conflict). A wider candidate (not a translation) reports value conflicts
    only: numbers sharing a named unit, or dates of claims naming one place or with NLI contradiction
    agreeing."""
    if item.kind == "number" and item.values_a and item.values_b:
        common = _units(item.values_a) & _units(item.values_b)
        return bool(common) and not (wide and not common - {""})
    if not wide or item.kind == "status":  # a status conflict asked for a shared place or date itself
        return True
    if item.kind == "place" or not (item.values_a and item.values_b):
        return False
    return (item.kind == "date" and same_place) or (
        bool(item.nli) and item.nli["contradiction"] >= threshold)  # type: ignore[index]


def fact_table(found: list[Discrepancy], documents: list[Document],
               similarity: dict[tuple[str, str], tuple[int, int, float]] | None = None) -> list[Discrepancy]:
    """Value conflicts reduced to one finding per dissenting version and value of each fact.

    For each kind of fact the table records which versions state which value (a number's value names its
    unit).
    In each conflict the side whose value fewer versions state is the dissenting one (on a tie, the later
    version); each dissenting version keeps one finding per value it gives: the conflict between full
    sentences rather than headlines (a headline abbreviates what its report states in full), then with
    the claim that shares most anchors (places, kinds of quantity) with its own, then the most similar
    one, i.e. the likeliest statement of the same fact (``similarity``: (full sentences, shared anchors,
    cosine) per claim pair). Values equal across granularity, calendar, script or unit were already made
    one by the slot comparison."""
    order = {d.id: n for n, d in enumerate(documents)}
    similarity = similarity or {}
    support: dict[tuple[str, str], set[str]] = {}  # (kind, value) -> the versions stating it
    for item in found:
        for doc, values in ((item.doc_a, item.values_a), (item.doc_b or "", item.values_b)):
            for value in values:
                support.setdefault((item.kind, value), set()).add(doc)

    def weight(kind: str, values: list[str]) -> int:
        return max((len(support[(kind, v)]) for v in values), default=0)

    ranked: list[tuple[tuple, Discrepancy, str, list[str], list[str]]] = []
    for item in found:
        wa, wb = weight(item.kind, item.values_a), weight(item.kind, item.values_b)
        a_dissents = wa < wb or (wa == wb and order[item.doc_a] > order[item.doc_b or item.doc_a])
        doc, values, others = ((item.doc_a, item.values_a, item.values_b) if a_dissents
                               else (item.doc_b or "", item.values_b, item.values_a))
        rank = (*similarity.get((item.claim_a, item.claim_b or ""), (0, 0, 0.0)), item.score,
                -order[item.doc_a], -order[item.doc_b or item.doc_a])
        ranked.append((rank, item, doc, values, others))
    kept = []
    covered: set[tuple[str, str, str]] = set()  # (dissenting version, kind, value) already shown
    for _, item, doc, values, others in sorted(ranked, key=lambda r: r[0], reverse=True):
        new = {(doc, item.kind, v) for v in values} - covered
        if not new:
            continue
        covered |= new
        sides = []
        for vals in (others, values):
            docs = sorted(set().union(*(support[(item.kind, v)] for v in vals)), key=order.__getitem__)
            sides.append(f"{len(docs)} version{'s' if len(docs) > 1 else ''} ({', '.join(docs)}): {', '.join(vals)}")
        item.note = (item.note + "; " if item.note else "") + "; ".join(sides)
        kept.append(item)
    return kept


def _without_values_stated_by_both(item: Discrepancy, stated: dict[str, set[tuple[str, str]]]) -> Discrepancy | None:
    """A value conflict between claims that are not translations of each other, without the values that
    the other version states too in any of its claims (``stated``: (kind, value) per version): those are
    no disagreement between the two versions, the claims paired speak of different facts (a report
    giving the dates of both phases does not contradict one giving either). None when a side is left
    empty."""
    a = [v for v in item.values_a if (item.kind, v) not in stated.get(item.doc_b or "", set())]
    b = [v for v in item.values_b if (item.kind, v) not in stated.get(item.doc_a, set())]
    if not a or not b:
        return None
    item.values_a, item.values_b = a, b
    return item


class SlotsPerClaim:
    """Fact slots of each claim, extracted once however many pairs the claim is in; with a result cache,
    ``prefetch`` reads those of earlier runs and keeps the new ones."""

    def __init__(self, documents: list[Document], cache: ResultCache | None = None) -> None:
        self._docs = {d.id: d for d in documents}
        self._found: dict[str, list] = {}
        self._cache = cache

    def _source(self, claim: Claim) -> tuple[str, str, dt.date | None]:
        """What extraction reads: the text, its language and the reference date."""
        doc = self._docs[claim.doc_id]
        return claim.text, claim.language or doc.language, doc.reference_date

    def key(self, claim: Claim) -> bytes:
        """What a claim's slots are kept under: a hash of its text, language and reference date."""
        text, language, day = self._source(claim)
        return text_key(language, day.isoformat() if day else "", text)

    def __getitem__(self, claim: Claim) -> list:
        if claim.id not in self._found:
            from .slots import extract_slots

            self._found[claim.id] = extract_slots(*self._source(claim))
        return self._found[claim.id]

    def prefetch(self, claims: list[Claim]) -> SlotsPerClaim:
        """The slots of ``claims`` at once: read from the result cache where it holds them, else extracted
        and kept there (a claim's text, language and reference date are the key)."""
        if self._cache is None:
            return self
        return self.start_prefetch(claims, background=False)()

    def start_prefetch(self, claims: list[Claim], background: bool = True) -> Callable[[], SlotsPerClaim]:
        """``prefetch`` in two halves: the slots the result cache holds are read now, the others are
        extracted in a thread while the caller goes on (embedding: the models leave the interpreter
        free while they compute). The function returned waits for them, keeps them in the cache and
        returns this object. Without a cache every claim's slots are extracted."""
        from .slots.persist import extractor_version, slots_from_json, slots_to_json

        version = "slots\0" + extractor_version()
        todo = {claim.id: (claim, self.key(claim)) for claim in claims if claim.id not in self._found}
        stored = self._cache.get_derived(version, list(dict.fromkeys(key for _, key in todo.values()))) \
            if self._cache is not None else {}
        missing: list[tuple[Claim, bytes]] = []
        for claim, key in todo.values():
            try:
                self._found[claim.id] = slots_from_json(stored[key])
            except (KeyError, ValueError, TypeError):  # not kept yet, or damaged: extracted
                missing.append((claim, key))
        extracted: dict[str, list] = {}
        failed: list[BaseException] = []

        def extract() -> None:
            from .slots import extract_slots

            try:
                for claim, _ in missing:
                    extracted[claim.id] = extract_slots(*self._source(claim))
            except BaseException as exc:  # raised again by the caller's thread
                failed.append(exc)

        worker = threading.Thread(target=extract, name="claimcheck-slots", daemon=True) \
            if background and missing else None
        if worker is not None:
            worker.start()

        def finish() -> SlotsPerClaim:
            if worker is None:
                extract()
            else:
                worker.join()
            if failed:
                raise failed[0]
            self._found.update(extracted)
            if self._cache is not None:
                self._cache.put_derived(version, ((key, slots_to_json(extracted[claim.id])) for claim, key in missing))
            return self

        return finish


def slot_conflicts(documents: list[Document], pairs: list[tuple[Claim, Claim]], slots: SlotsPerClaim,
                   cache: ResultCache | None = None, places: bool = True,
                   translations: set[tuple[str, str]] | None = None) -> dict[tuple[str, str], list]:
    """Fact-slot conflicts of claim pairs (claim ids -> ``compare_slots``' conflicts, pairs without any left
    out), a place named anywhere in a version counting as named in its claims; with ``places=False``
    conflicts of dates and numbers only (``anchor.value_conflicts``). With ``translations`` (the claim ids
    of aligned pairs) also conflicts of the events' status, a pair in it read as a translation. ``cache``
    keeps those of all the pairs at once, under the claims' slot keys and languages (and the versions'
    texts)."""
    from .anchor import value_conflicts
    from .slots import compare_slots
    from .slots.compare import forget_versions
    from .slots.persist import conflicts_from_json, conflicts_to_json, extractor_version

    story = {d.id: d.raw[d.body_start:] for d in documents} if places else {}
    languages = {d.id: d.language for d in documents}

    def compare_all() -> list[list]:
        if not places:
            found = value_conflicts(pairs, slots.__getitem__)
            return [[n, conflicts_to_json(found[(a.id, b.id)])] for n, (a, b) in enumerate(pairs) if (a.id, b.id) in found]
        kept = []
        statuses: dict[str, object] = {}
        for n, (claim_a, claim_b) in enumerate(pairs):
            conflicts = compare_slots(slots[claim_a], slots[claim_b], claim_a.text, claim_b.text,
                                      story[claim_a.doc_id], story[claim_b.doc_id])
            if translations is not None:
                conflicts += _status_conflicts(claim_a, claim_b, slots, languages,
                                               (claim_a.id, claim_b.id) in translations, statuses)
            if conflicts:
                kept.append([n, conflicts_to_json(conflicts)])
        forget_versions()
        return kept

    if cache is None:
        found = compare_all()
    else:
        status = "" if translations is None else "".join(
            f"{a.language or languages[a.doc_id]}|{b.language or languages[b.doc_id]}|{(a.id, b.id) in translations:d};"
            for a, b in pairs)
        key = data_key(b"".join(slots.key(a) + slots.key(b) for a, b in pairs), status,
                       *(part for doc_id in sorted(story) for part in (doc_id, story[doc_id])))
        kind = ("slot-conflicts\0" if places else "value-conflicts\0") + extractor_version()
        found = remembered(cache, kind, key, compare_all)
    return {(pairs[n][0].id, pairs[n][1].id): conflicts_from_json(rows) for n, rows in found}


def _status_conflicts(claim_a: Claim, claim_b: Claim, slots: SlotsPerClaim, languages: dict[str, str],
                      translation: bool, statuses: dict[str, object]) -> list:
    """Whether two claims report one event at different stages (planned / begun / completed);
    ``statuses`` keeps each claim's status (claim id -> status) across calls."""
    from .slots.status import claim_status, status_conflicts

    for claim in (claim_a, claim_b):
        if claim.id not in statuses:
            statuses[claim.id] = claim_status(claim.text, claim.language or languages[claim.doc_id])
    return status_conflicts(statuses[claim_a.id], statuses[claim_b.id], slots[claim_a], slots[claim_b],
                            claim_a.text, claim_b.text, translation)


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
            note = conflict.note
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
                   encoder_name: str | None = None, set_aside: dict[str, dict] | None = None,
                   min_cosine: float = 0.80, stats: dict[str, int] | None = None,
                   slots: SlotsPerClaim | None = None,
                   cache: ResultCache | None = None) -> tuple[list[Discrepancy], dict[str, float]]:
    """All discrepancies, most severe first, and the documents set aside (id -> aligned fraction).

    ``set_aside`` (from :func:`checker.anchor.off_event_documents`) names the versions about another event;
    without it they are found here. Claims are compared along their alignment and along wider candidates
    (the most similar claims of each other version, claims sharing a fact anchor); value conflicts are
    then reduced to one finding per dissenting version of each fact. ``slots``: fact slots already
    extracted against the documents' reference dates, to reuse. ``cache``: where the wider candidates and
    the slot conflicts along all pairs are kept for a re-run of the same claims."""
    by_id = {c.id: c for c in claims}
    threshold = nli_threshold(config, nli)
    slots = slots or SlotsPerClaim(documents)
    if set_aside is None:
        from .anchor import off_event_documents

        set_aside = off_event_documents(documents, claims, pairs, slots.__getitem__, vectors)
    off_topic = {doc_id: float(info.get("aligned", 0.0)) for doc_id, info in set_aside.items()}  # type: ignore[arg-type]
    all_pairs = pairs
    # a version about another story or event is flagged as a whole; its chance alignments are not compared
    pairs = [p for p in pairs if by_id[p.claim_a].doc_id not in off_topic and by_id[p.claim_b].doc_id not in off_topic]
    aligned_keys = {(p.claim_a, p.claim_b) for p in pairs}
    candidates = pairs + [p for p in candidate_pairs(documents, claims, vectors, slots, set(off_topic), min_cosine,
                                                     cache) if (p.claim_a, p.claim_b) not in aligned_keys]
    conflicts: dict[tuple[str, str], list] = {}
    languages = {d.id: d.language for d in documents}
    if config.slots:
        conflicts = slot_conflicts(documents, [(by_id[p.claim_a], by_id[p.claim_b]) for p in candidates], slots, cache,
                                   translations=aligned_keys if config.status else None)
    verdicts: dict[tuple[str, str], dict[str, float]] = {}
    if nli:
        # the group trees, then pairs with a fact conflict (most severe first) so their cards carry NLI
        # evidence too, then the closest candidates, within a budget of NLI_PAIRS_PER_CLAIM pairs (two
        # NLI calls each) per claim
        tree = nli_pairs(pairs, claims)
        in_tree = {(p.claim_a, p.claim_b) for p in tree}
        extra = [p for p in candidates if (p.claim_a, p.claim_b) in conflicts and (p.claim_a, p.claim_b) not in in_tree]
        extra.sort(key=lambda p: -max(c.score for c in conflicts[(p.claim_a, p.claim_b)]))
        chosen = {(p.claim_a, p.claim_b) for p in extra} | in_tree
        rest = sorted((p for p in candidates if (p.claim_a, p.claim_b) not in chosen), key=lambda p: -p.similarity)
        if not config.wide_nli:
            extra = [p for p in extra if (p.claim_a, p.claim_b) in aligned_keys]
            rest = [p for p in rest if (p.claim_a, p.claim_b) in aligned_keys]
        tiers, room = [], max(len(tree), int(NLI_PAIRS_PER_CLAIM * len(claims)))
        for tier in (tree, extra, rest):
            tiers.append(tier[:room])
            room -= len(tiers[-1])
        planned = sum(len(tier) for tier in tiers)
        if config.max_nli_pairs is not None and planned > config.max_nli_pairs:
            checked = cap_nli_pairs(tiers, config.max_nli_pairs, lambda p: any(
                c.values_a and c.values_b for c in conflicts.get((p.claim_a, p.claim_b), [])))
        else:
            checked = [p for tier in tiers for p in tier]
        verdicts = {(v.pair.claim_a, v.pair.claim_b): v.worst
                    for v in run_nli(nli, checked, by_id, vectors, encoder_name)}
        if stats is not None:
            stats.update(nli_pairs_planned=planned, nli_pairs=len(checked))
    if stats is not None:
        stats.update(nli_evaluations=2 * len(verdicts), candidate_pairs=len(candidates))
    stated: dict[str, set[tuple[str, str]]] = {}  # the values each version gives, in any of its claims
    for claim in claims:
        if claim.doc_id not in off_topic:
            stated.setdefault(claim.doc_id, set()).update((slot.kind, slot.value) for slot in slots[claim])
    found: list[Discrepancy] = []
    value_found: list[Discrepancy] = []
    for pair in candidates:
        claim_a, claim_b = by_id[pair.claim_a], by_id[pair.claim_b]
        verdict = verdicts.get((pair.claim_a, pair.claim_b))
        if (pair.claim_a, pair.claim_b) in aligned_keys:
            pair.nli = verdict
        slot_found = _slot_discrepancies(conflicts.get((pair.claim_a, pair.claim_b), []), verdict, claim_a, claim_b,
                                         threshold, config.unsupported_places)
        wide = (pair.claim_a, pair.claim_b) not in aligned_keys
        same_place = wide and any(k.startswith("p:") for k in _anchor_keys(slots[claim_a]) & _anchor_keys(slots[claim_b]))
        slot_found = [d for d in slot_found if _same_fact(d, wide, threshold, same_place)]
        if wide:
            slot_found = [d for d in (_without_values_stated_by_both(x, stated) if x.values_a and x.values_b else x
                                      for x in slot_found) if d is not None]
        value_found.extend(d for d in slot_found if d.values_a and d.values_b)
        found.extend(d for d in slot_found if not (d.values_a and d.values_b))
        # NLI alone speaks for translations only: two different statements of one story often "contradict";
        # a status conflict leaves NLI its say
        if verdict and not any(d.kind != "status" for d in slot_found) and not wide:
            bar = (max(threshold, STRONG_NLI_CONTRADICTION)
                   if config.slots and slots[claim_a] and slots[claim_b] and same_polarity(claim_a, claim_b, languages)
                   else threshold)
            if verdict["contradiction"] >= bar:
                found.append(Discrepancy(
                    id="", kind="nli", doc_a=claim_a.doc_id, doc_b=claim_b.doc_id, claim_a=claim_a.id,
                    claim_b=claim_b.id, text_a=claim_a.text, text_b=claim_b.text, nli=verdict,
                    score=round(0.9 * verdict["contradiction"], 4),
                ))
    closeness = {(p.claim_a, p.claim_b): (is_sentence(by_id[p.claim_a]) + is_sentence(by_id[p.claim_b]),
                                          len(_anchor_keys(slots[by_id[p.claim_a]]) & _anchor_keys(slots[by_id[p.claim_b]])),
                                          p.similarity) for p in candidates}
    found.extend(fact_table([d for d in value_found if d.kind != "status"], documents, closeness))
    if any(d.kind == "status" for d in value_found):  # one table per event: statuses are the same few words
        from .slots.status import status_events

        for event in status_events([d for d in value_found if d.kind == "status"]):
            found.extend(fact_table(event, documents, closeness))
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
