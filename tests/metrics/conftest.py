"""Fixtures of the metric tests: the same tests run on DuckDB and on PostgreSQL."""

from __future__ import annotations

import itertools

import ibis
import pandas as pd
import pytest

from metrics.helpers import SCHEMA, Loader
from prodops.engine import duckdb_connect

_names = itertools.count()


@pytest.fixture(params=["duckdb", "postgres"])
def load(request: pytest.FixtureRequest) -> Loader:
    """Load an events frame into a table of the backend under test (a fresh PG schema)."""
    con = duckdb_connect() if request.param == "duckdb" else request.getfixturevalue("pg_ibis")

    def make(events: pd.DataFrame) -> ibis.Table:
        name = f"events_{next(_names)}"
        # Further property columns: numbers stay numbers, anything else is text.
        extra = {
            c: "float64" if pd.api.types.is_float_dtype(events[c]) else "string"
            for c in events.columns
            if c not in SCHEMA
        }
        return con.create_table(name, ibis.memtable(events, schema={**SCHEMA, **extra}))

    make.backend = request.param  # type: ignore[attr-defined]
    return make
