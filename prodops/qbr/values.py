"""The per-quarter values behind the QBR headlines: revenue, activity and retention numbers of
each quarter, each a :class:`Value` (a number, or ``None`` with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from prodops.qbr.quarters import (
    MonthRange,  # noqa: F401  (the doctests use it)
    Period,
    Quarter,
)

_UNITS = 10_000  # amounts summed as integers in 1/10000, as prodops.metrics.revenue sums them
REVENUE_KEYS = ("mrr", "arr", "nrr", "grr", "logo_churn", "quick_ratio", "arpa")
EVENTS_KEYS = ("dau", "wau", "mau", "dau_mau", "week1_retention", "week4_retention")


@dataclass(frozen=True)
class Value:
    """A number of one quarter, or ``None`` with the reason it cannot be computed."""

    value: float | None
    note: str = ""


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
