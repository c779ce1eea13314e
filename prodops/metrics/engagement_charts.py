"""Altair charts of the engagement page: active users, DAU/MAU, stickiness, lifecycle, churn.

Each ``build_*_chart`` takes the frame of its :mod:`prodops.metrics` function (``*_frame`` reshapes
it where the chart needs a long format); labels, axes and row checks come from
:mod:`prodops.metrics.charts`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from prodops.metrics.charts import (
    as_floats,
    check_rows,
    day_axis,
    period_axis,
    period_unit,
    require_columns,
    time_labels,
)

LIFECYCLE_COLOURS: dict[str, str] = {
    "new": "#2ca02c",
    "returning": "#1f77b4",
    "resurrecting": "#ff7f0e",
    "dormant": "#d62728",
}


def active_users_frame(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long frame ``date, label, series, users`` from ``{"DAU": frame, "WAU": ..., "MAU": ...}``.

    Each frame is :func:`prodops.metrics.active_users` output (``date, users``).
    """
    parts = []
    for name, part in series.items():
        require_columns(part, ["date", "users"], "active users")
        parts.append(
            pd.DataFrame(
                {
                    "date": time_labels(part["date"], "day"),
                    "series": name,
                    "users": part["users"].astype("int64"),
                }
            )
        )
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"date": [], "series": [], "users": []})
    )
    check_rows(out, "active users")
    return out


def build_active_users_chart(
    frame: pd.DataFrame, *, title: str = "Active users (DAU, WAU, MAU)"
) -> alt.Chart:
    """Lines of daily, weekly and monthly active users (``active_users_frame`` output)."""
    require_columns(frame, ["date", "series", "users"], "active users")
    order = [s for s in ("DAU", "WAU", "MAU") if s in set(frame["series"])]
    order += sorted(set(frame["series"]) - set(order))
    result: alt.Chart = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=day_axis(),
            y=alt.Y("users:Q", title="Active users", axis=alt.Axis(format=",d")),
            color=alt.Color("series:N", title="Window", sort=order),
            tooltip=[
                alt.Tooltip("date:N", title="Date"),
                alt.Tooltip("series:N", title="Window"),
                alt.Tooltip("users:Q", title="Active users", format=",d"),
            ],
        )
        .properties(title=title, height=300, width="container")
    )
    return result


def build_dau_mau_chart(frame: pd.DataFrame, *, title: str = "DAU/MAU (stickiness)") -> alt.Chart:
    """DAU/MAU ratio per day (:func:`prodops.metrics.dau_mau` output: ``date, dau, mau, ratio``)."""
    require_columns(frame, ["date", "dau", "mau", "ratio"], "DAU/MAU")
    data = pd.DataFrame(
        {
            "date": time_labels(frame["date"], "day"),
            "dau": frame["dau"].astype("int64"),
            "mau": frame["mau"].astype("int64"),
            "ratio": as_floats(frame["ratio"]),
        }
    )
    check_rows(data, "DAU/MAU")
    result: alt.Chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2, color="#9467bd")
        .encode(
            x=day_axis(),
            y=alt.Y("ratio:Q", title="DAU / MAU", axis=alt.Axis(format=".0%")),
            tooltip=[
                alt.Tooltip("date:N", title="Date"),
                alt.Tooltip("ratio:Q", title="DAU/MAU", format=".1%"),
                alt.Tooltip("dau:Q", title="DAU", format=",d"),
                alt.Tooltip("mau:Q", title="MAU", format=",d"),
            ],
        )
        .properties(title=title, height=260, width="container")
    )
    return result


def build_stickiness_chart(
    frame: pd.DataFrame,
    *,
    period: str = "day",
    period_count: int = 1,
    cumulative: bool = False,
    title: str = "Stickiness",
) -> alt.Chart:
    """Histogram: users active in exactly (or at least) n periods of the range."""
    require_columns(frame, ["active_periods", "users", "buckets_total"], "stickiness")
    total = int(frame["users"].max() if cumulative else frame["users"].sum()) if len(frame) else 0
    data = pd.DataFrame(
        {
            "active_periods": frame["active_periods"].astype("int64"),
            "users": frame["users"].astype("int64"),
            "share": frame["users"].astype("float64") / total if total else 0.0,
        }
    )
    check_rows(data, "stickiness")
    buckets = int(frame["buckets_total"].iloc[0]) if len(frame) else 0
    unit = period_unit(period, period_count).lower()
    how = "at least" if cumulative else "exactly"
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X(
                "active_periods:O",
                title=f"Active in {how} n {unit}s (of {buckets})",
                axis=alt.Axis(labelAngle=0, labelOverlap=True),
            ),
            y=alt.Y("users:Q", title="Users", axis=alt.Axis(format=",d")),
            tooltip=[
                alt.Tooltip("active_periods:O", title=f"Active {unit}s"),
                alt.Tooltip("users:Q", title="Users", format=",d"),
                alt.Tooltip("share:Q", title="Share of users", format=".1%"),
            ],
        )
        .properties(title=title, height=280, width="container")
    )
    return result


def lifecycle_frame(frame: pd.DataFrame, *, period: str = "week") -> pd.DataFrame:
    """Long frame ``start, status, users, pulse_ratio``; ``dormant`` negative (drawn below zero)."""
    require_columns(
        frame, ["start", "new", "returning", "resurrecting", "dormant", "pulse_ratio"], "lifecycle"
    )
    labels = time_labels(frame["start"], period)
    parts = []
    for status in LIFECYCLE_COLOURS:
        sign = -1 if status == "dormant" else 1
        parts.append(
            pd.DataFrame(
                {
                    "start": labels,
                    "status": status,
                    "users": sign * frame[status].astype("int64"),
                    "pulse_ratio": as_floats(frame["pulse_ratio"]),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    check_rows(out, "lifecycle")
    return out


def build_lifecycle_chart(
    frame: pd.DataFrame, *, period: str = "week", title: str = "Lifecycle"
) -> alt.Chart:
    """Stacked bars of new / returning / resurrecting users, dormant users below zero."""
    data = lifecycle_frame(frame, period=period)
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=period_axis("start", period),
            y=alt.Y("sum(users):Q", title="Users (dormant below zero)", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(
                    domain=list(LIFECYCLE_COLOURS), range=list(LIFECYCLE_COLOURS.values())
                ),
            ),
            order=alt.Order("status_order:Q"),
            tooltip=[
                alt.Tooltip("start:N", title=period_unit(period)),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("users:Q", title="Users", format=",d"),
                alt.Tooltip("pulse_ratio:Q", title="Pulse ratio", format=".2f"),
            ],
        )
        .transform_calculate(
            status_order="indexof(['new','resurrecting','returning','dormant'], datum.status)"
        )
        .properties(
            title=alt.Title(title, subtitle="Dormant: active in the previous period, not in this"),
            height=320,
            width="container",
        )
    )
    return result


def build_pulse_chart(
    frame: pd.DataFrame, *, period: str = "week", title: str = "Pulse ratio"
) -> alt.Chart:
    """Line of the pulse ratio (new + resurrecting) / dormant per period; 1 = break-even."""
    require_columns(frame, ["start", "pulse_ratio"], "pulse ratio")
    data = pd.DataFrame(
        {
            "start": time_labels(frame["start"], period),
            "pulse_ratio": as_floats(frame["pulse_ratio"]),
        }
    )
    check_rows(data, "pulse ratio")
    # One plain chart: Streamlit squashed the layered version (line + rule at 1) to a sliver.
    result: alt.Chart = (
        alt.Chart(data)
        .mark_line(point=True, color="#ff7f0e")
        .encode(
            x=period_axis("start", period),
            y=alt.Y("pulse_ratio:Q", title="Pulse ratio", scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("start:N", title=period_unit(period)),
                alt.Tooltip("pulse_ratio:Q", title="Pulse ratio", format=".2f"),
            ],
        )
        .properties(
            title=alt.Title(
                title, subtitle="(new + resurrecting) / dormant; above 1 the active base grows"
            ),
            height=300,
            width="container",
        )
    )
    return result


def build_churn_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "User churn"
) -> alt.Chart:
    """Bars of user churn per period (:func:`prodops.metrics.churn` output)."""
    require_columns(frame, ["period", "active_start", "churned", "churn_rate"], "churn")
    data = pd.DataFrame(
        {
            "period": time_labels(frame["period"], period),
            "active_start": frame["active_start"].astype("int64"),
            "churned": frame["churned"].astype("int64"),
            "churn_rate": as_floats(frame["churn_rate"]),
        }
    )
    check_rows(data, "churn")
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar(color="#d62728")
        .encode(
            x=period_axis("period", period),
            y=alt.Y("churn_rate:Q", title="Churn rate", axis=alt.Axis(format=".0%")),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("churn_rate:Q", title="Churn rate", format=".1%"),
                alt.Tooltip("churned:Q", title="Users churned", format=",d"),
                alt.Tooltip("active_start:Q", title="Active in the previous period", format=",d"),
            ],
        )
        .properties(
            title=alt.Title(
                title, subtitle="Active in the previous period, not in this one / active before"
            ),
            height=280,
            width="container",
        )
    )
    return result
