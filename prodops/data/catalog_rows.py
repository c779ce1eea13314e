"""Row-level helpers of catalog writes: appending a file to a dataset (columns matched by name,
rows already there not added twice) and refusing canonical rows an import would reject.

Used by :class:`prodops.data.catalog.Catalog`; the functions take an open DuckDB connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from prodops.data.append_checks import refuse_missing_columns
from prodops.data.row_checks import canonical_checks
from prodops.data.schema import Kind
from prodops.duck import quote_ident
from prodops.errors import ColumnError, InputError


def append_rows(
    con: duckdb.DuckDBPyConnection, row: dict[str, Any], staging: str, *, label: str | None = None
) -> tuple[int, Sequence[str]]:
    """Insert the rows of *staging* not already in dataset *row*'s table; return (rows added,
    columns added) (:meth:`prodops.data.catalog.Catalog._append_table`).

    Rows that lack a canonical column of the dataset's kind are refused (:mod:`prodops.data.
    append_checks`; *label* names their file): matched by name, they would be added empty.
    """
    target = row["table_name"]
    old, new = _column_types(con, target), _column_types(con, staging)
    refuse_missing_columns(
        name=row["name"], dataset_kind=row["kind"], columns=list(new), label=label
    )
    changed = [
        c
        for c in new
        if c.lower() in old
        and old[c.lower()][1] != new[c][1]
        and _has_values(con, staging, c)  # an all-empty column fits any type
    ]
    if changed:
        column = changed[0]
        raise ColumnError(
            f"column {column!r} of the new file is {new[column][1]}, "
            f"but {old[column.lower()][1]} in {row['name']!r}",
            fix="Append an export whose column has the same type, or import it as a new dataset.",
        )
    added_cols = [c for c in new if c.lower() not in old]
    for column in added_cols:  # the type as DuckDB described it, not text from the file
        kind = new[column][1]
        con.execute(f"ALTER TABLE {quote_ident(target)} ADD COLUMN {quote_ident(column)} {kind}")
    shared = [old[c.lower()][0] for c in new if c.lower() in old]
    cols = ", ".join(quote_ident(c) for c in shared)
    src, dst = quote_ident(staging), quote_ident(target)
    before = con.execute(f"SELECT count(*) FROM {dst}").fetchone()
    if not added_cols and len(shared) == len(old):
        con.execute(
            f"INSERT INTO {dst} ({cols}) "
            f"SELECT {cols} FROM {src} EXCEPT ALL SELECT {cols} FROM {dst}"
        )
    else:
        _insert_new_rows(con, src, dst, shared=shared, added=added_cols)
    after = con.execute(f"SELECT count(*) FROM {dst}").fetchone()
    assert before is not None and after is not None
    return int(after[0]) - int(before[0]), added_cols


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    """``{lower-case name: (name, type)}`` of *table*'s columns, in order."""
    rows = con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
    return {str(r[0]).lower(): (str(r[0]), str(r[1])) for r in rows}


def _has_values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether *column* of *table* holds any non-NULL value."""
    found = con.execute(
        f"SELECT count({quote_ident(column)}) > 0 FROM {quote_ident(table)}"
    ).fetchone()
    return bool(found and found[0])


def _insert_new_rows(
    con: duckdb.DuckDBPyConnection, src: str, dst: str, *, shared: list[str], added: list[str]
) -> None:
    """Insert the rows of *src* (quoted) beyond as many as *dst* already holds with the same
    *shared* values (NULLs equal), with the *added* columns too.

    The k-th copy of a shared tuple in *src* is new when *dst* has fewer than k copies: the
    multiset difference of ``EXCEPT ALL``, on the shared columns only, keeping whole rows.
    """
    keys = ", ".join(quote_ident(c) for c in shared)
    on = " AND ".join(f"s.{quote_ident(c)} IS NOT DISTINCT FROM d.{quote_ident(c)}" for c in shared)
    cols = ", ".join(quote_ident(c) for c in [*shared, *added])
    picked = ", ".join(f"s.{quote_ident(c)}" for c in [*shared, *added])
    con.execute(
        f"INSERT INTO {dst} ({cols}) "
        f"WITH s AS (SELECT *, row_number() OVER (PARTITION BY {keys}) AS prodops_k FROM {src}), "
        f"d AS (SELECT {keys}, count(*) AS prodops_n FROM {dst} GROUP BY ALL) "
        f"SELECT {picked} FROM s LEFT JOIN d ON {on} "
        "WHERE s.prodops_k > coalesce(d.prodops_n, 0)"
    )


def _added_note(columns: Sequence[str]) -> str:
    """The import note naming the columns an append added.

    >>> _added_note(["$browser", "plan"])
    "2 new columns added: '$browser', 'plan' (empty on the rows imported before)"
    """
    names = ", ".join(map(repr, columns))
    noun = "column" if len(columns) == 1 else "columns"
    return f"{len(columns)} new {noun} added: {names} (empty on the rows imported before)"


def _refuse_bad_rows(con: duckdb.DuckDBPyConnection, table: str, kind: Kind, name: str) -> None:
    """Raise :class:`InputError` naming the first row of *table* that an import would reject."""
    checks = canonical_checks(kind)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {i}" for i, (c, _, _) in enumerate(checks)) + " END"
    t = quote_ident(table)
    found = con.execute(
        f"SELECT count(*) FILTER (WHERE failed IS NOT NULL), "
        f"arg_min(failed, rowid) FILTER (WHERE failed IS NOT NULL), "
        f"min(rowid) FILTER (WHERE failed IS NOT NULL) - min(rowid) + 1, count(*) "
        f"FROM (SELECT rowid, {reason} AS failed FROM {t})"
    ).fetchone()
    assert found is not None
    bad, check, row, total = found
    if not bad:
        return
    _, column, why = checks[int(check)]
    value = con.execute(
        f"SELECT CAST({quote_ident(column)} AS VARCHAR) FROM {t} "
        f"ORDER BY rowid LIMIT 1 OFFSET {int(row) - 1}"
    ).fetchone()
    shown = value[0] if value else None
    raise InputError(
        f"{bad} of {total} rows cannot be saved; the first is row {row}, column {column!r}: "
        f"{why} ({shown!r})",
        where=name,
        fix="Correct or drop those rows, or import the data as a file: the import rejects such "
        "rows one by one and keeps the others.",
    )
