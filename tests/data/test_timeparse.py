"""Recognising timestamp formats, and parsing them in DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from prodops.data.timeparse import TimeGuess, detect_time_format, time_sql
from prodops.errors import InputError, ParameterError


def parse(values: list[str], guess: TimeGuess) -> list[datetime | None]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(f"SELECT {time_sql('v', guess)} FROM unnest(?) AS t(v)", [values]).fetchall()
    return [None if r[0] is None else r[0].astimezone(UTC) for r in rows]


def test_iso_with_and_without_offset() -> None:
    values = ["2024-03-01T10:00:00Z", "2024-03-01 11:00:00+01:00", "2024-03-01", "2024-03-01T10:00"]
    guess = detect_time_format(values)
    assert guess.formats == ("iso",)
    assert parse(values, guess) == [
        datetime(2024, 3, 1, 10, tzinfo=UTC),
        datetime(2024, 3, 1, 10, tzinfo=UTC),
        datetime(2024, 3, 1, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 10, tzinfo=UTC),
    ]


def test_epoch_seconds_and_milliseconds() -> None:
    assert detect_time_format(["1704067200"]).formats == ("epoch_s",)
    ms = detect_time_format(["1704067200000", "1704067260500"])
    assert ms.formats == ("epoch_ms",)
    assert parse(["1704067260500"], ms) == [datetime(2024, 1, 1, 0, 1, 0, 500000, tzinfo=UTC)]


def test_day_first_is_recognised_from_a_day_above_12() -> None:
    guess = detect_time_format(["31/12/2024 13:05", "01/02/2024 08:00"])
    assert (guess.formats, guess.day_first, guess.ambiguous) == (("%d/%m/%Y %H:%M",), True, False)
    assert parse(["01/02/2024 08:00"], guess) == [datetime(2024, 2, 1, 8, tzinfo=UTC)]


def test_month_first_is_recognised_from_a_second_number_above_12() -> None:
    guess = detect_time_format(["12/31/2024", "02/01/2024"])
    assert (guess.formats, guess.day_first, guess.ambiguous) == (("%m/%d/%Y",), False, False)
    assert parse(["02/01/2024"], guess) == [datetime(2024, 2, 1, tzinfo=UTC)]


def test_ambiguous_day_month_order_must_be_chosen() -> None:
    guess = detect_time_format(["03/04/2024", "05/06/2024"])
    assert guess.ambiguous
    month_first = guess.resolve(day_first=False)
    assert (month_first.ambiguous, month_first.formats) == (False, ("%m/%d/%Y",))
    assert parse(["03/04/2024"], month_first) == [datetime(2024, 3, 4, tzinfo=UTC)]
    assert parse(["03/04/2024"], guess.resolve(day_first=True)) == [
        datetime(2024, 4, 3, tzinfo=UTC)
    ]


def test_mixed_formats_in_one_column_all_parse() -> None:
    values = ["2024-01-05T10:00:00Z", "31/01/2024 09:30", "2024-01-07 08:00:00"]
    guess = detect_time_format(values)
    assert set(guess.formats) == {"iso", "%d/%m/%Y %H:%M"}
    assert parse(values, guess) == [
        datetime(2024, 1, 5, 10, tzinfo=UTC),
        datetime(2024, 1, 31, 9, 30, tzinfo=UTC),
        datetime(2024, 1, 7, 8, tzinfo=UTC),
    ]


def test_twelve_hour_clock_and_two_digit_years() -> None:
    guess = detect_time_format(["12/31/24 1:05 PM"])
    assert guess.formats == ("%m/%d/%y %I:%M %p",)
    assert parse(["12/31/24 1:05 PM"], guess) == [datetime(2024, 12, 31, 13, 5, tzinfo=UTC)]


def test_naive_times_can_be_read_in_a_zone() -> None:
    guess = TimeGuess(formats=("iso",), timezone="Europe/Paris")
    assert parse(["2024-07-01 12:00:00", "2024-07-01T12:00:00Z"], guess) == [
        datetime(2024, 7, 1, 10, tzinfo=UTC),
        datetime(2024, 7, 1, 12, tzinfo=UTC),
    ]


def test_unparseable_values_become_null_without_raising() -> None:
    guess = detect_time_format(["2024-01-01"])
    assert parse(["yesterday", "2024-13-45", ""], guess) == [None, None, None]
    epoch = TimeGuess(formats=("epoch_s",))
    assert parse(["1e30", "abc"], epoch) == [None, None]


def test_a_column_without_dates_is_refused() -> None:
    with pytest.raises(InputError, match="no value looks like a date"):
        detect_time_format(["signup", "login"], column="event")


def test_unknown_time_zone_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="unknown time zone"):
        time_sql("v", TimeGuess(timezone="Mars/Olympus"))
