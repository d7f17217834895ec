"""Start-up cost: the command line loads no heavy library before a command runs, help pages are made
without parsing options, and options are parsed without pydantic yet exactly as typer parses them; the
report's CSV files need no pandas but stay byte-identical to what pandas writes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer.main

from checker.cli import COMMANDS, app, help_page
from checker.report import csv_table
from checker.safetext import for_csv

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "torch", "transformers", "lingua", "numpy", "jinja2", "onnxruntime", "onnx")


def modules_after(code: str) -> list[str]:
    """The heavy libraries loaded by ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY + ('pydantic',)!r} if m in sys.modules]))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    assert modules_after("import checker.cli") == []


def test_the_default_models_import_no_model_library_until_they_compute() -> None:
    # a fully cached check never builds a model: naming and loading one must not import torch either
    code = ("from checker.pipeline import CheckConfig, load_models\n"
            "for spec in (None, 'e5'):\n"
            "    load_models(CheckConfig(encoder=spec, progress=False))")
    assert not {"torch", "transformers", "onnxruntime", "onnx"} & set(modules_after(code))


def test_help_pages_load_no_heavy_library() -> None:
    code = ("import contextlib, io\nfrom checker.cli import main\n"
            "for args in (['--help'], ['check', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "        main(args)")
    assert modules_after(code) == []  # not even pydantic, which typer loads to parse options


def test_a_check_command_line_is_parsed_without_pydantic(tmp_path: Path) -> None:
    args = ["check", str(tmp_path), "--out", str(tmp_path / "out"), "--max-claims", "7", "--min-margin", "0.25",
            "--languages", "ar,fa", "--max-mb", "2", "--no-slots", "-q"]
    code = ("import json, checker.cli, checker.pipeline\n"
            "def parsed(inputs, config):\n"
            "    print(json.dumps([[str(p) for p in inputs], str(config.output_dir), config.max_claims,\n"
            "                      config.align.min_margin, config.languages, config.max_bytes, config.compare.slots]))\n"
            "    raise SystemExit(0)\n"
            "checker.pipeline.check = parsed\n"
            f"try:\n    checker.cli.main({args!r})\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'pydantic_core'})))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120, check=True)
    values, loaded = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert values == [[str(tmp_path)], str(tmp_path / "out"), 7, 0.25, ["ar", "fa"], 2 * 1024 * 1024, False]
    assert loaded == []


# Values as they come from a command line (bool: flags), typer's adapters' edge cases included.
RAW_VALUES: dict[object, list[object]] = {
    int: ["3", "007", "-2", "0", "+3", " 3", "1_000", "3.0", "x", "", "٣"],
    float: ["0.5", "2", "-1.25", ".5", "1e3", "nan", "x", " 2", "0.0"],
    str: ["text", "", "--x", "عربي"],
    Path: ["a/b", "a//b/", "", "-", "~", "."],
    bool: [True, False],
}


def _outcome(coercion: Any, value: object, param: Any, ctx: Any) -> tuple[object, ...]:
    """What a parameter's runtime coercion makes of a value: the value (types included) or the error."""
    try:
        result = coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:
        return "error", type(exc), str(exc)
    return "value", repr(result), type(result), [type(v) for v in result] if isinstance(result, list) else None


@pytest.mark.parametrize("name", COMMANDS)
def test_plain_values_are_what_typer_makes_of_them(name: str, tmp_path: Path) -> None:
    build_runtime_param = pytest.importorskip("typer._coercion").build_runtime_param  # typer's own conversion
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    group = typer.main.get_command(app)
    group_ctx = group.context_class(group, info_name="claimcheck")
    command = group.get_command(group_ctx, name)  # type: ignore[attr-defined]
    ctx = command.context_class(command, info_name=name, parent=group_ctx)
    compared = 0
    for param in command.get_params(ctx):
        annotation = param.type_descriptor.annotation
        multiple = get_origin(annotation) is list
        samples = RAW_VALUES.get(get_args(annotation)[0] if multiple else annotation, [])
        if annotation is Path or multiple:
            samples = [*samples, str(tmp_path), str(tmp_path / "file.txt")]
        for raw in [None, *samples]:
            value = (raw,) if multiple and raw is not None else raw
            ours = _outcome(param.get_runtime_param(), value, param, ctx)
            assert ours == _outcome(build_runtime_param(param.type_descriptor), value, param, ctx), (param.name, value)
            compared += 1
    assert compared > 10


@pytest.mark.parametrize("args", [["--help"], *([name, "--help"] for name in COMMANDS)])
def test_help_page_is_the_one_typer_prints(args: list[str]) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.suppress(SystemExit):
        app(args, prog_name="claimcheck", standalone_mode=False)
    page = help_page(args)
    assert page is not None and page + "\n" == printed.getvalue()


@pytest.mark.parametrize("args", [[], ["check"], ["check", "x", "--help"], ["nope", "--help"], ["--version"]])
def test_other_command_lines_are_parsed(args: list[str]) -> None:
    assert help_page(args) is None


def test_csv_is_what_pandas_writes() -> None:
    pd = pytest.importorskip("pandas")
    header = ["id", "=head", "score", "maybe", "flag", "count", "text"]
    rows: list[dict[str, object]] = [
        {"id": "d1", "=head": "x", "score": 0.35, "maybe": None, "flag": True, "count": 3, "text": "plain"},
        {"id": "d2", "=head": "", "score": 1.0, "maybe": 0.1 + 0.2, "flag": False, "count": 0,
         "text": 'quote " comma , newline \n and\r\nCRLF'},
        {"id": "d3", "=head": "=SUM(A1)", "score": 1e-05, "maybe": 2.5e16, "flag": True, "count": -7,
         "text": "\x1b[31mred\x07 -1 @x +y\ttab عربي"},
        {"id": "", "score": 0.0, "maybe": None, "flag": False, "count": 12, "text": ""},  # "=head" missing
    ]
    frame = pd.DataFrame(rows, columns=header)
    expected = frame.map(for_csv).rename(columns=for_csv).to_csv(index=False)
    assert csv_table(header, rows) == expected
    assert csv_table(header, []) == pd.DataFrame([], columns=header).rename(columns=for_csv).to_csv(index=False)
