"""The control groups the insight pages draw: each returns one metric's typed parameters.

The parameter dataclasses, choices and filter reading they use are :mod:`prodops.ui.controls`'s.
Every widget goes through :mod:`prodops.ui.state`, so every value lives in the URL.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from prodops.data.catalog import DatasetInfo
from prodops.metrics.breakdowns import DEFAULT_BREAKDOWN_LIMIT
from prodops.metrics.registry import (
    COHORTS,
    PERIODS,
    REVENUE_PERIODS,
    WEEK_STARTS,
    Cohort,
    Period,
    RevenuePeriod,
    WeekStart,
)
from prodops.ui.controls import (
    ANY_EVENT,
    COHORT_LABELS,
    BreakdownParams,
    ChurnParams,
    EngagementParams,
    LifecycleParams,
    RetentionParams,
    RevenueParams,
    SegmentChoices,
    StickinessParams,
    _breakdown,
    _filters,
    breakdown_limit_control,
    event_choices,
    labeller,
    period_choices,
)
from prodops.ui.state import (
    TIMEZONES,
    data_dates,
    recent_range,
    url_date,
    url_date_range,
    url_number,
    url_selectbox,
    url_toggle,
)


def _period(
    label: str, choices: tuple[Period, ...], *, key: str, default: Period, where: DeltaGenerator
) -> Period:
    period: Period = url_selectbox(
        label, choices, key=key, default=default, format_func=str.capitalize, where=where
    )
    return period


def _week_start(where: DeltaGenerator) -> WeekStart:
    week_start: WeekStart = url_selectbox(
        "Week starts on",
        WEEK_STARTS,
        key="week_start",
        default="monday",
        format_func=str.capitalize,
        where=where,
    )
    return week_start


def _timezone(where: DeltaGenerator) -> str:
    return url_selectbox("Time zone", TIMEZONES, key="tz", default="UTC", where=where)


def _active_event(counts: pd.DataFrame, where: DeltaGenerator) -> str | None:
    events, labels = event_choices(counts)
    event = url_selectbox(
        "Active means doing",
        events,
        key="event",
        default=ANY_EVENT,
        format_func=labeller(labels),
        where=where,
    )
    return event or None


def _date_range(info: DatasetInfo, *, days: int, where: DeltaGenerator) -> tuple[date, date]:
    """The "Date range" picker over the dataset's days, by default its last *days* days."""
    first, last = data_dates(info)
    return url_date_range(
        "Date range",
        key="dates",
        default=recent_range(info, days=days),
        min_value=first,
        max_value=last,
        where=where,
    )


# --- control groups ------------------------------------------------------------------------------


def _retention_range(
    info: DatasetInfo, row: list[DeltaGenerator]
) -> tuple[int | None, date | None, date]:
    """Cohort rows: the last N periods ending on a day, or a date range (then each cohort is
    followed for N periods, or for as many as there are cohorts when N is 0).

    Returns ``(periods, date_from, date_to)``: ``periods`` is the number of columns (None: as
    many as the rows) and ``date_from`` is None with the last N periods.
    """
    first, last = data_dates(info)
    range_by = url_selectbox(
        "Range",
        ["last", "dates"],
        key="range_by",
        default="last",
        format_func=labeller({"last": "Last N periods", "dates": "Date range"}),
        where=row[0],
    )
    if range_by == "last":
        periods = url_number(
            "Periods", key="periods", default=8, min_value=1, max_value=120, where=row[1]
        )
        date_to = url_date(
            "Ending on", key="to", default=last, min_value=first, max_value=last, where=row[2]
        )
        return periods, None, date_to
    follow = url_number(
        "Followed for",
        key="follow",
        default=0,
        min_value=0,
        max_value=120,
        where=row[1],
        help="Columns: periods after the start period, counted from 0. 0: as many as cohorts.",
    )
    date_from, date_to = _date_range(info, days=84, where=row[2])
    return follow or None, date_from, date_to


def retention_controls(
    info: DatasetInfo, counts: pd.DataFrame, choices: SegmentChoices
) -> RetentionParams:
    """Every option of :func:`prodops.metrics.retention`, URL-synced."""
    events, labels = event_choices(counts)
    fmt = labeller(labels)
    row = st.columns(4)
    start = url_selectbox(
        "Start event", events, key="start", default=ANY_EVENT, format_func=fmt, where=row[0]
    )
    back = url_selectbox(
        "Return event", events, key="return", default=ANY_EVENT, format_func=fmt, where=row[1]
    )
    cohort: Cohort = url_selectbox(
        "Cohort",
        COHORTS,
        key="cohort",
        default="first_time",
        format_func=labeller(COHORT_LABELS),
        where=row[2],
    )
    breakdown = _breakdown(
        choices,
        key="breakdown",
        where=row[3],
        help="Compare the values of a property side by side: one curve per value.",
    )
    row2 = st.columns([1, 1, 1, 0.6, 1])
    period = _period("Period", PERIODS, key="period", default="week", where=row2[0])
    count = url_number(
        "Units per period", key="every", default=1, min_value=1, max_value=90, where=row2[1]
    )
    periods, date_from, date_to = _retention_range(info, row2[2:])
    with st.expander("More options: time zone, week start, filters, counting"):
        row = st.columns(4)
        timezone = _timezone(row[0])
        week_start = _week_start(row[1])
        min_occ = url_number(
            "Return events needed per period",
            key="min_occ",
            default=1,
            min_value=1,
            max_value=1000,
            where=row[2],
        )
        cumulative = url_toggle(
            "On or after (cumulative)",
            key="cumulative",
            where=row[3],
            help="Count a user at period k if they returned in period k or any later one.",
        )
        cols = st.columns(3)
        columns = choices.columns
        where = _filters(info, columns, key="where", label="Filter all events", where=cols[0])
        start_where = _filters(
            info, columns, key="start_where", label="Filter start events", where=cols[1]
        )
        return_where = _filters(
            info, columns, key="return_where", label="Filter return events", where=cols[2]
        )
        limit = breakdown_limit_control(st.columns(4)[0]) if breakdown else None
    return RetentionParams(
        period=period,
        period_count=count,
        cohort=cohort,
        cumulative=cumulative,
        min_occurrences=min_occ,
        start_event=start or None,
        return_event=back or None,
        where=where,
        start_where=start_where,
        return_where=return_where,
        timezone=timezone,
        week_start=week_start,
        breakdown=breakdown,
        breakdown_limit=limit or DEFAULT_BREAKDOWN_LIMIT,
        periods=periods,
        date_from=date_from,
        date_to=date_to,
    )


def include_incomplete_toggle(where: DeltaGenerator | None = None) -> bool:
    """The "Include periods in progress" switch of an average (off: complete periods only)."""
    return url_toggle(
        "Include periods in progress",
        key="incomplete",
        where=where,
        help="Count the periods that end after the data end in the average (the running figure)."
        " Off: complete periods only, so the average does not drop at its end.",
    )


def engagement_controls(
    info: DatasetInfo, counts: pd.DataFrame, choices: SegmentChoices
) -> tuple[EngagementParams, BreakdownParams]:
    """Event, filters, date range and time zone shared by the Engagement charts, and the
    breakdown of active users and lifecycle."""
    row = st.columns(4)
    event = _active_event(counts, row[0])
    date_from, date_to = _date_range(info, days=180, where=row[1])
    timezone = _timezone(row[2])
    breakdown = _breakdown(
        choices,
        key="breakdown",
        where=row[3],
        help="Compare the values of a property side by side: active users and lifecycle per value.",
    )
    below = st.columns([3, 1])
    where = _filters(info, choices.columns, key="where", label="Filters", where=below[0])
    limit = breakdown_limit_control(below[1]) if breakdown else DEFAULT_BREAKDOWN_LIMIT
    shared = EngagementParams(
        event=event, where=where, date_from=date_from, date_to=date_to, timezone=timezone
    )
    return shared, BreakdownParams(breakdown=breakdown, breakdown_limit=limit)


def lifecycle_controls(where: DeltaGenerator | None = None) -> LifecycleParams:
    """Lifecycle bucket size and week start."""
    row = (where or st).columns(2)
    choices = period_choices("day", "month")
    period = _period("Lifecycle period", choices, key="lc_period", default="week", where=row[0])
    return LifecycleParams(period=period, week_start=_week_start(row[1]))


def stickiness_controls(where: DeltaGenerator | None = None) -> StickinessParams:
    """Stickiness bucket size, minimum events, the cumulative switch and the period in progress."""
    row = (where or st).columns(4)
    choices = period_choices("day", "week")
    period = _period("Stickiness period", choices, key="st_period", default="day", where=row[0])
    min_events = url_number(
        "Events needed per period",
        key="min_events",
        default=1,
        min_value=1,
        max_value=1000,
        where=row[1],
    )
    cumulative = url_toggle("At least n (cumulative)", key="st_cumulative", where=row[2])
    running = url_toggle(
        "Count unfinished period",  # short enough for a quarter of the row
        key="st_incomplete",
        where=row[3],
        help="Off: only periods that ended by the data end are counted, so no one looks less"
        " sticky because the last period has not finished.",
    )
    return StickinessParams(
        period=period, min_events=min_events, cumulative=cumulative, include_incomplete=running
    )


def revenue_controls(info: DatasetInfo) -> RevenueParams:
    """Period and date range of the subscription metrics."""
    row = st.columns(2)
    period: RevenuePeriod = url_selectbox(
        "Period",
        REVENUE_PERIODS,
        key="rev_period",
        default="month",
        format_func=str.capitalize,
        where=row[0],
    )
    date_from, date_to = _date_range(info, days=366, where=row[1])
    return RevenueParams(period=period, date_from=date_from, date_to=date_to)


def churn_controls(
    info: DatasetInfo, counts: pd.DataFrame, choices: SegmentChoices | None = None
) -> ChurnParams:
    """Period, activity event, date range and time zone of user churn from events; with
    *choices*, a breakdown (one line per value) and how many values are shown."""
    row = st.columns(4)
    periods = period_choices("week", "month")
    period = _period("Period", periods, key="churn_period", default="month", where=row[0])
    event = _active_event(counts, row[1])
    date_from, date_to = _date_range(info, days=366, where=row[2])
    timezone = _timezone(row[3])
    breakdown, limit = None, DEFAULT_BREAKDOWN_LIMIT
    if choices is not None:
        below = st.columns([3, 1])
        breakdown = _breakdown(
            choices,
            key="breakdown",
            where=below[0],
            help="Compare the values of a property side by side: one churn line per value.",
        )
        if breakdown:
            limit = breakdown_limit_control(below[1])
    return ChurnParams(
        period=period,
        event=event,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        breakdown=breakdown,
        breakdown_limit=limit,
    )
