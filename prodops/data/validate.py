"""Reading a raw relation into the canonical model, and reporting every rejected row.

One ``CREATE TABLE ... AS SELECT`` (:func:`prodops.data.row_checks.tagging_sql`) converts every
row and tags it with the first reason it cannot be used (a value that swallowed the next row
through an open quote, a JSON value that is not an object, empty user id, unparseable timestamp,
a time outside the supported range, end before start, an mrr that is not a finite amount, ...).
Tagged rows are listed in the report and deleted; malformed lines (too few / too many fields)
come from DuckDB's rejects table. Nothing is dropped silently: ``rows_read == rows_accepted +
rows_rejected``. Ids are then merged into persons (:mod:`prodops.data.stitch`).

The common clean file takes a typed read (:func:`native_types`): DuckDB's reader parses ISO
timestamps itself while it reads, and only the rows it cannot parse are read again as text and
checked as the validating read checks them, keeping their file row. Same table, same report.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from prodops import config
from prodops.data.caps import too_many_rows
from prodops.data.presets import ColumnMapping
from prodops.data.reader import (
    RawSource,
    backend_error,
    cast_rejects,
    friendly_duckdb_error,
    lines_source,
)
from prodops.data.rejects import (
    ENCODING_REASON,
    MAX_REJECTED_LISTED,
    REJECTED_COLUMNS,
    ValidationReport,
    joined,
    malformed_rows,
    no_rejects,
    renumber,
)
from prodops.data.row_checks import (
    _HELPERS,
    _RAW,
    DUCKDB_ROWID,
    NO_PEOPLE,
    NO_UNPACKING,
    OUTSIDE_RANGE,
    tagging_sql,
)
from prodops.data.schema import TIME_COL, Kind
from prodops.data.stitch import People, stitch
from prodops.data.timeparse import TimeGuess, native_type, sql_literal
from prodops.data.unpack import Unpacking
from prodops.duck import quote_ident

if TYPE_CHECKING:  # pandas is imported once DuckDB has read the file (ADR 0016)
    import pandas as pd

# the helper names are re-exported for the test that no column of a file can collide with them
__all__ = [
    "DUCKDB_ROWID",
    "ENCODING_REASON",
    "REJECTED_COLUMNS",
    "_HELPERS",
    "_RAW",
    "ValidationReport",
    "load_canonical",
]

RECHECK_LIMIT = 100_000
"""Most rows a typed scan may reject and have checked again as text; with more, the whole file is
read as text instead (about one more read of it)."""
TIME_OUTSIDE = f"timestamp {OUTSIDE_RANGE}"  # the one reason a typed read cannot give the value of


@dataclass(frozen=True)
class _Scan:
    """One read of a source into a table: its rows (tagged ones included), the tagged ones, their
    listing (``row`` counts the rows of the read, from 1), and rows tagged with a reason whose
    value is the raw time text, which a typed read does not keep."""

    rows: int
    bad: int
    listed: pd.DataFrame
    needs_text: int


@dataclass(frozen=True)
class _Loaded:
    """A table loaded from a file: rows read, rows rejected by the checks (still in the table),
    every rejected row listed with its file row, and the lines DuckDB's reader refused."""

    rows: int
    bad: int
    listed: pd.DataFrame
    malformed: pd.DataFrame
    helper: Mapping[str, str]


@dataclass(frozen=True)
class _Job:
    """What every read of one import shares."""

    con: duckdb.DuckDBPyConnection
    mapping: ColumnMapping
    times: Mapping[str, TimeGuess]
    decimal: str
    unpack: Unpacking
    people: People
    max_rows: int
    keep: Collection[str] | None = None

    def scan(
        self, source: RawSource, relation: str, *, table: str, read_limit: int | None
    ) -> tuple[_Scan, dict[str, str]]:
        """Create *table* from *relation* (a scan of *source*) with every row converted and
        tagged (:func:`tagging_sql`); return what it holds and the helper columns' names."""
        sql, helper = tagging_sql(
            source,
            relation,
            self.mapping,
            self.times,
            table=table,
            decimal=self.decimal,
            read_limit=read_limit,
            unpack=self.unpack,
            people=self.people,
            keep=self.keep,
        )
        target = quote_ident(table)
        reason, column, value = (quote_ident(helper[k]) for k in ("reason", "column", "value"))
        self.con.execute(sql)
        kept, bad, first, needs_text = self.con.execute(
            f"SELECT count(*), count({reason}), min(rowid), "
            f"count(*) FILTER (WHERE {reason} = {sql_literal(TIME_OUTSIDE)}) FROM {target}"
        ).fetchone() or (0, 0, 0, 0)
        listed = no_rejects()
        if bad:  # rowid counts the rows of a new table in insertion order (file order)
            listed = self.con.execute(
                f"SELECT rowid - $first + 1 AS row, {column} AS column, {value} AS value, "
                f"{reason} AS reason FROM {target} WHERE {reason} IS NOT NULL ORDER BY rowid "
                f"LIMIT {MAX_REJECTED_LISTED}",
                {"first": first or 0},
            ).df()
        return _Scan(int(kept), int(bad), listed, int(needs_text)), helper

    def check_cap(self, table: str, rows: int, label: str) -> None:
        if rows > self.max_rows:
            self.con.execute(f"DROP TABLE {quote_ident(table)}")
            raise too_many_rows(label, self.max_rows)

    def drop(self, *tables: str) -> None:
        for name in tables:
            self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def native_types(
    source: RawSource,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    unpack: Unpacking = NO_UNPACKING,
    people: People = NO_PEOPLE,
) -> dict[str, str]:
    """The columns of *source* that DuckDB's reader can parse itself, with their type: the
    events' timestamp column of a delimited file whose format allows it
    (:func:`prodops.data.timeparse.native_type`) and that serves as nothing else."""
    column, guess = mapping.columns.get(TIME_COL), times.get(TIME_COL)
    if mapping.kind != "events" or source.csv_file is None or not column or guess is None:
        return {}
    uses = [*mapping.columns.values(), *mapping.properties, *unpack.sources, people.column]
    kind = native_type(guess)
    if kind is None or column not in source.columns or uses.count(column) != 1:
        return {}
    return {column: kind}


def _load_text(job: _Job, source: RawSource, *, table: str, read_limit: int | None) -> _Loaded:
    """The validating read: every column as text, converted and checked in SQL."""
    relation, rejects = source.fresh()
    scan, helper = job.scan(source, relation, table=table, read_limit=read_limit)
    job.check_cap(table, scan.rows, source.label)
    malformed = malformed_rows(job.con, rejects)
    listed = renumber(scan.listed, malformed["row"])
    return _Loaded(scan.rows, scan.bad, listed, malformed, helper)


def _load_typed(
    job: _Job,
    source: RawSource,
    types: Mapping[str, str],
    *,
    table: str,
    read_limit: int | None,
    workdir: Path,
    strict_first: bool = False,
) -> _Loaded | None:
    """The typed read: DuckDB's reader parses the *types* columns as it reads the file; the rows
    it rejects for a value it cannot parse are read again as text and checked like any row
    (:func:`_recheck`). None (and no *table*) when the validating read must do it instead: more
    rejected rows than :data:`RECHECK_LIMIT`, or a check that reports the raw time text.

    *strict_first* tries a read that keeps no rejected line first (:func:`_load_strict`)."""
    if strict_first:
        loaded = _load_strict(job, source, types, table=table, read_limit=read_limit)
        if loaded is not None:
            return loaded
    relation, rejects = source.fresh(types)
    assert rejects is not None
    scan, helper = job.scan(source.retyped(types), relation, table=table, read_limit=read_limit)
    again = cast_rejects(job.con, rejects, limit=RECHECK_LIMIT)
    if again is None or scan.needs_text:
        job.drop(table)
        return None
    job.check_cap(table, scan.rows + len(again), source.label)
    malformed = malformed_rows(job.con, rejects, skip_cast=True)
    listed = renumber(scan.listed, [*malformed["row"], *(row for row, _ in again)])
    if not again:
        return _Loaded(scan.rows, scan.bad, listed, malformed, helper)
    checked = _recheck(job, source, again, table=table, helper=helper, workdir=workdir)
    if checked is None:
        job.drop(table)
        return None
    both = joined(listed, checked.listed)
    return _Loaded(scan.rows + checked.rows, scan.bad + checked.bad, both, malformed, helper)


def _load_strict(
    job: _Job, source: RawSource, types: Mapping[str, str], *, table: str, read_limit: int | None
) -> _Loaded | None:
    """The typed read of a clean file: DuckDB keeps no rejected line aside (a sixth faster), so
    any bad line fails it. None (and no *table*) when it failed or a row needs its raw time
    text: the caller reads the file again keeping rejects. Outside a transaction only (a failed
    statement aborts DuckDB's transaction)."""
    relation, _ = source.fresh(types, strict=True)
    try:
        scan, helper = job.scan(source.retyped(types), relation, table=table, read_limit=read_limit)
    except duckdb.Error:  # a line or value the reader refused: read again, keeping them apart
        job.drop(table)
        return None
    if scan.needs_text:
        job.drop(table)
        return None
    job.check_cap(table, scan.rows, source.label)
    return _Loaded(scan.rows, scan.bad, scan.listed, malformed_rows(job.con, None), helper)


def _recheck(
    job: _Job,
    source: RawSource,
    again: list[tuple[int, str]],
    *,
    table: str,
    helper: Mapping[str, str],
    workdir: Path,
) -> _Scan | None:
    """Read the records *again* ((file row, text) from :func:`cast_rejects`) as text, check them,
    add those that pass to *table*; return them listed by file row. None when the records do not
    read back one row each (the whole file is then read as text)."""
    text = lines_source(source, [line for _, line in again], workdir=workdir)
    name = f"prodops_recheck_{uuid.uuid4().hex[:12]}"
    relation, rejects = text.fresh()
    scan, names = job.scan(text, relation, table=name, read_limit=None)
    refused = job.con.execute(f"SELECT count(*) FROM {quote_ident(str(rejects))}").fetchone()
    if scan.rows != len(again) or (refused and refused[0]) or names != helper:
        job.drop(name)
        return None
    reason = quote_ident(helper["reason"])
    job.con.execute(
        f"INSERT INTO {quote_ident(table)} BY NAME "
        f"SELECT * FROM {quote_ident(name)} WHERE {reason} IS NULL"
    )
    job.drop(name)
    rows = [row for row, _ in again]
    listed = scan.listed.assign(row=[rows[int(k) - 1] for k in scan.listed["row"]])
    return replace(scan, listed=listed)


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
    workdir: Path | None = None,
    keep: Collection[str] | None = None,
    strict_first: bool = False,
) -> ValidationReport:
    """Create *table* in *con* with the canonical rows of *source*; report the rejected ones.

    A delimited file whose timestamps DuckDB parses by itself (ISO 8601 in UTC, the common clean
    export: :func:`native_types`) takes the typed read when *workdir* is given: the reader parses
    the timestamps while it reads, the other checks run on the parsed values, and only the rows
    whose timestamp did not parse are read again as text and checked as the validating read
    checks them. Table, counts and rejected rows (with their file row) are the same either way.

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
    workdir : Path, optional
        A directory DuckDB may read, for the rows of a typed read that are read again as text;
        without it every file takes the validating read.
    keep : collection of str, optional
        The property columns to store (by their name in *table*); the others are read and
        checked as usual but left out, so rows, counts and reasons do not change. Default: all.
        A name the table would not have keeps them all.
    strict_first : bool
        Try the typed read without keeping rejected lines first: a sixth faster on a clean
        file, and a file with any bad line is read again keeping them (the report is the same).
        Only where *con* is not in a transaction: DuckDB aborts a transaction on a failed
        statement, and the read fails on the first bad line.

    Raises
    ------
    InputError
        The file has more than *max_rows* rows (*table* is dropped).
    """
    job = _Job(
        con=con,
        mapping=mapping,
        times=times,
        decimal=decimal,
        unpack=unpack,
        people=people,
        max_rows=config.max_import_rows() if max_rows is None else max_rows,
        keep=keep,
    )
    read_limit = job.max_rows + 1 if stop_early else None
    types = native_types(source, mapping, times, unpack, people) if workdir is not None else {}
    target = quote_ident(table)
    try:
        loaded = None
        if types and workdir is not None:
            loaded = _load_typed(
                job,
                source,
                types,
                table=table,
                read_limit=read_limit,
                workdir=workdir,
                strict_first=strict_first,
            )
        if loaded is None:
            loaded = _load_text(job, source, table=table, read_limit=read_limit)
        helper = loaded.helper
        if loaded.bad:
            con.execute(f"DELETE FROM {target} WHERE {quote_ident(helper['reason'])} IS NOT NULL")
        for key in ("reason", "column", "value"):
            con.execute(f"ALTER TABLE {target} DROP COLUMN {quote_ident(helper[key])}")
        merged = 0
        if "alias" in helper:  # rows are valid now: merge ids into persons, drop the links
            merged = stitch(con, people, table, helper["alias"])
            con.execute(f"ALTER TABLE {target} DROP COLUMN {quote_ident(helper['alias'])}")
    except duckdb.OutOfMemoryException as error:
        raise backend_error(error, f"reading {source.label}") from error
    except duckdb.Error as error:  # a damaged file shows up here (e.g. a truncated gzip stream)
        raise friendly_duckdb_error(error, source.label) from error
    malformed, listed = loaded.malformed, loaded.listed
    rejected = joined(malformed, listed)
    rejected = rejected.sort_values("row", kind="stable").reset_index(drop=True)
    n_rejected = loaded.bad + len(malformed)
    return ValidationReport(
        label=source.label,
        rows_read=loaded.rows + len(malformed),
        rows_accepted=loaded.rows - loaded.bad,
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
