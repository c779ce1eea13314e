"""Writing command results as a table, CSV or JSON (the formats of the CLI contract).

numpy and pandas are imported by the writers, not at import: building the parser stays light.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from typing import TYPE_CHECKING, Any, TextIO

from prodops.store import MAX_ID

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "csv", "json")


def add_format_option(parser: Any) -> None:
    """Add ``--format {table,csv,json}`` (default table) to *parser*."""
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")


def record_id(text: str) -> int:
    """An argparse type: the id of a stored row (a whole number from 1 to :data:`MAX_ID`).

    >>> record_id("42")
    42
    >>> record_id("99999999999999999999")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '99999999999999999999' is not an id (a whole number from 1)
    """
    import argparse

    value = int(text) if text.strip().isdigit() else 0
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a whole number from 1)")
    return value


def jsonable(value: Any) -> Any:
    """Convert *value* to what ``json`` writes: ISO 8601 timestamps, ``null`` for missing."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(obj: Any, out: TextIO | None = None) -> None:
    """Write *obj* as one JSON document (to standard output by default)."""
    out = out or sys.stdout
    json.dump(jsonable(obj), out, allow_nan=False)
    out.write("\n")


def write_frame(frame: pd.DataFrame, fmt: str, out: TextIO | None = None) -> None:
    """Write *frame* as an aligned text table or as CSV (timestamps in ISO 8601).

    CSV goes through :func:`prodops.export.write_safe_csv`: text cells and column names that a
    spreadsheet would run as a formula start with ``'``.
    """
    import pandas as pd

    from prodops.export import write_safe_csv

    out = out or sys.stdout
    shown = frame.copy()
    for col in shown.columns:
        if isinstance(shown[col].dtype, pd.DatetimeTZDtype):
            shown[col] = shown[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    if fmt == "csv":
        write_safe_csv(shown, out)
    elif len(shown):
        # Missing values of every kind (NaN, None, <NA>) print as blanks, as in the app's tables.
        blank = shown.astype(object).where(shown.notna(), "")
        out.write(blank.to_string(index=False) + "\n")
    else:
        out.write("(no rows)\n")
