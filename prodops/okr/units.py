"""Units of metric-bound key results: what a binding reads, and how it is stored.

A binding records the unit of the metric value it reads, from the registry
(:meth:`prodops.metrics.registry.Metric.unit_of`): ``ratio`` (retention, churn, NRR: 0.62 means
62 %), ``count`` (active users) or ``money`` (MRR, ARPA). A ratio refreshed into a key result
whose unit is a percentage (``%``, ``% of users``, ``percent``, ``pct``) is stored in percent:
0.62 becomes 62. Nothing else is converted.

Some combinations cannot be right and are refused when the binding is set (and when a refresh
runs, for bindings set before this rule): a key result in percent bound to a count or an amount
of money, and a key result with no percent unit whose start or target is above
:data:`RATIO_LIMIT` bound to a ratio (55 to 65 is percent written without its unit; the ratio
0.5059 would read as no progress at all).

Examples
--------
>>> binding_unit("retention", {"offset": 1})
'ratio'
>>> scale("ratio", "%"), scale("ratio", "users"), scale("count", "%")
(100.0, 1.0, 1.0)
>>> conversion_text("retention", {"offset": 1}, "%")
'week-1 retention is a ratio; 0.62 is stored as 62 %'
>>> check_binding(metric="retention", params={}, unit="", start=55, target=65)
Traceback (most recent call last):
prodops.errors.ParameterError: binding: week-1 retention is a ratio (0.62 means 62 %), but this \
key result runs from 55 to 65. Set its unit to % (a refresh then stores 62), or give the start \
and target as ratios (0.55 and 0.65).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from prodops.errors import NotFoundError, ParameterError, ProdOpsError, did_you_mean
from prodops.metrics import registry
from prodops.okr.params import check_params

PERCENT_WORDS = ("percent", "percentage", "pct", "per cent")
RATIO_LIMIT = 10.0  # a ratio target above 10 (1000 %) is percent written without its unit
DEFAULT_COLUMNS: dict[str, str] = {"revenue": "nrr"}  # the column a binding reads by default
# Units that count things (a check-in in them is never negative), singular or plural.
COUNT_WORDS = (
    "#",
    "count",
    "user",
    "customer",
    "account",
    "person",
    "people",
    "member",
    "seat",
    "session",
    "event",
    "signup",
    "sign-up",
    "order",
    "subscriber",
    "visit",
    "visitor",
    "download",
    "install",
    "lead",
    "deal",
    "ticket",
    "team",
    "company",
    "companies",
    "workspace",
)
_UNIT_WORDS = {"ratio": "a ratio", "count": "a count", "money": "an amount of money"}
_REVENUE_LABELS = {"nrr": "NRR", "grr": "GRR", "arpa": "ARPA", "mrr_end": "MRR"}
_ACTIVE_LABELS = {1: "daily active users", 7: "weekly active users", 30: "monthly active users"}


def is_percent(unit: str | None) -> bool:
    """Whether a key result's unit is a percentage.

    >>> [is_percent(u) for u in ("%", "% of users", "Percent", "pct", "users", "", None)]
    [True, True, True, True, False, False, False]
    """
    text = " ".join((unit or "").lower().split())
    return text.startswith("%") or any(
        text == word or text.startswith(word + " ") for word in PERCENT_WORDS
    )


def counts(unit: str | None, binding_unit: str | None = None) -> bool:
    """Whether a key result counts things: bound to a count, or a unit such as "users".

    >>> [counts(u) for u in ("users", "Active users", "#", "customers", "%", "€", "", None)]
    [True, True, True, True, False, False, False, False]
    >>> counts("", "count")
    True
    """
    if binding_unit == "count":
        return True
    words = (unit or "").lower().replace("#", " # ").split()
    return any(w in COUNT_WORDS or w.removesuffix("s") in COUNT_WORDS for w in words)


def params_of(params: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """A binding's parameters as a dict (stored as JSON text; invalid or blank: empty)."""
    if isinstance(params, Mapping):
        return dict(params)
    try:
        parsed = json.loads(params) if params and params.strip() else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def column_of(metric: str, params: Mapping[str, Any] | str | None) -> str | None:
    """The column a binding of *metric* reads (``column`` parameter, else its default)."""
    declared = _declared(metric)
    if declared is None:
        return None
    column = params_of(params).get("column") or DEFAULT_COLUMNS.get(metric) or declared.value
    return str(column)


def binding_unit(
    metric: str | None, params: Mapping[str, Any] | str | None = None
) -> registry.Unit | None:
    """The registry's unit of what a binding reads; None for no binding or an unknown metric.

    A ``column`` the metric does not have is refused (ParameterError naming the close ones).
    """
    declared = _declared(metric)
    if declared is None or metric is None:
        return None
    column = column_of(metric, params)
    if metric in DEFAULT_COLUMNS and column not in {declared.value, *dict(declared.units)}:
        known = [declared.value, *dict(declared.units)]
        raise ParameterError(
            f"{metric} has no column {column!r} a key result can follow",
            where="binding params",
            fix=did_you_mean(str(column), known) or "Use one of: " + ", ".join(known) + ".",
        )
    return declared.unit_of(column)


def scale(unit: str | None, key_result_unit: str | None) -> float:
    """The factor from the metric's value to the key result's: 100 for a ratio into percent."""
    return 100.0 if unit == "ratio" and is_percent(key_result_unit) else 1.0


def metric_label(metric: str, params: Mapping[str, Any] | str | None = None) -> str:
    """What a binding measures, in words ("week-1 retention", "weekly active users", "NRR").

    >>> metric_label("retention", '{"period": "day", "offset": 7}')
    'day-7 retention'
    >>> metric_label("active_users", {"window_days": 7}), metric_label("revenue", {})
    ('weekly active users', 'NRR')
    """
    values = params_of(params)
    if metric == "retention":
        period = values.get("period") or registry.get("retention").param("period").default
        return f"{period}-{values.get('offset', 1)} retention"
    if metric == "active_users":
        days = values.get("window_days", 7)
        if not isinstance(days, int) or isinstance(days, bool):  # refused when set; never a crash
            return "active users"
        return _ACTIVE_LABELS.get(days, f"{days}-day active users")
    if metric in DEFAULT_COLUMNS:
        column = column_of(metric, values) or metric
        return _REVENUE_LABELS.get(column, column.replace("_", " "))
    declared = _declared(metric)
    return declared.title.lower() if declared else metric


def conversion_text(
    metric: str | None, params: Mapping[str, Any] | str | None, key_result_unit: str | None
) -> str:
    """How a refresh stores the bound metric's value in the key result ("" without a binding).

    Parameters the binding cannot take give the message that refuses them instead.
    """
    try:
        if metric:
            check_params(metric, params)
        unit = binding_unit(metric, params)
    except ProdOpsError as error:
        return str(error)
    if metric is None or unit is None:
        return ""
    what = f"{metric_label(metric, params)} is {_UNIT_WORDS[unit]}"
    if unit == "ratio" and is_percent(key_result_unit):
        return f"{what}; 0.62 is stored as 62 %"
    if unit == "ratio":
        return f"{what}; 0.62 is stored as 0.62 (with the unit % it would be stored as 62)"
    return f"{what}, stored as it is"


def check_binding(
    *,
    metric: str | None,
    params: Mapping[str, Any] | str | None,
    unit: str | None,
    start: float,
    target: float,
) -> registry.Unit | None:
    """Return the binding's unit, or raise ParameterError for a unit that cannot be right."""
    found = binding_unit(metric, params)
    if metric is None or found is None:
        return found
    label = metric_label(metric, params)
    if found != "ratio" and is_percent(unit):
        raise ParameterError(
            f"{label} is {_UNIT_WORDS[found]}, so a key result in {unit} cannot follow it",
            where="binding",
            fix="Remove the percent unit, or bind a ratio (retention, churn, NRR).",
        )
    if found == "ratio" and not is_percent(unit) and max(abs(start), abs(target)) > RATIO_LIMIT:
        raise ParameterError(
            f"{label} is a ratio (0.62 means 62 %), but this key result runs from {start:g} to "
            f"{target:g}",
            where="binding",
            fix=f"Set its unit to % (a refresh then stores 62), or give the start and target as "
            f"ratios ({start / 100:g} and {target / 100:g}).",
        )
    return found


def _declared(metric: str | None) -> registry.Metric | None:
    if not metric:
        return None
    try:
        return registry.get(metric)
    except NotFoundError:
        return None
