"""Retention on small hand-worked event logs, on DuckDB and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from metrics.helpers import Loader, frame
from prodops.errors import ColumnError, InputError, ParameterError
from prodops.metrics import retention, retention_average


def grid(result: pd.DataFrame, breakdown: Any = None) -> dict[str, list[int | None]]:
    """``{cohort start (ISO with offset): counts by offset}`` with None for unobservable cells."""
    part = result[result["breakdown"].map(lambda b: b == breakdown)]
    out: dict[str, list[int | None]] = {}
    for cohort, rows in part.groupby("cohort", sort=True):
        rows = rows.sort_values("offset")
        out[pd.Timestamp(cohort).isoformat()] = [
            None if pd.isna(c) else int(c) for c in rows["count"]
        ]
    return out


def sizes(result: pd.DataFrame) -> list[int]:
    return result[result["offset"] == 0]["size"].tolist()


def test_frame_has_the_contract_columns_and_types(load: Loader) -> None:
    events = load(frame([("a", "x", "2024-01-01T10:00"), ("a", "x", "2024-01-02T10:00")]))
    result = retention(events, period="day")
    assert list(result.columns) == ["breakdown", "cohort", "size", "offset", "count", "rate"]
    assert str(result["cohort"].dtype) == "datetime64[us, UTC]"
    assert str(result["count"].dtype) == "Int64"
    assert str(result["rate"].dtype) == "Float64"
    assert result["breakdown"].tolist() == [None] * 4
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [1, 1],
        "2024-01-02T00:00:00+00:00": [0, None],
    }


def test_weeks_start_on_monday_or_sunday(load: Loader) -> None:
    # Sunday 7 Jan then Monday 8 Jan: different Monday-weeks, the same Sunday-week.
    events = load(frame([("a", "signup", "2024-01-07T10:00"), ("a", "open", "2024-01-08T10:00")]))
    opts: dict[str, Any] = {"period": "week", "date_from": "2024-01-01", "date_to": "2024-01-14"}
    monday = retention(events, **opts)
    assert grid(monday) == {
        "2024-01-01T00:00:00+00:00": [1, 1],
        "2024-01-08T00:00:00+00:00": [0, None],
    }
    sunday = retention(events, **opts, week_start="sunday")
    assert grid(sunday) == {
        "2023-12-31T00:00:00+00:00": [0, 0, 0],
        "2024-01-07T00:00:00+00:00": [1, 0, None],
        "2024-01-14T00:00:00+00:00": [0, None, None],
    }


MONTH_EVENTS = [
    ("a", "x", "2024-01-31T23:00"),
    ("a", "x", "2024-02-29T12:00"),
    ("a", "x", "2024-03-01T00:00"),  # exactly on the boundary: March
    ("b", "x", "2024-02-01T00:00"),  # exactly on the boundary: February
    ("b", "x", "2024-03-31T23:59:59"),
]


def test_months_of_different_lengths_and_boundaries(load: Loader) -> None:
    result = retention(load(frame(MONTH_EVENTS)), period="month")
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [1, 1, 1],
        "2024-02-01T00:00:00+00:00": [1, 1, None],
        "2024-03-01T00:00:00+00:00": [0, None, None],
    }


def test_two_month_periods_anchor_at_date_from(load: Loader) -> None:
    result = retention(
        load(frame(MONTH_EVENTS)), period="month", period_count=2, date_from="2024-01-15"
    )
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [2, 2],
        "2024-03-01T00:00:00+00:00": [0, None],
    }


def test_two_month_periods_count_back_from_date_to(load: Loader) -> None:
    result = retention(
        load(frame(MONTH_EVENTS)), period="month", period_count=2, periods=3, date_to="2024-04-10"
    )
    assert grid(result) == {
        "2023-12-01T00:00:00+00:00": [1, 1, 0],  # a (31 Jan), back in Feb-Mar
        "2024-02-01T00:00:00+00:00": [1, 0, None],  # b (1 Feb); 31 Mar is the same period
        "2024-04-01T00:00:00+00:00": [0, None, None],
    }


def test_hour_periods(load: Loader) -> None:
    events = frame(
        [
            ("a", "x", "2024-05-01T10:00"),
            ("b", "x", "2024-05-01T10:59:59"),
            ("a", "x", "2024-05-01T11:00"),
            ("b", "x", "2024-05-01T12:30"),
        ]
    )
    result = retention(load(events), period="hour", periods=3)
    assert grid(result) == {
        "2024-05-01T10:00:00+00:00": [2, 1, 1],
        "2024-05-01T11:00:00+00:00": [0, 0, None],
        "2024-05-01T12:00:00+00:00": [0, None, None],
    }


DST_EVENTS = [
    ("a", "x", "2024-03-10T04:30"),  # 23:30 EST, 9 March
    ("b", "x", "2024-03-10T05:30"),  # 00:30 EST, 10 March
    ("a", "x", "2024-03-11T03:59"),  # 23:59 EDT, 10 March (clocks went forward on the 10th)
    ("b", "x", "2024-03-11T04:00"),  # 00:00 EDT, 11 March, exactly on the boundary
]


def test_local_days_across_a_dst_change(load: Loader) -> None:
    events = load(frame(DST_EVENTS))
    local = retention(
        events,
        period="day",
        timezone="America/New_York",
        date_from="2024-03-09",
        date_to="2024-03-11",
    )
    assert grid(local) == {
        "2024-03-09T00:00:00-05:00": [1, 1, 0],
        "2024-03-10T00:00:00-05:00": [1, 1, None],
        "2024-03-11T00:00:00-04:00": [0, None, None],
    }
    assert str(local["cohort"].dtype) == "datetime64[us, America/New_York]"
    utc = retention(events, period="day", date_from="2024-03-10", date_to="2024-03-11")
    assert grid(utc) == {
        "2024-03-10T00:00:00+00:00": [2, 2],
        "2024-03-11T00:00:00+00:00": [0, None],
    }


def test_aware_dates_are_converted_to_the_analysis_zone(load: Loader) -> None:
    events = load(frame(DST_EVENTS))
    result = retention(
        events,
        period="day",
        timezone="America/New_York",
        date_from=pd.Timestamp("2024-03-09T06:00", tz="UTC"),  # 01:00 on 9 March in New York
        date_to=pd.Timestamp("2024-03-11T12:00", tz="UTC"),
    )
    assert list(grid(result)) == [
        "2024-03-09T00:00:00-05:00",
        "2024-03-10T00:00:00-05:00",
        "2024-03-11T00:00:00-04:00",
    ]


def test_the_last_period_counts_in_full_past_date_to(load: Loader) -> None:
    events = frame([("a", "x", "2024-01-02T09:00"), ("a", "x", "2024-01-13T09:00")])
    result = retention(load(events), period="week", date_from="2024-01-01", date_to="2024-01-10")
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [1, 1],
        "2024-01-08T00:00:00+00:00": [0, None],
    }


def test_single_event_users_are_in_their_cohort_and_never_return(load: Loader) -> None:
    events = frame(
        [
            ("a", "x", "2024-01-01T09:00"),
            ("b", "x", "2024-01-01T10:00"),
            ("a", "x", "2024-01-02T09:00"),
        ]
    )
    result = retention(load(events), period="day")
    assert grid(result)["2024-01-01T00:00:00+00:00"] == [2, 1]
    assert result["rate"].tolist()[:2] == [1.0, 0.5]


def test_an_empty_range_has_every_row_with_size_zero(load: Loader) -> None:
    events = load(frame([("a", "x", "2024-01-01T09:00")]))
    result = retention(events, period="day", date_from="2025-01-01", date_to="2025-01-03")
    assert grid(result) == {
        "2025-01-01T00:00:00+00:00": [0, 0, 0],
        "2025-01-02T00:00:00+00:00": [0, 0, None],
        "2025-01-03T00:00:00+00:00": [0, None, None],
    }
    assert result["rate"].isna().all()
    assert retention_average(result)["rate"].isna().all()


def test_first_event_before_the_range_first_time_versus_recurring(load: Loader) -> None:
    events = load(
        frame(
            [
                ("a", "x", "2024-01-01T09:00"),  # before the range
                ("a", "x", "2024-01-08T09:00"),
                ("b", "x", "2024-01-09T09:00"),
                ("a", "x", "2024-01-15T09:00"),
            ]
        )
    )
    opts: dict[str, Any] = {"period": "week", "date_from": "2024-01-08", "date_to": "2024-01-15"}
    assert grid(retention(events, **opts)) == {
        "2024-01-08T00:00:00+00:00": [1, 0],  # b only; a's first was before the range
        "2024-01-15T00:00:00+00:00": [0, None],
    }
    assert grid(retention(events, **opts, cohort="recurring")) == {
        "2024-01-08T00:00:00+00:00": [2, 1],
        "2024-01-15T00:00:00+00:00": [1, None],
    }


def test_first_ever_needs_the_very_first_start_event_to_match(load: Loader) -> None:
    events = load(
        frame(
            [
                ("a", "signup", "2024-01-01T09:00", "p"),
                ("a", "signup", "2024-01-08T09:00", "q"),
                ("b", "signup", "2024-01-02T09:00", "q"),
                ("b", "open", "2024-01-09T09:00", "q"),
            ]
        )
    )
    opts: dict[str, Any] = {
        "period": "week",
        "start_event": "signup",
        "start_where": {"plan": "q"},
        "date_from": "2024-01-01",
        "date_to": "2024-01-08",
    }
    assert grid(retention(events, **opts)) == {  # first q-signup: b in week 1, a in week 2
        "2024-01-01T00:00:00+00:00": [1, 1],
        "2024-01-08T00:00:00+00:00": [1, None],
    }
    assert grid(retention(events, **opts, cohort="first_ever")) == {  # a's first signup was p
        "2024-01-01T00:00:00+00:00": [1, 1],
        "2024-01-08T00:00:00+00:00": [0, None],
    }


def test_min_occurrences_applies_to_return_events_only(load: Loader) -> None:
    events = load(
        frame(
            [
                ("a", "x", "2024-01-01T09:00"),
                ("a", "x", "2024-01-08T09:00"),
                ("a", "x", "2024-01-09T09:00"),
                ("b", "x", "2024-01-02T09:00"),
                ("b", "x", "2024-01-10T09:00"),
            ]
        )
    )
    result = retention(events, period="week", min_occurrences=2)
    assert grid(result)["2024-01-01T00:00:00+00:00"] == [
        2,
        1,
    ]  # both start once; only a returns twice


def test_cumulative_counts_on_or_after_without_double_counting(load: Loader) -> None:
    rows = [("a", "x", f"2024-01-{d:02d}T09:00") for d in (1, 8, 15, 22)]
    rows += [
        ("b", "x", "2024-01-02T09:00"),
        ("b", "x", "2024-01-16T09:00"),
        ("c", "x", "2024-01-03T09:00"),
    ]
    events = load(frame(rows))
    first = "2024-01-01T00:00:00+00:00"
    assert grid(retention(events, period="week"))[first] == [3, 1, 2, 1]
    assert grid(retention(events, period="week", cumulative=True))[first] == [3, 2, 2, 1]


def test_unobservable_cells_are_null_and_the_average_is_weighted(load: Loader) -> None:
    rows = [(u, "x", "2024-01-01T09:00") for u in "abcd"]
    rows += [
        ("a", "x", "2024-01-08T09:00"),
        ("b", "x", "2024-01-09T09:00"),
        ("a", "x", "2024-01-15T09:00"),
    ]
    rows += [("e", "x", "2024-01-08T09:00"), ("e", "x", "2024-01-16T09:00")]
    rows += [("f", "x", "2024-01-15T09:00"), ("g", "x", "2024-01-17T09:00")]
    result = retention(load(frame(rows)), period="week")
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [4, 2, 1],
        "2024-01-08T00:00:00+00:00": [1, 1, None],
        "2024-01-15T00:00:00+00:00": [2, None, None],
    }
    average = retention_average(result)
    assert list(average.columns) == ["breakdown", "offset", "rate"]
    # offset 1: (2 + 1) / (4 + 1), not the mean of 0.5 and 1.0; offset 2: 1 / 4
    assert average["rate"].tolist() == [pytest.approx(1.0), pytest.approx(0.6), pytest.approx(0.25)]


def test_start_return_and_global_filters(load: Loader) -> None:
    events = load(
        frame(
            [
                ("a", "signup", "2024-01-01T09:00", "p"),
                ("b", "signup", "2024-01-01T09:00", "q"),
                ("c", "open", "2024-01-01T09:00", "p"),
                ("a", "open", "2024-01-02T09:00", "p"),
                ("b", "open", "2024-01-02T09:00", "q"),
                ("c", "open", "2024-01-02T09:00", "p"),
                ("a", "buy", "2024-01-02T10:00", "q"),
            ]
        )
    )
    day1 = "2024-01-01T00:00:00+00:00"
    assert grid(retention(events, period="day"))[day1] == [3, 3]
    assert grid(retention(events, period="day", start_event="signup"))[day1] == [2, 2]
    assert grid(retention(events, period="day", start_event="signup", return_event="buy"))[
        day1
    ] == [2, 1]
    assert grid(retention(events, period="day", where={"plan": "p"}))[day1] == [2, 2]
    assert grid(retention(events, period="day", start_where={"plan": "q"}))[day1] == [1, 1]
    assert grid(retention(events, period="day", return_where={"plan": "q"}))[day1] == [3, 2]


def test_breakdown_gives_one_matrix_per_value(load: Loader) -> None:
    events = load(
        frame(
            [
                ("a", "x", "2024-01-01T09:00", "p"),
                ("b", "x", "2024-01-01T09:00", "q"),
                ("c", "x", "2024-01-01T09:00", "q"),
                ("b", "x", "2024-01-02T09:00", "q"),
                ("a", "x", "2024-01-02T09:00", None),
            ]
        )
    )
    result = retention(events, period="day", breakdown="plan")
    assert [b for b in result["breakdown"].unique()] == ["p", "q", None]
    assert grid(result, "p")["2024-01-01T00:00:00+00:00"] == [1, 0]
    assert grid(result, "q")["2024-01-01T00:00:00+00:00"] == [2, 1]
    assert grid(result, None)["2024-01-02T00:00:00+00:00"] == [1, None]
    average = retention_average(result)
    assert average[average["breakdown"] == "q"]["rate"].tolist() == [1.0, 0.5]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"period": "fortnight"}, "period must be one of hour, day, week, month"),
        ({"period_count": 0}, "period_count must be a whole number >= 1"),
        ({"periods": 0}, "periods must be a whole number >= 1"),
        ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "is after date_to"),
        ({"date_from": "2030-01-01"}, "is after the last event"),
        ({"date_from": "not a date"}, "is not a date"),
        ({"week_start": "friday"}, "week_start must be one of monday, sunday"),
        ({"cohort": "first"}, "cohort must be one of first_time"),
        ({"min_occurrences": 0}, "min_occurrences must be a whole number >= 1"),
    ],
)
def test_bad_options_raise_parameter_errors_with_a_fix(
    options: dict[str, Any], message: str
) -> None:
    events = frame([("a", "x", "2024-01-01T09:00")])
    with pytest.raises(ParameterError, match=message) as info:
        retention(events, **options)
    assert "\n" not in str(info.value)


def test_unknown_columns_and_events_suggest_close_names(load: Loader) -> None:
    events = load(frame([("a", "signup", "2024-01-01T09:00", "p")]))
    with pytest.raises(ColumnError, match="Did you mean 'plan'"):
        retention(events, where={"plann": "p"})
    with pytest.raises(ColumnError, match="breakdown column 'country' not found"):
        retention(events, breakdown="country")
    with pytest.raises(InputError, match=r"event 'sigup' does not occur.*Did you mean 'signup'"):
        retention(events, start_event="sigup")


def test_missing_canonical_column_is_a_column_error() -> None:
    with pytest.raises(ColumnError, match="events column 'timestamp' not found"):
        retention(pd.DataFrame({"user_id": ["a"], "event": ["x"], "time": [pd.Timestamp(0)]}))


def test_hour_periods_are_wall_clock_hours_across_a_fall_back(load: Loader) -> None:
    # Berlin, 27 Oct 2024: 02:00-03:00 happens twice (CEST, then CET) and is one wall-clock hour.
    events = frame(
        [
            ("a", "x", "2024-10-27T00:30"),  # 02:30 CEST
            ("a", "x", "2024-10-27T01:30"),  # 02:30 CET, the same wall-clock hour
            ("b", "x", "2024-10-26T23:30"),  # 01:30 CEST
            ("b", "x", "2024-10-27T02:10"),  # 03:10 CET
        ]
    )
    result = retention(
        load(events),
        period="hour",
        timezone="Europe/Berlin",
        date_from="2024-10-27 01:00",
        date_to="2024-10-27 03:00",
    )
    assert grid(result) == {
        "2024-10-27T01:00:00+02:00": [1, 0, 1],
        "2024-10-27T02:00:00+02:00": [1, 0, None],
        "2024-10-27T03:00:00+01:00": [0, None, None],
    }
