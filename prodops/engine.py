"""Where queries run: Ibis over an in-process DuckDB (the default) or any Ibis backend by URL.

Metrics are written once as Ibis expressions (see :mod:`prodops.metrics`) and executed by the
backend that holds the data. This module makes those backends with safe settings and holds the few
expression helpers every metric shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
from ibis.backends.duckdb import Backend as DuckDBBackend

DEFAULT_MEMORY_LIMIT = "4GB"


def duckdb_connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    allowed_directories: Sequence[str | Path] = (),
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> DuckDBBackend:
    """Open DuckDB through Ibis with the settings ProdOps relies on.

    DuckDB treats SQL and files as trusted, so file access is limited to *allowed_directories*
    (none by default), the configuration is locked, and memory is capped. The progress bar is off
    and the session time zone is UTC (all timestamps are stored in UTC).

    Parameters
    ----------
    path : str or Path
        Database file, or ``":memory:"``.
    read_only : bool
        Open the file read-only (several processes may then read it at once).
    allowed_directories : sequence of paths
        Directories DuckDB may read files from (uploads' temporary directory, the catalog).
    memory_limit : str
        DuckDB ``memory_limit``.
    """
    raw = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit})
    backend = ibis.duckdb.from_connection(raw)  # sets the session time zone to UTC
    dirs = [str(Path(d).resolve()) + "/" for d in allowed_directories]
    if dirs:
        raw.execute("SET allowed_directories = $1", [dirs])
    raw.execute("SET enable_external_access = false")
    raw.execute("SET enable_progress_bar = false")
    raw.execute("SET lock_configuration = true")
    return backend


@ibis.udf.scalar.builtin(
    name="timezone",
    signature=((dt.string, dt.Timestamp(timezone="UTC")), dt.timestamp),
)
def _timezone(zone: str, ts: Any) -> Any:  # pragma: no cover - executed by the database
    """``timezone(zone, ts)``: the wall-clock time in *zone*; shared by DuckDB and PostgreSQL."""


def local_time(ts: ir.TimestampValue, timezone: str) -> ir.TimestampValue:
    """Return the naive wall-clock time of UTC timestamp *ts* in *timezone*.

    Truncating a zoned timestamp in Ibis truncates in the session zone, not the value's zone, so
    every metric converts to local wall-clock time first and then truncates (DESIGN.md, pitfalls).
    """
    if timezone in ("UTC", "Etc/UTC"):
        return ts.cast(dt.Timestamp())
    return _timezone(ibis.literal(timezone), ts.cast(dt.Timestamp(timezone="UTC")))


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (the one place identifiers are quoted for hand-written SQL)."""
    return '"' + name.replace('"', '""') + '"'


def as_table(data: ir.Table | pd.DataFrame) -> ir.Table:
    """Return *data* as an Ibis table: an Ibis table as is, a DataFrame in a fresh in-memory DuckDB.

    Every metric accepts either, so the Python API works on a plain frame and tests can pass small
    hand-made frames.
    """
    if isinstance(data, ir.Table):
        return data
    if isinstance(data, pd.DataFrame):
        # A column holding only None has no type DuckDB accepts: read it as text.
        empty = [c for c in data.columns if data[c].dtype == object and data[c].isna().all()]
        frame = data.astype(dict.fromkeys(empty, "string")) if empty else data
        return duckdb_connect().create_table("data", ibis.memtable(frame), temp=True)
    raise TypeError(f"expected an ibis.Table or a pandas.DataFrame, got {type(data).__name__}")
