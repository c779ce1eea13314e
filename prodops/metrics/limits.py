"""Bounds on the work one metric request may ask for (a URL must never take the server down).

A retention matrix grows with cohorts x columns: hourly periods over a year are 8,760 x 8,760 =
76.7 million cells. Every metric checks the size of its result *before* querying and refuses with
a message that says how big it would be and what to change. The caps can be raised by environment
variable for a batch job on a large machine (``PRODOPS_MAX_CELLS``, ``PRODOPS_MAX_PERIODS``).

Examples
--------
>>> check_cells(rows=52, columns=52, period="week")
>>> check_cells(rows=8_760, columns=8_760, period="hour")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
prodops.errors.ParameterError: 8,760 hourly cohorts x 8,760 columns is 76,737,600 cells, more than
the limit of 250,000. Narrow the range, pass fewer periods, or choose day.
"""

from __future__ import annotations

import os

from prodops.errors import ParameterError

DEFAULT_MAX_CELLS = 250_000
DEFAULT_MAX_PERIODS = 20_000

_ADJECTIVE = {
    "hour": "hourly",
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
}
_COARSER = {"hour": "day", "day": "week", "week": "month", "month": "quarter"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ParameterError(
            f"{name}={raw!r} is not a whole number", fix=f"Set {name} to a number like {default}."
        ) from None
    if value < 1:
        raise ParameterError(f"{name} must be at least 1, not {value}", fix=f"Unset {name}.")
    return value


def max_cells() -> int:
    """The largest number of cells one matrix may have (``PRODOPS_MAX_CELLS``, default 250,000)."""
    return _env_int("PRODOPS_MAX_CELLS", DEFAULT_MAX_CELLS)


def max_periods() -> int:
    """The largest number of periods one series may have (``PRODOPS_MAX_PERIODS``, 20,000)."""
    return _env_int("PRODOPS_MAX_PERIODS", DEFAULT_MAX_PERIODS)


def _advice(period: str) -> str:
    coarser = _COARSER.get(period)
    tail = f", or choose {coarser}" if coarser else ""
    return f"Narrow the range, pass fewer periods{tail}."


def check_cells(*, rows: int, columns: int, period: str, matrices: int = 1) -> None:
    """Refuse a matrix of *rows* cohorts x *columns* offsets (x *matrices*) above the cap."""
    cells = rows * columns * matrices
    limit = max_cells()
    if cells <= limit:
        return
    name = _ADJECTIVE.get(period, period)
    parts = f"{rows:,} {name} cohorts x {columns:,} columns"
    if matrices > 1:
        parts += f" x {matrices:,} breakdown values"
    raise ParameterError(
        f"{parts} is {cells:,} cells, more than the limit of {limit:,}", fix=_advice(period)
    )


def check_periods(n: int, *, period: str, what: str = "periods") -> None:
    """Refuse a series of *n* periods above the cap."""
    limit = max_periods()
    if n <= limit:
        return
    name = _ADJECTIVE.get(period, period)
    raise ParameterError(
        f"{n:,} {name} {what} are more than the limit of {limit:,}", fix=_advice(period)
    )
