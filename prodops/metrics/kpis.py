"""Headline numbers and automatic insights for the Home page (pure; no Streamlit).

Two kinds of output, both computed from the small frames of :mod:`prodops.metrics`:

- :class:`Kpi`: one number with its value in the previous period (active users, week-1 retention,
  churn, MRR, NRR, logo churn; LTV alone), so a tile can show the change. Each names the period
  it shows (``period_label``: "September 2026", "19–25 Oct 2026") and the one it is compared with.
- :class:`Insight`: a plain-language callout of a large movement, found by a rule, with the page
  that shows it. The rules:

  * **weak cohort**: a recent cohort whose week-1 retention is far below the size-weighted average
    of the cohorts before it (at least ``min_drop`` relative and ``min_points`` absolute);
  * **churn spike**: the last complete period's churn rate at least ``factor`` times the average of
    the periods before it (and ``min_points`` higher);
  * **NRR change**: the last complete period's NRR ``min_points`` away from the average of the
    periods before it, attributed to the movement (expansion, contraction, churn) that moved most.

Only *complete* periods are judged (DESIGN.md, "Completeness"): a period that ends after the data
end is still filling up, and its churn or retention would look alarming for no reason. A function
given ``as_of`` judges completeness against it; without it, it uses the frame's own ``complete``
flags (or its recorded data end), and a bare frame counts every row as complete.

The tiles of one dataset share one data end, so they agree on which periods are complete: for
events, the weekly tiles (active users, week-1 retention) show the last complete Monday-to-Sunday
week and churn the last complete month; for subscriptions, NRR, logo churn and LTV show the last
complete month and MRR is the MRR at the data end, against the end of that month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.metrics import registry
from prodops.metrics.completeness import (
    complete_flags,
    data_end_of,
    events_data_end,
    period_end,
    subscriptions_data_end,
)

RETENTION_PAGE = "pages/1_Retention.py"
ENGAGEMENT_PAGE = "pages/2_Engagement.py"
REVENUE_PAGE = "pages/3_Revenue_and_Churn.py"

KpiKind = Literal["count", "percent", "money"]
Severity = Literal["warning", "success", "info"]


@dataclass(frozen=True)
class Kpi:
    """A headline number and its value in the previous period.

    ``better`` says which direction is good ("down" for churn), so a display colours the change.
    ``period_label`` names what the value covers ("September 2026", "as of 31 Oct 2026 21:59")
    and ``previous_label`` what it is compared with.
    """

    label: str
    value: float | None
    previous: float | None
    kind: KpiKind
    help: str
    better: Literal["up", "down"] = "up"
    period_label: str = ""
    previous_label: str = ""

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

    def caption(self) -> str:
        """What the tile shows and what the change compares it with, on one line.

        >>> Kpi("NRR", 0.98, 0.99, "percent", "", period_label="September 2026",
        ...     previous_label="August 2026").caption()
        'September 2026 · change vs August 2026'
        """
        if self.delta is None or not self.previous_label:
            return self.period_label
        return f"{self.period_label} · change vs {self.previous_label}"


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


@dataclass(frozen=True)
class Summary:
    """The key numbers and insights of one dataset, and the data end they were judged against."""

    kpis: list[Kpi]
    insights: list[Insight]
    data_end: pd.Timestamp | None


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


# --- naming periods ------------------------------------------------------------------------------


def day_span(first: pd.Timestamp, last: pd.Timestamp, *, year: bool = True) -> str:
    """The days *first* to *last* (inclusive) as short text.

    >>> day_span(pd.Timestamp("2026-10-19"), pd.Timestamp("2026-10-25"))
    '19–25 Oct 2026'
    >>> day_span(pd.Timestamp("2026-09-28"), pd.Timestamp("2026-10-04"), year=False)
    '28 Sep – 4 Oct'
    >>> day_span(pd.Timestamp("2025-12-29"), pd.Timestamp("2026-01-04"))
    '29 Dec 2025 – 4 Jan 2026'
    """
    tail = f" {last.year}" if year else ""
    if first.normalize() == last.normalize():
        return f"{last.day} {last:%b}{tail}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b}{tail}"
    head = f" {first.year}" if year and first.year != last.year else ""
    return f"{first.day} {first:%b}{head} – {last.day} {last:%b}{tail}"


def period_name(start: pd.Timestamp, period: str, period_count: int = 1) -> str:
    """The period of *period_count* units starting at *start*, as a person would say it.

    >>> period_name(pd.Timestamp("2026-10-01"), "month")
    'October 2026'
    >>> period_name(pd.Timestamp("2026-10-19"), "week")
    '19–25 Oct 2026'
    >>> period_name(pd.Timestamp("2026-10-01"), "quarter")
    'Q4 2026'
    >>> period_name(pd.Timestamp("2026-10-31 14:00"), "hour")
    '31 Oct 2026 14:00'
    """
    stamp = pd.Timestamp(start)
    if period == "hour" and period_count == 1:
        return f"{stamp.day} {stamp:%b %Y %H:%M}"
    if period == "month" and period_count == 1:
        return f"{stamp:%B %Y}"
    if period == "quarter" and period_count == 1:
        return f"Q{stamp.quarter} {stamp.year}"
    if period == "hour":
        return f"{stamp.day} {stamp:%b %Y %H:%M} + {period_count} hours"
    last = period_end(stamp, period, period_count) - pd.Timedelta(days=1)
    return day_span(stamp, last)


def instant_name(stamp: pd.Timestamp) -> str:
    """An instant to the minute, as the tiles show a data end.

    >>> instant_name(pd.Timestamp("2026-10-31 21:59:30", tz="UTC"))
    '31 Oct 2026 21:59'
    """
    stamp = pd.Timestamp(stamp)
    return f"{stamp.day} {stamp:%b %Y %H:%M}"


def _label(stamp: pd.Timestamp, period: str) -> str:
    return stamp.strftime("%Y-%m") if period in ("month", "quarter") else stamp.strftime("%Y-%m-%d")


# --- completeness --------------------------------------------------------------------------------


def complete_mask(
    frame: pd.DataFrame,
    *,
    time_col: str,
    period: str,
    as_of: Any = None,
    offset: int = 0,
    period_count: int = 1,
) -> pd.Series:
    """Which rows of a metric result lie in a complete period (a boolean Series on its index).

    The period of a row is the one starting at ``time_col`` shifted by *offset* periods (the cell
    of a retention cohort at that offset). With *as_of* the period is complete when it ends at or
    before *as_of*; without it, the frame's own ``complete`` column decides, else the data end it
    recorded (``frame.attrs["data_end"]``); a bare frame counts every row as complete.

    >>> frame = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True)})
    >>> complete_mask(frame, time_col="period", period="month",
    ...               as_of=pd.Timestamp("2024-02-10", tz="UTC")).tolist()
    [True, False]
    >>> flagged = frame.assign(complete=[True, True])
    >>> complete_mask(flagged, time_col="period", period="month").tolist()
    [True, True]
    """
    data_end = as_of
    if data_end is None:
        if "complete" in frame.columns:
            return frame["complete"].fillna(False).astype(bool)
        data_end = data_end_of(frame)
        if data_end is None:
            return pd.Series(True, index=frame.index, dtype=bool)
    starts = pd.to_datetime(frame[time_col])
    if offset:
        starts = starts.map(lambda s: period_end(s, period, offset * period_count))
    flags = complete_flags(starts, period=period, data_end=data_end, period_count=period_count)
    return pd.Series(flags, index=frame.index, dtype=bool)


def dataset_data_end(kind: registry.DatasetKind, table: ir.Table) -> pd.Timestamp | None:
    """The data end of a dataset (DESIGN.md, "Completeness"): last event, or subscriptions' end."""
    if kind == "events":
        return events_data_end(table)
    return subscriptions_data_end(table)


def _utc(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


# --- KPIs ----------------------------------------------------------------------------------------


def active_users_kpi(active: pd.DataFrame, *, window_days: int = 7, as_of: Any = None) -> Kpi:
    """Users active in the *window_days* to the last complete day, against one window earlier.

    *active* is :func:`prodops.metrics.active_users` output (``date, users``) with that window.
    """
    name = {1: "Daily", 7: "Weekly", 30: "Monthly"}.get(window_days, f"{window_days}-day")
    help_text = (
        f"Users with at least one event in the {window_days} days shown (the latest complete"
        f" ones); the change is against the {window_days} days before."
    )
    label = f"{name} active users"
    data = active.assign(date=pd.to_datetime(active["date"]))
    data = data[complete_mask(data, time_col="date", period="day", as_of=as_of)]
    if data.empty:
        return Kpi(label, None, None, "count", help_text, period_label="no complete days yet")
    data = data.sort_values("date")
    last = data.iloc[-1]
    day = pd.Timestamp(last["date"])
    before_day = day - pd.Timedelta(days=window_days)
    before = data[data["date"] == before_day]
    previous = float(before["users"].iloc[0]) if len(before) else None

    def window(end: pd.Timestamp, *, year: bool = True) -> str:
        return day_span(end - pd.Timedelta(days=window_days - 1), end, year=year)

    return Kpi(
        label,
        float(last["users"]),
        previous,
        "count",
        help_text,
        period_label=window(day),
        previous_label=window(before_day, year=before_day.year != day.year),
    )


def _offset_rates(retention: pd.DataFrame, *, offset: int, period: str, as_of: Any) -> pd.DataFrame:
    """``cohort, size, rate`` at *offset*, for non-empty cohorts whose cell there is complete."""
    frame = retention
    if "breakdown" in frame.columns and frame["breakdown"].isna().any():
        frame = frame[frame["breakdown"].isna()]
    cells = frame[(frame["offset"] == offset) & (frame["size"] > 0)]
    cells = cells[cells["rate"].notna()]
    cells = cells.assign(cohort=pd.to_datetime(cells["cohort"]))
    if not cells.empty:
        cells = cells[
            complete_mask(cells, time_col="cohort", period=period, as_of=as_of, offset=offset)
        ]
    out = cells[["cohort", "size"]].assign(rate=cells["rate"].astype("float64"))
    return out.sort_values("cohort").reset_index(drop=True)


def _cohort_name(cohort: pd.Timestamp, period: str, *, year: bool = True) -> str:
    if period == "week":
        return f"cohort {day_span(cohort, cohort + pd.Timedelta(days=6), year=year)}"
    return f"cohort {period_name(cohort, period)}"


def week1_retention_kpi(retention: pd.DataFrame, *, as_of: Any = None, period: str = "week") -> Kpi:
    """Week-1 retention of the latest cohort whose week 1 is complete, against the cohort before.

    *retention* is weekly :func:`prodops.metrics.retention` output (offset 1 = the week after).
    """
    help_text = (
        "Share of the latest weekly cohort whose following week is complete (users whose first"
        " event was that week) who came back the week after; the change is against the cohort"
        " before."
    )
    label = "Week-1 retention"
    rates = _offset_rates(retention, offset=1, period=period, as_of=as_of)
    if rates.empty:
        return Kpi(label, None, None, "percent", help_text, period_label="no complete cohort yet")
    cohort = pd.Timestamp(rates["cohort"].iloc[-1])
    back = period_end(cohort, period)
    back_name = period_name(back, period)
    shown = f"{_cohort_name(cohort, period, year=False)}, back {back_name}"
    previous = float(rates["rate"].iloc[-2]) if len(rates) > 1 else None
    earlier = pd.Timestamp(rates["cohort"].iloc[-2]) if len(rates) > 1 else None
    before = (
        "" if earlier is None else _cohort_name(earlier, period, year=earlier.year != back.year)
    )
    return Kpi(
        label,
        float(rates["rate"].iloc[-1]),
        previous,
        "percent",
        help_text,
        period_label=shown,
        previous_label=before,
    )


@dataclass(frozen=True)
class _Latest:
    """The last complete period of a series and the period just before it (if present)."""

    value: float | None
    previous: float | None
    start: pd.Timestamp
    previous_start: pd.Timestamp | None
    row: pd.Series


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _latest(
    frame: pd.DataFrame, column: str, *, time_col: str, period: str, as_of: Any
) -> _Latest | None:
    """The last complete period's *column* and that of the period right before it."""
    data = frame[complete_mask(frame, time_col=time_col, period=period, as_of=as_of)]
    if data.empty:
        return None
    data = data.assign(**{time_col: pd.to_datetime(data[time_col])}).sort_values(time_col)
    last = data.iloc[-1]
    start = pd.Timestamp(last[time_col])
    before = data.iloc[-2] if len(data) > 1 else None
    if before is not None and period_end(pd.Timestamp(before[time_col]), period) != start:
        before = None  # not the period right before
    return _Latest(
        value=_number(last[column]),
        previous=None if before is None else _number(before[column]),
        start=start,
        previous_start=None if before is None else pd.Timestamp(before[time_col]),
        row=last,
    )


def _period_kpi(
    frame: pd.DataFrame,
    column: str,
    *,
    label: str,
    kind: KpiKind,
    help_text: str,
    period: str,
    as_of: Any,
    better: Literal["up", "down"] = "up",
) -> Kpi:
    """The *column* of the last complete period, against the period before, both named."""
    latest = _latest(frame, column, time_col="period", period=period, as_of=as_of)
    if latest is None:
        empty = f"no complete {period} yet"
        return Kpi(label, None, None, kind, help_text, better, period_label=empty)
    before = latest.previous_start
    return Kpi(
        label,
        latest.value,
        latest.previous,
        kind,
        help_text,
        better,
        period_label=period_name(latest.start, period),
        previous_label="" if before is None else period_name(before, period),
    )


def churn_kpi(churn: pd.DataFrame, *, period: str = "month", as_of: Any = None) -> Kpi:
    """User churn of the last complete period (:func:`prodops.metrics.churn`) and the one before."""
    help_text = (
        f"Users active in the previous {period} but not in the {period} shown (the last complete"
        f" one), divided by the users active in the previous {period}."
    )
    return _period_kpi(
        churn,
        "churn_rate",
        label=f"User churn ({period})",
        kind="percent",
        help_text=help_text,
        period=period,
        as_of=as_of,
        better="down",
    )


def mrr_kpi(
    revenue: pd.DataFrame,
    *,
    period: str = "month",
    as_of: Any = None,
    mrr_now: float | None = None,
) -> Kpi:
    """MRR now (at the data end *as_of*, when *mrr_now* gives it) or at the end of the last period.

    When the data end falls inside a period, the value is *mrr_now* (see :func:`mrr_at`), the MRR
    at the data end, and the change is against the end of the last complete period. Otherwise
    (the data end is a period boundary, or no *mrr_now*) it is the MRR at the end of the last
    complete period (:func:`prodops.metrics.revenue`), against the end of the period before.
    """
    help_text = (
        "Monthly recurring revenue: the sum of the mrr of subscriptions with start <= t < end,"
        " at the instant shown; the change is against the instant named after it."
    )
    latest = _latest(revenue, "mrr_end", time_col="period", period=period, as_of=as_of)
    data_end = _utc(as_of)
    boundary = latest is not None and period_end(latest.start, period) == data_end
    if mrr_now is not None and data_end is not None and not boundary:
        if latest is None:  # the data end lies in the first period of the data
            first = revenue.sort_values("period").iloc[0]
            previous = _number(first["mrr_start"])
            since = pd.Timestamp(first["period"])
        else:
            previous, since = latest.value, period_end(latest.start, period)
        shown = f"as of {instant_name(data_end.tz_convert(since.tz or 'UTC'))}"
        return Kpi(
            "MRR",
            mrr_now,
            previous,
            "money",
            help_text,
            period_label=shown,
            previous_label=f"{since.day} {since:%b %Y}",
        )
    if latest is None:
        return Kpi("MRR", None, None, "money", help_text, period_label=f"no complete {period} yet")
    before = latest.previous_start
    return Kpi(
        "MRR",
        latest.value,
        _number(latest.row["mrr_start"]) if "mrr_start" in latest.row else latest.previous,
        "money",
        help_text,
        period_label=f"end of {period_name(latest.start, period)}",
        previous_label=(
            f"end of {period_name(before, period)}"
            if before is not None
            else f"start of {period_name(latest.start, period)}"
        ),
    )


def nrr_kpi(revenue: pd.DataFrame, *, period: str = "month", as_of: Any = None) -> Kpi:
    """Net revenue retention of the last complete period, against the one before."""
    return _period_kpi(
        revenue,
        "nrr",
        label="NRR",
        kind="percent",
        help_text="NRR = (MRR(t0) - churn - contraction + expansion) / MRR(t0), for the period"
        " shown (the last complete one).",
        period=period,
        as_of=as_of,
    )


def logo_churn_kpi(revenue: pd.DataFrame, *, period: str = "month", as_of: Any = None) -> Kpi:
    """Logo churn of the last complete period, against the one before."""
    return _period_kpi(
        revenue,
        "logo_churn_rate",
        label="Logo churn",
        kind="percent",
        help_text="Logo churn = churned customers / customers at the start of the period shown"
        " (the last complete one).",
        period=period,
        as_of=as_of,
        better="down",
    )


def ltv_kpi(revenue: pd.DataFrame) -> Kpi | None:
    """The one LTV of a :func:`prodops.metrics.revenue` result (``attrs["ltv"]``), or None.

    LTV does not depend on the display period: monthly ARPA at the end of the last complete month
    over the mean monthly logo churn of the complete months before (the revenue metric says which);
    the tile names that month and shows the formula with its numbers as help.

    >>> rev = pd.DataFrame({"period": []})
    >>> rev.attrs["ltv"] = {"ltv": 2922.29, "arpa_month": pd.Timestamp("2026-09-01"),
    ...     "churn_from": pd.Timestamp("2026-04-01"), "churn_to": pd.Timestamp("2026-09-01"),
    ...     "formula": "LTV = ARPA / mean monthly logo churn = 83.98 / 2.87% = 2,922.29"}
    >>> kpi = ltv_kpi(rev)
    >>> kpi.formatted_value(), kpi.period_label
    ('2,922.29', 'end of September 2026 · churn of Apr–Sep 2026')
    """
    record = revenue.attrs.get("ltv")
    if not isinstance(record, dict):
        return None
    month = record.get("arpa_month")
    known = month is not None and pd.notna(month)
    shown = f"end of {period_name(month, 'month')}" if known else "no complete month yet"
    first, last = record.get("churn_from"), record.get("churn_to")
    if first is not None and last is not None and pd.notna(first) and pd.notna(last):
        first, last = pd.Timestamp(first), pd.Timestamp(last)
        same = first.year == last.year
        span = f"{first:%b}–{last:%b %Y}" if same else f"{first:%b %Y} – {last:%b %Y}"
        shown = f"{shown} · churn of {span}"
    help_text = str(record.get("formula") or "LTV = ARPA / mean monthly logo churn rate.")
    return Kpi("LTV", _number(record.get("ltv")), None, "money", help_text, period_label=shown)


def mrr_at(subscriptions: ir.Table | pd.DataFrame, *, at: Any) -> pd.DataFrame:
    """MRR and paying customers at the instant *at*: subscriptions with ``start <= at < end``.

    The same definition as :func:`prodops.metrics.revenue` (DESIGN.md, "Revenue"), at one instant.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-01-10"], utc=True),
    ...     "end": pd.to_datetime([None, "2024-02-01"], utc=True), "mrr": [10.0, 25.5]})
    >>> mrr_at(subs, at="2024-01-15")[["mrr", "customers"]].values.tolist()
    [[35.5, 2.0]]
    >>> mrr_at(subs, at="2024-02-01")[["mrr", "customers"]].values.tolist()
    [[10.0, 1.0]]
    """
    # Imported here: revenue_steps pulls in the engine, which Home needs only for subscriptions.
    import ibis

    from prodops.metrics.revenue_steps import SCALE, subscriptions_table

    instant = _utc(at)
    if instant is None:
        return pd.DataFrame({"at": [], "mrr": [], "customers": []})
    table = subscriptions_table(subscriptions)
    when = ibis.literal(instant.to_pydatetime(), type=dt.Timestamp(timezone="UTC"))
    start = table.start.cast(dt.Timestamp(timezone="UTC"))
    end = table.end.cast(dt.Timestamp(timezone="UTC"))
    active = table.filter(start <= when, end.isnull() | (end > when))
    row = active.aggregate(
        amount=active.amount.sum(), customers=active.customer_id.nunique()
    ).to_pandas()
    amount = row["amount"].iloc[0]
    mrr = 0.0 if pd.isna(amount) else int(amount) / SCALE
    return pd.DataFrame(
        {"at": [instant], "mrr": [mrr], "customers": [int(row["customers"].iloc[0])]}
    )


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


# --- key numbers of a dataset --------------------------------------------------------------------


# load(metric_name, **params) -> frame: the pages pass their cached loader, a report or the CLI
# passes metric_runner(table). Besides the registry's metrics, a loader knows these helpers:
HELPERS: dict[str, str] = {"mrr_at": "prodops.metrics.kpis:mrr_at"}
MetricLoader = Callable[..., pd.DataFrame]


def metric_runner(table: Any) -> MetricLoader:
    """A :data:`MetricLoader` that runs each registered metric directly on *table* (no cache)."""

    def load(metric: str, /, **params: Any) -> pd.DataFrame:
        function = registry._resolve(HELPERS[metric]) if metric in HELPERS else None
        if function is None:
            function = registry.get(metric).load()
        frame: pd.DataFrame = function(table, **params)
        return frame

    return load


def _week_start(stamp: pd.Timestamp) -> pd.Timestamp:
    """Monday 00:00 of the week holding *stamp* (the end of the last complete week)."""
    day = stamp.normalize()
    return day - pd.Timedelta(days=day.weekday())


def summarise(
    kind: registry.DatasetKind,
    *,
    data_end: datetime | pd.Timestamp | None,
    load: MetricLoader,
    data_start: datetime | pd.Timestamp | None = None,
) -> Summary:
    """The key numbers and insights of one dataset, as the Home page shows them.

    Every tile is judged against one *data end* (:func:`dataset_data_end`; naive values are UTC),
    passed to each metric as ``as_of``, and names its period. Events: weekly active users of the
    last complete Monday-to-Sunday week (against the week before), week-1 retention of the cohort
    that came back in that week (the latest cohort whose week 1 is complete), user churn of the
    last complete month; insights: the weakest recent cohort and a churn spike. Subscriptions: MRR
    at the data end (against the end of the last complete month), NRR and logo churn of the last
    complete month, and the one LTV (:func:`ltv_kpi`); insights: an NRR change and a logo churn
    spike. *data_start* (the first event) keeps a week before the data from being shown as a week
    with no active users.

    Examples
    --------
    Data from Monday 1 January to Monday 15 January 2024, 09:00: the last complete week is
    8-14 January.

    >>> times = ["2024-01-01 00:00", "2024-01-08 00:00", "2024-01-15 09:00"]
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["open"] * 3,
    ...                    "timestamp": pd.to_datetime(times, utc=True)})
    >>> found = summarise("events", data_end=ev.timestamp.max(), load=metric_runner(ev))
    >>> for kpi in found.kpis[:2]:
    ...     print(kpi.label, kpi.value, "|", kpi.period_label)
    Weekly active users 1.0 | 8–14 Jan 2024
    Week-1 retention 1.0 | cohort 1–7 Jan, back 8–14 Jan 2024
    >>> found.kpis[2].period_label, found.insights
    ('no complete month yet', [])
    """
    end = _utc(data_end)
    if end is None:
        return Summary([], [], None)
    if kind == "events":
        kpis, found = _events_summary(end, load, _utc(data_start))
    else:
        kpis, found = _subscriptions_summary(end, load)
    return Summary(kpis, [i for i in found if i is not None], end)


def _events_summary(
    end: pd.Timestamp, load: MetricLoader, start: pd.Timestamp | None
) -> tuple[list[Kpi], list[Insight | None]]:
    week = _week_start(end)  # the last complete week is the 7 days before it
    if start is not None and week <= start:
        active = pd.DataFrame({"date": pd.Series([], dtype="datetime64[us]"), "users": []})
    else:
        # Two windows: the last complete week and the one before, to compare.
        first, last = week - pd.Timedelta(days=14), week - pd.Timedelta(days=1)
        dates = {"date_from": first.date(), "date_to": last.date()}
        active = load("active_users", window_days=7, **dates, as_of=end)
    weekly = load("retention", period="week", periods=30, as_of=end)
    churned = load("churn", period="month", as_of=end)
    kpis = [
        active_users_kpi(active, window_days=7, as_of=end),
        week1_retention_kpi(weekly, as_of=end),
        churn_kpi(churned, period="month", as_of=end),
    ]
    cohorts = weak_cohort_insights(weekly, recent=26, min_drop=0.1, as_of=end)
    found = [
        *rank_insights(list(cohorts), limit=1),
        churn_spike_insight(churned, period="month", as_of=end),
    ]
    return kpis, found


def _subscriptions_summary(
    end: pd.Timestamp, load: MetricLoader
) -> tuple[list[Kpi], list[Insight | None]]:
    monthly = load("revenue", period="month", as_of=end)
    now = load("mrr_at", at=end)
    mrr_now = float(now["mrr"].iloc[0]) if len(now) else None
    kpis = [
        mrr_kpi(monthly, as_of=end, mrr_now=mrr_now),
        nrr_kpi(monthly, as_of=end),
        logo_churn_kpi(monthly, as_of=end),
    ]
    lifetime = ltv_kpi(monthly)
    if lifetime is not None:
        kpis.append(lifetime)
    found = [
        nrr_change_insight(monthly, as_of=end),
        churn_spike_insight(monthly, rate_col="logo_churn_rate", what="Logo churn", as_of=end),
    ]
    return kpis, found
