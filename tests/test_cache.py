"""The result cache: embeddings, NLI probabilities and detected languages in one SQLite file, reused
across runs, safe under concurrent writers and tolerant of damage."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from types import SimpleNamespace

import numpy as np
from typer.testing import CliRunner

from checker.cache import CACHE_FILE, ResultCache, file_sha256
from checker.cli import app
from checker.embed import embed_texts, load_encoder
from checker.nli import CachedNLI
from checker.types import ModelInfo


class CountingEncoder:
    info = ModelInfo("encoder", "counting", "1", False, "test")

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += list(texts)
        return np.array([[len(t), 1.0, 0.5] for t in texts], dtype=np.float32) / 10


class CountingNLI:
    info = ModelInfo("nli", "counting-nli", "1", False, "test")
    threshold = 0.7

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def predict(self, premises, hypotheses):
        self.pairs += list(zip(premises, hypotheses, strict=True))
        return np.array([[0.1, 0.2, len(p) / (len(p) + len(h))] for p, h in zip(premises, hypotheses, strict=True)],
                        dtype=np.float32)


def test_embeddings_are_computed_once_and_live_in_one_file(tmp_path):
    encoder = CountingEncoder()
    cache = ResultCache(tmp_path / "cache")
    first = embed_texts(encoder, ["alpha", "beta", "alpha"], cache=cache)
    second = embed_texts(encoder, ["beta", "alpha", "gamma"], cache=ResultCache(tmp_path / "cache"))
    assert encoder.seen == ["beta", "alpha", "gamma"]  # each text once, the shortest first
    np.testing.assert_array_equal(second[:2], first[[1, 0]])
    assert [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(("-wal", "-shm"))] == [CACHE_FILE]


def test_nli_results_are_reused_and_the_model_not_called_again(tmp_path):
    scorer = CountingNLI()
    cached = CachedNLI(scorer, ResultCache(tmp_path))
    first = cached.predict(["a b", "c"], ["d", "e f g"])
    again = CachedNLI(scorer, ResultCache(tmp_path)).predict(["c", "a b", "a b"], ["e f g", "d", "zz"])
    assert scorer.pairs == [("a b", "d"), ("c", "e f g"), ("a b", "zz")]
    np.testing.assert_array_equal(again[:2], first[[1, 0]])
    assert cached.threshold == 0.7 and cached.info is scorer.info


def test_models_with_other_identities_do_not_share_entries(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put_vectors("model-a", [("text", np.ones(3))])
    assert cache.get_vectors("model-b", ["text"]) == {}
    assert set(cache.get_vectors("model-a", ["text", "other"])) == {"text"}


def test_a_damaged_cache_file_is_replaced_and_bad_rows_recomputed(tmp_path):
    (tmp_path / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    encoder = CountingEncoder()
    vectors = embed_texts(encoder, ["alpha"], cache=ResultCache(tmp_path))
    assert encoder.seen == ["alpha"] and vectors.shape == (1, 3)
    cache = ResultCache(tmp_path)
    cache.put_vectors("counting\x001", [("alpha", np.array([np.nan, 1, 2]))])  # garbage under the right key
    embed_texts(encoder, ["alpha"], cache=cache)
    assert encoder.seen == ["alpha", "alpha"]


def test_an_unwritable_cache_never_fails_a_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    encoder = CountingEncoder()
    vectors = embed_texts(encoder, ["alpha"], cache=ResultCache(blocker / "cache"))  # a folder under a file
    assert vectors.shape == (1, 3)


def test_concurrent_writers_keep_every_entry(tmp_path):
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from checker.cache import ResultCache
        cache = ResultCache(sys.argv[1])
        for n in range(40):
            cache.put_vectors("m", [(f"{sys.argv[2]}-{n}", np.full(4, n, dtype=np.float32))])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), name]) for name in ("a", "b", "c")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    found = ResultCache(tmp_path).get_vectors("m", [f"{x}-{n}" for x in "abc" for n in range(40)])
    assert len(found) == 120 and float(found["b-39"][0]) == 39.0


def test_writers_creating_the_cache_at_the_same_moment_keep_every_entry(tmp_path):
    # batch workers start together on an empty cache folder: none may lose, skip or delete the file
    for attempt in range(40):
        root = tmp_path / str(attempt)
        start = threading.Barrier(4)

        def write(name: str, root=root, start=start) -> None:
            cache = ResultCache(root)
            start.wait()
            cache.put_vectors("m", [(name, np.ones(4, dtype=np.float32))])
            cache.close()

        threads = [threading.Thread(target=write, args=(name,)) for name in "abcd"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(ResultCache(root).get_vectors("m", list("abcd"))) == list("abcd"), attempt


def test_file_digest_is_remembered_and_follows_changes(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"one")
    cache = ResultCache(tmp_path / "cache")
    assert cache.file_sha256(path) == file_sha256(path)
    path.write_bytes(b"two, longer")
    assert cache.file_sha256(path) == file_sha256(path)


def test_sentence_transformer_vectors_round_trip_through_the_cache(tiny_encoder_path, tmp_path):
    encoder = load_encoder(str(tiny_encoder_path))
    first = embed_texts(encoder, ["alpha beta", "gamma delta"], cache=ResultCache(tmp_path))
    second = embed_texts(encoder, ["alpha beta", "gamma delta"], cache=ResultCache(tmp_path))
    np.testing.assert_array_equal(first, second)


class PlantedDetector:
    """A language detector that answers Tagalog for everything: an answer the real one never gives for
    the test story, so a run that shows it read it from the cache."""

    def compute_language_confidence_values(self, sample):
        return [SimpleNamespace(language=SimpleNamespace(iso_code_639_1=SimpleNamespace(name="TL")), value=0.99)]


def test_detected_languages_live_in_the_result_cache_and_follow_its_settings(story_dir, encoder, tmp_path_factory,
                                                                               monkeypatch):
    from checker import ingest

    runs = tmp_path_factory.mktemp("runs")

    def languages(cache: str, *options: str) -> dict[str, str]:
        monkeypatch.setenv("CLAIMCHECK_CACHE", str(runs / cache))
        result = CliRunner().invoke(app, ["check", str(story_dir), "--out", str(runs / "out"), "--encoder", encoder,
                                          "--nli", "none", "--format", "json", "-q", *options])
        assert result.exit_code == 0, result.output
        report = json.loads((runs / "out" / "report.json").read_text(encoding="utf-8"))
        return {d["id"]: d["language"] for d in report["documents"]}

    with monkeypatch.context() as planted:
        planted.setattr(ingest, "_detector", PlantedDetector)
        assert set(languages("a").values()) == {"tl"}
    assert set(languages("a").values()) == {"tl"}  # the stored answers are read back
    detected = {"en": "en", "ms": "ms", "ar": "ar"}
    assert languages("a", "--no-cache") == detected
    assert languages("b") == detected  # another cache folder holds none of them
    assert [p.name for p in (runs / "a").iterdir() if not p.name.endswith(("-wal", "-shm"))] == [CACHE_FILE]


def test_derived_results_are_computed_once_per_kind_and_key_and_come_back_as_json(tmp_path):
    from checker.cache import remembered

    cache = ResultCache(tmp_path)
    calls: list[str] = []

    def compute() -> list:
        calls.append("x")
        return [(1, 0.1234, True), ("a", None)]

    first = remembered(cache, "kind\x00v1", b"key", compute)
    again = remembered(ResultCache(tmp_path), "kind\x00v1", b"key", compute)
    assert first == again == [[1, 0.1234, True], ["a", None]] and len(calls) == 1  # tuples as JSON gives them
    remembered(cache, "kind\x00v2", b"key", compute)  # other code: computed again
    remembered(cache, "kind\x00v1", b"other", compute)
    assert remembered(None, "kind\x00v1", b"key", compute) == first and len(calls) == 4
    cache.put_derived("kind\x00v1", [(b"key", b"{not json")])  # damaged: computed again
    assert remembered(cache, "kind\x00v1", b"key", compute) == first and len(calls) == 5


def test_data_keys_tell_arrays_by_values_type_and_shape():
    from checker.cache import data_key

    a = np.arange(6, dtype=np.float32)
    assert data_key(a, "x") == data_key(a.copy(), "x")
    others = [data_key(a.reshape(2, 3), "x"), data_key(a.astype(np.float64), "x"), data_key(a + 1, "x"),
              data_key(a, "y"), data_key(a, "x", "")]
    assert len({data_key(a, "x"), *others}) == 6
    assert data_key("ab", "c") != data_key("a", "bc")
