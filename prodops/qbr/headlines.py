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

from prodops.qbr.quarters import MonthRange, Period, Quarter, trend_periods

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
_UNITS = 10_000  # amounts summed as integers in 1/10000, as prodops.metrics.revenue sums them
REVENUE_KEYS = ("mrr", "arr", "nrr", "grr", "logo_churn", "quick_ratio", "arpa")
EVENTS_KEYS = ("dau", "wau", "mau", "dau_mau", "week1_retention", "week4_retention")


@dataclass(frozen=True)
class Value:
    """A number of one quarter, or ``None`` with the reason it cannot be computed."""

    value: float | None
    note: str = ""


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


Values = dict[str, dict[str, Value]]  # key -> quarter label -> value


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _day(stamp: pd.Timestamp) -> str:
    return f"{stamp.day} {stamp:%b %Y}"


def _not_over(quarter: Period, data_end: pd.Timestamp | None) -> str:
    shown = "" if data_end is None else f" (the data ends {_day(data_end)})"
    return f"{quarter.title} is not over yet{shown}; only complete periods are reported"


# --- revenue -------------------------------------------------------------------------------------


def revenue_values(
    subscriptions: Any, quarters: list[Period], *, timezone: str = "UTC", as_of: Any = None
) -> Values:
    """The revenue headlines of each of *quarters* (oldest first).

    Quarters: one call of :func:`prodops.metrics.revenue` with ``period="quarter"`` over them.
    Month ranges: :func:`range_revenue_values`.
    """
    from prodops import metrics

    if not all(isinstance(q, Quarter) for q in quarters):
        return range_revenue_values(subscriptions, quarters, timezone=timezone, as_of=as_of)

    frame = metrics.revenue(
        subscriptions,
        period="quarter",
        date_from=quarters[0].start,
        date_to=quarters[-1].last_day,
        timezone=timezone,
        as_of=as_of,
    )
    data_end = frame.attrs.get("data_end")
    starts = pd.to_datetime(frame["period"]).dt.date
    out: Values = {key: {} for key in REVENUE_KEYS}
    for quarter in quarters:
        rows = frame[starts == quarter.start]
        row = rows.iloc[0] if len(rows) else None
        for key, value in _revenue_row(row, quarter, data_end).items():
            out[key][quarter.label] = value
    return out


def _revenue_row(
    row: pd.Series | None, quarter: Period, data_end: pd.Timestamp | None
) -> dict[str, Value]:
    if row is None:
        return dict.fromkeys(REVENUE_KEYS, Value(None, f"no subscriptions in {quarter.title}"))
    if not bool(row["complete"]):
        return dict.fromkeys(REVENUE_KEYS, Value(None, _not_over(quarter, data_end)))
    if int(row["customers_start"]) == 0 and int(row["customers_end"]) == 0:
        return dict.fromkeys(REVENUE_KEYS, Value(None, f"no paying customers in {quarter.title}"))
    mrr = float(row["mrr_end"])
    no_start = f"no MRR at the start of {quarter.title} (the rate divides by it)"

    def rate(column: str, why: str) -> Value:
        value = _number(row[column])
        return Value(value, "" if value is not None else why)

    return {
        "mrr": Value(mrr),
        "arr": Value(12 * mrr),
        "nrr": rate("nrr", no_start),
        "grr": rate("grr", no_start),
        "logo_churn": rate("logo_churn_rate", f"no customers at the start of {quarter.title}"),
        "quick_ratio": rate(
            "quick_ratio", f"no churn or contraction in {quarter.title}: the ratio has no divisor"
        ),
        "arpa": rate("arpa", f"no paying customers at the end of {quarter.title}"),
    }


def range_revenue_values(
    subscriptions: Any, ranges: list[Period], *, timezone: str = "UTC", as_of: Any = None
) -> Values:
    """The revenue headlines of month ranges, by the metric API's revenue definition.

    :func:`prodops.metrics.revenue` has no period of *n* months, so the range's row is built
    as the API builds a period's (DESIGN.md, "Revenue"): each customer's MRR at the range's
    start ``t0`` and end ``t1`` (subscriptions with ``start <= t < end``) classifies them as new,
    reactivation, expansion, contraction or churn, and the rates follow the API's formulas. MRR,
    customers and completeness are the monthly API rows' (the first month's start, the last
    month's end and ``complete``): the range is complete when its last month is.

    Examples
    --------
    a pays 100 throughout, b 50 until 15 June, c starts at 30 on 1 August:

    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-08-01"], utc=True),
    ...     "end": pd.to_datetime([None, "2025-06-15", None], utc=True),
    ...     "mrr": [100.0, 50.0, 30.0]})
    >>> found = range_revenue_values(subs, [MonthRange(2025, 5, 6)], as_of="2025-12-31")
    >>> [found[k]["2025-05+6"].value for k in ("mrr", "nrr", "grr", "logo_churn", "quick_ratio")]
    [130.0, 0.6666666666666666, 0.6666666666666666, 0.5, 0.6]
    """
    from prodops import metrics

    first = min(r.start for r in ranges)
    last = max(r.last_day for r in ranges)
    monthly = metrics.revenue(
        subscriptions,
        period="month",
        date_from=first,
        date_to=last,
        timezone=timezone,
        as_of=as_of,
    )
    data_end = monthly.attrs.get("data_end")
    months = pd.to_datetime(monthly["period"]).dt.date
    subs = _subscriptions_frame(subscriptions)
    out: Values = {key: {} for key in REVENUE_KEYS}
    for period in ranges:
        rows = monthly[(months >= period.start) & (months < period.end)]
        row = None
        if len(rows) == period.months:
            row = _range_row(rows, subs, period, timezone)
        for key, value in _revenue_row(row, period, data_end).items():
            out[key][period.label] = value
    return out


def _subscriptions_frame(subscriptions: Any) -> pd.DataFrame:
    from prodops.engine import as_table

    table = as_table(subscriptions)
    frame: pd.DataFrame = table.select("customer_id", "start", "end", "mrr").to_pandas()
    for column in ("start", "end"):
        stamps = pd.to_datetime(frame[column])
        frame[column] = (
            stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")
        )
    # The paying periods of prodops.metrics.revenue: a start, an mrr > 0, an end after the start.
    frame = frame[frame["start"].notna() & frame["customer_id"].notna()]
    frame = frame[(frame["mrr"] > 0) & (frame["end"].isna() | (frame["end"] > frame["start"]))]
    return frame.assign(customer_id=frame["customer_id"].astype(str))


def _mrr_by_customer(subs: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """Each customer's MRR at instant *at*, in the API's exact units (1/10000)."""
    active = subs[(subs["start"] <= at) & (subs["end"].isna() | (subs["end"] > at))]
    units = (active["mrr"].astype("float64") * _UNITS).round().astype("int64")
    return units.groupby(active["customer_id"]).sum()


def _range_row(rows: pd.DataFrame, subs: pd.DataFrame, period: Period, timezone: str) -> pd.Series:
    """The revenue row of *period* (the columns the quarter path reads from the API's row)."""
    t0 = pd.Timestamp(period.start).tz_localize(timezone).tz_convert("UTC")
    t1 = pd.Timestamp(period.end).tz_localize(timezone).tz_convert("UTC")
    m0, m1 = _mrr_by_customer(subs, t0), _mrr_by_customer(subs, t1)
    both = pd.concat([m0.rename("m0"), m1.rename("m1")], axis=1).fillna(0)
    earlier = set(subs.loc[subs["start"] < t0, "customer_id"])
    had = both.index.isin(earlier)
    up, down = both["m1"] - both["m0"], both["m0"] - both["m1"]
    start, end = both["m0"] > 0, both["m1"] > 0
    sums = {
        "new": both.loc[~start & end & ~had, "m1"].sum(),
        "reactivation": both.loc[~start & end & had, "m1"].sum(),
        "expansion": up[start & end & (up > 0)].sum(),
        "contraction": down[start & end & (down > 0)].sum(),
        "churn": both.loc[start & ~end, "m0"].sum(),
    }
    first, last = rows.iloc[0], rows.iloc[-1]
    mrr_start, mrr_end = float(first["mrr_start"]), float(last["mrr_end"])
    lost = (sums["churn"] + sums["contraction"]) / _UNITS
    gained = (sums["new"] + sums["expansion"] + sums["reactivation"]) / _UNITS
    customers_start, customers_end = int(first["customers_start"]), int(last["customers_end"])

    def share(part: float, whole: float) -> float | None:
        return part / whole if whole else None

    return pd.Series(
        {
            "complete": bool(last["complete"]),
            "customers_start": customers_start,
            "customers_end": customers_end,
            "mrr_end": mrr_end,
            "nrr": share(mrr_start - lost + sums["expansion"] / _UNITS, mrr_start),
            "grr": share(mrr_start - lost, mrr_start),
            "logo_churn_rate": share(int((start & ~end).sum()), customers_start),
            "quick_ratio": share(gained, lost),
            "arpa": share(mrr_end, customers_end),
        },
        dtype=object,
    )


# --- activity and retention ----------------------------------------------------------------------


def _start_of(quarter: Period, timezone: str) -> pd.Timestamp:
    return pd.Timestamp(quarter.start).tz_localize(timezone)


def events_values(
    events: Any,
    quarters: list[Period],
    *,
    timezone: str = "UTC",
    as_of: Any = None,
    data_start: pd.Timestamp | None = None,
) -> Values:
    """The activity and retention headlines of each of *quarters* (contiguous, oldest first).

    *data_start* is the first event (default: read from *events*; a quarter that starts before
    it is not covered in full, so its averages would be too low); *as_of* the data end
    (default: the last event).
    """
    from prodops import metrics
    from prodops.engine import as_table

    events = as_table(events)
    if data_start is None:
        data_start = first_event(events)
    out: Values = {key: {} for key in EVENTS_KEYS}
    covered = []
    for quarter in quarters:
        if data_start is not None and _start_of(quarter, timezone) < data_start.normalize():
            why = f"the data starts on {_day(data_start)}, after {quarter.title} began"
            for key in EVENTS_KEYS:
                out[key][quarter.label] = Value(None, why)
        else:
            covered.append(quarter)
    if not covered:
        return out
    windows = {"dau": 1, "wau": 7, "mau": 30}
    series = {
        key: metrics.active_users(
            events,
            window_days=days,
            date_from=covered[0].start,
            date_to=covered[-1].last_day,
            timezone=timezone,
            as_of=as_of,
        )
        for key, days in windows.items()
    }
    for quarter in covered:
        means = {key: _quarter_mean(frame, quarter) for key, frame in series.items()}
        data_end = series["dau"].attrs.get("data_end")
        for key, mean in means.items():
            out[key][quarter.label] = (
                Value(mean) if mean is not None else Value(None, _not_over(quarter, data_end))
            )
        dau, mau = means["dau"], means["mau"]
        if dau is None or mau is None:
            out["dau_mau"][quarter.label] = Value(None, _not_over(quarter, data_end))
        elif mau == 0:
            out["dau_mau"][quarter.label] = Value(None, f"no active users in {quarter.title}")
        else:
            out["dau_mau"][quarter.label] = Value(dau / mau)
        for key, value in retention_values(events, quarter, timezone=timezone, as_of=as_of).items():
            out[key][quarter.label] = value
    return out


def first_event(table: Any) -> pd.Timestamp | None:
    """The first event's instant (UTC) of a canonical events table, None when it is empty."""
    value = table.timestamp.min().to_pandas()
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _quarter_mean(frame: pd.DataFrame, quarter: Period) -> float | None:
    """The mean of ``users`` over the quarter's days, None unless every day is there, complete."""
    days = pd.to_datetime(frame["date"]).dt.date
    rows = frame[(days >= quarter.start) & (days < quarter.end)]
    expected = (quarter.end - quarter.start).days
    if len(rows) != expected or not rows["complete"].astype(bool).all():
        return None
    return float(rows["users"].astype("float64").mean())


def quarter_retention(
    events: Any, quarter: Period, *, timezone: str = "UTC", as_of: Any = None
) -> pd.DataFrame:
    """Weekly retention of the quarter's cohorts (:func:`prodops.metrics.retention`, 5 columns)."""
    from prodops import metrics

    frame: pd.DataFrame = metrics.retention(
        events,
        period="week",
        periods=5,
        date_from=quarter.start,
        date_to=quarter.last_day,
        timezone=timezone,
        as_of=as_of,
    )
    return frame


def retention_values(
    events: Any, quarter: Period, *, timezone: str = "UTC", as_of: Any = None
) -> dict[str, Value]:
    """Week-1 and week-4 retention of the quarter (size-weighted, complete cells only)."""
    from prodops import metrics

    frame = quarter_retention(events, quarter, timezone=timezone, as_of=as_of)
    average = metrics.retention_average(frame)
    found: dict[str, Value] = {}
    for key, offset in (("week1_retention", 1), ("week4_retention", 4)):
        rates = average.loc[average["offset"] == offset, "rate"]
        value = _number(rates.iloc[0]) if len(rates) else None
        why = f"no cohort of {quarter.title} has a complete week {offset} yet"
        found[key] = Value(value, "" if value is not None else why)
    return found


# --- headlines -----------------------------------------------------------------------------------


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
