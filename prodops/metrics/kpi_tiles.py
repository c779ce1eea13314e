"""The KPI tiles of the Home page and the QBR: one number of the last complete period, against the
period before (see :mod:`prodops.metrics.kpis`), and the MRR at an instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.metrics.completeness import period_end
from prodops.metrics.kpis import (
    Kpi,
    KpiKind,
    _utc,
    complete_mask,
    day_span,
    instant_name,
    period_name,
)


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
