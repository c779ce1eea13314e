"""Cached access to the catalog and the metrics, for the pages.

Results are cached by what determines them exactly: the data directory, the dataset's id and
``version`` (which grows on every change of its rows) and the metric's parameters, never by
hashing a frame (``st.cache_data`` samples big frames; DESIGN.md, pitfalls). Caches are bounded
(``max_entries``, ``ttl``). ``st.cache_resource`` holds only the catalog object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import streamlit as st

import prodops.metrics
from prodops import config
from prodops.data.catalog import Catalog, DatasetInfo
from prodops.errors import NotFoundError, ParameterError
from prodops.metrics import kpis as insights
from prodops.metrics.kpis import Insight, Kpi

TTL_S = 3600
# Parameters passed as column -> value mappings (frozen to sorted tuples for the cache key).
_MAPPING_PARAMS = ("where", "start_where", "return_where")


@st.cache_resource(max_entries=4)
def _catalog(home: str) -> Catalog:
    return Catalog(Path(home))


def get_catalog() -> Catalog:
    """The catalog of the current data directory."""
    return _catalog(str(config.home()))


def _catalog_stamp(home: Path) -> tuple[int, ...]:
    """Modification times of the catalog file and its WAL: they change with every write."""
    files = (config.catalog_path(), home / "catalog.duckdb.wal")
    return tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in files)


@st.cache_data(max_entries=16, ttl=TTL_S, show_spinner=False)
def _list_datasets(home: str, stamp: tuple[int, ...]) -> list[Any]:
    return list(_catalog(home).list())


def list_datasets() -> list[DatasetInfo]:
    """Every dataset in the catalog, re-read whenever the catalog file changes (Data page, CLI)."""
    home = config.home()
    return _list_datasets(str(home), _catalog_stamp(home))


def _freeze(name: str, value: Any) -> Any:
    if name in _MAPPING_PARAMS and value is not None:
        return tuple(sorted(dict(value).items()))
    if isinstance(value, list):
        return tuple(value)
    return value


def _thaw(params: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {k: (dict(v) if k in _MAPPING_PARAMS and v is not None else v) for k, v in params}


def metric_function(metric: str) -> Any | None:
    """``prodops.metrics.<metric>``, or None if there is no such metric."""
    found = getattr(prodops.metrics, metric, None)
    return found if callable(found) else None


@st.cache_data(max_entries=256, ttl=TTL_S, show_spinner="Computing on the dataset…")
def _run_metric(
    home: str,
    dataset_id: str,
    version: int,
    dataset_name: str,
    metric: str,
    params: tuple[tuple[str, Any], ...],
) -> pd.DataFrame:
    function = metric_function(metric)
    if function is None:
        raise NotFoundError(f"metric {metric!r} is not available in this version of ProdOps")
    with _catalog(home).open(dataset_name) as table:
        frame: pd.DataFrame = function(table, **_thaw(params))
    return frame


def load_metric(info: DatasetInfo, metric: str, **params: Any) -> pd.DataFrame:
    """Run ``prodops.metrics.<metric>`` on the dataset *info*, cached by id, version and *params*.

    ``ProdOpsError`` from the metric propagates (pages show it with ``st.error``); errors are not
    cached.
    """
    key = tuple(sorted((k, _freeze(k, v)) for k, v in params.items()))
    return _run_metric(str(config.home()), info.id, info.version, info.name, metric, key)


@st.cache_data(max_entries=256, ttl=TTL_S, show_spinner=False)
def _property_values(
    home: str, dataset_id: str, version: int, dataset_name: str, column: str, limit: int
) -> list[str]:
    with _catalog(home).open(dataset_name) as table:
        if column not in table.columns:
            return []
        col = table[column]
        counted = (
            table.filter(col.notnull())
            .group_by(value=col.cast("string"))
            .aggregate(n=ibis._.count())
            .order_by([ibis.desc("n"), "value"])
            .limit(limit)
            .to_pandas()
        )
    return [str(v) for v in counted["value"]]


def property_values(info: DatasetInfo, column: str, *, limit: int = 50) -> list[str]:
    """The *limit* most frequent values of a property column (for filter pickers)."""
    return _property_values(str(config.home()), info.id, info.version, info.name, column, limit)


def filter_options(info: DatasetInfo, *, limit: int = 50) -> list[str]:
    """``"column = value"`` choices for filters: the most frequent values of each property."""
    return [
        f"{column} = {value}"
        for column in info.property_columns
        for value in property_values(info, column, limit=limit)
    ]


def parse_filters(chosen: list[str]) -> dict[str, str]:
    """Turn ``["plan = pro", ...]`` back into ``{"plan": "pro"}`` (the metrics' ``where``)."""
    out: dict[str, str] = {}
    for item in chosen:
        column, _, value = item.partition(" = ")
        if column in out and out[column] != value:
            raise ParameterError(
                f"two values chosen for the filter on {column!r}",
                fix="Keep one value per column (a filter is column = value).",
            )
        out[column] = value
    return out


def summary(info: DatasetInfo) -> tuple[list[Kpi], list[Insight]]:
    """Headline KPIs and insight candidates of one dataset (each metric cached as above).

    Events: weekly active users, week-1 retention, monthly user churn; subscriptions: MRR, NRR,
    logo churn. Only complete periods are judged (``as_of`` = the dataset's last event).
    """
    as_of = pd.Timestamp(info.time_max) if info.time_max is not None else None
    if info.kind == "events":
        last = as_of.tz_convert("UTC").date() if as_of is not None else None
        start = (as_of - pd.Timedelta(days=21)).date() if as_of is not None else None
        active = load_metric(info, "active_users", window_days=7, date_from=start, date_to=last)
        weekly = load_metric(info, "retention", period="week", periods=30)
        churned = load_metric(info, "churn", period="month")
        kpis = [
            insights.active_users_kpi(active, window_days=7),
            insights.week1_retention_kpi(weekly, as_of=as_of),
            insights.churn_kpi(churned, period="month", as_of=as_of),
        ]
        cohorts = insights.weak_cohort_insights(weekly, recent=26, min_drop=0.1, as_of=as_of)
        found = [
            *insights.rank_insights(list(cohorts), limit=1),
            insights.churn_spike_insight(churned, period="month", as_of=as_of),
        ]
        return kpis, [i for i in found if i is not None]
    monthly = load_metric(info, "revenue", period="month")
    kpis = [
        insights.mrr_kpi(monthly),
        insights.nrr_kpi(monthly, as_of=as_of),
        insights.logo_churn_kpi(monthly, as_of=as_of),
    ]
    found = [
        insights.nrr_change_insight(monthly, as_of=as_of),
        insights.churn_spike_insight(
            monthly, rate_col="logo_churn_rate", what="Logo churn", as_of=as_of
        ),
    ]
    return kpis, [i for i in found if i is not None]


def revenue_formulas() -> dict[str, str]:
    """``prodops.metrics.REVENUE_FORMULAS`` (column -> formula text)."""
    return dict(prodops.metrics.REVENUE_FORMULAS)
