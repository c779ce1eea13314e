"""The observed range of a retention frame (:class:`RetentionRange`) and its descriptions."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from prodops.metrics.periods import (
    Calendar,
    DateLike,
    localize,
    shift,
    to_local,
)

RANGE = "retention_range"  # the key of ``frame.attrs`` holding the :class:`RetentionRange`


@dataclass(frozen=True)
class RetentionRange:
    """What a retention matrix covers, for a page to state it ("from Monday 2026-08-03, ...").

    ``first`` and ``last`` are the tz-aware starts of the first and the last cohort row, ``end``
    the end (exclusive) of the last one. ``columns`` offsets 0..columns-1 follow each cohort,
    as far as the later of ``end`` and ``data_end`` (the data end; None without data).
    ``in_progress`` says whether some observed cell's period ends after the data end.
    """

    period: str
    period_count: int
    first: pd.Timestamp
    last: pd.Timestamp
    end: pd.Timestamp
    rows: int
    columns: int
    data_end: pd.Timestamp | None
    in_progress: bool = False


def _last_observed(cal: Calendar, end: pd.Timestamp | None, *, as_of_given: bool) -> int:
    """The index of the last period whose cells can be observed: the later of the last row and
    the period holding the data end (the last event, or the instant just before ``as_of``, which
    covers the data up to it). Cells of later periods are null."""
    if end is None:
        return cal.n - 1
    covered = end - pd.Timedelta(microseconds=1) if as_of_given else end
    local = covered.tz_convert(cal.timezone).tz_localize(None)
    return max(cal.n - 1, cal.index_of(local))


def _range_of(
    cal: Calendar, columns: int, end: pd.Timestamp | None, *, in_progress: bool
) -> RetentionRange:
    def start(index: int) -> pd.Timestamp:
        return localize(shift(cal.first, cal.period, index * cal.count), cal.timezone)

    return RetentionRange(
        period=cal.period,
        period_count=cal.count,
        first=start(0),
        last=start(cal.n - 1),
        end=start(cal.n),
        rows=cal.n,
        columns=columns,
        data_end=None if end is None else end.tz_convert(cal.timezone),
        in_progress=in_progress,
    )


def retention_range(frame: pd.DataFrame) -> RetentionRange | None:
    """The :class:`RetentionRange` that :func:`retention` recorded on *frame* (None if absent)."""
    found = frame.attrs.get(RANGE)
    return found if isinstance(found, RetentionRange) else None


_ADJECTIVE = {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly"}


def _stamp(value: pd.Timestamp, period: str) -> str:
    """A period start as a page shows it: "Monday 2024-03-25", "March 2024", "2024-03-25 13:00"."""
    if period == "hour":
        return value.strftime("%Y-%m-%d %H:%M")
    if period == "week":
        return value.strftime("%A %Y-%m-%d")
    if period == "month":
        return value.strftime("%B %Y")
    return value.strftime("%Y-%m-%d")


def _units(n: int, period: str, count: int) -> str:
    if count > 1:
        return f"{n} period{'s' * (n != 1)} of {count} {period}s"
    return f"{n} {period}{'s' * (n != 1)}"


def describe_range(span: RetentionRange, *, date_from: DateLike = None) -> str:
    """One sentence stating which cohorts a matrix holds and how long each is followed.

    Pass the ``date_from`` the person chose: when its period starts earlier, the sentence says
    so ("from Monday 2026-08-03 (the start of the week containing 2026-08-09)").

    Examples
    --------
    >>> span = RetentionRange("week", 1, pd.Timestamp("2026-08-03", tz="UTC"),
    ...     pd.Timestamp("2026-10-19", tz="UTC"), pd.Timestamp("2026-10-26", tz="UTC"), 12, 8, None)
    >>> describe_range(span, date_from="2026-08-09")
    '12 weekly cohorts from Monday 2026-08-03 (the start of the week containing 2026-08-09) to the
    week of Monday 2026-10-19, each followed for 8 weeks.'
    """
    period, count = span.period, span.period_count
    kind = _ADJECTIVE.get(period, period) if count == 1 else f"{count}-{period}"
    first = _stamp(span.first, period)
    chosen = to_local(date_from, str(span.first.tz), name="date_from")
    if chosen is not None and chosen != span.first.tz_localize(None):
        shown = chosen.strftime("%Y-%m-%d %H:%M" if period == "hour" else "%Y-%m-%d")
        first += f" (the start of the {period} containing {shown})"
    last = _stamp(span.last, period)
    if period == "week" or count > 1:
        last = f"the {period if count == 1 else 'period'} of {last}"
    follow = _units(span.columns, period, count)
    if span.rows == 1:
        return f"1 {kind} cohort, from {first}, followed for {follow}."
    return f"{span.rows} {kind} cohorts from {first} to {last}, each followed for {follow}."


def in_progress_note(span: RetentionRange, *, include_incomplete: bool = False) -> str | None:
    """What a page says under a matrix whose last periods are in progress (None if none is).

    >>> span = RetentionRange("week", 1, pd.Timestamp("2026-10-12", tz="UTC"),
    ...     pd.Timestamp("2026-11-02", tz="UTC"), pd.Timestamp("2026-11-09", tz="UTC"), 4, 4,
    ...     pd.Timestamp("2026-11-02 04:46", tz="UTC"), in_progress=True)
    >>> in_progress_note(span)
    'In progress: periods that end after the data end (2026-11-02 04:46) are drawn lighter and
    left out of the average.'
    >>> in_progress_note(span, include_incomplete=True)[-35:]
    'lighter and counted in the average.'
    """
    if not span.in_progress:
        return None
    end = "none: no data" if span.data_end is None else span.data_end.strftime("%Y-%m-%d %H:%M")
    counted = "counted in" if include_incomplete else "left out of"
    return (
        f"In progress: periods that end after the data end ({end}) are drawn lighter and"
        f" {counted} the average."
    )
