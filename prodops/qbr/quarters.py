"""Calendar quarters as a QBR names them: ``2026-Q3`` is 1 July to 30 September 2026."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from prodops.errors import ParameterError

_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


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
    return Quarter(int(match.group(1)), int(match.group(2)))


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
