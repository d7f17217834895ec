import numpy as np

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
