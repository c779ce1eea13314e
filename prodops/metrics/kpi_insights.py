"""Insight rules: short findings (a weak cohort, a churn spike, an NRR change) from the metric
frames, judged on complete periods only (see :mod:`prodops.metrics.kpis`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from prodops.metrics.kpi_tiles import _offset_rates
from prodops.metrics.kpis import (
    RETENTION_PAGE,
    REVENUE_PAGE,
    Insight,
    _label,
    _pct,
    complete_mask,
)


def weak_cohort_insights(
    retention: pd.DataFrame,
    *,
    period: str = "week",
    offset: int = 1,
    lookback: int = 6,
    recent: int = 4,
    min_baseline_cohorts: int = 3,
    min_drop: float = 0.2,
    min_points: float = 0.05,
    min_size: int = 20,
    as_of: Any = None,
) -> list[Insight]:
    """Recent cohorts whose retention at *offset* is far below the cohorts before them.

    For each of the last *recent* observable cohorts (size >= *min_size*), the baseline is the
    size-weighted average rate at *offset* of up to *lookback* cohorts just before it (at least
    *min_baseline_cohorts*, each of size >= *min_size*). A cohort is flagged when its rate is at
    least *min_drop* below the baseline relatively **and** *min_points* below it absolutely.
    """
    rates = _offset_rates(retention, offset=offset, period=period, as_of=as_of)
    rates = rates[rates["size"] >= min_size].reset_index(drop=True)
    found: list[Insight] = []
    for i in range(max(0, len(rates) - recent), len(rates)):
        before = rates.iloc[max(0, i - lookback) : i]
        if len(before) < min_baseline_cohorts:
            continue
        baseline = float((before["rate"] * before["size"]).sum() / before["size"].sum())
        row = rates.iloc[i]
        rate = float(row["rate"])
        gap = baseline - rate
        if gap < min_points or rate > baseline * (1 - min_drop):
            continue
        unit = period if offset == 1 else f"{period} {offset}"
        label = _label(pd.Timestamp(row["cohort"]), period)
        found.append(
            Insight(
                title=f"Weak cohort: {period} of {label}",
                text=(
                    f"Only {_pct(rate)} of the {int(row['size']):,} users who started in the"
                    f" {period} of {label} came back in the following {unit}, against"
                    f" {_pct(baseline)} on average for the {len(before)} cohorts before it"
                    f" ({gap * 100:.0f} points lower)."
                ),
                page=RETENTION_PAGE,
                severity="warning",
                score=gap,
                params={
                    "period": period,
                    "range_by": "last",
                    "periods": str(retention["cohort"].nunique()),
                },
            )
        )
    return sorted(found, key=lambda x: -x.score)


def churn_spike_insight(
    frame: pd.DataFrame,
    *,
    rate_col: str = "churn_rate",
    time_col: str = "period",
    period: str = "month",
    what: str = "User churn",
    page: str = REVENUE_PAGE,
    lookback: int = 6,
    min_history: int = 3,
    factor: float = 1.5,
    min_points: float = 0.02,
    as_of: Any = None,
) -> Insight | None:
    """A churn spike: the last complete period's rate vs the average of the *lookback* before it.

    Flagged when the rate is at least *factor* times that average and *min_points* above it.
    """
    data = frame[complete_mask(frame, time_col=time_col, period=period, as_of=as_of)]
    data = data.sort_values(time_col)
    data = data[data[rate_col].notna()]
    if len(data) < min_history + 1:
        return None
    last = data.iloc[-1]
    before = data.iloc[-1 - lookback : -1][rate_col].astype("float64")
    if len(before) < min_history:
        return None
    rate = float(last[rate_col])
    baseline = float(before.mean())
    if rate - baseline < min_points or rate < factor * baseline:
        return None
    label = _label(pd.Timestamp(last[time_col]), period)
    return Insight(
        title=f"{what} spiked in {label}",
        text=(
            f"{what} was {_pct(rate)} in the {period} of {label}, against {_pct(baseline)} on"
            f" average over the {len(before)} {period}s before ({(rate - baseline) * 100:.0f}"
            " points higher)."
        ),
        page=page,
        severity="warning",
        score=rate - baseline,
        params={"churn_period" if rate_col == "churn_rate" else "rev_period": period},
    )


_NRR_PARTS = {"expansion": 1.0, "contraction": -1.0, "churn": -1.0}


def nrr_change_insight(
    revenue: pd.DataFrame,
    *,
    period: str = "month",
    lookback: int = 3,
    min_history: int = 2,
    min_points: float = 0.03,
    as_of: Any = None,
) -> Insight | None:
    """A change in NRR, attributed to the movement that caused most of it.

    NRR = 1 + (expansion - contraction - churn) / MRR(t0), so the change against the average of
    the *lookback* periods before splits exactly into the change of each movement's share of the
    starting MRR; the driver is the movement with the largest contribution.
    """
    data = revenue[complete_mask(revenue, time_col="period", period=period, as_of=as_of)]
    data = data[data["nrr"].notna() & (data["mrr_start"] > 0)].sort_values("period")
    if len(data) < min_history + 1:
        return None
    shares = pd.DataFrame({p: data[p] / data["mrr_start"] for p in _NRR_PARTS})
    last, before = shares.iloc[-1], shares.iloc[-1 - lookback : -1]
    nrr = float(data["nrr"].iloc[-1])
    baseline = float(data["nrr"].iloc[-1 - lookback : -1].mean())
    change = nrr - baseline
    if abs(change) < min_points:
        return None
    contributions = {p: sign * (last[p] - before[p].mean()) for p, sign in _NRR_PARTS.items()}
    driver = max(contributions, key=lambda p: abs(contributions[p]))
    label = _label(pd.Timestamp(data["period"].iloc[-1]), period)
    direction = "rose" if change > 0 else "fell"
    moved = "more" if last[driver] > before[driver].mean() else "less"
    return Insight(
        title=f"NRR {direction} in {label}, driven by {driver}",
        text=(
            f"Net revenue retention {direction} to {_pct(nrr)} in the {period} of {label}, against"
            f" {_pct(baseline)} on average over the {len(before)} {period}s before. Most of the"
            f" change came from {moved} {driver}: {last[driver]:.1%} of starting MRR against"
            f" {before[driver].mean():.1%} before."
        ),
        page=REVENUE_PAGE,
        severity="success" if change > 0 else "warning",
        score=abs(change),
        params={"rev_period": period},
    )


def rank_insights(insights: list[Insight | None], *, limit: int = 3) -> list[Insight]:
    """The *limit* largest movements, largest first; None (a rule that found nothing) dropped."""
    found = [i for i in insights if i is not None]
    return sorted(found, key=lambda i: -i.score)[:limit]
