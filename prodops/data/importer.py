"""From a file to canonical rows: inspect (guesses + preview), then import with a plan.

:func:`prodops.data.inspection.inspect_file` returns an :class:`Inspection` whose
:class:`ImportPlan` holds every guess (file options, preset and column mapping, timestamp
formats). The UI shows and edits the plan (``dataclasses.replace``) and passes it back to
:func:`import_into` (or to :meth:`prodops.data.catalog.Catalog.import_file`), which reads the file
with DuckDB and validates it in SQL.
"""

from __future__ import annotations

import contextlib
import uuid
import zlib
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from prodops import config, duck
from prodops.data.caps import check_bytes, may_pass_row_cap, parquet_rows, too_many_rows
from prodops.data.presets import ColumnMapping, check_mapping
from prodops.data.quotes import UNTERMINATED_REASON, Repair, repair_unterminated_quotes
from prodops.data.reader import RawSource, backend_error, excel_sheets, open_raw, sample_rows
from prodops.data.sample import Sample
from prodops.data.schema import END_COL, REQUIRED_COLUMNS, START_COL, TIME_COL, Kind
from prodops.data.sniff import FileGuess, open_head
from prodops.data.stitch import People
from prodops.data.tempfiles import workspace as workspace  # re-exported (tests use it)
from prodops.data.timeparse import TimeGuess, detect_time_format
from prodops.data.unpack import Unpacking, order_sources, plan_unpacking, preview_frame
from prodops.data.validate import ENCODING_REASON, ValidationReport, load_canonical
from prodops.duck import quote_ident
from prodops.errors import InputError, UnreadableFileError

if TYPE_CHECKING:  # pandas is imported where a frame is built (ADR 0016)
    import pandas as pd

SAMPLE_ROWS = 2000
TIME_COLUMNS = (TIME_COL, START_COL, END_COL)


@dataclass(frozen=True)
class ImportPlan:
    """Everything needed to import one file; built by :func:`inspect_file`, editable.

    Attributes
    ----------
    file : FileGuess
        Format, encoding, delimiter, decimal mark.
    mapping : ColumnMapping
        Kind, preset, canonical -> source columns, property columns.
    times : dict
        Canonical time column (``timestamp``, ``start``, ``end``) -> :class:`TimeGuess`.
    unpack : Unpacking
        JSON object columns unpacked into property columns (:mod:`prodops.data.unpack`).
    people : People
        How ids are merged into persons (:mod:`prodops.data.stitch`); ``keep_raw`` turns it off.
    """

    file: FileGuess
    mapping: ColumnMapping
    times: dict[str, TimeGuess] = field(default_factory=dict)
    unpack: Unpacking = field(default_factory=Unpacking)
    people: People = field(default_factory=People)

    @property
    def ambiguous(self) -> list[str]:
        """Canonical time columns whose day/month order must be chosen."""
        return [c for c, g in self.times.items() if g.ambiguous]

    def resolve_day_first(self, day_first: bool) -> ImportPlan:
        """Return the plan with day/month order chosen for every ambiguous time column."""
        times = {
            c: g.resolve(day_first=day_first) if g.ambiguous else g for c, g in self.times.items()
        }
        return replace(self, times=times)


@dataclass(frozen=True)
class Inspection:
    """A file looked at before import: its columns, a preview and the guessed plan."""

    label: str
    columns: tuple[str, ...]
    sample: Sample = field(repr=False)
    """The first :data:`SAMPLE_ROWS` rows as text, where the guesses were made."""
    plan: ImportPlan
    warnings: tuple[str, ...] = ()
    sheets: tuple[str, ...] = ()
    """The worksheets of an Excel workbook (``plan.file.sheet`` is the one read)."""
    json_columns: tuple[str, ...] = ()
    """Columns whose sampled values are all JSON objects (offered for unpacking)."""
    json_sample: pd.DataFrame | None = field(default=None, repr=False)
    """The first rows of :attr:`json_columns`, where their keys are found."""
    preview_rows: int = 20

    @property
    def preview(self) -> pd.DataFrame:
        """The first :attr:`preview_rows` rows, as the file holds them (text)."""
        return self.sample.head(self.preview_rows).frame()

    def with_unpacking(self, sources: Sequence[str]) -> Inspection:
        """Return the inspection unpacking only the JSON columns *sources* (others kept as text).

        Key names are found again: a key that collided only with a column no longer unpacked
        gets its plain name back.
        """
        chosen = [c for c in self.json_columns if c in sources]
        unpack = Unpacking()
        if chosen and self.json_sample is not None:
            ordered = order_sources(chosen, self.plan.mapping.preset)
            taken = [*REQUIRED_COLUMNS[self.plan.mapping.kind], *self.columns]
            unpack = plan_unpacking(self.json_sample, ordered, taken=taken)
        return replace(self, plan=replace(self.plan, unpack=unpack))

    def with_raw_ids(self, keep_raw: bool) -> Inspection:
        """Return the inspection keeping the exported user ids (*keep_raw*) or merging them."""
        people = replace(self.plan.people, keep_raw=keep_raw)
        return replace(self, plan=replace(self.plan, people=people))

    def unpacked_preview(self, rows: int = 20) -> pd.DataFrame:
        """The preview's first *rows* rows of the unpacked property columns."""
        if self.json_sample is None or not self.plan.unpack.keys:
            import pandas as pd

            return pd.DataFrame()
        return preview_frame(self.json_sample, self.plan.unpack, rows=rows)

    def remap(self, canonical: str, source: str | None) -> Inspection:
        """Return the inspection with *canonical* mapped to *source* (time format re-guessed)."""
        mapping = self.plan.mapping.with_column(canonical, source, self.columns)
        times = dict(self.plan.times)
        if canonical in time_columns(mapping.kind):
            times.pop(canonical, None)
            if source:
                with contextlib.suppress(InputError):  # reported again, clearly, at import
                    times[canonical] = guess_time(self.sample, source, ambiguous_ok=True)
        return replace(self, plan=replace(self.plan, mapping=mapping, times=times))


@contextmanager
def scratch_connection(*paths: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB allowed to read only files under the directories of *paths*."""
    dirs = {p.resolve().parent for p in paths} | {config.tmp_dir()}
    con = duck.connect(allowed_directories=sorted(dirs), memory_limit="2GB")
    try:
        yield con
    finally:
        con.close()


def guess_time(sample: Sample, column: str, *, ambiguous_ok: bool = True) -> TimeGuess:
    """Guess the timestamp format of *column* from the *sample* rows."""
    guess = detect_time_format(sample[column], column=column)
    if guess.ambiguous and not ambiguous_ok:
        raise ambiguous_error(column, guess)
    return guess


def ambiguous_error(column: str, guess: TimeGuess) -> InputError:
    """The error for a day/month order that nobody chose."""
    return InputError(
        f"day and month order is ambiguous in column {column!r} (e.g. {guess.example!r})",
        fix="Choose day-first or month-first (--day-first / --month-first on the command line).",
    )


def time_columns(kind: Kind) -> tuple[str, ...]:
    """The canonical time columns of *kind*: ``timestamp``, or ``start`` and ``end``."""
    return (TIME_COL,) if kind == "events" else (START_COL, END_COL)


def import_into(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    plan: ImportPlan,
    *,
    table: str,
    workdir: Path,
    label: str | None = None,
    columns: Collection[str] | None = None,
    strict_first: bool = False,
) -> ValidationReport:
    """Read the file at *path* with *plan* into the new table *table* of *con*; validate it.

    *columns* names the property columns to store (as named in *table*; default all): the
    others are read and checked all the same, so the rows and the report do not depend on it.
    *strict_first* (only where *con* is not in a transaction) tries a read that keeps no
    rejected line first (:func:`prodops.data.validate.load_canonical`).

    Raises
    ------
    InputError
        An ambiguous day/month order left unresolved, a mapping that does not fit the file, a
        file above the size caps (:mod:`prodops.data.caps`).
    """
    path = Path(path)
    label = label or path.name
    guess = plan.file
    size = check_bytes(path, file_format=guess.format, compression=guess.compression, label=label)
    max_rows = config.max_import_rows()
    if guess.format == "parquet" and parquet_rows(path) > max_rows:
        raise too_many_rows(label, max_rows)
    stop_early = guess.format in ("csv", "jsonl", "json") and may_pass_row_cap(
        open_head(path, guess.compression), size, max_rows
    )
    return _read_validated(
        con,
        path,
        plan,
        table=table,
        workdir=workdir,
        label=label,
        stop_early=stop_early,
        columns=columns,
        strict_first=strict_first,
    )


def _read_validated(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    plan: ImportPlan,
    *,
    table: str,
    workdir: Path,
    label: str,
    stop_early: bool,
    repair: Repair | None = None,
    columns: Collection[str] | None = None,
    strict_first: bool = False,
) -> ValidationReport:
    raw = open_raw(con, path, plan.file, workdir=workdir, label=label)
    mapping = plan.mapping
    times = dict(plan.times)
    if mapping.preset == "stripe":
        raw, mapping, times = _stripe_source(con, raw)
    try:
        check_mapping(mapping, raw.columns, label=label)
    except InputError as error:
        raise with_sheet_hint(error, path, plan.file, label) from error
    times = {c: g for c, g in times.items() if c in time_columns(mapping.kind)}
    for canonical in time_columns(mapping.kind):
        if mapping.columns.get(canonical) and canonical not in times:
            sample = sample_rows(con, raw, rows=SAMPLE_ROWS)
            times[canonical] = guess_time(sample, str(mapping.columns[canonical]))
        if canonical in times and times[canonical].ambiguous and mapping.columns.get(canonical):
            raise ambiguous_error(str(mapping.columns[canonical]), times[canonical])

    def read_repaired(fixed: Repair) -> ValidationReport:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        retry = replace(plan, file=replace(plan.file, encoding="utf-8", compression="none"))
        return _read_validated(
            con, fixed.path, retry, table=table, workdir=workdir, label=label,
            stop_early=stop_early, repair=fixed, columns=columns,
        )  # fmt: skip

    try:
        report = load_canonical(
            con,
            raw,
            mapping,
            times,
            table=table,
            decimal=plan.file.decimal,
            stop_early=stop_early,
            unpack=plan.unpack if plan.mapping.preset != "stripe" else Unpacking(),
            people=plan.people if mapping.kind == "events" else People(),
            workdir=workdir,
            keep=columns,
            strict_first=strict_first,
        )
    except UnreadableFileError:
        # DuckDB gives up on some open quotes outright (CRLF files): read a repaired copy
        fixed = _repaired_copy(raw, workdir) if repair is None and raw.csv_file else None
        if fixed is None or not fixed.bad_rows:
            raise
        return read_repaired(fixed)
    if plan.file.encoding == "utf-8" and (report.rejected["reason"] == ENCODING_REASON).any():
        # the head was UTF-8 but later bytes are not: read the whole file as cp1252 instead
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        retry = replace(plan, file=replace(plan.file, encoding="cp1252"))
        return _read_validated(
            con, path, retry, table=table, workdir=workdir, label=label, stop_early=stop_early,
            columns=columns,
        )  # fmt: skip
    if repair is None and raw.csv_file and (report.rejected["reason"] == UNTERMINATED_REASON).any():
        # a quote left open swallowed rows: read a copy where those lines are malformed instead
        fixed = _repaired_copy(raw, workdir)
        if fixed is not None:  # None: unreadable as text after all; keep the first reading
            return read_repaired(fixed)
    if repair is not None and repair.bad_rows:
        report = _explain_repaired(report, repair)
    if report.rows_read == 0:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        raise UnreadableFileError(
            "the file has a header but no data rows",
            where=label,
            fix="Export the data again with its rows.",
        )
    return report


def _repaired_copy(raw: RawSource, workdir: Path) -> Repair | None:
    """A copy of the CSV behind *raw* with lines whose quote never closes made malformed
    (:mod:`prodops.data.quotes`); None when the text cannot be read again (damaged gzip)."""
    assert raw.csv_file is not None
    source, read = raw.csv_file
    try:
        return repair_unterminated_quotes(
            source,
            compression=read.compression,
            delimiter=read.delimiter,
            quote=read.quote,
            columns=len(raw.columns),
            out=workdir / f"{uuid.uuid4().hex}.csv",
        )
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None


def _explain_repaired(report: ValidationReport, repair: Repair) -> ValidationReport:
    """The repaired lines were rejected as "too many fields": say why, with their own text."""
    rejected = report.rejected.copy()
    bad = rejected["row"].isin(list(repair.bad_rows))
    rows = rejected.loc[bad, "row"]
    rejected.loc[bad, "reason"] = UNTERMINATED_REASON
    rejected.loc[bad, "column"] = ""
    rejected.loc[bad, "value"] = [repair.bad_rows[int(r)][:200] for r in rows]
    return replace(report, rejected=rejected)


def with_sheet_hint(error: InputError, path: Path, guess: FileGuess, label: str) -> InputError:
    """*error*, pointing at the workbook's other sheets when the one read does not fit."""
    if guess.format != "xlsx":
        return error
    others = [s for s in excel_sheets(path, label=label) if s != guess.sheet]
    if not others:
        return error
    hint = (
        f"The sheet read was {guess.sheet!r}; the workbook also has "
        f"{', '.join(map(repr, others))}: choose one with --sheet NAME (or the Sheet picker)."
    )
    return type(error)(error.what, where=error.where, fix=f"{error.fix or ''} {hint}".strip())


def _stripe_source(
    con: duckdb.DuckDBPyConnection, raw: RawSource
) -> tuple[RawSource, ColumnMapping, dict[str, TimeGuess]]:
    """Normalise a Stripe export with :func:`prodops.data.subscriptions.stripe_to_canonical`."""
    import ibis
    from ibis.backends.sql.datatypes import DuckDBType

    from prodops.data.subscriptions import stripe_to_canonical

    name = f"prodops_stripe_{uuid.uuid4().hex[:12]}"
    relation, rejects = raw.fresh()
    try:
        con.execute(
            f"CREATE TEMP TABLE {quote_ident(name)} AS SELECT * FROM {relation} "
            f"LIMIT {config.max_import_rows() + 1}"  # load_canonical refuses the extra row
        )
        # an unbound table with the temp table's schema: compiled to SQL, run on *con*
        schema = {c: DuckDBType.from_string(t) for c, t in zip(raw.columns, raw.types, strict=True)}
        canonical = stripe_to_canonical(ibis.table(schema, name=name))
        sql = ibis.to_sql(canonical, dialect="duckdb")
        described = con.execute(f"DESCRIBE {sql}").fetchall()
    except duckdb.Error as error:
        raise backend_error(error, f"normalising the Stripe export {raw.label}") from error
    columns = tuple(str(r[0]) for r in described)
    source = RawSource(
        relation=f"({sql})",
        columns=columns,
        types=tuple(str(r[1]) for r in described),
        rejects_table=rejects,
        label=raw.label,
    )
    mapping = ColumnMapping(
        kind="subscriptions",
        preset="stripe",
        columns={c: c if c in columns else None for c in ("customer_id", "start", "end", "mrr")},
        properties=tuple(c for c in columns if c not in ("customer_id", "start", "end", "mrr")),
    )
    iso = TimeGuess(formats=("iso",))
    return source, mapping, {START_COL: iso, END_COL: iso}
