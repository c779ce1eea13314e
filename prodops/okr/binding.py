"""Key results that update themselves from a metric ("refresh").

A key result may be bound to a dataset of the catalog, a metric and its parameters (JSON). A
refresh opens the dataset, computes the metric over the objective's period up to ``as_of`` and
appends a check-in authored ``"metric refresh"``. When the dataset is gone or the metric fails, the
error text is stored on the key result (``last_refresh_error``) and nothing else changes.

Bindable metrics (``binding_metric``) are the registry's (``prodops.metrics.registry.bindable``);
one without a rule below gives the last value of its headline column. What they return, with
``last_day`` = the earlier of the period's last day and ``as_of``:

========================  ========================================================================
``retention``             average rate at ``offset`` (default 1) of the cohorts that started from
                          the period's start to ``last_day`` (``period`` week, ``cohort``
                          first_time, optional ``start_event`` / ``return_event``)
``active_users``          users active in the ``window_days`` (default 7: WAU) days ending on
                          ``last_day`` (optional ``event``)
``churn``                 user churn rate of the last period (``period`` month) with a value,
                          from the period's start to ``last_day`` (optional ``event``)
``revenue``               a column (``column``, default ``nrr``) of the last period (``period``
                          month) with a value, from the period's start to ``last_day``
========================  ========================================================================

Examples
--------
A key result bound to the weekly active users of a dataset; any object with ``open(name)``
yielding the events serves as the catalog (the app passes :class:`prodops.data.catalog.Catalog`):

>>> import contextlib
>>> import datetime as dt
>>> import tempfile
>>> import pandas as pd
>>> from prodops.okr.crud import create_key_result, create_objective
>>> from prodops.okr.models import KeyResultCreate, ObjectiveCreate
>>> from prodops.store.db import init_store
>>> events = pd.DataFrame({"user_id": ["a", "b", "a"], "event": ["open"] * 3,
...     "timestamp": pd.to_datetime(["2026-10-01", "2026-10-05", "2026-10-06"], utc=True)})
>>> class Datasets:
...     def open(self, name):
...         return contextlib.nullcontext(events)
>>> tmp = tempfile.TemporaryDirectory()
>>> engine = init_store(f"sqlite:///{tmp.name}/store.db")
>>> with write_session(engine) as session:
...     objective = create_objective(session=session, objective_in=ObjectiveCreate(
...         title="Grow", period="2026-Q4",
...         period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 12, 31)))
...     _ = create_key_result(session=session, key_result_in=KeyResultCreate(
...         objective_id=objective.id, title="WAU", start_value=0, target_value=10,
...         binding_dataset="events", binding_metric="active_users",
...         binding_params='{"window_days": 7}'))
>>> refresh_all(engine=engine, as_of=dt.date(2026, 10, 7), period="2026-Q4", catalog=Datasets())
[RefreshOutcome(key_result_id=1, title='WAU', value=2.0, error=None)]
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
from sqlalchemy.engine import Engine

from prodops.errors import NotFoundError, ParameterError, ProdOpsError
from prodops.metrics import registry
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate
from prodops.store.db import read_session, write_session

REFRESH_AUTHOR = "metric refresh"


@dataclass(frozen=True)
class Window:
    """The time a bound key result measures: the objective's period, seen on *as_of*."""

    period_start: dt.date
    period_end: dt.date
    as_of: dt.date

    @property
    def last_day(self) -> dt.date:
        return min(self.period_end, self.as_of)


MetricFunction = Callable[[Any, Window, Mapping[str, Any]], float]


class DatasetSource(Protocol):
    """What a refresh needs from the catalog: ``open(name)`` yields the dataset's table."""

    def open(self, name: str) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True)
class RefreshOutcome:
    """The result of refreshing one key result: a value, or the error recorded on it."""

    key_result_id: int
    title: str
    value: float | None
    error: str | None


def _metric(name: str) -> Callable[..., pd.DataFrame]:
    """The function of the registry's metric *name*."""
    try:
        return registry.get(name).load()
    except NotFoundError:
        raise ParameterError(
            f"the metric {name!r} is not available in this version of ProdOps"
        ) from None


def _last_value(frame: pd.DataFrame, column: str, what: str) -> float:
    values = frame[column].dropna() if column in frame else pd.Series(dtype=float)
    if values.empty:
        raise ParameterError(f"no {what} value in the period yet", fix="Check the period and data.")
    return float(values.iloc[-1])


def retention_value(table: Any, window: Window, params: Mapping[str, Any]) -> float:
    """Average retention rate at ``offset`` of the cohorts started in the period (to last_day)."""
    offset = int(params.get("offset", 1))
    options = {
        k: params[k] for k in ("period", "cohort", "start_event", "return_event") if k in params
    }
    frame = _metric("retention")(
        table, date_from=window.period_start, date_to=window.last_day, **options
    )
    from prodops.metrics import retention_average  # a helper, not a registry metric

    average = retention_average(frame)
    at_offset = average[(average["offset"] == offset) & average["breakdown"].isna()]
    return _last_value(at_offset, "rate", f"retention at offset {offset}")


def active_users_value(table: Any, window: Window, params: Mapping[str, Any]) -> float:
    """Users active in the ``window_days`` days ending on last_day (7 = WAU)."""
    frame = _metric("active_users")(
        table,
        window_days=int(params.get("window_days", 7)),
        event=params.get("event"),
        date_from=window.last_day,
        date_to=window.last_day,
    )
    return _last_value(frame, "users", "active users")


def headline_value(metric: registry.Metric) -> MetricFunction:
    """The binding of a registry metric without a rule of its own: the last value of its headline
    column (``metric.value``), from the period's start to last_day, with the binding parameters
    that the metric declares (others are ignored)."""
    names = {p.name for p in metric.params} - {"date_from", "date_to"}

    def value(table: Any, window: Window, params: Mapping[str, Any]) -> float:
        options = {k: v for k, v in params.items() if k in names}
        frame = metric.load()(
            table, date_from=window.period_start, date_to=window.last_day, **options
        )
        return _last_value(frame, metric.value, metric.value.replace("_", " "))

    return value


def churn_value(table: Any, window: Window, params: Mapping[str, Any]) -> float:
    """User churn rate of the last period with a value (period start to last_day)."""
    return headline_value(registry.get("churn"))(table, window, params)


def revenue_value(table: Any, window: Window, params: Mapping[str, Any]) -> float:
    """A revenue column (default NRR) of the last period with a value."""
    column = str(params.get("column", "nrr"))
    frame = _metric("revenue")(
        table,
        period=params.get("period", "month"),
        date_from=window.period_start,
        date_to=window.last_day,
    )
    if column not in frame:
        raise ParameterError(f"revenue has no column {column!r}", where="binding params")
    return _last_value(frame, column, column)


# Metrics whose key-result value is not simply the last value of their headline column.
_VALUE_RULES: dict[str, MetricFunction] = {
    "retention": retention_value,
    "active_users": active_users_value,
    "revenue": revenue_value,
}

# The registry's bindable metrics, in its order (the binding form offers these).
BINDABLE_METRICS: dict[str, MetricFunction] = {
    metric.name: _VALUE_RULES.get(metric.name) or headline_value(metric)
    for metric in registry.bindable()
}


def _error_text(error: Exception) -> str:
    if isinstance(error, ProdOpsError):
        return str(error)
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:500]


def compute(
    *,
    dataset: str,
    metric: str,
    params: Mapping[str, Any],
    window: Window,
    catalog: DatasetSource,
    metrics: Mapping[str, MetricFunction] = BINDABLE_METRICS,
) -> float:
    """Open *dataset* and return the value of *metric* over *window* (ProdOpsError if it fails)."""
    function = metrics.get(metric)
    if function is None:
        raise ParameterError(
            f"unknown metric {metric!r}",
            where="binding",
            fix="Use one of: " + ", ".join(sorted(metrics)) + ".",
        )
    with catalog.open(dataset) as table:
        value = float(function(table, window, params))
    if not math.isfinite(value):
        raise ParameterError(f"the metric gave {value}, not a number", where=metric)
    return value


def _default_catalog() -> DatasetSource:
    from prodops.data.catalog import Catalog

    return Catalog()


def refresh_key_result(
    *,
    engine: Engine,
    key_result_id: int,
    as_of: dt.date,
    catalog: DatasetSource | None = None,
    metrics: Mapping[str, MetricFunction] = BINDABLE_METRICS,
) -> RefreshOutcome:
    """Compute a bound key result's metric and append it as a check-in; record any error.

    On success the check-in is authored ``"metric refresh"`` and ``last_refresh_error`` is cleared;
    on failure only ``last_refresh_error`` (and ``last_refreshed_at``) change.
    """
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=key_result_id)
        objective = okr_crud.get_objective(session=session, objective_id=kr.objective_id)
    window = Window(objective.period_start, objective.period_end, as_of)
    try:
        if not kr.binding_metric or not kr.binding_dataset:
            raise ParameterError("this key result is not bound to a metric", where=kr.title)
        value = compute(
            dataset=kr.binding_dataset,
            metric=kr.binding_metric,
            params=json.loads(kr.binding_params or "{}"),
            window=window,
            catalog=catalog or _default_catalog(),
            metrics=metrics,
        )
    except Exception as error:  # any failure is recorded on the key result, nothing else changes
        text = _error_text(error)
        with write_session(engine) as session:
            okr_crud.record_refresh(session=session, key_result_id=key_result_id, error=text)
        return RefreshOutcome(key_result_id, kr.title, None, text)
    note = (
        f"{kr.binding_metric} on {kr.binding_dataset}, {window.period_start} to {window.last_day}"
    )
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(
                key_result_id=key_result_id, value=value, note=note, author=REFRESH_AUTHOR
            ),
        )
        okr_crud.record_refresh(session=session, key_result_id=key_result_id, error=None)
    return RefreshOutcome(key_result_id, kr.title, value, None)


def refresh_all(
    *,
    engine: Engine,
    as_of: dt.date,
    period: str | None = None,
    catalog: DatasetSource | None = None,
    metrics: Mapping[str, MetricFunction] = BINDABLE_METRICS,
) -> list[RefreshOutcome]:
    """Refresh every bound, unarchived key result of unarchived objectives (of *period*)."""
    with read_session(engine) as session:
        objectives = okr_crud.list_objectives(session=session, period=period)
        krs = okr_crud.list_key_results(
            session=session, objective_ids=[o.id for o in objectives if o.id], bound_only=True
        )
    return [
        refresh_key_result(
            engine=engine, key_result_id=kr.id or 0, as_of=as_of, catalog=catalog, metrics=metrics
        )
        for kr in krs
    ]
