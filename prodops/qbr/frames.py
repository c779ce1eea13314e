"""Small frames frozen as JSON (what a snapshot keeps behind each chart) and read back.

Time columns are written as ISO 8601 text and read back as timestamps with their offset, so a
chart rebuilt from a snapshot is the chart of the day it was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def freeze(frame: pd.DataFrame) -> dict[str, Any]:
    """A JSON-ready dict of *frame*: ``columns``, ``time`` (the datetime columns) and ``rows``.

    Examples
    --------
    >>> frame = pd.DataFrame({"period": pd.to_datetime(["2026-07-01"], utc=True), "mrr": [1.5]})
    >>> frozen = freeze(frame)
    >>> frozen["rows"], frozen["time"]
    ([['2026-07-01T00:00:00+00:00', 1.5]], ['period'])
    >>> thaw(frozen).equals(frame)
    True
    """
    time = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    rows = []
    for record in frame.itertuples(index=False, name=None):
        rows.append([_plain(value) for value in record])
    return {"columns": [str(c) for c in frame.columns], "time": time, "rows": rows}


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def thaw(frozen: Mapping[str, Any] | None) -> pd.DataFrame:
    """The frame of :func:`freeze` (an empty frame for None)."""
    if not frozen:
        return pd.DataFrame()
    frame = pd.DataFrame(frozen["rows"], columns=frozen["columns"])
    for column in frozen.get("time", []):
        values = frame[column]
        aware = any(isinstance(v, str) and ("+" in v[10:] or v.endswith("Z")) for v in values)
        converted = pd.to_datetime(values, utc=aware)
        if aware:
            offsets = {pd.Timestamp(v).tzinfo for v in values if isinstance(v, str)}
            zone = next(iter(offsets)) if len(offsets) == 1 else None
            if zone is not None:
                converted = converted.dt.tz_convert(zone)
        frame[column] = converted
    return frame
