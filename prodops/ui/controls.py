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
    PERIODS,
    Cohort,
    Period,
    RevenuePeriod,
    WeekStart,
)
from prodops.ui import cache
from prodops.ui.state import (
    url_multiselect,
    url_number,
    url_selectbox,
    url_text,
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
    with cache.open_dataset(name) as table:
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
