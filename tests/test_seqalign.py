"""Order-aware alignment of two documents (``checker.seqalign``) on hand-made score matrices and vectors."""

from __future__ import annotations

import numpy as np

from checker.seqalign import OrderAlignConfig, align_beads, align_in_order, gap_pairs, moved_pairs
from checker.types import Claim

HIGH, LOW = 0.92, 0.78  # a translation and an unrelated sentence of the same story, on a 0.8 floor


def diagonal(n: int, m: int | None = None) -> np.ndarray:
    m = n if m is None else m
    sim = np.full((n, m), LOW)
    for k in range(min(n, m)):
        sim[k, k] = HIGH
    return sim


def test_keeps_order_over_a_slightly_better_crossing_match() -> None:
    sim = diagonal(3)
    sim[0, 1] = HIGH + 0.01  # the first sentence resembles the second translated one a bit more
    assert align_beads(sim) == [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]


def test_omission_and_addition_are_skipped_sentences() -> None:
    omitted = np.delete(diagonal(4), 2, axis=1)  # b lacks a_2
    assert align_beads(omitted) == [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), (2,))]
    added = np.delete(diagonal(4), 1, axis=0)  # b_1 has no source
    assert align_beads(added) == [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((2,), (3,))]


def test_no_counterpart_above_the_floor_leaves_both_unmatched() -> None:
    assert sorted(align_beads(np.array([[0.79]]), min_cosine=0.8)) == [((), (0,)), ((0,), ())]
    assert align_beads(np.array([[0.81]]), min_cosine=0.8) == [((0,), (0,))]


def test_split_and_merged_sentences_are_one_bead() -> None:
    # a_1 is split into b_1 + b_2: each half alone matches moderately, joined they match well
    sim = np.array([[HIGH, LOW, LOW, LOW], [LOW, 0.84, 0.83, LOW], [LOW, LOW, LOW, HIGH]])
    joined_b = np.full((3, 3), LOW)
    joined_b[1, 1] = 0.93
    assert align_beads(sim, joined_b=joined_b) == [((0,), (0,)), ((1,), (1, 2)), ((2,), (3,))]
    # the same seen from the other side: a_1 + a_2 merged into b_1
    joined_a = joined_b.T.copy()
    assert align_beads(sim.T.copy(), joined_a=joined_a) == [((0,), (0,)), ((1, 2), (1,)), ((3,), (2,))]


def test_an_added_sentence_is_not_merged_into_its_neighbour() -> None:
    sim = np.array([[HIGH, LOW], [LOW, HIGH], [LOW, LOW]])  # a_2 has no counterpart
    joined_a = np.array([[0.86, LOW], [LOW, 0.90]])  # joining a_2 to a_1 matches b_1 worse than a_1 alone
    assert align_beads(sim, joined_a=joined_a) == [((0,), (0,)), ((1,), (1,)), ((2,), ())]


def test_a_dropped_sentence_is_not_absorbed_into_its_neighbours_bead() -> None:
    sim = np.delete(diagonal(3), 1, axis=1)  # b lacks a_1
    joined_a = np.full((2, 2), LOW)
    joined_a[0, 0] = HIGH + 0.005  # a_0 + a_1 (same story) match b_0 a little better than a_0 alone
    assert align_beads(sim, joined_a=joined_a) == [((0,), (0,)), ((1,), ()), ((2,), (1,))]


def test_empty_sides() -> None:
    assert align_beads(np.zeros((0, 0))) == []
    assert align_beads(np.zeros((2, 0))) == [((0,), ()), ((1,), ())]
    assert align_beads(np.zeros((0, 2))) == [((), (0,)), ((), (1,))]


def test_a_moved_sentence_is_paired_out_of_order() -> None:
    sim = diagonal(3)
    sim[0, 0], sim[0, 2], sim[2, 2], sim[2, 0] = LOW, HIGH, LOW, HIGH  # a_0 and a_2 swapped in b
    sim[1, 1] = 0.95
    beads = align_beads(sim)
    assert ((1,), (1,)) in beads and ((0,), (2,)) not in beads
    assert sorted(moved_pairs(sim, beads, 0.86)) == [(0, 2), (2, 0)]
    assert moved_pairs(sim, beads, 0.99) == []


def test_a_gap_with_as_many_sentences_on_each_side_is_paired_in_order() -> None:
    sim = diagonal(4)
    sim[1, 1], sim[2, 2] = 0.76, 0.74  # two short sentences scoring below the floor, between aligned ones
    beads = align_beads(sim)
    assert ((1,), (1,)) not in beads
    assert gap_pairs(sim, beads, 0.7) == [(1, 1), (2, 2)]
    assert gap_pairs(sim, beads, 0.75) == [(1, 1)]
    # an omission leaves a gap on one side only: nothing to pair
    omitted = np.delete(diagonal(4), 2, axis=1)
    assert gap_pairs(omitted, align_beads(omitted), 0.0) == []


def _claims(doc: str, texts: list[str]) -> list[Claim]:
    out, start = [], 0
    for n, text in enumerate(texts):
        out.append(Claim(id=f"{doc}#{n}", doc_id=doc, text=text, normalized=text, start=start, end=start + len(text)))
        start += len(text) + 1
    return out


def test_align_in_order_embeds_joined_neighbours_for_a_split() -> None:
    # 3-d toy vectors: b splits a's middle sentence into two halves, each pointing half-way
    def unit(*v: float) -> np.ndarray:
        x = np.array(v, dtype=float)
        return x / np.linalg.norm(x)

    base = {"x": unit(1, 0, 0), "y": unit(0, 1, 0), "z": unit(0, 0, 1)}
    emb_a = np.stack([base["x"], unit(0, 1, 1), base["y"]])
    claims_a = _claims("a", ["x", "yz", "y2"])
    claims_b = _claims("b", ["x", "h1", "h2", "y2"])
    emb_b = np.stack([base["x"], unit(0, 1, 0.3), unit(0, 0.3, 1), base["y"]])

    def embed(texts: list[str]) -> np.ndarray:
        table = {"h1 h2": unit(0, 1, 1)}
        return np.stack([table.get(t, unit(1, 1, 1)) for t in texts])

    # toy texts of two letters say nothing about lengths
    config = OrderAlignConfig(min_cosine=0.5, merge_max_length_loss=None)
    pairs = align_in_order(claims_a, emb_a, claims_b, emb_b, embed, config, 0.8)
    assert [(p.claim_a, p.claim_b) for p in pairs] == [("a#0", "b#0"), ("a#1", "b#1"), ("a#1", "b#2"),
                                                      ("a#2", "b#3")]
    assert [p.mutual for p in pairs] == [True, False, False, True]
    assert align_in_order([], np.zeros((0, 3)), claims_b, emb_b, embed, OrderAlignConfig(), 0.8) == []


def test_a_merge_must_fit_the_counterparts_length() -> None:
    # a's sentences 1 and 2 joined match b's sentence 1 a little better than sentence 1 alone ...
    sim = np.array([[0.95, 0.1, 0.1], [0.1, 0.9, 0.1], [0.1, 0.85, 0.1], [0.1, 0.1, 0.95]])
    joined_a = np.array([[0.5, 0.5, 0.1], [0.1, 0.91, 0.1], [0.1, 0.5, 0.5]])
    # ... and b's sentence 1 is as long as both: a merge
    merged = (np.array([40, 50, 50, 40]), np.array([40, 100, 40]))
    assert align_beads(sim, joined_a=joined_a, lengths=merged, merge_max_length_loss=0.0)[1] == ((1, 2), (1,))
    # ... but as long as sentence 1 alone: sentence 2 was dropped
    dropped = (np.array([40, 50, 50, 40]), np.array([40, 50, 40]))
    assert align_beads(sim, joined_a=joined_a, lengths=dropped, merge_max_length_loss=0.0)[1:3] == [
        ((1,), (1,)), ((2,), ())]
    assert align_beads(sim, joined_a=joined_a, lengths=dropped)[1] == ((1, 2), (1,))  # lengths not looked at
