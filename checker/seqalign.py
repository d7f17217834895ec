"""Order-aware alignment of two documents that keep sentence order (a text and its translation).

In the spirit of Gale & Church (1993) and Vecalign (Thompson & Koehn, 2019): dynamic programming
over the cosine matrix with 1-1 beads, 2-1 and 1-2 beads (two sentences merged into one, or one
split in two; scored with the embedding of the joined pair) and 1-0 / 0-1 beads (a sentence with no
counterpart: an omission or an addition). A bead at cosine ``c`` earns ``2 * (c - min_cosine)``, a
merge ``merge_penalty`` less; a skipped sentence earns nothing, so a sentence is left without a
counterpart only when no in-order counterpart scores above the encoder's floor. A merge must match
better than either of its parts alone and is not paid for the extra sentence it covers, so a dropped
or added sentence of the same story is not absorbed into its neighbour's bead; nor may a merge fit its
counterpart's length worse than its better part alone does (Gale & Church's length ratio, against the
documents' overall ratio): a dropped sentence joined to its neighbour makes the pair too long.
Sentences left over afterwards are paired when a gap between two beads leaves as many sentences on
each side (short sentences embed poorly, so their only in-order counterpart may score below the
floor), or when they are each other's closest leftover sentence (a sentence moved out of order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .align import margin_scores
from .types import AlignedPair, Claim

Bead = tuple[tuple[int, ...], tuple[int, ...]]  # (sentences of a, sentences of b), either may be empty


@dataclass(frozen=True)
class OrderAlignConfig:
    """Settings of the order-aware alignment. ``min_cosine`` None: the pipeline's alignment floor (the
    encoder's score scale)."""

    min_cosine: float | None = None
    merge_penalty: float = 0.02  # per 2-1 / 1-2 bead, so that 1-1 wins a tie
    gap_min_cosine: float = 0.7  # sentences left in a gap with as many on each side: paired in order from this
    moved_min_cosine: float = 0.86  # leftover sentences paired out of order only at this cosine or above
    # a merge may fit its counterpart's length worse than its better part alone by this much at most
    # (|log(length ratio / the documents' ratio)|); None: lengths are not looked at
    merge_max_length_loss: float | None = 0.0


def _length_fits(lengths: tuple[np.ndarray, np.ndarray] | None,
                 max_loss: float | None) -> Callable[[int, int, int, int], bool]:
    """Whether a merge of side ``side``'s sentences k, k+1 against sentence ``other`` of the other side fits
    that sentence's length no worse (up to ``max_loss``) than part ``part`` alone does."""
    if lengths is None or max_loss is None:
        return lambda side, k, part, other: True
    len_a, len_b = (np.maximum(x.astype(float), 1.0) for x in lengths)
    scale = float(len_b.sum() / len_a.sum())  # b's length per character of a

    def fits(side: int, k: int, part: int, other: int) -> bool:
        own, theirs = (len_a, len_b) if side == 0 else (len_b, len_a)
        ratio = scale if side == 0 else 1 / scale
        miss = lambda length: abs(np.log(theirs[other] / (ratio * length)))  # noqa: E731
        return bool(miss(own[k] + own[k + 1]) <= miss(own[part]) + max_loss)

    return fits


def align_beads(sim: np.ndarray, joined_a: np.ndarray | None = None, joined_b: np.ndarray | None = None,
                min_cosine: float = 0.8, merge_penalty: float = 0.02,
                lengths: tuple[np.ndarray, np.ndarray] | None = None,
                merge_max_length_loss: float | None = None) -> list[Bead]:
    """The best monotone segmentation of two sentence sequences into beads, in reading order.

    ``sim[i, j]``: cosine of a_i and b_j; ``joined_a[i, j]``: cosine of a_i + a_(i+1) joined and b_j
    (shape n-1 x m); ``joined_b[i, j]``: cosine of a_i and b_j + b_(j+1) joined (n x m-1). Without
    joined scores no 2-1 / 1-2 bead is considered. ``lengths``: the sentences' lengths on each side, for
    refusing merges that fit worse by length than ``merge_max_length_loss`` allows."""
    n, m = sim.shape
    fits = _length_fits(lengths, merge_max_length_loss)
    score = np.full((n + 1, m + 1), -np.inf)
    back: dict[tuple[int, int], tuple[int, int]] = {}
    score[0, 0] = 0.0

    def offer(i: int, j: int, di: int, dj: int, gain: float) -> None:
        value = score[i - di, j - dj] + gain
        if value > score[i, j] + 1e-12:
            score[i, j] = value
            back[(i, j)] = (di, dj)

    for i in range(n + 1):
        for j in range(m + 1):
            # offered in order of preference: on a tie the first one stays
            if i and j:
                offer(i, j, 1, 1, 2 * (float(sim[i - 1, j - 1]) - min_cosine))
            if i >= 2 and j and joined_a is not None:
                c = float(joined_a[i - 2, j - 1])
                best = i - 2 if sim[i - 2, j - 1] >= sim[i - 1, j - 1] else i - 1
                if c > sim[best, j - 1] and fits(0, i - 2, best, j - 1):
                    offer(i, j, 2, 1, 2 * (c - min_cosine) - merge_penalty)
            if i and j >= 2 and joined_b is not None:
                c = float(joined_b[i - 1, j - 2])
                best = j - 2 if sim[i - 1, j - 2] >= sim[i - 1, j - 1] else j - 1
                if c > sim[i - 1, best] and fits(1, j - 2, best, i - 1):
                    offer(i, j, 1, 2, 2 * (c - min_cosine) - merge_penalty)
            if i:
                offer(i, j, 1, 0, 0.0)
            if j:
                offer(i, j, 0, 1, 0.0)
    beads: list[Bead] = []
    i, j = n, m
    while i or j:
        di, dj = back[(i, j)]
        beads.append((tuple(range(i - di, i)), tuple(range(j - dj, j))))
        i, j = i - di, j - dj
    return beads[::-1]


def gap_pairs(sim: np.ndarray, beads: list[Bead], min_cosine: float) -> list[tuple[int, int]]:
    """Skipped sentences of a gap between two beads (or a document's start or end) that leaves as many
    on each side, paired in order where their cosine is at least ``min_cosine``."""
    pairs: list[tuple[int, int]] = []
    gap_a: list[int] = []
    gap_b: list[int] = []
    for a, b in [*beads, ((), ())]:  # a final empty bead closes the last gap
        if bool(a) != bool(b):
            gap_a.extend(a)
            gap_b.extend(b)
            continue
        if len(gap_a) == len(gap_b):
            pairs += [(i, j) for i, j in zip(gap_a, gap_b, strict=True) if sim[i, j] >= min_cosine]
        gap_a, gap_b = [], []
    return pairs


def moved_pairs(sim: np.ndarray, beads: list[Bead], min_cosine: float,
                taken: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentences left without a counterpart on both sides (beyond those in ``taken``) that are each
    other's closest leftover sentence at ``min_cosine`` or above (a sentence moved out of order)."""
    taken_a, taken_b = {i for i, _ in taken}, {j for _, j in taken}
    left_a = [a[0] for a, b in beads if a and not b and a[0] not in taken_a]
    left_b = [b[0] for a, b in beads if b and not a and b[0] not in taken_b]
    if not left_a or not left_b:
        return []
    sub = sim[np.ix_(left_a, left_b)]
    return [(left_a[r], left_b[c]) for r, c in enumerate(sub.argmax(axis=1))
            if sub[:, c].argmax() == r and sub[r, c] >= min_cosine]


def align_in_order(claims_a: list[Claim], emb_a: np.ndarray, claims_b: list[Claim], emb_b: np.ndarray,
                   embed: Callable[[list[str]], np.ndarray], config: OrderAlignConfig,
                   min_cosine: float) -> list[AlignedPair]:
    """Aligned claim pairs of two documents, in reading order; ``embed`` gives unit vectors of texts (for
    the joined neighbours) and ``min_cosine`` is the floor used when the config names none."""
    if not claims_a or not claims_b:
        return []
    floor = config.min_cosine if config.min_cosine is not None else min_cosine
    sim = emb_a @ emb_b.T
    joined_text_a = [f"{x.normalized} {y.normalized}" for x, y in zip(claims_a, claims_a[1:], strict=False)]
    joined_text_b = [f"{x.normalized} {y.normalized}" for x, y in zip(claims_b, claims_b[1:], strict=False)]
    joined = embed(joined_text_a + joined_text_b) if joined_text_a or joined_text_b else np.zeros((0, 0))
    joined_a = joined[:len(joined_text_a)] @ emb_b.T if joined_text_a else None
    joined_b = emb_a @ joined[len(joined_text_a):].T if joined_text_b else None
    lengths = (np.array([len(c.text) for c in claims_a]), np.array([len(c.text) for c in claims_b]))
    beads = align_beads(sim, joined_a, joined_b, floor, config.merge_penalty, lengths, config.merge_max_length_loss)
    margin = margin_scores(sim, 4)
    links = [(i, j) for a, b in beads for i in a for j in b]
    gaps = gap_pairs(sim, beads, config.gap_min_cosine)
    links += gaps + moved_pairs(sim, beads, config.moved_min_cosine, gaps)
    one_to_one = {(a[0], b[0]) for a, b in beads if len(a) == 1 and len(b) == 1}
    return [AlignedPair(claims_a[i].id, claims_b[j].id, round(float(sim[i, j]), 4), round(float(margin[i, j]), 4),
                        (i, j) in one_to_one) for i, j in sorted(links)]
