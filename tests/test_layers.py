"""The architecture rules of DESIGN.md that a test can hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prodops.errors import ColumnError, did_you_mean

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "prodops").rglob("*.py")
    if "ui" not in p.relative_to(ROOT).parts
    and "migrations" not in p.relative_to(ROOT).parts
    and p.name != "__main__.py"
)


def test_the_core_never_imports_streamlit() -> None:
    code = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in CORE)
        + "print('streamlit' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert len(CORE) > 5
    assert result.stdout.strip() == "False"


def test_errors_are_one_line_with_where_what_and_fix() -> None:
    error = ColumnError("column 'usr' not found", where="events.csv", fix="Pick the user column.")
    assert str(error) == "events.csv: column 'usr' not found. Pick the user column."


@pytest.mark.parametrize(
    ("name", "expected"),
    [("usr_id", "Did you mean 'user_id'?"), ("USER_ID", "Did you mean 'user_id'?"), ("zzz", "")],
)
def test_did_you_mean_suggests_close_names(name: str, expected: str) -> None:
    assert did_you_mean(name, ["user_id", "event", "timestamp"]) == expected


def test_as_table_reads_a_column_of_only_missing_values_as_text() -> None:
    import pandas as pd

    from prodops.engine import as_table

    table = as_table(pd.DataFrame({"user_id": ["a", "b"], "plan": [None, None]}))
    assert str(table.schema()["plan"]).startswith("string")
    assert table.count().execute() == 2
