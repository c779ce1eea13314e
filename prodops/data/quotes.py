"""Unterminated quotes: a quote opened and never closed must not swallow the rows after it.

A CSV reader (DuckDB's too) reads from an opening quote to the next closing one, across line
ends: one stray ``"`` in a value makes the following rows part of that value, or of a rejected
blob. When the first read shows that happened (:func:`swallowed`), the file is written again
(:func:`repair_unterminated_quotes`) with each line that opens a quote which the following lines
show was never meant to span them replaced by a line DuckDB rejects at the same line number, so
the row is rejected with its number and every following row is read as itself. Values that
legitimately run over several lines (a quoted note with a line break) stay whole: a value is
only cut where the next line is a complete record on its own.
"""

from __future__ import annotations

import gzip
import mmap
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

UNTERMINATED_REASON = "unterminated quote (the value's closing quote is missing)"


@dataclass(frozen=True)
class Repair:
    """The rewritten file and the lines taken out of it.

    Attributes
    ----------
    path : Path
        The rewritten UTF-8 file (same line numbers as the original).
    bad_rows : dict
        1-based data row (as DuckDB and the report count them) -> the original line's text, for
        each line whose quote was never closed.
    """

    path: Path
    bad_rows: dict[int, str] = field(default_factory=dict)


def _looks_like_a_row(text: str, delimiter: str, columns: int) -> bool:
    """Text inside an open value with a whole row's delimiters: a swallowed row."""
    return text.count(delimiter) >= max(columns - 1, 1)


def scan_lines(
    lines: Iterable[str], *, delimiter: str, quote: str, columns: int
) -> Iterator[tuple[str, int | None]]:
    """Yield every line once, in order, with its data row when its quote never closes (else None).

    A line that leaves a quote open starts a multi-line value. The value is accepted when it
    closes and none of its later lines (up to the closing quote) holds a row's worth of
    delimiters; otherwise the opening line is bad and reading starts again at the line after it.
    The same rule, in SQL, spots a swallowed row after the first read (:func:`runs_over_sql`).
    Data rows are counted as DuckDB counts them: a value over several lines is one row. Only the
    lines of one open value are held in memory.
    """
    source = iter(lines)
    pushed: deque[str] = deque()

    def take() -> str | None:
        return pushed.popleft() if pushed else next(source, None)

    header = take()
    if header is None:
        return
    yield header, None
    row = 0
    while (line := take()) is not None:
        row += 1
        if line.count(quote) % 2 == 0:
            yield line, None
            continue
        held, closed = [line], False
        while (more := take()) is not None:
            held.append(more)
            if more.count(quote) % 2 == 1:  # closes the value: check the part inside it
                closed = not _looks_like_a_row(more[: more.index(quote)], delimiter, columns)
                break
            if _looks_like_a_row(more, delimiter, columns):
                break
        if closed:
            for part in held:
                yield part, None
        else:
            yield held[0], row
            pushed.extendleft(reversed(held[1:]))  # read again, as rows of their own


def repair_lines(lines: list[str], *, delimiter: str, quote: str, columns: int) -> dict[int, int]:
    """Return ``{line index: data row}`` of the lines whose quote never closes (:func:`scan_lines`).

    Examples
    --------
    >>> lines = ['a,b,c', '1,"x,2', '3,4,5', '6,"two', 'lines",7', '8,"y', '9,10,11']
    >>> repair_lines(lines, delimiter=",", quote='"', columns=3)
    {1: 1, 5: 4}
    """
    scanned = scan_lines(lines, delimiter=delimiter, quote=quote, columns=columns)
    return {index: row for index, (_, row) in enumerate(scanned) if row is not None}


def _split_lines(fh: IO[str], chunk_chars: int = 1 << 20) -> Iterator[str]:
    """The lines of *fh* split at ``\n`` only (as DuckDB counts them), ``\r`` kept."""
    rest = ""
    while chunk := fh.read(chunk_chars):
        parts = (rest + chunk).split("\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def repair_unterminated_quotes(
    source: Path, *, compression: str, delimiter: str, quote: str, columns: int, out: Path
) -> Repair:
    """Write *source* (UTF-8 text, maybe gzip'd) to *out* with bad quote lines made malformed.

    Each bad line becomes ``x,x,...`` with one field too many, which DuckDB rejects at the
    same row number; :attr:`Repair.bad_rows` keeps the original text for the report. The file is
    streamed (a 20 GB export is not read into memory).
    """
    opener = gzip.open if compression == "gzip" else open
    marker = delimiter.join(["x"] * (columns + 1))  # DuckDB skips a line of delimiters alone
    bad: dict[int, str] = {}
    with (
        opener(source, "rt", encoding="utf-8", newline="") as fh,
        out.open("w", encoding="utf-8", newline="") as written,
    ):
        lines = _split_lines(fh)
        scanned = scan_lines(lines, delimiter=delimiter, quote=quote, columns=columns)
        for line, row in scanned:
            if row is not None:
                bad[row] = line.removesuffix("\r")
            if row is not None:  # same line end as the rest of the file (CRLF or LF)
                line = marker + ("\r" if line.endswith("\r") else "")
            written.write(line + "\n")
    return Repair(path=out, bad_rows=bad)


def may_hold_quotes(path: Path, *, compression: str, quote: str) -> bool:
    """Whether the delimited file at *path* may hold a quoted value (so a value over several
    lines, or a quote left open): False only for an uncompressed file without the *quote*
    character anywhere, where no value can run over a line end and no check of it can hold.

    One pass over the bytes (a tenth of a second for 500 MB, where checking every value of every
    row in SQL takes a second); a compressed file is not inflated for it. The file is mapped and
    searched in one call, which keeps the GIL: read in chunks, each chunk would wait for the GIL
    again behind a thread importing modules meanwhile (:mod:`prodops.preload`), three times
    slower.
    """
    if compression != "none" or len(quote.encode("utf-8")) != 1:
        return True
    mark = quote.encode("utf-8")
    with path.open("rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return mapped.find(mark) >= 0
        except (ValueError, OSError):  # an empty file, or one that cannot be mapped: read it
            pass
        while chunk := fh.read(1 << 22):
            if mark in chunk:
                return True
    return False


def runs_over_sql(expr: str, *, delimiter: str, columns: int) -> str:
    """SQL: the value *expr* holds a line break followed by a line that looks like a record
    (at least ``columns - 1`` delimiters): a quote left open swallowed the next row."""
    delim = "'" + delimiter.replace("'", "''") + "'"
    counted = f"length(l) - length(replace(l, {delim}, '')) >= {max(columns - 1, 1)}"
    return (
        f"(CASE WHEN contains({expr}, chr(10)) THEN list_bool_or(list_transform("
        f"string_split({expr}, chr(10))[2:], lambda l: {counted})) ELSE false END)"
    )
