"""Numbers typed by people: decimal commas, thousands separators, and what is ambiguous.

People type numbers the way their locale writes them: ``58,5`` (a decimal comma), ``1,234.5``,
``1.234,5``, ``1 234,5`` or ``1'234.5``. :func:`parse_number` reads all of these and refuses what
it cannot read for sure, so a value is never stored ten or a thousand times too big or too small.

Rules, in order:

- a space (also a no-break or thin space) or an apostrophe always groups thousands; a comma or
  dot after it is the decimal mark (``1 234,5`` is 1234.5);
- with both a comma and a dot, the last one is the decimal mark and the other groups thousands
  (``1.234,5`` and ``1,234.5`` are both 1234.5);
- a mark that appears twice or more groups thousands (``1,234,567``);
- a single mark followed by 1, 2 or 4+ digits, or after a leading ``0``, is a decimal mark
  (``58,5`` is 58.5, ``0,125`` is 0.125);
- a single mark followed by exactly three digits (``1,234``, ``1.234``) could be either. A dot
  reads as the decimal point and a comma is refused, unless the *typical* size of the values
  (a key result's start and target) decides: at 1000 and above, ``1,234`` is 1234 and ``1.234``
  is refused; below 1000, ``1,234`` is refused ("did you mean 1234 or 1.234?").

Thousands groups must have three digits (after a first group of one to three), so ``1,23,4`` and
``12 34`` are refused rather than guessed. Exponents (``1e-3``) are read without separators.

Examples
--------
>>> parse_number("58,5", field="value")
58.5
>>> parse_number("1.234,5", field="value"), parse_number("1 234,5", field="value")
(1234.5, 1234.5)
>>> parse_number("1,234", field="value", typical=5000)
1234.0
>>> parse_number("1,234", field="value", typical=65)
Traceback (most recent call last):
prodops.errors.ParameterError: value: '1,234' is ambiguous: 1234 with a thousands separator ...
"""

from __future__ import annotations

import math
import re
from typing import NoReturn

from prodops.errors import ParameterError

_GROUPING = " \u00a0\u202f\u2009'\u2019"  # spaces and apostrophes: thousands separators only
_MARKS = ",."
_MINUS = "-\u2212"  # hyphen-minus and the minus sign
_EXPONENT = re.compile(r"(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_GROUPS = re.compile(r"[1-9]\d{0,2}(?:x\d{3})+")  # "x" stands for the separator
THOUSANDS_TYPICAL = 1000.0  # values this large are written with thousands separators
_HOW = "Type a number such as 42, 58.5 or 0.25."


def typical_size(*values: float | None) -> float | None:
    """The size of a key result's values (the largest magnitude given), None if none is given.

    >>> typical_size(55, 65), typical_size(-2000, 10), typical_size(None)
    (65.0, 2000.0, None)
    """
    sizes = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    return max(sizes) if sizes else None


def parse_number(
    text: str | float | int | None, *, field: str, typical: float | None = None
) -> float:
    """Return *text* as a finite number, or raise ParameterError naming *field* and the fix.

    Parameters
    ----------
    text
        What the person typed (numbers are returned as floats after a finiteness check).
    field
        The field's name, used in messages ("value", "target").
    typical
        The usual size of the values of this field (for a key result, the larger of its start
        and target, :func:`typical_size`); it decides ``1,234`` and ``1.234`` (module docstring).

    Examples
    --------
    >>> parse_number(" 1,250.5 ", field="target")
    1250.5
    >>> parse_number("-0,05", field="value")
    -0.05
    >>> parse_number("abc", field="target")
    Traceback (most recent call last):
    prodops.errors.ParameterError: target: 'abc' is not a number. Type a number such as 42, ...
    """
    if text is None:
        raise ParameterError("a number is required", where=field, fix=_HOW)
    if isinstance(text, bool):
        raise ParameterError(f"{text!r} is not a number", where=field, fix=_HOW)
    if isinstance(text, int | float):
        return _finite(float(text), text, field)
    raw = str(text)
    body = raw.strip()
    if not body:
        raise ParameterError("a number is required", where=field, fix=_HOW)
    sign = 1.0
    if body[0] in _MINUS or body[0] == "+":
        sign = -1.0 if body[0] in _MINUS else 1.0
        body = body[1:]
    if _EXPONENT.fullmatch(body):
        return _finite(sign * float(body), raw, field)
    if not body or any(not _digit(c) and c not in _GROUPING + _MARKS for c in body):
        raise ParameterError(f"{raw!r} is not a number", where=field, fix=_HOW)
    return _finite(sign * _unsigned(body, raw, field, typical), raw, field)


def _unsigned(body: str, raw: str, field: str, typical: float | None) -> float:
    """The value of *body*: digits, marks and grouping characters, no sign."""
    grouping = [c for c in body if c in _GROUPING]
    marks = [c for c in body if c in _MARKS]
    if grouping:
        if len(marks) > 1 or (marks and body.rindex(marks[0]) < max(map(body.rindex, grouping))):
            _refuse(raw, field)
        whole, _, fraction = body.partition(marks[0]) if marks else (body, "", "")
        return _join(_ungroup(whole, set(grouping), raw, field), fraction, raw, field)
    if len(set(marks)) == 2:
        decimal = body[max(body.rfind(","), body.rfind("."))]
        whole, _, fraction = body.rpartition(decimal)
        if decimal in whole:
            _refuse(raw, field)
        thousands = "," if decimal == "." else "."
        return _join(_ungroup(whole, {thousands}, raw, field), fraction, raw, field)
    if len(marks) > 1:
        return float(_ungroup(body, set(marks), raw, field))
    if not marks:
        return float(body)
    whole, mark, fraction = body.partition(marks[0])
    if len(fraction) == 3 and whole and whole[0] != "0" and len(whole) <= 3:
        return _three_digits(whole, mark, fraction, raw, field, typical)
    return _join(whole, fraction, raw, field)


def _three_digits(
    whole: str, mark: str, fraction: str, raw: str, field: str, typical: float | None
) -> float:
    """``1,234`` or ``1.234``: thousands or decimals, decided by the typical size or refused."""
    large = typical is not None and typical >= THOUSANDS_TYPICAL
    if mark == "," and large:
        return float(whole + fraction)
    if mark == "." and not large:
        return float(f"{whole}.{fraction}")
    name = "comma" if mark == "," else "point"
    raise ParameterError(
        f"{raw.strip()!r} is ambiguous: {whole}{fraction} with a thousands separator or "
        f"{whole}.{fraction} with a decimal {name}",
        where=field,
        fix=f"Type {whole}{fraction} or {whole}.{fraction} (a dot for decimals, no thousands "
        "separator).",
    )


def _ungroup(whole: str, separators: set[str], raw: str, field: str) -> str:
    """*whole* without its thousands separators, after checking the groups have three digits."""
    shape = "".join("x" if c in separators else c for c in whole)
    if not _GROUPS.fullmatch(shape) and not (shape and all(_digit(c) for c in shape)):
        _refuse(raw, field)
    return shape.replace("x", "")


def _join(whole: str, fraction: str, raw: str, field: str) -> float:
    if not (whole or fraction) or not all(_digit(c) for c in whole + fraction):
        _refuse(raw, field)
    return float(f"{whole or '0'}.{fraction or '0'}")


def _digit(char: str) -> bool:
    return char.isascii() and char.isdigit()


def _refuse(raw: str, field: str) -> NoReturn:
    raise ParameterError(
        f"{raw.strip()!r} is not a number: its separators are neither one decimal mark nor "
        "thousands groups of three digits",
        where=field,
        fix="Type it without thousands separators, with a dot or a comma for decimals "
        "(1234.5 or 1234,5).",
    )


def _finite(value: float, raw: object, field: str) -> float:
    if not math.isfinite(value):
        raise ParameterError(f"{raw!r} is not a finite number", where=field, fix=_HOW)
    return value
