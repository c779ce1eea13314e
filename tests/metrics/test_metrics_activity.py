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
    ]
    assert result["start"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")
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
    exact = stickiness(events, period="day")
    assert list(exact.columns) == ["active_periods", "users", "buckets_total"]
    assert exact["users"].tolist() == [2, 1, 1, 0, 0, 0]  # c, d: 1 day; b: 2; a: 3
    assert exact["buckets_total"].tolist() == [6] * 6
    at_least = stickiness(events, period="day", cumulative=True)
    assert at_least["users"].tolist() == [4, 2, 1, 0, 0, 0]


def test_stickiness_min_events_and_period_count(load: Loader) -> None:
    events = load(frame(LOG))
    assert stickiness(events, period="day", min_events=2)["users"].tolist() == [1, 0, 0, 0, 0, 0]
    # 2-day periods counted back from the truncated date_to (day 6 starts the last one):
    # [31 Dec-1], [2-3], [4-5], [6-7]; a in three, b in two, c and d in one
    two = stickiness(events, period="day", period_count=2)
    assert two["users"].tolist() == [2, 1, 1, 0]
    assert two["buckets_total"].tolist() == [4, 4, 4, 4]
    anchored = stickiness(events, period="day", period_count=2, date_from="2024-01-02")
    # [2-3], [4-5], [6-7]: a in [2-3] and [6-7]; b, c in [2-3]; d in [6-7]
    assert anchored["users"].tolist() == [3, 1, 0]


def test_active_users_rolling_window_uses_history(load: Loader) -> None:
    events = load(frame(LOG))
    dau = active_users(events, window_days=1)
    assert list(dau.columns) == ["date", "users"]
    assert dau["date"].dt.strftime("%Y-%m-%d").tolist() == [f"2024-01-0{d}" for d in range(1, 7)]
    assert dau["users"].tolist() == [2, 1, 2, 0, 0, 2]
    wau = active_users(events, window_days=3, date_from="2024-01-03", date_to="2024-01-06")
    assert wau["users"].tolist() == [3, 3, 2, 2]  # day 3 window: days 1-3 (a, b, c)


def test_dau_mau_ratio(load: Loader) -> None:
    result = dau_mau(load(frame(LOG)), date_from="2024-01-05", date_to="2024-01-06")
    assert list(result.columns) == ["date", "dau", "mau", "ratio"]
    assert result["dau"].tolist() == [0, 2]
    assert result["mau"].tolist() == [3, 4]
    assert result["ratio"].tolist() == [0.0, 0.5]


def test_active_users_in_a_local_zone(load: Loader) -> None:
    # c's 23:59:59 UTC on 3 January is 00:59:59 on the 4th in Berlin.
    result = active_users(
        load(frame(LOG)), timezone="Europe/Berlin", date_from="2024-01-03", date_to="2024-01-04"
    )
    assert result["users"].tolist() == [1, 1]


def test_churn_per_period(load: Loader) -> None:
    result = churn(load(frame(LOG)), period="day")
    assert list(result.columns) == ["period", "active_start", "churned", "churn_rate"]
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
