"""The parameters of a metric binding: which a bound metric takes, and checking them when set.

A binding's parameters (stored as a JSON object) are the metric's own options from the registry
(:mod:`prodops.metrics.registry`), less those a refresh sets itself (:data:`RANGE_PARAMS`: the
range, the data end, a breakdown), plus the binding's own (:data:`BINDING_ONLY`: the retention
``offset``, the revenue ``column``). :func:`check_params` refuses, when a binding is set, what a
refresh would otherwise ignore or fail on much later: a name the metric does not take, a value of
the wrong type, a choice outside its vocabulary. :func:`check_dataset` refuses a dataset that is
not in the catalog, or of the wrong kind for the metric.

Examples
--------
>>> check_params("active_users", '{"window_days": 7}')
{'window_days': 7}
>>> check_params("active_users", '{"window_days": "seven"}')
Traceback (most recent call last):
prodops.errors.ParameterError: binding params: window_days must be a whole number, not 'seven'. \
Write it as in {"window_days": 7} (no quotes).
>>> check_params("active_users", '{"bogus": 1}')
Traceback (most recent call last):
prodops.errors.ParameterError: binding params: active_users takes no parameter 'bogus'. It ...
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from prodops.errors import ParameterError, did_you_mean
from prodops.metrics import registry

WHERE = "binding params"
# Parameters a binding never passes on: the refresh sets the range and the data end itself, and a
# key result reads one number: never a breakdown.
RANGE_PARAMS = frozenset(
    {
        "date_from",
        "date_to",
        "periods",
        "breakdown",
        "breakdown_limit",
        "as_of",
        "include_incomplete",
    }
)
# The binding's own parameters (read by prodops.okr.readings), beyond the metric's options.
BINDING_ONLY: dict[str, tuple[registry.Param, ...]] = {
    "retention": (
        registry.Param("offset", "int", 1, "the retention cell read: 1 = one period later"),
    ),
    "revenue": (registry.Param("column", "str", "nrr", "the column read (default nrr)"),),
}
_TYPE_WORDS = {
    "int": "a whole number",
    "str": "a text",
    "bool": "true or false",
    "date": "an ISO date (YYYY-MM-DD)",
    "where": "filters",
}
_MINIMUM = {"offset": 0}  # whole-number parameters are counts of at least 1, except these
_EXAMPLES = {"int": "7", "str": '"text"', "bool": "true", "date": '"2026-10-01"'}


def binding_params(metric: str) -> dict[str, registry.Param]:
    """The parameters a binding of *metric* takes, by name (NotFoundError for an unknown metric).

    >>> sorted(binding_params("churn"))
    ['event', 'period', 'timezone', 'week_start', 'where']
    """
    declared = registry.get(metric)
    own = [p for p in declared.params if not p.output_only and p.name not in RANGE_PARAMS]
    return {p.name: p for p in (*own, *BINDING_ONLY.get(declared.name, ()))}


def parse_params(params: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """A binding's parameters as a dict; ParameterError for text that is not a JSON object."""
    if isinstance(params, Mapping):
        return dict(params)
    if params is None or not params.strip():
        return {}
    try:
        parsed = json.loads(params)
    except json.JSONDecodeError as error:
        raise ParameterError(
            f"metric parameters are not valid JSON ({error.msg})",
            where=WHERE,
            fix='Write a JSON object such as {"window_days": 7}.',
        ) from None
    if not isinstance(parsed, dict):
        raise ParameterError(
            "metric parameters must be a JSON object",
            where=WHERE,
            fix='Write a JSON object such as {"window_days": 7}, or leave it blank.',
        )
    return parsed


def check_params(metric: str, params: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Return the parameters of a binding of *metric*, or raise ParameterError naming the first
    one that is unknown, set by the refresh itself, of the wrong type or outside its choices."""
    values = parse_params(params)
    known = binding_params(metric)
    for name, value in values.items():
        if name in RANGE_PARAMS:
            raise ParameterError(
                f"{name} is set by the refresh itself (the objective's period and the data end)",
                where=WHERE,
                fix=f"Remove {name!r}; a key result reads one number over its period.",
            )
        param = known.get(name)
        if param is None:
            hint = did_you_mean(name, known)
            names = f"It takes: {', '.join(sorted(known))}."
            raise ParameterError(
                f"{metric} takes no parameter {name!r}",
                where=WHERE,
                fix=f"{hint} {names}" if hint else names,
            )
        _check_value(param, value)
    return values


def _check_value(param: registry.Param, value: Any) -> None:
    """Raise ParameterError when *value* is not of *param*'s type (or not one of its choices)."""
    if value is None:
        return  # the metric's default
    if param.type == "where":
        _check_where(param.name, value)
        return
    if not _fits(param.type, value):
        shown = json.dumps(param.choices[0]) if param.choices else _EXAMPLES[param.type]
        example = f"{{{json.dumps(param.name)}: {shown}}}"
        quotes = " (no quotes)" if param.type in ("int", "bool") and isinstance(value, str) else ""
        raise ParameterError(
            f"{param.name} must be {_TYPE_WORDS[param.type]}, not {value!r}",
            where=WHERE,
            fix=f"Write it as in {example}{quotes}.",
        )
    if param.type == "int" and value < _MINIMUM.get(param.name, 1):
        least = _MINIMUM.get(param.name, 1)
        raise ParameterError(
            f"{param.name} must be {least} or more, not {value}",
            where=WHERE,
            fix=f"Use {least} or more ({param.help}).",
        )
    if param.name == "timezone":
        _check_zone(value)
    if param.choices and value not in param.choices:
        choices = ", ".join(param.choices)
        raise ParameterError(
            f"{param.name} {value!r} is not one of {choices}",
            where=WHERE,
            fix=did_you_mean(str(value), param.choices) or f"Use one of: {choices}.",
        )


def _fits(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return False
        return isinstance(value, str)
    return isinstance(value, str)


def _check_zone(name: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            f"timezone {name!r} is not a time zone",
            where=WHERE,
            fix="Use an IANA name such as 'Europe/Berlin' or 'UTC'.",
        ) from None


def _check_where(name: str, value: Any) -> None:
    """Filters: ``{"plan": "pro"}`` or ``[["amount", ">=", 100], "plan?"]``."""
    from prodops.metrics import filters  # Ibis: imported only for a binding that filters

    if not isinstance(value, dict | list):
        raise ParameterError(
            f"{name} must be an object or a list of conditions, not {value!r}",
            where=WHERE,
            fix=f'Write {{"{name}": {{"plan": "pro"}}}} or {{"{name}": [["amount", ">=", 100]]}}.',
        )
    filters.conditions(value)  # a malformed condition raises ParameterError naming it


def check_dataset(metric: str, dataset: str, datasets: Mapping[str, str] | None) -> None:
    """Raise ParameterError when *dataset* is not among *datasets* (name -> kind) or is not of
    the kind *metric* reads. Without *datasets* (no catalog at hand) nothing is checked.

    >>> check_dataset("active_users", "demo-event", {"demo-events": "events"})
    Traceback (most recent call last):
    prodops.errors.ParameterError: binding: there is no dataset 'demo-event'. Did you mean ...
    """
    if datasets is None:
        return
    kind = registry.get(metric).kind
    if dataset not in datasets:
        fitting = sorted(name for name, of in datasets.items() if of == kind)
        listed = (
            f"Datasets of {kind}: {', '.join(fitting)}."
            if fitting
            else f"Import a dataset of {kind} first (Data page)."
        )
        hint = did_you_mean(dataset, sorted(datasets))
        raise ParameterError(
            f"there is no dataset {dataset!r}",
            where="binding",
            fix=f"{hint} {listed}" if hint else listed,
        )
    if datasets[dataset] != kind:
        raise ParameterError(
            f"{metric} reads {kind} data, but {dataset!r} holds {datasets[dataset]}",
            where="binding",
            fix=f"Choose a dataset of {kind}.",
        )
