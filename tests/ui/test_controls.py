"""The control groups return typed parameters whose names and choices are the registry's."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from prodops.metrics import registry
from prodops.metrics.filters import Condition
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


def test_as_kwargs_gives_the_fields_and_keeps_the_filters() -> None:
    where = (Condition("plan", "=", "pro"), Condition("plan", "=", "team"))
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
        "breakdown": None,
        "breakdown_limit": 5,
    }
    shared = controls.EngagementParams(
        event="open",
        where=where,
        date_from=date(2024, 1, 1),
        date_to=date(2024, 1, 31),
        timezone="UTC",
    )
    kwargs = shared.as_kwargs()
    # the conditions themselves (frozen), not dicts: the metrics and the cache read them
    assert kwargs["where"] == where and kwargs["where"][0] == Condition("plan", "=", "pro")
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.event = "buy"  # type: ignore[misc]


def test_period_choices_are_slices_of_the_registry_periods() -> None:
    assert controls.period_choices("day", "month") == ("day", "week", "month")
    assert controls.period_choices("week", "month") == ("week", "month")
    assert controls.period_choices("hour", "month") == registry.PERIODS


@pytest.mark.parametrize(
    ("op", "values", "text", "expected"),
    [
        ("=", ["pro", "team"], "", ["plan=pro", "plan=team"]),
        ("!=", ["free"], "", ["plan!=free"]),
        ("=", [], "", []),  # nothing chosen yet: no filter
        ("~", [], " @acme ", ["plan~@acme"]),
        (">=", ["ignored"], "100", ["plan>=100"]),
        ("<", [], "  ", []),
        ("?", ["ignored"], "x", ["plan?"]),
        ("!?", [], "", ["plan!?"]),
    ],
)
def test_filter_row_gives_conditions(
    op: str, values: list[str], text: str, expected: list[str]
) -> None:
    got = controls.filter_conditions("plan", op, values, text)
    assert [str(c) for c in got] == expected


def test_every_filter_operator_is_offered_with_a_label() -> None:
    from prodops.metrics.filters import OPERATOR_LABELS, OPERATORS

    assert set(controls.FILTER_OPERATORS) == set(OPERATORS)
    assert all(OPERATOR_LABELS[o] for o in controls.FILTER_OPERATORS)


def test_segment_choices_list_offered_columns_first() -> None:
    choices = controls.SegmentChoices(("plan",), ("uuid",), (("uuid", "identifier"),))
    assert choices.columns == ["plan", "uuid"]
    assert choices.label("uuid") == "uuid · identifier" and choices.label("plan") == "plan"
