"""Which periods the data covers in full: one definition for every metric (DESIGN.md, Completeness).

The *data end* is the dataset's last event (events) or the latest start or end instant of the
subscriptions that is not in the future (subscriptions), unless the caller passes ``as_of``. A
period is *complete* when its end is at or before the data end. Every metric result carries a
boolean ``complete`` column (per cell for retention) and ``frame.attrs["data_end"]`` (tz-aware, in
the analysis zone, or ``None`` for an empty dataset). Averages, "latest" numbers, changes,
insights and key-result refreshes use complete periods only; pages draw the others as "in
progress".

Examples
--------
A week is complete once the data reaches its end (the next Monday, 00:00):

>>> import pandas as pd
>>> starts = pd.DatetimeIndex(["2026-10-19", "2026-10-26"], tz="UTC")
>>> complete_flags(starts, period="week", data_end=pd.Timestamp("2026-11-02 04:46", tz="UTC"))
[True, True]
>>> complete_flags(starts, period="week", data_end=pd.Timestamp("2026-11-01 23:59", tz="UTC"))
[True, False]
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.metrics import memo

DATA_END = "data_end"  # the key of ``frame.attrs`` that holds the data end

_FIXED = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7)}
_MONTHS = {"month": 1, "quarter": 3}


def _utc(value: Any) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def period_end(start: pd.Timestamp, period: str, period_count: int = 1) -> pd.Timestamp:
    """The end (exclusive) of the period of *period_count* units starting at *start*.

    A tz-aware *start* is stepped in local wall-clock time, so a day across a DST change is 23 or
    25 hours long.

    >>> period_end(pd.Timestamp("2024-01-31"), "month")
    Timestamp('2024-02-29 00:00:00')
    >>> period_end(pd.Timestamp("2026-03-08", tz="America/New_York"), "day")
    Timestamp('2026-03-09 00:00:00-0400', tz='America/New_York')
    """
    zone = start.tzinfo
    naive = start.tz_localize(None) if zone is not None else start
    if period in _MONTHS:
        end = naive + pd.DateOffset(months=_MONTHS[period] * period_count)
    else:
        end = naive + _FIXED[period] * period_count
    if zone is None:
        return end
    return end.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")


def complete_flags(
    starts: Iterable[Any],
    *,
    period: str,
    data_end: Any,
    period_count: int = 1,
) -> list[bool]:
    """For each period start, whether the period ends at or before *data_end*.

    Naive starts are read as UTC. Without a data end (empty data) nothing is complete.
    """
    end = _utc(data_end)
    flags = []
    for start in starts:
        stamp = _utc(start)
        if end is None or stamp is None:
            flags.append(False)
            continue
        local = pd.Timestamp(start)
        local = local.tz_localize("UTC") if local.tzinfo is None else local
        flags.append(bool(period_end(local, period, period_count) <= end))
    return flags


def events_data_end(table: ir.Table, *, as_of: Any = None) -> pd.Timestamp | None:
    """The data end of an events table: *as_of* when given, else its last event (UTC)."""
    if as_of is not None:
        return instant(as_of)
    return memo.once("events_data_end", table, lambda: _utc(table.timestamp.max().to_pandas()))


def subscriptions_data_end(
    table: ir.Table,
    *,
    start_col: str = "start",
    end_col: str = "end",
    as_of: Any = None,
    now: Any = None,
) -> pd.Timestamp | None:
    """The data end of subscriptions: *as_of*, else the latest start or end not after *now*.

    Ends in the future (a paid year that runs to next spring) say nothing about what the export
    covers, so they are ignored; *now* defaults to the current instant.
    """
    if as_of is not None:
        return instant(as_of)

    def ask() -> pd.Timestamp | None:
        cap = _utc(now) if now is not None else pd.Timestamp.now(tz="UTC")
        assert cap is not None
        cap_value = cap.tz_localize(None).to_pydatetime()
        starts = table[start_col]
        ends = table[end_col]
        row = table.aggregate(
            hi_start=starts.max(),
            hi_end=ends.cast(dt.timestamp).max(where=ends.cast(dt.timestamp) <= cap_value),
        ).to_pandas()
        values = [_utc(row[c].iloc[0]) for c in ("hi_start", "hi_end")]
        present = [v for v in values if v is not None]
        return max(present) if present else None

    # within a memo scope (a page) "now" is the first metric's: every metric has the same end
    question = f"subscriptions_data_end {start_col} {end_col} {now}"
    return memo.once(question, table, ask)


def attach(
    frame: pd.DataFrame, data_end: pd.Timestamp | None, timezone: str = "UTC"
) -> pd.DataFrame:
    """Record *data_end* (converted to *timezone*) on *frame* and return the frame."""
    frame.attrs[DATA_END] = None if data_end is None else data_end.tz_convert(timezone)
    return frame


def data_end_of(frame: pd.DataFrame) -> pd.Timestamp | None:
    """The data end a metric recorded on its result frame, or ``None``."""
    value = frame.attrs.get(DATA_END)
    return value if isinstance(value, pd.Timestamp) else None


def instant(value: Any, timezone: str = "UTC", *, name: str = "as_of") -> pd.Timestamp | None:
    """A metric's ``as_of`` (or ``date_to``) as a UTC instant.

    Naive values are wall-clock time in *timezone* (DESIGN.md); a date alone (a ``date`` or
    ``"YYYY-MM-DD"``) means the end of that local day, so ``as_of="2024-11-02"`` covers the 2nd.

    >>> instant("2024-11-02", "Europe/Berlin")
    Timestamp('2024-11-02 23:00:00+0000', tz='UTC')
    >>> instant("2024-11-02T04:46")
    Timestamp('2024-11-02 04:46:00+0000', tz='UTC')
    """
    from prodops.errors import ParameterError

    if value is None:
        return None
    whole_day = (isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)) or (
        isinstance(value, str) and len(value.strip()) == 10 and value.strip()[4] == "-"
    )
    bad = ParameterError(
        f"{name} {value!r} is not a date or time",
        fix="Write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM, or leave it out.",
    )
    try:
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise bad from None
    if pd.isna(stamp):
        raise bad
    if whole_day:
        stamp = stamp.normalize() + pd.Timedelta(days=1)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")
