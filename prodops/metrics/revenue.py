"""Revenue from subscriptions: MRR movements, churn and retention rates, and revenue cohorts.

The one definition (DESIGN.md, "Revenue"; docs/adr/0003-revenue.md): a customer's MRR at instant
``t`` is the sum of ``mrr`` over their subscriptions with ``start <= t < end``. Every period
``[t0, t1)`` compares each customer's MRR at ``t0`` and at ``t1``:

* ``new``: 0 -> >0, and the customer had no subscription starting before ``t0``;
* ``reactivation``: 0 -> >0, and the customer had one before ``t0``;
* ``expansion`` / ``contraction``: up / down, >0 at both ends;
* ``churn``: >0 -> 0 (recognised when the last paid period ends).

A customer who starts and ends inside one period is 0 at both ends and not counted.

Every period carries ``complete`` (it ends at or before the data end; DESIGN.md, "Completeness").
LTV is one figure, whatever the display period (:func:`ltv`): monthly ARPA over the mean monthly
logo churn of the last 6 complete months, as of the end of the range.

Everything is one Ibis expression per metric, executed by the backend that holds the table
(:mod:`prodops.metrics.revenue_steps` says how); rates are then computed on the few per-period
totals. Revenue cohorts (:func:`revenue_cohorts`) are in :mod:`prodops.metrics.revenue_retention`.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics import completeness
from prodops.metrics.frames import ratio
from prodops.metrics.periods import DateLike, check_timezone, localize
from prodops.metrics.registry import REVENUE_PERIODS, RevenuePeriod
from prodops.metrics.revenue_retention import COHORT_COLUMNS, revenue_cohorts
from prodops.metrics.revenue_steps import (
    SCALE,
    RevenueCalendar,
    customer_steps,
    revenue_range,
    subscriptions_table,
)

LTV_MONTHS = 6  # LTV divides by the mean monthly logo churn rate of this many complete months
LTV_PERIODS = LTV_MONTHS  # the former name

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
]
REVENUE_COLUMNS = ["period", *MONEY_COLUMNS, *COUNT_COLUMNS, *RATE_COLUMNS, "complete"]
LTV_COLUMNS = [
    "as_of",
    "arpa_month",
    "arpa",
    "churn_from",
    "churn_to",
    "months",
    "mean_logo_churn_rate",
    "ltv",
    "formula",
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
    "ltv": (
        "ARPA at the end of the last complete month / mean monthly logo churn rate of the last"
        f" {LTV_MONTHS} complete months, as of the end of the range (the same in week, month and"
        " quarter views)"
    ),
    "revenue_retention": (
        "cohort's MRR at the end of period k / its MRR at the end of period 0 (period 0 = 100 %)"
    ),
    "logo_retention": (
        "cohort customers with MRR > 0 at the end of period k / those at the end of period 0"
        " (period 0 = 100 %)"
    ),
    "complete": "the period ends at or before the data end (later ones are in progress)",
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
    as_of: DateLike = None,
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
        first start and the data end. Naive values are read in *timezone*.
    timezone : str
        Analysis time zone: periods start at local midnight there.
    as_of : str, date or datetime, optional
        The data end (a date alone: the end of that day); default: the latest start or end of a
        subscription that is not in the future.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period`` (tz-aware start), the amounts ``mrr_start, new,
        expansion, contraction, churn, reactivation, mrr_end`` (float, churn and contraction
        positive, ``mrr_start + new + expansion + reactivation - contraction - churn ==
        mrr_end``), the counts ``customers_start, customers_end, customers_churned`` (int64), the
        rates ``logo_churn_rate, gross_mrr_churn_rate, net_mrr_churn_rate, grr, nrr,
        quick_ratio, arpa`` (Float64 fractions, ``<NA>`` when the denominator is 0) and
        ``complete`` (bool: the period ends at or before the data end). The formulas are in
        :data:`REVENUE_FORMULAS`. ``attrs["data_end"]`` is the data end and ``attrs["ltv"]`` the
        one LTV of the range as a dict (the row of :func:`ltv`).

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
    >>> r[["mrr_start", "new", "expansion", "churn", "mrr_end", "logo_churn_rate", "complete"]]
       mrr_start   new  expansion  churn  mrr_end  logo_churn_rate  complete
    0       20.0  10.0        0.0   20.0     10.0              1.0      True
    1       10.0   0.0       20.0    0.0     30.0              0.0      True
    2       30.0   0.0        0.0   30.0      0.0              1.0     False

    The data ends on 10 March (the last end), so March is in progress.
    """
    table, cal, data_end = revenue_range(
        subscriptions,
        period=period,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        as_of=as_of,
    )
    # Monthly views compute the LTV window's months in the same query when they reach it.
    lookback = LTV_MONTHS if cal.period == "month" else 0
    full = _revenue_frame(table, cal, lookback=lookback)
    frame = full.iloc[lookback:].reset_index(drop=True)
    frame["complete"] = completeness.complete_flags(
        frame["period"], period=cal.period, data_end=data_end
    )
    frame = completeness.attach(frame[REVENUE_COLUMNS], data_end, timezone)
    until = _ltv_until(date_to, data_end, timezone)
    months = full if cal.period == "month" else None
    frame.attrs["ltv"] = _ltv_record(table, until, timezone, months=months)
    return frame


def _revenue_frame(table: ir.Table, cal: RevenueCalendar, *, lookback: int = 0) -> pd.DataFrame:
    """Rows for the periods ``-lookback .. n-1`` of *cal* (the columns of :data:`REVENUE_COLUMNS`
    but ``complete``)."""
    steps = customer_steps(table, cal, lookback=lookback)
    frame = _rates(_accumulate(_period_totals(steps).to_pandas(), -lookback, cal.n))
    for col in MONEY_COLUMNS:
        frame[col] = frame[col] / SCALE
    starts = [localize(s, cal.timezone) for s in cal.naive_bounds(lookback)[:-1]]
    frame.insert(0, "period", pd.Series(starts, dtype=f"datetime64[us, {cal.timezone}]"))
    return frame[REVENUE_COLUMNS[:-1]]


# --- LTV ------------------------------------------------------------------------------------------


def ltv(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    date_to: DateLike = None,
    as_of: DateLike = None,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Lifetime value: monthly ARPA over the mean monthly logo churn rate, as one figure.

    ``ltv = arpa / mean_logo_churn_rate`` where ``arpa`` is MRR / paying customers at the end of
    the last complete month (the month ending at or before the end of the range: ``date_to``'s
    end, or the data end if earlier) and ``mean_logo_churn_rate`` the mean of the monthly logo
    churn rates of the last :data:`LTV_MONTHS` complete months ending there (months with no
    customer at their start have no rate and are left out). It does not depend on the period a
    page displays: week, month and quarter views show the same LTV.

    Parameters
    ----------
    subscriptions : ibis.Table or pandas.DataFrame
    date_to : str, date or datetime, optional
        The end of the range (a date alone: the end of that day); default: the data end.
    as_of : str, date or datetime, optional
        The data end (see :func:`revenue`).
    timezone : str
        Months start at local midnight there.

    Returns
    -------
    pandas.DataFrame
        One row: ``as_of`` (the instant the LTV is taken at), ``arpa_month`` (the start of the
        month whose end gives ARPA), ``arpa``, ``churn_from``, ``churn_to`` (the first and last
        month averaged), ``months`` (how many), ``mean_logo_churn_rate``, ``ltv`` (None when
        undefined) and ``formula`` (the computation with its numbers, or why it is undefined).

    Examples
    --------
    Four customers pay 100 from June 2023; d cancels on 10 January 2024. As of the end of
    August 2024 the last 6 complete months are March to August, with no churn; as of the end of
    June they are January to June, with churn 1/4 in January:

    >>> import pandas as pd
    >>> subs = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"],
    ...     "start": pd.to_datetime(["2023-06-01"] * 4, utc=True),
    ...     "end": pd.to_datetime([None, None, None, "2024-01-10"], utc=True),
    ...     "mrr": [100.0] * 4})
    >>> row = ltv(subs, as_of="2024-08-31").iloc[0]
    >>> row["ltv"] is None, int(row["months"])
    (True, 6)
    >>> print(ltv(subs, as_of="2024-08-31", date_to="2024-06-30").iloc[0]["formula"])
    LTV = ARPA / mean monthly logo churn = 100.00 / 4.17% = 2,400.00 (ARPA at the end of June 2024;
    logo churn of the 6 complete months January 2024 to June 2024)
    """
    check_timezone(timezone)
    table = subscriptions_table(subscriptions)
    data_end = completeness.subscriptions_data_end(
        table, as_of=completeness.instant(as_of, timezone)
    )
    record = _ltv_record(table, _ltv_until(date_to, data_end, timezone), timezone, months=None)
    frame = pd.DataFrame([record], columns=LTV_COLUMNS).astype({"ltv": object})
    return completeness.attach(frame, data_end, timezone)


def _ltv_until(
    date_to: DateLike, data_end: pd.Timestamp | None, timezone: str
) -> pd.Timestamp | None:
    """The instant LTV is taken at: the end of ``date_to`` or the data end, whichever is first."""
    if data_end is None:
        return None
    end = completeness.instant(date_to, timezone, name="date_to")
    return data_end if end is None else min(end, data_end)


def _ltv_record(
    table: ir.Table,
    until: pd.Timestamp | None,
    timezone: str,
    *,
    months: pd.DataFrame | None,
) -> dict[str, Any]:
    """The LTV as of *until*, from *months* (monthly revenue rows) when they hold its window."""
    if until is None:
        return _ltv_values(None, until, timezone)
    local = until.tz_convert(timezone).tz_localize(None)
    last = local.normalize().replace(day=1) - pd.DateOffset(months=1)  # ends at or before until
    first = last - pd.DateOffset(months=LTV_MONTHS - 1)
    wanted = [localize(first + pd.DateOffset(months=k), timezone) for k in range(LTV_MONTHS)]
    if months is not None and set(wanted) <= set(months["period"]):
        rows = months[months["period"].isin(wanted)].reset_index(drop=True)
    else:
        cal = RevenueCalendar("month", first, LTV_MONTHS, timezone)
        rows = _revenue_frame(table, cal)
    return _ltv_values(rows, until, timezone)


def _month(stamp: Any) -> str:
    return pd.Timestamp(stamp).strftime("%B %Y")


def _ltv_values(
    rows: pd.DataFrame | None, until: pd.Timestamp | None, timezone: str
) -> dict[str, Any]:
    """The LTV of the monthly *rows* (oldest first; ARPA from the last) and its formula line."""
    record: dict[str, Any] = dict.fromkeys(LTV_COLUMNS)
    record["as_of"] = None if until is None else until.tz_convert(timezone)
    record["months"] = 0
    if rows is None or rows.empty:
        record["formula"] = "LTV undefined: there is no data"
        return record
    arpa = rows["arpa"].iloc[-1]
    known = rows[rows["logo_churn_rate"].notna()]
    record.update(arpa_month=rows["period"].iloc[-1], months=len(known))
    record["arpa"] = None if pd.isna(arpa) else float(arpa)
    if len(known):
        mean = float(known["logo_churn_rate"].astype("float64").mean())
        record.update(
            churn_from=known["period"].iloc[0],
            churn_to=known["period"].iloc[-1],
            mean_logo_churn_rate=mean,
        )
    record["formula"] = _ltv_formula(record)
    if record["arpa"] is not None and record["mean_logo_churn_rate"]:
        record["ltv"] = record["arpa"] / record["mean_logo_churn_rate"]
        record["formula"] = _ltv_formula(record)
    return record


def _ltv_formula(r: dict[str, Any]) -> str:
    """The line shown beside the LTV: the computation with its numbers, or why it is undefined."""
    where = f"the end of {_month(r['arpa_month'])}"
    if r["arpa"] is None:
        return f"LTV undefined: no paying customer at {where}"
    if not r["months"]:
        return f"LTV undefined: no customer at the start of the months up to {where}"
    span = (
        f"the complete month {_month(r['churn_to'])}"
        if r["months"] == 1
        else f"the {r['months']} complete months {_month(r['churn_from'])} to"
        f" {_month(r['churn_to'])}"
    )
    if r["ltv"] is None:
        return f"LTV undefined: no customer churned in {span} (ARPA {r['arpa']:,.2f} at {where})"
    return (
        f"LTV = ARPA / mean monthly logo churn = {r['arpa']:,.2f} /"
        f" {r['mean_logo_churn_rate']:.2%} = {r['ltv']:,.2f} (ARPA at {where}; logo churn of"
        f" {span})"
    )


def customer_movements(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: RevenuePeriod = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    as_of: DateLike = None,
) -> pd.DataFrame:
    """The customers behind :func:`revenue`: one row per (period, customer) whose MRR moved.

    Returns ``period, customer_id, mrr_start, mrr_end, movement`` where movement is new,
    reactivation, expansion, contraction or churn; sorted by period and customer.
    Parameters as for :func:`revenue`.
    """
    table, cal, _ = revenue_range(
        subscriptions,
        period=period,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        as_of=as_of,
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
    "LTV_COLUMNS",
    "LTV_MONTHS",
    "LTV_PERIODS",
    "MONEY_COLUMNS",
    "RATE_COLUMNS",
    "REVENUE_COLUMNS",
    "REVENUE_FORMULAS",
    "REVENUE_PERIODS",
    "SCALE",
    "customer_movements",
    "ltv",
    "revenue",
    "revenue_cohorts",
]
