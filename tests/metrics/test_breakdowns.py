"""Segments side by side: the top N values of a breakdown by users, the rest as "other", for
retention, lifecycle, active users and churn (worked by hand; DuckDB and PostgreSQL).

Seven users on 1 January 2024: p1, p2, p3 on plan pro, t1, t2 on team, f1 on free, n1 with no
plan. On 2 January p1, t1 and f1 come back (f1 with one event on free and one with no plan); on
3 January at noon p2 comes back; the data ends there, so 3 January is in progress.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd
import pytest

from metrics.helpers import Loader, frame
from prodops.errors import ParameterError
from prodops.metrics import active_users, churn, lifecycle, retention
from prodops.metrics.breakdowns import top_values

DAY1, DAY2, DAY3 = "2024-01-01T10:00", "2024-01-02T10:00", "2024-01-03T12:00"
PLANS = {"p1": "pro", "p2": "pro", "p3": "pro", "t1": "team", "t2": "team", "f1": "free"}
ROWS = [
    *[(u, "open", DAY1, PLANS.get(u)) for u in ["p1", "p2", "p3", "t1", "t2", "f1", "n1"]],
    ("p1", "open", DAY2, "pro"),
    ("t1", "open", DAY2, "team"),
    ("f1", "open", DAY2, "free"),
    ("f1", "open", DAY2, None),
    ("p2", "open", DAY3, "pro"),
]


@pytest.fixture
def events(load: Loader) -> ibis.Table:
    return load(frame(ROWS))


def series(result: pd.DataFrame, value: Any, column: str) -> list[Any]:
    return result[result["breakdown"] == value][column].tolist()


def test_values_rank_by_users_and_the_rest_is_other(events: ibis.Table) -> None:
    # pro 3 users; team 2; no plan 2 (n1, f1); free 1. Ties: a named value before the missing one.
    assert top_values(events, "plan", limit=5).values == ["pro", "team", None, "free"]
    assert top_values(events, "plan", limit=2).values == ["pro", "team", "other"]
    assert top_values(events, "plan", limit=3).values == ["pro", "team", None, "other"]
    assert top_values(events, "plan", limit=None).values == ["pro", "team", None, "free"]


def test_retention_per_value_with_other(events: ibis.Table) -> None:
    r = retention(events, period="day", date_from="2024-01-01", breakdown="plan", breakdown_limit=2)
    assert list(dict.fromkeys(r["breakdown"])) == ["pro", "team", "other"]
    first = r[r["cohort"] == r["cohort"].min()]
    assert series(first, "pro", "count") == [3, 1, 1]
    assert series(first, "team", "count") == [2, 1, 0]
    # other = free + no plan: f1 and n1, f1 back on day 2 (counted once although two values)
    assert series(first, "other", "count") == [2, 1, 0]
    assert series(first, "pro", "complete") == [True, True, False]


def test_lifecycle_per_value_with_other(events: ibis.Table) -> None:
    got = lifecycle(events, period="day", breakdown="plan", breakdown_limit=2)
    assert list(got.columns[:2]) == ["breakdown", "start"]
    assert list(dict.fromkeys(got["breakdown"])) == ["pro", "team", "other"]
    kinds = ["new", "returning", "resurrecting", "dormant"]

    def rows(value: str) -> list[list[int]]:
        return got[got["breakdown"] == value][kinds].to_numpy().tolist()

    assert rows("pro") == [[3, 0, 0, 0], [0, 1, 0, 2], [0, 0, 1, 1]]
    assert rows("team") == [[2, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 1]]
    assert rows("other") == [[2, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 1]]
    assert series(got, "other", "complete") == [True, True, False]
    assert got.attrs["data_end"] == pd.Timestamp(DAY3, tz="UTC")


def test_active_users_per_value_with_other(events: ibis.Table) -> None:
    got = active_users(events, breakdown="plan", breakdown_limit=2)
    assert series(got, "pro", "users") == [3, 1, 1]
    assert series(got, "team", "users") == [2, 1, 0]
    assert series(got, "other", "users") == [2, 1, 0]  # f1 once on day 2
    assert series(got, "team", "complete") == [True, True, False]
    # two-day windows: pro on day 3 counts p1 (day 2) and p2 (day 3)
    wide = active_users(events, window_days=2, breakdown="plan", breakdown_limit=2)
    assert series(wide, "pro", "users") == [3, 3, 2]


def test_churn_per_value_with_other(events: ibis.Table) -> None:
    got = churn(events, period="day", breakdown="plan", breakdown_limit=2)
    assert series(got, "pro", "active_start") == [0, 3, 1]
    assert series(got, "pro", "churned") == [0, 2, 1]
    assert series(got, "team", "churned") == [0, 1, 1]
    assert series(got, "other", "active_start") == [0, 2, 1]
    assert series(got, "pro", "churn_rate")[1] == pytest.approx(2 / 3)


def test_without_breakdown_the_frames_keep_their_columns(events: ibis.Table) -> None:
    assert "breakdown" not in churn(events, period="day").columns
    assert "breakdown" not in active_users(events).columns
    assert lifecycle(events, period="day")["new"].tolist() == [7, 0, 0]


def test_the_other_label_never_merges_with_a_real_value(load: Loader) -> None:
    rows = [("a", "x", DAY1, "other"), ("b", "x", DAY1, "other"), ("c", "x", DAY1, "free")]
    rows += [("d", "x", DAY1, "pro")]
    split = top_values(load(frame(rows)), "plan", limit=1)
    assert split.values == ["other", "other (plan)"]


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_a_bad_limit_is_refused(events: ibis.Table, limit: Any) -> None:
    with pytest.raises(ParameterError, match="breakdown_limit"):
        churn(events, breakdown="plan", breakdown_limit=limit)
