"""Altair charts of the engagement page: active users, DAU/MAU, stickiness, lifecycle, churn.

Each ``build_*_chart`` takes the frame of its :mod:`prodops.metrics` function (``*_frame`` reshapes
it where the chart needs a long format); labels, axes and row checks come from
:mod:`prodops.metrics.charts`.

Periods in progress (their ``complete`` flag is false: they end after the data end) are drawn
distinctly: lighter bars, dashed line segments, "in progress" in the tooltip and a subtitle that
names the data end. A frame without ``complete`` is drawn as complete. The helpers that do it
are in :mod:`prodops.metrics.progress_marks`; charts broken down by a property in
:mod:`prodops.metrics.breakdown_charts`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from prodops.metrics.breakdown_charts import build_churn_breakdown_chart
from prodops.metrics.charts import (
    as_floats,
    check_rows,
    count_axis,
    day_axis,
    day_span,
    percent_axis,
    period_axis,
    period_unit,
    require_columns,
    stacked_extent,
    time_labels,
)
from prodops.metrics.progress_marks import (
    PROGRESS_TOOLTIP,
    _note,
    joined_segments,
    progress,
    progress_dash,
    progress_opacity,
    titled,
)

LIFECYCLE_COLOURS: dict[str, str] = {
    "new": "#2ca02c",
    "returning": "#1f77b4",
    "resurrecting": "#ff7f0e",
    "dormant": "#d62728",
}


def active_users_frame(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long frame ``date, series, users, complete`` from ``{"DAU": frame, "WAU": ..., ...}``.

    Each frame is :func:`prodops.metrics.active_users` output (``date, users, complete``); the
    data end recorded on them is kept in ``attrs``.
    """
    parts = []
    for name, part in series.items():
        require_columns(part, ["date", "users"], "active users")
        flags = part["complete"] if "complete" in part.columns else pd.Series(True, part.index)
        parts.append(
            pd.DataFrame(
                {
                    "date": time_labels(part["date"], "day"),
                    "series": name,
                    "users": part["users"].astype("int64"),
                    "complete": flags.astype(bool),
                }
            )
        )
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"date": [], "series": [], "users": [], "complete": []})
    )
    check_rows(out, "active users")
    for part in series.values():
        out.attrs.update(part.attrs)
    return out


def build_active_users_chart(
    frame: pd.DataFrame,
    *,
    title: str = "Active users (DAU, WAU, MAU)",
    legend: str = "Window",
) -> alt.Chart:
    """Lines of daily, weekly and monthly active users (``active_users_frame`` output), or of
    the values of a breakdown (``active_users_frame(breakdown_parts(frame))``, *legend* naming
    the column).

    Days in progress are the dashed end of each line.
    """
    require_columns(frame, ["date", "series", "users"], "active users")
    order = [s for s in ("DAU", "WAU", "MAU") if s in set(frame["series"])]
    order += [s for s in dict.fromkeys(frame["series"]) if s not in order]  # given order
    data = frame[["date", "series", "users"]].assign(progress=progress(frame))
    data = joined_segments(data, by=["series"], order="date")
    result: alt.Chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=day_axis(days=day_span(data["date"])),
            y=alt.Y("users:Q", title="Active users", axis=count_axis(data["users"])),
            color=alt.Color("series:N", title=legend, sort=order),
            strokeDash=progress_dash(data),
            tooltip=[
                alt.Tooltip("date:N", title="Date"),
                alt.Tooltip("series:N", title=legend),
                alt.Tooltip("users:Q", title="Active users", format=",d"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(title=titled(title, _note(frame, "dashed")), height=300, width="container")
    )
    return result


def build_dau_mau_chart(frame: pd.DataFrame, *, title: str = "DAU/MAU (stickiness)") -> alt.Chart:
    """DAU/MAU ratio per day (:func:`prodops.metrics.dau_mau` output: ``date, dau, mau, ratio``).

    The day in progress is the dashed end of the line.
    """
    require_columns(frame, ["date", "dau", "mau", "ratio"], "DAU/MAU")
    data = pd.DataFrame(
        {
            "date": time_labels(frame["date"], "day"),
            "dau": frame["dau"].astype("int64"),
            "mau": frame["mau"].astype("int64"),
            "ratio": as_floats(frame["ratio"]),
            "progress": progress(frame),
        }
    )
    check_rows(data, "DAU/MAU")
    data = joined_segments(data.assign(line="DAU/MAU"), by=["line"], order="date")
    result: alt.Chart = (
        alt.Chart(data.drop(columns="line"))
        .mark_line(strokeWidth=2, color="#9467bd")
        .encode(
            x=day_axis(days=day_span(data["date"])),
            y=alt.Y("ratio:Q", title="DAU / MAU", axis=percent_axis()),
            strokeDash=progress_dash(data),
            tooltip=[
                alt.Tooltip("date:N", title="Date"),
                alt.Tooltip("ratio:Q", title="DAU/MAU", format=".1%"),
                alt.Tooltip("dau:Q", title="DAU", format=",d"),
                alt.Tooltip("mau:Q", title="MAU", format=",d"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(title=titled(title, _note(frame, "dashed")), height=260, width="container")
    )
    return result


def _stickiness_note(frame: pd.DataFrame, unit: str, counted: int, total: int) -> str | None:
    """Which periods the histogram counts, when that is not simply all of them."""
    done = (
        int(frame["buckets_complete"].iloc[0])
        if "buckets_complete" in frame and len(frame)
        else counted
    )
    late = total - done
    some = f"the {unit} in progress" if late == 1 else f"the {late} {unit}s in progress"
    if "complete" in frame.columns and len(frame) and not bool(frame["complete"].iloc[0]):
        return f"Counts all {total} {unit}s, {some} too"
    if counted == total:
        return None
    verb = "is" if late == 1 else "are"
    return f"Counts the {counted} complete {unit}s of {total}: {some} {verb} left out"


def build_stickiness_chart(
    frame: pd.DataFrame,
    *,
    period: str = "day",
    period_count: int = 1,
    cumulative: bool = False,
    title: str = "Stickiness",
) -> alt.Chart:
    """Histogram: users active in exactly (or at least) n of the periods counted.

    :func:`prodops.metrics.stickiness` counts the complete periods of the range unless asked to
    count the one in progress too; the subtitle says which (from ``buckets_total`` and
    ``buckets_complete``).
    """
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
    buckets = int(
        frame.attrs.get("buckets_total", frame["buckets_total"].max() if len(frame) else 0)
    )
    # New frames hold one row per period counted; older ones counted every period of the range.
    counted = len(frame) if "buckets_complete" in frame.columns else buckets
    unit = period_unit(period, period_count).lower()
    how = "at least" if cumulative else "exactly"
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X(
                "active_periods:O",
                title=f"Active in {how} n {unit}s (of {counted})",
                axis=alt.Axis(labelAngle=0, labelOverlap=True),
            ),
            y=alt.Y("users:Q", title="Users", axis=count_axis(data["users"])),
            tooltip=[
                alt.Tooltip("active_periods:O", title=f"Active {unit}s"),
                alt.Tooltip("users:Q", title="Users", format=",d"),
                alt.Tooltip("share:Q", title="Share of users", format=".1%"),
            ],
        )
        .properties(
            title=titled(title, _stickiness_note(frame, unit, counted, buckets)),
            height=280,
            width="container",
        )
    )
    return result


def lifecycle_frame(frame: pd.DataFrame, *, period: str = "week") -> pd.DataFrame:
    """Long frame ``start, status, users, pulse_ratio, complete``; ``dormant`` negative (drawn
    below zero)."""
    require_columns(
        frame, ["start", "new", "returning", "resurrecting", "dormant", "pulse_ratio"], "lifecycle"
    )
    labels = time_labels(frame["start"], period)
    flags = frame["complete"] if "complete" in frame.columns else pd.Series(True, frame.index)
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
                    "complete": flags.astype(bool),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    check_rows(out, "lifecycle")
    out.attrs.update(frame.attrs)
    return out


def build_lifecycle_chart(
    frame: pd.DataFrame, *, period: str = "week", title: str = "Lifecycle"
) -> alt.Chart:
    """Stacked bars of new / returning / resurrecting users, dormant users below zero.

    The bars of a period in progress are lighter (its dormant count is still growing).
    """
    data = lifecycle_frame(frame, period=period)
    data = data.assign(progress=progress(data))
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=period_axis("start", period),
            y=alt.Y(
                "sum(users):Q",
                title="Users (dormant below zero)",
                axis=count_axis(stacked_extent(data, by="start", value="users")),
            ),
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(
                    domain=list(LIFECYCLE_COLOURS), range=list(LIFECYCLE_COLOURS.values())
                ),
            ),
            opacity=progress_opacity(data),
            order=alt.Order("status_order:Q"),
            tooltip=[
                alt.Tooltip("start:N", title=period_unit(period)),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("users:Q", title="Users", format=",d"),
                alt.Tooltip("pulse_ratio:Q", title="Pulse ratio", format=".2f"),
                PROGRESS_TOOLTIP,
            ],
        )
        .transform_calculate(
            status_order="indexof(['new','resurrecting','returning','dormant'], datum.status)"
        )
        .properties(
            title=titled(
                title,
                "Dormant: active in the previous period, not in this",
                _note(data, "lighter bars"),
            ),
            # tall enough for the rotated y title under two subtitle lines (else it is clipped)
            height=360,
            width="container",
        )
    )
    return result


def build_pulse_chart(
    frame: pd.DataFrame, *, period: str = "week", title: str = "Pulse ratio"
) -> alt.Chart:
    """Line of the pulse ratio (new + resurrecting) / dormant per period; 1 = break-even.

    The period in progress is the dashed end of the line.
    """
    require_columns(frame, ["start", "pulse_ratio"], "pulse ratio")
    data = pd.DataFrame(
        {
            "start": time_labels(frame["start"], period),
            "pulse_ratio": as_floats(frame["pulse_ratio"]),
            "progress": progress(frame),
        }
    )
    check_rows(data, "pulse ratio")
    data = joined_segments(data.assign(line="pulse"), by=["line"], order="start")
    # One plain chart: Streamlit squashed the layered version (line + rule at 1) to a sliver.
    result: alt.Chart = (
        alt.Chart(data.drop(columns="line"))
        .mark_line(point=alt.OverlayMarkDef(color="#ff7f0e"), color="#ff7f0e")
        .encode(
            x=period_axis("start", period),
            y=alt.Y("pulse_ratio:Q", title="Pulse ratio", scale=alt.Scale(zero=False)),
            strokeDash=progress_dash(data),
            tooltip=[
                alt.Tooltip("start:N", title=period_unit(period)),
                alt.Tooltip("pulse_ratio:Q", title="Pulse ratio", format=".2f"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(
            title=titled(
                title,
                "(new + resurrecting) / dormant; above 1 the active base grows",
                _note(frame, "dashed"),
            ),
            height=300,
            width="container",
        )
    )
    return result


def build_churn_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "User churn"
) -> alt.Chart:
    """Bars of user churn per period (:func:`prodops.metrics.churn` output); with a breakdown
    (a ``breakdown`` column), one line per value (:func:`build_churn_breakdown_chart`).

    The bar of a period in progress is lighter (users may still come back in it).
    """
    if "breakdown" in frame.columns:
        return build_churn_breakdown_chart(frame, period=period, title=title)
    require_columns(frame, ["period", "active_start", "churned", "churn_rate"], "churn")
    data = pd.DataFrame(
        {
            "period": time_labels(frame["period"], period),
            "active_start": frame["active_start"].astype("int64"),
            "churned": frame["churned"].astype("int64"),
            "churn_rate": as_floats(frame["churn_rate"]),
            "progress": progress(frame),
        }
    )
    check_rows(data, "churn")
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar(color="#d62728")
        .encode(
            x=period_axis("period", period),
            y=alt.Y("churn_rate:Q", title="Churn rate", axis=percent_axis()),
            opacity=progress_opacity(data),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
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
                _note(frame, "lighter bars"),
            ),
            height=280,
            width="container",
        )
    )
    return result
