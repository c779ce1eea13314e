"""The typed read of a raw file (issue 16): a clean ISO-timestamp CSV is parsed by DuckDB's reader
itself, and a file with bad rows still reports every one with its row, exactly as the validating
read (every column as text) does, with the same table and the same metric results."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from prodops.cli.sources import open_file
from prodops.data import reader, validate
from prodops.data.importer import import_into, scratch_connection, workspace
from prodops.data.inspection import inspect_file
from prodops.data.quotes import UNTERMINATED_REASON, may_hold_quotes
from prodops.data.reader import open_raw
from prodops.data.row_checks import OUTSIDE_RANGE
from prodops.data.validate import ValidationReport
from prodops.metrics import retention

Write = Callable[[str, bytes | str], Path]
HEADER = "user_id,event,timestamp,plan\n"


def clean_rows(count: int, *, start: int = 0) -> str:
    """*count* valid rows, one user a day over two months (ISO timestamps in UTC)."""
    return "".join(
        f"u{(start + i) % 7},{'signup' if i % 5 == 0 else 'open'},"
        f"2024-0{1 + (start + i) % 2}-{1 + (start + i) % 28:02d}T{(start + i) % 24:02d}:15:00Z,"
        f"{'pro' if i % 3 else 'free'}\n"
        for i in range(count)
    )


# data row -> line: a bad timestamp, an empty user id, a blank timestamp, an empty timestamp, a
# day that does not exist, a line with a field too many, a value over two lines that is fine
# (one record: the rows after it keep their numbers), a bad timestamp after it
BAD_LINES = {
    3: "u1,open,yesterday,pro\n",
    7: ",open,2024-01-03T10:00:00Z,pro\n",
    12: "u2,open,   ,free\n",
    15: "u3,open,,free\n",
    20: "u4,open,2024-02-30T10:00:00Z,pro\n",
    26: "u5,open,2024-01-04T10:00:00Z,pro,extra\n",
    30: 'u6,open,2024-01-05T10:00:00Z,"two\nlines"\n',
    35: "u7,open,never,free\n",
}
EXPECTED = [
    (3, "timestamp", "yesterday", "unparseable timestamp"),
    (7, "user_id", "", "empty user id"),
    (12, "timestamp", "   ", "empty timestamp"),
    (15, "timestamp", "", "empty timestamp"),
    (20, "timestamp", "2024-02-30T10:00:00Z", "unparseable timestamp"),
    (26, "", "u5,open,2024-01-04T10:00:00Z,pro,extra", "too many fields"),
    (35, "timestamp", "never", "unparseable timestamp"),
]


def file_with(bad: dict[int, str], rows: int = 40) -> str:
    """A CSV of *rows* data rows where data row n (from 1) is ``bad[n]`` when given."""
    lines = [bad.get(n) or clean_rows(1, start=n) for n in range(1, rows + 1)]
    return HEADER + "".join(lines)


class Reads:
    """Which reads :func:`validate.load_canonical` took."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.text = 0
        self.rechecked: list[int] = []
        load_text, recheck = validate._load_text, validate._recheck

        def counted_text(*args: Any, **kwargs: Any) -> Any:
            self.text += 1
            return load_text(*args, **kwargs)

        def counted_recheck(job: Any, source: Any, again: list[Any], **kwargs: Any) -> Any:
            self.rechecked += [row for row, _ in again]
            return recheck(job, source, again, **kwargs)

        monkeypatch.setattr(validate, "_load_text", counted_text)
        monkeypatch.setattr(validate, "_recheck", counted_recheck)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


@pytest.fixture
def text_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to make every import take the validating read (no column is typed)."""

    def switch() -> None:
        monkeypatch.setattr(validate, "native_types", lambda *args, **kwargs: {})

    yield switch


def load(path: Path, **options: Any) -> tuple[ValidationReport, pd.DataFrame]:
    plan = inspect_file(path, kind="events").plan
    with workspace() as work, scratch_connection(path, work) as con:
        report = import_into(con, path, plan, table="t", workdir=work, **options)
        frame = con.execute("SELECT * FROM t ORDER BY rowid").df()
    return report, frame


def rejected(report: ValidationReport) -> list[tuple[int, str, str, str]]:
    return [
        (int(str(r.row)), str(r.column), str(r.value), str(r.reason))
        for r in report.rejected.itertuples()
    ]


def same(a: ValidationReport, b: ValidationReport) -> bool:
    counts = (a.rows_read, a.rows_accepted, a.rows_rejected)
    return counts == (b.rows_read, b.rows_accepted, b.rows_rejected) and rejected(a) == rejected(b)


def test_a_clean_iso_file_is_read_typed_without_the_validating_read(
    write_file: Write, reads: Reads
) -> None:
    path = write_file("clean.csv", HEADER + clean_rows(50))
    report, frame = load(path)
    assert (reads.text, reads.rechecked) == (0, [])
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (50, 50, 0)
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-01-01T00:15:00Z")


def test_native_types_only_for_iso_utc_timestamps_of_delimited_text(write_file: Write) -> None:
    iso = write_file("iso.csv", HEADER + clean_rows(3))
    local = write_file("local.csv", HEADER + "u1,open,31/01/2024 10:00,pro\n")
    with workspace() as work, scratch_connection(iso, work) as con:
        for path, expected in ((iso, {"timestamp": "TIMESTAMPTZ"}), (local, {})):
            plan = inspect_file(path, kind="events").plan
            raw = open_raw(con, path, plan.file, workdir=work)
            found = validate.native_types(raw, plan.mapping, plan.times, plan.unpack, plan.people)
            assert found == expected


def test_bad_rows_are_read_again_as_text_and_each_reported_with_its_row(
    write_file: Write, reads: Reads, text_only: Callable[[], None]
) -> None:
    path = write_file("bad.csv", file_with(BAD_LINES))
    typed, typed_frame = load(path)
    assert reads.text == 0
    assert reads.rechecked == [3, 12, 20, 35]  # the values the reader could not parse, by file row
    assert rejected(typed) == EXPECTED
    assert (typed.rows_read, typed.rows_accepted, typed.rows_rejected) == (40, 33, 7)
    assert "two\nlines" in typed_frame["plan"].tolist()

    text_only()
    text, text_frame = load(path)
    assert reads.text == 1
    assert same(typed, text)
    pd.testing.assert_frame_equal(typed_frame, text_frame)


def test_an_unterminated_quote_is_reported_and_the_rows_after_it_kept(
    write_file: Write, reads: Reads, text_only: Callable[[], None]
) -> None:
    bad = {**BAD_LINES, 33: 'u1,open,2024-01-06T10:00:00Z,"pro\n'}
    path = write_file("quote.csv", file_with(bad))
    typed, typed_frame = load(path)
    assert reads.text == 0
    assert (33, "", 'u1,open,2024-01-06T10:00:00Z,"pro', UNTERMINATED_REASON) in rejected(typed)
    assert typed.rows_read == 40 and typed.rows_rejected == 8

    text_only()
    text, text_frame = load(path)
    assert same(typed, text)
    pd.testing.assert_frame_equal(typed_frame, text_frame)


def test_a_time_outside_the_range_takes_the_validating_read_for_its_raw_text(
    write_file: Write, reads: Reads
) -> None:
    path = write_file("old.csv", file_with({**BAD_LINES, 9: "u1,open,1850-01-01,free\n"}))
    report, _ = load(path)
    assert reads.text == 1  # the typed read keeps no raw text to report: read again as text
    outside = [r for r in rejected(report) if r[0] == 9]
    assert outside == [(9, "timestamp", "1850-01-01", f"timestamp {OUTSIDE_RANGE}")]
    assert report.rows_rejected == 8


def test_more_rejected_rows_than_the_recheck_limit_read_the_file_as_text(
    write_file: Write, reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate, "RECHECK_LIMIT", 2)
    path = write_file("many.csv", file_with(BAD_LINES))
    report, _ = load(path)
    assert reads.text == 1 and reads.rechecked == []
    assert rejected(report) == EXPECTED


@pytest.mark.parametrize("variant", ["crlf", "gzip"])
def test_crlf_and_gzip_files_report_the_same_rows(
    write_file: Write, reads: Reads, text_only: Callable[[], None], variant: str
) -> None:
    content = file_with(BAD_LINES)
    if variant == "crlf":
        path = write_file("crlf.csv", content.replace("\n", "\r\n"))
    else:
        path = write_file("bad.csv.gz", gzip.compress(content.encode("utf-8")))
    typed, typed_frame = load(path)
    assert reads.text == 0 and reads.rechecked == [3, 12, 20, 35]
    text_only()
    text, text_frame = load(path)
    assert same(typed, text)
    pd.testing.assert_frame_equal(typed_frame, text_frame)


def test_retention_is_the_same_from_the_typed_and_the_validating_read(
    write_file: Write, text_only: Callable[[], None]
) -> None:
    path = write_file("bad.csv", file_with(BAD_LINES, rows=300))
    options: dict[str, Any] = {"period": "week", "date_from": "2024-01-01", "breakdown": "plan"}
    with open_file(path, "events", {}, report_to=io.StringIO()) as table:
        typed = retention(table, **options)
    text_only()
    with open_file(path, "events", {}, report_to=io.StringIO()) as table:
        text = retention(table, **options)
    pd.testing.assert_frame_equal(typed, text)
    assert typed["size"].sum() > 0


def test_columns_left_out_are_still_checked_and_change_no_count(
    write_file: Write, text_only: Callable[[], None]
) -> None:
    bad = {**BAD_LINES, 33: 'u1,open,2024-01-06T10:00:00Z,"pro\n'}
    path = write_file("quote.csv", file_with(bad))
    everything, full = load(path)
    only, few = load(path, columns=set())
    assert same(everything, only)
    assert list(few.columns) == ["user_id", "event", "timestamp"]
    pd.testing.assert_frame_equal(full.drop(columns=["plan"]), few)
    unknown, kept = load(path, columns={"no_such_column"})  # the metric's error names the others
    assert "plan" in kept.columns and same(everything, unknown)


def test_may_hold_quotes_reads_the_bytes_of_plain_files_only(write_file: Write) -> None:
    plain = write_file("plain.csv", HEADER + clean_rows(5))
    quoted = write_file("quoted.csv", HEADER + clean_rows(5) + 'u1,open,2024-01-01,"pro"\n')
    packed = write_file("plain.csv.gz", gzip.compress((HEADER + clean_rows(5)).encode()))
    assert not may_hold_quotes(plain, compression="none", quote='"')
    assert may_hold_quotes(quoted, compression="none", quote='"')
    assert may_hold_quotes(packed, compression="gzip", quote='"')  # not inflated to look
    assert not may_hold_quotes(write_file("empty.csv", b""), compression="none", quote='"')


@pytest.mark.parametrize(
    ("name", "bad", "strict_kept"),
    [
        ("clean.csv", {}, True),
        ("bad.csv", BAD_LINES, False),  # a value the reader cannot parse, a field too many
        ("quote.csv", {**BAD_LINES, 33: 'u1,open,2024-01-06T10:00:00Z,"pro\n'}, False),
        ("empty_user.csv", {7: ",open,2024-01-03T10:00:00Z,pro\n"}, True),  # checked in SQL
    ],
)
def test_the_strict_read_first_gives_the_same_table_and_report(
    write_file: Write,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    bad: dict[int, str],
    strict_kept: bool,
) -> None:
    """``strict_first`` (the command line's file read) tries a read that keeps no rejected line:
    kept when the reader refuses no line, else dropped for the read that keeps them. Either way
    the table and every reported row are those of the read without it."""
    path = write_file(name, file_with(bad))
    outcomes: list[bool] = []
    strict = validate._load_strict

    def watched(*args: Any, **kwargs: Any) -> Any:
        loaded = strict(*args, **kwargs)
        outcomes.append(loaded is not None)
        return loaded

    monkeypatch.setattr(validate, "_load_strict", watched)
    first, first_frame = load(path, strict_first=True)
    assert outcomes == [strict_kept]
    plain, plain_frame = load(path)
    assert outcomes == [strict_kept]  # not tried without strict_first
    assert same(first, plain)
    pd.testing.assert_frame_equal(first_frame, plain_frame)
    assert first.rows_rejected == len({n for n in bad if n != 30})  # row 30 is a fine value


def test_scans_that_do_not_store_rows_in_a_file_take_the_small_buffer(write_file: Write) -> None:
    """The preview and the command line's strict read (an in-memory table) read with a 32 MB
    buffer; a scan that keeps rejects, as the catalog's import does into its database file,
    keeps DuckDB's default (a table written from 32 MB buffers came out 60% larger, with a
    2.4 s checkpoint, at 10M rows)."""
    path = write_file("clean.csv", HEADER + clean_rows(5))
    plan = inspect_file(path, kind="events").plan
    with workspace() as work, scratch_connection(path, work) as con:
        raw = open_raw(con, path, plan.file, workdir=work)
        strict, _ = raw.fresh(strict=True)
        kept, rejects = raw.fresh()
    small = f"buffer_size={reader.SMALL_BUFFER_BYTES}"
    assert small in raw.relation and small in strict
    assert rejects is not None and "buffer_size" not in kept


def test_a_line_longer_than_a_mebibyte_is_read_by_every_scan(write_file: Write) -> None:
    """Lines up to ``max_line_size`` (10 MB) fit the small buffer: a 3 MB property value is
    previewed, read strictly (the command line) and imported, row numbers unchanged."""
    long_value = "x" * 3_000_000
    bad = {2: f"u1,open,2024-01-02T10:00:00Z,{long_value}\n"}
    path = write_file("long.csv", file_with(bad, rows=4))
    inspection = inspect_file(path, kind="events")
    assert inspection.sample["plan"][1] == long_value
    for options in ({"strict_first": True}, {}):
        report, frame = load(path, **options)
        assert (report.rows_read, report.rows_rejected) == (4, 0)
        assert frame["plan"].str.len().tolist()[1] == 3_000_000
