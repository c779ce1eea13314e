"""The metric registry: each metric declared once, read by the CLI, the pages and OKR bindings.

A declaration names the metric's function, its parameters (type, choices, default, help), the
kind of dataset it reads, the unit of its headline value, whether a key result can bind to it,
and where its JSON adapter and chart builder live. Functions are referred to by dotted path and
imported only when used, so reading the registry (``prodops --help``) imports no pandas, Ibis,
DuckDB or Altair.

Adding a metric means writing its module and one :class:`Metric` entry in :data:`METRICS`.

Examples
--------
>>> get("retention").kind
'events'
>>> [p.name for p in get("churn").params][:2]
['period', 'event']
>>> get("revenue").param("period").choices
('month', 'week', 'quarter')
>>> sorted(m.name for m in bindable())
['active_users', 'churn', 'retention', 'revenue']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from prodops.errors import NotFoundError, did_you_mean

# --- The vocabulary of the metrics' options (typed; the choices come from the Literal types) -----

Period = Literal["hour", "day", "week", "month"]
RevenuePeriod = Literal["month", "week", "quarter"]
Cohort = Literal["first_time", "recurring", "first_ever"]
WeekStart = Literal["monday", "sunday"]
DatasetKind = Literal["events", "subscriptions"]
Unit = Literal["count", "ratio", "money"]

PERIODS: tuple[Period, ...] = get_args(Period)
REVENUE_PERIODS: tuple[RevenuePeriod, ...] = get_args(RevenuePeriod)
COHORTS: tuple[Cohort, ...] = get_args(Cohort)
WEEK_STARTS: tuple[WeekStart, ...] = get_args(WeekStart)

ParamType = Literal["str", "int", "bool", "date", "where"]


@dataclass(frozen=True)
class Param:
    """One option of a metric: CLI flag, page control and binding parameter at once.

    ``type`` is ``str``, ``int``, ``bool`` (a switch), ``date`` (ISO day) or ``where`` (repeatable
    conditions ``COL=VAL``, ``COL!=VAL``, ``COL>=NUM``... read by
    :func:`prodops.metrics.filters.parse_condition`). ``choices`` is set for closed
    vocabularies. An ``output_only`` option is read by the output (derived numbers such as the
    retention average), not passed to the metric function.
    """

    name: str
    type: ParamType
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    output_only: bool = False

    @property
    def flag(self) -> str:
        """The CLI spelling: ``--window-days`` for ``window_days``."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Metric:
    """One metric's declaration (see the module docstring)."""

    name: str
    title: str
    help: str
    function: str  # "module:attribute", imported on first use
    kind: DatasetKind
    unit: Unit
    params: tuple[Param, ...]
    value: str  # the column that holds the metric's headline value
    bindable: bool = False
    to_json: str | None = None  # "module:attribute" of the JSON adapter
    chart: str | None = None  # "module:attribute" of the chart builder
    cli_name: str = field(default="")
    units: tuple[tuple[str, Unit], ...] = ()  # columns whose unit is not ``unit`` (bindings)

    def unit_of(self, column: str | None = None) -> Unit:
        """The unit of *column* (default: the headline ``value``): ratio, count or money."""
        return dict(self.units).get(column or self.value, self.unit)

    @property
    def command(self) -> str:
        """The CLI command: ``active-users`` for ``active_users``."""
        return self.cli_name or self.name.replace("_", "-")

    def param(self, name: str) -> Param:
        """The parameter *name* (NotFoundError naming the close ones)."""
        for param in self.params:
            if param.name == name:
                return param
        names = [p.name for p in self.params]
        raise NotFoundError(f"{self.name} has no parameter {name!r}", fix=did_you_mean(name, names))

    def load(self) -> Callable[..., Any]:
        """The metric function itself (imports its module)."""
        return _resolve(self.function)

    def load_json(self) -> Callable[..., Any] | None:
        return _resolve(self.to_json) if self.to_json else None

    def load_chart(self) -> Callable[..., Any] | None:
        return _resolve(self.chart) if self.chart else None

    def modules(self) -> tuple[str, ...]:
        """The modules :meth:`load` and :meth:`load_json` import (to import them ahead)."""
        return tuple(spec.partition(":")[0] for spec in (self.function, self.to_json) if spec)


def _resolve(path: str) -> Callable[..., Any]:
    module, _, attribute = path.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return found


# --- Shared parameters ----------------------------------------------------------------------------

_TZ = Param("timezone", "str", "UTC", "IANA time zone of the analysis (default UTC)", metavar="TZ")
_WEEK = Param("week_start", "str", "monday", "first day of a week", choices=WEEK_STARTS)
_FROM = Param("date_from", "date", None, "first day (read in the time zone)", metavar="DATE")
_TO = Param("date_to", "date", None, "last day (default: the data end)", metavar="DATE")
_WHERE_HELP = (
    "keep events where COND holds: COL=VAL, COL!=VAL, 'COL~TEXT' (contains), 'COL>=NUM' (also"
    " >, <, <=), 'COL?' (is set), 'COL!?' (is not set); repeatable: several = on one column"
    " are OR, the rest AND"
)
_WHERE = Param("where", "where", None, _WHERE_HELP, metavar="COND")
_BREAKDOWN = Param(
    "breakdown",
    "str",
    None,
    "one series per value of this column, the largest first",
    metavar="COL",
)
_BREAKDOWN_LIMIT = Param(
    "breakdown_limit",
    "int",
    5,
    "values shown with --breakdown (default 5); the rest are grouped as 'other'",
    metavar="N",
)
_EVENT = Param("event", "str", None, "the event that counts (default: any)", metavar="NAME")
_COUNT = Param("period_count", "int", 1, "units per period", metavar="N")
_AS_OF = Param(
    "as_of",
    "date",
    None,
    "the data end: periods ending after it are in progress (default: the last event)",
    metavar="DATE",
)
_INCOMPLETE_HELP = "count the periods in progress in derived numbers (averages)"
_INCOMPLETE = Param("include_incomplete", "bool", False, _INCOMPLETE_HELP)
_INCOMPLETE_OUTPUT = Param("include_incomplete", "bool", False, _INCOMPLETE_HELP, output_only=True)


def _period(default: Period) -> Param:
    return Param("period", "str", default, f"(default {default})", choices=PERIODS)


METRICS: tuple[Metric, ...] = (
    Metric(
        name="retention",
        title="Retention",
        help="Cohorts by the period of their start event; cell k counts returns k periods later.",
        function="prodops.metrics.retention:retention",
        kind="events",
        unit="ratio",
        value="rate",
        bindable=True,
        params=(
            _period("week"),
            _COUNT,
            Param(
                "periods",
                "int",
                None,
                "number of columns (offsets 0..N-1); without --date-from, also the number of"
                " cohorts ending at --date-to",
                metavar="N",
            ),
            Param("cohort", "str", "first_time", "who enters a cohort", choices=COHORTS),
            Param("cumulative", "bool", False, "count returns on or after"),
            Param("min_occurrences", "int", 1, "return events needed in a period", metavar="N"),
            Param("start_event", "str", None, "start event (default: any)", metavar="NAME"),
            Param("return_event", "str", None, "return event (default: any)", metavar="NAME"),
            _WHERE,
            Param(
                "start_where", "where", None, "start events where COND (as --where)", metavar="COND"
            ),
            Param(
                "return_where",
                "where",
                None,
                "return events where COND (as --where)",
                metavar="COND",
            ),
            _FROM,
            _TO,
            _TZ,
            _WEEK,
            Param(
                "breakdown",
                "str",
                None,
                "one matrix per value of this column, the largest cohorts first",
                metavar="COL",
            ),
            _BREAKDOWN_LIMIT,
            _AS_OF,
            _INCOMPLETE_OUTPUT,
        ),
        to_json="prodops.cli.metric_output:retention_json",
        chart="prodops.metrics.retention_charts:build_retention_heatmap_chart",
    ),
    Metric(
        name="lifecycle",
        title="Lifecycle",
        help="New, returning, resurrecting and dormant users per period; pulse ratio.",
        function="prodops.metrics.lifecycle:lifecycle",
        kind="events",
        unit="count",
        value="pulse_ratio",
        params=(
            _period("week"),
            _EVENT,
            _WHERE,
            _FROM,
            _TO,
            _TZ,
            _WEEK,
            _BREAKDOWN,
            _BREAKDOWN_LIMIT,
            _AS_OF,
            _INCOMPLETE_OUTPUT,
        ),
        to_json="prodops.cli.metric_output:lifecycle_json",
        chart="prodops.metrics.engagement_charts:build_lifecycle_chart",
    ),
    Metric(
        name="stickiness",
        title="Stickiness",
        help="Users by the number of periods of the range in which they were active.",
        function="prodops.metrics.engagement:stickiness",
        kind="events",
        unit="count",
        value="users",
        params=(
            _period("day"),
            _COUNT,
            _EVENT,
            _WHERE,
            Param("min_events", "int", 1, "events needed in a period to count", metavar="N"),
            Param("cumulative", "bool", False, "active in at least n periods"),
            _FROM,
            _TO,
            _TZ,
            _WEEK,
            _AS_OF,
            _INCOMPLETE,
        ),
        to_json="prodops.cli.metric_output:stickiness_json",
        chart="prodops.metrics.engagement_charts:build_stickiness_chart",
    ),
    Metric(
        name="active_users",
        title="Active users",
        help="Users with an event in the window_days days ending on each day (1 DAU, 7 WAU).",
        function="prodops.metrics.engagement:active_users",
        kind="events",
        unit="count",
        value="users",
        bindable=True,
        params=(
            Param(
                "window_days", "int", 1, "days in the window (1 DAU, 7 WAU, 30 MAU)", metavar="N"
            ),
            _EVENT,
            _WHERE,
            _FROM,
            _TO,
            _TZ,
            _BREAKDOWN,
            _BREAKDOWN_LIMIT,
            _AS_OF,
            _INCOMPLETE_OUTPUT,
        ),
        to_json="prodops.cli.metric_output:active_users_json",
        chart="prodops.metrics.engagement_charts:build_active_users_chart",
    ),
    Metric(
        name="churn",
        title="User churn",
        help="Users active in the previous period and not in this one, over the previous period's.",
        function="prodops.metrics.churn:churn",
        kind="events",
        unit="ratio",
        value="churn_rate",
        bindable=True,
        params=(
            _period("month"),
            _EVENT,
            _WHERE,
            _FROM,
            _TO,
            _TZ,
            _WEEK,
            _BREAKDOWN,
            _BREAKDOWN_LIMIT,
            _AS_OF,
            _INCOMPLETE_OUTPUT,
        ),
        to_json="prodops.cli.metric_output:churn_json",
        chart="prodops.metrics.engagement_charts:build_churn_chart",
    ),
    Metric(
        name="revenue",
        title="Revenue",
        help="MRR movements and retention rates per period, each with its formula.",
        function="prodops.metrics.revenue:revenue",
        kind="subscriptions",
        unit="money",
        value="mrr_end",
        units=(
            *((c, "money") for c in ("mrr_start", "new", "expansion", "contraction", "churn")),
            *((c, "money") for c in ("reactivation", "arpa", "ltv")),
            ("customers_start", "count"),
            ("customers_end", "count"),
            ("customers_churned", "count"),
            ("logo_churn_rate", "ratio"),
            ("gross_mrr_churn_rate", "ratio"),
            ("net_mrr_churn_rate", "ratio"),
            ("grr", "ratio"),
            ("nrr", "ratio"),
            ("quick_ratio", "ratio"),
        ),
        bindable=True,
        params=(
            Param("period", "str", "month", "(default month)", choices=REVENUE_PERIODS),
            _FROM,
            _TO,
            _TZ,
            _AS_OF,
            _INCOMPLETE_OUTPUT,
        ),
        to_json="prodops.cli.metric_output:revenue_json",
        chart="prodops.metrics.revenue_charts:build_mrr_movements_chart",
    ),
    Metric(
        name="revenue_cohorts",
        title="Revenue cohorts",
        help="Revenue and logo retention of each starting cohort.",
        function="prodops.metrics.revenue:revenue_cohorts",
        kind="subscriptions",
        unit="ratio",
        value="revenue_retention",
        params=(
            Param("period", "str", "month", "(default month)", choices=REVENUE_PERIODS),
            _FROM,
            _TO,
            _TZ,
            _AS_OF,
            _INCOMPLETE_OUTPUT,
        ),
        to_json="prodops.cli.metric_output:revenue_cohorts_json",
        chart="prodops.metrics.revenue_charts:build_revenue_retention_heatmap_chart",
    ),
    Metric(
        name="ltv",
        title="LTV",
        help=(
            "Lifetime value: monthly ARPA / mean monthly logo churn of the last 6 complete months,"
            " one figure whatever the display period."
        ),
        function="prodops.metrics.revenue:ltv",
        kind="subscriptions",
        unit="money",
        value="ltv",
        params=(_TO, _TZ, _AS_OF, _INCOMPLETE_OUTPUT),
        to_json="prodops.cli.metric_output:ltv_json",
    ),
)

_BY_NAME = {m.name: m for m in METRICS}


def get(name: str) -> Metric:
    """The declaration of metric *name* (``active_users`` or ``active-users``)."""
    found = _BY_NAME.get(name.replace("-", "_"))
    if found is None:
        raise NotFoundError(
            f"there is no metric {name!r}", fix=did_you_mean(name, list(_BY_NAME)) or None
        )
    return found


def bindable() -> list[Metric]:
    """The metrics a key result can bind to."""
    return [m for m in METRICS if m.bindable]


def of_kind(kind: DatasetKind) -> list[Metric]:
    """The metrics that read a dataset of *kind*."""
    return [m for m in METRICS if m.kind == kind]
