"""Random bytes and random CSV-ish text: only the project's own clear errors come out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodops.data.importer import import_into, inspect_file, scratch_connection, workspace
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
