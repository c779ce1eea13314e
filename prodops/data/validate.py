"""Converting a raw relation to the canonical model, in SQL, and reporting every rejected row.

One ``CREATE TABLE ... AS SELECT`` parses timestamps (``try_strptime`` / ``TRY_CAST``), casts
amounts, keeps property columns as text, unpacks JSON object columns into typed property columns
(:mod:`prodops.data.unpack`) and tags each row with the first reason it cannot be used (a value
that swallowed the next row through an open quote, a JSON value that is not an object, empty user
id, unparseable timestamp, a time outside the supported range, end before start, an mrr that is
not a finite amount in [0, 1e12], ...). Tagged rows are listed in the report and deleted;
malformed lines (too few / too many fields) come from DuckDB's rejects table. Nothing is dropped
silently: ``rows_read == rows_accepted + rows_rejected``. Ids are then merged into persons
(:mod:`prodops.data.stitch`) and the report says how many.

The helper columns of that query (raw texts, the reason, the row number) get names that no column
of the file has (:func:`prodops.data.row_checks.reserved_names`), and a property column that
DuckDB would confuse with its ``rowid`` is stored as ``rowid_src``, so any header works. The same
range checks guard :meth:`prodops.data.catalog.Catalog.save`
(:func:`prodops.data.row_checks.range_checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd

from prodops import config
from prodops.data.caps import too_many_rows
from prodops.data.presets import ColumnMapping, property_names
from prodops.data.quotes import UNTERMINATED_REASON
from prodops.data.reader import RawSource, backend_error, friendly_duckdb_error, text_expr
from prodops.data.row_checks import (
    Check,
    _blank,
    _events_sql,
    _quote_checks,
    _subscriptions_sql,
    open_end_sql,
    reserved_names,
)
from prodops.data.schema import (
    END_COL,
    EVENT_COL,
    MRR_COL,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    Kind,
)
from prodops.data.stitch import People, alias_sql, stitch
from prodops.data.timeparse import TimeGuess, sql_literal
from prodops.data.unpack import Unpacking, extract_items
from prodops.engine import quote_ident

REJECTED_COLUMNS = ("row", "column", "value", "reason")
MAX_REJECTED_LISTED = 100_000
ENCODING_REASON = "invalid characters (encoding)"
# DuckDB's pseudo-column: a property column of that name would hide it.
DUCKDB_ROWID = "rowid"
NO_UNPACKING = Unpacking()
NO_PEOPLE = People()


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
    ids_merged : int
        User ids merged into persons (:mod:`prodops.data.stitch`).
    notes : tuple of str
        What else the import did: JSON keys unpacked (and left out), how persons were found.
    """

    label: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejected: pd.DataFrame = field(repr=False)
    truncated: bool = False
    ids_merged: int = 0
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: ``events.csv: 10 rows read, 9 accepted, 1 rejected``."""
        text = (
            f"{self.label}: {self.rows_read} rows read, {self.rows_accepted} accepted, "
            f"{self.rows_rejected} rejected"
        )
        if self.rows_rejected:  # every reason, most frequent first (of the rows listed)
            counts = self.rejected["reason"].value_counts(sort=False)
            ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in ordered) + ")"
        return text


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
        f"WHEN 'UNQUOTED VALUE' THEN {sql_literal(UNTERMINATED_REASON)} "
        f"ELSE lower(CAST(error_type AS VARCHAR)) END AS reason "
        f"FROM {quote_ident(rejects)} ORDER BY line, column_idx"
    ).df()
    return frame


_HELPERS = ("_prodops_reason", "_prodops_column", "_prodops_value")
_RAW = {c: f"_prodops_raw_{c}" for c in (TIME_COL, START_COL, END_COL, MRR_COL)}


_JSON_LIST = "_prodops_json"
_JSON_BAD = "_prodops_bad_json"
ALIAS_HELPER = "_prodops_alias"


def _tagging_sql(
    source: RawSource,
    relation: str,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    *,
    table: str,
    decimal: str,
    read_limit: int | None,
    unpack: Unpacking = NO_UNPACKING,
    people: People = NO_PEOPLE,
) -> tuple[str, dict[str, str]]:
    """The ``CREATE TABLE`` that converts and tags every row; returns (SQL, helper names).

    Layers: extract (every JSON column's keys in one list per row, :mod:`prodops.data.unpack`;
    at most *read_limit* rows read when given), convert (canonical values, raw texts,
    properties, unpacked keys), tag (the first failing check's reason), then the table: helper
    texts dropped, the reason's column and raw value kept for the report, ends far in the future
    read as open. The helper ``alias`` (when *people* merges ids) stays for
    :func:`prodops.data.stitch.stitch`.
    """
    canonical = REQUIRED_COLUMNS[mapping.kind]
    mapped = {c for c in mapping.columns.values() if c}
    with_keys = {k.source for k in unpack.keys}  # a column of empty objects stays as it is
    sources = [
        c for c in unpack.sources if c in source.columns and c not in mapped and c in with_keys
    ]
    props = property_names(
        [p for p in mapping.properties if p not in sources], (*canonical, DUCKDB_ROWID)
    )
    bases = [*_HELPERS, *_RAW.values(), ALIAS_HELPER]
    bases += [f"{_JSON_LIST}_{i}" for i in range(len(sources))]
    bases += [f"{_JSON_BAD}_{i}" for i in range(len(sources))]
    key_names = [k.name for k in unpack.keys]
    names = reserved_names([*canonical, *props.values(), *source.columns, *key_names], bases)
    taken = [*canonical, DUCKDB_ROWID, *props.values(), *names.values()]
    keys = _final_keys(unpack, sources, taken=taken)
    raw = {c: names[h] for c, h in _RAW.items()}
    if mapping.kind == "events":
        items, checks = _events_sql(source, mapping, times, raw, people)
    else:
        items, checks = _subscriptions_sql(source, mapping, times, decimal, raw)
    for prop, stored in props.items():
        items.append(f"{text_expr(source, prop)} AS {quote_ident(stored)}")
    raw_of = {c: quote_ident(raw[c]) for c in (TIME_COL, START_COL, END_COL, MRR_COL)}
    lists = {s: names[f"{_JSON_LIST}_{i}"] for i, s in enumerate(sources)}
    json_layer, key_items = extract_items(keys, {s: text_expr(source, s) for s in sources}, lists)
    items += key_items
    helpers = [raw_of[c] for c in raw_of if c in canonical]
    json_checks: list[Check] = []
    for i, json_col in enumerate(sources):
        flag = quote_ident(names[f"{_JSON_BAD}_{i}"])
        text = text_expr(source, json_col)
        items.append(
            f"CASE WHEN {quote_ident(lists[json_col])} IS NULL AND NOT {_blank(text)} "
            f"THEN {text} END AS {flag}"
        )
        helpers.append(flag)
        raw_of[json_col] = flag
        json_checks.append((f"{flag} IS NOT NULL", json_col, "not a JSON object"))
    alias = _alias_item(source, mapping, people)
    if alias is not None:
        items.append(f"{alias} AS {quote_ident(names[ALIAS_HELPER])}")
    checks = json_checks + checks
    if source.csv_file is not None:  # first: a swallowed row explains any other problem
        quoted = {**props, **{s: names[f"{_JSON_BAD}_{i}"] for i, s in enumerate(sources)}}
        checks = _quote_checks(source, mapping.kind, quoted, raw) + checks
    reason_col, column_col, value_col = (quote_ident(names[h]) for h in _HELPERS)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(r)}" for c, _, r in checks) + " END"
    shared = {r for _, _, r in checks if sum(1 for _, _, other in checks if other == r) > 1}

    def which(cond: str, r: str) -> str:  # a reason shared by several checks: the one that held
        return f"{reason_col} = {sql_literal(r)}" + (f" AND {cond}" if r in shared else "")

    column = "CASE " + " ".join(
        f"WHEN {which(c, r)} THEN {sql_literal(mapping.columns.get(col) or col)}"
        for c, col, r in checks
    )
    value = "CASE " + " ".join(
        f"WHEN {which(c, r)} "
        f"THEN coalesce(CAST({raw_of.get(col, quote_ident(col))} AS VARCHAR), '')"
        for c, col, r in checks
    )
    open_end = (
        f" REPLACE ({open_end_sql(quote_ident(END_COL))} AS {quote_ident(END_COL)})"
        if mapping.kind == "subscriptions"
        else ""
    )
    base = _limited(relation, read_limit)
    if json_layer:
        base = f"(SELECT *, {', '.join(json_layer)} FROM {base})"
    sql = (
        f"CREATE TABLE {quote_ident(table)} AS "
        f"SELECT * EXCLUDE ({', '.join(helpers)}){open_end}, {column} END AS {column_col}, "
        f"{value} END AS {value_col} "
        f"FROM (SELECT *, {reason} AS {reason_col} FROM (SELECT {', '.join(items)} "
        f"FROM {base}))"
    )
    found = dict(zip(("reason", "column", "value"), (names[h] for h in _HELPERS), strict=True))
    if alias is not None:
        found["alias"] = names[ALIAS_HELPER]
    return sql, found


def _final_keys(unpack: Unpacking, sources: Sequence[str], *, taken: Iterable[str]) -> Unpacking:
    """The unpacking of *sources* only, each key's name made free of *taken* (``_2`` suffix)."""
    keys = [k for k in unpack.keys if k.source in sources]
    free = reserved_names(taken, [k.name for k in keys])
    renamed = tuple(replace(k, name=free[k.name]) for k in keys)
    return Unpacking(sources=tuple(sources), keys=renamed, left_out=unpack.left_out)


def _alias_item(source: RawSource, mapping: ColumnMapping, people: People) -> str | None:
    """SQL of the helper the merge of ids reads, or None when ids are not merged."""
    if mapping.kind != "events" or not people.merges or people.column not in source.columns:
        return None
    event = mapping.columns.get(EVENT_COL)
    assert people.column is not None and event is not None
    return alias_sql(people, text_expr(source, people.column), text_expr(source, event))


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
    unpack: Unpacking = NO_UNPACKING,
    people: People = NO_PEOPLE,
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
    unpack : Unpacking
        JSON object columns to unpack into property columns (:mod:`prodops.data.unpack`).
    people : People
        How ids are merged into persons (:mod:`prodops.data.stitch`), after validation.
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
        source,
        relation,
        mapping,
        times,
        table=table,
        decimal=decimal,
        read_limit=read_limit,
        unpack=unpack,
        people=people,
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
        merged = 0
        if "alias" in helper:  # rows are valid now: merge ids into persons, drop the links
            merged = stitch(con, people, table, helper["alias"])
            con.execute(f"ALTER TABLE {target} DROP COLUMN {quote_ident(helper['alias'])}")
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
        ids_merged=merged,
        notes=tuple(unpack.describe()) + _people_notes(people, merged, mapping.kind),
    )


def _people_notes(people: People, merged: int, kind: Kind) -> tuple[str, ...]:
    if kind != "events" or people.mode == "none" or people.column is None:
        return ()
    if not people.merges:
        return (f"people: {people.describe()}",)
    ids = "id" if merged == 1 else "ids"
    return (f"people: {merged} {ids} merged into persons, {people.describe()}",)


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
