import numpy as np
import pytest

from checker.compare import CompareConfig, compare_claims, nli_pairs
from checker.types import AlignedPair, Claim, Document


def _claim(cid: str, text: str = "x") -> Claim:
    doc = cid.split("#")[0]
    return Claim(id=cid, doc_id=doc, text=text, start=0, end=len(text), normalized=text)


def test_nli_runs_on_a_spanning_tree_grown_from_the_centre():
    claims = [_claim(c) for c in ("a#1", "b#1", "c#1", "d#1")]
    pairs = [AlignedPair("a#1", "b#1", 0.95, 1.1, True), AlignedPair("a#1", "c#1", 0.90, 1.1, True),
             AlignedPair("b#1", "c#1", 0.93, 1.1, True), AlignedPair("a#1", "d#1", 0.80, 1.1, True),
             AlignedPair("b#1", "d#1", 0.85, 1.1, True), AlignedPair("c#1", "d#1", 0.70, 1.1, True)]
    chosen = nli_pairs(pairs, claims)
    assert len(chosen) == 3  # n - 1 for a group of four, not all six aligned pairs
    nodes = {c for p in chosen for c in (p.claim_a, p.claim_b)}
    assert nodes == {"a#1", "b#1", "c#1", "d#1"}
    # centre b#1 has the highest total similarity; the tree keeps the strongest links
    assert [(p.claim_a, p.claim_b) for p in chosen] == [("a#1", "b#1"), ("b#1", "c#1"), ("b#1", "d#1")]


def test_separate_groups_each_get_their_own_tree():
    claims = [_claim(c) for c in ("a#1", "b#1", "a#2", "b#2")]
    pairs = [AlignedPair("a#1", "b#1", 0.9, 1.1, True), AlignedPair("a#2", "b#2", 0.9, 1.1, True)]
    assert nli_pairs(pairs, claims) == pairs


class _FixedNLI:
    """Contradiction in one direction only, to check that the report keeps the worse direction."""

    info = None

    def predict(self, premises, hypotheses):
        return np.array([[0.1, 0.1, 0.8] if p.startswith("A") else [0.8, 0.1, 0.1] for p in premises])


def test_the_more_contradicting_direction_is_reported():
    docs = [Document(id="a", path="a", raw="", language="en"), Document(id="b", path="b", raw="", language="en")]
    claims = [_claim("a#1", "A the office opens on Monday"), _claim("b#1", "B the office stays closed on Monday")]
    pairs = [AlignedPair("a#1", "b#1", 0.9, 1.1, True)]
    found, _ = compare_claims(docs, claims, pairs, _FixedNLI(), CompareConfig(slots=False))
    assert [d.kind for d in found] == ["nli"]
    assert found[0].nli == {"entailment": 0.1, "neutral": 0.1, "contradiction": 0.8}
    assert pairs[0].nli == found[0].nli
    found, _ = compare_claims(docs, claims, pairs, _FixedNLI(), CompareConfig(slots=False, nli_threshold=0.9))
    assert found == []


class _CountingNLI:
    info = None

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, premises, hypotheses):
        self.calls += len(premises)
        return np.tile([0.6, 0.3, 0.1], (len(premises), 1))


def test_nli_budget_is_at_most_four_calls_per_claim():
    ids = [f"d{i}" for i in range(6)]
    docs = [Document(id=d, path=d, raw="", language="en") for d in ids]
    claims = [_claim(f"{d}#1", f"The vote took place in {2010 + i}.") for i, d in enumerate(ids)]
    pairs = [AlignedPair(a.id, b.id, 0.9, 1.1, True) for n, a in enumerate(claims) for b in claims[n + 1:]]
    nli = _CountingNLI()
    found, _ = compare_claims(docs, claims, pairs, nli, CompareConfig())
    # six versions, six different years: one finding per version that differs from the first, not 15 pairs
    assert len([d for d in found if d.kind == "date"]) == 5
    assert nli.calls == 2 * 12  # 2 pairs per claim x 6 claims, both directions
    assert sum(p.nli is not None for p in pairs) == 12


def test_a_mostly_unaligned_version_is_flagged_not_compared():
    docs = [Document(id=d, path=d, raw="", language="en") for d in ("a", "b", "c")]
    claims = ([_claim("a#1", "The vote took place in 2021."), _claim("b#1", "The vote took place in 2021.")]
              + [_claim(f"c#{i}", f"Unrelated statement number {i} about a festival.") for i in range(1, 7)])
    claims[2] = _claim("c#1", "The vote took place in 1999.")
    pairs = [AlignedPair("a#1", "b#1", 0.95, 1.1, True), AlignedPair("a#1", "c#1", 0.9, 1.1, True)]
    found, off_topic = compare_claims(docs, claims, pairs, None, CompareConfig())
    assert list(off_topic) == ["c"]
    assert not any("c" in (d.doc_a, d.doc_b) for d in found)  # no date conflict, no omissions from c


def _story(n_versions: int, dissent: dict[int, str]) -> tuple[list[Document], list[Claim], list[AlignedPair]]:
    """n versions of a two-claim story; version i says `dissent[i]` dead instead of 15."""
    docs = [Document(id=f"v{i:02d}", path=f"v{i:02d}", raw="", language="en") for i in range(n_versions)]
    claims: list[Claim] = []
    for i, doc in enumerate(docs):
        claims.append(_claim(f"{doc.id}#1", f"The storm killed {dissent.get(i, '15')} people in the valley."))
        claims.append(_claim(f"{doc.id}#2", "Rescue teams reached the valley on Monday."))
    pairs = [AlignedPair(a.id, b.id, 0.95, 1.1, True) for n, a in enumerate(claims) for b in claims[n + 1:]
             if a.id[-1] == b.id[-1] and a.id.split("#")[0] != b.id.split("#")[0]]
    return docs, claims, pairs


def test_findings_grow_with_dissenting_versions_not_pairs():
    counts = {}
    for dissenters in (1, 2, 4):
        docs, claims, pairs = _story(30, {i: "14" for i in range(dissenters)})
        found, _ = compare_claims(docs, claims, pairs, None, CompareConfig(unmatched=False))
        numbers = [d for d in found if d.kind == "number"]
        counts[dissenters] = len(numbers)
        dissenting = {f"v{i:02d}" for i in range(dissenters)}
        assert all(dissenting & {d.doc_a, d.doc_b} for d in numbers)  # each finding names a dissenting version
        assert all("29 versions" in d.note or f"{30 - dissenters} versions" in d.note for d in numbers)
    assert counts == {1: 1, 2: 2, 4: 4}  # 30 versions: 29 pairs with the dissenter, one finding


def test_values_equal_at_another_granularity_are_one_value():
    docs, claims, pairs = _story(4, {})
    claims[2] = _claim("v01#1", "The storm killed fifteen people in the valley.")
    found, _ = compare_claims(docs, claims, pairs, None, CompareConfig(unmatched=False))
    assert not [d for d in found if d.kind == "number"]


class _ConstantNLI:
    info = None

    def __init__(self, contradiction: float) -> None:
        self.contradiction = contradiction

    def predict(self, premises, hypotheses):
        c = self.contradiction
        return np.tile([(1 - c) / 2, (1 - c) / 2, c], (len(premises), 1))


def _two(text_a: str, text_b: str) -> tuple[list[Document], list[Claim], list[AlignedPair]]:
    docs = [Document(id=d, path=d, raw="", language="en") for d in ("a", "b")]
    claims = [_claim("a#1", text_a), _claim("b#1", text_b)]
    return docs, claims, [AlignedPair("a#1", "b#1", 0.9, 1.1, True)]


def test_nli_alone_needs_a_strong_contradiction_between_claims_whose_facts_agree():
    facts = ("The council met in Paris in 2019 to approve the plan.", "In 2019 the council in Paris backed the plan.")
    for contradiction, reported in ((0.7, False), (0.8, True)):
        docs, claims, pairs = _two(*facts)
        found, _ = compare_claims(docs, claims, pairs, _ConstantNLI(contradiction), CompareConfig(unmatched=False))
        assert bool([d for d in found if d.kind == "nli"]) is reported
    # claims that state no facts, or that differ in negation, keep the model's own threshold
    for texts in (("The council approved the plan.", "The council backed the plan."),
                  ("The council met in Paris in 2019 to approve the plan.",
                   "In 2019 the council in Paris did not back the plan.")):
        docs, claims, pairs = _two(*texts)
        found, _ = compare_claims(docs, claims, pairs, _ConstantNLI(0.7), CompareConfig(unmatched=False))
        assert [d.kind for d in found] == ["nli"]


def test_a_value_the_other_version_states_too_is_no_disagreement_between_wider_candidates():
    docs = [Document(id=d, path=d, raw="", language="en") for d in ("a", "b")]
    first, second = "The first phase in Paris ends in September 2025.", "The second phase in Paris ends in September 2026."
    vectors = {cid: np.array([1.0, 0.0]) for cid in ("a#1", "a#2", "b#1")}
    found_with = compare_claims(docs, [_claim("a#1", first), _claim("a#2", second), _claim("b#1", second)],
                                [AlignedPair("a#2", "b#1", 0.95, 1.1, True)], None, CompareConfig(unmatched=False),
                                vectors=vectors, min_cosine=0.8)[0]
    assert [d for d in found_with if d.kind == "date"] == []  # b's date is a's second phase, stated by a too
    vectors = {cid: np.array([1.0, 0.0]) for cid in ("a#1", "b#1")}
    found_without = compare_claims(docs, [_claim("a#1", first), _claim("b#1", second)], [], None,
                                   CompareConfig(unmatched=False), vectors=vectors, min_cosine=0.8)[0]
    assert [(d.values_a, d.values_b) for d in found_without if d.kind == "date"] == [(["2025-09"], ["2026-09"])]


def test_a_dissent_is_shown_on_full_sentences_rather_than_headlines():
    docs = [Document(id=d, path=d, raw="", language="en") for d in ("a", "b", "c")]
    claims = []
    for doc, toll in (("a", 4), ("b", 4), ("c", 5)):
        claims += [_claim(f"{doc}#1", f"Storm Leaves {toll} Dead In The Valley"),
                   _claim(f"{doc}#2", f"The storm killed {toll} people in the valley on Monday.")]
    pairs = [AlignedPair(f"{x}#{n}", f"{y}#{n}", 0.97 if n == 1 else 0.90, 1.1, True)
             for n in (1, 2) for x, y in (("a", "b"), ("a", "c"), ("b", "c"))]
    found, _ = compare_claims(docs, claims, pairs, None, CompareConfig(unmatched=False), set_aside={})
    numbers = [d for d in found if d.kind == "number"]
    assert len(numbers) == 1  # one finding for the one dissenting version and value
    assert numbers[0].claim_b == "c#2" and "people" in (numbers[0].text_b or "")


def _reference_candidates(documents, claims, vectors, anchors, excluded, min_cosine):
    """The straightforward candidate search: whole similarity matrices, a full ranking per claim."""
    from checker.compare import ANCHOR_SLACK, CANDIDATE_SLACK

    rows: dict[str, list[Claim]] = {}
    for claim in claims:
        if claim.doc_id not in excluded:
            rows.setdefault(claim.doc_id, []).append(claim)
    found = {}
    docs = [d.id for d in documents if d.id in rows]
    for n, doc_a in enumerate(docs):
        for doc_b in docs[n + 1:]:
            ca, cb = rows[doc_a], rows[doc_b]
            sim = np.stack([vectors[c.id] for c in ca]) @ np.stack([vectors[c.id] for c in cb]).T
            for side, (mine, theirs, matrix) in enumerate(((ca, cb, sim), (cb, ca, sim.T))):
                for i, claim in enumerate(mine):
                    ranked = [int(j) for j in np.argsort(-matrix[i], kind="stable")]
                    picks = [(ranked[0], min_cosine - CANDIDATE_SLACK)]
                    for key in sorted(anchors[claim.id]):
                        best = next((j for j in ranked if key in anchors[theirs[j].id]), None)
                        if best is not None:
                            picks.append((best, min_cosine - ANCHOR_SLACK))
                    for j, floor in picks:
                        if matrix[i, j] >= floor:
                            a, b = (claim, theirs[j]) if side == 0 else (theirs[j], claim)
                            found[(a.id, b.id)] = round(float(matrix[i, j]), 4)
    position = {c.id: n for n, c in enumerate(claims)}
    return [AlignedPair(a, b, cos, 0.0, False)
            for (a, b), cos in sorted(found.items(), key=lambda kv: (position[kv[0][0]], position[kv[0][1]]))]


class _AnchorSlots:
    """Fact slots that give each claim the anchor keys chosen for it."""

    def __init__(self, anchors: dict[str, set[str]]) -> None:
        self.anchors = anchors

    def __getitem__(self, claim: Claim) -> list:
        from types import SimpleNamespace

        return [SimpleNamespace(kind="place", value=k[2:], unit=None) if k.startswith("p:")
                else SimpleNamespace(kind="number", value="1", unit=k[2:]) for k in sorted(self.anchors[claim.id])]


def _candidate_case(sizes: dict[str, int], seed: int, integer: bool):
    rng = np.random.default_rng(seed)
    documents = [Document(id=d, path=d, raw="", language="en") for d in sizes]
    claims = [_claim(f"{d}#{i + 1}") for d, n in sizes.items() for i in range(n)]
    if integer:  # small integers: exact ties between claims everywhere
        rows = rng.integers(0, 3, size=(len(claims), 4)).astype(np.float32)
    else:
        rows = rng.normal(size=(len(claims), 16)) + 1.5
        rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    vectors = {c.id: rows[n] for n, c in enumerate(claims)}
    keys = ["p:tal afar", "p:mosul", "u:km", "u:person"]
    anchors = {c.id: {k for k in keys if rng.random() < 0.3} for c in claims}
    return documents, claims, vectors, anchors


@pytest.mark.parametrize("tile_rows", [1, 3, 512])
@pytest.mark.parametrize(("sizes", "integer", "excluded"), [
    ({"a": 1, "b": 1}, False, set()), ({"a": 1, "b": 9, "c": 4}, True, set()), ({"a": 9, "b": 1}, True, set()),
    ({"a": 17, "b": 12, "c": 15}, True, {"b"}), ({"a": 40, "b": 33, "c": 25}, False, set()),
    ({"a": 26, "b": 30}, True, set())])
def test_candidates_equal_the_whole_matrix_search(monkeypatch, tile_rows, sizes, integer, excluded):
    """Tiled candidates are those of whole similarity matrices with a full ranking per claim, ties included
    (the first claim in reading order wins), in both directions."""
    from checker import align
    from checker.compare import candidate_pairs

    monkeypatch.setattr(align, "TILE_ROWS", tile_rows)
    documents, claims, vectors, anchors = _candidate_case(sizes, sum(sizes.values()) + tile_rows, integer)
    # integer vectors have dot products 0, 1, 2 ...: nearest claims need 3, anchored ones 2
    min_cosine = 2.07 if integer else 0.6
    expected = _reference_candidates(documents, claims, vectors, anchors, excluded, min_cosine)
    got = candidate_pairs(documents, claims, vectors, _AnchorSlots(anchors), excluded, min_cosine)
    assert got == expected
    assert expected  # the floors let candidates through


def test_nli_cap_keeps_tiers_in_order_and_cuts_the_least_informative():
    from checker.compare import cap_nli_pairs

    def pair(name: str, cos: float) -> AlignedPair:
        return AlignedPair(f"a#{name}", f"b#{name}", cos, 1.1, True)

    tree = [pair("t1", 0.95), pair("t2", 0.85), pair("t3", 0.90)]
    conflicts = [pair("c1", 0.9), pair("c2", 0.8)]
    nearest = [pair("n1", 0.9), pair("n2", 0.88)]
    differ = {"a#t1", "a#c2"}  # pairs whose values differ

    def kept(cap: int) -> list[str]:
        chosen = cap_nli_pairs([tree, conflicts, nearest], cap, lambda p: p.claim_a in differ)
        return [p.claim_a[2:] for p in chosen]

    assert kept(10) == ["t1", "t2", "t3", "c1", "c2", "n1", "n2"]  # no cut: the order as planned
    assert kept(4) == ["t1", "t2", "t3", "c2"]  # the trees whole, then a conflict pair whose values differ
    assert kept(2) == ["t1", "t2"]  # values differ first, then the least similar
    assert kept(0) == []


def test_nli_cap_bounds_the_evaluations_of_a_run():
    ids = [f"d{i}" for i in range(6)]
    docs = [Document(id=d, path=d, raw="", language="en") for d in ids]
    claims = [_claim(f"{d}#1", f"The vote took place in {2010 + i}.") for i, d in enumerate(ids)]
    pairs = [AlignedPair(a.id, b.id, 0.9, 1.1, True) for n, a in enumerate(claims) for b in claims[n + 1:]]
    calls = {}
    for cap in (5, 12, None):
        nli, stats = _CountingNLI(), {}
        compare_claims(docs, claims, pairs, nli, CompareConfig(max_nli_pairs=cap), stats=stats)
        calls[cap] = nli.calls
        assert stats["nli_pairs_planned"] == 12 and stats["nli_evaluations"] == nli.calls
    assert calls == {5: 2 * 5, 12: 2 * 12, None: 2 * 12}
