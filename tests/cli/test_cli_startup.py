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


def test_an_import_reads_the_file_without_ibis(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prodops import`` needs DuckDB, not Ibis and its SQL compilers (half a second of
    start-up): the catalog's writers use a plain DuckDB connection (:mod:`prodops.duck`). The
    first run of a fresh data directory migrates the store, whose environment imports every
    feature; the second is measured."""
    home = tmp_path / "home"  # type: ignore[operator]
    monkeypatch.setenv("PRODOPS_HOME", str(home))
    csv = tmp_path / "events.csv"  # type: ignore[operator]
    csv.write_text(
        "user_id,event,timestamp\nu1,open,2024-01-01T10:00:00Z\nu2,open,2024-01-02T10:00:00Z\n"
    )
    assert _run("import", str(csv), "--name", "first", "--kind", "events")[0] == 0  # migrates
    status, out, errors, modules = _run("import", str(csv), "--name", "tiny", "--kind", "events")
    assert (status, errors) == (0, [])
    assert "2 rows saved as dataset 'tiny'" in out
    assert "duckdb" in modules and "pandas" in modules
    assert not any(m == "ibis" or m.startswith("ibis.") for m in modules)


def test_a_file_is_inspected_without_pandas(tmp_path: pytest.TempPathFactory) -> None:
    """A metric over a file starts DuckDB's read before pandas is imported (ADR 0016: pandas,
    a third of a second, then loads in a thread while DuckDB reads): sniffing, the sample of
    2,000 rows, the mapping and the time formats need none of it; the preview does."""
    csv = tmp_path / "events.csv"  # type: ignore[operator]
    csv.write_text("distinct_id,event,timestamp\nu1,open,05/01/2024 10:00\nu2,open,\n")
    script = (
        "import sys\n"
        "from prodops.data.inspection import apply_overrides, inspect_file\n"
        f"found = inspect_file({str(csv)!r}, kind='events')\n"
        "plan = apply_overrides(found, {}, day_first=True)\n"
        "print('pandas' in sys.modules, plan.mapping.preset, plan.times['timestamp'].formats)\n"
        "print(found.preview.shape, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = done.stdout.splitlines()
    assert before == "False posthog ('%d/%m/%Y %H:%M',)"
    assert after == "(2, 3) True"
