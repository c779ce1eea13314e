"""Churn from events: users active in the previous period who are not active in this one.

A period still in progress at the data end shows too much churn (users have not come back *yet*),
so every period carries ``complete`` (DESIGN.md, "Completeness").
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics import completeness
from prodops.metrics.activity import (
    active_pairs,
    breakdown_table,
    period_completeness,
    range_end,
)
from prodops.metrics.breakdowns import DEFAULT_BREAKDOWN_LIMIT, check_breakdown, per_value
from prodops.metrics.filters import Filters, check_event_names, events_table, predicate
from prodops.metrics.frames import ratio
from prodops.metrics.periods import Calendar, DateLike, build_calendar
from prodops.metrics.registry import Period, WeekStart

CHURN_COLUMNS = ["period", "active_start", "churned", "churn_rate", "complete"]


def churn(
    events: ir.Table | pd.DataFrame,
    *,
    period: Period = "month",
    event: str | None = None,
    where: Filters = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: WeekStart = "monday",
    as_of: DateLike = None,
    breakdown: str | None = None,
    breakdown_limit: int | None = DEFAULT_BREAKDOWN_LIMIT,
) -> pd.DataFrame:
    """Churn per period: ``churned / active_start``.

    For each period of the range, ``active_start`` counts users active in the previous period
    (history before ``date_from`` counts) and ``churned`` those of them not active in this
    period. A user is active when they did ``event`` (any event by default) matching ``where``.

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
    period : {"hour", "day", "week", "month"}
    event : str, optional
    where : list or dict, optional
        Filters on the events (:mod:`prodops.metrics.filters`).
    date_from, date_to : str, date or datetime, optional
        The range; defaults: the first event and the data end.
    timezone : str
    week_start : {"monday", "sunday"}
    as_of : str, date or datetime, optional
        The data end (a date alone: the end of that day); default: the last event.
    breakdown : str, optional
        A property column: one series per value, as if filtered on ``column = value``.
    breakdown_limit : int or None
        The values with the most active users (default 5), largest first; the rest are one
        series labelled ``"other"`` (:mod:`prodops.metrics.breakdowns`). None: every value.

    Returns
    -------
    pandas.DataFrame
        With a breakdown, a leading ``breakdown`` column and every period once per value.
        ``period`` (tz-aware start), ``active_start``, ``churned`` (int64), ``churn_rate``
        (Float64, ``<NA>`` when no one was active in the previous period), ``complete`` (bool:
        the period ends at or before the data end); ``attrs["data_end"]``.

    Examples
    --------
    Three users in January, two of them again in February:

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "c", "a", "b"], "event": ["x"] * 5,
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-01-20",
    ...                                  "2024-02-01", "2024-02-28"], utc=True)})
    >>> churn(ev, period="month", as_of="2024-02-29")
                         period  active_start  churned  churn_rate  complete
    0 2024-01-01 00:00:00+00:00             0        0        <NA>      True
    1 2024-02-01 00:00:00+00:00             3        1    0.333333      True
    """
    table = events_table(events)
    predicate(table, where, role="where")
    check_breakdown(table, breakdown, breakdown_limit)
    cal = build_calendar(
        table,
        period=period,
        date_from=date_from,
        date_to=range_end(date_to, as_of, timezone),
        timezone=timezone,
        week_start=week_start,
    )
    check_event_names(table, [event])
    flags, data_end = period_completeness(table, cal, as_of=as_of)
    table, values = breakdown_table(
        table, cal, event=event, where=where, breakdown=breakdown, limit=breakdown_limit
    )
    by = breakdown is not None
    keys = ["bk", "user_id"] if by else ["user_id"]
    pairs = active_pairs(table, cal, event=event, where=where, lo=-1, by_breakdown=by)
    marked = pairs.mutate(nxt=pairs.idx.lead().over(ibis.window(group_by=keys, order_by="idx")))
    marked = marked.filter(marked.idx < cal.n - 1)
    left = marked.nxt.isnull() | (marked.nxt > marked.idx + 1)
    counted = (
        marked.group_by(*keys[:-1], bucket=marked.idx + 1)
        .aggregate(active_start=ibis._.count(), churned=marked.user_id.count(where=left))
        .to_pandas()
    )
    frame = per_value(counted, lambda part: _frame(part, cal, flags), values=values if by else None)
    return completeness.attach(frame, data_end, timezone)


def _frame(counted: pd.DataFrame, cal: Calendar, flags: list[bool]) -> pd.DataFrame:
    """The churn frame of one series from the database's per-period counts."""
    grid = np.zeros((cal.n, 2), dtype=np.int64)
    for bucket, active, gone in counted[["bucket", "active_start", "churned"]].itertuples(
        index=False
    ):
        grid[int(bucket)] = (int(active), int(gone))
    frame = pd.DataFrame(grid, columns=["active_start", "churned"])
    frame.insert(0, "period", cal.starts())
    frame["churn_rate"] = ratio(frame["churned"], frame["active_start"])
    frame["complete"] = flags
    return frame[CHURN_COLUMNS]
