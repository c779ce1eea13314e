"""Sniffing format, encoding, delimiter and decimal mark from the head of a file."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from prodops.data.sniff import FileGuess, sniff_encoding, sniff_file
from prodops.errors import ColumnError, UnreadableFileError

Write = Callable[[str, bytes | str], Path]


def test_plain_csv_is_utf8_comma_dot(write_file: Write) -> None:
    path = write_file("e.csv", "user_id,event,timestamp\nu1,signup,2024-01-01\n")
    assert sniff_file(path) == FileGuess(format="csv", encoding="utf-8", delimiter=",")


def test_bom_semicolons_and_decimal_commas(write_file: Write) -> None:
    path = write_file(
        "s.csv", "\ufeffcustomer;start;mrr\nc1;2024-01-01;12,50\nc2;2024-02-01;7,00\n"
    )
    guess = sniff_file(path)
    assert (guess.encoding, guess.delimiter, guess.decimal) == ("utf-8-sig", ";", ",")


def test_tab_separated_file(write_file: Write) -> None:
    path = write_file("e.tsv", "user\tevent\ttime\nu1\tx\t2024-01-01\n")
    assert sniff_file(path).delimiter == "\t"


def test_quoted_delimiters_do_not_fool_the_sniffer(write_file: Write) -> None:
    path = write_file("q.csv", 'a,b,c\n"x;y;z",1,2\n"p;q",3,4\n')
    assert sniff_file(path).delimiter == ","


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-16", "utf-16"), ("cp1252", "cp1252"), ("utf-16-le", "utf-16-le")],
)
def test_non_utf8_encodings_are_recognised(encoding: str, expected: str) -> None:
    head = "user,event\nzoë,café ünd “quoted”\n".encode(encoding)
    assert sniff_encoding(head) == expected


def test_latin1_bytes_that_cp1252_cannot_decode_fall_back_to_latin1() -> None:
    assert sniff_encoding(b"a,b\n\x81x,1\n") == "latin-1"


def test_gzip_csv_is_sniffed_inside(write_file: Write) -> None:
    path = write_file("e.csv.gz", gzip.compress(b"user;event;time\nu1;x;2024-01-01\n"))
    guess = sniff_file(path)
    assert (guess.format, guess.compression, guess.delimiter) == ("csv", "gzip", ";")


def test_parquet_and_jsonl_and_excel_are_recognised(write_file: Write, tmp_path: Path) -> None:
    frame = pd.DataFrame({"user_id": ["u1"], "event": ["x"], "timestamp": ["2024-01-01"]})
    frame.to_parquet(tmp_path / "e.parquet")
    frame.to_excel(tmp_path / "e.xlsx", index=False)
    jsonl = write_file("e.jsonl", '{"user_id": "u1", "event": "x"}\n')
    assert sniff_file(tmp_path / "e.parquet").format == "parquet"
    assert sniff_file(tmp_path / "e.xlsx").format == "xlsx"
    assert sniff_file(jsonl).format == "jsonl"


@pytest.mark.parametrize("content", [b"", b"   \n\n"])
def test_empty_file_is_unreadable(write_file: Write, content: bytes) -> None:
    with pytest.raises(UnreadableFileError, match="the file is empty"):
        sniff_file(write_file("empty.csv", content))


def test_binary_junk_is_unreadable(write_file: Write) -> None:
    junk = bytes(range(256)) * 40
    with pytest.raises(UnreadableFileError, match="binary data"):
        sniff_file(write_file("junk.csv", junk))


def test_duplicate_column_names_are_refused(write_file: Write) -> None:
    path = write_file("dup.csv", "user_id,event,User_ID\nu1,x,u2\n")
    with pytest.raises(ColumnError, match="two columns are named 'User_ID'"):
        sniff_file(path)


def test_a_file_that_lies_about_being_parquet(write_file: Write) -> None:
    with pytest.raises(UnreadableFileError, match="not Parquet"):
        sniff_file(write_file("e.parquet", "a,b\n1,2\n"))
