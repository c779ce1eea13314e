"""Random bytes, CSV-ish text, JSON lines and Excel workbooks: only the project's own clear errors
come out, and every row read is either accepted or rejected."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodops.data.importer import import_into, scratch_connection, workspace
from prodops.data.inspection import inspect_file
from prodops.errors import ProdOpsError

CELLS = st.sampled_from(
    [
        "u1", "", "signup", "2024-01-01", "31/12/2024 13:05", "1704067200000", "x,y", '"q"',
        "é", "12,5", "-3", "NaN", "\n", ";", "\t", "user_id", "timestamp", "event", "mrr",
    ]
)  # fmt: skip
HEADERS = st.lists(
    st.sampled_from(["user_id", "event", "timestamp", "time", "start", "end", "mrr", "a", ""]),
    min_size=1,
    max_size=5,
)


KEYS = st.sampled_from(
    ["user_id", "event", "timestamp", "time", "distinct_id", "properties", "mrr", "start", "end",
     "", "_reason", "rowid", "_prodops_reason", "plan", "User_Id"]
)  # fmt: skip
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(allow_nan=False)
    | st.sampled_from(["2024-01-01T10:00:00Z", "0000-01-01", "31/12/2024 13:05", "", "u1", "NaN"])
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
SHEET_CELLS = st.one_of(
    st.none(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["u1", "signup", "2024-01-01", "2024-01-01 10:00", "=1+1", "", " ", "mrr"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6),
)


def _attempt(content: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            inspection = inspect_file(path)
            plan = inspection.plan
            if plan.ambiguous:
                plan = plan.resolve_day_first(True)
            with workspace() as work, scratch_connection(path, work) as con:
                report = import_into(con, path, plan, table="t", workdir=work)
                assert report.rows_read == report.rows_accepted + report.rows_rejected
        except ProdOpsError as error:
            assert "\n" not in str(error)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.sampled_from(["f.csv", "f.tsv", "f.jsonl", "f.parquet"]))
def test_random_bytes_raise_only_prodops_errors(content: bytes, name: str) -> None:
    _attempt(content, name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    HEADERS,
    st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_random_csvish_text_raises_only_prodops_errors(
    header: list[str], rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    text = "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"
    _attempt(text.encode(encoding, errors="replace"), "f.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.dictionaries(KEYS, VALUES, max_size=6) | VALUES, min_size=0, max_size=6),
    st.sampled_from(["lines", "array", "pretty"]),
    st.sampled_from(["f.jsonl", "f.json", "f.ndjson"]),
)
def test_random_json_raises_only_prodops_errors(records: list[Any], layout: str, name: str) -> None:
    if layout == "lines":
        text = "\n".join(json.dumps(r) for r in records) + "\n"
    else:
        text = json.dumps(records, indent=2 if layout == "pretty" else None)
    _attempt(text.encode("utf-8"), name)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.lists(SHEET_CELLS, min_size=1, max_size=5), min_size=0, max_size=5),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(
        [["user_id", "event", "timestamp"], ["customer_id", "start", "end", "mrr"], []]
    ),
)
def test_random_workbooks_raise_only_prodops_errors(
    sheets: list[list[list[Any]]], header: list[str]
) -> None:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for index, rows in enumerate(sheets):
            grid = [header, *rows] if header else rows
            width = max((len(r) for r in grid), default=0)
            frame = pd.DataFrame([[*r, *[None] * (width - len(r))] for r in grid])
            frame.to_excel(writer, sheet_name=f"S{index}", index=False, header=False)
    _attempt(buffer.getvalue(), "f.xlsx")
