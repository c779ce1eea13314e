"""Small, seeded datasets for the QBR tests (hand-checkable sizes, fixed seeds)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NOW = dt.datetime(2026, 11, 5, tzinfo=dt.UTC)  # the builds' "generated at"
HOSTILE = (
    '<script>alert("x")</script> =HYPERLINK("http://evil.example/x") [click](http://evil.example)'
)


def make_events(seed: int = 7, users: int = 240) -> pd.DataFrame:
    """Users who sign up between Jan 2025 and Oct 2026 and come back less and less often."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2025-01-01", tz="UTC")
    span_days = (pd.Timestamp("2026-10-20", tz="UTC") - first).days
    rows = []
    for n in range(users):
        signup = first + pd.Timedelta(days=int(rng.integers(0, span_days)))
        days = np.unique(rng.geometric(0.04, size=int(rng.integers(1, 25))))
        for day in (0, *days):
            when = signup + pd.Timedelta(days=int(day), seconds=int(rng.integers(0, 86_000)))
            if when < pd.Timestamp("2026-10-31 18:00", tz="UTC"):
                rows.append((f"u{n}", "open", when, "pro" if n % 3 else "free"))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "plan"])
    return frame.sort_values("timestamp").reset_index(drop=True)


def make_subscriptions(seed: int = 11, customers: int = 90) -> pd.DataFrame:
    """Customers starting between Feb 2025 and Oct 2026; some churn, some upgrade."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(customers):
        start = pd.Timestamp("2025-02-01", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 620)))
        mrr = float(rng.choice([29.0, 49.0, 99.0]))
        end = None
        if rng.random() < 0.35:
            end = start + pd.Timedelta(days=int(rng.integers(40, 400)))
        elif rng.random() < 0.3:
            upgrade = start + pd.Timedelta(days=int(rng.integers(30, 200)))
            rows.append((f"c{n}", start, upgrade, mrr))
            start, mrr = upgrade, mrr * 2
        rows.append((f"c{n}", start, end, mrr))
    frame = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr"])
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    # Ends after the export was taken are future ends (paid periods running on).
    cutoff = pd.Timestamp("2026-10-31 12:00", tz="UTC")
    frame = frame[frame["start"] <= cutoff].reset_index(drop=True)
    return frame
