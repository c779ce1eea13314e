"""The key numbers and insights of one dataset, as the Home page shows them (see
:mod:`prodops.metrics.kpis`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from prodops.metrics import registry
from prodops.metrics.kpi_insights import (
    churn_spike_insight,
    nrr_change_insight,
    rank_insights,
    weak_cohort_insights,
)
from prodops.metrics.kpi_tiles import (
    active_users_kpi,
    churn_kpi,
    logo_churn_kpi,
    ltv_kpi,
    mrr_kpi,
    nrr_kpi,
    week1_retention_kpi,
)
from prodops.metrics.kpis import (
    Insight,
    Kpi,
    Summary,
    _utc,
)

# load(metric_name, **params) -> frame: the pages pass their cached loader, a report or the CLI
# passes metric_runner(table). Besides the registry's metrics, a loader knows these helpers:
HELPERS: dict[str, str] = {"mrr_at": "prodops.metrics.kpi_tiles:mrr_at"}
MetricLoader = Callable[..., pd.DataFrame]


def metric_runner(table: Any) -> MetricLoader:
    """A :data:`MetricLoader` that runs each registered metric directly on *table* (no cache)."""

    def load(metric: str, /, **params: Any) -> pd.DataFrame:
        function = registry._resolve(HELPERS[metric]) if metric in HELPERS else None
        if function is None:
            function = registry.get(metric).load()
        frame: pd.DataFrame = function(table, **params)
        return frame

    return load


def _week_start(stamp: pd.Timestamp) -> pd.Timestamp:
    """Monday 00:00 of the week holding *stamp* (the end of the last complete week)."""
    day = stamp.normalize()
    return day - pd.Timedelta(days=day.weekday())


def summarise(
    kind: registry.DatasetKind,
    *,
    data_end: datetime | pd.Timestamp | None,
    load: MetricLoader,
    data_start: datetime | pd.Timestamp | None = None,
) -> Summary:
    """The key numbers and insights of one dataset, as the Home page shows them.

    Every tile is judged against one *data end* (:func:`dataset_data_end`; naive values are UTC),
    passed to each metric as ``as_of``, and names its period. Events: weekly active users of the
    last complete Monday-to-Sunday week (against the week before), week-1 retention of the cohort
    that came back in that week (the latest cohort whose week 1 is complete), user churn of the
    last complete month; insights: the weakest recent cohort and a churn spike. Subscriptions: MRR
    at the data end (against the end of the last complete month), NRR and logo churn of the last
    complete month, and the one LTV (:func:`ltv_kpi`); insights: an NRR change and a logo churn
    spike. *data_start* (the first event) keeps a week before the data from being shown as a week
    with no active users.

    Examples
    --------
    Data from Monday 1 January to Monday 15 January 2024, 09:00: the last complete week is
    8-14 January.

    >>> times = ["2024-01-01 00:00", "2024-01-08 00:00", "2024-01-15 09:00"]
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["open"] * 3,
    ...                    "timestamp": pd.to_datetime(times, utc=True)})
    >>> found = summarise("events", data_end=ev.timestamp.max(), load=metric_runner(ev))
    >>> for kpi in found.kpis[:2]:
    ...     print(kpi.label, kpi.value, "|", kpi.period_label)
    Weekly active users 1.0 | 8–14 Jan 2024
    Week-1 retention 1.0 | cohort 1–7 Jan, back 8–14 Jan 2024
    >>> found.kpis[2].period_label, found.insights
    ('no complete month yet', [])
    """
    end = _utc(data_end)
    if end is None:
        return Summary([], [], None)
    if kind == "events":
        kpis, found = _events_summary(end, load, _utc(data_start))
    else:
        kpis, found = _subscriptions_summary(end, load)
    return Summary(kpis, [i for i in found if i is not None], end)


def _events_summary(
    end: pd.Timestamp, load: MetricLoader, start: pd.Timestamp | None
) -> tuple[list[Kpi], list[Insight | None]]:
    week = _week_start(end)  # the last complete week is the 7 days before it
    if start is not None and week <= start:
        active = pd.DataFrame({"date": pd.Series([], dtype="datetime64[us]"), "users": []})
    else:
        # Two windows: the last complete week and the one before, to compare.
        first, last = week - pd.Timedelta(days=14), week - pd.Timedelta(days=1)
        dates = {"date_from": first.date(), "date_to": last.date()}
        active = load("active_users", window_days=7, **dates, as_of=end)
    weekly = load("retention", period="week", periods=30, as_of=end)
    churned = load("churn", period="month", as_of=end)
    kpis = [
        active_users_kpi(active, window_days=7, as_of=end),
        week1_retention_kpi(weekly, as_of=end),
        churn_kpi(churned, period="month", as_of=end),
    ]
    cohorts = weak_cohort_insights(weekly, recent=26, min_drop=0.1, as_of=end)
    found = [
        *rank_insights(list(cohorts), limit=1),
        churn_spike_insight(churned, period="month", as_of=end),
    ]
    return kpis, found


def _subscriptions_summary(
    end: pd.Timestamp, load: MetricLoader
) -> tuple[list[Kpi], list[Insight | None]]:
    monthly = load("revenue", period="month", as_of=end)
    now = load("mrr_at", at=end)
    mrr_now = float(now["mrr"].iloc[0]) if len(now) else None
    kpis = [
        mrr_kpi(monthly, as_of=end, mrr_now=mrr_now),
        nrr_kpi(monthly, as_of=end),
        logo_churn_kpi(monthly, as_of=end),
    ]
    lifetime = ltv_kpi(monthly)
    if lifetime is not None:
        kpis.append(lifetime)
    found = [
        nrr_change_insight(monthly, as_of=end),
        churn_spike_insight(monthly, rate_col="logo_churn_rate", what="Logo churn", as_of=end),
    ]
    return kpis, found
