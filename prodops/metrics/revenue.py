"""Revenue from subscriptions: MRR movements, churn and retention rates, and revenue cohorts.

The one definition (DESIGN.md, "Revenue"; docs/adr/0003-revenue.md): a customer's MRR at instant
``t`` is the sum of ``mrr`` over their subscriptions with ``start <= t < end``. Every period
``[t0, t1)`` compares each customer's MRR at ``t0`` and at ``t1``:

* ``new``: 0 -> >0, and the customer had no subscription starting before ``t0``;
* ``reactivation``: 0 -> >0, and the customer had one before ``t0``;
* ``expansion`` / ``contraction``: up / down, >0 at both ends;
* ``churn``: >0 -> 0 (recognised when the last paid period ends).

A customer who starts and ends inside one period is 0 at both ends and not counted.

Everything is one Ibis expression per metric, executed by the backend that holds the table
(:mod:`prodops.metrics.revenue_steps` says how); rates are then computed on the few per-period
totals. Revenue cohorts (:func:`revenue_cohorts`) are in :mod:`prodops.metrics.revenue_retention`.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics.frames import ratio
from prodops.metrics.periods import DateLike
from prodops.metrics.registry import REVENUE_PERIODS, RevenuePeriod
from prodops.metrics.revenue_retention import COHORT_COLUMNS, revenue_cohorts
from prodops.metrics.revenue_steps import (
    SCALE,
    RevenueCalendar,
    customer_steps,
    revenue_calendar,
    subscriptions_table,
)

LTV_PERIODS = 6  # LTV divides by the mean logo churn rate over this many periods

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


# --- movements and rates --------------------------------------------------------------------------


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
    period: RevenuePeriod = "month",
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
    period: RevenuePeriod = "month",
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


__all__ = [
    "COHORT_COLUMNS",
    "COUNT_COLUMNS",
    "LTV_PERIODS",
    "MONEY_COLUMNS",
    "RATE_COLUMNS",
    "REVENUE_COLUMNS",
    "REVENUE_FORMULAS",
    "REVENUE_PERIODS",
    "SCALE",
    "customer_movements",
    "revenue",
    "revenue_cohorts",
]
