"""The control groups return typed parameters whose names and choices are the registry's."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from prodops.metrics import registry
from prodops.ui import controls


@pytest.mark.parametrize(
    ("params", "metric"),
    [
        (controls.RetentionParams, "retention"),
        (controls.EngagementParams, "active_users"),
        (controls.LifecycleParams, "lifecycle"),
        (controls.StickinessParams, "stickiness"),
        (controls.RevenueParams, "revenue"),
        (controls.ChurnParams, "churn"),
    ],
)
def test_every_field_is_a_parameter_of_the_metric(params: type, metric: str) -> None:
    declared = {p.name for p in registry.get(metric).params}
    assert {f.name for f in dataclasses.fields(params)} <= declared


def test_as_kwargs_gives_the_fields_and_copies_the_filters() -> None:
    where = {"plan": "pro"}
    params = controls.ChurnParams(
        period="week",
        event=None,
        date_from=date(2024, 1, 1),
        date_to=date(2024, 2, 1),
        timezone="UTC",
    )
    assert params.as_kwargs() == {
        "period": "week",
        "event": None,
        "date_from": date(2024, 1, 1),
        "date_to": date(2024, 2, 1),
        "timezone": "UTC",
    }
    shared = controls.EngagementParams(
        event="open",
        where=where,
        date_from=date(2024, 1, 1),
        date_to=date(2024, 1, 31),
        timezone="UTC",
    )
    kwargs = shared.as_kwargs()
    kwargs["where"]["plan"] = "free"
    assert shared.where == {"plan": "pro"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.event = "buy"  # type: ignore[misc]


def test_period_choices_are_slices_of_the_registry_periods() -> None:
    assert controls.period_choices("day", "month") == ("day", "week", "month")
    assert controls.period_choices("week", "month") == ("week", "month")
    assert controls.period_choices("hour", "month") == registry.PERIODS
