"""Reading a file into DuckDB as a raw relation, with the options guessed by :mod:`sniff`.

Delimited text is read by DuckDB's ``read_csv`` from the file path (never through pandas) with
every column as VARCHAR, so that converting and validating values happens in SQL afterwards
(:mod:`prodops.data.validate`) and a bad value rejects its row instead of failing the file. Rows
with too few or too many fields are kept in a rejects table with their line number. A scan may
also type some columns (:meth:`RawSource.fresh`): DuckDB then parses them itself and puts the rows
it cannot parse in the rejects table (error ``CAST``), whose text :func:`cast_rejects` returns so
that they can be read again as text (:func:`lines_source`).
Excel workbooks (small by nature) go through pandas/openpyxl into a Parquet temporary file; the
sheet read is ``FileGuess.sheet`` (by default the first one that holds data). Empty header names
become ``column<N>`` wherever they come from (:func:`prodops.data.sniff.name_blank_columns`).
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from prodops import config
from prodops.data.caps import excel_size, too_big, too_many_rows
from prodops.data.sample import Sample
from prodops.data.sniff import (
    FileGuess,
    check_unique_columns,
    decode_head,
    header_of,
    name_blank_columns,
    open_head,
    transcode_to_utf8,
)
from prodops.data.timeparse import sql_literal
from prodops.duck import quote_ident
from prodops.errors import BackendError, InputError, UnreadableFileError, did_you_mean

if TYPE_CHECKING:  # pandas is imported where a workbook is read (ADR 0016)
    import pandas as pd

_DUCKDB_ERRORS = (duckdb.Error,)


@dataclass(frozen=True)
class RawSource:
    """A file as DuckDB reads it.

    Attributes
    ----------
    relation : str
        SQL table function call (``read_csv(...)``) usable after ``FROM``.
    columns : tuple of str
        Column names in file order.
    types : tuple of str
        DuckDB type of each column (VARCHAR for delimited text).
    rejects_table : str or None
        Name of the temporary table DuckDB fills with malformed lines (delimited text only).
    label : str
        The file's name, for messages.
    """

    relation: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rejects_table: str | None
    label: str
    csv_file: tuple[Path, FileGuess] | None = None

    def fresh(
        self, types: Mapping[str, str] | None = None, *, strict: bool = False
    ) -> tuple[str, str | None]:
        """Return (relation, rejects table) for a new scan whose rejects are kept apart.

        *types* (delimited text only) gives some columns a DuckDB type other than VARCHAR: the
        reader parses them and rejects the rows whose value it cannot parse (error ``CAST``).
        *strict* (delimited text only) keeps no rejects: the first bad line fails the scan.
        """
        if self.csv_file is None:
            return self.relation, self.rejects_table
        if strict:  # the command line's read, into an in-memory table
            path, guess = self.csv_file
            scan = csv_relation(path, guess, self.columns, None, types=types, small_buffer=True)
            return scan, None
        rejects = f"prodops_rejects_{uuid.uuid4().hex[:12]}"
        return csv_relation(*self.csv_file, self.columns, rejects, types=types), rejects

    def retyped(self, types: Mapping[str, str]) -> RawSource:
        """This source as a scan with *types* reads it (:meth:`fresh`) describes its columns."""
        kinds = tuple(types.get(c, t) for c, t in zip(self.columns, self.types, strict=True))
        return replace(self, types=kinds)


def friendly_duckdb_error(error: Exception, label: str) -> InputError:
    """Turn a DuckDB error about a file into one clear :class:`InputError` line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = text.removeprefix("Invalid Input Error: ").removeprefix("IO Error: ")
    return UnreadableFileError(
        f"DuckDB could not read it ({text[:200]})",
        where=label,
        fix="Check the delimiter, encoding and format in the preview, or export the file again.",
    )


MAX_LINE_BYTES = 10_000_000
SMALL_BUFFER_BYTES = 32 * 1024 * 1024
"""The buffer of a scan whose rows are not stored in a database file (see :func:`csv_relation`)."""


def csv_relation(
    path: Path,
    guess: FileGuess,
    columns: tuple[str, ...],
    rejects: str | None,
    *,
    types: Mapping[str, str] | None = None,
    small_buffer: bool = False,
) -> str:
    """Return the ``read_csv(...)`` call with explicit options (DuckDB's sniffer is not used).

    Every column is VARCHAR unless *types* says otherwise. Malformed lines (too few / too many
    fields) and values of a typed column that DuckDB cannot parse go to the temporary table
    *rejects*; with *rejects* None the first of them fails the read instead (and the read is a
    sixth faster: DuckDB keeps no line of the file aside).

    DuckDB's buffer is 16 times ``max_line_size`` by default, 160 MB here. *small_buffer* (32 MB)
    suits a scan that only looks (the first rows: 0.02 s instead of 0.12 s) or fills an
    in-memory table (the command line's read of 10M rows: 0.2 s faster, 0.2 GB smaller); a table
    written to a database file from it came out 131 MB instead of 83 MB, with a checkpoint of
    2.4 s at close (DuckDB 2.0), so the catalog's import keeps the default.
    """
    kinds = types or {}
    spec = ", ".join(f"{sql_literal(c)}: {sql_literal(kinds.get(c, 'VARCHAR'))}" for c in columns)
    options = [
        f"delim={sql_literal(guess.delimiter)}",
        f"quote={sql_literal(guess.quote)}",
        f"escape={sql_literal(guess.quote)}",
        "header=true",
        "auto_detect=false",
        f"columns={{{spec}}}",
        "skip=0",
        f"compression={sql_literal('gzip' if guess.compression == 'gzip' else 'none')}",
        f"max_line_size={MAX_LINE_BYTES}",
    ]
    if small_buffer:
        options.append(f"buffer_size={SMALL_BUFFER_BYTES}")
    if rejects is not None:
        options += [
            "store_rejects=true",
            f"rejects_table={sql_literal(rejects)}",
            f"rejects_scan={sql_literal(rejects + '_scan')}",
        ]
    return f"read_csv({sql_literal(str(path))}, {', '.join(options)})"


def cast_rejects(
    con: duckdb.DuckDBPyConnection, rejects: str, *, limit: int
) -> list[tuple[int, str]] | None:
    """Return (data row, text) of each record a typed scan rejected only because a typed value did
    not parse (error ``CAST``), in file order; None when there are more than *limit*.

    Records with any other error (too few / too many fields, encoding) are malformed whatever the
    types, and left to the report of malformed lines.
    """
    found = con.execute(
        f"SELECT CAST(line AS BIGINT) - 1, any_value(csv_line) FROM {quote_ident(rejects)} "
        f"GROUP BY line HAVING bool_and(CAST(error_type AS VARCHAR) = 'CAST') ORDER BY line "
        f"LIMIT {int(limit) + 1}"
    ).fetchall()
    if len(found) > limit:
        return None
    return [(int(row), str(text)) for row, text in found]


def lines_source(source: RawSource, lines: list[str], *, workdir: Path) -> RawSource:
    """Return a VARCHAR source over a new CSV in *workdir*: a header, then *lines* (records' text
    as the file has them, from :func:`cast_rejects`), read with the options of *source*'s file.

    Its k-th row is ``lines[k - 1]`` (each record read alone: a value over several lines stays one
    record).
    """
    assert source.csv_file is not None
    guess = replace(source.csv_file[1], compression="none", encoding="utf-8")
    path = workdir / f"{uuid.uuid4().hex}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(guess.delimiter.join(f"c{i}" for i in range(len(source.columns))) + "\n")
        for line in lines:  # DuckDB keeps the previous record's line end in front of some
            fh.write(line.strip("\r\n") + "\n")
    rejects = f"prodops_rejects_{uuid.uuid4().hex[:12]}"
    return RawSource(
        relation=csv_relation(path, guess, source.columns, rejects),
        columns=source.columns,
        types=("VARCHAR",) * len(source.columns),
        rejects_table=rejects,
        label=source.label,
        csv_file=(path, guess),
    )


def _damaged_workbook(error: Exception, label: str) -> UnreadableFileError:
    if isinstance(error, KeyError) and "[Content_Types].xml" in str(error):
        return UnreadableFileError(  # a zip, but not of a workbook
            "the file is a zip archive, not an Excel workbook",
            where=label,
            fix="Unzip it and give the CSV, JSON, Parquet or Excel file inside.",
        )
    return UnreadableFileError(
        f"the Excel workbook could not be read ({type(error).__name__}: {error})",
        where=label,
        fix="Open it in Excel, save it again as .xlsx (or CSV) and upload that.",
    )


def _check_workbook_size(path: Path, label: str) -> None:
    limit = config.max_import_bytes()
    if excel_size(path) > limit:  # a zip bomb is refused before openpyxl inflates it
        raise too_big(label, limit)


def excel_sheets(path: Path, *, label: str | None = None) -> tuple[str, ...]:
    """Return the names of the worksheets of the workbook at *path*, in workbook order."""
    label = label or path.name
    _check_workbook_size(path, label)
    import pandas as pd

    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            return tuple(str(name) for name in workbook.sheet_names)
    except Exception as error:  # openpyxl raises many types for damaged workbooks
        raise _damaged_workbook(error, label) from error


def _read_sheet(path: Path, sheet: str | int, label: str) -> pd.DataFrame:
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl", header=None)
    except ValueError as error:
        if isinstance(sheet, str) and sheet not in excel_sheets(path, label=label):
            raise no_such_sheet(sheet, excel_sheets(path, label=label), label) from error
        raise _damaged_workbook(error, label) from error
    except Exception as error:  # openpyxl raises many types for damaged workbooks
        raise _damaged_workbook(error, label) from error
    return frame


def no_such_sheet(sheet: str, sheets: tuple[str, ...], label: str) -> InputError:
    """The error for a sheet name the workbook does not have (with a suggestion)."""
    return InputError(
        f"the workbook has no sheet named {sheet!r} (it has {', '.join(map(repr, sheets))})",
        where=label,
        fix=did_you_mean(sheet, sheets) or "Pick one of its sheets (--sheet NAME).",
    )


def default_sheet(path: Path, *, label: str | None = None) -> str:
    """Return the first worksheet of the workbook at *path* with a header and a row below it
    (else the first that holds any value)."""
    label = label or path.name
    sheets = excel_sheets(path, label=label)
    filled: dict[str, int] = {}
    for name in sheets:  # in order, reading no further than the first sheet with data rows
        filled[name] = len(_read_sheet(path, name, label).dropna(how="all"))
        if filled[name] >= 2:
            return name
    for name, rows in filled.items():
        if rows:
            return name  # a header alone: the import says there are no data rows
    raise UnreadableFileError(
        "every sheet of the workbook is empty",
        where=label,
        fix="Put the data with a header row in a sheet.",
    )


def _excel_to_parquet(path: Path, workdir: Path, label: str, sheet: str | None) -> Path:
    name = sheet if sheet is not None else default_sheet(path, label=label)
    _check_workbook_size(path, label)
    frame = _read_sheet(path, name, label)
    if frame.dropna(how="all").empty:
        raise UnreadableFileError(
            f"the sheet {name!r} is empty",
            where=label,
            fix="Pick the sheet that holds the data with a header row (--sheet NAME).",
        )
    if len(frame) - 1 > config.max_import_rows():
        raise too_many_rows(label, config.max_import_rows())
    header = name_blank_columns([c.strip() if isinstance(c, str) else "" for c in frame.iloc[0]])
    check_unique_columns(header, label)
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = header
    out = workdir / f"{uuid.uuid4().hex}.parquet"
    frame.astype("string").to_parquet(out, index=False)
    return out


def open_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    guess: FileGuess,
    *,
    workdir: Path,
    label: str | None = None,
) -> RawSource:
    """Return the file at *path* as a :class:`RawSource` relation of connection *con*.

    Text that is not UTF-8 is first transcoded into *workdir* (DuckDB reads UTF-8).

    Raises
    ------
    UnreadableFileError
        DuckDB cannot read the file with these options, or it has no data rows.
    ColumnError
        Duplicate column names.
    """
    label = label or path.name
    rejects: str | None = None
    csv_file: tuple[Path, FileGuess] | None = None
    if guess.format == "xlsx":
        parquet = _excel_to_parquet(path, workdir, label, guess.sheet)
        relation = f"read_parquet({sql_literal(str(parquet))})"
    elif guess.format == "parquet":
        relation = f"read_parquet({sql_literal(str(path))})"
    else:
        source = path
        if guess.encoding not in ("utf-8", "utf-8-sig"):
            source = _transcode(path, guess, workdir, label)
            guess = FileGuess(**{**guess.__dict__, "compression": "none", "encoding": "utf-8"})
        if guess.format in ("jsonl", "json"):
            comp = "gzip" if guess.compression == "gzip" else "none"
            layout = "newline_delimited" if guess.format == "jsonl" else "auto"
            relation = (
                f"read_json({sql_literal(str(source))}, format={sql_literal(layout)}, "
                f"compression={sql_literal(comp)}, sample_size=-1, maximum_object_size=16777216)"
            )
        else:
            head = decode_head(open_head(source, guess.compression), "utf-8")
            header = tuple(header_of(head, guess.delimiter, label))
            rejects = f"prodops_rejects_{uuid.uuid4().hex[:12]}"
            relation = csv_relation(source, guess, header, rejects, small_buffer=True)
            csv_file = (source, guess)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        if guess.format in ("jsonl", "json"):
            _check_json_records(described, label)
            relation, described = _flatten_properties(con, relation, described)
    except _DUCKDB_ERRORS as error:
        raise friendly_duckdb_error(error, label) from error
    columns = tuple(str(row[0]) for row in described)
    check_unique_columns(list(columns), label)
    if not columns:
        raise UnreadableFileError("the file has no columns", where=label)
    return RawSource(
        relation=relation,
        columns=columns,
        types=tuple(str(row[1]) for row in described),
        rejects_table=rejects,
        label=label,
        csv_file=csv_file,
    )


def _transcode(path: Path, guess: FileGuess, workdir: Path, label: str) -> Path:
    """Transcode to UTF-8 in *workdir*, refusing more than the byte cap as it goes."""
    limit = config.max_import_bytes()
    out = workdir / f"{uuid.uuid4().hex}.txt"
    try:
        return transcode_to_utf8(path, guess, out, max_bytes=limit)
    except OverflowError as error:
        out.unlink(missing_ok=True)
        raise too_big(label, limit) from error
    except (OSError, EOFError, zlib.error) as error:  # a damaged gzip stream
        out.unlink(missing_ok=True)
        raise UnreadableFileError(
            f"the gzip data is damaged ({error})",
            where=label,
            fix="Compress the file again or upload it uncompressed.",
        ) from error


def _check_json_records(described: list[Any], label: str) -> None:
    """DuckDB reads JSON that is not one record per object (an empty key, a line that is not an
    object, an array of numbers) as one column named ``json``: say so instead of a mapping error."""
    if len(described) == 1 and str(described[0][0]) == "json":
        raise UnreadableFileError(
            "the JSON values are not records with named fields (a key is empty, or some values "
            "are not objects)",
            where=label,
            fix="Write one JSON object per line (or an array of objects) whose keys are all "
            "non-empty names.",
        )


def _flatten_properties(
    con: duckdb.DuckDBPyConnection, relation: str, described: list[Any]
) -> tuple[str, list[Any]]:
    """Lift the fields of a nested ``properties`` object to columns (Mixpanel's JSON export keeps
    ``distinct_id`` and ``time`` there), unless a field name clashes with a top-level column."""
    types = {str(r[0]): str(r[1]) for r in described}
    nested = next(
        (c for c, t in types.items() if c.lower() == "properties" and t.startswith("STRUCT")), None
    )
    if nested is None:
        return relation, described
    fields = [
        str(r[0])
        for r in con.execute(
            f"DESCRIBE SELECT unnest({quote_ident(nested)}) FROM {relation}"
        ).fetchall()
    ]
    top = {c.lower() for c in types if c != nested}
    if any(f.lower() in top for f in fields) or len({f.lower() for f in fields}) != len(fields):
        return relation, described
    flat = (
        f"(SELECT * EXCLUDE ({quote_ident(nested)}), unnest({quote_ident(nested)}) FROM {relation})"
    )
    return flat, con.execute(f"DESCRIBE SELECT * FROM {flat}").fetchall()


def text_expr(source: RawSource, column: str) -> str:
    """Return SQL giving *column* of *source* as VARCHAR (nested JSON values as JSON text)."""
    kind = source.types[source.columns.index(column)].upper()
    ident = quote_ident(column)
    if kind == "VARCHAR":
        return ident
    if kind == "JSON":  # values of mixed types: strings unquoted, the rest as JSON text
        return f"json_extract_string({ident}, '$')"
    if kind.startswith(("STRUCT", "MAP")) or kind.endswith("[]"):
        return f"CAST(to_json({ident}) AS VARCHAR)"
    return f"CAST({ident} AS VARCHAR)"


def preview(con: duckdb.DuckDBPyConnection, source: RawSource, *, rows: int) -> pd.DataFrame:
    """Return the first *rows* rows of *source* as strings, as a DataFrame."""
    return sample_rows(con, source, rows=rows).frame()


def sample_rows(con: duckdb.DuckDBPyConnection, source: RawSource, *, rows: int) -> Sample:
    """Return the first *rows* rows of *source* as strings (for the preview and for sniffing)."""
    select = ", ".join(f"{text_expr(source, c)} AS {quote_ident(c)}" for c in source.columns)
    try:
        fetched = con.execute(f"SELECT {select} FROM {source.relation} LIMIT {int(rows)}")
        return Sample(source.columns, tuple(fetched.fetchall()))  # text: see text_expr
    except _DUCKDB_ERRORS as error:
        raise friendly_duckdb_error(error, source.label) from error


def backend_error(error: Exception, what: str) -> BackendError:
    """Wrap an unexpected DuckDB failure during *what* in a :class:`BackendError`."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return BackendError(
        f"DuckDB failed while {what} ({first[:200]})", fix="Try again; if it persists, report it."
    )
