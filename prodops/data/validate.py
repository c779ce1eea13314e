"""Converting a raw relation to the canonical model, in SQL, and reporting every rejected row.

One ``CREATE TABLE ... AS SELECT`` parses timestamps (``try_strptime`` / ``TRY_CAST``), casts
amounts, keeps property columns as text and tags each row with the first reason it cannot be used
(empty user id, unparseable timestamp, a time outside the supported range, end before start, an
mrr that is not a finite amount in [0, 1e12], ...). Tagged rows are listed in the report and
deleted; malformed lines (too few / too many fields) come from DuckDB's rejects table. Nothing is
dropped silently: ``rows_read == rows_accepted + rows_rejected``.

The helper columns of that query (raw texts, the reason, the row number) get names that no column
of the file has (:func:`reserved_names`), and a property column that DuckDB would confuse with its
``rowid`` is stored as ``rowid_src``, so any header works. The same range checks guard
:meth:`prodops.data.catalog.Catalog.save` (:func:`range_checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from prodops import config
from prodops.data.caps import too_many_rows
from prodops.data.presets import ColumnMapping, property_names
from prodops.data.reader import RawSource, backend_error, friendly_duckdb_error, text_expr
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    MRR_MAX,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    TIME_MAX,
    TIME_MIN,
    USER_COL,
    Kind,
)
from prodops.data.timeparse import TimeGuess, sql_literal, time_sql
from prodops.engine import quote_ident

REJECTED_COLUMNS = ("row", "column", "value", "reason")
MAX_REJECTED_LISTED = 100_000
ENCODING_REASON = "invalid characters (encoding)"
# DuckDB's pseudo-column: a property column of that name would hide it.
DUCKDB_ROWID = "rowid"
OUTSIDE_RANGE = f"outside the supported range {TIME_MIN} .. {TIME_MAX}"

Check = tuple[str, str, str]
"""(SQL condition, canonical column, reason): a row for which the condition holds is rejected."""


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


def _instant(text: str) -> str:
    return f"TIMESTAMPTZ '{text} 00:00:00+00'"


def open_end_sql(end: str) -> str:
    """SQL for the end column *end* with ends at or after :data:`TIME_MAX` read as open (null)."""
    return f"CASE WHEN {end} < {_instant(TIME_MAX)} THEN {end} END"


def reserved_names(taken: Iterable[str], bases: Sequence[str]) -> dict[str, str]:
    """Return a name for each helper column in *bases* that none of *taken* has.

    Names are compared case-insensitively (DuckDB's identifiers are); a taken base gets a
    numbered suffix.

    Examples
    --------
    >>> reserved_names(["user_id", "_prodops_reason"], ["_prodops_reason", "_prodops_row"])
    {'_prodops_reason': '_prodops_reason_2', '_prodops_row': '_prodops_row'}
    """
    used = {t.lower() for t in taken}
    names: dict[str, str] = {}
    for base in bases:
        name, suffix = base, 2
        while name.lower() in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name.lower())
        names[base] = name
    return names


def range_checks(kind: Kind) -> list[Check]:
    """The checks on canonical values: supported time range, end after start, mrr amounts.

    Conditions use the canonical column names (``timestamp``; ``start``, ``end``, ``mrr``).
    """
    low, high = _instant(TIME_MIN), _instant(TIME_MAX)
    if kind == "events":
        ts = quote_ident(TIME_COL)
        return [(f"({ts} < {low} OR {ts} >= {high})", TIME_COL, f"timestamp {OUTSIDE_RANGE}")]
    s, e, mrr = quote_ident(START_COL), quote_ident(END_COL), quote_ident(MRR_COL)
    return [
        (f"({s} < {low} OR {s} >= {high})", START_COL, f"start date {OUTSIDE_RANGE}"),
        (f"{e} < {low}", END_COL, f"end date {OUTSIDE_RANGE}"),
        (f"{e} < {s}", END_COL, "end before start"),
        (f"(isnan({mrr}) OR isinf({mrr}))", MRR_COL, "mrr is not a finite number"),
        (f"{mrr} < 0", MRR_COL, "negative mrr"),
        (f"{mrr} > {MRR_MAX!r}", MRR_COL, f"mrr above {MRR_MAX:,.0f} (the supported maximum)"),
    ]


def canonical_checks(kind: Kind) -> list[Check]:
    """Every check of a canonical row (no raw text at hand): missing values, then ranges.

    Used where rows arrive already typed (:meth:`prodops.data.catalog.Catalog.save`).
    """
    if kind == "events":
        present = [
            (_blank(USER_COL), USER_COL, "empty user id"),
            (_blank(EVENT_COL), EVENT_COL, "empty event name"),
            (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "empty timestamp"),
        ]
    else:
        present = [
            (_blank(CUSTOMER_COL), CUSTOMER_COL, "empty customer id"),
            (f"{quote_ident(START_COL)} IS NULL", START_COL, "empty start date"),
            (f"{quote_ident(MRR_COL)} IS NULL", MRR_COL, "empty mrr"),
        ]
    return present + range_checks(kind)


def _events_sql(
    source: RawSource, mapping: ColumnMapping, times: Mapping[str, TimeGuess], raw: dict[str, str]
) -> tuple[list[str], list[Check]]:
    """Return (converted select items, checks); *raw* names the helper column of each raw text."""
    cols = mapping.columns
    user, event, time = (cols[USER_COL], cols[EVENT_COL], cols[TIME_COL])
    assert user and event and time  # checked by check_mapping
    raw_time = quote_ident(raw[TIME_COL])
    items = [
        f"{text_expr(source, user)} AS {USER_COL}",
        f"{text_expr(source, event)} AS {EVENT_COL}",
        f"{text_expr(source, time)} AS {raw_time}",
        f"{time_sql(text_expr(source, time), times[TIME_COL])} AS {quote_ident(TIME_COL)}",
    ]
    checks = [
        (_blank(USER_COL), USER_COL, "empty user id"),
        (_blank(EVENT_COL), EVENT_COL, "empty event name"),
        (_blank(raw_time), TIME_COL, "empty timestamp"),
        (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "unparseable timestamp"),
    ]
    return items, checks + range_checks("events")


def _subscriptions_sql(
    source: RawSource,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    decimal: str,
    raw: dict[str, str],
) -> tuple[list[str], list[Check]]:
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
    raw_start, raw_end, raw_mrr = (quote_ident(raw[c]) for c in (START_COL, END_COL, MRR_COL))
    items = [
        f"{text_expr(source, customer)} AS {CUSTOMER_COL}",
        f"{text_expr(source, start)} AS {raw_start}",
        f"{time_sql(text_expr(source, start), times[START_COL])} AS {quote_ident(START_COL)}",
        f"{end_text} AS {raw_end}",
        f"{time_sql(end_text, end_guess) if end else 'CAST(NULL AS TIMESTAMPTZ)'}"
        f" AS {quote_ident(END_COL)}",
        f"{text_expr(source, mrr)} AS {raw_mrr}",
        f"{_amount_sql(text_expr(source, mrr), decimal)} AS {MRR_COL}",
    ]
    checks = [
        (_blank(CUSTOMER_COL), CUSTOMER_COL, "empty customer id"),
        (_blank(raw_start), START_COL, "empty start date"),
        (f"{quote_ident(START_COL)} IS NULL", START_COL, "unparseable start date"),
        (
            f"NOT {_blank(raw_end)} AND {quote_ident(END_COL)} IS NULL",
            END_COL,
            "unparseable end date",
        ),
        (_blank(raw_mrr), MRR_COL, "empty mrr"),
        (f"{MRR_COL} IS NULL", MRR_COL, "non-numeric mrr"),
    ]
    return items, checks + range_checks("subscriptions")


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


_HELPERS = ("_prodops_reason", "_prodops_column", "_prodops_value")
_RAW = {c: f"_prodops_raw_{c}" for c in (TIME_COL, START_COL, END_COL, MRR_COL)}


def _tagging_sql(
    source: RawSource,
    relation: str,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    *,
    table: str,
    decimal: str,
    read_limit: int | None,
) -> tuple[str, dict[str, str]]:
    """The ``CREATE TABLE`` that converts and tags every row; returns (SQL, helper names).

    Three layers: convert (canonical values, raw texts, properties; at most *read_limit* rows
    read when given), tag (the first failing check's reason), then the table: helper texts
    dropped, the reason's column and raw value kept for the report, ends far in the future read
    as open.
    """
    canonical = REQUIRED_COLUMNS[mapping.kind]
    props = property_names(mapping.properties, (*canonical, DUCKDB_ROWID))
    names = reserved_names([*canonical, *props.values()], [*_HELPERS, *_RAW.values()])
    raw = {c: names[h] for c, h in _RAW.items()}
    if mapping.kind == "events":
        items, checks = _events_sql(source, mapping, times, raw)
    else:
        items, checks = _subscriptions_sql(source, mapping, times, decimal, raw)
    for prop, stored in props.items():
        items.append(f"{text_expr(source, prop)} AS {quote_ident(stored)}")
    reason_col, column_col, value_col = (quote_ident(names[h]) for h in _HELPERS)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(r)}" for c, _, r in checks) + " END"
    raw_of = {c: quote_ident(raw[c]) for c in (TIME_COL, START_COL, END_COL, MRR_COL)}
    column = "CASE " + " ".join(
        f"WHEN {reason_col} = {sql_literal(r)} THEN {sql_literal(mapping.columns.get(col) or col)}"
        for _, col, r in checks
    )
    value = "CASE " + " ".join(
        f"WHEN {reason_col} = {sql_literal(r)} "
        f"THEN coalesce(CAST({raw_of.get(col, quote_ident(col))} AS VARCHAR), '')"
        for _, col, r in checks
    )
    raw_cols = ", ".join(raw_of[c] for c in raw_of if c in canonical)
    replace = (
        f" REPLACE ({open_end_sql(quote_ident(END_COL))} AS {quote_ident(END_COL)})"
        if mapping.kind == "subscriptions"
        else ""
    )
    sql = (
        f"CREATE TABLE {quote_ident(table)} AS "
        f"SELECT * EXCLUDE ({raw_cols}){replace}, {column} END AS {column_col}, "
        f"{value} END AS {value_col} "
        f"FROM (SELECT *, {reason} AS {reason_col} FROM (SELECT {', '.join(items)} "
        f"FROM {_limited(relation, read_limit)}))"
    )
    return sql, dict(zip(("reason", "column", "value"), (names[h] for h in _HELPERS), strict=True))


def _limited(relation: str, rows: int | None) -> str:
    return relation if rows is None else f"(SELECT * FROM {relation} LIMIT {int(rows)})"


def load_canonical(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    *,
    table: str,
    decimal: str = ".",
    max_rows: int | None = None,
    stop_early: bool = True,
) -> ValidationReport:
    """Create *table* in *con* with the canonical rows of *source*; report the rejected ones.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where *source* is read and *table* is written. In a transaction, nothing of a failed
        import stays once the caller rolls back.
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
    max_rows : int, optional
        Most rows accepted from one file; default :func:`prodops.config.max_import_rows`. More
        fail the import with a clear :class:`~prodops.errors.InputError`.
    stop_early : bool
        Stop reading at ``max_rows + 1`` rows. That scan runs on one thread (file order must be
        kept), so callers turn it off for files that cannot plausibly pass the cap
        (:func:`prodops.data.caps.may_pass_row_cap`); the cap is checked after the read anyway.

    Raises
    ------
    InputError
        The file has more than *max_rows* rows (*table* is dropped).
    """
    max_rows = config.max_import_rows() if max_rows is None else max_rows
    relation, rejects = source.fresh()
    read_limit = max_rows + 1 if stop_early else None
    sql, helper = _tagging_sql(
        source, relation, mapping, times, table=table, decimal=decimal, read_limit=read_limit
    )
    target = quote_ident(table)
    reason, column, value = (quote_ident(helper[k]) for k in ("reason", "column", "value"))
    try:
        con.execute(sql)
        kept, bad, first = con.execute(
            f"SELECT count(*), count({reason}), min(rowid) FROM {target}"
        ).fetchone() or (0, 0, 0)
        if kept > max_rows:
            con.execute(f"DROP TABLE {target}")
            raise too_many_rows(source.label, max_rows)
        # rowid counts the rows of a new table in insertion order (file order), from *first*
        listed = con.execute(
            f"SELECT rowid - $first + 1 AS row, {column} AS column, {value} AS value, "
            f"{reason} AS reason FROM {target} WHERE {reason} IS NOT NULL ORDER BY rowid "
            f"LIMIT {MAX_REJECTED_LISTED}",
            {"first": first or 0},
        ).df()
        if bad:
            con.execute(f"DELETE FROM {target} WHERE {reason} IS NOT NULL")
        for helper_col in (reason, column, value):
            con.execute(f"ALTER TABLE {target} DROP COLUMN {helper_col}")
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
