"""Where queries run: Ibis over an in-process DuckDB (the default) or any Ibis backend by URL.

Metrics are written once as Ibis expressions (see :mod:`prodops.metrics`) and executed by the
backend that holds the data. This module makes those backends with safe settings and holds the few
expression helpers every metric shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends.duckdb import Backend as DuckDBBackend

from prodops import dialects, duck
from prodops.db_errors import database_error as database_error  # re-exported
from prodops.db_errors import database_errors as database_errors  # re-exported
from prodops.db_errors import is_database_error as is_database_error  # re-exported


def duckdb_connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    allowed_directories: Sequence[str | Path] = (),
    memory_limit: str | None = None,
) -> DuckDBBackend:
    """Open DuckDB through Ibis with the settings ProdOps relies on (:func:`prodops.duck.connect`:
    file access limited to *allowed_directories*, memory capped with spilling to the data
    directory, the session time zone UTC, the configuration locked).

    Examples
    --------
    >>> con = duckdb_connect()  # wrapped by Ibis, then locked
    >>> con.raw_sql("SELECT current_setting('lock_configuration'), current_setting('TimeZone')"
    ...             ).fetchone()
    (True, 'UTC')
    """
    raw = duck.connect(
        path,
        read_only=read_only,
        allowed_directories=allowed_directories,
        memory_limit=memory_limit,
        lock=False,
    )
    return as_ibis(raw)


def as_ibis(con: duckdb.DuckDBPyConnection) -> DuckDBBackend:
    """Wrap *con* (opened with ``prodops.duck.connect(..., lock=False)``) in Ibis and lock its
    configuration; the backend owns the connection from then on (``disconnect()`` closes it)."""
    try:
        backend = ibis.duckdb.from_connection(con)  # sets the session time zone to UTC
        duck.lock_configuration(con)
    except BaseException:
        con.close()
        raise
    return backend


def local_time(ts: ir.TimestampValue, timezone: str) -> ir.TimestampValue:
    """Return the naive wall-clock time of UTC timestamp *ts* in *timezone*.

    Truncating a zoned timestamp in Ibis truncates in the session zone, not the value's zone, so
    every metric converts to local wall-clock time first and then truncates (DESIGN.md, pitfalls).
    Each engine gets its own zone function when the query is compiled (:mod:`prodops.dialects`):
    ``timezone(zone, ts)`` on DuckDB and PostgreSQL, ``from_utc_timestamp`` on Spark, ...

    Examples
    --------
    >>> import ibis
    >>> t = ibis.table({"ts": "timestamp('UTC')"}, name="events")
    >>> expr = t.select(day=local_time(t.ts, "America/New_York").truncate("D"))
    >>> "TIMEZONE('America/New_York', " in ibis.to_sql(expr, dialect="duckdb")
    True
    >>> "CONVERT_TIMEZONE('UTC', 'America/New_York', " in ibis.to_sql(expr, dialect="snowflake")
    True
    """
    return dialects.local_time(ts, timezone)


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
