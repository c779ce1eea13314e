"""The periods a QBR reports: calendar quarters and runs of whole months.

A quarter is named ``2026-Q3`` (1 July to 30 September 2026). Any other range is a run of whole
months named by its first month and its length: ``2026-05+6`` is May to October 2026 (the label
fits the snapshot's 10-character column; docs/adr/0010-qbr-snapshots.md). Both kinds answer the
same questions (``label``, ``title``, ``start``, ``end``, ``last_day``, ``months``, ``previous``,
``year_ago``), so the report is built the same way for either.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from prodops.errors import ParameterError

_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d{4})-(\d{2})\+(\d{1,2})\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")
MAX_MONTHS = 24  # the longest range (its label must fit the snapshot's 10-character column)


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter: ``year`` and ``number`` (1-4).

    Examples
    --------
    >>> q = Quarter(2026, 3)
    >>> q.label, q.start, q.end, q.last_day
    ('2026-Q3', datetime.date(2026, 7, 1), datetime.date(2026, 10, 1), datetime.date(2026, 9, 30))
    >>> q.previous.label, q.year_ago.label, Quarter(2026, 1).previous.label
    ('2026-Q2', '2025-Q3', '2025-Q4')
    """

    year: int
    number: int

    @property
    def label(self) -> str:
        """The quarter as ``2026-Q3`` (the CLI's and the store's spelling)."""
        return f"{self.year}-Q{self.number}"

    @property
    def title(self) -> str:
        """The quarter as a heading says it: ``Q3 2026``."""
        return f"Q{self.number} {self.year}"

    @property
    def months(self) -> int:
        """The number of months (3)."""
        return 3

    @property
    def start(self) -> dt.date:
        """The first day."""
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """The day after the last day (the range is ``[start, end)``)."""
        return self.next.start

    @property
    def last_day(self) -> dt.date:
        """The last day (inclusive)."""
        return self.end - dt.timedelta(days=1)

    @property
    def previous(self) -> Quarter:
        """The quarter before."""
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    @property
    def next(self) -> Quarter:
        """The quarter after."""
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    @property
    def year_ago(self) -> Quarter:
        """The same quarter a year before."""
        return Quarter(self.year - 1, self.number)


MIN_YEAR, MAX_YEAR = 1900, 9998


def parse_quarter(label: str) -> Quarter:
    """Read a quarter label: ``2026-Q3`` (also ``2026Q3``, ``2026-q3``).

    Raises
    ------
    ParameterError
        When *label* is not a quarter.

    Examples
    --------
    >>> parse_quarter("2026-q3")
    Quarter(year=2026, number=3)
    """
    match = _LABEL.match(str(label))
    if not match:
        raise ParameterError(
            f"{label!r} is not a quarter",
            where="quarter",
            fix="Write the year and the quarter, such as 2026-Q3.",
        )
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:  # a review compares with the year before and after
        raise ParameterError(
            f"{label!r} is out of range",
            where="quarter",
            fix=f"Pick a quarter of the years {MIN_YEAR} to {MAX_YEAR}, such as 2026-Q3.",
        )
    return Quarter(year, int(match.group(2)))


def quarter_of(day: dt.date) -> Quarter:
    """The quarter holding *day*.

    >>> quarter_of(dt.date(2026, 11, 25)).label
    '2026-Q4'
    """
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def trailing(quarter: Quarter, count: int) -> list[Quarter]:
    """The *count* quarters ending with *quarter*, oldest first.

    >>> [q.label for q in trailing(Quarter(2026, 2), 3)]
    ['2025-Q4', '2026-Q1', '2026-Q2']
    """
    found = [quarter]
    while len(found) < count:
        found.insert(0, found[0].previous)
    return found


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, order=True)
class MonthRange:
    """A run of ``months`` whole calendar months starting with ``year``-``month``.

    "Previous" is the same number of months just before, "a year ago" the range shifted back
    12 months.

    Examples
    --------
    >>> r = MonthRange(2026, 5, 6)
    >>> r.label, r.title, r.start, r.end, r.last_day
    ('2026-05+6', 'May–Oct 2026', datetime.date(2026, 5, 1), datetime.date(2026, 11, 1), \
datetime.date(2026, 10, 31))
    >>> r.previous.title, r.year_ago.title, MonthRange(2026, 3, 1).title
    ('Nov 2025 – Apr 2026', 'May–Oct 2025', 'Mar 2026')
    """

    year: int
    month: int
    months: int

    @property
    def label(self) -> str:
        """The range as the store and the CLI's ``qbr list`` spell it: ``2026-05+6``."""
        return f"{self.year:04d}-{self.month:02d}+{self.months}"

    @property
    def title(self) -> str:
        """The range as a heading says it: ``May–Oct 2026``, ``Nov 2025 – Apr 2026``."""
        last = self.last_day
        first_name = _MONTH_NAMES[self.month - 1]
        if self.months == 1:
            return f"{first_name} {self.year}"
        if last.year == self.year:
            return f"{first_name}–{_MONTH_NAMES[last.month - 1]} {self.year}"
        return f"{first_name} {self.year} – {_MONTH_NAMES[last.month - 1]} {last.year}"

    @property
    def start(self) -> dt.date:
        """The first day."""
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        """The day after the last day (the range is ``[start, end)``)."""
        year, month = _add_months(self.year, self.month, self.months)
        return dt.date(year, month, 1)

    @property
    def last_day(self) -> dt.date:
        """The last day (inclusive)."""
        return self.end - dt.timedelta(days=1)

    @property
    def previous(self) -> MonthRange:
        """The same number of months just before."""
        return MonthRange(*_add_months(self.year, self.month, -self.months), self.months)

    @property
    def year_ago(self) -> MonthRange:
        """The range shifted back 12 months."""
        return MonthRange(self.year - 1, self.month, self.months)


Period = Quarter | MonthRange


def period_unit(period: Period) -> str:
    """What a column heading calls the period: "quarter" or "range".

    >>> period_unit(Quarter(2026, 3)), period_unit(MonthRange(2026, 5, 6))
    ('quarter', 'range')
    """
    return "quarter" if isinstance(period, Quarter) else "range"


def _month_of(text: str, *, name: str, first: bool) -> tuple[int, int]:
    """``(year, month)`` of ``2026-05``, or of a date that starts (*first*) or ends that month."""
    where = "range start" if first else "range end"
    match = _MONTH.match(str(text))
    fix = "Write a month such as 2026-05, or the first (start) or last (end) day of one."
    if not match:
        raise ParameterError(f"{name} {text!r} is not a month", where=where, fix=fix)
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ParameterError(f"{name} {text!r} has no month {month}", where=where, fix=fix)
    if not MIN_YEAR <= year <= MAX_YEAR:  # a review compares with the year before and after
        raise ParameterError(
            f"{name} {text!r} is out of range",
            where=where,
            fix=f"Pick months of the years {MIN_YEAR} to {MAX_YEAR}, such as 2026-05.",
        )
    if match.group(3) is not None:
        day = int(match.group(3))
        wanted = 1 if first else (MonthRange(year, month, 1).last_day.day)
        if day != wanted:
            edge = "the first" if first else "the last"
            raise ParameterError(
                f"{name} {text!r} is not {edge} day of its month; a range is whole months",
                where=where,
                fix=fix,
            )
    return year, month


def month_range(date_from: str, date_to: str) -> MonthRange:
    """The months from *date_from* to *date_to*, both included.

    Each end is a month (``2026-05``) or a date: the first day of a month for *date_from*, the
    last day for *date_to* (a range is whole months, so a report never mixes a part-month in).

    Raises
    ------
    ParameterError
        An end that is not a month (or a month's first / last day), an end before the start, or
        more than 24 months.

    Examples
    --------
    >>> month_range("2026-05", "2026-10").label
    '2026-05+6'
    >>> month_range("2025-11-01", "2026-04-30").title
    'Nov 2025 – Apr 2026'
    """
    first = _month_of(date_from, name="--from", first=True)
    last = _month_of(date_to, name="--to", first=False)
    count = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1
    if count < 1:
        raise ParameterError(
            f"the range ends ({date_to}) before it starts ({date_from})",
            where="range",
            fix="Put the earlier month in --from.",
        )
    if count > MAX_MONTHS:
        raise ParameterError(
            f"the range has {count} months; at most {MAX_MONTHS} are reported",
            where="range",
            fix="Choose a shorter range.",
        )
    return MonthRange(first[0], first[1], count)


def parse_period(label: str) -> Period:
    """Read a period label: a quarter (``2026-Q3``) or a month range (``2026-05+6``).

    Raises
    ------
    ParameterError
        When *label* is neither.

    Examples
    --------
    >>> parse_period("2026-Q3"), parse_period("2026-05+6")
    (Quarter(year=2026, number=3), MonthRange(year=2026, month=5, months=6))
    """
    match = _RANGE.match(str(label))
    if match:
        year, month, count = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= count <= MAX_MONTHS:
            return MonthRange(year, month, count)
    if _LABEL.match(str(label)):
        return parse_quarter(label)
    raise ParameterError(
        f"{label!r} is not a quarter or a month range",
        where="period",
        fix="Write a quarter such as 2026-Q3, or a month range such as 2026-05+6.",
    )


def trend_periods(period: Period, *, limit: int = 5) -> list[Period]:
    """The periods a headline's trend shows, oldest first: the period, the ones just before it
    back to a year earlier, and the year-ago one (at most *limit* in all).

    >>> [q.label for q in trend_periods(Quarter(2026, 2))]
    ['2025-Q2', '2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2']
    >>> [r.label for r in trend_periods(MonthRange(2026, 5, 6))]
    ['2025-05+6', '2025-11+6', '2026-05+6']
    >>> [r.label for r in trend_periods(MonthRange(2026, 1, 5))]
    ['2025-01+5', '2025-03+5', '2025-08+5', '2026-01+5']
    """
    if isinstance(period, Quarter):
        return list(trailing(period, limit))
    found: list[Period] = [period]
    back = period.previous
    while back.start > period.year_ago.start and len(found) < limit - 1:
        found.append(back)
        back = back.previous
    found.append(period.year_ago)
    return sorted(set(found), key=lambda p: p.start)
