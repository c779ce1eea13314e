"""Altair charts of the Retention page: the cohort heatmap, the retention curves, the breakdown
chart and the retention table, built on the shared helpers of :mod:`prodops.metrics.charts`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from prodops.metrics.charts import (
    COMPLETE,
    IN_PROGRESS,
    IN_PROGRESS_DASH,
    MISSING_LABEL,
    as_floats,
    check_rows,
    cohort_heatmap,
    count_axis,
    in_progress_subtitle,
    percent_axis,
    period_unit,
    require_columns,
    status_labels,
    time_labels,
)


def retention_heatmap_frame(
    frame: pd.DataFrame, *, period: str = "week", period_count: int = 1
) -> pd.DataFrame:
    """Reshape a :func:`prodops.metrics.retention` frame (one breakdown value) for the heatmap.

    Returns ``cohort_label, column, offset, rate, count, size, complete``: one row per
    observable or unobservable cell (``column`` "Week 0", "Week 1", ...) plus one
    ``column == "size"`` row per cohort that carries the cohort size drawn beside the row (its
    ``complete`` is the cohort's own period's). A frame without ``complete`` counts as complete.
    """
    require_columns(frame, ["cohort", "offset", "size", "count", "rate"], "retention heatmap")
    unit = "Period" if period_count > 1 else period_unit(period)
    flags = frame["complete"] if "complete" in frame.columns else pd.Series(True, frame.index)
    data = pd.DataFrame(
        {
            "cohort_label": time_labels(frame["cohort"], period),
            "column": unit + " " + frame["offset"].astype(int).astype(str),
            "offset": frame["offset"].astype(int),
            "rate": as_floats(frame["rate"]),
            "count": as_floats(frame["count"]),
            "size": frame["size"].astype("int64"),
            "complete": flags.astype(bool),
        }
    ).sort_values(["cohort_label", "offset"], kind="stable")
    sizes = data.drop_duplicates("cohort_label").assign(column="size", offset=-1)
    out = pd.concat([data, sizes], ignore_index=True)
    check_rows(out, "retention heatmap")
    return out


def build_retention_heatmap_chart(
    frame: pd.DataFrame,
    *,
    period: str = "week",
    period_count: int = 1,
    title: str = "Retention by cohort",
) -> alt.LayerChart:
    """Cohort heatmap: % retained in each cell, cohort sizes beside the rows, blank = unobservable.

    Cells of periods in progress are lighter with a dashed outline; the subtitle says so and
    names the data end (``frame.attrs["data_end"]``).

    Parameters
    ----------
    frame : DataFrame
        :func:`prodops.metrics.retention` output for one breakdown value (``cohort, size, offset,
        count, rate``).
    period, period_count : str, int
        The retention period, used for the labels.
    """
    data = retention_heatmap_frame(frame, period=period, period_count=period_count)
    unit = period_unit(period, period_count)
    observable = frame[frame["count"].notna()] if "count" in frame.columns else frame
    return cohort_heatmap(
        data,
        value_title="Retained",
        size_title="Users",
        size_format=",d",
        x_title=f"{unit}s since the start event",
        title=title,
        count_title="Users retained",
        count_format=",d",
        subtitle=in_progress_subtitle(observable, "lighter, dashed cells"),
    )


# --- retention curves ----------------------------------------------------------------------------

# The cohort legend beside the curves lists every cohort, in columns of at most LEGEND_ROWS
# (up to LEGEND_MAX_COLUMNS of them), and the chart grows tall enough for it and the "Period"
# legend: Streamlit fits a chart into its height, and cut the rest of a taller legend off
# without a word (11 of 30 cohorts). Past what fits, the last entry says "…N entries".
LEGEND_ROWS = 12
LEGEND_MAX_COLUMNS = 3
LEGEND_ROW_PX = 21  # one entry in Streamlit's legend font (14 px) with its row padding
LEGEND_EXTRA_PX = 180  # the legend titles, the "Period" legend and the chart's titles
CURVES_HEIGHT_PX = 320


def retention_curves_frame(
    frame: pd.DataFrame, average: pd.DataFrame, *, period: str = "week"
) -> pd.DataFrame:
    """Long frame ``series, offset, rate, is_average, status`` of each cohort's curve and the
    average, one row per drawn point.

    ``status`` is "complete" or "in progress" (the cell's period ends after the data end). A
    cohort's in-progress points form their own segment, which also repeats the last complete
    point so the dashed part joins the solid one. The average's points are all "complete": the
    caller passes :func:`prodops.metrics.retention_average` output, which leaves cells in progress
    out unless asked to count them.
    """
    require_columns(frame, ["cohort", "offset", "rate"], "retention curves")
    require_columns(average, ["offset", "rate"], "retention curves")
    flags = frame["complete"] if "complete" in frame.columns else pd.Series(True, frame.index)
    cohorts = pd.DataFrame(
        {
            "series": time_labels(frame["cohort"], period),
            "offset": frame["offset"].astype(int),
            "rate": as_floats(frame["rate"]),
            "is_average": False,
            "status": status_labels(flags).to_numpy(),
        }
    ).dropna(subset=["rate"])
    avg = pd.DataFrame(
        {
            "series": "Weighted average",
            "offset": average["offset"].astype(int),
            "rate": as_floats(average["rate"]),
            "is_average": True,
            "status": COMPLETE,
        }
    ).dropna(subset=["rate"])
    out = pd.concat([cohorts, _joints(cohorts), avg], ignore_index=True)
    out = out.sort_values(["is_average", "series", "status", "offset"], kind="stable")
    check_rows(out, "retention curves")
    return out.reset_index(drop=True)


def _joints(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Each cohort's last complete point, again, as the first point of its in-progress segment."""
    late = set(cohorts.loc[cohorts["status"] == IN_PROGRESS, "series"])
    done = cohorts[(cohorts["status"] == COMPLETE) & cohorts["series"].isin(late)]
    last = done.sort_values("offset").groupby("series", sort=False).tail(1)
    return last.assign(status=IN_PROGRESS)


def build_retention_curves_chart(
    frame: pd.DataFrame,
    average: pd.DataFrame,
    *,
    period: str = "week",
    period_count: int = 1,
    title: str = "Retention curves",
    average_includes_incomplete: bool = False,
) -> alt.LayerChart:
    """One thin line per cohort (dashed where its periods are in progress) and a thick line for
    the size-weighted average.

    *average* is :func:`prodops.metrics.retention_average` output; say whether it counted the
    cells in progress (*average_includes_incomplete*) so the subtitle states it.
    """
    data = retention_curves_frame(frame, average, period=period)
    unit = period_unit(period, period_count)
    x = alt.X("offset:Q", title=f"{unit}s since the start event", axis=count_axis(data["offset"]))
    y = alt.Y("rate:Q", title="Users retained", axis=percent_axis())
    tooltip = [
        alt.Tooltip("series:N", title="Cohort"),
        alt.Tooltip("offset:Q", title=unit),
        alt.Tooltip("rate:Q", title="Retained", format=".1%"),
        alt.Tooltip("status:N", title="Status"),
    ]
    cohorts = (
        alt.Chart(data)
        .transform_filter("!datum.is_average")
        .mark_line(strokeWidth=1.2, opacity=0.45, point=False)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "series:N", title=_cohort_legend_title(data), legend=_cohort_legend(data)
            ),
            strokeDash=alt.StrokeDash(
                "status:N",
                title="Period",
                scale=alt.Scale(domain=[COMPLETE, IN_PROGRESS], range=[[1, 0], IN_PROGRESS_DASH]),
            ),
            detail=alt.Detail("series:N"),
            tooltip=tooltip,
        )
    )
    avg = (
        alt.Chart(data)
        .transform_filter("datum.is_average")
        .mark_line(strokeWidth=4, color="#e45756", point=alt.OverlayMarkDef(size=50))
        .encode(x=x, y=y, tooltip=tooltip)
    )
    counted = "periods in progress included" if average_includes_incomplete else "complete periods"
    subtitle = [f"Thick red line: average weighted by cohort size ({counted})"]
    if (data["status"] == IN_PROGRESS).any():
        subtitle.append("Dashed: in progress (the period ends after the data end)")
    columns, limit = _legend_limit(_cohort_count(data))
    rows = -(-min(_cohort_count(data), limit) // columns)
    return alt.LayerChart(
        layer=[cohorts, avg],
        title=alt.Title(title, subtitle=subtitle),
        height=max(CURVES_HEIGHT_PX, rows * LEGEND_ROW_PX + LEGEND_EXTRA_PX),
        width="container",
    )


def _cohort_count(data: pd.DataFrame) -> int:
    return int(data.loc[~data["is_average"].astype(bool), "series"].nunique())


def _legend_limit(cohorts: int) -> tuple[int, int]:
    """(columns, entries) of the cohort legend: all cohorts in up to
    :data:`LEGEND_MAX_COLUMNS` columns of :data:`LEGEND_ROWS`, else as many as fit."""
    columns = min(LEGEND_MAX_COLUMNS, max(1, -(-cohorts // LEGEND_ROWS)))
    return columns, columns * LEGEND_ROWS


def _cohort_legend(data: pd.DataFrame) -> alt.Legend:
    """Every cohort in columns; past what fits, Vega's last entry says "…N entries" and the
    title says how many are listed. Symbols opaque and thicker than the faint lines."""
    columns, limit = _legend_limit(_cohort_count(data))
    return alt.Legend(
        columns=columns,
        symbolLimit=limit,
        symbolOpacity=1.0,
        symbolStrokeWidth=2.5,
        labelOverlap=False,
    )


def _cohort_legend_title(data: pd.DataFrame) -> str:
    """ "Cohort", or "Cohort (first 39 of 60)" when the legend cannot list them all."""
    cohorts = _cohort_count(data)
    _columns, limit = _legend_limit(cohorts)
    if cohorts <= limit:
        return "Cohort"
    return f"Cohort (first {limit - 1} of {cohorts})"


def retention_breakdown_frame(
    frame: pd.DataFrame, *, include_incomplete: bool = False
) -> pd.DataFrame:
    """Long frame ``value, label, offset, rate, users`` of one average curve per breakdown value.

    Each value's curve is its cohorts' size-weighted average
    (:func:`prodops.metrics.retention_average`: complete cells only unless
    *include_incomplete*); ``users`` is the value's total cohort size and ``label`` says it
    ("pro · 120 users"). Values keep the metric's order (largest first, "other" last).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"breakdown": ["pro", "pro", "team", "team"],
    ...     "cohort": pd.to_datetime(["2024-01-01"] * 4, utc=True), "size": [4, 4, 2, 2],
    ...     "offset": [0, 1, 0, 1], "count": [4, 1, 2, 2], "rate": [1.0, 0.25, 1.0, 1.0],
    ...     "complete": [True] * 4})
    >>> retention_breakdown_frame(r)[["label", "offset", "rate"]]
               label  offset  rate
    0  pro · 4 users       0  1.00
    1  pro · 4 users       1  0.25
    2  team · 2 users      0  1.00
    3  team · 2 users      1  1.00
    """
    require_columns(frame, ["breakdown", "cohort", "size", "offset", "rate"], "retention curves")
    from prodops.metrics.retention import retention_average

    average = retention_average(frame, include_incomplete=include_incomplete)
    values = [MISSING_LABEL if v is None or v != v else str(v) for v in average["breakdown"]]
    cohorts = frame.drop_duplicates(["breakdown", "cohort"])
    sizes = {
        (MISSING_LABEL if k is None or k != k else str(k)): int(v)
        for k, v in cohorts.groupby("breakdown", dropna=False, sort=False)["size"].sum().items()
    }
    out = pd.DataFrame(
        {
            "value": values,
            "label": [f"{v} · {_users(sizes.get(v, 0))}" for v in values],
            "offset": average["offset"].astype(int).to_numpy(),
            "rate": as_floats(average["rate"]).to_numpy(),
            "users": [sizes.get(v, 0) for v in values],
        }
    ).dropna(subset=["rate"])
    check_rows(out, "retention curves")
    return out.reset_index(drop=True)


def _users(n: int) -> str:
    return f"{n:,} user{'s' * (n != 1)}"


def build_retention_breakdown_chart(
    frame: pd.DataFrame,
    *,
    breakdown: str,
    period: str = "week",
    period_count: int = 1,
    include_incomplete: bool = False,
    title: str = "Retention by value",
) -> alt.Chart:
    """One line per breakdown value (its size-weighted average curve), the values side by side.

    *frame* is :func:`prodops.metrics.retention` output with a breakdown; the lines come from
    :func:`retention_breakdown_frame` (the headless twin).
    """
    data = retention_breakdown_frame(frame, include_incomplete=include_incomplete)
    unit = period_unit(period, period_count)
    counted = "periods in progress included" if include_incomplete else "complete periods"
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=40))
        .encode(
            x=alt.X(
                "offset:Q", title=f"{unit}s since the start event", axis=count_axis(data["offset"])
            ),
            y=alt.Y("rate:Q", title="Users retained", axis=percent_axis()),
            color=alt.Color("label:N", title=breakdown, sort=list(dict.fromkeys(data["label"]))),
            tooltip=[
                alt.Tooltip("value:N", title=breakdown),
                alt.Tooltip("users:Q", title="Users in the cohorts", format=","),
                alt.Tooltip("offset:Q", title=unit),
                alt.Tooltip("rate:Q", title="Retained", format=".1%"),
            ],
        )
        .properties(
            title=alt.Title(
                title, subtitle=[f"Each line: the value's cohorts weighted by size ({counted})"]
            ),
            height=320,
            width="container",
        )
    )
    return chart


# --- tables --------------------------------------------------------------------------------------


def retention_table_in_progress(
    frame: pd.DataFrame, *, period: str = "week", period_count: int = 1
) -> pd.DataFrame:
    """Which cells of :func:`retention_table` are in progress: a boolean frame of its shape.

    A cell is in progress when it has a value and its period ends after the data end (the
    ``complete`` column of :func:`prodops.metrics.retention`); frames without the column have
    none.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "cohort": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-08"]),
    ...     "offset": [0, 1, 0, 1], "size": [2, 2, 1, 1], "rate": [1.0, 0.5, 1.0, None],
    ...     "complete": [True, False, False, False]})
    >>> mask = retention_table_in_progress(frame)
    >>> mask[["Users", "Week 0", "Week 1"]].to_dict("list")
    {'Users': [False, False], 'Week 0': [False, True], 'Week 1': [True, False]}
    """
    table = retention_table(frame, period=period, period_count=period_count)
    if "complete" not in frame.columns:
        return pd.DataFrame(False, index=table.index, columns=table.columns)
    marks = frame.assign(rate=frame["complete"].astype(bool).map({True: 0.0, False: 1.0}))
    marks.loc[frame["rate"].isna().to_numpy(), "rate"] = 0.0
    shape = retention_table(marks, period=period, period_count=period_count)
    mask = shape.iloc[:, 2:].fillna(0.0) > 0.5
    mask.insert(0, "Users", False)
    mask.insert(0, "Cohort", False)
    return mask


def retention_table_view(
    frame: pd.DataFrame, *, period: str = "week", period_count: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`retention_table` and :func:`retention_table_in_progress` of *frame*, together."""
    return (
        retention_table(frame, period=period, period_count=period_count),
        retention_table_in_progress(frame, period=period, period_count=period_count),
    )


def retention_table(
    frame: pd.DataFrame, *, period: str = "week", period_count: int = 1
) -> pd.DataFrame:
    """The retention matrix as a wide table: ``Cohort, Users, <Week 0>, <Week 1>, ...`` (rates).

    Unobservable cells stay empty (NaN), as in the heatmap.
    """
    require_columns(frame, ["cohort", "offset", "size", "rate"], "retention table")
    unit = "Period" if period_count > 1 else period_unit(period)
    data = pd.DataFrame(
        {
            "Cohort": time_labels(frame["cohort"], period),
            "Users": frame["size"].astype("int64"),
            "column": frame["offset"].astype(int),
            "rate": as_floats(frame["rate"]),
        }
    )
    order = list(dict.fromkeys(data["Cohort"]))
    wide = data.pivot(index="Cohort", columns="column", values="rate").reindex(order)
    wide = wide.reindex(columns=sorted(set(data["column"])))
    wide.columns = [f"{unit} {c}" for c in wide.columns]
    sizes = data.drop_duplicates("Cohort").set_index("Cohort")["Users"]
    wide.insert(0, "Users", sizes.reindex(order).to_numpy())
    return wide.reset_index()
