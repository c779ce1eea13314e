"""Revenue cohorts: the MRR and the paying customers kept by each starting cohort.

A customer's cohort is the period holding the start of their first paying subscription; the
definitions of MRR and of the periods are those of :mod:`prodops.metrics.revenue`, and the
expression builds on the per-customer steps of :mod:`prodops.metrics.revenue_steps`.

Period 0 is the base: the cohort's MRR and paying customers at the *end* of its first period, so
period 0 reads 100 % (the MRR at each customer's first start made a cohort that upgraded in its
first month read 116 % there). Later cells are relative to it. As in :func:`revenue`, a customer
who starts and stops inside their first period is counted nowhere.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics import completeness
from prodops.metrics.frames import ratio
from prodops.metrics.periods import DateLike
from prodops.metrics.registry import RevenuePeriod
from prodops.metrics.revenue_steps import (
    SCALE,
    RevenueCalendar,
    boundary_table,
    customer_steps,
    period_index,
    revenue_range,
)

COHORT_COLUMNS = [
    "cohort",
    "offset",
    "customers",
    "mrr",
    "cohort_customers",
    "cohort_mrr",
    "revenue_retention",
    "logo_retention",
    "complete",
]


def revenue_cohorts(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: RevenuePeriod = "month",
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    as_of: DateLike = None,
) -> pd.DataFrame:
    """Revenue and logo retention of customers grouped by the period of their first MRR.

    A customer's cohort is the period holding the start of their first paying subscription.
    Period 0 is the base: ``cohort_customers`` counts the members paying at the end of that
    period and ``cohort_mrr`` sums their MRR then. Offset ``k`` looks at the end of period
    ``cohort + k``: ``mrr`` is those customers' MRR there and ``customers`` those of them with
    MRR > 0. ``revenue_retention = mrr / cohort_mrr`` (1 at offset 0; may exceed 1 later),
    ``logo_retention = customers / cohort_customers``. Parameters as for :func:`revenue`.

    Returns
    -------
    pandas.DataFrame
        ``cohort, offset, customers, mrr, cohort_customers, cohort_mrr, revenue_retention,
        logo_retention, complete``: every period of the range is a cohort (empty ones included)
        with offsets ``0..n-1``; cells after the end of the range are ``<NA>`` and a cell is
        ``complete`` when its period (``cohort + k``) is in the range and ends at or before the
        data end. ``attrs["data_end"]`` holds the data end.

    Examples
    --------
    a pays 10 from 5 January and upgrades to 40 on 20 January; b pays 30 from 20 January to
    10 February:

    >>> import pandas as pd
    >>> subs = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-01-20"], utc=True),
    ...     "end": pd.to_datetime(["2024-01-20", None, "2024-02-10"], utc=True),
    ...     "mrr": [10.0, 40.0, 30.0]})
    >>> c = revenue_cohorts(subs, date_from="2024-01-01", date_to="2024-02-01", as_of="2024-02-29")
    >>> c[["offset", "customers", "mrr", "revenue_retention", "logo_retention", "complete"]].head(2)
       offset  customers   mrr  revenue_retention  logo_retention  complete
    0       0          2  70.0                1.0             1.0      True
    1       1          1  40.0           0.571429             0.5      True
    """
    table, cal, data_end = revenue_range(
        subscriptions,
        period=period,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        as_of=as_of,
    )
    moves, members = _cohort_exprs(table, cal)
    frame = _cohort_frame(_cohort_cells(moves.to_pandas(), cal.n), members.to_pandas(), cal)
    done = completeness.complete_flags(cal.starts(), period=cal.period, data_end=data_end)
    at = (frame["cohort_index"] + frame["offset"]).to_numpy()
    frame["complete"] = [bool(i < cal.n and done[i]) for i in at]
    return completeness.attach(frame[COHORT_COLUMNS], data_end, timezone)


def _cohort_exprs(subs: ir.Table, cal: RevenueCalendar) -> tuple[ir.Table, ir.Table]:
    """Per (cohort ``c``, period ``i``): the base members' MRR steps and paying-customer changes.

    A member's MRR at the end of period ``c + k`` is the sum of their steps in periods up to
    ``c + k`` (see :func:`customer_steps`), so cells are running sums of these rows. The base
    members of cohort ``c`` are those paying at the end of ``c`` (their steps up to ``c`` sum to
    more than 0); *members* holds their number and MRR there per cohort.
    """
    first = subs.group_by("customer_id").aggregate(first_start=subs.start.min())
    # The period holding the first start: t0 <= first_start < t1 (local period arithmetic,
    # checked against the boundary instant for a period whose midnight DST shifted).
    first = first.mutate(k=period_index(first.first_start, cal))
    bounds = boundary_table(cal, 0)
    placed = first.left_join(bounds, first.k == bounds.i)
    c = ibis.ifelse(placed.t.notnull() & (placed.first_start < placed.t), placed.k - 1, placed.k)
    cohort = placed.select("customer_id", c=c)
    cohort = cohort.filter((cohort.c >= 0) & (cohort.c < cal.n))
    steps = customer_steps(subs, cal, lookback=0).join(cohort, "customer_id")
    delta = steps.m1 - steps.m0
    base = steps.group_by("customer_id").aggregate(
        base=ibis.ifelse(steps.i <= steps.c, delta, 0).sum().cast(dt.int64)
    )
    base = base.filter(base.base > 0)
    steps = steps.join(base, "customer_id")
    members = (
        steps.filter(steps.i <= steps.c)
        .group_by("c")
        .aggregate(
            cohort_customers=steps.customer_id.nunique().cast(dt.int64),
            cohort_mrr=(steps.m1 - steps.m0).sum().cast(dt.int64),
        )
    )
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
            "cohort_index": frame["c"].astype("int64"),
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
    return out


def _hide(values: pd.Series, hidden: np.ndarray) -> pd.Series:
    values = values.copy()
    values[hidden] = pd.NA
    return values
