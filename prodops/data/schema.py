"""The canonical data model every metric reads (DESIGN.md, "Canonical data").

Events: ``user_id`` (string), ``event`` (string), ``timestamp`` (timestamp, UTC), plus property
columns. Subscriptions: ``customer_id`` (string), ``start`` (timestamp UTC, inclusive), ``end``
(timestamp UTC, exclusive, null = still active), ``mrr`` (float64, monthly amount), plus properties.
Timestamps lie in [:data:`TIME_MIN`, :data:`TIME_MAX`) and amounts in [0, :data:`MRR_MAX`].
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["events", "subscriptions"]
KINDS: tuple[Kind, ...] = ("events", "subscriptions")

USER_COL = "user_id"
EVENT_COL = "event"
TIME_COL = "timestamp"
EVENT_COLUMNS: tuple[str, ...] = (USER_COL, EVENT_COL, TIME_COL)

CUSTOMER_COL = "customer_id"
START_COL = "start"
END_COL = "end"
MRR_COL = "mrr"
SUBSCRIPTION_COLUMNS: tuple[str, ...] = (CUSTOMER_COL, START_COL, END_COL, MRR_COL)

REQUIRED_COLUMNS: dict[Kind, tuple[str, ...]] = {
    "events": EVENT_COLUMNS,
    "subscriptions": SUBSCRIPTION_COLUMNS,
}

# Supported values (issue 17): every metric, pandas and Python's datetime handle these safely.
# Rows outside are rejected at import with a reason; a subscription end at or after TIME_MAX is an
# open end (exports write 9999-12-31 for "still active").
TIME_MIN = "1900-01-01"
TIME_MAX = "2200-01-01"
MRR_MAX = 1e12
