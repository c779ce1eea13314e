"""Safe exports of tables that may hold uploaded text."""

from __future__ import annotations

import io
import re
from typing import TextIO

import pandas as pd

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# A number written as text ("-50", "+1.5e3"): a spreadsheet reads it as that number, it runs
# nothing, so it is shown and written as the file holds it (a refund of -50 stays -50).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _neutralise(value: object) -> object:
    """Return *value* with a leading ' when it is text a spreadsheet would run as a formula.

    >>> [_neutralise(v) for v in ["-50", "+1.5e3", "-1+cmd|' /C calc'!A0", "-", "=1"]]
    ['-50', '+1.5e3', "'-1+cmd|' /C calc'!A0", "'-", "'=1"]
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_PREFIXES)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy in which text cells and column names that a spreadsheet would run as a
    formula start with '.

    Only text changes; numbers (a negative amount), also written as text, are left as they are.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok"], "b": [-1, 2]}))["a"].tolist()
    ["'=1+1", 'ok']
    >>> list(neutralise_formulas(pd.DataFrame({"=HYPERLINK(1)": [1], "-x": [-1], 3: [3]})).columns)
    ["'=HYPERLINK(1)", "'-x", 3]
    """
    out = frame.copy()
    names = [_neutralise(c) for c in out.columns]
    if not isinstance(out.columns, pd.MultiIndex) and names != list(out.columns):
        out.columns = pd.Index(names, dtype=object)
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out.isetitem(position, column.map(_neutralise).to_numpy(dtype=object))
    return out


def write_safe_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """Write *frame* as CSV to *out*, header included, with formula cells neutralised."""
    neutralise_formulas(frame).to_csv(out, index=False)


def to_safe_csv(frame: pd.DataFrame) -> str:
    """Return *frame* as CSV text with formula cells and headers neutralised (for downloads).

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_safe_csv(pd.DataFrame({"name": ["=SUM(A1)", "Ann"], "n": [1, 2]})), end="")
    name,n
    '=SUM(A1),1
    Ann,2
    """
    out = io.StringIO()
    write_safe_csv(frame, out)
    return out.getvalue()
