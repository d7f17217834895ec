"""File helpers: atomic writes (readers and an interrupted run never see a partial file), and
reading text that may be gzipped."""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from pathlib import Path
from typing import TextIO


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file in the target's folder, then rename it over the target.
    Raises OSError; the temporary file never outlives the call."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def open_text(path: Path) -> TextIO:
    """A UTF-8 text file for reading, transparently gunzipped when its name ends in .gz."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")
