import tracemalloc

import numpy as np
import pytest

from checker import align
from checker.align import AlignConfig, align_documents, group_claims, margin_scores
from checker.types import AlignedPair, Claim


def _claims(doc: str, n: int) -> list[Claim]:
    return [Claim(id=f"{doc}#{i + 1}", doc_id=doc, text=f"t{i}", start=0, end=1) for i in range(n)]


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _noisy_copies(base: np.ndarray, rng: np.random.Generator, offset: float) -> np.ndarray:
    """Compressed-similarity embeddings: a shared offset (same story) plus small per-claim noise."""
    return _unit(base + offset + rng.normal(scale=0.05, size=base.shape))


def test_margin_divides_by_neighbourhood_average():
    sim = np.array([[0.9, 0.5], [0.5, 0.7]])
    margin = margin_scores(sim, k=2)
    # row 0 neighbourhood 0.7, column 0 neighbourhood 0.7 → 0.9 / 0.7
    assert np.isclose(margin[0, 0], 0.9 / 0.7)
    assert margin[0, 0] > margin[0, 1]


def test_translations_align_one_to_one_despite_compressed_scores():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(6, 16))
    emb_a = _noisy_copies(base, rng, 3.0)
    emb_b = _noisy_copies(base[::-1], rng, 3.0)  # same claims, reversed order
    pairs = align_documents(_claims("a", 6), emb_a, _claims("b", 6), emb_b, AlignConfig(min_cosine=0.0))
    assert [(p.claim_a, p.claim_b) for p in pairs] == [(f"a#{i + 1}", f"b#{6 - i}") for i in range(6)]
    assert all(p.mutual for p in pairs)


def test_claim_without_counterpart_stays_unaligned():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(5, 16))
    extra = rng.normal(size=(1, 16))
    emb_a = _noisy_copies(np.vstack([base, extra]), rng, 0.0)
    emb_b = _noisy_copies(base, rng, 0.0)
    pairs = align_documents(_claims("a", 6), emb_a, _claims("b", 5), emb_b, AlignConfig(min_cosine=0.0))
    assert "a#6" not in {p.claim_a for p in pairs}
    assert len(pairs) == 5


def test_min_cosine_rejects_weak_matches():
    rng = np.random.default_rng(2)
    emb_a = _unit(rng.normal(size=(3, 16)))
    emb_b = _unit(rng.normal(size=(3, 16)))
    assert align_documents(_claims("a", 3), emb_a, _claims("b", 3), emb_b, AlignConfig(min_cosine=0.95)) == []


def test_groups_are_connected_components_in_reading_order():
    claims = _claims("a", 2) + _claims("b", 2) + _claims("c", 1)
    pairs = [AlignedPair("a#2", "b#1", 0.9, 1.1, True), AlignedPair("b#1", "c#1", 0.9, 1.1, True),
             AlignedPair("a#1", "b#2", 0.9, 1.1, True)]
    groups = group_claims(pairs, claims)
    assert [g.claims for g in groups] == [["a#1", "b#2"], ["a#2", "b#1", "c#1"]]
    assert [g.id for g in groups] == ["g1", "g2"]


def _reference_alignment(claims_a, emb_a, claims_b, emb_b, config: AlignConfig) -> list[AlignedPair]:
    """The straightforward alignment: the whole similarity matrix, kNN means by full sorts."""
    if not claims_a or not claims_b:
        return []
    sim = emb_a @ emb_b.T
    k_rows, k_cols = max(1, min(config.k, sim.shape[1])), max(1, min(config.k, sim.shape[0]))
    row_knn = np.sort(sim, axis=1)[:, -k_rows:].mean(axis=1)
    col_knn = np.sort(sim, axis=0)[-k_cols:, :].mean(axis=0)
    margin = sim / np.maximum((row_knn[:, None] + col_knn[None, :]) / 2.0, 1e-6)
    best_b, best_a = margin.argmax(axis=1), margin.argmax(axis=0)
    pairs, seen = [], set()
    candidates = [(i, int(j)) for i, j in enumerate(best_b)] + [(int(i), j) for j, i in enumerate(best_a)]
    for i, j in candidates:
        mutual = bool(best_b[i] == j and best_a[j] == i)
        m, cos = float(margin[i, j]), float(sim[i, j])
        if (i, j) in seen or cos < config.min_cosine:
            continue
        if (mutual and m >= config.min_margin) or m >= config.one_way_margin:
            seen.add((i, j))
            pairs.append(AlignedPair(claims_a[i].id, claims_b[j].id, round(cos, 4), round(m, 4), mutual))
    return sorted(pairs, key=lambda p: (int(p.claim_a.split("#")[1]), int(p.claim_b.split("#")[1])))


@pytest.mark.parametrize(("n_a", "n_b", "k"), [(1, 1, 4), (1, 7, 4), (7, 1, 4), (3, 2, 10), (40, 35, 4),
                                               (35, 40, 9), (1300, 260, 4), (700, 1100, 1), (1030, 5, 20)])
def test_tiled_alignment_equals_whole_matrix(n_a: int, n_b: int, k: int) -> None:
    """Same pairs, cosines, margins, mutual flags and order as the whole-matrix computation, with several
    row tiles when document a is longer than two tiles."""
    rng = np.random.default_rng(n_a * 7919 + n_b)
    base = rng.normal(size=(max(n_a, n_b), 24))
    emb_a = _noisy_copies(base[rng.permutation(len(base))[:n_a]], rng, 1.0)
    emb_b = _noisy_copies(base[rng.permutation(len(base))[:n_b]], rng, 1.0)
    config = AlignConfig(k=k, min_cosine=0.0, min_margin=1.0, one_way_margin=1.01)
    claims_a, claims_b = _claims("a", n_a), _claims("b", n_b)
    expected = _reference_alignment(claims_a, emb_a, claims_b, emb_b, config)
    assert align_documents(claims_a, emb_a, claims_b, emb_b, config) == expected
    assert expected  # the thresholds let pairs through, so the comparison compares something


@pytest.mark.parametrize("tile_rows", [1, 2, 3, 5, 64])
@pytest.mark.parametrize(("n_a", "n_b", "k"), [(1, 6, 4), (6, 1, 4), (9, 9, 4), (23, 11, 3), (11, 23, 12)])
def test_tiled_alignment_keeps_ties_of_the_whole_matrix(monkeypatch, tile_rows: int, n_a: int, n_b: int,
                                                        k: int) -> None:
    """Small-integer embeddings with repeated rows make exact ties everywhere (in the kNN means, in the
    best match of a row and of a column across tiles): the first index wins, as with the whole matrix."""
    monkeypatch.setattr(align, "TILE_ROWS", tile_rows)
    rng = np.random.default_rng(n_a * 31 + n_b + tile_rows)
    emb_a = rng.integers(0, 3, size=(n_a, 4)).astype(np.float32)
    emb_b = rng.integers(0, 3, size=(n_b, 4)).astype(np.float32)
    emb_a[n_a // 2:] = emb_a[:n_a - n_a // 2]  # repeated rows: ties in the best row of a column
    for config in (AlignConfig(k=k, min_cosine=-1.0, min_margin=0.0, one_way_margin=0.0),
                   AlignConfig(k=k, min_cosine=1.0, min_margin=1.0, one_way_margin=1.2)):
        claims_a, claims_b = _claims("a", n_a), _claims("b", n_b)
        expected = _reference_alignment(claims_a, emb_a, claims_b, emb_b, config)
        assert align_documents(claims_a, emb_a, claims_b, emb_b, config) == expected


def test_alignment_memory_stays_bounded_for_long_documents() -> None:
    """5,000 × 5,000 claims: the whole similarity matrix alone would take 100 MB, its sorts twice more."""
    rng = np.random.default_rng(5)
    n, dim = 5000, 384
    base = rng.normal(size=(n, dim)).astype(np.float32)
    emb_a = _unit(base + rng.normal(scale=0.3, size=base.shape).astype(np.float32))
    emb_b = _unit(base[::-1] + rng.normal(scale=0.3, size=base.shape).astype(np.float32))
    del base
    tracemalloc.start()
    try:
        pairs = align_documents(_claims("a", n), emb_a, _claims("b", n), emb_b, AlignConfig(min_cosine=0.0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 * 1024 * 1024, peak / 2**20
    assert sum(p.claim_b == f"b#{n - int(p.claim_a[2:]) + 1}" for p in pairs) > 0.95 * n
