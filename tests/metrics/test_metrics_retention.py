"""Retention on small hand-worked event logs, on DuckDB and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd
import pytest

from metrics.helpers import Loader, frame
from prodops.errors import ColumnError, InputError, ParameterError
from prodops.metrics import retention, retention_average
from prodops.metrics.retention_range import describe_range, retention_range


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


def done(result: pd.DataFrame, breakdown: Any = None) -> dict[str, list[bool]]:
    """``{cohort start: complete flag by offset}``."""
    part = result[result["breakdown"].map(lambda b: b == breakdown)]
    return {
        pd.Timestamp(cohort).isoformat(): rows.sort_values("offset")["complete"].tolist()
        for cohort, rows in part.groupby("cohort", sort=True)
    }


def sizes(result: pd.DataFrame) -> list[int]:
    return result[result["offset"] == 0]["size"].tolist()


def test_frame_has_the_contract_columns_and_types(load: Loader) -> None:
    events = load(frame([("a", "x", "2024-01-01T10:00"), ("a", "x", "2024-01-02T10:00")]))
    result = retention(events, period="day")
    assert list(result.columns) == [
        "breakdown",
        "cohort",
        "size",
        "offset",
        "count",
        "rate",
        "complete",
    ]
    assert str(result["cohort"].dtype) == "datetime64[us, UTC]"
    assert str(result["count"].dtype) == "Int64"
    assert str(result["rate"].dtype) == "Float64"
    assert str(result["complete"].dtype) == "bool"
    assert result["breakdown"].tolist() == [None] * 4
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [1, 1],
        "2024-01-02T00:00:00+00:00": [0, None],
    }
    # the data ends at the last event, 2 January 10:00: that day is in progress
    assert result.attrs["data_end"] == pd.Timestamp("2024-01-02T10:00", tz="UTC")
    assert done(result) == {
        "2024-01-01T00:00:00+00:00": [True, False],
        "2024-01-02T00:00:00+00:00": [False, False],
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
    running = retention_average(result, include_incomplete=True)
    assert list(running.columns) == ["breakdown", "offset", "rate"]
    # offset 1: (2 + 1) / (4 + 1), not the mean of 0.5 and 1.0; offset 2: 1 / 4
    assert running["rate"].tolist() == [pytest.approx(1.0), pytest.approx(0.6), pytest.approx(0.25)]
    # The data ends on Wednesday 17 January: the week of the 15th is in progress, so by default
    # its cells are left out: offset 0 (4 + 1) / (4 + 1), offset 1 2 / 4, offset 2 nothing yet.
    average = retention_average(result)
    assert average["rate"].tolist()[:2] == [pytest.approx(1.0), pytest.approx(0.5)]
    assert pd.isna(average["rate"].iloc[2])


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
    # largest first (q: 2 starting users), ties by value with the missing value last
    assert [b for b in result["breakdown"].unique()] == ["q", "p", None]
    assert grid(result, "p")["2024-01-01T00:00:00+00:00"] == [1, 0]
    assert grid(result, "q")["2024-01-01T00:00:00+00:00"] == [2, 1]
    assert grid(result, None)["2024-01-02T00:00:00+00:00"] == [1, None]
    average = retention_average(result, include_incomplete=True)
    assert average[average["breakdown"] == "q"]["rate"].tolist() == [1.0, 0.5]
    # 2 January is in progress (the data ends at 09:00 that day): day 1 is not averaged yet
    complete = retention_average(result)
    assert complete[complete["breakdown"] == "q"]["rate"].tolist() == [1.0, pd.NA]


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


# --- completeness (DESIGN.md, "Completeness") ----------------------------------------------------

# Weeks from Monday 12 October 2026; the export ends on Monday 2 November at 04:46 (a PostHog
# export cut mid-week): the week of 2 November holds 4 h 46 min of data.
MID_WEEK = [
    ("a", "x", "2026-10-12T10:00"),
    ("b", "x", "2026-10-13T09:00"),
    ("a", "x", "2026-10-19T09:00"),
    ("c", "x", "2026-10-20T09:00"),
    ("a", "x", "2026-10-26T09:00"),
    ("b", "x", "2026-10-27T09:00"),
    ("d", "x", "2026-10-27T12:00"),
    ("c", "x", "2026-10-28T09:00"),
    ("a", "x", "2026-11-02T01:00"),
    ("e", "x", "2026-11-02T04:46"),
]


def test_data_ending_mid_week_flags_the_last_week_and_the_average_does_not_drop(
    load: Loader,
) -> None:
    result = retention(load(frame(MID_WEEK)), period="week")
    assert grid(result) == {
        "2026-10-12T00:00:00+00:00": [2, 1, 2, 1],  # a, b; a back in week 1; both in 2; a in 3
        "2026-10-19T00:00:00+00:00": [1, 1, 0, None],  # c
        "2026-10-26T00:00:00+00:00": [1, 0, None, None],  # d
        "2026-11-02T00:00:00+00:00": [1, None, None, None],  # e
    }
    assert result.attrs["data_end"] == pd.Timestamp("2026-11-02T04:46", tz="UTC")
    # a cell is complete when its period (cohort + offset) ended by Monday 2 November 00:00
    assert done(result) == {
        "2026-10-12T00:00:00+00:00": [True, True, True, False],
        "2026-10-19T00:00:00+00:00": [True, True, False, False],
        "2026-10-26T00:00:00+00:00": [True, False, False, False],
        "2026-11-02T00:00:00+00:00": [False, False, False, False],
    }
    # complete cells only: offset 1 (1 + 1) / (2 + 1); offset 2 2 / 2; offset 3 nothing yet
    average = retention_average(result)["rate"].tolist()
    assert average[:3] == [pytest.approx(1.0), pytest.approx(2 / 3), pytest.approx(1.0)]
    assert pd.isna(average[3])
    # the running figure counts the weeks in progress: offset 1 (1 + 1 + 0) / 4 drops to 0.5
    running = retention_average(result, include_incomplete=True)["rate"].tolist()
    assert running == [1.0, 0.5, pytest.approx(2 / 3), 0.5]


def test_as_of_moves_the_data_end_and_the_default_date_to(load: Loader) -> None:
    events = load(frame(MID_WEEK))
    # Sunday 1 November as a date: the data covers that whole day, the week of 26 October is
    # complete and is the last row (events after the end of the range are not counted)
    result = retention(events, period="week", as_of="2026-11-01")
    assert result.attrs["data_end"] == pd.Timestamp("2026-11-02T00:00", tz="UTC")
    assert grid(result) == {
        "2026-10-12T00:00:00+00:00": [2, 1, 2],
        "2026-10-19T00:00:00+00:00": [1, 1, None],
        "2026-10-26T00:00:00+00:00": [1, None, None],
    }
    assert done(result) == {
        "2026-10-12T00:00:00+00:00": [True, True, True],
        "2026-10-19T00:00:00+00:00": [True, True, False],
        "2026-10-26T00:00:00+00:00": [True, False, False],
    }
    # a zoned as_of is kept as it is; a naive one is read in the analysis zone
    zoned = retention(events, period="day", as_of=pd.Timestamp("2026-10-28T12:00", tz="UTC"))
    assert zoned.attrs["data_end"] == pd.Timestamp("2026-10-28T12:00", tz="UTC")
    berlin = retention(events, period="day", as_of="2026-10-28T12:00", timezone="Europe/Berlin")
    assert berlin.attrs["data_end"] == pd.Timestamp("2026-10-28T11:00", tz="UTC")
    assert str(berlin.attrs["data_end"].tz) == "Europe/Berlin"


def test_data_ending_mid_day_and_an_hourly_range_ending_on_a_date_covers_that_day(
    load: Loader,
) -> None:
    events = load(
        frame(
            [
                ("a", "x", "2026-10-30T09:00"),
                ("a", "x", "2026-10-31T08:30"),
                ("b", "x", "2026-10-31T12:10"),
                ("b", "x", "2026-10-31T13:20"),  # the data end
            ]
        )
    )
    daily = retention(events, period="day")
    assert grid(daily) == {
        "2026-10-30T00:00:00+00:00": [1, 1],
        "2026-10-31T00:00:00+00:00": [1, None],
    }
    assert done(daily) == {
        "2026-10-30T00:00:00+00:00": [True, False],
        "2026-10-31T00:00:00+00:00": [False, False],
    }
    # "ending on 2026-10-31" takes the whole day: the last hourly cohort is 23:00, not 00:00
    hourly = retention(events, period="hour", periods=3, date_to="2026-10-31")
    assert list(grid(hourly)) == [
        "2026-10-31T21:00:00+00:00",
        "2026-10-31T22:00:00+00:00",
        "2026-10-31T23:00:00+00:00",
    ]
    day = retention(events, period="hour", date_from="2026-10-31", date_to="2026-10-31")
    rows = grid(day)
    assert len(rows) == 24 and all(len(cells) == 24 for cells in rows.values())
    assert rows["2026-10-31T12:00:00+00:00"][:3] == [1, 1, 0]  # b at 12:10, back at 13:20
    # hours 00:00-13:00 are complete; 13:00-14:00 holds the data end (13:20)
    first = done(day)["2026-10-31T00:00:00+00:00"]
    assert first[:13] == [True] * 13 and not any(first[13:])


def test_data_ending_mid_month(load: Loader) -> None:
    events = load(frame([*MONTH_EVENTS, ("c", "x", "2024-04-15T12:00")]))
    result = retention(events, period="month")
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [1, 1, 1, 0],
        "2024-02-01T00:00:00+00:00": [1, 1, 0, None],
        "2024-03-01T00:00:00+00:00": [0, 0, None, None],
        "2024-04-01T00:00:00+00:00": [1, None, None, None],
    }
    # the data ends on 15 April at noon: April is in progress, March (31 days) is complete
    assert done(result) == {
        "2024-01-01T00:00:00+00:00": [True, True, True, False],
        "2024-02-01T00:00:00+00:00": [True, True, False, False],
        "2024-03-01T00:00:00+00:00": [True, False, False, False],
        "2024-04-01T00:00:00+00:00": [False, False, False, False],
    }


def test_data_ending_exactly_on_a_boundary(load: Loader) -> None:
    # The last event is at Monday 15 January 00:00:00: the week before is complete; the week of
    # the 15th has begun (one event) and is in progress.
    events = load(
        frame(
            [
                ("a", "x", "2024-01-02T09:00"),
                ("a", "x", "2024-01-14T23:59:59"),
                ("b", "x", "2024-01-15T00:00"),
            ]
        )
    )
    result = retention(events, period="week")
    assert grid(result) == {
        "2024-01-01T00:00:00+00:00": [1, 1, 0],
        "2024-01-08T00:00:00+00:00": [0, 0, None],
        "2024-01-15T00:00:00+00:00": [1, None, None],
    }
    assert done(result) == {
        "2024-01-01T00:00:00+00:00": [True, True, False],
        "2024-01-08T00:00:00+00:00": [True, False, False],
        "2024-01-15T00:00:00+00:00": [False, False, False],
    }


def test_a_date_to_before_the_data_end_is_complete_because_the_data_continues(
    load: Loader,
) -> None:
    events = load(frame(MID_WEEK))
    result = retention(events, period="week", date_to="2026-10-25")  # a Sunday
    assert list(grid(result)) == ["2026-10-12T00:00:00+00:00", "2026-10-19T00:00:00+00:00"]
    # c's cohort (week of 19 October) is followed into the week of 26 October, after date_to:
    # the data continues to 2 November, so that week is observed, and complete
    assert grid(result)["2026-10-19T00:00:00+00:00"] == [1, 1]
    assert done(result) == {
        "2026-10-12T00:00:00+00:00": [True, True],
        "2026-10-19T00:00:00+00:00": [True, True],
    }
    # offset 1: (1 + 1) / (2 + 1)
    assert retention_average(result)["rate"].tolist() == [1.0, pytest.approx(2 / 3)]
    # as of Sunday 25 October the week of the 19th is the last one observed and it is complete;
    # the cells of the week of the 26th cannot be observed: null, and not complete
    early = retention(events, period="week", as_of="2026-10-25")
    assert grid(early)["2026-10-19T00:00:00+00:00"] == [1, None]
    assert done(early)["2026-10-19T00:00:00+00:00"] == [True, False]


# --- rows and columns (DESIGN.md, "Retention") ----------------------------------------------------


def q1_events() -> pd.DataFrame:
    return frame(
        [
            ("a", "x", "2024-01-01T09:00"),
            ("a", "x", "2024-02-19T09:00"),  # week 7 after a's first
            ("b", "x", "2024-02-12T09:00"),
            ("b", "x", "2024-02-19T09:00"),
            ("c", "x", "2024-03-25T09:00"),  # the last week of Q1
            ("c", "x", "2024-04-01T09:00"),  # after the range
            ("d", "x", "2024-05-20T09:00"),  # the data continues to May
        ]
    )


def test_weekly_cohorts_of_q1_each_followed_for_8_weeks(load: Loader) -> None:
    result = retention(
        load(q1_events()), period="week", date_from="2024-01-01", date_to="2024-03-31", periods=8
    )
    rows = grid(result)
    assert len(rows) == 13 and all(len(cells) == 8 for cells in rows.values())
    assert rows["2024-01-01T00:00:00+00:00"] == [1, 0, 0, 0, 0, 0, 0, 1]  # a, back on 19 Feb
    assert rows["2024-02-12T00:00:00+00:00"] == [1, 1, 0, 0, 0, 0, 0, 0]  # b
    # the last cohort of Q1 is followed into May: c came back on 1 April (offset 1)
    assert rows["2024-03-25T00:00:00+00:00"] == [1, 1, 0, 0, 0, 0, 0, 0]
    # the data runs to 20 May; the furthest cell (25 March + 7 weeks = 13 May) is complete
    assert result["count"].notna().all() and result["complete"].all()
    # followed for 9 weeks, the last cohort reaches the week of 20 May: observed, in progress
    nine = retention(
        load(q1_events()), period="week", date_from="2024-01-01", date_to="2024-03-31", periods=9
    )
    assert grid(nine)["2024-03-25T00:00:00+00:00"] == [1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert done(nine)["2024-03-25T00:00:00+00:00"] == [True] * 8 + [False]
    assert retention_range(nine).in_progress  # type: ignore[union-attr]
    assert not retention_range(result).in_progress  # type: ignore[union-attr]


def test_every_combination_of_date_from_date_to_and_periods(load: Loader) -> None:
    events = load(q1_events())
    cases: list[tuple[dict[str, Any], str, str, int]] = [
        # (options, first cohort, last cohort, columns)
        ({"date_to": "2024-03-31", "periods": 3}, "2024-03-11", "2024-03-25", 3),
        ({"date_from": "2024-03-04", "periods": 2}, "2024-03-04", "2024-05-20", 2),
        ({"date_from": "2024-03-04", "date_to": "2024-03-20"}, "2024-03-04", "2024-03-18", 3),
        ({"periods": 4}, "2024-04-29", "2024-05-20", 4),
        ({"date_to": "2024-01-16"}, "2024-01-01", "2024-01-15", 3),
        ({"date_from": "2024-05-06"}, "2024-05-06", "2024-05-20", 3),
    ]
    for options, first, last, columns in cases:
        result = retention(events, period="week", **options)
        cohorts = list(grid(result))
        assert (cohorts[0][:10], cohorts[-1][:10]) == (first, last), options
        assert result["offset"].max() + 1 == columns, options


def test_the_effective_range_is_recorded_for_pages(load: Loader) -> None:
    result = retention(
        load(q1_events()), period="week", date_from="2024-01-03", date_to="2024-03-31", periods=8
    )
    span = retention_range(result)
    assert span is not None
    assert span.first == pd.Timestamp("2024-01-01", tz="UTC")  # the Monday of 3 January
    assert span.last == pd.Timestamp("2024-03-25", tz="UTC")
    assert span.end == pd.Timestamp("2024-04-01", tz="UTC")
    assert (span.rows, span.columns) == (13, 8)
    assert span.data_end == pd.Timestamp("2024-05-20T09:00", tz="UTC")
    assert describe_range(span, date_from="2024-01-03") == (
        "13 weekly cohorts from Monday 2024-01-01 (the start of the week containing"
        " 2024-01-03) to the week of Monday 2024-03-25, each followed for 8 weeks."
    )
    assert retention_range(pd.DataFrame()) is None


# --- bounded work (issue 17) ----------------------------------------------------------------------


def test_an_oversized_matrix_is_refused_before_any_query(monkeypatch: pytest.MonkeyPatch) -> None:
    # An unbound table: anything that reached the database would fail with an Ibis error.
    nowhere = ibis.table(
        {"user_id": "string", "event": "string", "timestamp": "timestamp('UTC')"}, name="nowhere"
    )
    with pytest.raises(ParameterError) as info:
        retention(nowhere, period="hour", date_from="2025-01-01", date_to="2025-12-31")
    assert str(info.value) == (
        "8,760 hourly cohorts x 8,760 columns is 76,737,600 cells, more than the limit of"
        " 250,000. Narrow the range, pass fewer periods, or choose day."
    )
    # the same rows with fewer columns fit
    monkeypatch.setenv("PRODOPS_MAX_CELLS", "100")
    with pytest.raises(ParameterError, match="11 daily cohorts x 11 columns is 121 cells"):
        retention(nowhere, period="day", date_from="2025-01-01", date_to="2025-01-11")


def test_the_bound_counts_every_breakdown_matrix(
    load: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = load(
        frame(
            [
                ("a", "x", "2024-01-01T09:00", "p"),
                ("b", "x", "2024-01-02T09:00", "q"),
                ("c", "x", "2024-01-03T09:00", None),
            ]
        )
    )
    monkeypatch.setenv("PRODOPS_MAX_CELLS", "20")
    assert len(retention(events, period="day")) == 9  # 3 x 3 cells
    with pytest.raises(
        ParameterError, match=r"3 daily cohorts x 3 columns x 3 breakdown values is 27 cells"
    ):
        retention(events, period="day", breakdown="plan")
    # 2 cohorts (the 2 periods ending at the data end) x 2 columns x 3 values
    assert len(retention(events, period="day", breakdown="plan", periods=2)) == 12


def test_users_without_the_breakdown_property_are_a_group_that_returns_too(load: Loader) -> None:
    # e and f have no plan. SQL joins never match NULL with NULL: their returns must still count.
    rows = [
        ("a", "open", "2024-01-05 10:00", "pro"),
        ("a", "open", "2024-02-05 10:00", "pro"),
        ("e", "open", "2024-01-05 10:00", None),
        ("e", "open", "2024-02-05 10:00", None),
        ("e", "open", "2024-03-05 10:00", None),
        ("f", "open", "2024-01-06 10:00", None),
        ("g", "open", "2024-03-06 10:00", None),
    ]
    for cumulative in (False, True):
        result = retention(
            load(frame(rows)), period="month", breakdown="plan", cumulative=cumulative
        )
        assert grid(result, None) == {
            "2024-01-01T00:00:00+00:00": [2, 1, 1],
            "2024-02-01T00:00:00+00:00": [0, 0, None],
            "2024-03-01T00:00:00+00:00": [1, None, None],
        }
        assert grid(result, "pro")["2024-01-01T00:00:00+00:00"] == [
            1,
            1,
            0,
        ]
