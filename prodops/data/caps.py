"""Size caps of one import: rows and decompressed bytes (issue 17, item 10).

A 13 MB gzip can hold 5 GB of valid rows; without a cap it imports for minutes and fills the disk.
The caps come from :func:`prodops.config.max_import_rows` and
:func:`prodops.config.max_import_bytes` (``PRODOPS_MAX_IMPORT_ROWS``, ``PRODOPS_MAX_IMPORT_BYTES``);
their defaults let a 10-million-row export (about 0.5 GB of CSV) through with a wide margin.

The decompressed size is known without reading the data for plain files (their size), Parquet
(its footer) and Excel workbooks (the zip directory). A gzip stream is counted by decompressing it
(about 0.8 s per 0.5 GB), stopping as soon as the cap is passed; a file too small to reach the
cap even at deflate's best ratio is not counted at all (its size is bounded instead).

The row cap is checked on the rows read. Stopping the scan at the cap (an SQL ``LIMIT``) makes
DuckDB read in file order on one thread, so it is used only when the file may plausibly pass the
cap (:func:`may_pass_row_cap`: its size over the width of its first lines); otherwise the file is
read in parallel and refused after the read if it still has too many rows. Either way the work is
bounded by the byte cap.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from prodops import config
from prodops.errors import InputError

# Deflate cannot expand data more than about 1032 times.
MAX_DEFLATE_RATIO = 1032
_CHUNK = 1 << 20


def format_bytes(size: int) -> str:
    """Return *size* in bytes as a short human text.

    Examples
    --------
    >>> format_bytes(20_000_000_000), format_bytes(1_500_000), format_bytes(512)
    ('20 GB', '1.5 MB', '512 bytes')
    """
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def too_big(label: str, limit: int) -> InputError:
    """The error for a file that holds more than *limit* bytes once decompressed."""
    return InputError(
        f"the file holds more than {format_bytes(limit)} of data once decompressed "
        "(the import limit)",
        where=label,
        fix="Split it into smaller files, or raise PRODOPS_MAX_IMPORT_BYTES (in bytes) if this "
        "machine has the disk and memory for it.",
    )


def too_many_rows(label: str, limit: int) -> InputError:
    """The error for a file with more than *limit* rows."""
    return InputError(
        f"the file has more than {limit:,} rows (the import limit)",
        where=label,
        fix="Split it into smaller files (or filter the export), or raise "
        "PRODOPS_MAX_IMPORT_ROWS if this machine can take it.",
    )


def gzip_size(path: Path, limit: int) -> int:
    """Return the decompressed size of the gzip file *path*, or a number above *limit* as soon
    as it passes *limit* (the rest is not read). Concatenated gzip members are all counted.

    Raises
    ------
    zlib.error
        The gzip data is damaged (the reader reports it).
    """
    total = 0
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            while chunk:
                total += len(decompressor.decompress(chunk, _CHUNK * 16))
                if total > limit:
                    return total
                chunk = decompressor.unconsumed_tail
                if decompressor.eof:  # another gzip member may follow
                    chunk = decompressor.unused_data + chunk
                    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                    if not chunk.strip(b"\0"):
                        break
    return total


def check_bytes(path: Path, *, file_format: str, compression: str, label: str) -> int:
    """Raise :class:`InputError` when the file at *path* holds more than the byte cap.

    Returns the decompressed size (an upper bound for a small gzip file, which is not counted).

    Parameters
    ----------
    path : Path
        The file.
    file_format : str
        ``FileGuess.format`` (``csv``, ``jsonl``, ``json``, ``parquet``, ``xlsx``).
    compression : {"none", "gzip"}
        ``FileGuess.compression``.
    label : str
        The file's name, for the message.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "rows.csv.gz"
    ...     _ = path.write_bytes(gzip.compress(b"a,b\\n" + b"1,2\\n" * 100_000))
    ...     os.environ["PRODOPS_MAX_IMPORT_BYTES"] = "100000"
    ...     try:
    ...         check_bytes(path, file_format="csv", compression="gzip", label="rows.csv.gz")
    ...     finally:
    ...         del os.environ["PRODOPS_MAX_IMPORT_BYTES"]
    Traceback (most recent call last):
    prodops.errors.InputError: rows.csv.gz: the file holds more than 100 kB of data once ...
    """
    limit = config.max_import_bytes()
    if file_format == "xlsx":
        size = excel_size(path)
    elif file_format == "parquet":
        size = parquet_size(path)
    elif compression == "gzip":
        bound = path.stat().st_size * MAX_DEFLATE_RATIO
        if bound <= limit:
            return bound
        try:
            size = gzip_size(path, limit)
        except zlib.error:
            return bound  # damaged: DuckDB reports it with the file's name
    else:
        size = path.stat().st_size
    if size > limit:
        raise too_big(label, limit)
    return size


def may_pass_row_cap(head: bytes, size: int, max_rows: int) -> bool:
    """Whether text of *size* bytes whose first bytes are *head* may hold more than *max_rows*
    lines: its size over the mean width of the lines of *head*, with a factor 2 of margin.

    Examples
    --------
    >>> head = b"user_id,event,timestamp\\n" + b"u1,open,2024-01-01T10:00:00Z\\n" * 100
    >>> may_pass_row_cap(head, 500_000_000, 50_000_000), may_pass_row_cap(head, 10**9, 50_000_000)
    (False, True)
    """
    lines = head.count(b"\n")
    if lines < 2:
        return True
    width = len(head) / lines
    return size / width > max_rows / 2


def excel_size(path: Path) -> int:
    """The decompressed size of a workbook's parts, from its zip directory (nothing inflated)."""
    try:
        with zipfile.ZipFile(path) as workbook:
            return sum(info.file_size for info in workbook.infolist())
    except (zipfile.BadZipFile, OSError):
        return 0  # not a readable zip: openpyxl reports it


def parquet_size(path: Path) -> int:
    """The uncompressed size of a Parquet file's data, from its footer (0 if unreadable)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except Exception:  # pyarrow raises several types for damaged files; DuckDB reports them
        return 0
    return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))


def parquet_rows(path: Path) -> int:
    """The number of rows a Parquet file says it has (0 if unreadable)."""
    import pyarrow.parquet as pq

    try:
        return int(pq.read_metadata(path).num_rows)
    except Exception:  # damaged: DuckDB reports it
        return 0
