"""The Ibis building blocks of :func:`prodops.metrics.retention`: (user, period) pairs, cohorts and
the retention matrix.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics.breakdowns import (
    LABEL,
)
from prodops.metrics.completeness import complete_flags
from prodops.metrics.filters import (
    Filters,
    event_predicate,
    predicate,
)
from prodops.metrics.periods import (
    Calendar,
    localize,
    shift,
)

RETENTION_COLUMNS = ["breakdown", "cohort", "size", "offset", "count", "rate", "complete"]


# Rows whose breakdown property is missing form a group of their own; SQL joins never match NULL
# with NULL, so inside the query that group carries this key (private-use code points, which no
# export writes; PostgreSQL refuses NUL in text).
_MISSING_KEY = "\ue000missing\ue000"


def _with_breakdown(table: ir.Table, breakdown: str | None, **columns: Any) -> ir.Table:
    if breakdown is not None:
        columns = {"bk": table[LABEL].fill_null(_MISSING_KEY), **columns}
    return table.select(**columns)


def _pairs(
    scoped: ir.Table,
    cal: Calendar,
    keys: list[str],
    breakdown: str | None,
    start_event: str | None,
    start_where: Filters,
    return_event: str | None,
    return_where: Filters,
) -> ir.Table:
    """``[bk,] user_id, idx, s, r``: one row per (user, period) with any event, all history.

    ``s``: the user did a start event there; ``r``: how many return events. The period index is
    computed once per event (filters on it are applied to the pairs, not the raw rows, so the
    engine does not evaluate it again in a pushed-down filter).
    """
    plain = start_where is None and return_where is None and {start_event, return_event} == {None}
    if plain:  # any event starts and returns: distinct pairs are enough
        events = _with_breakdown(
            scoped, breakdown, user_id=scoped.user_id, idx=cal.index(scoped.timestamp)
        )
        counted = events.group_by(*keys, "idx").aggregate(r=ibis._.count())
        return counted.mutate(s=ibis.literal(True))
    start = predicate(scoped, start_where) & event_predicate(scoped, start_event)
    ret = predicate(scoped, return_where) & event_predicate(scoped, return_event)
    events = _with_breakdown(
        scoped, breakdown, user_id=scoped.user_id, idx=cal.index(scoped.timestamp), sf=start, rf=ret
    )
    return events.group_by(*keys, "idx").aggregate(
        s=events.sf.any(), r=events.user_id.count(where=events.rf)
    )


def _cohorts(pairs: ir.Table, keys: list[str], kind: str, rows: int) -> ir.Table:
    """Cohort members ``[bk,] user_id, c`` (``0 <= c < rows``) for first_time and recurring."""
    starts = pairs.filter(pairs.s)
    if kind == "first_time":
        firsts = starts.group_by(keys).aggregate(c=starts.idx.min())
        return firsts.filter((firsts.c >= 0) & (firsts.c < rows))
    inside = starts.filter((starts.idx >= 0) & (starts.idx < rows))
    return inside.select(*keys, c=inside.idx)


def _first_ever(
    table: ir.Table,
    scoped: ir.Table,
    cal: Calendar,
    keys: list[str],
    breakdown: str | None,
    start_event: str | None,
    start_where: Filters,
) -> ir.Table:
    """Members whose very first start event (by name, before any filter) matches the filters."""
    named = table.filter(event_predicate(table, start_event))
    firsts = named.group_by("user_id").aggregate(t0=named.timestamp.min())
    starts = scoped.filter(predicate(scoped, start_where) & event_predicate(scoped, start_event))
    marked = _with_breakdown(
        starts,
        breakdown,
        user_id=starts.user_id,
        ts=starts.timestamp,
        c=cal.index(starts.timestamp),
    )
    matched = marked.group_by(keys).aggregate(t1=marked.ts.min(), c=marked.c.min())
    members = matched.join(firsts, "user_id").filter(ibis._.t1 == ibis._.t0)
    return members.filter((members.c >= 0) & (members.c < cal.n)).select(*keys, "c")


def _matrix(
    counted: pd.DataFrame,
    values: list[str | None],
    cal: Calendar,
    columns: int,
    seen: int,
    *,
    cumulative: bool,
    has_breakdown: bool,
    data_end: pd.Timestamp | None,
) -> pd.DataFrame:
    """Pivot the database's ``[bk,] c, k, n`` counts onto the full rows x columns grid; cells
    after period *seen* (the last observed one) are null."""
    n, m = cal.n, columns
    if not has_breakdown:
        counted = counted.assign(bk=None)
    index = {v: j for j, v in enumerate(values)}
    grid = np.zeros((len(values), n, m), dtype=np.int64)
    for bk, c, k, cnt in counted[["bk", "c", "k", "n"]].itertuples(index=False):
        key = None if bk is None or pd.isna(bk) or bk == _MISSING_KEY else str(bk)
        grid[index[key], int(c), int(k)] += int(cnt)
    if cumulative:
        # The database counted each member once, at its furthest return offset (capped at m-1);
        # a member counts at every offset 1..that, so suffix-sum offsets 1..m-1 (0 is the size).
        grid[:, :, 1:] = np.flip(np.cumsum(np.flip(grid[:, :, 1:], axis=2), axis=2), axis=2)
    sizes = np.repeat(grid[:, :, 0], m, axis=1).ravel()
    offsets = np.tile(np.arange(m), len(values) * n)
    cohorts = np.tile(np.repeat(np.arange(n), m), len(values))
    observable = cohorts + offsets <= seen
    counts = pd.array(np.where(observable, grid.ravel(), 0), dtype="Int64")
    counts[~observable] = pd.NA
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = pd.array(grid.ravel() / np.where(sizes == 0, 1, sizes), dtype="Float64")
    rates[~observable | (sizes == 0)] = pd.NA
    starts = cal.starts()
    # Period i + k of a cell: complete when it is one of the leading complete periods.
    complete = observable & (cohorts + offsets < _complete_periods(cal, data_end, seen + 1))
    frame = pd.DataFrame(
        {
            "breakdown": pd.Series(np.repeat(np.array(values, dtype=object), n * m), dtype=object),
            "cohort": starts[cohorts],
            "size": sizes.astype(np.int64),
            "offset": offsets.astype(np.int64),
            "count": counts,
            "rate": rates,
            "complete": complete,
        }
    )
    return frame[RETENTION_COLUMNS]


def _complete_periods(cal: Calendar, data_end: pd.Timestamp | None, limit: int) -> int:
    """How many of the first *limit* periods of *cal* are complete (completeness grows with the
    index, so a bisection asks :func:`complete_flags` about a handful of periods, not every one)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi) // 2
        start = localize(shift(cal.first, cal.period, mid * cal.count), cal.timezone)
        done = complete_flags([start], period=cal.period, data_end=data_end, period_count=cal.count)
        lo, hi = (mid + 1, hi) if done[0] else (lo, mid)
    return lo
