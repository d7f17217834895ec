"""One on-disk cache for model results: sentence embeddings, NLI probabilities and detected languages,
keyed by model identity + a hash of the text(s), in a single SQLite file per cache folder; and results
that code derives from the inputs (fact slots, segments, alignments), keyed by the code's digest + a
hash of the inputs.

SQLite in WAL mode makes it safe under concurrent runs (batch workers, parallel CI jobs): each write
is one transaction, so a reader never sees a torn row and an interrupted run leaves the file valid.
The cache is best-effort: a cache that cannot be opened or written never fails a check (it is then
skipped), and a damaged file is replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import struct
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from .fileio import open_sqlite_wal, user_cache_dir

CACHE_FILE = "results.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                    PRIMARY KEY (model, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nli (model TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                PRIMARY KEY (model, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS languages (model TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                      PRIMARY KEY (model, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS derived (model TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                    PRIMARY KEY (model, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                                    sha256 TEXT NOT NULL);
"""
_CHUNK = 500  # keys per query, well under SQLite's bound-parameter limit
_CONFIDENCE = struct.Struct("<d")  # a detected language: its confidence, then its code (empty: none)
T = TypeVar("T")


def default_cache_dir() -> Path:
    """``CLAIMCHECK_CACHE``, else ``$XDG_CACHE_HOME/claimcheck/results`` (``~/.cache/…``)."""
    env = os.environ.get("CLAIMCHECK_CACHE")
    return Path(env) if env else user_cache_dir() / "results"


def model_key(model: object) -> str:
    """What identifies a model's outputs: its ``cache_key`` when it has one (e.g. a digest of its
    weights), else its name and version."""
    key = getattr(model, "cache_key", None)
    if key:
        return str(key)
    info = model.info  # type: ignore[attr-defined]
    return f"{info.name}\0{info.version}"


def text_key(*texts: str) -> bytes:
    return hashlib.sha256("\0".join(texts).encode("utf-8", "surrogatepass")).digest()


class ResultCache:
    """Embeddings, NLI probabilities and detected languages of one cache folder (``root/results.sqlite3``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / CACHE_FILE
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._broken:
            return self._conn
        for attempt in range(2):
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                conn = open_sqlite_wal(self.path, _SCHEMA, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA synchronous=NORMAL")
                self._conn = conn
                return conn
            except sqlite3.OperationalError:
                break  # still locked after the timeout, or unwritable: never delete another process's file
            except sqlite3.DatabaseError:
                # not a database (damaged, or another file under that name): start a fresh one once
                if attempt == 0 and self.path.is_file():
                    with contextlib.suppress(OSError):
                        for suffix in ("", "-wal", "-shm"):
                            Path(str(self.path) + suffix).unlink(missing_ok=True)
                        continue
                break
            except (OSError, sqlite3.Error):
                break
        self._broken = True  # unwritable or unusable: run without a cache
        return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __getstate__(self) -> dict:  # workers get the folder, and open their own connection
        return {"root": self.root}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["root"])  # type: ignore[misc]

    def _get(self, table: str, model: str, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        conn = self._db()
        found: dict[bytes, bytes] = {}
        if conn is None:
            return found
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(conn.execute(f"SELECT key, value FROM {table} WHERE model = ? AND key IN ({marks})",
                                          (model, *chunk)).fetchall())
        except sqlite3.Error:
            return {}
        return found

    def _put(self, table: str, model: str, rows: Iterable[tuple[bytes, bytes]]) -> None:
        conn = self._db()
        if conn is None:
            return
        try:
            with conn:  # one transaction
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(f"INSERT OR REPLACE INTO {table} (model, key, value) VALUES (?, ?, ?)",
                                 ((model, k, v) for k, v in rows))
        except sqlite3.Error:
            pass  # busy past the timeout, disk full, read-only: the results are simply not kept

    def get_vectors(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached embeddings of those texts that have one (valid, finite float32 vectors only)."""
        keys = {text_key(t): t for t in texts}
        out: dict[str, np.ndarray] = {}
        for key, blob in self._get("vectors", model, list(keys)).items():
            if not blob or len(blob) % 4:
                continue
            vector = np.frombuffer(blob, dtype="<f4")
            if np.isfinite(vector).all():
                out[keys[key]] = vector
        return out

    def put_vectors(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        self._put("vectors", model, ((text_key(t), np.asarray(v, dtype="<f4").tobytes()) for t, v in items))

    def get_nli(self, model: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], np.ndarray]:
        """Cached (entailment, neutral, contradiction) probabilities of those pairs that have them."""
        keys = {text_key(p, h): (p, h) for p, h in pairs}
        out: dict[tuple[str, str], np.ndarray] = {}
        for key, blob in self._get("nli", model, list(keys)).items():
            if len(blob) != 12:
                continue
            probs = np.frombuffer(blob, dtype="<f4")
            if np.isfinite(probs).all():
                out[keys[key]] = probs
        return out

    def put_nli(self, model: str, items: Iterable[tuple[tuple[str, str], np.ndarray]]) -> None:
        self._put("nli", model, ((text_key(p, h), np.asarray(v, dtype="<f4").tobytes()) for (p, h), v in items))

    def get_languages(self, detector: str, samples: Sequence[str]) -> dict[str, tuple[str | None, float]]:
        """Cached (language code or None, confidence) answers of a language detector for those samples
        that have one."""
        keys = {text_key(s): s for s in samples}
        out: dict[str, tuple[str | None, float]] = {}
        for key, blob in self._get("languages", detector, list(keys)).items():
            if len(blob) < _CONFIDENCE.size or not blob[_CONFIDENCE.size:].isascii():
                continue
            (confidence,) = _CONFIDENCE.unpack_from(blob)
            if math.isfinite(confidence):
                out[keys[key]] = (blob[_CONFIDENCE.size:].decode("ascii") or None, confidence)
        return out

    def put_languages(self, detector: str, items: Iterable[tuple[str, tuple[str | None, float]]]) -> None:
        self._put("languages", detector, ((text_key(s), _CONFIDENCE.pack(confidence) + (code or "").encode("ascii"))
                                          for s, (code, confidence) in items))

    def file_sha256(self, path: Path) -> str:
        """sha256 of a file, remembered by path, size and modification time (model files are large)."""
        path = Path(path).resolve()
        stat = path.stat()
        conn = self._db()
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                row = conn.execute("SELECT size, mtime_ns, sha256 FROM digests WHERE path = ?", (str(path),)).fetchone()
                if row and row[0] == stat.st_size and row[1] == stat.st_mtime_ns:
                    return str(row[2])
        digest = file_sha256(path)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error), conn:
                conn.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)",
                             (str(path), stat.st_size, stat.st_mtime_ns, digest))
        return digest

    # Results that code, not a model, derives from the inputs (fact slots of claims, alignments), JSON,
    # under a kind: what the result is and the digest of the code that derives it (``checker.codedigest``),
    # in the model column.
    def get_derived(self, kind: str, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """Stored results of ``kind`` for those keys that have one."""
        return self._get("derived", kind, keys)

    def put_derived(self, kind: str, items: Iterable[tuple[bytes, bytes]]) -> None:
        self._put("derived", kind, items)


def remembered(cache: ResultCache | None, kind: str, key: bytes, compute: Callable[[], T]) -> T:
    """``compute()``, a JSON value, read back as an earlier run stored it under ``kind`` and ``key`` where
    there is one, else computed (and stored). Either way it comes as JSON gives it (lists, not tuples)."""
    if cache is not None:
        stored = cache.get_derived(kind, [key]).get(key)
        if stored is not None:
            with contextlib.suppress(ValueError):  # damaged: computed again
                return json.loads(stored)
    blob = json.dumps(compute(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if cache is not None:
        cache.put_derived(kind, [(key, blob)])
    return json.loads(blob)


def data_key(*parts: str | bytes | np.ndarray) -> bytes:
    """sha256 of texts, bytes and arrays (an array's dtype and shape included)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype.str}{part.shape}".encode())
            part = np.ascontiguousarray(part).tobytes()
        blob = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(blob).to_bytes(8, "little") + blob)
    return digest.digest()


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
