"""The calendar every events metric shares: periods in local wall-clock time.

A metric's range is a run of ``n`` periods of ``count`` units (hour, day, week, month). Periods
are computed on *local wall-clock time* in the analysis time zone: each UTC timestamp is
converted with :func:`prodops.engine.local_time` and only then placed in a period (truncating a
zoned timestamp in SQL would truncate in the session zone; DESIGN.md, pitfalls).

Inside the database a period is a plain integer, its *index* (0 for the first period of the
range, negative before it, ``n`` and more after it), so every metric groups, joins and compares
integers; Python turns indices back into tz-aware period starts with :meth:`Calendar.starts`.

Anchoring (DESIGN.md): with ``date_from`` the periods start at the truncated ``date_from`` and step
by ``count`` units; without it they are counted back from the truncated ``date_to``. The last
period always counts in full, even past ``date_to``, and a date-only ``date_to`` includes that
whole day (an hourly range "ending on 2026-10-31" ends at 24:00). ``date_to`` defaults to the last
event (a metric given ``as_of`` passes it as ``date_to``).

Two resolvers: :func:`build_calendar` gives the buckets of a series metric (``periods`` = number
of buckets); :func:`cohort_calendar` gives a retention matrix, whose range chooses the cohort rows
and whose ``periods`` chooses the columns. Both refuse an oversized request before querying
(:mod:`prodops.metrics.limits`).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops import dialects
from prodops.errors import InputError, ParameterError, did_you_mean
from prodops.metrics import memo
from prodops.metrics.limits import check_cells, check_periods

# The vocabulary is declared once, in the registry (re-exported here for the metrics).
from prodops.metrics.registry import PERIODS as PERIODS
from prodops.metrics.registry import WEEK_STARTS as WEEK_STARTS
from prodops.metrics.registry import Period as Period

DateLike = str | _dt.date | _dt.datetime | pd.Timestamp | None

_UNIT_SECONDS = {"hour": 3600, "day": 86_400, "week": 7 * 86_400}
_EPOCH = pd.Timestamp("1970-01-01")


def check_timezone(timezone: str) -> str:
    """Return *timezone* if the time-zone database knows it, else raise ParameterError."""
    try:
        zoneinfo.ZoneInfo(str(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        hint = did_you_mean(str(timezone), sorted(zoneinfo.available_timezones()))
        raise ParameterError(
            f"unknown time zone {timezone!r}",
            fix=hint or "Use an IANA name such as 'UTC', 'Europe/Berlin' or 'America/New_York'.",
        ) from None
    return str(timezone)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return *value* if it is one of *choices*, else raise ParameterError naming them."""
    if value not in choices:
        hint = did_you_mean(str(value), choices)
        raise ParameterError(
            f"{name} must be one of {', '.join(choices)}, not {value!r}",
            fix=hint or f"Pass {name}={choices[0]!r}.",
        )
    return str(value)


def check_positive(name: str, value: Any) -> int:
    """Return *value* as an int if it is a whole number >= 1, else raise ParameterError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(
            f"{name} must be a whole number >= 1, not {value!r}", fix=f"Pass {name}=1 or more."
        )
    return int(value)


def to_local(value: DateLike, timezone: str, *, name: str) -> pd.Timestamp | None:
    """Return *value* as naive wall-clock time in *timezone* (naive input is local already)."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError(
            f"{name} {value!r} is not a date or time",
            fix="Write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM.",
        ) from None
    if pd.isna(stamp):
        raise ParameterError(f"{name} is empty", fix="Write it as YYYY-MM-DD or leave it out.")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return stamp


def truncate(stamp: pd.Timestamp, period: str, week_start: str = "monday") -> pd.Timestamp:
    """Return the start of the (single-unit) period holding naive local time *stamp*."""
    if period == "hour":
        return stamp.floor("h")
    day = stamp.normalize()
    if period == "day":
        return day
    if period == "week":
        back = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
        return day - pd.Timedelta(days=back)
    return day.replace(day=1)


def units_between(start: pd.Timestamp, end: pd.Timestamp, period: str) -> int:
    """Whole units from truncated *start* to truncated *end* (may be negative)."""
    if period == "month":
        return (end.year - start.year) * 12 + end.month - start.month
    return int((end - start) // pd.Timedelta(seconds=_UNIT_SECONDS[period]))


def shift(stamp: pd.Timestamp, period: str, units: int) -> pd.Timestamp:
    """Return truncated *stamp* moved by *units* units of *period*."""
    if period == "month":
        return stamp + pd.DateOffset(months=units)
    return stamp + pd.Timedelta(seconds=_UNIT_SECONDS[period] * units)


@dataclass(frozen=True)
class Calendar:
    """``n`` consecutive periods of ``count`` x ``period`` starting at naive local ``first``."""

    period: str
    count: int
    first: pd.Timestamp
    n: int
    timezone: str
    week_start: str = "monday"

    def naive_starts(self) -> list[pd.Timestamp]:
        """Local wall-clock start of every period, plus the end of the last one."""
        return [shift(self.first, self.period, i * self.count) for i in range(self.n + 1)]

    def starts(self) -> pd.DatetimeIndex:
        """Tz-aware start of every period in the analysis zone (ambiguous hours: the first)."""
        stamps = [localize(s, self.timezone) for s in self.naive_starts()[: self.n]]
        return pd.DatetimeIndex(stamps, tz=self.timezone).as_unit("us")

    def days(self) -> pd.DatetimeIndex:
        """Naive local start of every period (the local calendar dates for day periods)."""
        return pd.DatetimeIndex(self.naive_starts()[: self.n]).as_unit("us")

    def index_of(self, stamp: pd.Timestamp) -> int:
        """The period index of naive local wall-clock time *stamp* (Python twin of :meth:`index`).

        >>> cal = Calendar("week", 2, pd.Timestamp("2024-01-01"), 3, "UTC")
        >>> cal.index_of(pd.Timestamp("2024-01-14 23:00")), cal.index_of(pd.Timestamp("2023-12-31"))
        (0, -1)
        """
        if self.period == "month":
            months = (stamp.year - self.first.year) * 12 + stamp.month - self.first.month
            return months // self.count
        step = pd.Timedelta(seconds=_UNIT_SECONDS[self.period] * self.count)
        return int((stamp - self.first) // step)

    def index(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """Ibis expression: the period index of UTC timestamp column *ts* (0 = first period).

        Works on wall-clock epoch seconds with plain arithmetic, so every engine computes the
        same integers: hours, days and weeks are fixed lengths of wall-clock time from the first
        period's start; months come from the civil date of the wall-clock day.
        """
        seconds = wall_seconds(ts, self.timezone)
        if self.period == "month":
            months = month_number(_floor(seconds / 86_400.0))
            first = self.first.year * 12 + self.first.month - 1
            return _floor((months - float(first)) / float(self.count)).cast(dt.int64)
        first_s = float((self.first - _EPOCH) // pd.Timedelta(seconds=1))
        step = float(_UNIT_SECONDS[self.period] * self.count)
        return _floor((seconds - first_s) / step).cast(dt.int64)


def wall_seconds(ts: ir.TimestampValue, timezone: str) -> ir.FloatingValue:
    """Seconds since 1970-01-01 00:00 of the local wall-clock time of UTC timestamp *ts*.

    Compiled per engine (:mod:`prodops.dialects`). On DuckDB and PostgreSQL, in UTC the wall
    clock is the instant itself, so its epoch is read directly (``date_part('epoch', ts)``):
    casting a zoned timestamp to a naive one costs about 0.23 s per million rows on DuckDB (an
    ICU conversion), ten times the rest of a metric; other zones convert with
    ``timezone(zone, ts)`` first. Timestamps carry microseconds and a double resolves them to
    well under one, so ``floor`` at period boundaries is exact; engines whose epoch function
    returns whole seconds (Spark, BigQuery, ...) floor the same way, since every boundary falls
    on a whole second.

    Examples
    --------
    >>> t = ibis.table({"timestamp": "timestamp('UTC')"}, name="events")
    >>> sql = ibis.to_sql(t.select(s=wall_seconds(t.timestamp, "Europe/Berlin")), dialect="duckdb")
    >>> "DATE_PART('epoch', TIMEZONE('Europe/Berlin', " in sql
    True
    """
    return dialects.wall_seconds(ts, timezone)


def _floor(value: ir.NumericValue) -> ir.NumericValue:
    return value.floor()


def month_number(day: ir.NumericValue) -> ir.NumericValue:
    """``year * 12 + month - 1`` of the civil date *day* (whole number) days after 1970-01-01.

    ``date '1970-01-01' + interval`` then year and month of a plain date: cheap on every engine
    (no zoned conversion) and one short expression.
    """
    date = ibis.date(1970, 1, 1) + day.cast(dt.int32).as_interval("D")
    return (date.year() * 12 + date.month() - 1).cast(dt.float64)


def bound_rows(
    cal: Calendar, table: ir.Table, *, lo: int | None = None, hi: int | None = None
) -> tuple[ir.Table, bool]:
    """Keep the events of periods ``lo <= idx < hi`` (``hi`` defaults to the end of the range).

    In UTC the wall clock is the instant, so the bounds are exact timestamp comparisons: cheap,
    prunable, and the engine does not evaluate the period index a second time inside a
    pushed-down filter. Returns ``(table, True)`` then. In other zones the wall clock is not
    monotonic in UTC (repeated hours), so nothing is filtered here: ``(table, False)`` tells the
    caller to bound the (user, period) pairs by index instead.
    """
    if cal.timezone not in ("UTC", "Etc/UTC"):
        return table, False
    utc = dt.Timestamp(timezone="UTC")
    ts = table.timestamp.cast(utc)

    def instant(index: int) -> ir.TimestampValue:
        start = shift(cal.first, cal.period, index * cal.count).tz_localize("UTC")
        return ibis.literal(start.to_pydatetime(), type=utc)

    keep = ts < instant(cal.n if hi is None else hi)
    if lo is not None:
        keep = keep & (ts >= instant(lo))
    return table.filter(keep), True


def localize(stamp: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """Naive local *stamp* made tz-aware (DST gaps shift forward, repeated hours: the first)."""
    return stamp.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")


def data_bounds(table: ir.Table) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last timestamp of *table* (UTC, tz-aware), or ``(None, None)`` when empty
    (asked once per table within a :func:`prodops.metrics.memo.scope`)."""
    return memo.once("data_bounds", table, lambda: _data_bounds(table))


def _data_bounds(table: ir.Table) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    row = table.aggregate(lo=table.timestamp.min(), hi=table.timestamp.max()).to_pandas()
    lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
    if pd.isna(lo):
        return None, None

    def utc(value: Any) -> pd.Timestamp:
        stamp = pd.Timestamp(value)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

    return utc(lo), utc(hi)


# --- reading the range ----------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*")
_DAY = pd.Timedelta(days=1)
_TICK = pd.Timedelta(microseconds=1)  # the resolution of every timestamp here


def is_date_only(value: DateLike) -> bool:
    """Whether *value* names a whole day (a date, or text like ``2026-10-31``), not an instant.

    >>> is_date_only("2026-10-31"), is_date_only("2026-10-31 00:00"), is_date_only(_dt.date.min)
    (True, False, True)
    """
    if isinstance(value, _dt.datetime):  # pandas Timestamps included
        return False
    if isinstance(value, _dt.date):
        return True
    return isinstance(value, str) and _DATE_ONLY.fullmatch(value) is not None


def to_local_end(value: DateLike, timezone: str, *, name: str) -> pd.Timestamp | None:
    """The last local instant *value* covers: a date-only value covers that whole day.

    So an hourly range "ending on 2026-10-31" ends with the hour 23:00-24:00 of that day, not
    at its first hour.

    >>> to_local_end("2026-10-31", "UTC", name="date_to")
    Timestamp('2026-10-31 23:59:59.999999')
    >>> to_local_end("2026-10-31T12:30", "UTC", name="date_to")
    Timestamp('2026-10-31 12:30:00')
    """
    stamp = to_local(value, timezone, name=name)
    if stamp is not None and is_date_only(value):
        return stamp.normalize() + _DAY - _TICK
    return stamp


def _check_options(period: str, period_count: int, week_start: str, timezone: str) -> int:
    check_choice("period", period, PERIODS)
    check_choice("week_start", week_start, WEEK_STARTS)
    check_timezone(timezone)
    return check_positive("period_count", period_count)


def _no_events() -> InputError:
    return InputError("there are no events", fix="Load a dataset with at least one event.")


def _range(
    table: ir.Table, date_from: DateLike, date_to: DateLike, timezone: str
) -> tuple[pd.Timestamp | None, pd.Timestamp, pd.Timestamp | None]:
    """``(start, end, first event)``: the naive local ends of the range, *end* defaulting to the
    last event (a date-only ``date_to`` covers that whole day). The first event (UTC) comes back
    when it was read on the way, else None."""
    start = to_local(date_from, timezone, name="date_from")
    end = to_local_end(date_to, timezone, name="date_to")
    if start is not None and end is not None and start > end:
        raise ParameterError(
            f"date_from {date_from} is after date_to {date_to}", fix="Swap them or widen the range."
        )
    if end is not None:
        return start, end, None
    lo, hi = data_bounds(table)
    if hi is None:
        raise _no_events()
    end = hi.tz_convert(timezone).tz_localize(None)
    if start is not None and start > end:
        raise ParameterError(
            f"date_from {date_from} is after the last event ({end})",
            fix="Pick an earlier date_from or pass date_to.",
        )
    return start, end, lo


@dataclass(frozen=True)
class _Span:
    """The options that place periods: *period* x *count*, weeks from *week_start*."""

    period: str
    count: int
    timezone: str
    week_start: str

    def calendar(self, first: pd.Timestamp, n: int) -> Calendar:
        return Calendar(self.period, self.count, first, n, self.timezone, self.week_start)

    def ending_at(self, last: pd.Timestamp, n: int) -> Calendar:
        """The *n* periods whose last one starts at *last*."""
        return self.calendar(shift(last, self.period, -(n - 1) * self.count), n)


def _count_rows(
    table: ir.Table,
    span: _Span,
    *,
    periods: int | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp,
    lo: pd.Timestamp | None,
) -> tuple[pd.Timestamp, int]:
    """``(first or last period start, n)``: from truncated *start* to truncated *end*; without
    *start*, *periods* (or as many as reach back to the first event) ending at truncated *end*.

    Returns the first period's start with *start*, else the last one's: the caller checks *n*
    before stepping back (a huge *n* would overflow the timestamps).
    """
    last = truncate(end, span.period, span.week_start)
    if start is not None:
        first = truncate(start, span.period, span.week_start)
        return first, units_between(first, last, span.period) // span.count + 1
    if periods is not None:
        return last, periods
    if lo is None:
        lo, _ = data_bounds(table)
        if lo is None:
            raise _no_events()
    first_local = lo.tz_convert(span.timezone).tz_localize(None)
    first_unit = truncate(min(first_local, end), span.period, span.week_start)
    back = units_between(first_unit, last, span.period)
    return last, math.ceil(back / span.count) + 1


def build_calendar(
    table: ir.Table,
    *,
    period: str,
    period_count: int = 1,
    periods: int | None = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: str = "monday",
) -> Calendar:
    """Resolve the buckets of a series metric (lifecycle, stickiness, churn, active users).

    ``date_to`` defaults to the last event; a date-only ``date_to`` includes that whole day
    (:func:`to_local_end`). Without ``date_from``, the range is the ``periods``
    periods ending with the one holding ``date_to`` or, without ``periods``, as many as reach
    back to the first event. With ``date_from`` and ``periods`` (and no ``date_to``), ``periods``
    periods from ``date_from``. More than :func:`prodops.metrics.limits.max_periods` buckets
    are refused before anything is queried.
    """
    span = _Span(
        period, _check_options(period, period_count, week_start, timezone), timezone, week_start
    )
    if periods is not None:
        periods = check_positive("periods", periods)
    if date_from is not None and periods is not None:
        if date_to is not None:
            raise ParameterError(
                "date_from, date_to and periods were all given",
                fix="Give date_from with date_to, date_from with periods, or date_to with periods.",
            )
        check_periods(periods, period=period)
        start = to_local(date_from, timezone, name="date_from")
        assert start is not None
        return span.calendar(truncate(start, period, week_start), periods)
    start, end, lo = _range(table, date_from, date_to, timezone)
    anchor, n = _count_rows(table, span, periods=periods, start=start, end=end, lo=lo)
    check_periods(n, period=period)
    return span.calendar(anchor, n) if start is not None else span.ending_at(anchor, n)


def cohort_calendar(
    table: ir.Table,
    *,
    period: str,
    period_count: int = 1,
    periods: int | None = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    timezone: str = "UTC",
    week_start: str = "monday",
) -> tuple[Calendar, int]:
    """Resolve a retention matrix: ``(calendar of the cohort rows, number of columns)``.

    Rows and columns are separate (DESIGN.md, "Retention"). ``date_to`` defaults to the last
    event and a date-only ``date_to`` includes that whole day. Rows: with
    ``date_from``, every period from the truncated ``date_from`` to the truncated ``date_to``;
    without it, the ``periods`` periods ending at ``date_to`` (without ``periods``: back to the
    first event). Columns (offsets 0..N-1): ``periods`` when given, else as many as the rows.
    A matrix of more than :func:`prodops.metrics.limits.max_cells` cells is refused before the
    events are queried (at most their first and last timestamps are read to place the range).

    Examples
    --------
    Weekly cohorts of the first quarter of 2024, each followed for 8 weeks (no data is read when
    both ends are given):

    >>> import ibis
    >>> t = ibis.table({"timestamp": "timestamp('UTC')"}, name="events")
    >>> cal, columns = cohort_calendar(t, period="week", periods=8,
    ...                                date_from="2024-01-01", date_to="2024-03-31")
    >>> cal.n, columns, str(cal.first.date()), str(cal.naive_starts()[-2].date())
    (13, 8, '2024-01-01', '2024-03-25')
    """
    span = _Span(
        period, _check_options(period, period_count, week_start, timezone), timezone, week_start
    )
    wanted = None if periods is None else check_positive("periods", periods)
    start, end, lo = _range(table, date_from, date_to, timezone)
    anchor, rows = _count_rows(table, span, periods=wanted, start=start, end=end, lo=lo)
    columns = wanted or rows
    check_cells(rows=rows, columns=columns, period=period)
    cal = span.calendar(anchor, rows) if start is not None else span.ending_at(anchor, rows)
    return cal, columns
