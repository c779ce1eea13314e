"""Datasets of the catalog: their records, valid names, canonical column types and statistics.

The helpers :class:`prodops.data.catalog.Catalog` builds on: the records it returns
(:class:`DatasetInfo`, :class:`ImportResult`), the check of a dataset name, the casts to the
canonical types, the statistics stored for a dataset's table, and what makes a dataset broken.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from prodops.data.row_checks import OUTSIDE_RANGE, open_end_sql
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    KINDS,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    TIME_MAX,
    TIME_MIN,
    USER_COL,
    Kind,
)
from prodops.data.validate import ValidationReport
from prodops.duck import quote_ident
from prodops.errors import InputError

if TYPE_CHECKING:  # Ibis is imported where a table is cast, not by the catalog's writers
    import ibis.expr.types as ir


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset of the catalog (see docs/CONTRACTS.md).

    ``problem`` is empty for a usable dataset; for a broken one (a record that cannot be read, a
    missing table, times outside the supported range) it says what is wrong, and the other
    fields hold what could be read.
    """

    id: str
    name: str
    kind: Kind
    rows: int
    entities: int
    time_min: datetime | None
    time_max: datetime | None
    source: str
    imported_at: datetime
    version: int
    live: bool
    property_columns: tuple[str, ...]
    problem: str = ""


@dataclass(frozen=True)
class ImportResult:
    """A file imported into the catalog: the dataset and what happened to its rows."""

    info: DatasetInfo
    report: ValidationReport
    added: int
    duplicates: int


def check_name(name: str) -> str:
    """Return *name* stripped; raise :class:`InputError` if it cannot name a dataset."""
    clean = name.strip()
    if not clean or len(clean) > 100 or any(ord(ch) < 32 for ch in clean):
        raise InputError(
            f"{name!r} cannot name a dataset",
            fix="Use 1 to 100 printable characters, e.g. 'events-2024'.",
        )
    return clean


def dataset_info(row: dict[str, Any]) -> DatasetInfo:
    """The :class:`DatasetInfo` of a row of the catalog's metadata table."""

    def utc(value: Any) -> datetime | None:
        return None if value is None else pd.Timestamp(value).tz_convert("UTC").to_pydatetime()

    imported = utc(row["imported_at"])
    assert imported is not None
    return DatasetInfo(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        rows=int(row["rows"] or 0),
        entities=int(row["entities"] or 0),
        time_min=utc(row["time_min"]),
        time_max=utc(row["time_max"]),
        source=row["source"] or "",
        imported_at=imported,
        version=int(row["version"]),
        live=bool(row["live"]),
        property_columns=tuple(json.loads(row["property_columns"] or "[]")),
    )


def broken_info(row: dict[str, Any], problem: str) -> DatasetInfo:
    """The record of a broken dataset: *problem*, and every field of *row* that can be read."""

    def read(convert: Any, value: Any, default: Any) -> Any:
        try:
            return default if value is None else convert(value)
        except Exception:  # whatever the stored value is, the listing goes on
            return default

    def utc(value: Any) -> datetime:
        return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()

    def props(value: Any) -> tuple[str, ...]:
        return tuple(str(c) for c in json.loads(value))

    kind = row.get("kind")
    return DatasetInfo(
        id=str(row.get("id") or ""),
        name=str(row.get("name") or ""),
        kind=kind if kind in KINDS else "events",
        rows=read(int, row.get("rows"), 0),
        entities=read(int, row.get("entities"), 0),
        time_min=None,
        time_max=None,
        source=str(row.get("source") or ""),
        imported_at=read(utc, row.get("imported_at"), datetime(1970, 1, 1, tzinfo=UTC)),
        version=read(int, row.get("version"), 0),
        live=bool(row.get("live")),
        property_columns=read(props, row.get("property_columns"), ()),
        problem=problem,
    )


def table_problem(info: DatasetInfo, *, table: str | None, tables: set[str]) -> str:
    """What makes the dataset *info* unusable ("" if nothing): its table is missing, or its times
    lie outside the supported range (datasets imported before the range was checked)."""
    if not info.live and (not table or table not in tables):
        return "its table is missing from the catalog"
    low, high = pd.Timestamp(TIME_MIN, tz="UTC"), pd.Timestamp(TIME_MAX, tz="UTC")
    for value in (info.time_min, info.time_max):
        if value is not None and not low <= pd.Timestamp(value) < high:
            return f"it holds times {OUTSIDE_RANGE}"
    return ""


def canonical_select(kind: Kind, columns: Sequence[str]) -> str:
    """SQL select list casting canonical columns to their types and properties to text.

    An end at or after :data:`prodops.data.schema.TIME_MAX` is read as open (null), as at import.
    """
    casts = {
        USER_COL: "VARCHAR", "event": "VARCHAR", TIME_COL: "TIMESTAMPTZ",
        CUSTOMER_COL: "VARCHAR", START_COL: "TIMESTAMPTZ", END_COL: "TIMESTAMPTZ", "mrr": "DOUBLE",
    }  # fmt: skip
    required = REQUIRED_COLUMNS[kind]
    items = [
        f"CAST({quote_ident(c)} AS {casts[c]}) AS {quote_ident(c)}"
        if c != END_COL
        else f"{open_end_sql(f'CAST({quote_ident(c)} AS TIMESTAMPTZ)')} AS {quote_ident(c)}"
        for c in required
        if c in columns
    ]
    if kind == "subscriptions" and END_COL not in columns:
        items.append(f"CAST(NULL AS TIMESTAMPTZ) AS {quote_ident(END_COL)}")
    items += [
        f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
        for c in columns
        if c not in required
    ]
    return ", ".join(items)


def canonical_types(table: ir.Table, kind: str) -> ir.Table:
    """Cast the canonical columns of *table* to the contract's types (UTC timestamps)."""
    import ibis.expr.datatypes as dt

    utc = dt.Timestamp(timezone="UTC")
    wanted: dict[str, dt.DataType] = (
        {USER_COL: dt.string, "event": dt.string, TIME_COL: utc}
        if kind == "events"
        else {CUSTOMER_COL: dt.string, START_COL: utc, END_COL: utc, "mrr": dt.float64}
    )
    casts = {c: t for c, t in wanted.items() if c in table.columns and table.schema()[c] != t}
    return table.cast(casts) if casts else table


def table_stats(con: duckdb.DuckDBPyConnection, table: str, kind: str) -> tuple[Any, ...]:
    """(rows, entities, time_min, time_max) of the canonical *table* of a dataset of *kind*."""
    t = quote_ident(table)
    if kind == "events":
        ts = quote_ident(TIME_COL)
        sql = f"SELECT count(*), count(DISTINCT {USER_COL}), min({ts}), max({ts}) FROM {t}"
    else:
        s, e = quote_ident(START_COL), quote_ident(END_COL)
        sql = (
            f"SELECT count(*), count(DISTINCT {CUSTOMER_COL}), min({s}), "
            f"greatest(max({s}), max({e})) FROM {t}"
        )
    found = con.execute(sql).fetchone()
    assert found is not None
    return found


def table_properties(con: duckdb.DuckDBPyConnection, table: str, kind: str) -> list[str]:
    """The property columns of *table*: every column but the canonical ones of *kind*."""
    cols = [str(r[0]) for r in con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()]
    return [c for c in cols if c not in REQUIRED_COLUMNS[kind]]  # type: ignore[index]
