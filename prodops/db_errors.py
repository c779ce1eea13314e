"""Database errors as one clear line: what failed, the database's own first line without the SQL,
and what to do (:func:`database_error`). Imports no database package: errors are recognised by
the module of their class.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from prodops.errors import BackendError

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
        ("53100",),
        ("no space left on device", "disk full", "disk is full", "disk quota exceeded"),
        "Free some space on the disk that holds the data directory (PRODOPS_HOME) or the "
        "database, then try again.",
    ),
    (
        (),
        ("read-only file system", "readonly database", "read only database"),
        "The data directory is not writable: point PRODOPS_HOME at a folder you can write to.",
    ),
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
    >>> import duckdb
    >>> with database_errors("previewing"):
    ...     duckdb.connect().execute("SELECT * FROM missing_table")
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
