"""The headline numbers of a quarter, each with its formula, computed by the metric API.

Every number is the metric API's own number for the quarter's range (``prodops.metrics``), on
complete periods only (DESIGN.md, "Completeness"):

* revenue (:func:`prodops.metrics.revenue` with ``period="quarter"``): MRR at the end of the
  quarter, ARR = 12 x MRR, NRR, GRR, logo churn, quick ratio and ARPA of the quarter's row; the
  row must be complete (the quarter ended at or before the data end);
* activity (:func:`prodops.metrics.active_users`): the mean over the quarter's days of the users
  active that day (DAU), in the 7 days (WAU) and the 30 days (MAU) ending that day; every day
  must be complete and covered by the data; DAU/MAU = mean DAU / mean MAU;
* retention (:func:`prodops.metrics.retention` weekly over the quarter, 5 columns, and
  :func:`prodops.metrics.retention_average`): week-1 and week-4 retention of the quarter's weekly
  cohorts, weighted by cohort size, complete and observable cells only.

A number that cannot be computed is ``None`` with a one-line ``note`` saying why. Each headline
carries its value in the previous quarter and in the same quarter a year before (``None`` when
the data does not reach back), and the trend over the last five quarters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from prodops.qbr.quarters import (
    MonthRange,
    Period,
    Quarter,  # noqa: F401  (the doctests use it)
    trend_periods,
)
from prodops.qbr.values import (
    EVENTS_KEYS,
    REVENUE_KEYS,
    Value,
    Values,
    events_values,
    revenue_values,
)

HeadlineKind = Literal["money", "percent", "count", "ratio"]
TREND_QUARTERS = 5  # this quarter, the three before and the same quarter a year before

# key -> (label, kind, better, formula); the formulas are those of the metric API.
DEFINITIONS: dict[str, tuple[str, HeadlineKind, Literal["up", "down"], str]] = {
    "mrr": (
        "MRR",
        "money",
        "up",
        "MRR at the end of the quarter = sum of mrr of subscriptions with start <= t < end",
    ),
    "arr": ("ARR", "money", "up", "ARR = 12 x MRR at the end of the quarter"),
    "nrr": (
        "Net revenue retention",
        "percent",
        "up",
        "NRR = (MRR(t0) - churn - contraction + expansion) / MRR(t0) over the quarter",
    ),
    "grr": (
        "Gross revenue retention",
        "percent",
        "up",
        "GRR = (MRR(t0) - churn - contraction) / MRR(t0) over the quarter",
    ),
    "logo_churn": (
        "Logo churn",
        "percent",
        "down",
        "Logo churn = customers churned in the quarter / customers at its start",
    ),
    "quick_ratio": (
        "Quick ratio",
        "ratio",
        "up",
        "Quick ratio = (new + expansion + reactivation) / (churn + contraction)",
    ),
    "arpa": ("ARPA", "money", "up", "ARPA = MRR / paying customers, at the end of the quarter"),
    "dau": (
        "DAU",
        "count",
        "up",
        "DAU = mean over the quarter's days of the users with an event that day",
    ),
    "wau": (
        "WAU",
        "count",
        "up",
        "WAU = mean over the quarter's days of the users with an event in the 7 days to that day",
    ),
    "mau": (
        "MAU",
        "count",
        "up",
        "MAU = mean over the quarter's days of the users with an event in the 30 days to that day",
    ),
    "dau_mau": ("DAU/MAU", "percent", "up", "DAU/MAU = mean DAU / mean MAU over the quarter"),
    "week1_retention": (
        "Week-1 retention",
        "percent",
        "up",
        "Week-1 retention = users of the quarter's weekly cohorts back in the week after /"
        " cohort size, summed over cohorts whose week 1 is complete",
    ),
    "week4_retention": (
        "Week-4 retention",
        "percent",
        "up",
        "Week-4 retention = users of the quarter's weekly cohorts back 4 weeks after /"
        " cohort size, summed over cohorts whose week 4 is complete",
    ),
}


@dataclass(frozen=True)
class Headline:
    """One headline number of the QBR with its comparisons, formula and trend.

    ``trend`` is ``[(quarter label, value or None), ...]``, oldest first.

    Examples
    --------
    >>> h = Headline("nrr", "NRR", "percent", "up", "NRR = ...", 1.02, 0.98, None, "", [])
    >>> h.formatted(), h.change_text(h.previous), h.change_text(h.year_ago)
    ('102.0%', '+4.0 pts', '–')
    """

    key: str
    label: str
    kind: HeadlineKind
    better: Literal["up", "down"]
    formula: str
    value: float | None
    previous: float | None
    year_ago: float | None
    note: str
    trend: list[tuple[str, float | None]] = field(default_factory=list)

    def formatted(self, value: float | Literal["value"] | None = "value") -> str:
        """The value (or *value*) as text: "1,234", "42.0%", "12,345.67", "1.85"; "–" if None."""
        shown = self.value if value == "value" else value
        return format_value(shown, self.kind)

    def change_text(self, other: float | None) -> str:
        """The change from *other* to the value: "+12", "-1.5 pts", "+300.00"; "–" if unknown."""
        if self.value is None or other is None:
            return "–"
        delta = self.value - other
        if self.kind == "percent":
            return f"{delta * 100:+.1f} pts"
        if self.kind == "money":
            return f"{delta:+,.2f}"
        if self.kind == "ratio":
            return f"{delta:+.2f}"
        return f"{delta:+,.0f}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what a snapshot stores)."""
        data = asdict(self)
        data["trend"] = [[label, value] for label, value in self.trend]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Headline:
        """The headline of :meth:`to_dict`."""
        values = dict(data)
        values["trend"] = [(str(label), value) for label, value in values.get("trend", [])]
        return cls(**values)


def format_value(value: float | None, kind: HeadlineKind) -> str:
    """A number as the report shows it.

    >>> format_value(0.4567, "percent"), format_value(1234.5, "money"), format_value(None, "count")
    ('45.7%', '1,234.50', '–')
    """
    if value is None:
        return "–"
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def headlines(
    quarter: Period,
    *,
    events: Any = None,
    subscriptions: Any = None,
    timezone: str = "UTC",
    events_as_of: Any = None,
    subscriptions_as_of: Any = None,
    events_start: pd.Timestamp | None = None,
    missing: Mapping[str, str] | None = None,
) -> list[Headline]:
    """The QBR's headline numbers for *quarter*, with the previous and year-ago quarters' values.

    Parameters
    ----------
    quarter
        The quarter reported.
    events, subscriptions
        Canonical tables (Ibis or pandas), or None when the QBR has no dataset of that kind.
    timezone
        The analysis time zone (quarters start at local midnight).
    events_as_of, subscriptions_as_of
        The data ends (default: each dataset's own).
    events_start
        The first event (default: read from *events*; a quarter that began before it is not
        reported).
    missing
        ``{"events": why, "subscriptions": why}``: the note of the numbers of a kind with no data.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "start": pd.to_datetime(["2025-01-01", "2025-04-01"], utc=True),
    ...     "end": pd.to_datetime([None, "2025-08-15"], utc=True), "mrr": [100.0, 50.0]})
    >>> found = headlines(Quarter(2025, 3), subscriptions=subs, subscriptions_as_of="2025-12-31")
    >>> [(h.key, h.formatted(), h.formatted(h.previous)) for h in found[:3]]
    [('mrr', '100.00', '150.00'), ('arr', '1,200.00', '1,800.00'), ('nrr', '66.7%', '100.0%')]
    >>> found[-1].value, found[-1].note
    (None, 'no events dataset chosen')
    """
    quarters = trend_periods(quarter, limit=TREND_QUARTERS)
    why = dict(missing or {})
    values: Values = {}
    if subscriptions is not None:
        values.update(
            revenue_values(subscriptions, quarters, timezone=timezone, as_of=subscriptions_as_of)
        )
    else:
        reason = why.get("subscriptions", "no subscriptions dataset chosen")
        values.update({k: _everywhere(quarters, reason) for k in REVENUE_KEYS})
    if events is not None:
        values.update(
            events_values(
                events, quarters, timezone=timezone, as_of=events_as_of, data_start=events_start
            )
        )
    else:
        reason = why.get("events", "no events dataset chosen")
        values.update({k: _everywhere(quarters, reason) for k in EVENTS_KEYS})
    return [_headline(key, values[key], quarter) for key in (*REVENUE_KEYS, *EVENTS_KEYS)]


def _everywhere(quarters: list[Period], note: str) -> dict[str, Value]:
    return {q.label: Value(None, note) for q in quarters}


def _headline(key: str, by_quarter: dict[str, Value], quarter: Period) -> Headline:
    label, kind, better, formula = DEFINITIONS[key]
    if isinstance(quarter, MonthRange):
        formula = formula.replace("quarter's", "range's").replace("the quarter", "the range")
    this = by_quarter.get(quarter.label, Value(None, "not computed"))

    def at(q: Period) -> float | None:
        found = by_quarter.get(q.label)
        return None if found is None else found.value

    return Headline(
        key=key,
        label=label,
        kind=kind,
        better=better,
        formula=formula,
        value=this.value,
        previous=at(quarter.previous),
        year_ago=at(quarter.year_ago),
        note=this.note,
        trend=[(q.label, at(q)) for q in trend_periods(quarter, limit=TREND_QUARTERS)],
    )


def changed_numbers(
    old: list[Headline], new: list[Headline], *, tolerance: float = 1e-9
) -> list[tuple[str, str, str]]:
    """The headlines whose value differs between two builds: ``(label, old text, new text)``.

    >>> a = Headline("mrr", "MRR", "money", "up", "", 100.0, None, None, "")
    >>> changed_numbers([a], [Headline("mrr", "MRR", "money", "up", "", 120.0, None, None, "")])
    [('MRR', '100.00', '120.00')]
    >>> changed_numbers([a], [a])
    []
    """
    before = {h.key: h for h in old}
    found = []
    for headline in new:
        earlier = before.get(headline.key)
        if earlier is None:
            continue
        if _differs(earlier.value, headline.value, tolerance):
            found.append((headline.label, earlier.formatted(), headline.formatted()))
    return found


def _differs(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > tolerance * max(1.0, abs(a), abs(b))
