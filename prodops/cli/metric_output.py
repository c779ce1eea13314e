"""The JSON documents and table shapes of the metric commands (DESIGN.md, "The command line").

A JSON adapter is named by a metric's ``to_json`` in :mod:`prodops.metrics.registry` and called
as ``adapter(frame, **params)`` with the metric's parameters; a metric without one prints
``{"metric": NAME, "rows": [...]}``. This module imports pandas: the commands import it when
they run, never when the parser is built.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from prodops.metrics.retention import retention_average


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).isoformat()


def _float(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _label(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of *frame* as dicts (values converted by :func:`prodops.cli.output.jsonable`)."""
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def rows_json(frame: pd.DataFrame, *, metric: str) -> dict[str, Any]:
    """The document of a metric that declares no JSON adapter."""
    return {"metric": metric, "rows": records(frame)}


def retention_json(
    frame: pd.DataFrame, *, period: str = "week", breakdown: str | None = None, **_: Any
) -> dict[str, Any]:
    """The JSON document of ``prodops retention --format json``."""
    cohorts = []
    for (bk, cohort), rows in frame.groupby(["breakdown", "cohort"], dropna=False, sort=False):
        rows = rows.sort_values("offset")
        cohorts.append(
            {
                "cohort": _iso(cohort),
                "breakdown": _label(bk),
                "size": int(rows["size"].iloc[0]),
                "counts": [None if pd.isna(c) else int(c) for c in rows["count"]],
                "rates": [None if pd.isna(r) else float(r) for r in rows["rate"]],
            }
        )
    overall = retention_average(frame.assign(breakdown=None))
    doc: dict[str, Any] = {
        "metric": "retention",
        "period": period,
        "cohorts": cohorts,
        "average": [None if pd.isna(r) else float(r) for r in overall["rate"]],
    }
    if breakdown is not None:
        per_value = retention_average(frame)
        doc["breakdown_averages"] = [
            {
                "breakdown": _label(bk),
                "average": [_float(r) for r in rows["rate"]],
            }
            for bk, rows in per_value.groupby("breakdown", dropna=False, sort=False)
        ]
    return doc


def retention_wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (breakdown, cohort) with the size and the rate at each offset (for tables)."""
    rows = []
    for (bk, cohort), part in frame.groupby(["breakdown", "cohort"], dropna=False, sort=False):
        part = part.sort_values("offset")
        row: dict[str, Any] = {"cohort": cohort, "size": int(part["size"].iloc[0])}
        if frame["breakdown"].notna().any():
            row = {"breakdown": _label(bk), **row}
        for offset, rate in zip(part["offset"], part["rate"], strict=True):
            row[str(offset)] = None if pd.isna(rate) else round(float(rate), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def retention_shown(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The table prints the wide matrix; CSV keeps the long frame."""
    return retention_wide(frame) if fmt == "table" else frame


def lifecycle_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    buckets = [
        {
            "start": _iso(row["start"]),
            **{k: int(row[k]) for k in ("new", "returning", "resurrecting", "dormant")},
            "pulse_ratio": _float(row["pulse_ratio"]),
        }
        for row in frame.to_dict("records")
    ]
    return {"metric": "lifecycle", "buckets": buckets}


def stickiness_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    total = int(frame["buckets_total"].iloc[0]) if len(frame) else 0
    histogram = [
        {"active_periods": int(n), "users": int(u)}
        for n, u in zip(frame["active_periods"], frame["users"], strict=True)
    ]
    return {"metric": "stickiness", "buckets_total": total, "histogram": histogram}


def active_users_shown(frame: pd.DataFrame, fmt: str = "table") -> pd.DataFrame:
    """Days as ``YYYY-MM-DD`` (table, CSV and JSON)."""
    return frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))


def active_users_json(frame: pd.DataFrame, *, window_days: int = 1, **_: Any) -> dict[str, Any]:
    shown = active_users_shown(frame)
    series = [
        {"date": d, "users": int(u)} for d, u in zip(shown["date"], shown["users"], strict=True)
    ]
    return {"metric": "active_users", "window_days": window_days, "series": series}


def churn_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    periods = [
        {
            "period": _iso(row["period"]),
            "active_start": int(row["active_start"]),
            "churned": int(row["churned"]),
            "churn_rate": _float(row["churn_rate"]),
        }
        for row in frame.to_dict("records")
    ]
    return {"metric": "churn", "periods": periods}


def revenue_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    return {"metric": "revenue", "periods": records(frame)}


def revenue_cohorts_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    return {"metric": "revenue_cohorts", "cohorts": records(frame)}
