"""Safe exports of tables that may hold uploaded text."""

from __future__ import annotations

import pandas as pd

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy in which text cells that a spreadsheet would run as a formula start with '.

    Only text cells change; numbers (a negative amount) are left as they are.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok"], "b": [-1, 2]}))["a"].tolist()
    ["'=1+1", 'ok']
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_PREFIXES) else v
            )
    return out


def to_safe_csv(frame: pd.DataFrame) -> str:
    """Return *frame* as CSV text with formula cells neutralised (for downloads).

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_safe_csv(pd.DataFrame({"name": ["=SUM(A1)", "Ann"], "n": [1, 2]})), end="")
    name,n
    '=SUM(A1),1
    Ann,2
    """
    return neutralise_formulas(frame).to_csv(index=False)
