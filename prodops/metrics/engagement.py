"""Engagement: stickiness, active users over a rolling window of days, and DAU/MAU.

Completeness (DESIGN.md): a day of active users is complete when it ends at or before the data
end; stickiness counts the complete periods of the range only, unless ``include_incomplete``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics import completeness, day_runs
from prodops.metrics.activity import (
    active_pairs,
    breakdown_table,
    period_completeness,
    range_end,
)
from prodops.metrics.breakdowns import DEFAULT_BREAKDOWN_LIMIT, check_breakdown, per_value
from prodops.metrics.filters import Filters, check_event_names, events_table, predicate
from prodops.metrics.frames import ratio
from prodops.metrics.periods import Calendar, DateLike, build_calendar, check_positive
from prodops.metrics.registry import Period, WeekStart

STICKINESS_COLUMNS = ["active_periods", "users", "buckets_total", "buckets_complete", "complete"]


def stickiness(
    events: ir.Table | pd.DataFrame,
    *,
    period: Period = "day",
    period_count: int = 1,
    event: str | None = None,
    where: Filters = None,
    min_events: int = 1,
    cumulative: bool = False,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: WeekStart = "monday",
    as_of: DateLike = None,
    include_incomplete: bool = False,
) -> pd.DataFrame:
    """How many periods of the range users were active in.

    The histogram counts the *complete* periods of the range (``buckets_complete``, those ending
    at or before the data end): a period still in progress would make everyone look less sticky.
    With ``include_incomplete`` it counts all ``buckets_total`` periods, the one in progress too.
    For each n from 1 to the number of periods counted, the users active in exactly n of them
    (or, with ``cumulative``, in at least n). A user is active in a period with at least
    ``min_events`` matching events there; users never active are left out.

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
    period : {"hour", "day", "week", "month"}
    period_count : int
        Units per period.
    event : str, optional
        The event that counts (None: any event).
    where : list or dict, optional
        Filters on the events (:mod:`prodops.metrics.filters`).
    min_events : int
        Matching events needed in a period.
    cumulative : bool
        "At least n" instead of "exactly n".
    date_from, date_to : str, date or datetime, optional
        The range; defaults: the first event and the data end.
    timezone : str
    week_start : {"monday", "sunday"}
    as_of : str, date or datetime, optional
        The data end (a date alone: the end of that day); default: the last event.
    include_incomplete : bool
        Count the periods in progress too.

    Returns
    -------
    pandas.DataFrame
        One row per n (1 .. periods counted): ``active_periods``, ``users``, ``buckets_total``
        (periods in the range), ``buckets_complete`` (int64), ``complete`` (bool: True when only
        complete periods were counted). ``attrs`` holds ``data_end``, ``buckets_total`` and
        ``buckets_complete`` (also when no period is complete yet and there are no rows).

    Examples
    --------
    Over three days, ``a`` is active on two of them and ``b`` on one; the last event is at
    midnight on day 3, so day 3 is in progress and left out unless asked for:

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"], "event": ["x"] * 4,
    ...     "timestamp": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00",
    ...                                  "2024-01-03 00:00", "2024-01-02 00:00"], utc=True)})
    >>> stickiness(ev, period="day")
       active_periods  users  buckets_total  buckets_complete  complete
    0               1      2              3                 2      True
    1               2      0              3                 2      True
    >>> stickiness(ev, period="day", include_incomplete=True)["users"].tolist()
    [1, 1, 0]
    >>> stickiness(ev, period="day", as_of="2024-01-03")["users"].tolist()
    [1, 1, 0]
    """
    table = events_table(events)
    predicate(table, where, role="where")
    least = check_positive("min_events", min_events)
    cal = build_calendar(
        table,
        period=period,
        period_count=period_count,
        date_from=date_from,
        date_to=range_end(date_to, as_of, timezone),
        timezone=timezone,
        week_start=week_start,
    )
    check_event_names(table, [event])
    flags, data_end = period_completeness(table, cal, as_of=as_of)
    done = sum(flags)  # complete periods come first: their ends only grow
    counted_n = cal.n if include_incomplete else done
    hist = np.zeros(counted_n + 1, dtype=np.int64)
    if counted_n:
        pairs = active_pairs(
            table, cal, event=event, where=where, lo=0, hi=counted_n, min_events=least
        )
        per_user = pairs.group_by("user_id").aggregate(a=ibis._.count())
        counted = per_user.group_by("a").aggregate(users=ibis._.count()).to_pandas()
        for a, users in counted[["a", "users"]].itertuples(index=False):
            hist[int(a)] += int(users)
    hist = hist[1:]
    if cumulative:
        hist = np.flip(np.cumsum(np.flip(hist)))
    frame = pd.DataFrame(
        {
            "active_periods": np.arange(1, counted_n + 1, dtype=np.int64),
            "users": hist,
            "buckets_total": np.full(counted_n, cal.n, dtype=np.int64),
            "buckets_complete": np.full(counted_n, done, dtype=np.int64),
            "complete": np.full(counted_n, counted_n <= done, dtype=bool),
        }
    )
    frame.attrs.update(buckets_total=cal.n, buckets_complete=done)
    return completeness.attach(frame, data_end, timezone)


def active_users(
    events: ir.Table | pd.DataFrame,
    *,
    window_days: int = 1,
    event: str | None = None,
    where: Filters = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    as_of: DateLike = None,
    breakdown: str | None = None,
    breakdown_limit: int | None = DEFAULT_BREAKDOWN_LIMIT,
) -> pd.DataFrame:
    """Users active in the ``window_days`` local calendar days ending on each day.

    For each local day d from the day of ``date_from`` to the day of ``date_to``, the number of
    distinct users with at least one matching event on days d - window_days + 1 .. d (events
    before ``date_from`` count for the first windows). 1 = DAU, 7 = WAU, 30 = MAU.

    On a dataset of the catalog, the distinct (user, local day) pairs are reduced once per
    dataset version, time zone, event, filters and breakdown values to a small table of runs
    kept beside the catalog (:mod:`prodops.metrics.day_runs`); every window and range is then
    answered from it. Other tables are queried each time. The results are the same.

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
    window_days : int
    event : str, optional
    where : list or dict, optional
        Filters on the events (:mod:`prodops.metrics.filters`).
    date_from, date_to : str, date or datetime, optional
        Defaults: the first event and the data end.
    timezone : str
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
        With a breakdown, a leading ``breakdown`` column and every day once per value.
        ``date`` (the local day, as a naive midnight Timestamp), ``users`` (int64),
        ``complete`` (bool: the day ends at or before the data end); ``attrs["data_end"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 00:00",
    ...                                  "2024-01-04 09:00"], utc=True)})
    >>> active_users(ev, window_days=2)
            date  users  complete
    0 2024-01-01      1      True
    1 2024-01-02      2      True
    2 2024-01-03      1      True
    3 2024-01-04      1     False
    """
    table = events_table(events)
    predicate(table, where, role="where")
    check_breakdown(table, breakdown, breakdown_limit)
    window = check_positive("window_days", window_days)
    cal = build_calendar(
        table,
        period="day",
        date_from=date_from,
        date_to=range_end(date_to, as_of, timezone),
        timezone=timezone,
    )
    check_event_names(table, [event])
    flags, data_end = period_completeness(table, cal, as_of=as_of)
    # A user is counted on day d through their latest active day x <= d, if d - x < window: so
    # each active day x starts a run [x, min(next active day, x + window)) and the runs of one
    # user never overlap. The database counts runs by (start, length); Python adds +1 at each
    # start and -1 at each end. Days more than a window before the range cannot reach it.
    table, values = breakdown_table(
        table, cal, event=event, where=where, breakdown=breakdown, limit=breakdown_limit
    )
    by = breakdown is not None
    # A dataset of the catalog keeps its runs per version (prodops.metrics.day_runs): every
    # window and range is then answered from a small frame; other tables are queried each time.
    cached = day_runs.cached_runs(
        table, timezone=cal.timezone, event=event, where=where, by_breakdown=by
    )
    if cached is not None:
        first_day = day_runs.epoch_day(cal.first)
        counted = day_runs.window_counts(cached, first_day=first_day, window=window)
    else:
        counted = _window_runs(table, cal, event=event, where=where, window=window, by=by)
    frame = per_value(
        counted, lambda part: _users_frame(part, cal, flags), values=values if by else None
    )
    return completeness.attach(frame, data_end, timezone)


def _window_runs(
    table: ir.Table, cal: Calendar, *, event: str | None, where: Filters, window: int, by: bool
) -> pd.DataFrame:
    """Runs ``[bk,] day, span, n`` of the range, counted by the database (no cache)."""
    keys = ["bk", "user_id"] if by else ["user_id"]
    pairs = active_pairs(table, cal, event=event, where=where, lo=1 - window, by_breakdown=by)
    nxt = pairs.idx.lead().over(ibis.window(group_by=keys, order_by="idx"))
    span = ibis.cases((nxt.isnull(), window), else_=ibis.least(nxt - pairs.idx, window))
    runs = pairs.mutate(span=span)
    counted: pd.DataFrame = (
        runs.group_by(*keys[:-1], day=runs.idx, span=runs.span)
        .aggregate(n=ibis._.count())
        .to_pandas()
    )
    return counted


def _users_frame(counted: pd.DataFrame, cal: Calendar, flags: list[bool]) -> pd.DataFrame:
    """The active-users frame of one series from the database's runs (start day, length)."""
    starts = counted["day"].astype("int64")
    deltas = pd.DataFrame(
        {
            "day": pd.concat([starts, starts + counted["span"].astype("int64")]),
            "delta": pd.concat([counted["n"], -counted["n"]]).astype("int64"),
        }
    )
    users = _running_total(deltas, cal.n)
    return pd.DataFrame({"date": cal.days(), "users": users, "complete": flags})


def _running_total(deltas: pd.DataFrame, n: int) -> np.ndarray:
    """Sum of the deltas at or before each day 0..n-1."""
    totals = np.zeros(n, dtype=np.int64)
    if len(deltas):
        day = deltas["day"].to_numpy(dtype=np.int64)
        delta = deltas["delta"].to_numpy(dtype=np.int64)
        before = int(delta[day < 0].sum())
        inside = (day >= 0) & (day < n)
        np.add.at(totals, day[inside], delta[inside])
        totals[0] += before
    return np.cumsum(totals)


def dau_mau(
    events: ir.Table | pd.DataFrame,
    *,
    event: str | None = None,
    where: Filters = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    as_of: DateLike = None,
) -> pd.DataFrame:
    """Daily active users over 30-day active users, per local day.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``dau``, ``mau`` (int64), ``ratio`` (Float64, ``<NA>`` when mau is 0),
        ``complete`` (bool, as in :func:`active_users`); ``attrs["data_end"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)})
    >>> dau_mau(ev, as_of="2024-01-03")[["dau", "mau", "ratio", "complete"]]
       dau  mau  ratio  complete
    0    1    1    1.0      True
    1    1    2    0.5      True
    2    1    2    0.5      True
    """
    options = {
        "event": event,
        "where": where,
        "date_from": date_from,
        "date_to": date_to,
        "timezone": timezone,
        "as_of": as_of,
    }
    daily = active_users(events, window_days=1, **options)  # type: ignore[arg-type]
    monthly = active_users(events, window_days=30, **options)  # type: ignore[arg-type]
    rates = ratio(daily["users"], monthly["users"])
    frame = pd.DataFrame(
        {
            "date": daily["date"],
            "dau": daily["users"],
            "mau": monthly["users"],
            "ratio": rates,
            "complete": daily["complete"],
        }
    )
    frame.attrs.update(daily.attrs)
    return frame
