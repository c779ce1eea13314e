"""Lifecycle: new, returning, resurrecting and dormant users per period, and the pulse ratio.

A period that ends after the data end is still filling up (its dormant count is too high), so
every bucket carries ``complete`` and the frame the data end (DESIGN.md, "Completeness").
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

LIFECYCLE_COLUMNS = [
    "start",
    "new",
    "returning",
    "resurrecting",
    "dormant",
    "pulse_ratio",
    "complete",
]
_KINDS = ("new", "returning", "resurrecting", "dormant")


def lifecycle(
    events: ir.Table | pd.DataFrame,
    *,
    period: Period = "week",
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
    """Users per period by lifecycle state, with history before ``date_from`` counted.

    A user is *active* in a period when they did ``event`` (any event by default) matching
    ``where`` there. ``new``: active, and this is their first active period ever; ``returning``:
    active now and in the previous period; ``resurrecting``: active now, not in the previous
    period, active at some earlier one; ``dormant``: active in the previous period, not now
    (a positive count). ``pulse_ratio = (new + resurrecting) / dormant`` (``<NA>`` when no one
    went dormant).

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
        Canonical events.
    period : {"hour", "day", "week", "month"}
    event : str, optional
        The event that makes a user active (None: any event).
    where : list or dict, optional
        Filters on the events (:mod:`prodops.metrics.filters`).
    date_from, date_to : str, date or datetime, optional
        The range (naive values in ``timezone``); defaults: the first event and the data end.
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
        With a breakdown, a leading ``breakdown`` column (the value) and every period once per
        value. ``start`` (tz-aware period start), ``new``, ``returning``, ``resurrecting``,
        ``dormant`` (int64), ``pulse_ratio`` (Float64), ``complete`` (bool: the period ends at or
        before the data end). ``attrs["data_end"]`` holds the data end.

    Examples
    --------
    ``a`` is active on days 1 and 3, ``b`` on days 1 and 2, ``c`` on day 3 only:

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "b", "a", "c"], "event": ["x"] * 5,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02",
    ...                                  "2024-01-03", "2024-01-03"], utc=True)})
    >>> lifecycle(ev, period="day")[["new", "returning", "resurrecting", "dormant", "complete"]]
       new  returning  resurrecting  dormant  complete
    0    2          0             0        0      True
    1    0          1             0        1      True
    2    1          0             1        1     False

    The last event is at midnight on day 3, so day 3 is still in progress.
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
    pairs = active_pairs(table, cal, event=event, where=where, by_breakdown=by)
    win = ibis.window(group_by=keys, order_by="idx")
    marked = pairs.mutate(prev=pairs.idx.lag().over(win), nxt=pairs.idx.lead().over(win))
    # One aggregate per period index: the states of the users active there, and how many of
    # them leave (not active in the next period) - dormant in the period after.
    marked = marked.filter(marked.idx >= -1)
    user = marked.user_id
    counted = (
        marked.group_by(*keys[:-1], "idx")
        .aggregate(
            new=user.count(where=marked.prev.isnull()),
            returning=user.count(where=marked.prev == marked.idx - 1),
            resurrecting=user.count(where=marked.prev < marked.idx - 1),
            leaving=user.count(where=marked.nxt.isnull() | (marked.nxt > marked.idx + 1)),
        )
        .to_pandas()
    )
    frame = per_value(counted, lambda part: _frame(part, cal, flags), values=values if by else None)
    return completeness.attach(frame, data_end, timezone)


def _frame(counted: pd.DataFrame, cal: Calendar, flags: list[bool]) -> pd.DataFrame:
    """The lifecycle frame of one series from the database's per-index counts."""
    grid = np.zeros((cal.n, len(_KINDS)), dtype=np.int64)
    for idx, new, returning, resurrecting, leaving in counted[
        ["idx", "new", "returning", "resurrecting", "leaving"]
    ].itertuples(index=False):
        if 0 <= idx < cal.n:
            grid[int(idx), :3] = (int(new), int(returning), int(resurrecting))
        if 0 <= idx + 1 < cal.n:
            grid[int(idx) + 1, 3] = int(leaving)
    frame = pd.DataFrame(grid, columns=list(_KINDS))
    frame.insert(0, "start", cal.starts())
    frame["pulse_ratio"] = ratio(frame["new"] + frame["resurrecting"], frame["dormant"])
    frame["complete"] = flags
    return frame[LIFECYCLE_COLUMNS]
