"""Fact slots kept between runs (the result cache's ``slots`` table): the extractor's version, and slots as
JSON.

The version is a digest of everything extraction reads: this package's modules and data files, the
checker modules they import (found in their import lines, transitively), the versions of the
third-party packages any of them imports, and the Python and Unicode versions (``re``'s idea of a
word character). An edit to any of them gives new keys, so slots kept by other code are never read.
"""

from __future__ import annotations

import ast
import json
import sys
import unicodedata
from dataclasses import fields
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from .model import Slot
from .resources import DATA_DIR, source_digest

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKER_DIR = PACKAGE_DIR.parent


def _imports(path: Path) -> tuple[set[Path], set[str]]:
    """The checker modules a module imports (as files) and the top-level names of the others."""
    modules: set[Path] = set()
    packages: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
            names = [node.module] if node.module else [alias.name for alias in node.names]
            for name in names:
                target = base.joinpath(*name.split("."))
                modules.update(p for p in (target.with_suffix(".py"), target / "__init__.py") if p.is_file())
    return modules, packages


def _distribution_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return str(getattr(sys.modules.get(package), "__version__", "unknown"))


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """A digest of what ``extract_slots`` gives for a text, language and dateline (see the module doc)."""
    todo = sorted(PACKAGE_DIR.glob("*.py"))
    sources: set[Path] = set()
    packages: set[str] = set()
    while todo:
        path = todo.pop()
        if path in sources or CHECKER_DIR not in path.parents:
            continue
        sources.add(path)
        modules, names = _imports(path)
        todo.extend(modules)
        packages |= names
    third_party = sorted(p for p in packages - set(sys.stdlib_module_names) if p not in ("checker", "__future__"))
    data = sorted(p for p in DATA_DIR.rglob("*") if p.is_file())
    return source_digest(
        f"python {sys.version_info.major}.{sys.version_info.minor} unicode {unicodedata.unidata_version}",
        *(f"{p} {_distribution_version(p)}" for p in third_party),
        *(str(p.relative_to(CHECKER_DIR)) for p in sorted(sources) + data), *sorted(sources), *data)


_FIELDS = tuple(f.name for f in fields(Slot))


def slots_to_json(slots: list[Slot]) -> bytes:
    """Slots as a JSON list of their field values, in field order (the version covers the fields)."""
    rows = [[getattr(s, name) for name in _FIELDS] for s in slots]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def slots_from_json(blob: bytes) -> list[Slot]:
    """The slots ``slots_to_json`` wrote; raises ValueError or TypeError on a damaged blob."""
    rows = json.loads(blob)
    if not isinstance(rows, list):
        raise ValueError("not a list of slots")
    return [Slot(*(tuple(v) if isinstance(v, list) else v for v in row)) for row in rows]
