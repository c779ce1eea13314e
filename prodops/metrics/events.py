"""Event names, property columns and their frequent values (for pickers and the CLI)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from prodops.data.schema import EVENT_COLUMNS
from prodops.engine import as_table
from prodops.metrics.filters import events_table


def event_counts(events: ir.Table | pd.DataFrame) -> pd.DataFrame:
    """Events and distinct users per event name, most frequent first (ties by name).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["open", "open", "buy"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01"] * 3, utc=True)})
    >>> event_counts(ev)
      event  events  users
    0  open       2      1
    1   buy       1      1
    """
    table = events_table(events)
    counted = table.group_by("event").aggregate(
        events=ibis._.count(), users=table.user_id.nunique()
    )
    frame = counted.to_pandas()
    frame = frame.sort_values(["events", "event"], ascending=[False, True], kind="stable")
    return pd.DataFrame(
        {
            "event": frame["event"].astype(object).to_numpy(),
            "events": frame["events"].astype("int64").to_numpy(),
            "users": frame["users"].astype("int64").to_numpy(),
        }
    )


def property_columns(events: ir.Table | pd.DataFrame) -> list[str]:
    """The columns of *events* other than ``user_id``, ``event`` and ``timestamp``."""
    table = events_table(events)
    return [c for c in table.columns if c not in EVENT_COLUMNS]


def property_values(events: ir.Table | pd.DataFrame, column: str, *, limit: int = 50) -> list[str]:
    """The *limit* most frequent non-null values of *column*, as text (ties by value).

    A column the table does not have gives ``[]`` (a picker then offers nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"plan": ["pro", "free", "pro", None, "team", "free", "pro"]})
    >>> property_values(ev, "plan", limit=2)
    ['pro', 'free']
    """
    table = as_table(events)  # any table: events or subscriptions
    if column not in table.columns:
        return []
    col = table[column]
    counted = (
        table.filter(col.notnull())
        .group_by(value=col.cast("string"))
        .aggregate(n=ibis._.count())
        .order_by([ibis.desc("n"), "value"])
        .limit(limit)
        .to_pandas()
    )
    return [str(v) for v in counted["value"]]
