"""Cached access to the catalog and the metrics, for the pages.

Results are cached by what determines them exactly: the data directory, the dataset's id and
``version`` (which grows on every change of its rows) and the metric's parameters, never by
hashing a frame (``st.cache_data`` samples big frames; DESIGN.md, pitfalls). Caches are bounded
(``max_entries``, ``ttl``). ``st.cache_resource`` holds only the catalog object.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import streamlit as st

import prodops.metrics
from prodops import config
from prodops.data.catalog import Catalog, DatasetInfo
from prodops.db_errors import database_errors
from prodops.errors import NotFoundError
from prodops.metrics import events, filters, kpi_summary, kpis, memo, registry

if TYPE_CHECKING:
    import ibis.expr.types as ir

TTL_S = 3600
T = TypeVar("T")
# Filter parameters (mappings or condition lists; frozen to tuples of conditions for the key).
_MAPPING_PARAMS = ("where", "start_where", "return_where")


@st.cache_resource(max_entries=4)
def _catalog(home: str) -> Catalog:
    return Catalog(Path(home))


def get_catalog() -> Catalog:
    """The catalog of the current data directory."""
    return _catalog(str(config.home()))


def open_dataset(name: str) -> contextlib.AbstractContextManager[ir.Table]:
    """The canonical table of dataset *name* (the :func:`reading` block's open, if any)."""
    return _opened(str(config.home()), name)


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
        # Mappings and condition lists alike, as hashable conditions (issue 12).
        return tuple(filters.conditions(value))
    if isinstance(value, list):
        return tuple(value)
    return value


def _thaw(params: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {k: (list(v) if k in _MAPPING_PARAMS and v is not None else v) for k, v in params}


class _Reading:
    """One open of a dataset, shared by the cache misses of a :func:`reading` block."""

    def __init__(self, home: str, name: str) -> None:
        self.home, self.name = home, name
        self._stack = contextlib.ExitStack()
        self._table: ir.Table | None = None

    def table(self) -> ir.Table:
        if self._table is None:  # opened at the first miss: nothing when all is cached
            self._table = self._stack.enter_context(_catalog(self.home).open(self.name))
        return self._table

    def close(self) -> None:
        self._stack.close()


_READING: ContextVar[_Reading | None] = ContextVar("prodops_reading", default=None)


@contextlib.contextmanager
def reading(info: DatasetInfo) -> Iterator[None]:
    """Within the block, the results of *info* that are not cached yet are computed on one open
    of the dataset, not one open each (a DuckDB connection and the catalog's checks: about 20
    ms apiece, a page computes up to ten). The dataset is opened at the first miss, so a page
    whose results are all cached opens nothing; it stays open (the catalog's lock held) until
    the block ends. What every metric asks first (the data end, the time span) is asked once
    (:func:`prodops.metrics.memo.scope`)."""
    outer = _READING.get()
    if outer is not None and (outer.home, outer.name) == (str(config.home()), info.name):
        yield  # already shared by an enclosing block
        return
    shared = _Reading(str(config.home()), info.name)
    token = _READING.set(shared)
    try:
        with memo.scope():  # the data end and span asked by each metric: once (read-only)
            yield
    finally:
        _READING.reset(token)
        shared.close()


@contextlib.contextmanager
def _opened(home: str, name: str) -> Iterator[ir.Table]:
    """The canonical table of dataset *name*: the :func:`reading` block's open when there is
    one for it, else an open of its own."""
    shared = _READING.get()
    if shared is not None and (shared.home, shared.name) == (home, name):
        with database_errors("computing on the dataset"):  # as Catalog.open does
            yield shared.table()
        return
    with _catalog(home).open(name) as table:
        yield table


# Frame helpers the pages load like metrics, though they are not registry metrics.
_HELPERS = {
    "dau_mau": "prodops.metrics.engagement:dau_mau",
    "event_counts": "prodops.metrics.events:event_counts",
    "retention_average": "prodops.metrics.retention:retention_average",
    "mrr_at": "prodops.metrics.kpi_tiles:mrr_at",
}


def metric_function(metric: str) -> Any | None:
    """The registry metric *metric*'s function (or a helper above), None if there is none."""
    path = _HELPERS.get(metric)
    if path is not None:
        module, _, name = path.partition(":")
        return getattr(importlib.import_module(module), name)
    try:
        return registry.get(metric).load()
    except NotFoundError:
        return None


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
    with _opened(home, dataset_name) as table:
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
    with _opened(home, dataset_name) as table:
        return events.property_values(table, column, limit=limit)


def property_values(info: DatasetInfo, column: str, *, limit: int = 50) -> list[str]:
    """The *limit* most frequent values of a property column (for filter pickers)."""
    return _property_values(str(config.home()), info.id, info.version, info.name, column, limit)


@st.cache_data(max_entries=32, ttl=TTL_S, show_spinner=False)
def _summary(home: str, dataset_id: str, version: int, _info: DatasetInfo) -> kpis.Summary:
    # From the table, not the catalog's time range: a subscriptions end in the future does not
    # count, and a live dataset grows without a new catalog version.
    with reading(_info):  # the summary's metrics share one open
        with _opened(home, _info.name) as table:
            data_end = kpis.dataset_data_end(_info.kind, table)
        return kpi_summary.summarise(
            _info.kind,
            data_end=data_end,
            data_start=_info.time_min,
            load=functools.partial(load_metric, _info),
        )


def summary(info: DatasetInfo) -> kpis.Summary:
    """:func:`prodops.metrics.kpi_summary.summarise` of *info*, cached by dataset id and version.

    The cache lives at most ``TTL_S``: the data end of subscriptions ignores ends in the future,
    so it moves with the clock, and a live dataset's with its database.
    """
    return _summary(str(config.home()), info.id, info.version, info)


def revenue_formulas() -> dict[str, str]:
    """``prodops.metrics.REVENUE_FORMULAS`` (column -> formula text)."""
    return dict(prodops.metrics.REVENUE_FORMULAS)


@st.cache_data(max_entries=256, ttl=TTL_S, show_spinner=False)
def _derived(name: str, view: tuple[Any, ...], _build: Callable[[], Any]) -> Any:
    return _build()


def derived(name: str, view: tuple[Any, ...], build: Callable[[], T]) -> T:
    """What *build* returns (a frame derived from cached metric results: a table, an average),
    cached by *name* and *view* (:func:`prodops.ui.render.view_key`: dataset id, version and
    every parameter the result depends on), so a rerun that only switches back to a view
    already drawn does not rebuild it."""
    result: T = _derived(name, view, _build=build)
    return result
