"""Recognising how timestamps are written, and the DuckDB SQL that parses them.

A :class:`TimeGuess` lists the formats found in a sample of a column: ``"iso"`` (ISO 8601 with or
without an offset), ``"epoch_s"`` / ``"epoch_ms"`` (Unix time in seconds / milliseconds), or
``strptime`` patterns for local formats (``%d/%m/%Y %H:%M``). Parsing tries them in order, so a
column that mixes two formats still parses. When no value tells day and month apart (every value
like ``03/04/2024``) the guess is marked ``ambiguous`` and the caller must choose with
:meth:`TimeGuess.resolve`.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, replace

from prodops.errors import InputError, ParameterError

SPECIAL_FORMATS = ("iso", "epoch_s", "epoch_ms")

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)?$",
    re.IGNORECASE,
)
_YMD_SLASH = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?P<time>[ T].*)?$")
_LOCAL = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?P<time>[ T].*)?$")
_TIME = re.compile(r"^[ T](\d{1,2}):(\d{2})(:(\d{2})(\.\d+)?)?(\s*([AaPp][Mm]))?$")
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class TimeGuess:
    """How a timestamp column is written.

    Attributes
    ----------
    formats : tuple of str
        Tried in order: ``"iso"``, ``"epoch_s"``, ``"epoch_ms"`` or strptime patterns.
    ambiguous : bool
        Day and month order cannot be told from the values; call :meth:`resolve`.
    day_first : bool or None
        For local formats: whether the day comes before the month (None: not applicable).
    timezone : str
        Zone of values written without an offset (default UTC).
    matched : float
        Share of the sampled non-empty values that one of the formats recognised.
    example : str
        A sampled value, to show next to the guess.
    """

    formats: tuple[str, ...] = ("iso",)
    ambiguous: bool = False
    day_first: bool | None = None
    timezone: str = "UTC"
    matched: float = 1.0
    example: str = ""

    def resolve(self, *, day_first: bool) -> TimeGuess:
        """Return this guess with day/month order chosen (no longer ambiguous)."""
        if self.day_first is None:
            return replace(self, ambiguous=False)
        formats = self.formats
        if day_first != self.day_first:
            formats = tuple(_swap_day_month(f) for f in formats)
        return replace(self, formats=formats, day_first=day_first, ambiguous=False)


def _swap_day_month(fmt: str) -> str:
    if fmt in SPECIAL_FORMATS or fmt.startswith("%Y"):
        return fmt
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _time_pattern(time: str | None) -> str | None:
    """Return the strptime pattern of a time part like ' 13:05' or ' 1:05:09 PM'."""
    if not time:
        return ""
    match = _TIME.match(time)
    if not match:
        return None
    sep = time[0]
    hour = "%I" if match.group(7) else "%H"
    pattern = f"{sep}{hour}:%M"
    if match.group(3):
        pattern += ":%S"
        if match.group(5):
            pattern += ".%f"
    if match.group(7):
        pattern += (match.group(6) or "")[: len(match.group(6) or "") - 2] + "%p"
    return pattern


def _classify(value: str) -> tuple[str, int, int] | None:
    """Return (format, first, second) for one value; first/second are the two day/month numbers."""
    if _ISO.match(value):
        return "iso", 0, 0
    if _EPOCH.match(value):
        number = float(value)
        if 1e8 <= abs(number) < 1e10:
            return "epoch_s", 0, 0
        if 1e11 <= abs(number) < 1e13:
            return "epoch_ms", 0, 0
        return None
    match = _YMD_SLASH.match(value)
    if match:
        time = _time_pattern(match.group("time"))
        if time is None:
            return None
        return f"%Y{match.group(2)}%m{match.group(2)}%d{time}", 0, 0
    match = _LOCAL.match(value)
    if match:
        time = _time_pattern(match.group("time"))
        if time is None:
            return None
        sep, year = match.group(2), "%Y" if len(match.group(4)) == 4 else "%y"
        return f"%d{sep}%m{sep}{year}{time}", int(match.group(1)), int(match.group(3))
    return None


def detect_time_format(values: Iterable[object], *, column: str = "") -> TimeGuess:
    """Guess how the timestamps in *values* (a sample of one column) are written.

    Parameters
    ----------
    values : iterable
        Sampled cells; empty cells are ignored.
    column : str
        The column's name, for messages.

    Raises
    ------
    InputError
        No value looks like a timestamp.

    Examples
    --------
    >>> detect_time_format(["31/12/2024 13:05", "01/02/2024 08:00"]).formats
    ('%d/%m/%Y %H:%M',)
    >>> detect_time_format(["03/04/2024"]).ambiguous
    True
    >>> detect_time_format(["1700000000000"]).formats
    ('epoch_ms',)
    """
    counts: dict[str, int] = {}
    day_first_votes = month_first_votes = seen = 0
    example = ""
    for raw in values:
        if raw is None:
            continue
        value = str(raw).strip()
        if not value or value.lower() in ("nan", "nat", "none", "null"):
            continue
        seen += 1
        example = example or value
        found = _classify(value)
        if found is None:
            continue
        fmt, first, second = found
        counts[fmt] = counts.get(fmt, 0) + 1
        day_first_votes += first > 12 >= second
        month_first_votes += second > 12 >= first
    where = f"column {column!r}" if column else None
    if not counts:
        raise InputError(
            "no value looks like a date or time"
            + (f" (for example {example[:40]!r})" if example else " (the column is empty)"),
            where=where,
            fix="Pick the column that holds the timestamps in the mapping.",
        )
    formats = tuple(sorted(counts, key=lambda f: -counts[f]))
    local = any(f.startswith("%d") for f in formats)
    day_first: bool | None = None
    ambiguous = False
    if local:
        day_first = day_first_votes >= month_first_votes
        ambiguous = (day_first_votes == 0 and month_first_votes == 0) or (
            day_first_votes > 0 and month_first_votes > 0
        )
        if not day_first:
            formats = tuple(_swap_day_month(f) for f in formats)
    return TimeGuess(
        formats=formats,
        ambiguous=ambiguous,
        day_first=day_first,
        matched=sum(counts.values()) / seen,
        example=example,
    )


def sql_literal(text: str) -> str:
    """Quote *text* as an SQL string literal.

    Examples
    --------
    >>> print(sql_literal("O'Brien"))
    'O''Brien'
    """
    return "'" + text.replace("'", "''") + "'"


def check_timezone(zone: str) -> str:
    """Return *zone* if it is an IANA time zone name, else raise :class:`ParameterError`.

    Examples
    --------
    >>> check_timezone("Europe/Paris")
    'Europe/Paris'
    >>> check_timezone("Mars/Base")
    Traceback (most recent call last):
    prodops.errors.ParameterError: unknown time zone 'Mars/Base'. Use an IANA name such as ...
    """
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ParameterError(
            f"unknown time zone {zone!r}", fix="Use an IANA name such as 'Europe/Paris' or 'UTC'."
        ) from error
    return zone


def native_type(guess: TimeGuess) -> str | None:
    """Return the DuckDB type whose CSV reader parses the column exactly as :func:`time_sql`
    would, or None when only :func:`time_sql` can.

    ISO 8601 in UTC is ``TRY_CAST(value AS TIMESTAMPTZ)``, the same cast DuckDB's reader applies
    to a ``TIMESTAMPTZ`` column: the reader parses the values while it reads the file, and a value
    it cannot parse rejects its row (to be read again as text). Local formats, epochs, several
    formats and other zones stay text.

    Examples
    --------
    >>> native_type(TimeGuess(formats=("iso",)))
    'TIMESTAMPTZ'
    >>> native_type(TimeGuess(formats=("iso",), timezone="Europe/Paris")) is None
    True
    """
    if guess.formats == ("iso",) and check_timezone(guess.timezone) in ("UTC", "Etc/UTC"):
        return "TIMESTAMPTZ"
    return None


def time_sql(text_expr: str, guess: TimeGuess) -> str:
    """Return DuckDB SQL turning the VARCHAR expression *text_expr* into a UTC TIMESTAMPTZ.

    Unparseable values become NULL (the validation step reports them); nothing raises.
    """
    zone = check_timezone(guess.timezone)
    utc = zone in ("UTC", "Etc/UTC")

    def naive(ts: str) -> str:
        return f"CAST({ts} AS TIMESTAMPTZ)" if utc else f"timezone({sql_literal(zone)}, {ts})"

    parts = []
    for fmt in guess.formats:
        if fmt == "iso":
            if utc:
                parts.append(f"TRY_CAST({text_expr} AS TIMESTAMPTZ)")
            else:
                parts.append(
                    f"CASE WHEN regexp_matches({text_expr}, '(Z|UTC|[+-]\\d\\d(:?\\d\\d)?)$') "
                    f"THEN TRY_CAST({text_expr} AS TIMESTAMPTZ) "
                    f"ELSE {naive(f'TRY_CAST({text_expr} AS TIMESTAMP)')} END"
                )
        elif fmt in ("epoch_s", "epoch_ms"):
            scale = 1.0 if fmt == "epoch_s" else 1000.0
            number = f"(TRY_CAST({text_expr} AS DOUBLE) / {scale})"
            parts.append(
                f"CASE WHEN {number} BETWEEN -1e10 AND 1e10 THEN to_timestamp({number}) END"
            )
        else:
            parsed = f"try_strptime({text_expr}, {sql_literal(fmt)})"
            parts.append(f"CAST({parsed} AS TIMESTAMPTZ)" if "%z" in fmt else naive(parsed))
    if not parts:
        return "CAST(NULL AS TIMESTAMPTZ)"
    return parts[0] if len(parts) == 1 else "COALESCE(" + ", ".join(parts) + ")"
