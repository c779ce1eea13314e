"""The machinery behind the revenue metrics: the calendar of periods and each customer's MRR steps.

How it runs (docs/adr/0003-revenue.md): every subscription is a step ``+mrr`` at its start and
``-mrr`` at its end. Each step is placed in the period whose ``t0 < step <= t1`` (local period
arithmetic plus an equality join with a small literal table of boundaries, local midnights in the
analysis zone as UTC instants); summing a customer's steps per period and accumulating them over
periods gives the customer's MRR at ``t0`` and ``t1``. It is one Ibis expression, executed by the
backend that holds the table (DuckDB, PostgreSQL, ...). Amounts are summed as whole hundredths of
a cent (``BIGINT``), so movements reconcile exactly and every engine returns the same numbers.

:mod:`prodops.metrics.revenue` (movements and rates) and
:mod:`prodops.metrics.revenue_retention` (revenue cohorts) build on :func:`customer_steps`.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.data.schema import CUSTOMER_COL, END_COL, MRR_COL, START_COL, SUBSCRIPTION_COLUMNS
from prodops.engine import as_table, local_time
from prodops.errors import InputError, ParameterError, did_you_mean
from prodops.metrics.completeness import instant, subscriptions_data_end
from prodops.metrics.filters import require_columns
from prodops.metrics.periods import DateLike, check_timezone, localize, to_local, wall_seconds
from prodops.metrics.registry import REVENUE_PERIODS, RevenuePeriod

SCALE = 10_000  # amounts are summed as integers in hundredths of a cent
_EPOCH = pd.Timestamp("1970-01-01")


# --- the calendar -------------------------------------------------------------------------------


def _truncate(stamp: pd.Timestamp, period: str) -> pd.Timestamp:
    """Start of the period holding naive local *stamp* (weeks start on Monday)."""
    day = stamp.normalize()
    if period == "week":
        return day - pd.Timedelta(days=day.weekday())
    month = day.replace(day=1)
    if period == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1)
    return month


def _shift(stamp: pd.Timestamp, period: str, units: int) -> pd.Timestamp:
    if period == "week":
        return stamp + pd.Timedelta(days=7 * units)
    return stamp + pd.DateOffset(months=units * (3 if period == "quarter" else 1))


def _units_between(first: pd.Timestamp, last: pd.Timestamp, period: str) -> int:
    if period == "week":
        return (last - first).days // 7
    months = (last.year - first.year) * 12 + last.month - first.month
    return months // 3 if period == "quarter" else months


@dataclass(frozen=True)
class RevenueCalendar:
    """``n`` consecutive periods starting at naive local ``first`` in ``timezone``."""

    period: str
    first: pd.Timestamp
    n: int
    timezone: str

    def naive_bounds(self, lookback: int = 0) -> list[pd.Timestamp]:
        """Local starts of periods ``-lookback .. n`` (the last one is the end of the range)."""
        return [_shift(self.first, self.period, i) for i in range(-lookback, self.n + 1)]

    def bounds_utc(self, lookback: int = 0) -> list[pd.Timestamp]:
        """The boundaries as UTC instants (DST gaps shift forward, repeated hours: the first)."""
        return [localize(s, self.timezone).tz_convert("UTC") for s in self.naive_bounds(lookback)]

    def starts(self) -> list[pd.Timestamp]:
        """Tz-aware start of every period of the range, in the analysis zone."""
        return [localize(s, self.timezone) for s in self.naive_bounds()[: self.n]]


def _data_bounds(table: ir.Table) -> tuple[pd.Timestamp, pd.Timestamp]:
    last_end = table[END_COL].max()
    row = table.aggregate(
        lo=table[START_COL].min(), hi=table[START_COL].max(), hi_end=last_end
    ).to_pandas()
    lo, hi, hi_end = (row[c].iloc[0] for c in ("lo", "hi", "hi_end"))
    if pd.isna(lo):
        raise InputError(
            "there are no subscriptions with a positive mrr",
            fix="Load a subscriptions dataset with at least one paying period.",
        )
    values = [pd.Timestamp(v) for v in (lo, hi, hi_end) if not pd.isna(v)]
    utc = [v.tz_localize("UTC") if v.tzinfo is None else v.tz_convert("UTC") for v in values]
    return utc[0], max(utc[1:])


def revenue_calendar(
    table: ir.Table,
    *,
    period: RevenuePeriod = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    data_end: pd.Timestamp | None = None,
) -> RevenueCalendar:
    """Resolve and validate a revenue range (defaults: first start to *data_end*).

    Naive dates are read in *timezone*; both ends are truncated to their period and the last
    period counts in full. Without *data_end* the range ends at the last start or end.
    """
    if period not in REVENUE_PERIODS:
        raise ParameterError(
            f"period must be one of {', '.join(REVENUE_PERIODS)}, not {period!r}",
            fix=did_you_mean(str(period), REVENUE_PERIODS) or "Pass period='month'.",
        )
    check_timezone(timezone)
    start = to_local(date_from, timezone, name="date_from")
    end = to_local(date_to, timezone, name="date_to")
    if start is not None and end is not None and start > end:
        raise ParameterError(
            f"date_from {date_from} is after date_to {date_to}", fix="Swap them or widen the range."
        )
    if start is None or end is None:
        lo, hi = _data_bounds(table)
        hi = hi if data_end is None else data_end
        start = lo.tz_convert(timezone).tz_localize(None) if start is None else start
        end = hi.tz_convert(timezone).tz_localize(None) if end is None else end
        if start > end and date_from is None:  # the end given (date_to or as_of) is too early
            raise ParameterError(
                f"the range ends ({end:%Y-%m-%d %H:%M}) before the first subscription starts"
                f" ({start:%Y-%m-%d %H:%M})",
                where="date_to",
                fix="End it (date_to or as_of; --date-to or --as-of) after the first start, or"
                " leave it out.",
            )
        if start > end:
            raise ParameterError(
                f"the range starts ({start:%Y-%m-%d %H:%M}) after the data ends"
                f" ({end:%Y-%m-%d %H:%M})",
                where="date_from",
                fix="Start it (date_from, --date-from) before the data end, or leave it out.",
            )
    first, last = _truncate(start, period), _truncate(end, period)
    return RevenueCalendar(period, first, _units_between(first, last, period) + 1, timezone)


def revenue_range(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: RevenuePeriod,
    date_from: DateLike,
    date_to: DateLike,
    timezone: str,
    as_of: DateLike,
) -> tuple[ir.Table, RevenueCalendar, pd.Timestamp | None]:
    """The canonical table, the calendar and the data end of one revenue request.

    The data end is ``as_of`` (naive in *timezone*, a date alone meaning the end of that day),
    else the latest start or end that is not in the future (DESIGN.md, "Completeness"). The
    range ends at ``date_to``, else at ``as_of``, else at the data end.
    """
    check_timezone(timezone)
    table = subscriptions_table(subscriptions)
    data_end = subscriptions_data_end(table, as_of=instant(as_of, timezone))
    cal = revenue_calendar(
        table,
        period=period,
        date_from=date_from,
        date_to=date_to if date_to is not None else as_of,
        timezone=timezone,
        data_end=data_end,
    )
    return table, cal, data_end


# --- the expression ------------------------------------------------------------------------------


def subscriptions_table(subscriptions: ir.Table | pd.DataFrame) -> ir.Table:
    """Canonical paying periods: ``customer_id, start, end, amount`` (amount in 1/10000 units).

    Rows without a start, with ``mrr <= 0`` (or missing), or with ``end <= start`` hold no MRR at
    any instant and are left out.
    """
    table = as_table(subscriptions)
    require_columns(table, SUBSCRIPTION_COLUMNS, role="subscriptions column")
    mrr = table[MRR_COL].cast(dt.float64)
    start, end = table[START_COL], table[END_COL]
    amount = (mrr * SCALE).round().cast(dt.int64)
    return table.filter(
        start.notnull(), table[CUSTOMER_COL].notnull(), mrr > 0, end.isnull() | (end > start)
    ).select(
        customer_id=table[CUSTOMER_COL].cast(dt.string),
        start=start,
        end=end,
        amount=amount,
    )


def boundary_table(cal: RevenueCalendar, lookback: int) -> ir.Table:
    """``i, t``: the start of period ``i`` for ``i = -lookback .. n`` (``t_n`` ends the range)."""
    bounds = pd.DatetimeIndex(cal.bounds_utc(lookback)).astype("datetime64[us, UTC]")
    return ibis.memtable(
        pd.DataFrame({"i": np.arange(-lookback, cal.n + 1, dtype=np.int64), "t": bounds})
    )


def period_index(ts: ir.TimestampValue, cal: RevenueCalendar) -> ir.IntegerValue:
    """Index of the period whose local wall-clock span holds UTC instant *ts* (0 = first)."""
    if cal.period == "week":
        # Whole local days since 1970 (each engine's own epoch and zone functions), in weeks
        # from the first period's start (a day start).
        first_day = (cal.first - _EPOCH) // pd.Timedelta(days=1)
        days = (wall_seconds(ts, cal.timezone) / 86_400.0).floor()
        return ((days - float(first_day)) / 7.0).floor().cast(dt.int64)
    local = local_time(ts, cal.timezone)
    months = local.year() * 12 + local.month() - (cal.first.year * 12 + cal.first.month)
    if cal.period == "quarter":
        return (months.cast(dt.float64) / 3.0).floor().cast(dt.int64)
    return months.cast(dt.int64)


def customer_steps(subs: ir.Table, cal: RevenueCalendar, *, lookback: int) -> ir.Table:
    """Per customer and period ``i`` in which their MRR may change: ``m0``, ``m1`` and ``kind``.

    Invariant: every subscription is a step ``+amount`` at ``start`` and ``-amount`` at ``end``;
    a step at instant ``s`` counts in ``MRR(t)`` for every ``t >= s``, so it moves the MRR of the
    period ``i`` with ``t0 < s <= t1`` (the period holding ``s``, or the one before when ``s`` is
    exactly a boundary). Summing a customer's steps per period and accumulating over periods
    gives ``m1 = MRR(t1)`` and ``m0 = m1 - steps = MRR(t0)``. Steps at or before the first
    boundary go to period ``-lookback - 1`` (the state at the start); later ones than the end of
    the range are ignored. ``kind`` is new (the customer's first period with a step),
    reactivation, expansion, contraction, churn, or flat (no change at the boundaries).
    """
    first = -lookback
    starts = subs.select("customer_id", time=subs.start, delta=subs.amount)
    ends = subs.filter(subs.end.notnull())
    ends = ends.select("customer_id", time=ends.end, delta=-ends.amount)
    steps = starts.union(ends, distinct=False)
    steps = steps.mutate(k=period_index(steps.time, cal))
    bounds = boundary_table(cal, lookback)
    placed = steps.left_join(bounds, steps.k == bounds.i)
    i = ibis.cases(
        (placed.k < first, ibis.literal(first - 1, type=dt.int64)),
        (placed.time <= placed.t, placed.k - 1),
        else_=placed.k,
    )
    placed = placed.select("customer_id", "delta", i=i)
    placed = placed.filter(placed.i < cal.n)
    per = placed.group_by(["customer_id", "i"]).aggregate(delta=placed.delta.sum().cast(dt.int64))
    # One window (one sort): ordered by i, the running minimum of i is the customer's first i.
    upto = ibis.window(group_by="customer_id", order_by="i", rows=(None, 0))
    per = per.mutate(m1=per.delta.sum().over(upto).cast(dt.int64), first_i=per.i.min().over(upto))
    m0, m1 = per.m1 - per.delta, per.m1
    kind = ibis.cases(
        (m0 == m1, "flat"),
        ((m0 == 0) & (per.first_i == per.i), "new"),
        (m0 == 0, "reactivation"),
        (m1 == 0, "churn"),
        (m1 > m0, "expansion"),
        else_="contraction",
    )
    return per.select("customer_id", "i", m0=m0, m1=m1, kind=kind)
