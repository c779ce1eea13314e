"""The architecture rules of DESIGN.md that a test can hold."""

from __future__ import annotations

import ast
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


# --- Import rules, read from the source (function-level imports included) -------------------------

FEATURES = ("metrics", "okr", "critique", "qbr", "research")
SHELLS = ("ui", "cli")  # may use any part of the core


def _imports(path: Path) -> list[str]:
    """Every module *path* imports (`from a.b import c` gives `a.b`; `import a.b` gives it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules() -> list[tuple[tuple[str, ...], list[str]]]:
    return [
        (p.relative_to(ROOT / "prodops").parts, _imports(p))
        for p in sorted((ROOT / "prodops").rglob("*.py"))
    ]


def _area(parts: tuple[str, ...]) -> str:
    return parts[0].removesuffix(".py") if parts else ""


def test_only_prodops_ui_imports_streamlit() -> None:
    offenders = [
        "/".join(parts)
        for parts, imported in _modules()
        if _area(parts) != "ui" and any(m.split(".")[0] == "streamlit" for m in imported)
    ]
    assert offenders == []


def test_nothing_below_the_shells_imports_them() -> None:
    offenders = [
        ("/".join(parts), m)
        for parts, imported in _modules()
        for m in imported
        if _area(parts) not in (*SHELLS, "__main__")
        and m.split(".")[:2] in (["prodops", "ui"], ["prodops", "cli"])
    ]
    assert offenders == []


def test_the_store_imports_no_feature() -> None:
    # migrations/env.py is the schema's composition root: it registers every feature's tables.
    offenders = [
        ("/".join(parts), m)
        for parts, imported in _modules()
        if _area(parts) == "store" and "migrations" not in parts
        for m in imported
        if m.split(".")[:2][-1] in FEATURES and m.startswith("prodops.")
    ]
    assert offenders == []


def test_features_use_each_other_only_through_their_package() -> None:
    offenders = [
        ("/".join(parts), m)
        for parts, imported in _modules()
        if _area(parts) in FEATURES
        for m in imported
        if m.startswith("prodops.")
        and len(m.split(".")) > 2
        and m.split(".")[1] in FEATURES
        and m.split(".")[1] != _area(parts)
    ]
    assert offenders == []
