"""Cohort retention: one Ibis definition, executed by the engine that holds the events.

Invariants of the query (DESIGN.md, "Metric semantics"):

- events are first reduced to distinct (user, period index) *pairs* carrying "did a start event"
  and "number of return events" (global filters applied), so nothing scans raw events twice;
- period indices come from :class:`prodops.metrics.periods.Calendar` (local wall-clock time);
  the range chooses the cohort rows (indices ``0..n-1``), ``periods`` the columns (offsets
  ``0..m-1``; :func:`prodops.metrics.periods.cohort_calendar`);
- each cohort is followed up to the *last observed period* ``s``: the later of the last row
  (``n - 1``) and the period holding the data end. So "weekly cohorts of Q1, each followed for 8
  weeks" follows the March cohorts into May when the data goes there. Cell ``(i, k)`` exists
  only when ``i + k <= s``; later cells cannot be observed and are null (``<NA>``), never 0.
  Events after period ``s`` are dropped early;
- a cell is *complete* when its period ``i + k`` ends at or before the data end (the last event,
  or ``as_of``); averages use observable, complete cells only, so the curve never drops at its
  end because the last periods are still filling up;
- the size of the matrix (rows x columns x breakdown values) is checked before the heavy query
  (:func:`prodops.metrics.limits.check_cells`).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics.breakdowns import (
    DEFAULT_BREAKDOWN_LIMIT,
    LABEL,
    check_limit,
    split_by,
)
from prodops.metrics.completeness import attach, events_data_end, instant
from prodops.metrics.filters import (
    Filters,
    check_event_names,
    event_predicate,
    events_table,
    predicate,
    require_columns,
)
from prodops.metrics.frames import ratio
from prodops.metrics.periods import (
    WEEK_STARTS,
    DateLike,
    bound_rows,
    check_choice,
    check_positive,
    check_timezone,
    cohort_calendar,
)
from prodops.metrics.registry import COHORTS as COHORTS  # declared once, in the registry
from prodops.metrics.registry import Cohort, Period, WeekStart
from prodops.metrics.retention_queries import (
    _cohorts,
    _first_ever,
    _matrix,
    _pairs,
)
from prodops.metrics.retention_range import (
    RANGE,
    _last_observed,
    _range_of,
)


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
    where: Filters = None,
    start_where: Filters = None,
    return_where: Filters = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: WeekStart = "monday",
    breakdown: str | None = None,
    breakdown_limit: int | None = DEFAULT_BREAKDOWN_LIMIT,
    as_of: DateLike = None,
) -> pd.DataFrame:
    """Cohort retention matrix as a tidy frame, one row per (breakdown, cohort, offset).

    The range chooses the cohort *rows*, ``periods`` the *columns* (DESIGN.md, "Retention"):
    rows are every period from the truncated ``date_from`` to the truncated ``date_to`` or,
    without ``date_from``, the ``periods`` periods ending at ``date_to``; columns are offsets
    0..periods-1, or as many as the rows. Any combination of the three is valid. Each cohort is
    followed as far as the later of the range's end and the data end.

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
        Canonical events (``user_id``, ``event``, ``timestamp`` in UTC, property columns).
    period : {"hour", "day", "week", "month"}
        Unit of the periods; ``period_count`` units make one period.
    period_count : int
        Units per period (e.g. 2-week periods).
    periods : int, optional
        Number of columns (offsets 0..periods-1). Without ``date_from`` it is also the number
        of cohorts ending at ``date_to``; without it and without ``date_from``, the cohorts reach
        back to the first event.
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
    where, start_where, return_where : list or dict, optional
        Filters (:mod:`prodops.metrics.filters`: ``[(column, operator, value), ...]`` or
        ``{column: value}``): on every event, on start events only, on return events only.
    date_from, date_to : str, date or datetime, optional
        The range of cohorts; naive values are read in ``timezone``. ``date_to`` defaults to the
        data end; the last period counts in full and a date-only ``date_to`` includes that whole
        day (hourly cohorts "ending on 2026-10-31" run to 23:00).
    timezone : str
        IANA name of the analysis zone; periods are local wall-clock periods.
    week_start : {"monday", "sunday"}
    breakdown : str, optional
        A property column: one matrix per value (as if filtered on ``column = value``).
    breakdown_limit : int or None
        With a breakdown, the values with the most users doing a matching start event (default
        5), largest first; the rest are one matrix labelled ``"other"``
        (:mod:`prodops.metrics.breakdowns`). None keeps every value.
    as_of : str, date or datetime, optional
        The data end: periods ending after it are in progress (``complete`` False). Default: the
        last event. A date means the end of that day; it is also the default ``date_to``.

    Returns
    -------
    pandas.DataFrame
        ``breakdown`` (None without breakdown), ``cohort`` (tz-aware period start), ``size``,
        ``offset`` (0..N-1 for every cohort), ``count`` (Int64; offset 0 is the size; ``<NA>``
        when the cell cannot be observed: its period lies after both the last cohort and the
        data end), ``rate`` (Float64, count / size; ``<NA>`` when unobservable or the cohort is
        empty), ``complete`` (bool: the cell is observable and its period ends at or before the
        data end). ``attrs["data_end"]`` holds the data end and
        ``attrs["retention_range"]`` the :class:`RetentionRange`.

    Raises
    ------
    ParameterError
        For a bad option, or a matrix above :func:`prodops.metrics.limits.max_cells` cells
        (checked before the events are read).

    Examples
    --------
    Two users start on 10 June; one comes back the next day; the data ends on 12 June at 10:00,
    so 12 June is in progress:

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a", "c"],
    ...     "event": ["signup", "signup", "open", "signup"],
    ...     "timestamp": pd.to_datetime(["2020-06-10 09:00", "2020-06-10 18:00",
    ...                                  "2020-06-11 08:00", "2020-06-12 10:00"], utc=True)})
    >>> r = retention(ev, period="day", date_from="2020-06-10", date_to="2020-06-12")
    >>> r[r.cohort == pd.Timestamp("2020-06-10", tz="UTC")].drop(columns=["breakdown", "cohort"])
       size  offset  count  rate  complete
    0     2       0      2   1.0      True
    1     2       1      1   0.5      True
    2     2       2      0   0.0     False
    >>> retention_average(r)["rate"].tolist()
    [1.0, 0.5, <NA>]

    The daily cohorts of 10 to 12 June, each followed for 2 days (3 rows, 2 columns; 13 June lies
    after the data end, so its cell is null):

    >>> r = retention(ev, period="day", date_from="2020-06-10", date_to="2020-06-12", periods=2)
    >>> r.pivot(index="cohort", columns="offset", values="count").to_numpy().tolist()
    [[2, 1], [0, 0], [1, <NA>]]
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
        check_limit(breakdown_limit)
    stop = instant(as_of, check_timezone(timezone))  # validated before the range reads it
    cal, columns = cohort_calendar(
        table,
        period=period,
        period_count=period_count,
        periods=periods,
        date_from=date_from,
        date_to=date_to if date_to is not None else as_of,
        timezone=timezone,
        week_start=week_start,
    )
    end = events_data_end(table, as_of=stop)
    seen = _last_observed(cal, end, as_of_given=stop is not None)
    check_event_names(table, [start_event, return_event])

    scoped = table.filter(predicate(table, where))
    values: list[str | None] = [None]
    if breakdown is not None:
        starting = predicate(scoped, start_where) & event_predicate(scoped, start_event)
        split = split_by(
            scoped,
            breakdown,
            limit=breakdown_limit,
            counts=starting,
            rows=cal.n,
            columns=columns,
            period=cal.period,
        )
        values = split.values
        scoped = scoped.mutate(**{LABEL: split.label(scoped)})
    keys = ["bk", "user_id"] if breakdown is not None else ["user_id"]
    # Pairs of every period up to the last observed one (history included: first_time needs it).
    bounded, exact = bound_rows(cal, scoped, hi=seen + 1)
    pairs = _pairs(
        bounded, cal, keys, breakdown, start_event, start_where, return_event, return_where
    )
    if not exact:
        pairs = pairs.filter(pairs.idx <= seen)
    if cohort == "first_ever":
        cohorts = _first_ever(table, scoped, cal, keys, breakdown, start_event, start_where)
    else:
        cohorts = _cohorts(pairs, keys, cohort, cal.n)
    # Returns before the range need no filter: the join keeps r > c >= 0.
    returns = pairs.filter(pairs.r >= min_occ).select(*keys, r=pairs.idx)
    sizes = cohorts.group_by(*keys[:-1], "c").aggregate(
        k=ibis.literal(0).cast(dt.int64), n=ibis._.count()
    )
    if cumulative:
        # Each member once, at its furthest return offset, capped at the last column: the
        # member counts at every offset up to there (a suffix sum in _matrix).
        last = returns.group_by(keys).aggregate(r=returns.r.max())
        joined = cohorts.join(last, keys).filter(ibis._.r > ibis._.c)
        offset = ibis.least(joined.r - joined.c, columns - 1)
    else:
        joined = cohorts.join(returns, keys).filter(ibis._.r > ibis._.c)
        joined = joined.filter(joined.r - joined.c < columns)
        offset = joined.r - joined.c
    cells = joined.group_by(*keys[:-1], "c", k=offset.cast(dt.int64)).aggregate(n=ibis._.count())
    counted = sizes.union(cells.select(sizes.columns)).to_pandas()
    frame = _matrix(
        counted,
        values,
        cal,
        columns,
        seen,
        cumulative=cumulative,
        has_breakdown=breakdown is not None,
        data_end=end,
    )
    late = bool((frame["count"].notna() & ~frame["complete"]).any())
    frame.attrs[RANGE] = _range_of(cal, columns, end, in_progress=late)
    return attach(frame, end, timezone)


def retention_average(frame: pd.DataFrame, *, include_incomplete: bool = False) -> pd.DataFrame:
    """Average retention curve per breakdown value, weighted by cohort size.

    Each offset's rate is the sum of counts over the sum of sizes of the cohorts whose cell at
    that offset is observable and complete; unobservable (null) cells and cells of periods in
    progress are left out, so the curve does not drop at its end because the last periods are
    still filling up. ``include_incomplete=True`` keeps the cells in progress (the running
    figure). ``<NA>`` when no cohort of positive size is counted at that offset. A frame without
    a ``complete`` column counts every observable cell.

    Returns
    -------
    pandas.DataFrame
        ``breakdown, offset, rate`` (Float64).

    Examples
    --------
    Cohorts of 2 (one back on day 1, none on day 2), 0 and 1 user. The data ends on 12 June at
    10:00: day 2 of the first cohort is in progress, so it is left out unless asked for:

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
    2      None       2  <NA>
    >>> retention_average(r, include_incomplete=True)["rate"].tolist()
    [1.0, 0.5, 0.0]
    """
    counted = frame["count"].notna().to_numpy()
    if not include_incomplete and "complete" in frame.columns:
        counted = counted & frame["complete"].astype(bool).to_numpy()
    work = pd.DataFrame(
        {
            "breakdown": frame["breakdown"].astype(object),
            "offset": frame["offset"],
            "num": np.where(counted, frame["count"].fillna(0).astype("int64"), 0),
            "den": np.where(counted, frame["size"], 0),
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
