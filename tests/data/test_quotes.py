"""Nothing swallowed: a quote left open rejects its own row, with its number, and no other."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from prodops.data.importer import import_into, scratch_connection, workspace
from prodops.data.inspection import inspect_file
from prodops.data.quotes import UNTERMINATED_REASON, repair_lines
from prodops.data.validate import ValidationReport

Write = Callable[[str, bytes | str], Path]
HEAD = "user_id,event,timestamp,plan\n"


def load(path: Path) -> tuple[ValidationReport, pd.DataFrame]:
    plan = inspect_file(path).plan
    with workspace() as work, scratch_connection(path, work) as con:
        report = import_into(con, path, plan, table="t", workdir=work)
        frame = con.execute("SELECT user_id, plan FROM t ORDER BY rowid").df()
    return report, frame


def test_an_open_quote_mid_file_rejects_its_row_and_keeps_the_next(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        HEAD + "u1,open,2024-01-01,free\n"
        'u2,open,2024-01-02,"pro\n'
        "u3,open,2024-01-03,team\n"
        "u4,open,2024-01-04,free\n",
    )
    report, frame = load(path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 3, 1)
    assert report.rejected.values.tolist() == [
        [2, "", 'u2,open,2024-01-02,"pro', UNTERMINATED_REASON]
    ]
    assert frame["user_id"].tolist() == ["u1", "u3", "u4"]


def test_an_open_quote_closed_by_a_later_row_does_not_merge_the_two(write_file: Write) -> None:
    # DuckDB alone reads rows 1 and 2 as ONE valid row whose plan is 'pro\nu2,open,...,free'
    path = write_file(
        "e.csv",
        HEAD + 'u1,open,2024-01-01,"pro\nu2,open,2024-01-02,free"\nu3,open,2024-01-03,team\n',
    )
    report, frame = load(path)
    assert report.rows_accepted == 1
    assert frame["user_id"].tolist() == ["u3"]
    assert report.rejected["row"].tolist() == [1, 2]  # both lines hold a stray quote
    assert set(report.rejected["reason"]) == {UNTERMINATED_REASON}


def test_an_open_quote_on_the_first_row_does_not_empty_the_file(write_file: Write) -> None:
    path = write_file("e.csv", HEAD + 'u1,open,2024-01-01,"pro\nu2,open,2024-01-02,free\n')
    report, frame = load(path)  # the preview is read from a repaired copy too
    assert (report.rows_read, report.rows_accepted) == (2, 1)
    assert report.rejected["row"].tolist() == [1]
    assert frame.values.tolist() == [["u2", "free"]]


def test_a_value_over_two_lines_stays_whole_and_later_rows_keep_their_numbers(
    write_file: Write,
) -> None:
    path = write_file(
        "e.csv",
        HEAD + 'u1,open,2024-01-01,"two\nlines"\nu2,open,2024-01-02,"pro\nu3,open,someday,team\n',
    )
    report, frame = load(path)
    assert frame.values.tolist() == [["u1", "two\nlines"]]
    # data rows are records, as in every report: the two-line value is row 1
    assert report.rejected[["row", "reason"]].values.tolist() == [
        [2, UNTERMINATED_REASON],
        [3, "unparseable timestamp"],
    ]


def test_the_summary_lists_every_reason(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        HEAD + "u1,open,2024-01-01,free\n"
        ",open,2024-01-01,free\n"
        "u3,,2024-01-01,free\n"
        "u4,open,,free\n"
        "u5,open,someday,free\n"
        "u6,open,1800-01-01,free\n"
        "u7,open,someday,free\n",
    )
    report, _ = load(path)
    assert report.summary() == (
        "e.csv: 7 rows read, 1 accepted, 6 rejected (unparseable timestamp: 2, empty event "
        "name: 1, empty timestamp: 1, empty user id: 1, timestamp outside the supported range "
        "1900-01-01 .. 2200-01-01: 1)"
    )


def test_repair_lines_cuts_only_where_a_whole_row_follows() -> None:
    lines = ["a,b,c", '1,"note', "more text", 'end",2', '3,"x', "4,5,6"]
    assert repair_lines(lines, delimiter=",", quote='"', columns=3) == {4: 2}


def test_an_open_quote_in_a_crlf_gzip_file(write_file: Write) -> None:
    text = HEAD.replace("\n", "\r\n") + 'u1,open,2024-01-01,"pro\r\nu2,open,2024-01-02,free\r\n'
    report, frame = load(write_file("e.csv.gz", gzip.compress(text.encode())))
    assert report.rejected[["row", "value"]].values.tolist() == [[1, 'u1,open,2024-01-01,"pro']]
    assert frame.values.tolist() == [["u2", "free"]]
