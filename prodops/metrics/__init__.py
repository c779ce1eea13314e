"""Metrics, each written once as an Ibis expression and executed where the data lives.

Every function takes an ``ibis.Table`` (DuckDB, PostgreSQL or any Ibis backend) or a pandas
frame with the canonical event (or subscription) columns and returns a small tidy pandas frame.

The package is lazy (PEP 562): ``prodops.metrics.retention`` imports Ibis and pandas only when
first used, so ``import prodops.metrics.registry`` (read by ``prodops --help``) stays light.
As before, ``prodops.metrics.retention`` (and ``churn``, ``lifecycle``, ``revenue``) is the
*function*, even after its submodule was imported: the import system's binding of the submodule
on the package is replaced by the function of the same name.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodops.metrics.churn import churn
    from prodops.metrics.engagement import active_users, dau_mau, stickiness
    from prodops.metrics.events import event_counts, property_columns
    from prodops.metrics.lifecycle import lifecycle
    from prodops.metrics.retention import retention, retention_average
    from prodops.metrics.revenue import (
        REVENUE_FORMULAS,
        customer_movements,
        revenue,
        revenue_cohorts,
    )

# public name -> the submodule that defines it
_EXPORTS: dict[str, str] = {
    "REVENUE_FORMULAS": "revenue",
    "active_users": "engagement",
    "churn": "churn",
    "customer_movements": "revenue",
    "dau_mau": "engagement",
    "event_counts": "events",
    "lifecycle": "lifecycle",
    "property_columns": "events",
    "retention": "retention",
    "retention_average": "retention",
    "revenue": "revenue",
    "revenue_cohorts": "revenue",
    "stickiness": "engagement",
}

__all__ = [
    "REVENUE_FORMULAS",
    "active_users",
    "churn",
    "customer_movements",
    "dau_mau",
    "event_counts",
    "lifecycle",
    "property_columns",
    "retention",
    "retention_average",
    "revenue",
    "revenue_cohorts",
    "stickiness",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _LazyPackage(types.ModuleType):
    """Keeps the exported function when the import system binds a same-named submodule."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _LazyPackage
