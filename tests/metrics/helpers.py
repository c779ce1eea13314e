"""Helpers of the metric tests: small event frames from tuples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ibis
import pandas as pd

SCHEMA = {"user_id": "string", "event": "string", "timestamp": "timestamp('UTC')", "plan": "string"}


def frame(rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """Events from ``(user, event, UTC time[, plan])`` tuples (plan defaults to None)."""
    full = [(*r, None) if len(r) == 3 else r for r in rows]
    return pd.DataFrame(
        {
            "user_id": pd.Series([r[0] for r in full], dtype=object),
            "event": pd.Series([r[1] for r in full], dtype=object),
            "timestamp": pd.to_datetime([r[2] for r in full], utc=True, format="ISO8601").as_unit(
                "us"
            ),
            "plan": pd.Series([r[3] for r in full], dtype=object),
        }
    )


Loader = Callable[[pd.DataFrame], ibis.Table]
