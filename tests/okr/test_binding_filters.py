"""Key results bound to a metric with filters (issue 12): the stored JSON may hold today's
``{"plan": "pro"}`` mapping or a list of ``[column, operator, value]`` conditions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest

from prodops.okr.readings import Window, active_users_value, churn_value

# 2 January: a (pro), b (team) and c (free) are active; on the 3rd a only; the data runs on.
EVENTS = pd.DataFrame(
    {
        "user_id": ["a", "b", "c", "a", "z"],
        "event": ["open"] * 5,
        "timestamp": pd.to_datetime(
            ["2024-01-02 10:00", "2024-01-02 11:00", "2024-01-02 12:00", "2024-01-03 09:00",
             "2024-01-04 01:00"], utc=True
        ),
        "plan": ["pro", "team", "free", "pro", None],
    }
)  # fmt: skip
WINDOW = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 31), as_of=dt.date(2024, 1, 2))


@pytest.mark.parametrize(
    ("where", "users"),
    [
        (None, 3),
        ({"plan": "pro"}, 1),
        ([["plan", "=", "pro"], ["plan", "=", "team"]], 2),  # OR within a column
        ([["plan", "!=", "free"]], 2),
        ([["plan", "?"]], 3),
    ],
)
def test_active_users_binding_reads_stored_filters(where: Any, users: int) -> None:
    params = json.loads(json.dumps({"window_days": 1, "where": where}))  # as stored
    assert active_users_value(EVENTS, WINDOW, params).value == users


def test_churn_binding_ignores_a_breakdown() -> None:
    window = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 31), as_of=dt.date(2024, 1, 3))
    params = {"period": "day", "breakdown": "plan", "breakdown_limit": 1}
    # 3 January: of a, b, c active on the 2nd, only a is back: 2 of 3 churned
    assert churn_value(EVENTS, window, params).value == pytest.approx(2 / 3)
