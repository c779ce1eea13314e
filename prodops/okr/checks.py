"""What a key result or an objective must satisfy before it is written (:mod:`prodops.okr.crud`):
a binding's both halves, its metric, parameters, dataset and unit; text within its column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import SQLModel

from prodops.errors import NotFoundError, ParameterError
from prodops.metrics import registry
from prodops.okr import params, rules, units
from prodops.okr.models import text_limits

BINDING_FIELDS = ("binding_dataset", "binding_metric", "binding_params")
BINDING_INPUTS = {*BINDING_FIELDS, "unit", "start_value", "target_value"}


def blank_binding_is_none(source: SQLModel | Mapping[str, Any]) -> dict[str, Any]:
    """Blank binding fields are stored as NULL (no binding), so "" and None cannot differ."""
    values = source.model_dump() if isinstance(source, SQLModel) else source
    return {k: None for k in BINDING_FIELDS if k in values and not (values[k] or "").strip()}


def check_binding(values: Mapping[str, Any], datasets: Mapping[str, str] | None) -> str | None:
    """Validate a key result's binding (both halves, the metric, its parameters, the dataset,
    the unit); return the unit."""
    metric, dataset = values.get("binding_metric"), values.get("binding_dataset")
    if bool(metric) != bool(dataset):
        raise ParameterError(
            "a binding needs both a metric and the dataset it reads",
            where="binding",
            fix="Choose the dataset too, or set the metric to '(not bound)'.",
        )
    if metric and _declared_bindable(metric):
        params.check_params(metric, values.get("binding_params"))
        params.check_dataset(metric, str(dataset), datasets)
    else:  # no binding, or a metric the registry does not declare: a refresh reports it
        params.parse_params(values.get("binding_params"))
    return units.check_binding(
        metric=metric,
        params=values.get("binding_params"),
        unit=values.get("unit"),
        start=float(values["start_value"]),
        target=float(values["target_value"]),
    )


def check_lengths(model: type[SQLModel], values: Mapping[str, Any]) -> None:
    """Refuse text longer than its column (a clear ParameterError, not a database error)."""
    for name, limit in text_limits(model).items():
        value = values.get(name)
        if isinstance(value, str):
            rules.validate_length(value, field=name.replace("_", " "), limit=limit)


def _declared_bindable(metric: str) -> bool:
    """Whether the registry declares *metric* (ParameterError if it does, but not bindable)."""
    try:
        declared = registry.get(metric)
    except NotFoundError:
        return False
    if not declared.bindable:
        names = ", ".join(m.name for m in registry.bindable())
        raise ParameterError(
            f"a key result cannot follow {metric}", where="binding", fix=f"Use one of: {names}."
        )
    return True
