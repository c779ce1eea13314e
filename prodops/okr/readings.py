"""What a bound key result reads: the time it measures (:class:`Window`), the value a metric gives
for it (:class:`MetricReading`), the data end and complete periods, and the bindable metrics'
rules (:data:`BINDABLE_METRICS`). The refresh itself is :mod:`prodops.okr.binding`."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from prodops.errors import NotFoundError, ParameterError, did_you_mean
from prodops.metrics import registry
from prodops.okr import units
from prodops.okr.params import RANGE_PARAMS

# Parameters a binding never passes on (RANGE_PARAMS: the refresh sets the range and the data end
# itself) are refused when a binding is set (prodops.okr.params). Filters (``where``:
# ``{"plan": "pro"}`` or ``[["plan", "=", "pro"], ["amount", ">=", "100"]]``) pass through.


@dataclass(frozen=True)
class Window:
    """The time a bound key result measures: the objective's period, seen on *as_of*."""

    period_start: dt.date
    period_end: dt.date
    as_of: dt.date

    @property
    def last_day(self) -> dt.date:
        return min(self.period_end, self.as_of)


@dataclass(frozen=True)
class MetricReading:
    """A bound metric's value and what it covers: the period ``[start, end)`` it describes and
    the data end it was judged against (tz-aware timestamps, or None when unknown)."""

    value: float
    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    data_end: pd.Timestamp | None = None


MetricFunction = Callable[[Any, Window, Mapping[str, Any]], "float | MetricReading"]


def day_end(day: dt.date, timezone: str = "UTC") -> pd.Timestamp:
    """The end of *day* (the next local midnight) in *timezone*, as a UTC instant.

    >>> day_end(dt.date(2026, 10, 6), "Europe/Berlin")
    Timestamp('2026-10-06 22:00:00+0000', tz='UTC')
    """
    midnight = pd.Timestamp(day + dt.timedelta(days=1))
    return midnight.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward").tz_convert(
        "UTC"
    )


def data_end(
    table: Any, *, kind: str, as_of: dt.date, timezone: str = "UTC"
) -> pd.Timestamp | None:
    """The data end of a bound dataset: its own (last event / latest start or end), capped at the
    end of the *as_of* day; None for an empty dataset."""
    from prodops.engine import as_table
    from prodops.metrics import completeness

    cap = day_end(as_of, timezone)
    found = (
        completeness.subscriptions_data_end(as_table(table), now=cap)
        if kind == "subscriptions"
        else completeness.events_data_end(as_table(table))
    )
    return None if found is None else min(found, cap)


def last_complete_day(end: pd.Timestamp, timezone: str = "UTC") -> dt.date:
    """The last local day that ends at or before *end*.

    >>> last_complete_day(pd.Timestamp("2026-11-02 04:46", tz="UTC"))
    datetime.date(2026, 11, 1)
    >>> last_complete_day(pd.Timestamp("2026-11-02 00:00", tz="UTC"))
    datetime.date(2026, 11, 1)
    """
    local = end.tz_convert(timezone)
    return (local.normalize() - pd.Timedelta(days=1)).date()


def _period_flags(
    frame: pd.DataFrame, column: str, *, period: str, end: pd.Timestamp | None, count: int = 1
) -> pd.Series:
    """The frame's ``complete`` column when it has one, else computed for its period starts."""
    if "complete" in frame.columns:
        return frame["complete"].fillna(False).astype(bool)
    from prodops.metrics import completeness

    flags = completeness.complete_flags(
        frame[column], period=period, data_end=end, period_count=count
    )
    return pd.Series(flags, index=frame.index, dtype=bool)


def _no_value(what: str, end: pd.Timestamp | None) -> ParameterError:
    if end is None:
        return ParameterError("the dataset has no data", fix="Import data, then refresh again.")
    return ParameterError(
        f"no complete {what} in the period yet (the data end at {end:%Y-%m-%d %H:%M %Z})",
        fix="Refresh again once the data cover a whole period, or check the as-of day.",
    )


# --- Metric rules ---------------------------------------------------------------------------------


def _metric(name: str) -> registry.Metric:
    """The registry's declaration of metric *name*."""
    try:
        return registry.get(name)
    except NotFoundError:
        raise ParameterError(
            f"the metric {name!r} is not available in this version of ProdOps"
        ) from None


def _options(metric: registry.Metric, params: Mapping[str, Any]) -> dict[str, Any]:
    """The binding parameters the metric declares, minus those the refresh sets itself."""
    names = {p.name for p in metric.params if not p.output_only} - RANGE_PARAMS
    return {k: v for k, v in params.items() if k in names}


def _run(
    metric: registry.Metric,
    table: Any,
    end: pd.Timestamp | None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Call the metric; pass the data end as ``as_of`` when it takes one (its flags then agree)."""
    function = metric.load()
    if end is not None and "as_of" in inspect.signature(function).parameters:
        kwargs["as_of"] = end
    frame: pd.DataFrame = function(table, **kwargs)
    return frame


def retention_value(table: Any, window: Window, params: Mapping[str, Any]) -> MetricReading:
    """Size-weighted retention at ``offset`` over the period's cohorts with a complete cell."""
    metric = _metric("retention")
    offset = int(params.get("offset", 1))
    if offset < 0:
        raise ParameterError(f"offset {offset} is negative", where="binding params")
    options = _options(metric, params)
    period = str(options.get("period", metric.param("period").default))
    count = int(options.get("period_count", 1))
    zone = str(options.get("timezone", "UTC"))
    end = data_end(table, kind="events", as_of=window.as_of, timezone=zone)
    frame = _run(
        metric, table, end, date_from=window.period_start, date_to=window.last_day, **options
    )
    cells = frame[(frame["offset"] == offset) & frame["breakdown"].isna()]
    from prodops.metrics import completeness

    if "complete" in cells.columns:
        complete = cells["complete"].fillna(False).astype(bool)
    else:
        complete = pd.Series(
            [
                end is not None and completeness.period_end(c, period, count * (offset + 1)) <= end
                for c in cells["cohort"]
            ],
            index=cells.index,
            dtype=bool,
        )
    used = cells[complete & cells["count"].notna() & (cells["size"] > 0)]
    label = units.metric_label("retention", params)
    if used.empty:
        raise _no_value(f"{label} cell of a cohort", end)
    return MetricReading(
        value=float(used["count"].sum()) / float(used["size"].sum()),
        period_start=used["cohort"].min(),
        period_end=completeness.period_end(used["cohort"].max(), period, count * (offset + 1)),
        data_end=end,
    )


def active_users_value(table: Any, window: Window, params: Mapping[str, Any]) -> MetricReading:
    """Users active in the ``window_days`` days ending on the last complete day (7 = WAU)."""
    metric = _metric("active_users")
    days = int(params.get("window_days", 7))
    options = {k: v for k, v in _options(metric, params).items() if k != "window_days"}
    zone = str(options.get("timezone", "UTC"))
    end = data_end(table, kind="events", as_of=window.as_of, timezone=zone)
    day = min(window.last_day, last_complete_day(end, zone)) if end is not None else None
    if day is None or day < window.period_start:
        raise _no_value("day", end)
    frame = _run(metric, table, end, window_days=days, date_from=day, date_to=day, **options)
    first = pd.Timestamp(day - dt.timedelta(days=days - 1)).tz_localize(
        zone, ambiguous=True, nonexistent="shift_forward"
    )
    return MetricReading(
        value=_last(frame, "users", "active users"),
        period_start=first,
        period_end=day_end(day, zone).tz_convert(zone),
        data_end=end,
    )


def _last_complete(
    metric: registry.Metric,
    table: Any,
    window: Window,
    options: Mapping[str, Any],
    column: str,
) -> MetricReading:
    """The last value of *column* in a complete period (from the period's start to last_day)."""
    zone = str(options.get("timezone", "UTC"))
    end = data_end(table, kind=metric.kind, as_of=window.as_of, timezone=zone)
    frame = _run(
        metric, table, end, date_from=window.period_start, date_to=window.last_day, **options
    )
    if column not in frame.columns:
        raise ParameterError(
            f"{metric.name} has no column {column!r}",
            where="binding params",
            fix=did_you_mean(column, list(frame.columns)) or None,
        )
    period = str(options.get("period", metric.param("period").default))
    count = int(options.get("period_count", 1))
    flags = _period_flags(frame, "period", period=period, end=end, count=count)
    rows = frame[flags & frame[column].notna()]
    if rows.empty:
        raise _no_value(f"{period} with a {column.replace('_', ' ')} value", end)
    from prodops.metrics import completeness

    start = rows["period"].iloc[-1]
    return MetricReading(
        value=float(rows[column].iloc[-1]),
        period_start=start,
        period_end=completeness.period_end(start, period, count),
        data_end=end,
    )


def _last(frame: pd.DataFrame, column: str, what: str) -> float:
    rows = frame[frame["complete"].astype(bool)] if "complete" in frame.columns else frame
    values = rows[column].dropna() if column in rows else pd.Series(dtype=float)
    if values.empty:
        raise ParameterError(f"no {what} value in the period yet", fix="Check the period and data.")
    return float(values.iloc[-1])


def headline_value(metric: registry.Metric) -> MetricFunction:
    """The binding of a registry metric without a rule of its own: the last complete value of
    its headline column (``metric.value``), from the period's start to last_day, with the
    binding parameters that the metric declares (others are ignored)."""

    def value(table: Any, window: Window, params: Mapping[str, Any]) -> MetricReading:
        return _last_complete(metric, table, window, _options(metric, params), metric.value)

    return value


def churn_value(table: Any, window: Window, params: Mapping[str, Any]) -> MetricReading:
    """User churn rate of the last complete period with a value (period start to last_day)."""
    metric = _metric("churn")
    return _last_complete(metric, table, window, _options(metric, params), "churn_rate")


def revenue_value(table: Any, window: Window, params: Mapping[str, Any]) -> MetricReading:
    """A revenue column (default NRR) of the last complete period with a value."""
    metric = _metric("revenue")
    column = units.column_of("revenue", params) or units.DEFAULT_COLUMNS["revenue"]
    return _last_complete(metric, table, window, _options(metric, params), column)


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


# --- Refresh --------------------------------------------------------------------------------------
