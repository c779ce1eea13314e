"""A plain-pandas reference for revenue movements, used only by tests to cross-check the engine.

Written the slow, obvious way: for every period boundary, each customer's MRR is the sum of the
``mrr`` of their subscriptions with ``start <= t < end``; then each customer is compared at the
two ends of each period. It shares no code with :mod:`prodops.metrics.revenue`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pandas as pd

LTV_MONTHS = 6


def period_starts(
    first: str, last: str, period: str, timezone: str, lookback: int = 0
) -> list[pd.Timestamp]:
    """Tz-aware starts of the periods from naive local *first* to *last*, plus the range's end."""
    lo, hi = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if period == "week":
        lo, hi = (t - pd.Timedelta(days=t.weekday()) for t in (lo, hi))
        step: pd.DateOffset | pd.Timedelta = pd.Timedelta(weeks=1)
    else:
        months = 3 if period == "quarter" else 1
        lo, hi = (t.replace(day=1, month=(t.month - 1) // months * months + 1) for t in (lo, hi))
        step = pd.DateOffset(months=months)
    starts = []
    k = -lookback
    while True:
        t = lo + k * step
        starts.append(t)
        if t > hi:
            break
        k += 1
    return [s.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward") for s in starts]


def _valid(subs: pd.DataFrame) -> pd.DataFrame:
    keep = subs["start"].notna() & (subs["mrr"] > 0) & ~(subs["end"] <= subs["start"])
    return subs[keep]


def mrr_at(subs: pd.DataFrame, t: pd.Timestamp) -> dict[str, float]:
    """Each customer's MRR at instant *t* (customers with 0 left out)."""
    out: dict[str, float] = {}
    for row in subs.itertuples():
        if row.start <= t and (pd.isna(row.end) or t < row.end):
            out[row.customer_id] = out.get(row.customer_id, 0.0) + round(row.mrr, 4)
    return {k: round(v, 4) for k, v in out.items() if round(v, 4) > 0}


def _div(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def data_end(subs: pd.DataFrame, as_of: str | None = None, timezone: str = "UTC") -> pd.Timestamp:
    """*as_of* (a date alone: the end of that local day), else the latest start or past end."""
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        if len(as_of) == 10:
            stamp += pd.Timedelta(days=1)
        return stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp
    subs = _valid(subs)
    now = pd.Timestamp.now(tz="UTC")
    ends = subs["end"][subs["end"] <= now]
    return max([subs["start"].max(), *([ends.max()] if len(ends) else [])])


def ends_by(start: pd.Timestamp, period: str, end: pd.Timestamp) -> bool:
    """The period starting at local midnight *start* ends at or before the instant *end*."""
    step = (
        pd.DateOffset(days=7)
        if period == "week"
        else pd.DateOffset(months=3 if period == "quarter" else 1)
    )
    stop = (start.tz_localize(None) + step).tz_localize(
        start.tz, ambiguous=True, nonexistent="shift_forward"
    )
    return stop <= end


def reference_revenue(
    subs: pd.DataFrame,
    *,
    period: str,
    date_from: str,
    date_to: str,
    timezone: str = "UTC",
    as_of: str | None = None,
) -> pd.DataFrame:
    """The rows of ``revenue(...)`` for the range *date_from*..*date_to* (naive local dates)."""
    end = data_end(subs, as_of, timezone)
    subs = _valid(subs)
    bounds = period_starts(date_from, date_to, period, timezone)
    first_start = subs.groupby("customer_id")["start"].min().to_dict()
    at = [mrr_at(subs, t) for t in bounds]
    rows = []
    for i in range(len(bounds) - 1):
        t0, a0, a1 = bounds[i], at[i], at[i + 1]
        row = dict.fromkeys(["new", "expansion", "contraction", "churn", "reactivation"], 0.0) | {
            "customers_churned": 0
        }
        for c in set(a0) | set(a1):
            m0, m1 = a0.get(c, 0.0), a1.get(c, 0.0)
            if m0 == 0:
                row["new" if first_start[c] >= t0 else "reactivation"] += m1
            elif m1 == 0:
                row["churn"] += m0
                row["customers_churned"] += 1
            elif m1 > m0:
                row["expansion"] += m1 - m0
            elif m1 < m0:
                row["contraction"] += m0 - m1
        start, mrr_end = sum(a0.values()), sum(a1.values())
        lost = row["churn"] + row["contraction"]
        row |= {
            "period": t0,
            "mrr_start": start,
            "mrr_end": mrr_end,
            "customers_start": len(a0),
            "customers_end": len(a1),
            "logo_churn_rate": _div(row["customers_churned"], len(a0)),
            "gross_mrr_churn_rate": _div(lost, start),
            "net_mrr_churn_rate": _div(lost - row["expansion"] - row["reactivation"], start),
            "grr": _div(start - lost, start),
            "nrr": _div(start - lost + row["expansion"], start),
            "quick_ratio": _div(row["new"] + row["expansion"] + row["reactivation"], lost),
            "arpa": _div(mrr_end, len(a1)),
            "complete": ends_by(t0, period, end),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def reference_ltv(
    subs: pd.DataFrame, *, date_to: str | None, as_of: str | None, timezone: str = "UTC"
) -> dict[str, Any]:
    """LTV as DESIGN.md states it: monthly ARPA / mean monthly logo churn of the last 6 complete
    months, as of the end of the range (the end of *date_to*'s day or the data end if earlier)."""
    until = data_end(subs, as_of, timezone)
    if date_to is not None:
        until = min(until, data_end(subs, date_to, timezone))
    subs = _valid(subs)
    local = until.tz_convert(timezone).tz_localize(None)
    month = pd.Timestamp(local.year, local.month, 1)
    # month starts, oldest first: the 6 months before the one holding *until*, and its start
    starts = [month - pd.DateOffset(months=k) for k in range(LTV_MONTHS, -1, -1)]
    at = [
        mrr_at(subs, s.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward"))
        for s in starts
    ]
    rates = []
    for before, after in itertools.pairwise(at):
        if before:
            rates.append(sum(1 for c in before if c not in after) / len(before))
    arpa = _div(sum(at[-1].values()), len(at[-1]))
    mean = sum(rates) / len(rates) if rates else None
    ltv = None if arpa is None or not mean else arpa / mean
    return {"arpa": arpa, "months": len(rates), "mean_logo_churn_rate": mean, "ltv": ltv}


def reference_cohorts(
    subs: pd.DataFrame,
    *,
    period: str,
    date_from: str,
    date_to: str,
    timezone: str = "UTC",
    as_of: str | None = None,
) -> pd.DataFrame:
    """Rows of ``revenue_cohorts(...)``: the base is the cohort at the end of its first period."""
    end = data_end(subs, as_of, timezone)
    subs = _valid(subs)
    bounds = period_starts(date_from, date_to, period, timezone)
    n = len(bounds) - 1
    first = subs.groupby("customer_id")["start"].min()
    at = [mrr_at(subs, t) for t in bounds]
    rows = []
    for c in range(n):
        # first paying start in period c, and still paying at its end
        members = [k for k, s in first.items() if bounds[c] <= s < bounds[c + 1] and k in at[c + 1]]
        size, base = len(members), sum(at[c + 1][k] for k in members)
        for k in range(n):
            seen = c + k < n
            cell = at[c + k + 1] if seen else {}
            customers = sum(1 for m in members if m in cell) if seen else None
            mrr = sum(cell.get(m, 0.0) for m in members) if seen else None
            rows.append(
                {
                    "cohort": bounds[c],
                    "offset": k,
                    "customers": customers,
                    "mrr": mrr,
                    "cohort_customers": size,
                    "cohort_mrr": base,
                    "revenue_retention": None if not seen or base == 0 else mrr / base,
                    "logo_retention": None if not seen or size == 0 else customers / size,
                    "complete": seen and ends_by(bounds[c + k], period, end),
                }
            )
    return pd.DataFrame(rows)


def same(a: object, b: object, *, tol: float = 1e-9) -> bool:
    """Equal numbers (relative *tol*), or both missing."""
    missing_a = a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA
    missing_b = b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    if missing_a or missing_b:
        return missing_a and missing_b
    return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=1e-9)  # type: ignore[arg-type]
