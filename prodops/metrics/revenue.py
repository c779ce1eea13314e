"""Revenue from subscriptions: MRR movements, churn and retention rates, and revenue cohorts.

The one definition (DESIGN.md, "Revenue"; docs/adr/0003-revenue.md): a customer's MRR at instant
``t`` is the sum of ``mrr`` over their subscriptions with ``start <= t < end``. Every period
``[t0, t1)`` compares each customer's MRR at ``t0`` and at ``t1``:

* ``new``: 0 -> >0, and the customer had no subscription starting before ``t0``;
* ``reactivation``: 0 -> >0, and the customer had one before ``t0``;
* ``expansion`` / ``contraction``: up / down, >0 at both ends;
* ``churn``: >0 -> 0 (recognised when the last paid period ends).

A customer who starts and ends inside one period is 0 at both ends and not counted.

How it runs (docs/adr/0003-revenue.md): every subscription is a step ``+mrr`` at its start and
``-mrr`` at its end. Each step is placed in the period whose ``t0 < step <= t1`` (local period
arithmetic plus an equality join with a small literal table of boundaries, local midnights in the
analysis zone as UTC instants); summing a customer's steps per period and accumulating them over
periods gives the customer's MRR at ``t0`` and ``t1``. It is one Ibis expression, executed by the
backend that holds the table (DuckDB, PostgreSQL, ...). Amounts are summed as whole hundredths of
a cent (``BIGINT``), so movements reconcile exactly and every engine returns the same numbers;
rates are then computed on the few per-period totals.
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
from prodops.metrics.filters import require_columns
from prodops.metrics.frames import ratio
from prodops.metrics.periods import DateLike, check_timezone, localize, to_local

REVENUE_PERIODS: tuple[str, ...] = ("month", "week", "quarter")
LTV_PERIODS = 6  # LTV divides by the mean logo churn rate over this many periods
SCALE = 10_000  # amounts are summed as integers in hundredths of a cent
_EPOCH = pd.Timestamp("1970-01-01")

MONEY_COLUMNS = ["mrr_start", "new", "expansion", "contraction", "churn", "reactivation", "mrr_end"]
COUNT_COLUMNS = ["customers_start", "customers_end", "customers_churned"]
RATE_COLUMNS = [
    "logo_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "grr",
    "nrr",
    "quick_ratio",
    "arpa",
    "ltv",
]
REVENUE_COLUMNS = ["period", *MONEY_COLUMNS, *COUNT_COLUMNS, *RATE_COLUMNS]
COHORT_COLUMNS = [
    "cohort",
    "offset",
    "customers",
    "mrr",
    "cohort_customers",
    "cohort_mrr",
    "revenue_retention",
    "logo_retention",
]

REVENUE_FORMULAS: dict[str, str] = {
    "mrr_start": "MRR(t0) = sum of mrr of subscriptions with start <= t0 < end",
    "new": "sum of MRR(t1) of customers with MRR(t0) = 0 < MRR(t1), never subscribed before t0",
    "expansion": "sum of MRR(t1) - MRR(t0) of customers with 0 < MRR(t0) < MRR(t1)",
    "contraction": "sum of MRR(t0) - MRR(t1) of customers with 0 < MRR(t1) < MRR(t0)",
    "churn": "sum of MRR(t0) of customers with MRR(t0) > 0 = MRR(t1)",
    "reactivation": "sum of MRR(t1) of customers with MRR(t0) = 0 < MRR(t1), subscribed before t0",
    "mrr_end": "MRR(t1) = mrr_start + new + expansion + reactivation - contraction - churn",
    "customers_start": "customers with MRR(t0) > 0",
    "customers_end": "customers with MRR(t1) > 0",
    "customers_churned": "customers with MRR(t0) > 0 = MRR(t1)",
    "logo_churn_rate": "customers_churned / customers_start",
    "gross_mrr_churn_rate": "(churn + contraction) / mrr_start",
    "net_mrr_churn_rate": "(churn + contraction - expansion - reactivation) / mrr_start",
    "grr": "(mrr_start - churn - contraction) / mrr_start",
    "nrr": "(mrr_start - churn - contraction + expansion) / mrr_start",
    "quick_ratio": "(new + expansion + reactivation) / (churn + contraction)",
    "arpa": "mrr_end / customers_end",
    "ltv": f"arpa / mean logo_churn_rate of the last {LTV_PERIODS} periods",
    "revenue_retention": "cohort's MRR at the end of period k / its MRR when each customer began",
    "logo_retention": "cohort customers with MRR > 0 at the end of period k / cohort customers",
}


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
    period: str = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
) -> RevenueCalendar:
    """Resolve and validate a revenue range (defaults: first start to last start or end).

    Naive dates are read in *timezone*; both ends are truncated to their period and the last
    period counts in full.
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
        start = lo.tz_convert(timezone).tz_localize(None) if start is None else start
        end = hi.tz_convert(timezone).tz_localize(None) if end is None else end
        if start > end:
            raise ParameterError(
                f"the range from {start} to {end} is empty",
                fix="Pass a date_from before date_to, or leave both out.",
            )
    first, last = _truncate(start, period), _truncate(end, period)
    return RevenueCalendar(period, first, _units_between(first, last, period) + 1, timezone)


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


def _boundary_table(cal: RevenueCalendar, lookback: int) -> ir.Table:
    """``i, t``: the start of period ``i`` for ``i = -lookback .. n`` (``t_n`` ends the range)."""
    bounds = pd.DatetimeIndex(cal.bounds_utc(lookback)).astype("datetime64[us, UTC]")
    return ibis.memtable(
        pd.DataFrame({"i": np.arange(-lookback, cal.n + 1, dtype=np.int64), "t": bounds})
    )


def period_index(ts: ir.TimestampValue, cal: RevenueCalendar) -> ir.IntegerValue:
    """Index of the period whose local wall-clock span holds UTC instant *ts* (0 = first)."""
    local = local_time(ts, cal.timezone)
    if cal.period == "week":
        first_s = int((cal.first - _EPOCH) // pd.Timedelta(seconds=1))
        seconds = local.truncate("D").epoch_seconds().cast(dt.float64) - float(first_s)
        return (seconds / float(7 * 86_400)).floor().cast(dt.int64)
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
    bounds = _boundary_table(cal, lookback)
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


def _period_totals(steps: ir.Table) -> ir.Table:
    """Per period: the movements, and (for the state row ``first - 1``) MRR and customers."""
    m0, m1, kind = steps.m0, steps.m1, steps.kind

    def total(value: ir.IntegerValue, when: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(when, value, 0).sum().cast(dt.int64)

    def count(when: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(when, 1, 0).sum().cast(dt.int64)

    return steps.group_by("i").aggregate(
        new=total(m1, kind == "new"),
        expansion=total(m1 - m0, kind == "expansion"),
        contraction=total(m0 - m1, kind == "contraction"),
        churn=total(m0, kind == "churn"),
        reactivation=total(m1, kind == "reactivation"),
        customers_new=count((kind == "new") | (kind == "reactivation")),
        customers_churned=count(kind == "churn"),
        state_mrr=m1.sum().cast(dt.int64),
        state_customers=count(m1 > 0),
    )


def _accumulate(totals: pd.DataFrame, first: int, n: int) -> pd.DataFrame:
    """Per-period rows from the movements: MRR and customers carried from the start state."""
    index = pd.Index(np.arange(first - 1, n), name="i")
    frame = totals.set_index("i").reindex(index).fillna(0).astype("int64")
    state = frame.iloc[0]
    frame = frame.iloc[1:].reset_index(drop=True)
    net = frame["new"] + frame["expansion"] + frame["reactivation"]
    net = net - frame["contraction"] - frame["churn"]
    frame["mrr_end"] = state["state_mrr"] + net.cumsum()
    frame["mrr_start"] = frame["mrr_end"] - net
    joined = frame["customers_new"] - frame["customers_churned"]
    frame["customers_end"] = state["state_customers"] + joined.cumsum()
    frame["customers_start"] = frame["customers_end"] - joined
    return frame


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the rate columns (Float64, ``<NA>`` when undefined) to per-period scaled totals."""
    f = frame
    lost = f["churn"] + f["contraction"]
    start = f["mrr_start"]
    rates = {
        "logo_churn_rate": ratio(f["customers_churned"], f["customers_start"]),
        "gross_mrr_churn_rate": ratio(lost, start),
        "net_mrr_churn_rate": ratio(lost - f["expansion"] - f["reactivation"], start),
        "grr": ratio(start - lost, start),
        "nrr": ratio(start - lost + f["expansion"], start),
        "quick_ratio": ratio(f["new"] + f["expansion"] + f["reactivation"], lost),
        "arpa": ratio(f["mrr_end"] / SCALE, f["customers_end"]),
    }
    churn_rate = rates["logo_churn_rate"].to_numpy(dtype="float64", na_value=np.nan)
    mean_churn = pd.Series(churn_rate).rolling(LTV_PERIODS, min_periods=1).mean().to_numpy()
    arpa = rates["arpa"].to_numpy(dtype="float64", na_value=np.nan)
    ltv = ratio(np.nan_to_num(arpa), np.nan_to_num(mean_churn))
    ltv[np.isnan(arpa) | np.isnan(mean_churn)] = pd.NA
    rates["ltv"] = ltv
    for name, values in rates.items():
        f[name] = values.array
    return f


def revenue(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: str = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """MRR movements and churn/retention rates per period.

    Parameters
    ----------
    subscriptions : ibis.Table or pandas.DataFrame
        Canonical subscription periods: ``customer_id``, ``start`` (inclusive), ``end``
        (exclusive, null = still active), ``mrr`` (monthly amount; a yearly plan counts 1/12).
    period : {"month", "week", "quarter"}
        Length of a period (weeks start on Monday).
    date_from, date_to : str, date or datetime, optional
        The range, truncated to whole periods; the last period counts in full. Defaults: the
        first start and the last start or end. Naive values are read in *timezone*.
    timezone : str
        Analysis time zone: periods start at local midnight there.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period`` (tz-aware start), the amounts ``mrr_start, new,
        expansion, contraction, churn, reactivation, mrr_end`` (float, churn and contraction
        positive, ``mrr_start + new + expansion + reactivation - contraction - churn ==
        mrr_end``), the counts ``customers_start, customers_end, customers_churned`` (int64), and
        the rates ``logo_churn_rate, gross_mrr_churn_rate, net_mrr_churn_rate, grr, nrr,
        quick_ratio, arpa, ltv`` (Float64 fractions, ``<NA>`` when the denominator is 0). The
        formulas are in :data:`REVENUE_FORMULAS`.

    Raises
    ------
    ParameterError
        An unknown period or time zone, or ``date_from`` after ``date_to``.
    ColumnError
        A canonical column is missing.

    Examples
    --------
    Customer b pays 20 from December until 1 February; a pays 10 from 10 January, upgrades to 30
    on 15 February and cancels on 10 March:

    >>> import pandas as pd
    >>> subs = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-02-15", "2023-12-01"], utc=True),
    ...     "end": pd.to_datetime(["2024-02-15", "2024-03-10", "2024-02-01"], utc=True),
    ...     "mrr": [10.0, 30.0, 20.0]})
    >>> r = revenue(subs, date_from="2024-01-01", date_to="2024-03-01")
    >>> r[["mrr_start", "new", "expansion", "churn", "mrr_end", "logo_churn_rate"]]
       mrr_start   new  expansion  churn  mrr_end  logo_churn_rate
    0       20.0  10.0        0.0   20.0     10.0              1.0
    1       10.0   0.0       20.0    0.0     30.0              0.0
    2       30.0   0.0        0.0   30.0      0.0              1.0
    """
    table = subscriptions_table(subscriptions)
    cal = revenue_calendar(
        table, period=period, date_from=date_from, date_to=date_to, timezone=timezone
    )
    return _revenue_frame(table, cal)


def _revenue_frame(table: ir.Table, cal: RevenueCalendar) -> pd.DataFrame:
    lookback = LTV_PERIODS - 1  # so the first periods' LTV sees a full window
    steps = customer_steps(table, cal, lookback=lookback)
    frame = _accumulate(_period_totals(steps).to_pandas(), -lookback, cal.n)
    frame = _rates(frame).iloc[lookback:].reset_index(drop=True)
    for col in MONEY_COLUMNS:
        frame[col] = frame[col] / SCALE
    frame.insert(0, "period", pd.Series(cal.starts(), dtype=f"datetime64[us, {cal.timezone}]"))
    return frame[REVENUE_COLUMNS]


def customer_movements(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: str = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """The customers behind :func:`revenue`: one row per (period, customer) whose MRR moved.

    Returns ``period, customer_id, mrr_start, mrr_end, movement`` where movement is new,
    reactivation, expansion, contraction or churn; sorted by period and customer.
    Parameters as for :func:`revenue`.
    """
    table = subscriptions_table(subscriptions)
    cal = revenue_calendar(
        table, period=period, date_from=date_from, date_to=date_to, timezone=timezone
    )
    steps = customer_steps(table, cal, lookback=0)
    steps = steps.filter((steps.i >= 0) & (steps.kind != "flat"))
    moves = steps.to_pandas().sort_values(["i", "customer_id"]).reset_index(drop=True)
    starts = pd.Series(cal.starts(), dtype=f"datetime64[us, {cal.timezone}]")
    return pd.DataFrame(
        {
            "period": starts.iloc[moves["i"].to_numpy()].reset_index(drop=True),
            "customer_id": moves["customer_id"].astype("str"),
            "mrr_start": moves["m0"].to_numpy() / SCALE,
            "mrr_end": moves["m1"].to_numpy() / SCALE,
            "movement": moves["kind"].astype("str"),
        }
    )


def revenue_cohorts(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: str = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Revenue and logo retention of customers grouped by the period of their first MRR.

    A customer's cohort is the period holding the start of their first paying subscription;
    ``cohort_mrr`` sums each member's MRR at that first start, ``cohort_customers`` counts them.
    Offset ``k`` looks at the end of period ``cohort + k``: ``mrr`` is the members' MRR there
    and ``customers`` those with MRR > 0. ``revenue_retention = mrr / cohort_mrr`` (may exceed
    1), ``logo_retention = customers / cohort_customers``.

    Returns
    -------
    pandas.DataFrame
        ``cohort, offset, customers, mrr, cohort_customers, cohort_mrr, revenue_retention,
        logo_retention``: every period of the range is a cohort (empty ones included) with offsets
        ``0..n-1``; cells after the end of the range are ``<NA>``.

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-10"], utc=True),
    ...     "end": pd.to_datetime(["2024-02-20", "2024-02-10", None], utc=True),
    ...     "mrr": [10.0, 30.0, 50.0]})
    >>> c = revenue_cohorts(subs, date_from="2024-01-01", date_to="2024-02-01")
    >>> c[["offset", "customers", "mrr", "revenue_retention", "logo_retention"]].head(2)
       offset  customers   mrr  revenue_retention  logo_retention
    0       0          2  40.0                1.0             1.0
    1       1          1  50.0               1.25             0.5
    """
    table = subscriptions_table(subscriptions)
    cal = revenue_calendar(
        table, period=period, date_from=date_from, date_to=date_to, timezone=timezone
    )
    moves, members = _cohort_exprs(table, cal)
    return _cohort_frame(_cohort_cells(moves.to_pandas(), cal.n), members.to_pandas(), cal)


def _cohort_exprs(subs: ir.Table, cal: RevenueCalendar) -> tuple[ir.Table, ir.Table]:
    """Per (cohort ``c``, period ``i``): the members' MRR steps and paying-customer changes.

    A member's MRR at the end of period ``c + k`` is the sum of their steps in periods up to
    ``c + k`` (see :func:`customer_steps`), so cells are running sums of these rows.
    """
    first = subs.group_by("customer_id").aggregate(first_start=subs.start.min())
    opening = subs.join(first, "customer_id").filter(lambda t: t.start == t.first_start)
    initial = opening.group_by("customer_id").aggregate(
        first_start=opening.first_start.min(), initial=opening.amount.sum()
    )
    # The period holding the first start: t0 <= first_start < t1 (local period arithmetic,
    # checked against the boundary instant for a period whose midnight DST shifted).
    initial = initial.mutate(k=period_index(initial.first_start, cal))
    bounds = _boundary_table(cal, 0)
    placed = initial.left_join(bounds, initial.k == bounds.i)
    c = ibis.ifelse(placed.t.notnull() & (placed.first_start < placed.t), placed.k - 1, placed.k)
    cohort = placed.select("customer_id", "initial", c=c)
    cohort = cohort.filter((cohort.c >= 0) & (cohort.c < cal.n))
    members = cohort.group_by("c").aggregate(
        cohort_customers=cohort.count().cast(dt.int64), cohort_mrr=cohort.initial.sum()
    )
    steps = customer_steps(subs, cal, lookback=0).join(cohort, "customer_id")
    m0, m1 = steps.m0, steps.m1
    joins = ibis.cases(((m0 == 0) & (m1 > 0), 1), ((m0 > 0) & (m1 == 0), -1), else_=0)
    moves = steps.group_by(["c", "i"]).aggregate(
        delta=(m1 - m0).sum().cast(dt.int64), joins=joins.sum().cast(dt.int64)
    )
    return moves, members


def _cohort_cells(moves: pd.DataFrame, n: int) -> pd.DataFrame:
    """``c, offset, customers, amount`` from per-period steps: running sums up to ``c + offset``."""
    delta = np.zeros((n, n + 1), dtype=np.int64)  # column i + 1 holds period i (-1 .. n-1)
    joins = np.zeros((n, n + 1), dtype=np.int64)
    c, i = moves["c"].to_numpy(dtype=np.int64), moves["i"].to_numpy(dtype=np.int64) + 1
    np.add.at(delta, (c, i), moves["delta"].to_numpy(dtype=np.int64))
    np.add.at(joins, (c, i), moves["joins"].to_numpy(dtype=np.int64))
    amount, customers = delta.cumsum(axis=1), joins.cumsum(axis=1)
    cohort, offset = np.divmod(np.arange(n * n), n)
    column = np.minimum(cohort + offset, n - 1) + 1  # cells past the range are hidden later
    return pd.DataFrame(
        {
            "c": cohort,
            "offset": offset,
            "customers": customers[cohort, column],
            "amount": amount[cohort, column],
        }
    )


def _cohort_frame(cells: pd.DataFrame, members: pd.DataFrame, cal: RevenueCalendar) -> pd.DataFrame:
    n = cal.n
    grid = pd.MultiIndex.from_product([range(n), range(n)], names=["c", "offset"]).to_frame(
        index=False
    )
    frame = grid.merge(cells, on=["c", "offset"], how="left").merge(members, on="c", how="left")
    hidden = ((frame["c"] + frame["offset"]) >= n).to_numpy()  # after the end of the range
    size = frame["cohort_customers"].fillna(0).to_numpy(dtype=np.int64)
    base = frame["cohort_mrr"].fillna(0).to_numpy(dtype=np.float64) / SCALE
    counts = frame["customers"].fillna(0).to_numpy(dtype=np.int64)
    amount = frame["amount"].fillna(0).to_numpy(dtype=np.float64) / SCALE
    starts = pd.Series(cal.starts(), dtype=f"datetime64[us, {cal.timezone}]")
    out = pd.DataFrame(
        {
            "cohort": starts.iloc[frame["c"].to_numpy()].reset_index(drop=True),
            "offset": frame["offset"].astype("int64"),
            "customers": _hide(pd.Series(counts, dtype="Int64"), hidden),
            "mrr": _hide(pd.Series(amount, dtype="Float64"), hidden),
            "cohort_customers": size,
            "cohort_mrr": base,
            "revenue_retention": _hide(ratio(amount, base), hidden),
            "logo_retention": _hide(ratio(counts, size), hidden),
        }
    )
    return out[COHORT_COLUMNS]


def _hide(values: pd.Series, hidden: np.ndarray) -> pd.Series:
    values = values.copy()
    values[hidden] = pd.NA
    return values
