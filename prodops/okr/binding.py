"""Key results that update themselves from a metric ("refresh").

A key result may be bound to a dataset of the catalog, a metric and its parameters (JSON). A
refresh opens the dataset, computes the metric over the objective's period up to ``as_of`` and
appends a check-in authored ``"metric refresh"``. When the dataset is gone or the metric fails, the
error text is stored on the key result (``last_refresh_error``) and nothing else changes.

**Complete periods only** (DESIGN.md, "Completeness"). The *data end* is the dataset's last event
(events) or latest start / end (subscriptions), but never after the end of the ``as_of`` day. A
period, a day or a retention cell counts only when it ends at or before the data end, so a week
still filling up never shows as a drop. The metric's own ``complete`` column is used when its
result has one; otherwise the flags are computed here (:mod:`prodops.metrics.completeness`).

**Units.** The value is stored in the key result's unit: a ratio into a key result in percent is
multiplied by 100 (:mod:`prodops.okr.units`). **Provenance.** The check-in records the dataset, its
catalog version (when the catalog has ``get(name).version``), the period the value describes and
the data end (``source_*`` columns).

Bindable metrics (``binding_metric``) are the registry's (``prodops.metrics.registry.bindable``);
one without a rule below gives the last complete value of its headline column. What they return,
with ``last_day`` = the earlier of the period's last day and ``as_of``:

========================  ========================================================================
``retention``             size-weighted average rate at ``offset`` (default 1) of the cohorts that
                          started from the period's start to ``last_day`` and whose cell at that
                          offset is observable and complete (``period`` week, ``cohort``
                          first_time, optional ``start_event`` / ``return_event`` / ``where``)
``active_users``          users active in the ``window_days`` (default 7: WAU) days ending on the
                          last complete day up to ``last_day`` (optional ``event``)
``churn``                 user churn rate of the last complete period (``period`` month) with a
                          value, from the period's start to ``last_day`` (optional ``event``)
``revenue``               a column (``column``, default ``nrr``) of the last complete period
                          (``period`` month) with a value, from the period's start to ``last_day``
========================  ========================================================================

Examples
--------
A key result bound to the weekly active users of a dataset; any object with ``open(name)``
yielding the events serves as the catalog (the app passes :class:`prodops.data.catalog.Catalog`).
The data reach 7 October 10:00, so the last complete day is the 6th (a and b in the week to it):

>>> import contextlib
>>> import datetime as dt
>>> import tempfile
>>> import pandas as pd
>>> from prodops.okr.crud import create_key_result, create_objective
>>> from prodops.okr.models import KeyResultCreate, ObjectiveCreate
>>> from prodops.store.db import init_store
>>> events = pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["open"] * 4,
...     "timestamp": pd.to_datetime(["2026-10-01 09:00", "2026-10-05 09:00", "2026-10-06 09:00",
...                                  "2026-10-07 10:00"], utc=True)})
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
>>> [outcome] = refresh_all(
...     engine=engine, as_of=dt.date(2026, 10, 9), period="2026-Q4", catalog=Datasets())
>>> outcome.value, outcome.error, outcome.period
(2.0, None, '2026-09-30 to 2026-10-06')
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
from sqlalchemy.engine import Engine

from prodops.errors import ParameterError, ProdOpsError
from prodops.okr import crud as okr_crud
from prodops.okr import units
from prodops.okr.models import CheckInCreate
from prodops.okr.readings import (
    BINDABLE_METRICS,
    MetricFunction,
    MetricReading,
    Window,
)
from prodops.okr.report import REFRESH_AUTHOR
from prodops.store.access import Actor
from prodops.store.db import read_session, write_session


class DatasetSource(Protocol):
    """What a refresh needs from the catalog: ``open(name)`` yields the dataset's table.

    A source that also has ``get(name)`` returning an object with ``version`` (the catalog does)
    lets the check-in record which version of the dataset it came from.
    """

    def open(self, name: str) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True)
class RefreshOutcome:
    """The result of refreshing one key result: a value (and its period), or the error."""

    key_result_id: int
    title: str
    value: float | None
    error: str | None
    period: str | None = None


# --- Completeness ---------------------------------------------------------------------------------
# --- Refresh --------------------------------------------------------------------------------------


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
) -> MetricReading:
    """Open *dataset* and read *metric* over *window* (ProdOpsError if it fails)."""
    function = metrics.get(metric)
    if function is None:
        raise ParameterError(
            f"unknown metric {metric!r}",
            where="binding",
            fix="Use one of: " + ", ".join(sorted(metrics)) + ".",
        )
    with catalog.open(dataset) as table:
        result = function(table, window, params)
    reading = result if isinstance(result, MetricReading) else MetricReading(float(result))
    if not math.isfinite(reading.value):
        raise ParameterError(f"the metric gave {reading.value}, not a number", where=metric)
    return reading


def dataset_version(catalog: DatasetSource, name: str) -> int | None:
    """The catalog version of dataset *name* (None when the source does not keep versions)."""
    get = getattr(catalog, "get", None)
    if get is None:
        return None
    try:
        version = get(name).version
    except ProdOpsError:
        return None
    return int(version) if version is not None else None


def period_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str | None:
    """A period ``[start, end)`` for people: its first and last day ("2026-09-28 to 2026-10-04"),
    with times when it does not start and end at midnight.

    >>> period_text(pd.Timestamp("2026-09-28", tz="UTC"), pd.Timestamp("2026-10-05", tz="UTC"))
    '2026-09-28 to 2026-10-04'
    >>> period_text(pd.Timestamp("2026-09-28 10:00"), pd.Timestamp("2026-09-28 11:00"))
    '2026-09-28 10:00 to 2026-09-28 11:00'
    """
    if start is None or end is None:
        return None
    if start == start.normalize() and end == end.normalize():
        return f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def _utc(stamp: pd.Timestamp | None) -> dt.datetime | None:
    if stamp is None or pd.isna(stamp):
        return None
    aware = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return aware.to_pydatetime()


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
    actor: Actor | str | None = None,
) -> RefreshOutcome:
    """Compute a bound key result's metric and append it as a check-in; record any error.

    On success the check-in is authored ``"metric refresh"``, holds the value in the key
    result's unit and says where it came from (``source_*``), and ``last_refresh_error`` is
    cleared; on failure only ``last_refresh_error`` (and ``last_refreshed_at``) change. The
    writes are done as *actor* (``PRODOPS_USER`` when None), who needs the editor role.
    """
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=key_result_id)
        objective = okr_crud.get_objective(session=session, objective_id=kr.objective_id)
    window = Window(objective.period_start, objective.period_end, as_of)
    source = catalog or _default_catalog()
    try:
        if not kr.binding_metric or not kr.binding_dataset:
            raise ParameterError("this key result is not bound to a metric", where=kr.title)
        params = json.loads(kr.binding_params or "{}")
        unit = units.check_binding(
            metric=kr.binding_metric,
            params=params,
            unit=kr.unit,
            start=kr.start_value,
            target=kr.target_value,
        )
        version = dataset_version(source, kr.binding_dataset)
        reading = compute(
            dataset=kr.binding_dataset,
            metric=kr.binding_metric,
            params=params,
            window=window,
            catalog=source,
            metrics=metrics,
        )
    except Exception as error:  # any failure is recorded on the key result, nothing else changes
        text = _error_text(error)
        with write_session(engine, actor=actor) as session:
            okr_crud.record_refresh(session=session, key_result_id=key_result_id, error=text)
        return RefreshOutcome(key_result_id, kr.title, None, text)
    # 0.62 x 100 is 62.00000000000001 in binary floating point: keep 12 significant digits
    value = float(f"{reading.value * units.scale(kr.binding_unit or unit, kr.unit):.12g}")
    period = period_text(reading.period_start, reading.period_end)
    label = units.metric_label(kr.binding_metric, params)
    note = f"{label} on {kr.binding_dataset}" + (f" (version {version})" if version else "")
    note += f", {period}" if period else f", {window.period_start} to {window.last_day}"
    if reading.data_end is not None:
        note += f"; data to {reading.data_end:%Y-%m-%d %H:%M %Z}"
    with write_session(engine, actor=actor) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(
                key_result_id=key_result_id,
                value=value,
                note=note,
                author=REFRESH_AUTHOR,
                source_dataset=kr.binding_dataset,
                source_version=version,
                source_period_start=_utc(reading.period_start),
                source_period_end=_utc(reading.period_end),
                source_data_end=_utc(reading.data_end),
            ),
        )
        okr_crud.record_refresh(session=session, key_result_id=key_result_id, error=None)
    return RefreshOutcome(key_result_id, kr.title, value, None, period)


def refresh_all(
    *,
    engine: Engine,
    as_of: dt.date,
    period: str | None = None,
    catalog: DatasetSource | None = None,
    metrics: Mapping[str, MetricFunction] = BINDABLE_METRICS,
    actor: Actor | str | None = None,
) -> list[RefreshOutcome]:
    """Refresh every bound (metric and dataset), unarchived key result of unarchived objectives
    (of *period*); key results without a binding are not touched."""
    with read_session(engine) as session:
        objectives = okr_crud.list_objectives(session=session, period=period)
        krs = okr_crud.list_key_results(
            session=session, objective_ids=[o.id for o in objectives if o.id], bound_only=True
        )
    return [
        refresh_key_result(
            engine=engine,
            key_result_id=kr.id or 0,
            as_of=as_of,
            catalog=catalog,
            metrics=metrics,
            actor=actor,
        )
        for kr in krs
    ]
