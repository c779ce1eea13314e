"""OKR rules: progress, expected pace, status and end-of-period score (pure: no database, no clock).

Definitions (the page's help text states the same):

- **Key-result progress** = ``(current - start) / (target - start)``, not clamped; no check-in yet
  means ``current = start`` (progress 0); ``target == start`` gives 0. Decreasing targets (churn
  from 5% to 3%) work the same way: reaching 4% is progress 0.5.
- **Objective progress** = the weight-weighted mean of its key results' progress, each clamped to
  [0, 1] first (an over-achieved key result cannot hide a missed one). An objective with no key
  results yet has no progress (None, shown as "no key results yet"), not 0. **Period progress** =
  the mean progress of the objectives that have key results (None when none has).
- **Expected progress** = the share of the period's days elapsed at the end of ``as_of``
  (``period_end`` is the last day, inclusive): 0 before the period, 1 from its last day on.
- **Status** of a key result, from ``pace = clamped progress / expected``:
  ``on_track`` when pace >= 0.9, ``off_track`` when pace < 0.6, ``at_risk`` in between (before the
  period starts, expected is 0 and the pace counts as on track). The latest confidence stated in a
  check-in then lowers it: confidence < 0.5 makes it at best ``at_risk``, confidence < 0.3
  ``off_track``. An objective takes its worst key result's status.
- **Score** at the end of the period = objective progress rounded to two decimals (0.0-1.0).
  Reading: >= 0.7 ``delivered``, 0.4 to < 0.7 ``progress``, < 0.4 ``missed``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from prodops.errors import ParameterError
from prodops.numbers import parse_number as parse_number  # one parser for typed numbers

Status = Literal["on_track", "at_risk", "off_track"]
Reading = Literal["delivered", "progress", "missed"]

STATUSES: tuple[Status, ...] = ("on_track", "at_risk", "off_track")  # best to worst
STATUS_LABELS: dict[str, str] = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
}
ON_TRACK_PACE = 0.9
OFF_TRACK_PACE = 0.6
AT_RISK_CONFIDENCE = 0.5
OFF_TRACK_CONFIDENCE = 0.3
DELIVERED_SCORE = 0.7
PROGRESS_SCORE = 0.4
TITLE_LIMIT = 200  # the length of the title columns (prodops.okr.models)
NOTE_LIMIT = 2_000  # the longest check-in note: a few paragraphs, not a pasted document
VALUE_LIMIT = 1e12  # no key result counts or earns more than a trillion: beyond is a typo
SCALE_LIMIT = 1e6  # a check-in a million times the key result's start and target is a typo

STATUS_HELP = (
    "Status compares progress (clamped to 0-1) with the share of the period elapsed: on track "
    f"at {ON_TRACK_PACE:.0%} of the expected pace or more, off track below {OFF_TRACK_PACE:.0%}, "
    "at risk in between. The latest stated confidence lowers it: below "
    f"{AT_RISK_CONFIDENCE} at best at risk, below {OFF_TRACK_CONFIDENCE} off track. An objective "
    "takes its worst key result's status. Score = progress at the end of the period: "
    f"{DELIVERED_SCORE} or more delivered, {PROGRESS_SCORE} to {DELIVERED_SCORE} progress, below "
    f"{PROGRESS_SCORE} missed."
)


def key_result_progress(*, start: float, target: float, current: float | None) -> float:
    """Return ``(current - start) / (target - start)``, unclamped (DESIGN.md).

    Examples
    --------
    >>> key_result_progress(start=10, target=20, current=15)
    0.5
    >>> key_result_progress(start=0.05, target=0.03, current=0.04)  # churn down from 5% to 3%
    0.5
    >>> key_result_progress(start=10, target=20, current=None)
    0.0
    >>> key_result_progress(start=10, target=20, current=25)
    1.5
    """
    if current is None or target == start:
        return 0.0
    return (current - start) / (target - start)


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """Return *value* limited to [low, high].

    Examples
    --------
    >>> clamp(1.3), clamp(-0.2), clamp(0.4)
    (1.0, 0.0, 0.4)
    """
    return min(max(value, low), high)


def objective_progress(*, progresses: Sequence[float], weights: Sequence[float]) -> float | None:
    """Return the weighted mean of key-result progress, each clamped to [0, 1] first.

    No key results (or zero total weight) gives None: there is nothing to measure yet.

    Examples
    --------
    >>> objective_progress(progresses=[1.5, 0.0], weights=[1, 1])
    0.5
    >>> objective_progress(progresses=[0.5, 1.0], weights=[3, 1])
    0.625
    >>> objective_progress(progresses=[], weights=[]) is None
    True
    """
    total = sum(weights)
    if not progresses or total <= 0:
        return None
    return sum(clamp(p) * w for p, w in zip(progresses, weights, strict=True)) / total


def period_progress(objective_progresses: Sequence[float | None]) -> float | None:
    """Return the mean progress of the objectives that have key results (each clamped to [0, 1]).

    Objectives without key results (None) are left out; None when no objective has any.

    Examples
    --------
    >>> period_progress([0.5, 1.2])
    0.75
    >>> period_progress([0.5, None])  # an objective with no key results yet does not count as 0
    0.5
    >>> period_progress([None]) is None
    True
    """
    measured = [clamp(p) for p in objective_progresses if p is not None]
    if not measured:
        return None
    return sum(measured) / len(measured)


def expected_progress(*, period_start: dt.date, period_end: dt.date, as_of: dt.date) -> float:
    """Return the share of the period elapsed at the end of day *as_of* (0 to 1).

    Examples
    --------
    >>> expected_progress(
    ...     period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 10),
    ...     as_of=dt.date(2026, 10, 5))
    0.5
    """
    days = (period_end - period_start).days + 1
    if days <= 0:
        raise ParameterError(
            f"the period ends ({period_end}) before it starts ({period_start})",
            fix="Pick an end date on or after the start date.",
        )
    return clamp(((as_of - period_start).days + 1) / days)


def status(*, progress: float, expected: float, confidence: float | None = None) -> Status:
    """Return the status of a key result from its pace and latest confidence (module docstring).

    Examples
    --------
    >>> status(progress=0.45, expected=0.5)  # pace 0.9
    'on_track'
    >>> status(progress=0.35, expected=0.5)  # pace 0.7
    'at_risk'
    >>> status(progress=0.25, expected=0.5)  # pace 0.5
    'off_track'
    >>> status(progress=0.5, expected=0.5, confidence=0.4)
    'at_risk'
    """
    pace = clamp(progress) / expected if expected > 0 else 1.0
    if pace >= ON_TRACK_PACE:
        by_pace: Status = "on_track"
    elif pace < OFF_TRACK_PACE:
        by_pace = "off_track"
    else:
        by_pace = "at_risk"
    if confidence is None or confidence >= AT_RISK_CONFIDENCE:
        return by_pace
    cap: Status = "off_track" if confidence < OFF_TRACK_CONFIDENCE else "at_risk"
    return worst_status([by_pace, cap]) or by_pace


def worst_status(statuses: Iterable[Status]) -> Status | None:
    """Return the worst of *statuses* (off_track > at_risk > on_track); None if there are none.

    Examples
    --------
    >>> worst_status(["on_track", "at_risk", "on_track"])
    'at_risk'
    >>> worst_status([]) is None
    True
    """
    ranked = [STATUSES.index(s) for s in statuses]
    return STATUSES[max(ranked)] if ranked else None


def score(progress: float) -> float:
    """Return the end-of-period score: progress clamped to [0, 1], rounded to two decimals.

    Examples
    --------
    >>> score(0.456), score(1.3), score(-0.1)
    (0.46, 1.0, 0.0)
    """
    return round(clamp(progress), 2)


def score_reading(value: float) -> Reading:
    """Return how a score reads: >= 0.7 delivered, 0.4 to < 0.7 progress, < 0.4 missed.

    Examples
    --------
    >>> [score_reading(s) for s in (0.7, 0.69, 0.4, 0.39)]
    ['delivered', 'progress', 'progress', 'missed']
    """
    if value >= DELIVERED_SCORE:
        return "delivered"
    return "progress" if value >= PROGRESS_SCORE else "missed"


# --- Validation of what a person types (the page and the store use the same rules) ----------------


def validate_title(title: str, *, field: str = "title", limit: int = TITLE_LIMIT) -> str:
    """Return the stripped *title*; ParameterError if empty or longer than *limit* characters.

    Examples
    --------
    >>> validate_title("  Grow revenue ")
    'Grow revenue'
    >>> validate_title("   ")
    Traceback (most recent call last):
    prodops.errors.ParameterError: title: a title is required. Type a short title.
    >>> validate_title("x" * 5000)
    Traceback (most recent call last):
    prodops.errors.ParameterError: title: the title is 5,000 characters long, more than the 200 ...
    """
    if not title or not title.strip():
        raise ParameterError("a title is required", where=field, fix="Type a short title.")
    validate_length(title.strip(), field=field, limit=limit)
    return title.strip()


def validate_length(text: str | None, *, field: str, limit: int) -> None:
    """Raise ParameterError when *text* is longer than *limit* characters (the column's length).

    Examples
    --------
    >>> validate_length("2026-Q4", field="period", limit=40)
    >>> validate_length("Q" * 41, field="period", limit=40)
    Traceback (most recent call last):
    prodops.errors.ParameterError: period: the period is 41 characters long, more than the 40 \
allowed. Shorten it to 40 characters or fewer.
    """
    if text is not None and len(text) > limit:
        name = field.rsplit(" ", 1)[-1]
        raise ParameterError(
            f"the {name} is {len(text):,} characters long, more than the {limit} allowed",
            where=field,
            fix=f"Shorten it to {limit} characters or fewer.",
        )


def validate_period(*, period_start: dt.date, period_end: dt.date) -> None:
    """Raise ParameterError when the period ends before it starts.

    Examples
    --------
    >>> import datetime as dt
    >>> validate_period(period_start=dt.date(2026, 12, 31), period_end=dt.date(2026, 10, 1))
    Traceback (most recent call last):
    prodops.errors.ParameterError: period: the end date 2026-10-01 is before the start date ...
    """
    if period_end < period_start:
        raise ParameterError(
            f"the end date {period_end} is before the start date {period_start}",
            where="period",
            fix="Pick an end date on or after the start date.",
        )


def validate_key_result_values(*, start: float, target: float, weight: float = 1.0) -> None:
    """Raise ParameterError for a target equal to the start, or a weight that is not positive.

    Examples
    --------
    >>> validate_key_result_values(start=100, target=200, weight=2)
    >>> validate_key_result_values(start=10, target=10)
    Traceback (most recent call last):
    prodops.errors.ParameterError: target: the target equals the start value (10), so progress ...
    """
    for name, value in (("start", start), ("target", target), ("weight", weight)):
        parse_number(value, field=name)
    if target == start:
        raise ParameterError(
            f"the target equals the start value ({start:g}), so progress could never move",
            where="target",
            fix="Set a target above or below the start value.",
        )
    if weight <= 0:
        raise ParameterError(
            f"the weight must be positive, not {weight:g}", where="weight", fix="Use 1 for equal."
        )


def validate_confidence(confidence: float | None) -> None:
    """Raise ParameterError when *confidence* is outside [0, 1] (None means not given).

    Examples
    --------
    >>> validate_confidence(0.7)
    >>> validate_confidence(None)
    >>> validate_confidence(1.5)
    Traceback (most recent call last):
    prodops.errors.ParameterError: confidence: confidence 1.5 is out of range. ...
    """
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise ParameterError(
            f"confidence {confidence:g} is out of range",
            where="confidence",
            fix="Use a fraction between 0 and 1 (0.7 = 70% confident).",
        )


def validate_check_in_value(
    value: float, *, start: float, target: float, unit: str = "", counts: bool = False
) -> float:
    """Return *value* if it can be a check-in of a key result from *start* to *target*.

    Refused (ParameterError saying why and what to type): a value that is not a finite number,
    one beyond :data:`VALUE_LIMIT` in magnitude or :data:`SCALE_LIMIT` times the key result's
    scale (the larger of its start and target, at least 1), and a negative value when the key
    result *counts* things (users, customers: its start and target are not negative either).

    Examples
    --------
    >>> validate_check_in_value(4200, start=0, target=5000, unit="users", counts=True)
    4200
    >>> validate_check_in_value(-1e308, start=0, target=5000, unit="users")
    Traceback (most recent call last):
    prodops.errors.ParameterError: value: -1e+308 is far beyond any value of this key result \
(it runs from 0 to 5,000 users). Type the value in the key result's unit, such as 4,200.
    >>> validate_check_in_value(-3, start=0, target=5000, unit="users", counts=True)
    Traceback (most recent call last):
    prodops.errors.ParameterError: value: -3 is negative, but this key result counts users ...
    """
    parse_number(value, field="value")
    scale = max(abs(start), abs(target), 1.0)
    runs = f"it runs from {start:,.10g} to {target:,.10g}{' ' + unit if unit else ''}"
    if abs(value) > VALUE_LIMIT or abs(value) > SCALE_LIMIT * scale:
        raise ParameterError(
            f"{value:g} is far beyond any value of this key result ({runs})",
            where="value",
            fix=f"Type the value in the key result's unit, such as {_example(start, target)}.",
        )
    if counts and value < 0 and min(start, target) >= 0:
        raise ParameterError(
            f"{value:g} is negative, but this key result counts {unit or 'things'} ({runs})",
            where="value",
            fix="Type the count itself (0 or more), not a change.",
        )
    return value


def _example(start: float, target: float) -> str:
    """A plausible value between *start* and *target*, for messages (4200 for 0 to 5000)."""
    return f"{float(f'{start + 0.84 * (target - start):.2g}'):,.10g}"


_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]))?$")


def period_bounds(label: str) -> tuple[dt.date, dt.date]:
    """Return the first and last day of a period label: ``2026``, ``2026-H2`` or ``2026-Q4``.

    Examples
    --------
    >>> period_bounds("2026-Q4")
    (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    """
    match = _PERIOD.match(label.strip().upper())
    if not match:
        raise ParameterError(
            f"{label!r} is not a period label",
            where="period",
            fix="Use a year, a half or a quarter: 2026, 2026-H2, 2026-Q4.",
        )
    year, part = int(match.group(1)), match.group(2)
    first, months = (1, 12)
    if part and part[0] == "Q":
        first, months = (int(part[1]) - 1) * 3 + 1, 3
    elif part:
        first, months = (int(part[1]) - 1) * 6 + 1, 6
    start = dt.date(year, first, 1)
    after = dt.date(year + (first + months - 1) // 12, (first + months - 1) % 12 + 1, 1)
    return start, after - dt.timedelta(days=1)


def quarter_label(day: dt.date) -> str:
    """Return the quarter label of *day* ("2026-Q4").

    Examples
    --------
    >>> import datetime as dt
    >>> quarter_label(dt.date(2026, 11, 25)), quarter_label(dt.date(2026, 1, 1))
    ('2026-Q4', '2026-Q1')
    """
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
