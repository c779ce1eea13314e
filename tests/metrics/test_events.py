"""Event counts and the frequent values of a property column (the filter pickers' choices)."""

from __future__ import annotations

import pandas as pd

from prodops.metrics.events import property_values


def test_property_values_are_the_most_frequent_first_ties_by_value() -> None:
    frame = pd.DataFrame({"plan": ["pro", "free", "pro", None, "team", "free", "pro", "basic"]})
    assert property_values(frame, "plan", limit=10) == ["pro", "free", "basic", "team"]
    assert property_values(frame, "plan", limit=2) == ["pro", "free"]


def test_property_values_are_text_and_a_missing_column_gives_none() -> None:
    frame = pd.DataFrame({"seats": [3, 3, 10]})
    assert property_values(frame, "seats") == ["3", "10"]
    assert property_values(frame, "country") == []
