"""Charts of segments side by side: one retention curve per breakdown value, active users and
lifecycle per value (specs checked through ``to_dict``, their frames by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics.helpers import frame
from prodops.metrics import active_users, lifecycle, retention
from prodops.metrics.breakdown_charts import breakdown_parts
from prodops.metrics.engagement_charts import (
    active_users_frame,
    build_active_users_chart,
    build_lifecycle_chart,
)
from prodops.metrics.retention_charts import (
    build_retention_breakdown_chart,
    retention_breakdown_frame,
)

# Day 1: p1, p2 (pro), t1 (team), n1 (no plan); day 2: p1 and t1 back; data ends day 3.
EVENTS = frame(
    [
        ("p1", "x", "2024-01-01T10:00", "pro"),
        ("p2", "x", "2024-01-01T10:00", "pro"),
        ("t1", "x", "2024-01-01T10:00", "team"),
        ("n1", "x", "2024-01-01T10:00", None),
        ("p1", "x", "2024-01-02T10:00", "pro"),
        ("t1", "x", "2024-01-02T10:00", "team"),
        ("t1", "x", "2024-01-03T10:00", "team"),
    ]
)


def test_one_curve_per_value_weighted_by_cohort_size() -> None:
    r = retention(EVENTS, period="day", date_from="2024-01-01", breakdown="plan")
    data = retention_breakdown_frame(r)
    assert list(dict.fromkeys(data["value"])) == ["pro", "team", "(not set)"]
    pro = data[data["value"] == "pro"]
    assert pro["rate"].tolist() == [1.0, 0.5]  # day 2 of 3: day 2 complete, day 3 not
    assert pro["label"].iloc[0] == "pro · 2 users"
    team = data[data["value"] == "team"]
    assert team["rate"].tolist() == [1.0, 1.0]
    running = retention_breakdown_frame(r, include_incomplete=True)
    assert running[running["value"] == "team"]["rate"].tolist() == [1.0, 1.0, 1.0]


def test_breakdown_chart_spec_colours_by_value_in_size_order() -> None:
    r = retention(EVENTS, period="day", date_from="2024-01-01", breakdown="plan")
    spec = build_retention_breakdown_chart(r, breakdown="plan", period="day").to_dict()
    assert spec["encoding"]["color"]["field"] == "label"
    assert spec["encoding"]["color"]["title"] == "plan"
    assert spec["encoding"]["color"]["sort"] == [
        "pro · 2 users",
        "team · 1 user",
        "(not set) · 1 user",
    ]
    assert spec["title"]["text"] == "Retention by value"


def test_breakdown_chart_needs_a_breakdown_frame() -> None:
    with pytest.raises(Exception, match="breakdown"):
        retention_breakdown_frame(pd.DataFrame({"cohort": [], "offset": [], "rate": []}))


def test_active_users_and_lifecycle_per_value() -> None:
    by_value = active_users(EVENTS, breakdown="plan", breakdown_limit=1)
    parts = breakdown_parts(by_value)
    assert list(parts) == ["pro", "other"]
    assert parts["pro"]["users"].tolist() == [2, 1, 0]
    assert parts["other"]["users"].tolist() == [2, 1, 1]
    assert parts["pro"].attrs["data_end"] == by_value.attrs["data_end"]
    data = active_users_frame(parts)
    spec = build_active_users_chart(data, title="Active users by plan", legend="plan").to_dict()
    assert spec["encoding"]["color"]["title"] == "plan"
    assert spec["encoding"]["color"]["sort"] == ["pro", "other"]
    lives = breakdown_parts(lifecycle(EVENTS, period="day", breakdown="plan"))
    assert lives["team"][["new", "returning", "dormant"]].to_numpy().tolist() == [
        [1, 0, 0],
        [0, 1, 0],
        [0, 1, 0],
    ]
    spec = build_lifecycle_chart(lives["pro"], period="day", title="Lifecycle · pro").to_dict()
    assert spec["title"]["text"] == "Lifecycle · pro"
