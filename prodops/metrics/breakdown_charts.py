"""Charts broken down by a property: the per-value parts of a frame, and churn by value (its
long frame and its chart, one line per value).

Periods in progress are drawn as in :mod:`prodops.metrics.progress_marks`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from prodops.metrics.charts import (
    MISSING_LABEL,
    as_floats,
    check_rows,
    percent_axis,
    period_axis,
    period_unit,
    require_columns,
    time_labels,
)
from prodops.metrics.progress_marks import (
    PROGRESS_TOOLTIP,
    _note,
    joined_segments,
    progress,
    progress_dash,
    titled,
)


def breakdown_parts(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The series of a broken-down metric frame, one per value in the metric's order (largest
    first, "other" last), keyed by the value's label (``MISSING_LABEL`` for a missing value).

    >>> f = pd.DataFrame({"breakdown": ["pro", "pro", None], "users": [3, 1, 2]})
    >>> {k: v["users"].tolist() for k, v in breakdown_parts(f).items()}
    {'pro': [3, 1], '(not set)': [2]}
    """
    require_columns(frame, ["breakdown"], "breakdown")
    labels = [MISSING_LABEL if v is None or v != v else str(v) for v in frame["breakdown"]]
    keyed = frame.drop(columns="breakdown").assign(_label=labels)
    parts = {}
    for label in dict.fromkeys(labels):
        part = keyed[keyed["_label"] == label].drop(columns="_label").reset_index(drop=True)
        part.attrs.update(frame.attrs)
        parts[label] = part
    return parts


def churn_breakdown_frame(frame: pd.DataFrame, *, period: str = "month") -> pd.DataFrame:
    """Long frame ``period, value, active_start, churned, churn_rate, complete`` of a churn
    frame broken down by a property (:func:`prodops.metrics.churn` with ``breakdown``): one row
    per (value, period), values in the metric's order, ``"(not set)"`` for a missing value.

    >>> f = pd.DataFrame({"breakdown": ["pro", None],
    ...                   "period": pd.to_datetime(["2024-02-01"] * 2, utc=True),
    ...                   "active_start": [2, 4], "churned": [1, 1],
    ...                   "churn_rate": [0.5, 0.25], "complete": [True, False]})
    >>> churn_breakdown_frame(f)[["period", "value", "churn_rate", "complete"]]
        period      value  churn_rate  complete
    0  2024-02        pro        0.50      True
    1  2024-02  (not set)        0.25     False
    """
    require_columns(frame, ["period", "active_start", "churned", "churn_rate"], "churn")
    parts = []
    for value, part in breakdown_parts(frame).items():
        flags = part["complete"] if "complete" in part.columns else pd.Series(True, part.index)
        parts.append(
            pd.DataFrame(
                {
                    "period": time_labels(part["period"], period),
                    "value": value,
                    "active_start": part["active_start"].astype("int64"),
                    "churned": part["churned"].astype("int64"),
                    "churn_rate": as_floats(part["churn_rate"]),
                    "complete": flags.astype(bool),
                }
            )
        )
    columns = ["period", "value", "active_start", "churned", "churn_rate", "complete"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    check_rows(out, "churn")
    out.attrs.update(frame.attrs)
    return out


def build_churn_breakdown_chart(
    frame: pd.DataFrame,
    *,
    period: str = "month",
    title: str = "User churn",
    legend: str = "Value",
) -> alt.Chart:
    """Lines of user churn per period, one per breakdown value (:func:`churn_breakdown_frame`
    of a broken-down :func:`prodops.metrics.churn` frame); *legend* names the column.

    Complete periods are solid; the period in progress is the dashed end of each line. A
    period with no one active before has no rate: the line has a gap there.
    """
    long = churn_breakdown_frame(frame, period=period)
    order = list(dict.fromkeys(long["value"]))
    data = long.drop(columns="complete").assign(progress=progress(long))
    data = joined_segments(data, by=["value"], order="period")
    result: alt.Chart = (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=period_axis("period", period),
            y=alt.Y("churn_rate:Q", title="Churn rate", axis=percent_axis()),
            color=alt.Color("value:N", title=legend, sort=order),
            strokeDash=progress_dash(data),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("value:N", title=legend),
                alt.Tooltip("churn_rate:Q", title="Churn rate", format=".1%"),
                alt.Tooltip("churned:Q", title="Users churned", format=",d"),
                alt.Tooltip("active_start:Q", title="Active in the previous period", format=",d"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(
            title=titled(
                title,
                "Active in the previous period, not in this one / active before",
                _note(frame, "dashed"),
            ),
            height=300,
            width="container",
        )
    )
    return result
