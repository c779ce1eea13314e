"""Active-day runs: the window-free pre-aggregate of active users, kept per dataset version.

Active users over a window of w days (:func:`prodops.metrics.engagement.active_users`) counts a
user on day d through their latest active day x <= d when d - x < w: each active day x starts
a run ``[x, min(next active day, x + w))``. So one small table answers every window, every date
range and DAU, WAU and MAU alike: for each active (user, local day) pair, the *gap* in days to
the user's next active day (0: none), counted by ``(day, gap)``. It has at most one row per
(day, gap) and breakdown label, however many events there are; the expensive part, the distinct
(user, day) pairs of every event and one window over them, runs once per dataset version.

Where it is kept: for a dataset of the catalog (:mod:`prodops.data.catalog`), in a Parquet file
beside the catalog file (``<data directory>/cache/day_runs/``), named by the dataset's id and
``version`` and a hash of the exact query (filters, event, time zone and breakdown labels
included, as compiled SQL). A new version (an append) gets new files and the files of older
versions and of deleted datasets are removed on the next write; at most :data:`MAX_FILES` files
are kept. Any other table (a frame, a connected database, Spark, a warehouse) is computed as
before, without a cache: only the catalog says when its rows change. The cache is an
optimisation only: an unreadable or unwritable folder means computing again, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends.duckdb import Backend as DuckDBBackend

from prodops.data.catalog_files import META
from prodops.metrics import memo
from prodops.metrics.breakdowns import LABEL
from prodops.metrics.filters import Filters, event_predicate, predicate
from prodops.metrics.periods import Calendar

# Bump when the stored frame changes shape or meaning: older files are then never read.
FORMAT = 1
MAX_FILES = 64
_EPOCH_DAYS = Calendar("day", 1, pd.Timestamp("1970-01-01"), 1, "UTC")


@dataclass(frozen=True)
class CatalogDataset:
    """Where a catalog dataset's runs are kept: its folder, id and version, and the ids of
    every dataset still in the catalog (files of the others are stale)."""

    folder: Path
    dataset_id: str
    version: int
    live_ids: frozenset[str]


def runs_query(
    table: ir.Table, *, timezone: str, event: str | None, where: Filters, by_breakdown: bool
) -> ir.Table:
    """``[bk,] day, gap, n``: active (user, local day) pairs counted by day and gap to the next.

    ``day`` is the local day number since 1970-01-01 in *timezone*, ``gap`` the days to the
    same user's next active day (0 when there is none), ``n`` the pairs. With *by_breakdown*,
    *table* carries the label column of :func:`prodops.metrics.activity.breakdown_table` and a
    user's runs are per label (``bk``), as in the uncached query.
    """
    chosen = table.filter(predicate(table, where) & event_predicate(table, event))
    epoch = Calendar("day", 1, _EPOCH_DAYS.first, 1, timezone)
    label = {"bk": chosen[LABEL]} if by_breakdown else {}
    pairs = chosen.select(
        **label, user_id=chosen.user_id, day=epoch.index(chosen.timestamp)
    ).distinct()
    keys = ["bk", "user_id"] if by_breakdown else ["user_id"]
    nxt = pairs.day.lead().over(ibis.window(group_by=keys, order_by="day"))
    runs = pairs.mutate(gap=(nxt - pairs.day).fill_null(0))
    return runs.group_by(*keys[:-1], "day", "gap").aggregate(n=ibis._.count())


def window_counts(runs: pd.DataFrame, *, first_day: int, window: int) -> pd.DataFrame:
    """Runs ``[bk,] day, span, n`` for a *window*, with days counted from *first_day* (day 0).

    A run lasts ``min(gap, window)`` days, or *window* when the user has no later active day.
    Runs before the range or after it are kept: the running total cancels them (a run ending
    before day 0 adds and removes its users before day 0; one starting after the range is not
    counted), so the counts equal those of the query bounded to the range.

    Examples
    --------
    One user active on days 10, 12 and 20 of the epoch; 3-day windows from day 10:

    >>> runs = pd.DataFrame({"day": [10, 12, 20], "gap": [2, 8, 0], "n": [1, 1, 1]})
    >>> window_counts(runs, first_day=10, window=3)
       day  span  n
    0    0     2  1
    1    2     3  1
    2   10     3  1
    """
    gap = runs["gap"].to_numpy(dtype=np.int64)
    span = np.where(gap == 0, window, np.minimum(gap, window))
    out = pd.DataFrame(
        {
            "day": runs["day"].to_numpy(dtype=np.int64) - first_day,
            "span": span.astype(np.int64),
            "n": runs["n"].to_numpy(dtype=np.int64),
        }
    )
    if "bk" in runs.columns:
        out.insert(0, "bk", runs["bk"].to_numpy(dtype=object))
    return out


def epoch_day(stamp: pd.Timestamp) -> int:
    """The day number since 1970-01-01 of naive local midnight *stamp*."""
    return _EPOCH_DAYS.index_of(stamp)


def cached_runs(
    table: ir.Table, *, timezone: str, event: str | None, where: Filters, by_breakdown: bool
) -> pd.DataFrame | None:
    """The runs of :func:`runs_query` for a catalog dataset, from its cache or computed and
    stored; None when *table* is not a dataset of a DuckDB catalog (compute without a cache).

    Within a :func:`prodops.metrics.memo.scope` (a page) the runs of one query are read once:
    DAU, WAU, MAU and DAU/MAU share them. The frame returned is not to be changed."""
    dataset = memo.once("day_runs_dataset", table, lambda: catalog_dataset(table))
    if dataset is None:
        return None
    query = runs_query(
        table, timezone=timezone, event=event, where=where, by_breakdown=by_breakdown
    )
    return memo.once("day_runs", query, lambda: _runs(dataset, query, by_breakdown=by_breakdown))


def _runs(dataset: CatalogDataset, query: ir.Table, *, by_breakdown: bool) -> pd.DataFrame:
    """The runs of *query* from the dataset's cache file, or computed and stored."""
    path = dataset.folder / file_name(dataset, ibis.to_sql(query, dialect="duckdb"))
    with contextlib.suppress(OSError, pa.ArrowException):
        runs: pd.DataFrame = pq.read_table(path).to_pandas()
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by the pruning
        return runs
    computed = _typed(query.to_pandas(), by_breakdown=by_breakdown)
    _store(computed, path, dataset)
    return computed


def file_name(dataset: CatalogDataset, sql: str) -> str:
    """``<dataset id>-v<version>-<hash of the query>.parquet``."""
    digest = hashlib.sha256(f"{FORMAT}\n{sql}".encode()).hexdigest()[:32]
    return f"{dataset.dataset_id}-v{dataset.version}-{digest}.parquet"


def catalog_dataset(table: ir.Table) -> CatalogDataset | None:
    """The catalog dataset *table* reads (one table of a catalog file on DuckDB), or None."""
    leaves = table.op().find(ops.PhysicalTable)
    if len(leaves) != 1 or not isinstance(leaves[0], ops.DatabaseTable):
        return None
    leaf = leaves[0]
    source = leaf.source
    if not isinstance(source, DuckDBBackend) or leaf.namespace.database not in (None, "main"):
        return None
    try:
        found = source.con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        rows = source.con.execute(
            f"SELECT id, version, table_name FROM {META} WHERE NOT coalesce(live, false)"
        ).fetchall()
    except duckdb.Error:  # no catalog metadata: a plain DuckDB table
        return None
    if not found or not found[0]:
        return None
    mine = [(str(r[0]), int(r[1])) for r in rows if r[2] == leaf.name and r[1] is not None]
    if len(mine) != 1:
        return None
    folder = Path(str(found[0])).resolve().parent / "cache" / "day_runs"
    ids = frozenset(str(r[0]) for r in rows)
    return CatalogDataset(folder, mine[0][0], mine[0][1], ids)


def _typed(frame: pd.DataFrame, *, by_breakdown: bool) -> pd.DataFrame:
    """The stored columns and types: ``[bk (object),] day, gap, n`` (int64)."""
    out = pd.DataFrame({c: frame[c].to_numpy(dtype=np.int64) for c in ("day", "gap", "n")})
    if by_breakdown:
        out.insert(0, "bk", frame["bk"].to_numpy(dtype=object))
    return out


def _store(runs: pd.DataFrame, path: Path, dataset: CatalogDataset) -> None:
    """Write *runs* atomically (a temporary file renamed), then remove stale files."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(runs, preserve_index=False), tmp)
        os.replace(tmp, path)
    except (OSError, pa.ArrowException):
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    _prune(path.parent, dataset)


def _prune(folder: Path, dataset: CatalogDataset) -> None:
    """Remove files of older versions and deleted datasets; keep the newest MAX_FILES."""
    with contextlib.suppress(OSError):
        files = [f for f in folder.iterdir() if f.suffix == ".parquet"]
        current = f"{dataset.dataset_id}-v{dataset.version}-"
        kept = []
        for f in files:
            owner = f.name.split("-v", 1)[0]
            stale = owner not in dataset.live_ids or (
                owner == dataset.dataset_id and not f.name.startswith(current)
            )
            if stale:
                f.unlink(missing_ok=True)
            else:
                kept.append(f)
        kept.sort(key=lambda f: f.stat().st_mtime_ns, reverse=True)
        for f in kept[MAX_FILES:]:
            f.unlink(missing_ok=True)
