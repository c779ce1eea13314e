"""Cohort retention: one Ibis definition, executed by the engine that holds the events.

Invariants of the query (DESIGN.md, "Metric semantics"):

- events are first reduced to distinct (user, period index) *pairs* carrying "did a start event"
  and "number of return events" (global filters applied), so nothing scans raw events twice;
- period indices come from :class:`prodops.metrics.periods.Calendar` (local wall-clock time);
  cohorts are indices ``0..n-1`` and events after the range (index ``>= n``) are dropped early;
- cell ``(i, k)`` exists only when ``i + k <= n - 1``; later cells cannot be observed and are
  null (``<NA>``), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics.filters import (
    check_event_names,
    event_predicate,
    events_table,
    predicate,
    require_columns,
)
from prodops.metrics.frames import ratio
from prodops.metrics.periods import (
    WEEK_STARTS,
    Calendar,
    DateLike,
    bound_rows,
    build_calendar,
    check_choice,
    check_positive,
)
from prodops.metrics.registry import COHORTS as COHORTS  # declared once, in the registry
from prodops.metrics.registry import Cohort, Period, WeekStart

RETENTION_COLUMNS = ["breakdown", "cohort", "size", "offset", "count", "rate"]


def retention(
    events: ir.Table | pd.DataFrame,
    *,
    period: Period = "week",
    period_count: int = 1,
    periods: int | None = None,
    cohort: Cohort = "first_time",
    cumulative: bool = False,
    min_occurrences: int = 1,
    start_event: str | None = None,
    return_event: str | None = None,
    where: Mapping[str, str] | None = None,
    start_where: Mapping[str, str] | None = None,
    return_where: Mapping[str, str] | None = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: WeekStart = "monday",
    breakdown: str | None = None,
) -> pd.DataFrame:
    """Cohort retention matrix as a tidy frame, one row per (breakdown, cohort, offset).

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
        Canonical events (``user_id``, ``event``, ``timestamp`` in UTC, property columns).
    period : {"hour", "day", "week", "month"}
        Unit of the periods; ``period_count`` units make one period.
    period_count : int
        Units per period (e.g. 2-week periods).
    periods : int, optional
        Number of cohorts (and offsets) ending at the truncated ``date_to``. Without it and
        without ``date_from``, the range reaches back to the first event.
    cohort : {"first_time", "recurring", "first_ever"}
        ``first_time``: the period of the user's first start event matching the start filters,
        looking at all history (a user whose first was before the range is in no cohort).
        ``recurring``: every period in which the user did a matching start event.
        ``first_ever``: the period of the user's very first start event (by name, before any
        filter); the user counts only if that first event matches the global and start filters.
    cumulative : bool
        Count a member at offset k when they returned in any period from i+k to the end of the
        range ("on or after"), instead of in period i+k exactly.
    min_occurrences : int
        Return events needed in a period for a member to count as returned (start events do not
        need it).
    start_event, return_event : str, optional
        Event names; None means any event.
    where, start_where, return_where : dict, optional
        ``column -> value`` filters: on every event, on start events only, on return events only.
    date_from, date_to : str, date or datetime, optional
        The range; naive values are read in ``timezone``. ``date_to`` defaults to the last event
        and the last period counts in full.
    timezone : str
        IANA name of the analysis zone; periods are local wall-clock periods.
    week_start : {"monday", "sunday"}
    breakdown : str, optional
        A property column: one matrix per value (as if filtered on ``column = value``).

    Returns
    -------
    pandas.DataFrame
        ``breakdown`` (None without breakdown), ``cohort`` (tz-aware period start), ``size``,
        ``offset`` (0..N-1 for every cohort), ``count`` (Int64; offset 0 is the size; ``<NA>``
        when the cell lies after the range), ``rate`` (Float64, count / size; ``<NA>`` when
        unobservable or the cohort is empty).

    Examples
    --------
    Two users start on 10 June; one comes back the next day; the range ends on 12 June:

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a", "c"],
    ...     "event": ["signup", "signup", "open", "signup"],
    ...     "timestamp": pd.to_datetime(["2020-06-10 09:00", "2020-06-10 18:00",
    ...                                  "2020-06-11 08:00", "2020-06-12 10:00"], utc=True)})
    >>> r = retention(ev, period="day", date_from="2020-06-10", date_to="2020-06-12")
    >>> r[r.cohort == pd.Timestamp("2020-06-10", tz="UTC")][["size", "offset", "count", "rate"]]
       size  offset  count  rate
    0     2       0      2   1.0
    1     2       1      1   0.5
    2     2       2      0   0.0
    >>> retention_average(r)["rate"].tolist()
    [1.0, 0.5, 0.0]
    """
    table = events_table(events)
    check_choice("cohort", cohort, COHORTS)
    check_choice("week_start", week_start, WEEK_STARTS)
    min_occ = check_positive("min_occurrences", min_occurrences)
    for name, filt in (
        ("where", where),
        ("start_where", start_where),
        ("return_where", return_where),
    ):
        predicate(table, filt, role=name)  # validates the columns up front
    if breakdown is not None:
        require_columns(table, [breakdown], role="breakdown column")
    cal = build_calendar(
        table,
        period=period,
        period_count=period_count,
        periods=periods,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        week_start=week_start,
    )
    check_event_names(table, [start_event, return_event])

    scoped = table.filter(predicate(table, where))
    keys = ["bk", "user_id"] if breakdown is not None else ["user_id"]
    # Pairs of every period up to the end of the range (history included: first_time needs it).
    bounded, exact = bound_rows(cal, scoped)
    pairs = _pairs(
        bounded, cal, keys, breakdown, start_event, start_where, return_event, return_where
    )
    if not exact:
        pairs = pairs.filter(pairs.idx < cal.n)
    if cohort == "first_ever":
        cohorts = _first_ever(table, scoped, cal, keys, breakdown, start_event, start_where)
    else:
        cohorts = _cohorts(pairs, keys, cohort)
    # Returns before the range need no filter: the join keeps r > c >= 0.
    returns = pairs.filter(pairs.r >= min_occ).select(*keys, r=pairs.idx)
    sizes = cohorts.group_by(*keys[:-1], "c").aggregate(
        k=ibis.literal(0).cast("int64"), n=ibis._.count()
    )
    if cumulative:
        last = returns.group_by(keys).aggregate(r=returns.r.max())
        joined = cohorts.join(last, keys).filter(ibis._.r > ibis._.c)
    else:
        joined = cohorts.join(returns, keys).filter(ibis._.r > ibis._.c)
    cells = joined.group_by(*keys[:-1], "c", k=(joined.r - joined.c).cast("int64")).aggregate(
        n=ibis._.count()
    )
    counted = sizes.union(cells.select(sizes.columns)).to_pandas()
    values = _breakdown_values(scoped, breakdown)
    return _matrix(counted, values, cal, cumulative=cumulative, has_breakdown=breakdown is not None)


def _with_breakdown(table: ir.Table, breakdown: str | None, **columns: Any) -> ir.Table:
    if breakdown is not None:
        columns = {"bk": table[breakdown].cast("string"), **columns}
    return table.select(**columns)


def _pairs(
    scoped: ir.Table,
    cal: Calendar,
    keys: list[str],
    breakdown: str | None,
    start_event: str | None,
    start_where: Mapping[str, str] | None,
    return_event: str | None,
    return_where: Mapping[str, str] | None,
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


def _cohorts(pairs: ir.Table, keys: list[str], kind: str) -> ir.Table:
    """Cohort members ``[bk,] user_id, c`` for first_time and recurring."""
    starts = pairs.filter(pairs.s)
    if kind == "first_time":
        firsts = starts.group_by(keys).aggregate(c=starts.idx.min())
        return firsts.filter(firsts.c >= 0)
    return starts.filter(starts.idx >= 0).select(*keys, c=starts.idx)


def _first_ever(
    table: ir.Table,
    scoped: ir.Table,
    cal: Calendar,
    keys: list[str],
    breakdown: str | None,
    start_event: str | None,
    start_where: Mapping[str, str] | None,
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


def _breakdown_values(scoped: ir.Table, breakdown: str | None) -> list[str | None]:
    if breakdown is None:
        return [None]
    found = scoped.select(bk=scoped[breakdown].cast("string")).distinct().to_pandas()["bk"]
    present = [None if pd.isna(v) else str(v) for v in found]
    return sorted(present, key=lambda v: (v is None, v or ""))


def _matrix(
    counted: pd.DataFrame,
    values: list[str | None],
    cal: Calendar,
    *,
    cumulative: bool,
    has_breakdown: bool,
) -> pd.DataFrame:
    """Pivot the database's ``[bk,] c, k, n`` counts onto the full calendar grid."""
    n = cal.n
    if not has_breakdown:
        counted = counted.assign(bk=None)
    index = {v: j for j, v in enumerate(values)}
    grid = np.zeros((len(values), n, n), dtype=np.int64)
    for bk, c, k, cnt in counted[["bk", "c", "k", "n"]].itertuples(index=False):
        key = None if bk is None or pd.isna(bk) else str(bk)
        grid[index[key], int(c), int(k)] += int(cnt)
    if cumulative:
        # The database counted each member once, at its furthest return offset m; a member
        # counts at every offset 1..m, so suffix-sum offsets 1..n-1 (offset 0 is the size).
        grid[:, :, 1:] = np.flip(np.cumsum(np.flip(grid[:, :, 1:], axis=2), axis=2), axis=2)
    sizes = np.repeat(grid[:, :, 0], n, axis=1).ravel()
    offsets = np.tile(np.arange(n), len(values) * n)
    cohorts = np.tile(np.repeat(np.arange(n), n), len(values))
    observable = cohorts + offsets <= n - 1
    counts = pd.array(np.where(observable, grid.ravel(), 0), dtype="Int64")
    counts[~observable] = pd.NA
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = pd.array(grid.ravel() / np.where(sizes == 0, 1, sizes), dtype="Float64")
    rates[~observable | (sizes == 0)] = pd.NA
    starts = cal.starts()
    frame = pd.DataFrame(
        {
            "breakdown": pd.Series(np.repeat(np.array(values, dtype=object), n * n), dtype=object),
            "cohort": starts[cohorts],
            "size": sizes.astype(np.int64),
            "offset": offsets.astype(np.int64),
            "count": counts,
            "rate": rates,
        }
    )
    return frame[RETENTION_COLUMNS]


def retention_average(frame: pd.DataFrame) -> pd.DataFrame:
    """Average retention curve per breakdown value, weighted by cohort size.

    Each offset's rate is the sum of counts over the sum of sizes of the cohorts whose cell at
    that offset is observable; unobservable (null) cells are left out. ``<NA>`` when no cohort
    of positive size is observable at that offset.

    Returns
    -------
    pandas.DataFrame
        ``breakdown, offset, rate`` (Float64).

    Examples
    --------
    Cohorts of 2 (one back on day 1, none on day 2), 0 and 1 user (day 1 not observable yet):

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a", "c"],
    ...     "event": ["signup", "signup", "open", "signup"],
    ...     "timestamp": pd.to_datetime(["2020-06-10 09:00", "2020-06-10 18:00",
    ...                                  "2020-06-11 08:00", "2020-06-12 10:00"], utc=True)})
    >>> r = retention(ev, period="day", date_from="2020-06-10", date_to="2020-06-12")
    >>> retention_average(r)
      breakdown  offset  rate
    0      None       0   1.0
    1      None       1   0.5
    2      None       2   0.0
    """
    seen = frame["count"].notna()
    work = pd.DataFrame(
        {
            "breakdown": frame["breakdown"].astype(object),
            "offset": frame["offset"],
            "num": frame["count"].fillna(0).astype("int64"),
            "den": np.where(seen, frame["size"], 0),
        }
    )
    agg = work.groupby(["breakdown", "offset"], dropna=False, sort=False)[["num", "den"]].sum()
    agg = agg.reset_index()
    rate = ratio(agg["num"], agg["den"])
    labels = [None if pd.isna(v) else v for v in agg["breakdown"]]
    out = pd.DataFrame(
        {"breakdown": pd.Series(labels, dtype=object), "offset": agg["offset"], "rate": rate}
    )
    return out.reset_index(drop=True)
