"""The JSON documents and table shapes of the metric commands (DESIGN.md, "The command line").

A JSON adapter is named by a metric's ``to_json`` in :mod:`prodops.metrics.registry` and called
as ``adapter(frame, **params)`` with the metric's parameters; a metric without one prints
``{"metric": NAME, "rows": [...]}``. This module imports pandas: the commands import it when
they run, never when the parser is built.

Completeness (DESIGN.md) is shown the same way by every command: :func:`with_data_end` adds the
document's ``data_end``; :func:`mark_incomplete` marks the values of periods in progress with a
trailing ``*`` in tables and :func:`in_progress_footer` prints the one line that explains it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from prodops.metrics.completeness import DATA_END, data_end_of
from prodops.metrics.retention import retention_average

IN_PROGRESS = "in_progress"  # ``attrs`` key of a shown table: some value is marked with ``*``
MARK = "*"
# Keys and bases a period in progress does not change (a cohort's size, the MRR at a period's
# start).
UNMARKED = frozenset(
    {"offset", "size", "cohort_customers", "cohort_mrr", "mrr_start", "customers_start"}
)


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).isoformat()


def _float(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _label(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def with_data_end(doc: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """*doc* with the ``data_end`` that the metric recorded on *frame* (ISO 8601 or null), right
    after ``metric``; unchanged when the metric records none or *doc* has it already."""
    if DATA_END not in frame.attrs or "data_end" in doc:
        return doc
    head = {k: doc[k] for k in list(doc)[:1]}
    return {**head, "data_end": _iso(data_end_of(frame)), **doc}


def mark_incomplete(frame: pd.DataFrame) -> pd.DataFrame:
    """A table copy where the numbers of rows whose period is in progress end with ``*``.

    The ``complete`` column is dropped (the marks show it) and ``attrs["in_progress"]`` says
    whether anything was marked. Frames without a ``complete`` column come back unchanged.

    >>> frame = pd.DataFrame({"users": [3, 2], "rate": [0.5, 0.25], "complete": [True, False]})
    >>> shown = mark_incomplete(frame)
    >>> shown.to_dict("list"), shown.attrs["in_progress"]
    ({'users': [3, '2*'], 'rate': [0.5, '0.25*']}, True)
    """
    if "complete" not in frame.columns:
        return frame
    late = ~frame["complete"].astype(bool).to_numpy()
    out = frame.drop(columns="complete")
    for column in out.columns:
        if column in UNMARKED:
            continue
        values = out[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if not numeric or not late.any():
            continue
        cells = [round(v, 6) if isinstance(v, float) else v for v in values.astype(object)]
        out[column] = pd.Series(
            [
                f"{v}{MARK}" if bad and not pd.isna(v) else v
                for v, bad in zip(cells, late, strict=True)
            ],
            index=out.index,
            dtype=object,
        )
    out.attrs[IN_PROGRESS] = bool(late.any())
    return out


def in_progress_footer(shown: pd.DataFrame, frame: pd.DataFrame) -> str | None:
    """The footer line under a table in which :func:`mark_incomplete` (or a shape) marked values.

    >>> shown = pd.DataFrame({"users": ["2*"]})
    >>> shown.attrs["in_progress"] = True
    >>> metric = pd.DataFrame()
    >>> metric.attrs["data_end"] = pd.Timestamp("2026-11-02 04:46", tz="UTC")
    >>> in_progress_footer(shown, metric)
    '* in progress: the period ends after the data end (2026-11-02 04:46)'
    """
    if not shown.attrs.get(IN_PROGRESS):
        return None
    end = data_end_of(frame)
    when = "none: no data" if end is None else end.strftime("%Y-%m-%d %H:%M")
    return f"{MARK} in progress: the period ends after the data end ({when})"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of *frame* as dicts (values converted by :func:`prodops.cli.output.jsonable`)."""
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def rows_json(frame: pd.DataFrame, *, metric: str) -> dict[str, Any]:
    """The document of a metric that declares no JSON adapter."""
    return {"metric": metric, "rows": records(frame)}


def retention_json(
    frame: pd.DataFrame,
    *,
    period: str = "week",
    breakdown: str | None = None,
    include_incomplete: bool = False,
    **_: Any,
) -> dict[str, Any]:
    """The JSON document of ``prodops retention --format json``.

    Each cohort carries ``complete``, a list parallel to ``counts`` (a cell is complete when its
    period ended by the data end); the averages count complete cells only unless
    *include_incomplete*.
    """
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
                "complete": [bool(c) for c in rows["complete"]],
            }
        )
    overall = retention_average(frame.assign(breakdown=None), include_incomplete=include_incomplete)
    doc: dict[str, Any] = {
        "metric": "retention",
        "period": period,
        "cohorts": cohorts,
        "average": [None if pd.isna(r) else float(r) for r in overall["rate"]],
    }
    if breakdown is not None:
        per_value = retention_average(frame, include_incomplete=include_incomplete)
        doc["breakdown_averages"] = [
            {
                "breakdown": _label(bk),
                "average": [_float(r) for r in rows["rate"]],
            }
            for bk, rows in per_value.groupby("breakdown", dropna=False, sort=False)
        ]
    return doc


def retention_wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (breakdown, cohort) with the size and the rate at each offset (for tables).

    A rate whose cell is in progress ends with ``*`` (``attrs["in_progress"]`` says if any does).
    """
    rows = []
    marked = False
    flags = frame["complete"] if "complete" in frame.columns else pd.Series(True, frame.index)
    data = frame.assign(_done=flags.astype(bool))
    for (bk, cohort), part in data.groupby(["breakdown", "cohort"], dropna=False, sort=False):
        part = part.sort_values("offset")
        row: dict[str, Any] = {"cohort": cohort, "size": int(part["size"].iloc[0])}
        if frame["breakdown"].notna().any():
            row = {"breakdown": _label(bk), **row}
        for offset, rate, done in zip(part["offset"], part["rate"], part["_done"], strict=True):
            value: Any = None if pd.isna(rate) else round(float(rate), 3)
            if value is not None and not done:
                value, marked = f"{value}{MARK}", True
            row[str(offset)] = value
        rows.append(row)
    wide = pd.DataFrame(rows)
    wide.attrs[IN_PROGRESS] = marked
    return wide


def retention_shown(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The table prints the wide matrix; CSV keeps the long frame."""
    return retention_wide(frame) if fmt == "table" else frame


def _breakdown_of(row: Mapping[Any, Any]) -> dict[str, Any]:
    """``{"breakdown": value}`` for a row of a broken-down series, else nothing (the documents
    of DESIGN.md stay as they were without ``--breakdown``)."""
    return {"breakdown": _label(row["breakdown"])} if "breakdown" in row else {}


def lifecycle_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    """Every bucket; with ``--breakdown`` each carries its ``breakdown`` value."""
    buckets = [
        {
            "start": _iso(row["start"]),
            **_breakdown_of(row),
            **{k: int(row[k]) for k in ("new", "returning", "resurrecting", "dormant")},
            "pulse_ratio": _float(row["pulse_ratio"]),
            "complete": bool(row["complete"]),
        }
        for row in frame.to_dict("records")
    ]
    return {"metric": "lifecycle", "buckets": buckets}


def stickiness_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    """Stickiness with how many buckets the range has, how many are complete and how many the
    histogram counts (the complete ones, or all with ``--include-incomplete``)."""

    def bucket_count(name: str) -> int:
        if name in frame.attrs:
            return int(frame.attrs[name])
        return int(frame[name].iloc[0]) if len(frame) else 0

    histogram = [
        {"active_periods": int(n), "users": int(u), "complete": bool(c)}
        for n, u, c in zip(frame["active_periods"], frame["users"], frame["complete"], strict=True)
    ]
    return {
        "metric": "stickiness",
        "buckets_total": bucket_count("buckets_total"),
        "buckets_complete": bucket_count("buckets_complete"),
        "buckets_counted": len(frame),
        "histogram": histogram,
    }


def active_users_shown(frame: pd.DataFrame, fmt: str = "table") -> pd.DataFrame:
    """Days as ``YYYY-MM-DD`` (table, CSV and JSON)."""
    return frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))


def active_users_json(frame: pd.DataFrame, *, window_days: int = 1, **_: Any) -> dict[str, Any]:
    """Every day; with ``--breakdown`` each carries its ``breakdown`` value."""
    shown = active_users_shown(frame)
    series = [
        {
            "date": row["date"],
            **_breakdown_of(row),
            "users": int(row["users"]),
            "complete": bool(row["complete"]),
        }
        for row in shown.to_dict("records")
    ]
    return {"metric": "active_users", "window_days": window_days, "series": series}


def churn_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    """Every period; with ``--breakdown`` each carries its ``breakdown`` value."""
    periods = [
        {
            "period": _iso(row["period"]),
            **_breakdown_of(row),
            "active_start": int(row["active_start"]),
            "churned": int(row["churned"]),
            "churn_rate": _float(row["churn_rate"]),
            "complete": bool(row["complete"]),
        }
        for row in frame.to_dict("records")
    ]
    return {"metric": "churn", "periods": periods}


def revenue_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    """Every period (with ``complete``) and the one LTV of the range with its formula."""
    doc: dict[str, Any] = {"metric": "revenue", "periods": records(frame)}
    if "ltv" in frame.attrs:
        doc["ltv"] = dict(frame.attrs["ltv"])
    return doc


def ltv_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    """The one row of :func:`prodops.metrics.revenue.ltv` as a flat document."""
    return {"metric": "ltv", **(records(frame)[0] if len(frame) else {})}


def revenue_cohorts_json(frame: pd.DataFrame, **_: Any) -> dict[str, Any]:
    return {"metric": "revenue_cohorts", "cohorts": records(frame)}
