"""Metrics, each written once as an Ibis expression and executed where the data lives.

Every function takes an ``ibis.Table`` (DuckDB, PostgreSQL or any Ibis backend) or a pandas
frame with the canonical event (or subscription) columns and returns a small tidy pandas frame.
"""

from prodops.metrics.churn import churn
from prodops.metrics.engagement import active_users, dau_mau, stickiness
from prodops.metrics.events import event_counts, property_columns
from prodops.metrics.lifecycle import lifecycle
from prodops.metrics.retention import retention, retention_average
from prodops.metrics.revenue import (
    REVENUE_FORMULAS,
    customer_movements,
    revenue,
    revenue_cohorts,
)

__all__ = [
    "REVENUE_FORMULAS",
    "active_users",
    "churn",
    "customer_movements",
    "dau_mau",
    "event_counts",
    "lifecycle",
    "property_columns",
    "retention",
    "retention_average",
    "revenue",
    "revenue_cohorts",
    "stickiness",
]
