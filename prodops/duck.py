"""DuckDB connections with the settings ProdOps relies on, without Ibis.

The paths that only read a file into DuckDB or write the catalog (``prodops import``, the first
half of ``prodops retention FILE``) open their connection here and import neither Ibis nor its
SQL compilers (about half a second of start-up); :func:`prodops.engine.duckdb_connect` wraps the
same connection in Ibis for the metrics (:func:`prodops.engine.as_ibis`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from prodops import config

_SPILL_NAMES = itertools.count()


def spill_directory() -> Path:
    """A fresh spill folder for one DuckDB connection, in :func:`prodops.config.tmp_dir`.

    DuckDB creates it when a query outgrows the memory limit and removes it when the connection
    closes; one folder per connection, so no two connections (threads of the app, a CLI run next
    to it) ever share or remove each other's spill files. The name carries the process id, so a
    sweep can tell the folders of a killed process (``duckdb-spill-<pid>-<n>``).
    """
    return config.tmp_dir() / f"duckdb-spill-{os.getpid()}-{next(_SPILL_NAMES)}"


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (the one place identifiers are quoted for hand-written SQL)."""
    return '"' + name.replace('"', '""') + '"'


def connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    allowed_directories: Sequence[str | Path] = (),
    memory_limit: str | None = None,
    lock: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open DuckDB with the settings ProdOps relies on.

    DuckDB treats SQL and files as trusted (DESIGN.md, pitfalls), so on every connection the
    product opens: file access is limited to *allowed_directories* (none by default), memory is
    capped (:func:`prodops.config.duckdb_memory_limit`) with work beyond the cap spilled to a
    folder under the data directory (:func:`spill_directory`), and the configuration is then
    locked (:func:`lock`) so no SQL can lift any of it. The progress bar is off and the session
    time zone is UTC (all timestamps are stored in UTC).

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
    lock : bool
        Lock the configuration now. False leaves it to the caller: Ibis sets the session's
        options when it wraps the connection (:func:`prodops.engine.as_ibis` locks after it), so
        run only SQL of your own before that.

    Examples
    --------
    >>> con = connect()
    >>> con.execute("SELECT current_setting('enable_external_access')").fetchone()
    (False,)
    >>> con.execute("SET enable_external_access = true")
    Traceback (most recent call last):
    _duckdb.InvalidInputException: Invalid Input Error: Cannot change configuration option ...
    """
    settings: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit or config.duckdb_memory_limit(),
        "temp_directory": str(spill_directory()),
    }
    con = duckdb.connect(str(path), read_only=read_only, config=settings)
    try:
        con.execute("SET TimeZone = 'UTC'")
        dirs = [str(Path(d).resolve()) + "/" for d in allowed_directories]
        if dirs:
            con.execute("SET allowed_directories = $1", [dirs])
        con.execute("SET enable_external_access = false")
        con.execute("SET enable_progress_bar = false")
        if lock:
            lock_configuration(con)
    except BaseException:
        con.close()
        raise
    return con


def lock_configuration(con: duckdb.DuckDBPyConnection) -> None:
    """Lock *con*'s configuration: no SQL can change a setting from now on."""
    con.execute("SET lock_configuration = true")
