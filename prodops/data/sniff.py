"""Guessing how a file is written: format, compression, encoding, delimiter, decimal mark.

Only the head of the file is read here (the first megabyte); the rows themselves are read by
DuckDB from the file path with the explicit options guessed here (:mod:`prodops.data.reader`).
Every guess is a field of :class:`FileGuess`, which the UI shows, lets people edit and passes back.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from prodops.errors import ColumnError, UnreadableFileError

FORMATS = ("csv", "parquet", "jsonl", "json", "xlsx")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 20
_DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")


@dataclass(frozen=True)
class FileGuess:
    """How a file is written; every field can be corrected and passed back.

    Attributes
    ----------
    format : {"csv", "parquet", "jsonl", "json", "xlsx"}
        ``csv`` covers TSV and any delimited text; ``jsonl`` is one JSON object per line, ``json``
        a JSON array of objects (or objects spread over several lines).
    compression : {"none", "gzip"}
    encoding : {"utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"}
        Text that is not UTF-8 is transcoded to a UTF-8 temporary file before DuckDB reads it.
    delimiter, quote : str
        Field delimiter and quote character of delimited text.
    decimal : {".", ","}
        Decimal mark of numbers (amounts).
    sheet : str or None
        The worksheet of an Excel workbook to read (None: the first sheet that holds data).
    """

    format: str = "csv"
    compression: str = "none"
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    decimal: str = "."
    sheet: str | None = None


def open_head(path: Path, compression: str) -> bytes:
    if compression == "gzip":
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read(HEAD_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise UnreadableFileError(
                f"the gzip data is damaged ({error})",
                where=path.name,
                fix="Compress the file again or upload it uncompressed.",
            ) from error
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def _format_of(head: bytes, label: str) -> tuple[str, str]:
    """Return (format, compression) from magic bytes first and the file name second."""
    lower = label.lower()
    if head.startswith(b"PAR1"):
        return "parquet", "none"
    if head.startswith(b"PK\x03\x04") and lower.endswith(".zip"):
        raise UnreadableFileError(
            "the file is a zip archive",
            where=label,
            fix="Unzip it and give the CSV, JSON, Parquet or Excel file inside (a .gz file is"
            " read as it is).",
        )
    if head.startswith(b"PK\x03\x04") and not lower.endswith((".csv", ".tsv", ".txt")):
        return "xlsx", "none"
    if head.startswith(b"\x1f\x8b"):
        inner = lower.removesuffix(".gz")
        return ("jsonl" if inner.endswith((".jsonl", ".ndjson", ".json")) else "csv"), "gzip"
    if lower.endswith((".parquet", ".pq")):
        raise UnreadableFileError(
            "the file is named .parquet but is not Parquet data",
            where=label,
            fix="Export the file again as Parquet, or rename it to what it really is.",
        )
    if lower.endswith(".xlsx"):
        raise UnreadableFileError(
            "the file is named .xlsx but is not an Excel workbook",
            where=label,
            fix="Save it again from Excel as .xlsx, or export it as CSV.",
        )
    if lower.endswith((".xls",)):
        raise UnreadableFileError(
            "old Excel .xls workbooks are not supported",
            where=label,
            fix="Save the sheet as .xlsx or CSV and upload that.",
        )
    return "text", "none"


def sniff_encoding(head: bytes) -> str:
    """Return the encoding of text starting with *head*.

    A byte-order mark decides first; UTF-16 without a mark is recognised by its zero bytes; then
    UTF-8 (valid multi-byte sequences), then cp1252, then latin-1 (which decodes any byte).

    Examples
    --------
    >>> sniff_encoding("café".encode("cp1252"))
    'cp1252'
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        odd_zeros = sample[1::2].count(0) / max(1, len(sample[1::2]))
        even_zeros = sample[0::2].count(0) / max(1, len(sample[0::2]))
        if odd_zeros > 0.4 and even_zeros < 0.05:
            return "utf-16-le"
        if even_zeros > 0.4 and odd_zeros < 0.05:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < HEAD_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode_head(head: bytes, encoding: str) -> str:
    """Decode *head* (possibly cut in the middle of a character) and drop a partial last line."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    text = text.lstrip("\ufeff")
    if len(head) >= HEAD_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    return controls > max(2, len(text[:20000]) // 100)


def _records(text: str, delimiter: str, limit: int = 200) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=False)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def sniff_delimiter(text: str, *, prefer_tab: bool = False) -> str:
    """Return the delimiter under which most records have the same number (> 1) of fields."""
    best, best_score = ",", 0.0
    order = ("\t", *[d for d in DELIMITERS if d != "\t"]) if prefer_tab else DELIMITERS
    for delim in order:
        rows = _records(text, delim)
        if not rows:
            continue
        widths = Counter(len(r) for r in rows)
        width, count = widths.most_common(1)[0]
        if width < 2:
            continue
        # agreement with the header matters most: a header with this many fields
        score = count / len(rows) + (1.0 if len(rows[0]) == width else 0.0) + width / 1000
        if score > best_score:
            best, best_score = delim, score
    return best


def sniff_decimal(rows: list[list[str]], delimiter: str) -> str:
    """Return "," when numbers in *rows* are written with a decimal comma, else "."."""
    if delimiter == ",":
        return "."
    hits = sum(1 for row in rows[1:] for cell in row if _DECIMAL_COMMA.match(cell.strip()))
    dots = sum(1 for row in rows[1:] for cell in row if re.match(r"^-?\d+\.\d+$", cell.strip()))
    return "," if hits > dots else "."


def header_of(text: str, delimiter: str, label: str) -> list[str]:
    """Return the header fields of delimited *text*; raise on an empty file or duplicate names.

    Empty header cells are named ``column<N>`` (:func:`name_blank_columns`).
    """
    rows = _records(text, delimiter, limit=1)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UnreadableFileError(
            "the file is empty", where=label, fix="Export the data again with a header row."
        )
    header = name_blank_columns([cell.strip() for cell in rows[0]])
    check_unique_columns(header, label)
    return header


def _json_format(text: str) -> str:
    """``jsonl`` for one object per line, ``json`` for an array or objects over several lines."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    first = stripped.split("\n", 1)[0].rstrip()
    return "jsonl" if first.endswith("}") else "json"


def name_blank_columns(header: list[str]) -> list[str]:
    """Name the columns whose header cell is empty ``column<N>`` (N counts from 1), unique.

    Examples
    --------
    >>> name_blank_columns(["user_id", "", "column2", " "])
    ['user_id', 'column2_2', 'column2', 'column4']
    """
    taken = {h.strip().lower() for h in header if h.strip()}
    named = []
    for index, cell in enumerate(header, start=1):
        name = cell.strip()
        if not name:
            name = candidate = f"column{index}"
            suffix = 2
            while name.lower() in taken:
                name = f"{candidate}_{suffix}"
                suffix += 1
            taken.add(name.lower())
        named.append(name)
    return named


def check_unique_columns(columns: list[str], label: str) -> None:
    """Raise :class:`ColumnError` if two columns share a name (case-insensitively)."""
    seen: dict[str, str] = {}
    for col in columns:
        key = col.lower()
        if key in seen:
            raise ColumnError(
                f"two columns are named {col!r}",
                where=label,
                fix="Rename one of them in the header row so every column name is unique.",
            )
        seen[key] = col


def sniff_file(path: str | Path, *, label: str | None = None) -> FileGuess:
    """Guess how the file at *path* is written.

    Parameters
    ----------
    path : str or Path
        The file (an upload spooled to a temporary file keeps its real name in *label*).
    label : str, optional
        The name people know the file by (used for the extension and in messages).

    Raises
    ------
    UnreadableFileError
        Empty file, binary junk, damaged compression, a name that lies about the format.
    ColumnError
        Duplicate column names in the header.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "events.csv"
    ...     _ = path.write_text("user_id;event;timestamp\\nu1;signup;2026-01-05\\n")
    ...     sniff_file(path)
    FileGuess(format='csv', compression='none', encoding='utf-8', delimiter=';', ...)
    """
    path = Path(path)
    label = label or path.name
    if path.is_dir():
        raise UnreadableFileError(
            "is a folder, not a file", where=str(path), fix="Give the path of the file inside."
        )
    if not path.is_file():
        raise UnreadableFileError("no such file", where=str(path), fix="Check the path.")
    with path.open("rb") as fh:
        magic = fh.read(8)
    fmt, compression = _format_of(magic, label)
    if fmt in ("parquet", "xlsx"):
        return FileGuess(format=fmt)
    head = open_head(path, compression)
    if not head.strip():
        raise UnreadableFileError(
            "the file is empty", where=label, fix="Export the data again with a header row."
        )
    encoding = sniff_encoding(head)
    text = decode_head(head, encoding)
    if _looks_binary(text):
        raise UnreadableFileError(
            "this is not a text, Parquet or Excel file (binary data)",
            where=label,
            fix="Upload a CSV, TSV, CSV.gz, Parquet, JSON lines or .xlsx export.",
        )
    named_json = label.lower().endswith((".json", ".jsonl", ".ndjson"))
    if fmt == "text" and (named_json or re.match(r"\s*(\{|\[\s*[\[{\]])", text)):
        fmt = _json_format(text)
    if fmt == "jsonl" and compression == "gzip":
        fmt = _json_format(text)
    if fmt in ("jsonl", "json"):
        return FileGuess(format=fmt, compression=compression, encoding=encoding)
    delimiter = sniff_delimiter(text, prefer_tab=label.lower().endswith((".tsv", ".tsv.gz")))
    header_of(text, delimiter, label)
    decimal = sniff_decimal(_records(text, delimiter), delimiter)
    return FileGuess(
        format="csv",
        compression=compression,
        encoding=encoding,
        delimiter=delimiter,
        decimal=decimal,
    )


def transcode_to_utf8(
    path: Path, guess: FileGuess, out: Path, *, max_bytes: int | None = None
) -> Path:
    """Write the text of *path* (in ``guess.encoding``, maybe gzip'd) to *out* as plain UTF-8.

    Raises
    ------
    OverflowError
        More than *max_bytes* bytes were read (decompressed); *out* is left partly written.
    """
    opener = gzip.open if guess.compression == "gzip" else open
    encoding = guess.encoding
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    read = 0
    with opener(path, "rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        first = True
        while chunk := src.read(1 << 22):
            read += len(chunk)
            if max_bytes is not None and read > max_bytes:
                raise OverflowError(f"more than {max_bytes} bytes")
            text = decoder.decode(chunk)
            if first:
                text, first = text.lstrip("\ufeff"), False
            dst.write(text)
        dst.write(decoder.decode(b"", final=True))
    return out
