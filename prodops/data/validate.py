"""Converting a raw relation to the canonical model, in SQL, and reporting every rejected row.

One ``CREATE TABLE ... AS SELECT`` parses timestamps (``try_strptime`` / ``TRY_CAST``), casts
amounts, keeps property columns as text and tags each row with the first reason it cannot be used
(empty user id, unparseable timestamp, negative mrr, end before start, ...). Tagged rows are listed
in the report and deleted; malformed lines (too few / too many fields) come from DuckDB's rejects
table. Nothing is dropped silently: ``rows_read == rows_accepted + rows_rejected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from prodops.data.presets import ColumnMapping, property_name
from prodops.data.reader import RawSource, backend_error, friendly_duckdb_error, text_expr
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    USER_COL,
)
from prodops.data.timeparse import TimeGuess, sql_literal, time_sql
from prodops.engine import quote_ident

REJECTED_COLUMNS = ("row", "column", "value", "reason")
MAX_REJECTED_LISTED = 100_000
ENCODING_REASON = "invalid characters (encoding)"


@dataclass(frozen=True)
class ValidationReport:
    """What happened to the rows of one file.

    Attributes
    ----------
    label : str
        The file's name.
    rows_read, rows_accepted, rows_rejected : int
        ``rows_read == rows_accepted + rows_rejected``.
    rejected : pandas.DataFrame
        ``row`` (1-based data row of the file), ``column``, ``value``, ``reason``; at most
        :data:`MAX_REJECTED_LISTED` rows (``truncated`` says when more were rejected).
    """

    label: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejected: pd.DataFrame = field(repr=False)
    truncated: bool = False

    def summary(self) -> str:
        """One line: ``events.csv: 10 rows read, 9 accepted, 1 rejected``."""
        text = (
            f"{self.label}: {self.rows_read} rows read, {self.rows_accepted} accepted, "
            f"{self.rows_rejected} rejected"
        )
        if self.rows_rejected:
            top = self.rejected["reason"].value_counts().head(3)
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in top.items()) + ")"
        return text


def _blank(expr: str) -> str:
    # trim() only for values that start with a blank: it copies every string it touches
    return f"({expr} IS NULL OR {expr} = '' OR (ascii({expr}) <= 32 AND trim({expr}) = ''))"


def _amount_sql(expr: str, decimal: str) -> str:
    if decimal == ",":
        return f"TRY_CAST(replace(replace(trim({expr}), '.', ''), ',', '.') AS DOUBLE)"
    return f"TRY_CAST(trim({expr}) AS DOUBLE)"


def _events_sql(
    source: RawSource, mapping: ColumnMapping, times: Mapping[str, TimeGuess]
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Return (converted select items, [(condition, canonical column, reason)])."""
    cols = mapping.columns
    user, event, time = (cols[USER_COL], cols[EVENT_COL], cols[TIME_COL])
    assert user and event and time  # checked by check_mapping
    items = [
        f"{text_expr(source, user)} AS {USER_COL}",
        f"{text_expr(source, event)} AS {EVENT_COL}",
        f"{text_expr(source, time)} AS _raw_{TIME_COL}",
        f"{time_sql(text_expr(source, time), times[TIME_COL])} AS {quote_ident(TIME_COL)}",
    ]
    checks = [
        (_blank(USER_COL), USER_COL, "empty user id"),
        (_blank(EVENT_COL), EVENT_COL, "empty event name"),
        (_blank(f"_raw_{TIME_COL}"), TIME_COL, "empty timestamp"),
        (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "unparseable timestamp"),
    ]
    return items, checks


def _subscriptions_sql(
    source: RawSource, mapping: ColumnMapping, times: Mapping[str, TimeGuess], decimal: str
) -> tuple[list[str], list[tuple[str, str, str]]]:
    cols = mapping.columns
    customer, start, end, mrr = (
        cols[CUSTOMER_COL],
        cols[START_COL],
        cols.get(END_COL),
        cols[MRR_COL],
    )
    assert customer and start and mrr  # checked by check_mapping
    end_text = text_expr(source, end) if end else "CAST(NULL AS VARCHAR)"
    end_guess = times.get(END_COL, times[START_COL])
    items = [
        f"{text_expr(source, customer)} AS {CUSTOMER_COL}",
        f"{text_expr(source, start)} AS _raw_{START_COL}",
        f"{time_sql(text_expr(source, start), times[START_COL])} AS {quote_ident(START_COL)}",
        f"{end_text} AS _raw_{END_COL}",
        f"{time_sql(end_text, end_guess) if end else 'CAST(NULL AS TIMESTAMPTZ)'}"
        f" AS {quote_ident(END_COL)}",
        f"{text_expr(source, mrr)} AS _raw_{MRR_COL}",
        f"{_amount_sql(text_expr(source, mrr), decimal)} AS {MRR_COL}",
    ]
    s, e = quote_ident(START_COL), quote_ident(END_COL)
    checks = [
        (_blank(CUSTOMER_COL), CUSTOMER_COL, "empty customer id"),
        (_blank(f"_raw_{START_COL}"), START_COL, "empty start date"),
        (f"{s} IS NULL", START_COL, "unparseable start date"),
        (f"NOT {_blank(f'_raw_{END_COL}')} AND {e} IS NULL", END_COL, "unparseable end date"),
        (f"{e} < {s}", END_COL, "end before start"),
        (_blank(f"_raw_{MRR_COL}"), MRR_COL, "empty mrr"),
        (f"{MRR_COL} IS NULL", MRR_COL, "non-numeric mrr"),
        (f"{MRR_COL} < 0 OR isnan({MRR_COL}) OR isinf({MRR_COL})", MRR_COL, "negative mrr"),
    ]
    return items, checks


def _malformed(con: duckdb.DuckDBPyConnection, rejects: str | None) -> pd.DataFrame:
    if rejects is None:
        return pd.DataFrame(columns=list(REJECTED_COLUMNS))
    frame = con.execute(
        f"SELECT DISTINCT ON (line) CAST(line AS BIGINT) - 1 AS row, "
        f"coalesce(column_name, '') AS column, "
        f"left(replace(csv_line, chr(10), ' '), 200) AS value, "
        f"CASE error_type WHEN 'MISSING COLUMNS' THEN 'too few fields' "
        f"WHEN 'TOO MANY COLUMNS' THEN 'too many fields' "
        f"WHEN 'INVALID ENCODING' THEN {sql_literal(ENCODING_REASON)} "
        f"ELSE lower(CAST(error_type AS VARCHAR)) END AS reason "
        f"FROM {quote_ident(rejects)} ORDER BY line, column_idx"
    ).df()
    return frame


def load_canonical(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    *,
    table: str,
    decimal: str = ".",
) -> ValidationReport:
    """Create *table* in *con* with the canonical rows of *source*; report the rejected ones.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where *source* is read and *table* is written.
    source : RawSource
        The file (:func:`prodops.data.reader.open_raw`).
    mapping : ColumnMapping
        Checked with :func:`prodops.data.presets.check_mapping` first.
    times : mapping
        Canonical time column -> :class:`TimeGuess` (resolved: not ambiguous).
    table : str
        Name of the table to create (must not exist).
    decimal : {".", ","}
        Decimal mark of amounts.
    """
    if mapping.kind == "events":
        items, checks = _events_sql(source, mapping, times)
    else:
        items, checks = _subscriptions_sql(source, mapping, times, decimal)
    canonical = REQUIRED_COLUMNS[mapping.kind]
    for prop in mapping.properties:
        items.append(f"{text_expr(source, prop)} AS {quote_ident(property_name(prop, canonical))}")
    reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(r)}" for c, _, r in checks) + " END"
    column = "CASE _reason " + " ".join(
        f"WHEN {sql_literal(r)} THEN {sql_literal(mapping.columns.get(col) or col)}"
        for _, col, r in checks
    )
    raw_of = {c: f"_raw_{c}" for c in (TIME_COL, START_COL, END_COL, MRR_COL)}
    value = "CASE _reason " + " ".join(
        f"WHEN {sql_literal(r)} THEN coalesce(CAST({raw_of.get(col, col)} AS VARCHAR), '')"
        for _, col, r in checks
    )
    raw_cols = [f"_raw_{c}" for c in (TIME_COL, START_COL, END_COL, MRR_COL) if c in canonical]
    relation, rejects = source.fresh()
    target = quote_ident(table)
    sql = (
        f"CREATE TABLE {target} AS "
        f"SELECT * EXCLUDE ({', '.join(raw_cols)}), {column} END AS _column, {value} END AS _value "
        f"FROM (SELECT *, {reason} AS _reason FROM (SELECT {', '.join(items)} FROM {relation}))"
    )
    try:
        con.execute(sql)
        kept, bad = con.execute(f"SELECT count(*), count(_reason) FROM {target}").fetchone() or (
            0,
            0,
        )
        listed = con.execute(
            f"SELECT rowid + 1 AS row, _column AS column, _value AS value, _reason AS reason "
            f"FROM {target} WHERE _reason IS NOT NULL ORDER BY rowid LIMIT {MAX_REJECTED_LISTED}"
        ).df()
        if bad:
            con.execute(f"DELETE FROM {target} WHERE _reason IS NOT NULL")
        for helper in ("_reason", "_column", "_value"):
            con.execute(f"ALTER TABLE {target} DROP COLUMN {helper}")
        malformed = _malformed(con, rejects)
    except duckdb.OutOfMemoryException as error:
        raise backend_error(error, f"reading {source.label}") from error
    except duckdb.Error as error:  # a damaged file shows up here (e.g. a truncated gzip stream)
        raise friendly_duckdb_error(error, source.label) from error
    listed = _renumber(listed, malformed)
    rejected = pd.concat([malformed, listed], ignore_index=True) if len(malformed) else listed
    rejected = rejected.sort_values("row", kind="stable").reset_index(drop=True)
    n_rejected = int(bad) + len(malformed)
    return ValidationReport(
        label=source.label,
        rows_read=int(kept) + len(malformed),
        rows_accepted=int(kept) - int(bad),
        rows_rejected=n_rejected,
        rejected=rejected.head(MAX_REJECTED_LISTED).astype(
            {"row": "int64", "column": "string", "value": "string", "reason": "string"}
        ),
        truncated=n_rejected > MAX_REJECTED_LISTED,
    )


def _renumber(listed: pd.DataFrame, malformed: pd.DataFrame) -> pd.DataFrame:
    """Shift table row numbers past the malformed lines DuckDB skipped, to file data rows.

    The k-th kept row is the data row n = k + (skipped rows before it); both grow together, so
    one pass over the sorted skipped rows is enough.
    """
    if listed.empty or malformed.empty:
        return listed
    skipped = sorted(int(r) for r in malformed["row"])
    rows, passed = [], 0
    for index in listed["row"]:  # increasing
        n = int(index) + passed
        while passed < len(skipped) and skipped[passed] <= n:
            passed += 1
            n = int(index) + passed
        rows.append(n)
    out = listed.copy()
    out["row"] = rows
    return out
