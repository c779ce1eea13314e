"""The catalog's DuckDB file: opening it (one lock per file in a process, a wait for other
processes), its metadata table and the dataset tables it holds.

DuckDB refuses a read-only and a read-write handle on the same file inside one process, so the
operations of one process (Streamlit sessions are threads) take turns on :func:`process_lock`.
Another process holding the file for writing is waited for, then named in a clear error.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from prodops import duck
from prodops.duck import quote_ident
from prodops.errors import BackendError

META = "prodops_datasets"  # one row per dataset
TABLE_PREFIX = "ds_"  # the tables of imported datasets

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def process_lock(path: Path) -> threading.RLock:
    """The lock of catalog file *path* in this process."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(path.resolve()), threading.RLock())


def busy_error(error: Exception, path: Path) -> BackendError:
    """ "The catalog is busy": who holds it (from DuckDB's message) and what to do."""
    text = str(error)
    held = re.search(r"held in (.+?) \(PID (\d+)\)", text)
    who = f"{held.group(1)} (PID {held.group(2)})" if held else "another process"
    return BackendError(
        f"the catalog is busy: {who} has it open for writing",
        where=str(path),
        fix="Wait for that import to finish (or stop that process), then try again.",
    )


def open_catalog(
    path: Path, *, read_only: bool, allowed: Sequence[Path], wait_s: float, lock: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open catalog file *path* (:func:`prodops.duck.connect`), waiting up to *wait_s* while
    another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dirs = [path.parent, *allowed]
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duck.connect(path, read_only=read_only, allowed_directories=dirs, lock=lock)
        except duckdb.Error as error:
            locked = isinstance(error, duckdb.IOException) and "lock" in str(error).lower()
            if not locked:
                raise BackendError(
                    f"cannot open the catalog ({str(error).splitlines()[0][:200]})",
                    where=str(path),
                    fix="Check that the data directory (PRODOPS_HOME) is writable and that "
                    "catalog.duckdb is a DuckDB file (move it away to start afresh).",
                ) from error
            if time.monotonic() > deadline:
                raise busy_error(error, path) from error
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    """Create the metadata table if the file has none yet."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {META} ("
        "id VARCHAR PRIMARY KEY, name VARCHAR UNIQUE NOT NULL, kind VARCHAR NOT NULL, "
        "table_name VARCHAR, rows BIGINT, entities BIGINT, time_min TIMESTAMPTZ, "
        "time_max TIMESTAMPTZ, source VARCHAR, imported_at TIMESTAMPTZ, version INTEGER, "
        "live BOOLEAN, property_columns VARCHAR, live_spec VARCHAR)"
    )


def tables_of(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables of the file's main schema."""
    # duckdb_tables(), not information_schema: a tenth of the time, on every open
    found = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall()
    return {str(r[0]) for r in found}


def has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has its metadata table (a new file has none until the first write)."""
    return META in tables_of(con)


def drop_orphans(con: duckdb.DuckDBPyConnection) -> int:
    """Drop the dataset tables no dataset refers to; return how many."""
    used = {r[0] for r in con.execute(f"SELECT table_name FROM {META}").fetchall()}
    orphans = [t for t in tables_of(con) if t.startswith(TABLE_PREFIX) and t not in used]
    for table in orphans:
        con.execute(f"DROP TABLE {quote_ident(table)}")
    if orphans:
        con.execute("CHECKPOINT")  # give their blocks back to the file's free list
    return len(orphans)
