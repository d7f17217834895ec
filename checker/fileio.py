"""File helpers: atomic writes (readers and an interrupted run never see a partial file), reading
text that may be gzipped, and stamped JSON files for derived data cached between runs. The one place
the checker writes files."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import stat
import tempfile
import time
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .types import CheckError

if TYPE_CHECKING:
    import sqlite3


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _target_mode(path: Path) -> int:
    """An existing file keeps its permissions; a new one gets what the umask allows (like open())."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _encode(data: str | bytes) -> bytes:
    # lone surrogates (undecodable file names) cannot be written as UTF-8: they become U+FFFD
    return data.encode("utf-8", errors="replace") if isinstance(data, str) else data


def write_all_atomic(files: Mapping[Path, str | bytes]) -> None:
    """Write every file to a temporary file next to it, then rename them all into place.
    Raises OSError; no temporary file outlives the call."""
    temps: list[tuple[Path, str]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((path, tmp))
            with os.fdopen(fd, "wb") as fh:
                fh.write(_encode(data))
            os.chmod(tmp, _target_mode(path))  # mkstemp creates 0600
        for path, tmp in temps:
            os.replace(tmp, path)
    finally:
        for _, tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write one file atomically. Raises OSError."""
    write_all_atomic({path: data})


def write_or_fail(path: Path, data: str | bytes) -> None:
    """Write one file atomically; a failure is a one-line input error (CheckError)."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise CheckError(f"cannot write {path}: {exc.strerror or exc}") from exc


def open_text(path: Path) -> TextIO:
    """A UTF-8 text file for reading, transparently gunzipped when its name ends in .gz."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_jsonl(path: Path) -> list[dict]:
    """Every record of a (gzipped) JSON-lines file; blank lines skipped."""
    with open_text(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def user_cache_dir() -> Path:
    """claimcheck's folder in the user's cache directory ($XDG_CACHE_HOME, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "claimcheck"


def read_stamped_json(path: Path, stamp: str) -> Any:
    """What ``write_stamped_json`` stored in ``path`` with the same ``stamp``; None when the file is
    missing, unreadable, damaged or stamped otherwise (derived from other inputs)."""
    try:
        raw = path.read_bytes()
        data = json.loads((gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8"))
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return None
    return data.get("data")


def write_stamped_json(path: Path, stamp: str, data: object) -> None:
    """Store ``data`` as JSON with the ``stamp`` of what it was derived from, atomically; gzipped
    (reproducibly: no timestamp) when the name ends in .gz. Raises OSError."""
    text = json.dumps({"stamp": stamp, "data": data}, ensure_ascii=False, separators=(",", ":"))
    write_atomic(path, gzip.compress(text.encode("utf-8"), mtime=0) if path.suffix == ".gz" else text)


# Versions of one cached derived file kept: checkouts of different versions may share one cache.
CACHED_VERSIONS = 4


def keep_newest(folder: Path, pattern: str, keep: int = CACHED_VERSIONS) -> None:
    """Delete all but the ``keep`` most recently written files of ``folder`` matching ``pattern``
    (versions of a cached file derived from other inputs). Raises OSError."""
    def written(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0  # already gone

    for old in sorted(folder.glob(pattern), key=written, reverse=True)[keep:]:
        old.unlink(missing_ok=True)


def open_sqlite_wal(path: Path, schema: str, *, timeout: float = 30, **connect: Any) -> sqlite3.Connection:
    """A connection to a SQLite file in WAL mode with ``schema`` applied, waiting up to ``timeout`` s for
    other writers. Switching a fresh file to WAL does not wait on SQLite's busy timeout, so several
    processes creating one file at the same moment retry here instead of failing. Raises sqlite3 errors."""
    import sqlite3

    deadline = time.monotonic() + timeout
    conn = sqlite3.connect(path, timeout=timeout, **connect)
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(schema)
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) and time.monotonic() < deadline:
                time.sleep(0.01)
                continue
            conn.close()
            raise
        except sqlite3.Error:
            conn.close()
            raise
