"""Inspecting a file before its import: the guessed file options, preset, column mapping and
timestamp formats with a preview (:func:`inspect_file`), and the user's overrides
(:func:`apply_overrides`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from prodops.data.importer import (
    SAMPLE_ROWS,
    ImportPlan,
    Inspection,
    _repaired_copy,
    guess_time,
    scratch_connection,
    time_columns,
)
from prodops.data.presets import ColumnMapping, detect_mapping, is_end_like
from prodops.data.reader import (
    RawSource,
    backend_error,
    default_sheet,
    excel_sheets,
    no_such_sheet,
    open_raw,
    sample_rows,
    text_expr,
)
from prodops.data.sample import Sample
from prodops.data.schema import END_COL, START_COL, USER_COL, Kind
from prodops.data.sniff import FileGuess, sniff_file
from prodops.data.stitch import People, detect_people
from prodops.data.tempfiles import workspace
from prodops.data.timeparse import TimeGuess, detect_time_format
from prodops.data.unpack import DISCOVERY_ROWS, json_object_columns
from prodops.duck import quote_ident
from prodops.errors import InputError, ParameterError, UnreadableFileError

if TYPE_CHECKING:  # no pandas before DuckDB reads the file (ADR 0016)
    import pandas as pd


def _plan_times(
    sample: Sample, mapping: ColumnMapping
) -> tuple[ColumnMapping, dict[str, TimeGuess], list[str]]:
    """Guess the time formats of the mapped time columns; returns (mapping, times, warnings).

    For a generic mapping, a time column whose values are not dates is swapped for a property
    column whose values are; a column that still does not parse is left out of *times* with a
    warning (the import guesses again and reports it clearly).
    """
    times: dict[str, TimeGuess] = {}
    warnings: list[str] = []
    columns = list(sample.columns)
    for canonical in time_columns(mapping.kind):
        source = mapping.columns.get(canonical)
        if source is None and canonical != END_COL and mapping.preset == "generic":
            # no column is named like a time: take the first property whose values are times
            source = _time_like_property(sample, mapping, canonical)
            if source is not None:
                mapping = mapping.with_column(canonical, source, columns)
        if not source or source not in sample.columns:
            continue
        filled = any(value and value.strip() for value in sample[source])
        if canonical == END_COL and not filled:
            times[canonical] = times.get(START_COL, TimeGuess())
            continue
        try:
            times[canonical] = guess_time(sample, source)
        except InputError as error:
            generic = mapping.preset == "generic"
            swap = _time_like_property(sample, mapping, canonical) if generic else None
            if swap is None:
                warnings.append(error.message)
                continue
            mapping = mapping.with_column(canonical, swap, columns)
            times[canonical] = guess_time(sample, swap)
    return mapping, times, warnings


def _time_like_property(sample: Sample, mapping: ColumnMapping, canonical: str) -> str | None:
    """The first property column whose values are times (never an end date for the start)."""
    for column in mapping.properties:
        if canonical == START_COL and is_end_like(column):
            continue
        try:
            if detect_time_format(sample[column]).matched >= 0.95:
                return column
        except InputError:
            continue
    return None


def inspect_raw(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    file_guess: FileGuess,
    *,
    kind: Kind | None = None,
    preview_rows: int = 20,
) -> Inspection:
    """Look at an opened raw source: sample, preset and mapping, timestamp formats."""
    sample = sample_rows(con, raw, rows=SAMPLE_ROWS)
    if sample.empty:
        raise UnreadableFileError(
            "the file has a header but no data rows",
            where=raw.label,
            fix="Export the data again with its rows.",
        )
    mapping = detect_mapping(list(raw.columns), kind=kind)
    times: dict[str, TimeGuess] = {}
    warnings: list[str] = []
    people = People()
    if mapping.preset != "stripe":
        mapping, times, warnings = _plan_times(sample, mapping)
    if mapping.kind == "events":
        people = detect_people(mapping.preset, raw.columns, mapping.columns.get(USER_COL))
    json_columns = (
        json_object_columns(sample, mapping.properties) if mapping.preset != "stripe" else []
    )
    json_sample = _json_sample(con, raw, json_columns) if json_columns else None
    found = Inspection(
        label=raw.label,
        columns=raw.columns,
        sample=sample,
        preview_rows=preview_rows,
        plan=ImportPlan(file=file_guess, mapping=mapping, times=times, people=people),
        warnings=tuple(warnings),
        json_columns=tuple(json_columns),
        json_sample=json_sample,
    )
    return found.with_unpacking(json_columns)


def _json_sample(
    con: duckdb.DuckDBPyConnection, raw: RawSource, columns: Sequence[str]
) -> pd.DataFrame:
    """The first :data:`~prodops.data.unpack.DISCOVERY_ROWS` values of the JSON *columns*."""
    select = ", ".join(f"{text_expr(raw, c)} AS {quote_ident(c)}" for c in columns)
    try:
        frame = con.execute(f"SELECT {select} FROM {raw.relation} LIMIT {DISCOVERY_ROWS}").df()
    except duckdb.Error as error:
        raise backend_error(error, f"reading the JSON columns of {raw.label}") from error
    frame.columns = list(columns)
    return frame


def inspect_file(
    path: str | Path,
    *,
    label: str | None = None,
    kind: Kind | None = None,
    preview_rows: int = 20,
    file_guess: FileGuess | None = None,
    sheet: str | None = None,
) -> Inspection:
    """Sniff the file at *path* and guess how to import it.

    Parameters
    ----------
    path : str or Path
        The file (an upload spooled to disk).
    label : str, optional
        Its name as people know it (extension, messages).
    kind : {"events", "subscriptions"}, optional
        What is wanted; None detects it.
    preview_rows : int
        Rows in ``Inspection.preview``.
    file_guess : FileGuess, optional
        File options corrected by the user (skips sniffing).
    sheet : str, optional
        The sheet of an Excel workbook to read (default: ``file_guess.sheet``, else the first
        sheet that holds data). ``Inspection.sheets`` lists them all.

    Raises
    ------
    UnreadableFileError, ColumnError, InputError
        With what is wrong and how to fix it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "events.csv"
    ...     _ = path.write_text("distinct_id,event,timestamp\\nu1,signup,2026-01-05 10:00:00\\n")
    ...     inspection = inspect_file(path)
    >>> inspection.plan.mapping.preset
    'posthog'
    """
    path = Path(path)
    label = label or path.name
    guess = file_guess or sniff_file(path, label=label)
    sheets: tuple[str, ...] = ()
    notes: list[str] = []
    if sheet is not None and guess.format != "xlsx":
        raise ParameterError(
            f"a sheet ({sheet!r}) was chosen but the file is not an Excel workbook",
            where=label,
            fix="Leave out --sheet for this file.",
        )
    if guess.format == "xlsx":
        sheets = excel_sheets(path, label=label)
        chosen = sheet or guess.sheet
        guess = replace(guess, sheet=chosen or default_sheet(path, label=label))
        if guess.sheet not in sheets:
            raise no_such_sheet(str(guess.sheet), sheets, label)
        if len(sheets) > 1 and chosen is None:
            notes.append(
                f"the workbook has {len(sheets)} sheets ({', '.join(map(repr, sheets))}); "
                f"reading {guess.sheet!r}: choose another with the Sheet picker (--sheet NAME)"
            )
    with workspace() as work, scratch_connection(path, work) as con:
        raw = open_raw(con, path, guess, workdir=work, label=label)
        try:
            found = inspect_raw(con, raw, guess, kind=kind, preview_rows=preview_rows)
        except UnreadableFileError:
            # an open quote may have swallowed every row: look at a repaired copy instead
            if raw.csv_file is None:
                raise
            fixed = _repaired_copy(raw, work)
            if fixed is None or not fixed.bad_rows:
                raise
            plain = replace(raw.csv_file[1], encoding="utf-8", compression="none")
            repaired = open_raw(con, fixed.path, plain, workdir=work, label=label)
            found = inspect_raw(con, repaired, guess, kind=kind, preview_rows=preview_rows)
    return replace(found, sheets=sheets, warnings=(*notes, *found.warnings))


def apply_overrides(
    inspection: Inspection, overrides: dict[str, str | None], *, day_first: bool | None = None
) -> ImportPlan:
    """Return the plan with canonical columns remapped (``{"user_id": "uid"}``) and day order."""
    for canonical, source in overrides.items():
        if source is not None:
            inspection = inspection.remap(canonical, source)
    plan = inspection.plan
    if day_first is not None:
        plan = plan.resolve_day_first(day_first)
    return plan
