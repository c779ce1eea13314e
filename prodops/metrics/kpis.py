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

This module holds the shared pieces (the tiles' and insights' types, period names, completeness);
the tiles are in :mod:`prodops.metrics.kpi_tiles`, the insight rules in
:mod:`prodops.metrics.kpi_insights` and the summary of a dataset in
:mod:`prodops.metrics.kpi_summary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
