"""The control groups of the insight pages: URL-synced widgets that return typed parameters.

Each group draws its widgets (through :mod:`prodops.ui.state`, so every value lives in the URL)
and returns a frozen dataclass whose fields are the keyword arguments of one metric, typed with the
vocabulary of :mod:`prodops.metrics.registry`; ``.as_kwargs()`` gives them to the metric. The
choices (periods, cohort kinds, week starts) come from the registry's tuples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from prodops import config
from prodops.data.catalog import DatasetInfo
from prodops.metrics.breakdowns import DEFAULT_BREAKDOWN_LIMIT
from prodops.metrics.events import segment_columns
from prodops.metrics.filters import OPERATOR_LABELS, UNARY, Condition
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
from prodops.ui import cache
from prodops.ui.state import (
    TIMEZONES,
    data_dates,
    recent_range,
    url_date,
    url_date_range,
    url_multiselect,
    url_number,
    url_selectbox,
    url_text,
    url_toggle,
)

ANY_EVENT = ""
COHORT_LABELS: dict[str, str] = {
    "first_time": "First time (first start event)",
    "recurring": "Recurring (every start period)",
    "first_ever": "First ever (very first event)",
}
Where = tuple[Condition, ...] | None  # hashable: the params dataclasses are frozen
# Operators offered per filtered column, in the order a person reads them.
FILTER_OPERATORS: tuple[str, ...] = ("=", "!=", "~", ">", ">=", "<", "<=", "?", "!?")
_VALUE_OPERATORS = ("=", "!=")  # a multi-select of the column's values
_TEXT_OPERATORS = ("~", ">", ">=", "<", "<=")  # one typed value


@dataclass(frozen=True)
class SegmentChoices:
    """The property columns a filter or breakdown list offers: the useful ones first, the
    identifiers, timestamps and free text after them (labelled with why; found by typing)."""

    offered: tuple[str, ...]
    hidden: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = ()

    @property
    def columns(self) -> list[str]:
        return [*self.offered, *self.hidden]

    def label(self, column: str) -> str:
        """A column's label in a list: hidden ones say why they are not offered first."""
        reason = dict(self.reasons).get(column)
        return f"{column} · {reason}" if reason else column


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _segments(home: str, dataset_id: str, version: int, name: str) -> SegmentChoices:
    with cache.get_catalog().open(name) as table:
        found = segment_columns(table)
    return SegmentChoices(
        tuple(found.offered), tuple(found.hidden), tuple(sorted(found.reasons.items()))
    )


def segment_choices(info: DatasetInfo) -> SegmentChoices:
    """:func:`prodops.metrics.events.segment_columns` of *info*, cached by id and version."""
    return _segments(str(config.home()), info.id, info.version, info.name)


def _breakdown(
    choices: SegmentChoices, *, key: str, where: DeltaGenerator, help: str
) -> str | None:
    breakdown: str = url_selectbox(
        "Breakdown",
        ["", *choices.columns],
        key=key,
        default="",
        format_func=lambda c: choices.label(c) if c else "None",
        where=where,
        help=help,
    )
    return breakdown or None


def breakdown_limit_control(where: DeltaGenerator | None = None, *, key: str = "top") -> int:
    """How many breakdown values are shown side by side (the rest are grouped as "other")."""
    return url_number(
        "Values shown",
        key=key,
        default=DEFAULT_BREAKDOWN_LIMIT,
        min_value=1,
        max_value=20,
        where=where,
        help="The values with the most users, largest first; the rest are one line, 'other'.",
    )


def window_control(where: DeltaGenerator | None = None) -> int:
    """The window of the active users compared by value: 1 (DAU), 7 (WAU) or 30 (MAU) days."""
    window: int = url_selectbox(
        "Active users by value: window",
        (1, 7, 30),
        key="bk_window",
        default=1,
        format_func=lambda d: {1: "DAU (1 day)", 7: "WAU (7 days)", 30: "MAU (30 days)"}[d],
        where=where,
    )
    return window


def period_choices(first: Period, last: Period) -> tuple[Period, ...]:
    """The registry's periods from *first* to *last* (the sizes a chart reads well at).

    Examples
    --------
    >>> period_choices("day", "week")
    ('day', 'week')
    """
    return PERIODS[PERIODS.index(first) : PERIODS.index(last) + 1]


@dataclass(frozen=True)
class _Params:
    """``as_kwargs()`` for the parameter dataclasses below."""

    def as_kwargs(self) -> dict[str, Any]:
        """The fields as keyword arguments of the metric (filters stay tuples of conditions)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class RetentionParams(_Params):
    """Keyword arguments of :func:`prodops.metrics.retention`."""

    period: Period
    period_count: int
    cohort: Cohort
    cumulative: bool
    min_occurrences: int
    start_event: str | None
    return_event: str | None
    where: Where
    start_where: Where
    return_where: Where
    timezone: str
    week_start: WeekStart
    breakdown: str | None
    breakdown_limit: int = DEFAULT_BREAKDOWN_LIMIT
    periods: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class EngagementParams(_Params):
    """The options shared by active users, DAU/MAU, stickiness and lifecycle."""

    event: str | None
    where: Where
    date_from: date
    date_to: date
    timezone: str


@dataclass(frozen=True)
class BreakdownParams(_Params):
    """A breakdown of active users and lifecycle (None: no breakdown)."""

    breakdown: str | None
    breakdown_limit: int = DEFAULT_BREAKDOWN_LIMIT


@dataclass(frozen=True)
class LifecycleParams(_Params):
    """Lifecycle's own options (with :class:`EngagementParams`)."""

    period: Period
    week_start: WeekStart


@dataclass(frozen=True)
class StickinessParams(_Params):
    """Stickiness's own options (with :class:`EngagementParams`)."""

    period: Period
    min_events: int
    cumulative: bool
    include_incomplete: bool = False


@dataclass(frozen=True)
class RevenueParams(_Params):
    """Keyword arguments of :func:`prodops.metrics.revenue` and ``revenue_cohorts``."""

    period: RevenuePeriod
    date_from: date
    date_to: date


@dataclass(frozen=True)
class ChurnParams(_Params):
    """Keyword arguments of :func:`prodops.metrics.churn`."""

    period: Period
    event: str | None
    date_from: date
    date_to: date
    timezone: str
    breakdown: str | None = None
    breakdown_limit: int = DEFAULT_BREAKDOWN_LIMIT


# --- shared widgets ------------------------------------------------------------------------------


def labeller(labels: dict[str, str]) -> Callable[[Any], str]:
    """A ``format_func`` showing ``labels[value]`` (the value itself when it has no label)."""

    def label(value: Any) -> str:
        return labels.get(str(value), str(value))

    return label


def event_choices(counts: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Event-name options ("" = any event) and their labels with event and user counts."""
    names = [str(e) for e in counts["event"]]
    labels = {ANY_EVENT: "Any event"}
    for name, events, users in counts[["event", "events", "users"]].itertuples(index=False):
        labels[str(name)] = f"{name} · {int(events):,} events · {int(users):,} users"
    return [ANY_EVENT, *names], labels


def filter_conditions(column: str, op: str, values: Sequence[str], text: str) -> list[Condition]:
    """The conditions one filter row gives: one per chosen value for ``=`` / ``!=`` (``=`` values
    are OR, ``!=`` values AND), the typed text for contains and comparisons, none for an empty
    choice; ``?`` and ``!?`` take no value.

    >>> filter_conditions("plan", "=", ["pro", "team"], "")
    [Condition(column='plan', op='=', value='pro'), Condition(column='plan', op='=', value='team')]
    >>> filter_conditions("amount", ">=", [], " 100 ")
    [Condition(column='amount', op='>=', value='100')]
    >>> filter_conditions("plan", "?", ["x"], "")
    [Condition(column='plan', op='?', value=None)]
    >>> filter_conditions("plan", "~", [], "")
    []
    """
    if op in UNARY:
        return [Condition(column, op)]
    if op in _VALUE_OPERATORS:
        return [Condition(column, op, v) for v in values]
    text = text.strip()
    return [Condition(column, op, text)] if text else []


def _filters(
    info: DatasetInfo, columns: list[str], *, key: str, label: str, where: DeltaGenerator
) -> Where:
    """Per chosen column, an operator and its values (a multi-select, or a typed value)."""
    chosen = url_multiselect(
        label,
        columns,
        key=f"{key}_cols",
        where=where,
        help="Pick columns, then for each an operator and values. Several values of 'is' are OR"
        " (plan is pro or team); different columns are AND.",
    )
    found: list[Condition] = []
    for column in chosen:
        row = where.columns([2, 3])
        op = url_selectbox(
            column,
            FILTER_OPERATORS,
            key=f"{key}_op_{column}",
            default="=",
            format_func=lambda o: OPERATOR_LABELS[o],
            where=row[0],
        )
        values: list[str] = []
        text = ""
        if op in _VALUE_OPERATORS:
            values = url_multiselect(
                f"{column} values",
                cache.property_values(info, column),
                key=f"{key}_v_{column}",
                where=row[1],
            )
        elif op in _TEXT_OPERATORS:
            text = url_text(
                f"{column} value",
                key=f"{key}_t_{column}",
                placeholder="a number, e.g. 100" if op != "~" else "text, e.g. @acme.com",
                where=row[1],
            )
        found += filter_conditions(column, op, values, text)
    return tuple(found) or None


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
        "Count the period in progress",
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
