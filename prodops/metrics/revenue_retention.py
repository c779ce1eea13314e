"""Revenue cohorts: the MRR and the paying customers kept by each starting cohort.

A customer's cohort is the period holding the start of their first paying subscription; the
definitions of MRR and of the periods are those of :mod:`prodops.metrics.revenue`, and the
expression builds on the per-customer steps of :mod:`prodops.metrics.revenue_steps`.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from prodops.metrics.frames import ratio
from prodops.metrics.periods import DateLike
from prodops.metrics.registry import RevenuePeriod
from prodops.metrics.revenue_steps import (
    SCALE,
    RevenueCalendar,
    boundary_table,
    customer_steps,
    period_index,
    revenue_calendar,
    subscriptions_table,
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
]


def revenue_cohorts(
    subscriptions: ir.Table | pd.DataFrame,
    *,
    period: RevenuePeriod = "month",
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
    bounds = boundary_table(cal, 0)
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
