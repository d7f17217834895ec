"""Digests of code: what names the results that code, not a model, derives from the inputs (fact slots,
alignments), so that such a result kept in the result cache is only
read back by the code that made it (``cache.remembered``).

A digest covers the modules given and every checker module they import (found in their import lines,
transitively, imports inside functions included), the versions of the other packages any of them
imports, the Python and Unicode versions (``re``'s idea of a word character), and the data files
given. An edit to any of them gives another digest.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from functools import cache
from importlib import metadata
from pathlib import Path

CHECKER_DIR = Path(__file__).resolve().parent


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w., \t]+)", re.M)
_NAME = re.compile(r"[A-Za-z_]\w*")


def _imports(path: Path) -> tuple[set[Path], set[str]]:
    """The checker modules a module imports (as files) and the top-level names of the others, read from
    its import statements (those inside functions too; an import line quoted in a string counts as well,
    which only widens the digest) without parsing the module: a cached run reads them all."""
    text = path.read_text(encoding="utf-8")
    modules: set[Path] = set()
    packages = {part.split()[0].split(".")[0] for m in _IMPORT.finditer(text) for part in m.group(1).split(",")
                if part.strip()}
    for m in _FROM_IMPORT.finditer(text):
        dots, module, names = m.groups()
        if not dots:
            packages.add(module.split(".")[0])
            continue
        base = path.parent
        for _ in range(len(dots) - 1):
            base = base.parent
        targets = [module] if module else [n for n in _NAME.findall(names.replace(" as ", " ")) if n != "as"]
        for name in targets:
            target = base.joinpath(*name.split("."))
            modules.update(p for p in (target.with_suffix(".py"), target / "__init__.py") if p.is_file())
    return modules, {p for p in packages if p}


def _distribution_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return str(getattr(sys.modules.get(package), "__version__", "unknown"))


def code_sources(*modules: Path) -> tuple[list[Path], list[str]]:
    """The checker modules ``modules`` consist of (themselves and what they import, transitively) and
    the other packages they import."""
    todo = [Path(m).resolve() for m in modules]
    sources: set[Path] = set()
    packages: set[str] = set()
    while todo:
        path = todo.pop()
        if path in sources or CHECKER_DIR not in path.parents:
            continue
        sources.add(path)
        found, names = _imports(path)
        todo.extend(found)
        packages |= names
    others = sorted(p for p in packages - set(sys.stdlib_module_names) if p not in ("checker", "__future__"))
    return sorted(sources), others


@cache
def code_digest(*modules: Path, data: tuple[Path, ...] = ()) -> str:
    """A short digest of ``modules`` and what they import, and of the ``data`` files (see the module doc)."""
    sources, packages = code_sources(*modules)
    digest = hashlib.sha256()
    parts = [f"python {sys.version_info.major}.{sys.version_info.minor} unicode {unicodedata.unidata_version}",
             *(f"{p} {_distribution_version(p)}" for p in packages)]
    for path in [*sources, *sorted(data)]:
        name = path.relative_to(CHECKER_DIR) if CHECKER_DIR in path.parents else path.name
        parts += [str(name), path.read_bytes()]
    for part in parts:
        blob = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(blob).to_bytes(8, "little") + blob)
    return digest.hexdigest()[:16]
