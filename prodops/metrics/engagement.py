"""Engagement: stickiness, active users over a rolling window of days, and DAU/MAU."""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics.activity import active_pairs
from prodops.metrics.filters import check_event_names, events_table, predicate
from prodops.metrics.frames import ratio
from prodops.metrics.periods import DateLike, build_calendar, check_positive
from prodops.metrics.registry import Period, WeekStart

STICKINESS_COLUMNS = ["active_periods", "users", "buckets_total"]


def stickiness(
    events: ir.Table | pd.DataFrame,
    *,
    period: Period = "day",
    period_count: int = 1,
    event: str | None = None,
    where: Mapping[str, str] | None = None,
    min_events: int = 1,
    cumulative: bool = False,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: WeekStart = "monday",
) -> pd.DataFrame:
    """How many periods of the range users were active in.

    For each n from 1 to the number of periods in the range (``buckets_total``), the users
    active in exactly n periods (or, with ``cumulative``, in at least n). A user is active in a
    period with at least ``min_events`` matching events there; users never active are left out.

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
    period : {"hour", "day", "week", "month"}
    period_count : int
        Units per period.
    event : str, optional
        The event that counts (None: any event).
    where : dict, optional
    min_events : int
        Matching events needed in a period.
    cumulative : bool
        "At least n" instead of "exactly n".
    date_from, date_to : str, date or datetime, optional
        The range; defaults: the first and the last event.
    timezone : str
    week_start : {"monday", "sunday"}

    Returns
    -------
    pandas.DataFrame
        ``active_periods`` (1..buckets_total), ``users``, ``buckets_total`` (int64).

    Examples
    --------
    Over three days, ``a`` is active on two of them and ``b`` on one:

    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"], "event": ["x"] * 4,
    ...     "timestamp": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00",
    ...                                  "2024-01-03 00:00", "2024-01-02 00:00"], utc=True)})
    >>> stickiness(ev, period="day")
       active_periods  users  buckets_total
    0               1      1              3
    1               2      1              3
    2               3      0              3
    >>> stickiness(ev, period="day", min_events=2)["users"].tolist()
    [1, 0, 0]
    """
    table = events_table(events)
    predicate(table, where, role="where")
    least = check_positive("min_events", min_events)
    cal = build_calendar(
        table,
        period=period,
        period_count=period_count,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        week_start=week_start,
    )
    check_event_names(table, [event])
    pairs = active_pairs(table, cal, event=event, where=where, lo=0, min_events=least)
    per_user = pairs.group_by("user_id").aggregate(a=ibis._.count())
    counted = per_user.group_by("a").aggregate(users=ibis._.count()).to_pandas()
    hist = np.zeros(cal.n + 1, dtype=np.int64)
    for a, users in counted[["a", "users"]].itertuples(index=False):
        hist[int(a)] += int(users)
    hist = hist[1:]
    if cumulative:
        hist = np.flip(np.cumsum(np.flip(hist)))
    return pd.DataFrame(
        {
            "active_periods": np.arange(1, cal.n + 1, dtype=np.int64),
            "users": hist,
            "buckets_total": np.full(cal.n, cal.n, dtype=np.int64),
        }
    )


def active_users(
    events: ir.Table | pd.DataFrame,
    *,
    window_days: int = 1,
    event: str | None = None,
    where: Mapping[str, str] | None = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Users active in the ``window_days`` local calendar days ending on each day.

    For each local day d from the day of ``date_from`` to the day of ``date_to``, the number of
    distinct users with at least one matching event on days d - window_days + 1 .. d (events
    before ``date_from`` count for the first windows). 1 = DAU, 7 = WAU, 30 = MAU.

    Parameters
    ----------
    events : ibis.Table or pandas.DataFrame
    window_days : int
    event : str, optional
    where : dict, optional
    date_from, date_to : str, date or datetime, optional
        Defaults: the first and the last event.
    timezone : str

    Returns
    -------
    pandas.DataFrame
        ``date`` (the local day, as a naive midnight Timestamp), ``users`` (int64).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"], utc=True)})
    >>> active_users(ev, window_days=2)["users"].tolist()
    [1, 2, 1, 1]
    """
    table = events_table(events)
    predicate(table, where, role="where")
    window = check_positive("window_days", window_days)
    cal = build_calendar(
        table, period="day", date_from=date_from, date_to=date_to, timezone=timezone
    )
    check_event_names(table, [event])
    # A user is counted on day d through their latest active day x <= d, if d - x < window: so
    # each active day x starts a run [x, min(next active day, x + window)) and the runs of one
    # user never overlap. The database counts runs by (start, length); Python adds +1 at each
    # start and -1 at each end. Days more than a window before the range cannot reach it.
    pairs = active_pairs(table, cal, event=event, where=where, lo=1 - window)
    nxt = pairs.idx.lead().over(ibis.window(group_by="user_id", order_by="idx"))
    span = ibis.cases((nxt.isnull(), window), else_=ibis.least(nxt - pairs.idx, window))
    runs = pairs.mutate(span=span)
    counted = runs.group_by(day=runs.idx, span=runs.span).aggregate(n=ibis._.count()).to_pandas()
    starts = counted["day"].astype("int64")
    deltas = pd.DataFrame(
        {
            "day": pd.concat([starts, starts + counted["span"].astype("int64")]),
            "delta": pd.concat([counted["n"], -counted["n"]]).astype("int64"),
        }
    )
    users = _running_total(deltas, cal.n)
    days = cal.days()
    return pd.DataFrame({"date": days, "users": users})


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
    where: Mapping[str, str] | None = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Daily active users over 30-day active users, per local day.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``dau``, ``mau`` (int64), ``ratio`` (Float64, ``<NA>`` when mau is 0).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)})
    >>> dau_mau(ev)[["dau", "mau", "ratio"]]
       dau  mau  ratio
    0    1    1    1.0
    1    1    2    0.5
    2    1    2    0.5
    """
    options = {
        "event": event,
        "where": where,
        "date_from": date_from,
        "date_to": date_to,
        "timezone": timezone,
    }
    daily = active_users(events, window_days=1, **options)  # type: ignore[arg-type]
    monthly = active_users(events, window_days=30, **options)  # type: ignore[arg-type]
    rates = ratio(daily["users"], monthly["users"])
    return pd.DataFrame(
        {"date": daily["date"], "dau": daily["users"], "mau": monthly["users"], "ratio": rates}
    )
