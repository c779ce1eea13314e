"""Headline numbers and automatic insights for the Home page (pure; no Streamlit).

Two kinds of output, both computed from the small frames of :mod:`prodops.metrics`:

- :class:`Kpi`: one number with its value in the previous period (active users, week-1 retention,
  churn, MRR, NRR), so a tile can show the change.
- :class:`Insight`: a plain-language callout of a large movement, found by a rule, with the page
  that shows it. The rules:

  * **weak cohort**: a recent cohort whose week-1 retention is far below the size-weighted average
    of the cohorts before it (at least ``min_drop`` relative and ``min_points`` absolute);
  * **churn spike**: the last complete period's churn rate at least ``factor`` times the average of
    the periods before it (and ``min_points`` higher);
  * **NRR change**: the last complete period's NRR ``min_points`` away from the average of the
    periods before it, attributed to the movement (expansion, contraction, churn) that moved most.

Only *complete* periods are judged: a period that ends after ``as_of`` (the last event of the
dataset) is still filling up, and its churn or retention would look alarming for no reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from prodops.metrics import registry

RETENTION_PAGE = "pages/1_Retention.py"
ENGAGEMENT_PAGE = "pages/2_Engagement.py"
REVENUE_PAGE = "pages/3_Revenue_and_Churn.py"

KpiKind = Literal["count", "percent", "money"]
Severity = Literal["warning", "success", "info"]


@dataclass(frozen=True)
class Kpi:
    """A headline number and its value in the previous period.

    ``better`` says which direction is good ("down" for churn), so a display colours the change.
    """

    label: str
    value: float | None
    previous: float | None
    kind: KpiKind
    help: str
    better: Literal["up", "down"] = "up"

    @property
    def delta(self) -> float | None:
        """``value - previous`` (percentage points for percents), or None if either is missing."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    def formatted_value(self) -> str:
        """The value as text: "1,234", "42.0%", "12,345.67"; "–" when unknown."""
        return _format(self.value, self.kind)

    def formatted_delta(self) -> str | None:
        """The change as signed text ("+12", "-1.5 pts", "+300.00"), None when unknown."""
        delta = self.delta
        if delta is None:
            return None
        if self.kind == "percent":
            return f"{delta * 100:+.1f} pts"
        if self.kind == "money":
            return f"{delta:+,.2f}"
        return f"{delta:+,.0f}"


@dataclass(frozen=True)
class Insight:
    """A plain-language callout of a large movement, with the page that shows it.

    ``score`` is the size of the movement in percentage points (used to rank callouts);
    ``params`` are the page's URL parameters that show it (period, number of periods).
    """

    title: str
    text: str
    page: str
    severity: Severity
    score: float
    params: dict[str, str] = field(default_factory=dict)


def _format(value: float | None, kind: KpiKind) -> str:
    if value is None or pd.isna(value):
        return "–"
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def _pct(value: float) -> str:
    return f"{value:.0%}"


# --- periods -------------------------------------------------------------------------------------


def period_end(start: pd.Timestamp, period: str, period_count: int = 1) -> pd.Timestamp:
    """Return the end (exclusive) of the period starting at *start*.

    Examples
    --------
    >>> period_end(pd.Timestamp("2024-01-31"), "month")
    Timestamp('2024-02-29 00:00:00')
    """
    if period == "quarter":
        return start + pd.DateOffset(months=3 * period_count)
    steps = {"hour": "hours", "day": "days", "week": "weeks", "month": "months"}
    return start + pd.DateOffset(**{steps.get(period, "days"): period_count})  # type: ignore[arg-type]


def complete_periods(
    frame: pd.DataFrame,
    *,
    time_col: str,
    period: str,
    as_of: pd.Timestamp | None,
    period_count: int = 1,
) -> pd.DataFrame:
    """Return the rows of *frame* whose period (``time_col`` + one period) ends by *as_of*.

    The end is compared with ``as_of`` plus one microsecond: a period ending exactly at the last
    event's instant is complete.
    """
    if as_of is None or frame.empty:
        return frame
    starts = pd.to_datetime(frame[time_col])
    cutoff = pd.Timestamp(as_of)
    if starts.dt.tz is not None and cutoff.tzinfo is None:
        cutoff = cutoff.tz_localize("UTC")
    ends = starts.map(lambda s: period_end(s, period, period_count))
    return frame[ends <= cutoff + pd.Timedelta(microseconds=1)]


def _label(stamp: pd.Timestamp, period: str) -> str:
    return stamp.strftime("%Y-%m") if period in ("month", "quarter") else stamp.strftime("%Y-%m-%d")


# --- KPIs ----------------------------------------------------------------------------------------


def active_users_kpi(active: pd.DataFrame, *, window_days: int = 7) -> Kpi:
    """Users active in the *window_days* ending on the last day, against one window earlier.

    *active* is :func:`prodops.metrics.active_users` output (``date, users``) with that window.
    """
    name = {1: "Daily", 7: "Weekly", 30: "Monthly"}.get(window_days, f"{window_days}-day")
    help_text = (
        f"Users with at least one event in the {window_days} days ending on the last day of the"
        f" data; the change is against the {window_days} days before."
    )
    if active.empty:
        return Kpi(f"{name} active users", None, None, "count", help_text)
    data = active.assign(date=pd.to_datetime(active["date"])).sort_values("date")
    last = data.iloc[-1]
    before = data[data["date"] == last["date"] - pd.Timedelta(days=window_days)]
    previous = float(before["users"].iloc[0]) if len(before) else None
    return Kpi(f"{name} active users", float(last["users"]), previous, "count", help_text)


def _offset_rates(
    retention: pd.DataFrame,
    *,
    offset: int,
    period: str,
    as_of: pd.Timestamp | None,
) -> pd.DataFrame:
    """``cohort, size, rate`` at *offset*, for cohorts whose offset period is complete."""
    frame = retention
    if "breakdown" in frame.columns and frame["breakdown"].isna().any():
        frame = frame[frame["breakdown"].isna()]
    cells = frame[(frame["offset"] == offset) & (frame["size"] > 0)]
    cells = cells[cells["rate"].notna()]
    cells = cells.assign(cohort=pd.to_datetime(cells["cohort"]))
    if as_of is not None and not cells.empty:
        shifted = cells["cohort"].map(lambda c: period_end(c, period, offset))
        cells = cells.assign(_start=shifted)
        cells = complete_periods(cells, time_col="_start", period=period, as_of=as_of)
    out = cells[["cohort", "size"]].assign(rate=cells["rate"].astype("float64"))
    return out.sort_values("cohort").reset_index(drop=True)


def week1_retention_kpi(
    retention: pd.DataFrame, *, as_of: pd.Timestamp | None = None, period: str = "week"
) -> Kpi:
    """Week-1 retention of the latest cohort that can be observed, against the cohort before.

    *retention* is weekly :func:`prodops.metrics.retention` output (offset 1 = the week after).
    """
    help_text = (
        "Share of the latest complete weekly cohort (users whose first event was that week) who"
        " came back the week after; the change is against the cohort before."
    )
    rates = _offset_rates(retention, offset=1, period=period, as_of=as_of)
    if rates.empty:
        return Kpi("Week-1 retention", None, None, "percent", help_text)
    previous = float(rates["rate"].iloc[-2]) if len(rates) > 1 else None
    return Kpi("Week-1 retention", float(rates["rate"].iloc[-1]), previous, "percent", help_text)


def _last_two(
    frame: pd.DataFrame, column: str, *, time_col: str, period: str, as_of: pd.Timestamp | None
) -> tuple[float | None, float | None]:
    data = complete_periods(frame, time_col=time_col, period=period, as_of=as_of)
    values = data.sort_values(time_col)[column].dropna().astype("float64")
    last = float(values.iloc[-1]) if len(values) else None
    previous = float(values.iloc[-2]) if len(values) > 1 else None
    return last, previous


def churn_kpi(
    churn: pd.DataFrame, *, period: str = "month", as_of: pd.Timestamp | None = None
) -> Kpi:
    """User churn of the last complete period (:func:`prodops.metrics.churn`) and the one before."""
    value, previous = _last_two(churn, "churn_rate", time_col="period", period=period, as_of=as_of)
    help_text = (
        f"Users active in the previous {period} but not in the last complete {period}, divided by"
        f" the users active in the previous {period}."
    )
    return Kpi(f"User churn ({period})", value, previous, "percent", help_text, better="down")


def mrr_kpi(revenue: pd.DataFrame, *, period: str = "month") -> Kpi:
    """MRR at the end of the last period (:func:`prodops.metrics.revenue`) and the one before."""
    value, previous = _last_two(revenue, "mrr_end", time_col="period", period=period, as_of=None)
    return Kpi(
        "MRR", value, previous, "money", "Monthly recurring revenue at the end of the period."
    )


def nrr_kpi(
    revenue: pd.DataFrame, *, period: str = "month", as_of: pd.Timestamp | None = None
) -> Kpi:
    """Net revenue retention of the last complete period, against the one before."""
    value, previous = _last_two(revenue, "nrr", time_col="period", period=period, as_of=as_of)
    help_text = "NRR = (MRR(t0) - churn - contraction + expansion) / MRR(t0)."
    return Kpi("NRR", value, previous, "percent", help_text)


def logo_churn_kpi(
    revenue: pd.DataFrame, *, period: str = "month", as_of: pd.Timestamp | None = None
) -> Kpi:
    """Logo churn of the last complete period, against the one before."""
    value, previous = _last_two(
        revenue, "logo_churn_rate", time_col="period", period=period, as_of=as_of
    )
    help_text = "Logo churn = churned customers / customers at the start of the period."
    return Kpi("Logo churn", value, previous, "percent", help_text, better="down")


# --- insight rules -------------------------------------------------------------------------------


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
    as_of: pd.Timestamp | None = None,
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
    as_of: pd.Timestamp | None = None,
) -> Insight | None:
    """A churn spike: the last complete period's rate vs the average of the *lookback* before it.

    Flagged when the rate is at least *factor* times that average and *min_points* above it.
    """
    data = complete_periods(frame, time_col=time_col, period=period, as_of=as_of)
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
    as_of: pd.Timestamp | None = None,
) -> Insight | None:
    """A change in NRR, attributed to the movement that caused most of it.

    NRR = 1 + (expansion - contraction - churn) / MRR(t0), so the change against the average of
    the *lookback* periods before splits exactly into the change of each movement's share of the
    starting MRR; the driver is the movement with the largest contribution.
    """
    data = complete_periods(revenue, time_col="period", period=period, as_of=as_of)
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


# --- key numbers of a dataset --------------------------------------------------------------------


# load(metric_name, **params) -> frame: the pages pass their cached loader, a report or the CLI
# passes metric_runner(table).
MetricLoader = Callable[..., pd.DataFrame]


def metric_runner(table: Any) -> MetricLoader:
    """A :data:`MetricLoader` that runs each registered metric directly on *table* (no cache)."""

    def load(metric: str, /, **params: Any) -> pd.DataFrame:
        frame: pd.DataFrame = registry.get(metric).load()(table, **params)
        return frame

    return load


def summarise(
    kind: registry.DatasetKind,
    *,
    time_max: datetime | pd.Timestamp | None,
    load: MetricLoader,
) -> tuple[list[Kpi], list[Insight]]:
    """The key numbers and insights of one dataset, as the Home page shows them.

    Events: weekly active users (last 7 days against the 7 before), week-1 retention of the latest
    observable weekly cohort, monthly user churn; insights: the weakest recent cohort and a churn
    spike. Subscriptions: MRR, NRR and logo churn (monthly); insights: an NRR change and a logo
    churn spike. Only complete periods are judged: ``as_of`` is *time_max*, the dataset's end.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"user_id": ["a", "a"], "event": ["open", "open"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-01-08"], utc=True)})
    >>> kpis, found = summarise("events", time_max=ev.timestamp.max(), load=metric_runner(ev))
    >>> [k.label for k in kpis]
    ['Weekly active users', 'Week-1 retention', 'User churn (month)']
    >>> kpis[0].value, found
    (1.0, [])
    """
    as_of = None if time_max is None else pd.Timestamp(time_max)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.tz_localize("UTC")  # stored times are UTC (DESIGN.md, decision 4)
    if kind == "events":
        return _events_summary(as_of, load)
    monthly = load("revenue", period="month")
    kpis = [mrr_kpi(monthly), nrr_kpi(monthly, as_of=as_of), logo_churn_kpi(monthly, as_of=as_of)]
    found = [
        nrr_change_insight(monthly, as_of=as_of),
        churn_spike_insight(monthly, rate_col="logo_churn_rate", what="Logo churn", as_of=as_of),
    ]
    return kpis, [i for i in found if i is not None]


def _events_summary(
    as_of: pd.Timestamp | None, load: MetricLoader
) -> tuple[list[Kpi], list[Insight]]:
    # Three weeks of daily WAU: enough to compare the last day with one window earlier.
    last = as_of.tz_convert("UTC").date() if as_of is not None else None
    start = (as_of - pd.Timedelta(days=21)).date() if as_of is not None else None
    active = load("active_users", window_days=7, date_from=start, date_to=last)
    weekly = load("retention", period="week", periods=30)
    churned = load("churn", period="month")
    kpis = [
        active_users_kpi(active, window_days=7),
        week1_retention_kpi(weekly, as_of=as_of),
        churn_kpi(churned, period="month", as_of=as_of),
    ]
    cohorts = weak_cohort_insights(weekly, recent=26, min_drop=0.1, as_of=as_of)
    found = [
        *rank_insights(list(cohorts), limit=1),
        churn_spike_insight(churned, period="month", as_of=as_of),
    ]
    return kpis, [i for i in found if i is not None]
