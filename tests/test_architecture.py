"""The package's shape: imports go one way (library modules never import the command layer), there is
no import cycle, every command module is registered, and each shared concept has one home."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "checker"
COMMAND_LAYER = "checker.cli"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """Modules of the package that ``name`` imports anywhere (top level, in functions, for typing)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                root = ".".join(base + ([node.module] if node.module else []))
            else:
                root = node.module or ""
            targets = [root] + [f"{root}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES:
                found.add(target)
    return found - {name}


GRAPH = {name: imports_of(name) for name in MODULES}


def is_command_layer(name: str) -> bool:
    return name == COMMAND_LAYER or name.startswith(COMMAND_LAYER + ".") or name == "checker.__main__"


def test_the_command_layer_is_a_package_of_its_own() -> None:
    assert (PACKAGE / "cli" / "__init__.py").is_file()
    assert {n for n in MODULES if is_command_layer(n)} >= {"checker.cli", "checker.cli.common", "checker.cli.check",
                                                           "checker.cli.ci", "checker.cli.review",
                                                           "checker.cli.evaluate"}


def test_library_modules_never_import_the_command_layer() -> None:
    offenders = {name: sorted(t for t in targets if is_command_layer(t))
                 for name, targets in GRAPH.items() if not is_command_layer(name)}
    assert {k: v for k, v in offenders.items() if v} == {}
    # nor typer: commands and options are defined in the command layer only
    uses_typer = [name for name, path in MODULES.items() if not is_command_layer(name)
                  and "import typer" in path.read_text(encoding="utf-8")]
    assert uses_typer == []


def test_no_import_cycles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []
    assert "checker.slots.places" not in GRAPH["checker.slots.gazetteer"]


def test_every_command_module_is_registered_once() -> None:
    from checker.cli import COMMANDS, app

    modules = {n.rpartition(".")[2] for n in MODULES if n.startswith("checker.cli.")} - {"common"}
    registered = {f.__module__.rpartition(".")[2] for f in COMMANDS.values()}
    assert registered == modules
    assert [c.name for c in app.registered_commands] == list(COMMANDS)


def _defining(pattern: str) -> list[str]:
    return sorted(name for name, path in MODULES.items() if pattern in path.read_text(encoding="utf-8"))


def test_each_shared_concept_has_one_home() -> None:
    assert _defining("mkstemp(") == ["checker.fileio"]  # one atomic writer
    assert _defining("os.replace(") == ["checker.fileio"]
    assert _defining("def normalise_text(") == ["checker.textnorm"]  # one normaliser module
    assert _defining("def normalize_for_model(") == ["checker.textnorm"]
    assert _defining("def key_of(") == ["checker.textnorm"]
    assert _defining('"…"') == ["checker.safetext"]  # one shortener
    assert _defining("def prf(") == ["checker.metrics"]  # one metrics module
    assert _defining("def metrics(") == ["checker.metrics"]
    assert _defining("fingerprint(d)") == ["checker.fingerprint"]  # findings are fingerprinted through one view
    assert _defining("maketrans(\"٠١٢٣٤٥٦٧٨٩") == ["checker.textnorm"]
