"""Where queries run: Ibis over an in-process DuckDB (the default) or any Ibis backend by URL.

Metrics are written once as Ibis expressions (see :mod:`prodops.metrics`) and executed by the
backend that holds the data. This module makes those backends with safe settings and holds the few
expression helpers every metric shares.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends.duckdb import Backend as DuckDBBackend

from prodops import config, dialects
from prodops.errors import BackendError

_SPILL_NAMES = itertools.count()


def spill_directory() -> Path:
    """A fresh spill folder for one DuckDB connection, in :func:`prodops.config.tmp_dir`.

    DuckDB creates it when a query outgrows the memory limit and removes it when the connection
    closes; one folder per connection, so no two connections (threads of the app, a CLI run next
    to it) ever share or remove each other's spill files. The name carries the process id, so a
    sweep can tell the folders of a killed process (``duckdb-spill-<pid>-<n>``).
    """
    return config.tmp_dir() / f"duckdb-spill-{os.getpid()}-{next(_SPILL_NAMES)}"


def duckdb_connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    allowed_directories: Sequence[str | Path] = (),
    memory_limit: str | None = None,
) -> DuckDBBackend:
    """Open DuckDB through Ibis with the settings ProdOps relies on.

    DuckDB treats SQL and files as trusted (DESIGN.md, pitfalls), so on every connection the
    product opens: file access is limited to *allowed_directories* (none by default), memory is
    capped (:func:`prodops.config.duckdb_memory_limit`) with work beyond the cap spilled to a
    folder under the data directory (:func:`spill_directory`), and the configuration is then
    locked so no SQL can lift any of it. The progress bar is off and the session time zone is
    UTC (all timestamps are stored in UTC).

    Parameters
    ----------
    path : str or Path
        Database file, or ``":memory:"``.
    read_only : bool
        Open the file read-only (several processes may then read it at once).
    allowed_directories : sequence of paths
        Directories DuckDB may read files from (uploads' temporary directory, the catalog).
    memory_limit : str, optional
        DuckDB ``memory_limit``; default :func:`prodops.config.duckdb_memory_limit`.

    Examples
    --------
    >>> con = duckdb_connect()
    >>> con.raw_sql("SELECT current_setting('enable_external_access')").fetchone()
    (False,)
    >>> con.raw_sql("SET enable_external_access = true")
    Traceback (most recent call last):
    _duckdb.InvalidInputException: Invalid Input Error: Cannot change configuration option ...
    """
    settings: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit or config.duckdb_memory_limit(),
        "temp_directory": str(spill_directory()),
    }
    raw = duckdb.connect(str(path), read_only=read_only, config=settings)
    backend = ibis.duckdb.from_connection(raw)  # sets the session time zone to UTC
    dirs = [str(Path(d).resolve()) + "/" for d in allowed_directories]
    if dirs:
        raw.execute("SET allowed_directories = $1", [dirs])
    raw.execute("SET enable_external_access = false")
    raw.execute("SET enable_progress_bar = false")
    raw.execute("SET lock_configuration = true")
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


# --- database errors ------------------------------------------------------------------------

# Packages whose exceptions mean "the database or query engine refused or failed": DB-API
# drivers, SQLAlchemy, Ibis, DuckDB. Checked by module name, so none of them is imported here.
_DATABASE_MODULES = frozenset(
    {
        "duckdb", "_duckdb", "psycopg", "psycopg2", "sqlite3", "_sqlite3", "sqlalchemy", "ibis",
        "pymysql", "MySQLdb", "oracledb", "pyodbc", "snowflake", "trino", "clickhouse_connect",
        "databricks", "pyspark",
    }
)  # fmt: skip
_SQL_TAIL = re.compile(r"\s*(\[SQL:|\[parameters:|\(Background on this error|LINE \d+:).*$")
_DRIVER_PREFIX = re.compile(r"^\((?:[\w.]+)\)\s*")
# (SQLSTATE prefixes, words of the message or exception class, the fix a person can act on)
_ADVICE: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        (),
        ("disabled by configuration",),
        "Queries may not read files on the ProdOps server: connect a database, or import the "
        "file on the Data page.",
    ),
    (
        ("42501",),
        ("permission denied", "insufficient privilege", "access denied"),
        "Ask the database owner to grant this login SELECT on the table (GRANT SELECT ON ... TO "
        "...), or pick a table it can read.",
    ),
    (
        ("0A000", "42883"),
        (
            "no such function",
            "not supported",
            "not implemented",
            "notimplemented",
            "operationnotdefined",
            "unsupported",
            "no translation rule",
        ),
        "This database cannot run an operation the metric needs: import a copy of the data "
        "(Data page or `prodops import`) and run the metric on it.",
    ),
    (
        ("57014",),
        ("statement timeout", "canceling statement"),
        "Narrow the range or the table, or raise PRODOPS_QUERY_TIMEOUT_S.",
    ),
    (
        ("25006",),
        ("read-only transaction",),
        "ProdOps only reads: give a table, a view or a SELECT that changes nothing.",
    ),
    (
        ("53",),
        ("out of memory", "outofmemory", "could not allocate"),
        "Narrow the date range, choose a coarser period or fewer breakdown values, or raise "
        "PRODOPS_DUCKDB_MEMORY_LIMIT.",
    ),
    (
        ("08",),
        ("could not connect", "connection refused", "server closed", "connection is closed"),
        "Check that the database is running and reachable, then try again.",
    ),
)


def is_database_error(error: BaseException) -> bool:
    """Whether *error* comes from a database driver, SQLAlchemy, Ibis or DuckDB.

    Examples
    --------
    >>> import duckdb
    >>> is_database_error(duckdb.BinderException("Referenced column x not found"))
    True
    >>> is_database_error(KeyError("x"))
    False
    """
    return any(
        cls.__module__.split(".")[0] in _DATABASE_MODULES for cls in type(error).__mro__[:-2]
    )


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None)  # SQLAlchemy wraps the driver's error
    source = original if isinstance(original, BaseException) else error
    diag = getattr(source, "diag", None)
    text = str(getattr(diag, "message_primary", None) or source).strip()
    line = text.splitlines()[0] if text else type(source).__name__
    line = _SQL_TAIL.sub("", _DRIVER_PREFIX.sub("", line)).strip() or type(source).__name__
    from prodops.data.db_urls import mask_urls

    return mask_urls(line)[:200]


def _sqlstate(error: BaseException) -> str:
    original = getattr(error, "orig", None)
    for candidate in (error, original):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return ""


def database_error(error: BaseException, *, what: str = "running the query") -> BackendError | None:
    """Return *error* as a one-line :class:`BackendError`, or None when it is not a database error.

    The message is the first line of the database's own message without the SQL statement,
    its parameters or the password of any URL in it, plus what to do (by SQLSTATE or message:
    permission denied, unsupported operation, timeout, out of memory, connection lost).

    Examples
    --------
    >>> import duckdb
    >>> error = duckdb.OutOfMemoryException(
    ...     "Out of Memory Error: could not allocate block of size 256.0 KiB\\n\\nLINE 1: SELECT"
    ... )
    >>> print(database_error(error, what="computing retention"))
    the database failed while computing retention (Out of Memory Error: could not allocate \
block of size 256.0 KiB). Narrow the date range, choose a coarser period or fewer breakdown \
values, or raise PRODOPS_DUCKDB_MEMORY_LIMIT.
    >>> database_error(ValueError("not ours")) is None
    True
    """
    if not is_database_error(error):
        return None
    line = _first_line(error)
    state = _sqlstate(error)
    names = " ".join(cls.__name__.lower() for cls in type(error).__mro__)
    haystack = f"{line.lower()} {names}"
    fix = "Check the table and the column mapping, then try again."
    for states, words, advice in _ADVICE:
        if any(state.startswith(s) for s in states) or any(w in haystack for w in words):
            fix = advice
            break
    return BackendError(f"the database failed while {what} ({line})", fix=fix)


@contextlib.contextmanager
def database_errors(what: str = "running the query") -> Iterator[None]:
    """Turn database errors raised inside into :class:`BackendError` (see :func:`database_error`).

    Examples
    --------
    >>> with database_errors("previewing"):
    ...     duckdb_connect().raw_sql("SELECT * FROM missing_table")
    Traceback (most recent call last):
    prodops.errors.BackendError: the database failed while previewing (Catalog Error: Table ...
    """
    try:
        yield
    except BackendError:
        raise
    except Exception as error:
        translated = database_error(error, what=what)
        if translated is None:
            raise
        raise translated from error
