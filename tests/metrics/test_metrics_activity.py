"""Lifecycle, stickiness, active users, DAU/MAU, churn and event counts on hand-worked logs."""

from __future__ import annotations

import doctest
import importlib

import pandas as pd
import pytest

from metrics.helpers import Loader, frame
from prodops.errors import ParameterError
from prodops.metrics import (
    active_users,
    churn,
    dau_mau,
    event_counts,
    lifecycle,
    property_columns,
    stickiness,
)

# a: days 1, 3, 6; b: days 1, 2 (twice on day 2); c: day 3; d: day 6 (plan q)
LOG = [
    ("a", "open", "2024-01-01T09:00", "p"),
    ("b", "open", "2024-01-01T10:00", "p"),
    ("b", "open", "2024-01-02T10:00", "p"),
    ("b", "buy", "2024-01-02T11:00", "p"),
    ("a", "open", "2024-01-03T09:00", "p"),
    ("c", "open", "2024-01-03T23:59:59", "p"),
    ("a", "buy", "2024-01-06T09:00", "p"),
    ("d", "open", "2024-01-06T00:00", "q"),
]


def test_lifecycle_states_per_day(load: Loader) -> None:
    result = lifecycle(load(frame(LOG)), period="day")
    assert list(result.columns) == [
        "start",
        "new",
        "returning",
        "resurrecting",
        "dormant",
        "pulse_ratio",
        "complete",
    ]
    assert result["start"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")
    # The data ends at a's 09:00 event on day 6: that day is still in progress.
    assert result["complete"].tolist() == [True] * 5 + [False]
    assert result.attrs["data_end"] == pd.Timestamp("2024-01-06T09:00", tz="UTC")
    table = result[["new", "returning", "resurrecting", "dormant"]].values.tolist()
    assert table == [
        [2, 0, 0, 0],  # a, b new
        [0, 1, 0, 1],  # b returning, a dormant
        [1, 0, 1, 1],  # c new, a resurrecting, b dormant
        [0, 0, 0, 2],  # a, c dormant
        [0, 0, 0, 0],
        [1, 0, 1, 0],  # d new, a resurrecting
    ]
    assert [None if pd.isna(r) else r for r in result["pulse_ratio"]] == [
        None,
        0.0,
        2.0,
        0.0,
        None,
        None,
    ]


def test_lifecycle_counts_history_before_date_from(load: Loader) -> None:
    result = lifecycle(load(frame(LOG)), period="day", date_from="2024-01-03", date_to="2024-01-04")
    # On day 3 a is resurrecting (active on day 1, before the range), not new; b goes dormant.
    assert result[["new", "returning", "resurrecting", "dormant"]].values.tolist() == [
        [1, 0, 1, 1],
        [0, 0, 0, 2],
    ]


def test_lifecycle_event_and_filter(load: Loader) -> None:
    events = load(frame(LOG))
    bought = lifecycle(events, period="day", event="buy")
    assert bought["new"].tolist() == [0, 1, 0, 0, 0, 1]
    assert lifecycle(events, period="week", where={"plan": "q"})["new"].tolist() == [1]


def test_stickiness_exactly_and_at_least(load: Loader) -> None:
    events = load(frame(LOG))
    # as_of the whole of day 6: all six days are complete
    exact = stickiness(events, period="day", as_of="2024-01-06")
    assert list(exact.columns) == [
        "active_periods",
        "users",
        "buckets_total",
        "buckets_complete",
        "complete",
    ]
    assert exact["users"].tolist() == [2, 1, 1, 0, 0, 0]  # c, d: 1 day; b: 2; a: 3
    assert exact["buckets_total"].tolist() == [6] * 6
    assert exact["complete"].all()
    at_least = stickiness(events, period="day", cumulative=True, as_of="2024-01-06")
    assert at_least["users"].tolist() == [4, 2, 1, 0, 0, 0]


def test_stickiness_counts_complete_periods_unless_asked(load: Loader) -> None:
    events = load(frame(LOG))
    # The data ends at 09:00 on day 6: days 1-5 are counted. a: days 1, 3; b: 1, 2; c: 3;
    # d (day 6 only) is in no complete day.
    exact = stickiness(events, period="day")
    assert exact["users"].tolist() == [1, 2, 0, 0, 0]
    assert exact["buckets_total"].tolist() == [6] * 5
    assert exact["buckets_complete"].tolist() == [5] * 5
    assert exact["complete"].all()
    running = stickiness(events, period="day", include_incomplete=True)
    assert running["users"].tolist() == [2, 1, 1, 0, 0, 0]  # a now has 3 days, d 1
    assert not running["complete"].any()


def test_stickiness_min_events_and_period_count(load: Loader) -> None:
    events = load(frame(LOG))
    assert stickiness(events, period="day", min_events=2)["users"].tolist() == [1, 0, 0, 0, 0]
    # 2-day periods counted back from the truncated date_to (day 6 starts the last one):
    # [31 Dec-1], [2-3], [4-5], [6-7]; a in three, b in two, c and d in one
    two = stickiness(events, period="day", period_count=2, include_incomplete=True)
    assert two["users"].tolist() == [2, 1, 1, 0]
    assert two["buckets_total"].tolist() == [4, 4, 4, 4]
    # [6-7] is in progress: a and b in two of the three complete ones, c in one
    assert stickiness(events, period="day", period_count=2)["users"].tolist() == [1, 2, 0]
    anchored = stickiness(
        events, period="day", period_count=2, date_from="2024-01-02", include_incomplete=True
    )
    # [2-3], [4-5], [6-7]: a in [2-3] and [6-7]; b, c in [2-3]; d in [6-7]
    assert anchored["users"].tolist() == [3, 1, 0]


def test_active_users_rolling_window_uses_history(load: Loader) -> None:
    events = load(frame(LOG))
    dau = active_users(events, window_days=1)
    assert list(dau.columns) == ["date", "users", "complete"]
    assert dau["date"].dt.strftime("%Y-%m-%d").tolist() == [f"2024-01-0{d}" for d in range(1, 7)]
    assert dau["users"].tolist() == [2, 1, 2, 0, 0, 2]
    assert dau["complete"].tolist() == [True] * 5 + [False]  # day 6 ends after 09:00
    wau = active_users(events, window_days=3, date_from="2024-01-03", date_to="2024-01-06")
    assert wau["users"].tolist() == [3, 3, 2, 2]  # day 3 window: days 1-3 (a, b, c)


def test_dau_mau_ratio(load: Loader) -> None:
    result = dau_mau(load(frame(LOG)), date_from="2024-01-05", date_to="2024-01-06")
    assert list(result.columns) == ["date", "dau", "mau", "ratio", "complete"]
    assert result["dau"].tolist() == [0, 2]
    assert result["mau"].tolist() == [3, 4]
    assert result["ratio"].tolist() == [0.0, 0.5]
    assert result["complete"].tolist() == [True, False]
    assert result.attrs["data_end"] == pd.Timestamp("2024-01-06T09:00", tz="UTC")


def test_active_users_in_a_local_zone(load: Loader) -> None:
    # c's 23:59:59 UTC on 3 January is 00:59:59 on the 4th in Berlin.
    result = active_users(
        load(frame(LOG)), timezone="Europe/Berlin", date_from="2024-01-03", date_to="2024-01-04"
    )
    assert result["users"].tolist() == [1, 1]


def test_churn_per_period(load: Loader) -> None:
    result = churn(load(frame(LOG)), period="day")
    assert list(result.columns) == ["period", "active_start", "churned", "churn_rate", "complete"]
    assert result["complete"].tolist() == [True] * 5 + [False]
    assert result["active_start"].tolist() == [0, 2, 1, 2, 0, 0]
    assert result["churned"].tolist() == [0, 1, 1, 2, 0, 0]
    assert [None if pd.isna(r) else r for r in result["churn_rate"]] == [
        None,
        0.5,
        1.0,
        1.0,
        None,
        None,
    ]


def test_churn_counts_the_period_before_date_from(load: Loader) -> None:
    result = churn(load(frame(LOG)), period="day", date_from="2024-01-02", date_to="2024-01-02")
    assert result[["active_start", "churned"]].values.tolist() == [[2, 1]]
    weekly = churn(load(frame(LOG)), period="week", event="buy")
    assert weekly[["active_start", "churned"]].values.tolist() == [[0, 0]]


# --- completeness (DESIGN.md, "Completeness"): a period is complete when it ends by the data end


def test_data_ending_mid_week_leaves_that_week_in_progress(load: Loader) -> None:
    # The export ends on Monday 15 January at 04:46: the week of the 8th ended at 00:00 that day.
    log = [
        ("u1", "open", "2024-01-01T10:00"),
        ("u1", "open", "2024-01-08T10:00"),
        ("u2", "open", "2024-01-15T04:46"),
    ]
    result = lifecycle(load(frame(log)), period="week")
    assert result["start"].dt.strftime("%m-%d").tolist() == ["01-01", "01-08", "01-15"]
    assert result["complete"].tolist() == [True, True, False]
    # The week in progress counts u1 as dormant after 4 hours and 46 minutes.
    assert result[["new", "dormant"]].values.tolist() == [[1, 0], [0, 0], [1, 1]]
    assert result.attrs["data_end"] == pd.Timestamp("2024-01-15T04:46", tz="UTC")
    # Weeks from Sunday: the week of Sunday the 14th is in progress too, the 7th's is not.
    sunday = lifecycle(load(frame(log)), period="week", week_start="sunday")
    assert sunday["start"].dt.strftime("%m-%d").tolist() == ["12-31", "01-07", "01-14"]
    assert sunday["complete"].tolist() == [True, True, False]


def test_data_ending_exactly_on_a_boundary_completes_the_period_before(load: Loader) -> None:
    log = [("u1", "open", "2024-01-10T10:00"), ("u2", "open", "2024-01-15T00:00")]
    result = churn(load(frame(log)), period="week")
    # The last event is the very first instant of the week of the 15th: the week of the 8th
    # ends exactly at the data end (complete), the week of the 15th has only just begun.
    assert result["period"].dt.strftime("%m-%d").tolist() == ["01-08", "01-15"]
    assert result["complete"].tolist() == [True, False]


def test_data_ending_mid_day_in_the_analysis_zone(load: Loader) -> None:
    # 23:30 UTC on 3 January is 00:30 on the 4th in Berlin.
    log = [("a", "open", "2024-01-02T12:00"), ("b", "open", "2024-01-03T23:30")]
    events = load(frame(log))
    utc = active_users(events, window_days=1)
    assert utc["date"].dt.strftime("%d").tolist() == ["02", "03"]
    assert utc["complete"].tolist() == [True, False]  # the 3rd ends at midnight UTC
    berlin = active_users(events, window_days=1, timezone="Europe/Berlin")
    assert berlin["date"].dt.strftime("%d").tolist() == ["02", "03", "04"]
    assert berlin["complete"].tolist() == [True, True, False]
    assert str(berlin.attrs["data_end"]) == "2024-01-04 00:30:00+01:00"


MONTHS = [
    ("a", "open", "2024-01-10T10:00"),
    ("b", "open", "2024-01-20T10:00"),
    ("a", "open", "2024-02-10T10:00"),
    ("a", "open", "2024-03-15T12:00"),
]


def test_data_ending_mid_month_leaves_that_month_in_progress(load: Loader) -> None:
    result = churn(load(frame(MONTHS)), period="month")
    assert result["period"].dt.strftime("%m").tolist() == ["01", "02", "03"]
    assert result["complete"].tolist() == [True, True, False]
    assert result["churn_rate"].tolist()[1:] == [0.5, 0.0]


def test_a_date_to_before_the_data_end_leaves_the_last_period_complete(load: Loader) -> None:
    events = load(frame(MONTHS))
    # The data goes on to 15 March, so February (the last period asked for) is complete.
    for date_to in ("2024-02-29", "2024-02-15", "2024-02-15T08:00"):
        result = churn(events, period="month", date_to=date_to)
        assert result["complete"].tolist() == [True, True], date_to
    daily = active_users(events, date_from="2024-02-09", date_to="2024-02-10")
    assert daily["complete"].tolist() == [True, True]


def test_as_of_sets_the_data_end_and_the_end_of_the_range(load: Loader) -> None:
    events = load(frame(MONTHS))
    # A date alone is the whole day: the export covers all of March.
    whole = churn(events, period="month", as_of="2024-03-31")
    assert whole["complete"].tolist() == [True, True, True]
    assert whole.attrs["data_end"] == pd.Timestamp("2024-04-01", tz="UTC")
    # An earlier as_of ends the range there; a naive time is read in the analysis zone.
    early = churn(events, period="month", as_of="2024-02-10T12:00", timezone="Asia/Kolkata")
    assert early["period"].dt.strftime("%m").tolist() == ["01", "02"]
    assert early["complete"].tolist() == [True, False]
    assert str(early.attrs["data_end"]) == "2024-02-10 12:00:00+05:30"


def test_stickiness_with_no_complete_period_has_no_rows_but_says_so(load: Loader) -> None:
    events = load(frame([("a", "open", "2024-01-03T10:00"), ("b", "open", "2024-01-04T10:00")]))
    weekly = stickiness(events, period="week")
    assert weekly.empty
    assert (weekly.attrs["buckets_total"], weekly.attrs["buckets_complete"]) == (1, 0)
    running = stickiness(events, period="week", include_incomplete=True)
    assert running[["users", "buckets_total", "buckets_complete"]].values.tolist() == [[2, 1, 0]]
    assert running["complete"].tolist() == [False]


@pytest.mark.parametrize("fn", [lifecycle, stickiness, active_users, churn, dau_mau])
def test_a_bad_as_of_is_a_parameter_error(fn: object) -> None:
    with pytest.raises(ParameterError, match="as_of 'soon' is not a date or time"):
        fn(frame(LOG), as_of="soon")  # type: ignore[operator]


def test_event_counts_and_property_columns(load: Loader) -> None:
    events = load(frame(LOG))
    counts = event_counts(events)
    assert counts.values.tolist() == [["open", 6, 4], ["buy", 2, 2]]
    assert property_columns(events) == ["plan"]


@pytest.mark.parametrize("fn", [lifecycle, stickiness, active_users, churn, dau_mau])
def test_bad_time_zone_and_inverted_range(fn: object) -> None:
    events = frame(LOG)
    with pytest.raises(ParameterError, match="unknown time zone"):
        fn(events, timezone="Europe/Berln")  # type: ignore[operator]
    with pytest.raises(ParameterError, match="after date_to"):
        fn(events, date_from="2024-01-05", date_to="2024-01-01")  # type: ignore[operator]


def test_window_days_and_min_events_must_be_positive() -> None:
    with pytest.raises(ParameterError, match="window_days"):
        active_users(frame(LOG), window_days=0)
    with pytest.raises(ParameterError, match="min_events"):
        stickiness(frame(LOG), min_events=0)


@pytest.mark.parametrize("module", ["retention", "lifecycle", "engagement", "churn", "events"])
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"prodops.metrics.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
