"""Start-up cost: the command line loads no heavy library before a command runs, and help pages are
made without parsing options; the report's CSV files need no pandas but stay byte-identical to what
pandas writes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import COMMANDS, app, help_page
from checker.report import csv_table
from checker.safetext import for_csv

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "torch", "transformers", "lingua", "numpy", "jinja2")


def modules_after(code: str) -> list[str]:
    """The heavy libraries loaded by ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY + ('pydantic',)!r} if m in sys.modules]))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    assert modules_after("import checker.cli") == []


def test_help_pages_load_no_heavy_library() -> None:
    code = ("import contextlib, io\nfrom checker.cli import main\n"
            "for args in (['--help'], ['check', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "        main(args)")
    assert modules_after(code) == []  # not even pydantic, which typer loads to parse options


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
