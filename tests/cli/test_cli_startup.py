"""``prodops --help``, a command's ``--help`` and argument errors answer at once.

They build the parser only: no pandas, Ibis, DuckDB, Altair, SQLAlchemy, SQLModel or Streamlit is
imported (``-X importtime`` lists every module a run imports, on stderr).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = {"pandas", "ibis", "duckdb", "altair", "sqlalchemy", "sqlmodel", "streamlit"}
IMPORT_TIME = "import time:"


def _run(*argv: str) -> tuple[int, str, list[str], set[str]]:
    """Exit status, stdout, the stderr lines that are not import times, the modules imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "prodops", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stderr.splitlines()
    modules = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith(IMPORT_TIME)}
    errors = [line for line in lines if not line.startswith(IMPORT_TIME)]
    return done.returncode, done.stdout, errors, modules


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("argv", [["--help"], ["retention", "--help"], ["revenue", "--help"]])
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    status, out, errors, modules = _run(*argv)
    assert status == 0
    assert errors == []
    assert "usage: prodops" in out
    assert modules  # -X importtime did report
    assert _heavy(modules) == []


def test_an_argument_error_is_one_line_exit_2_and_imports_no_heavy_module() -> None:
    status, out, errors, modules = _run("retention", "--period", "bogus", "x.csv")
    assert status == 2
    assert out == ""
    assert len(errors) == 1
    assert "invalid choice: 'bogus'" in errors[0]
    assert _heavy(modules) == []


def test_the_metric_commands_are_listed() -> None:
    status, out, _, _ = _run("--help")
    assert status == 0
    for command in ("retention", "lifecycle", "stickiness", "active-users", "churn", "revenue"):
        assert command in out
