"""Altair charts of the insight pages: ``build_*_chart(frame, ...)`` (pure; no Streamlit).

Every chart takes the small, already aggregated frame that a :mod:`prodops.metrics` function
returns (its "headless twin": the page, the downloads and the tests use the same frame) and returns
an Altair chart with titles, axis formats and tooltips. Frames are never re-aggregated here beyond
reshaping (long format, labels); a frame over :data:`MAX_CHART_ROWS` rows is refused with a clear
error rather than embedded in the page.

Time labels are formatted here as text in the analysis time zone (the metric frames carry
zone-aware timestamps), so a browser in another zone never shifts a day or a cohort.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import altair as alt
import pandas as pd

from prodops.errors import ParameterError

MAX_CHART_ROWS = 5000
HEATMAP_SCHEME: Final = (
    "viridis"  # perceptually uniform; dark cells get white text, light cells black
)
ROW_HEIGHT_PX = 24
# A mid grey that reads on white and on Streamlit's dark background (text drawn outside cells).
NEUTRAL_TEXT = "#808495"

LIFECYCLE_COLOURS: dict[str, str] = {
    "new": "#2ca02c",
    "returning": "#1f77b4",
    "resurrecting": "#ff7f0e",
    "dormant": "#d62728",
}
MOVEMENT_COLOURS: dict[str, str] = {
    "new": "#2ca02c",
    "expansion": "#98df8a",
    "reactivation": "#17becf",
    "contraction": "#ff9896",
    "churn": "#d62728",
}
_UNIT = {"hour": "Hour", "day": "Day", "week": "Week", "month": "Month", "quarter": "Quarter"}
_TIME_FORMAT = {
    "hour": "%Y-%m-%d %H:00",
    "day": "%Y-%m-%d",
    "week": "%Y-%m-%d",
    "month": "%Y-%m",
    "quarter": "%Y-%m",
}


# --- labels and checks ---------------------------------------------------------------------------


def period_unit(period: str, period_count: int = 1) -> str:
    """Return the name of one period, as a column or axis label ("Week", "2-week period").

    Examples
    --------
    >>> period_unit("week"), period_unit("day", 30)
    ('Week', '30-day period')
    """
    if period_count > 1:
        return f"{period_count}-{period} period"
    return _UNIT.get(period, period.capitalize())


def time_labels(values: pd.Series, period: str = "day") -> pd.Series:
    """Return *values* (timestamps) as text labels at the precision of *period*.

    Examples
    --------
    >>> time_labels(pd.Series(pd.to_datetime(["2024-03-01"])), "month").tolist()
    ['2024-03']
    """
    stamps = pd.to_datetime(values)
    if period == "quarter":
        return stamps.dt.year.astype(str) + "-Q" + stamps.dt.quarter.astype(str)
    return stamps.dt.strftime(_TIME_FORMAT.get(period, "%Y-%m-%d"))


def _check_rows(frame: pd.DataFrame, what: str) -> None:
    if len(frame) > MAX_CHART_ROWS:
        raise ParameterError(
            f"the {what} chart would draw {len(frame):,} points (at most {MAX_CHART_ROWS:,})",
            fix="Narrow the date range or choose a longer period.",
        )


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"the {what} chart needs the column(s) {', '.join(missing)}")


def _floats(series: pd.Series) -> pd.Series:
    """Nullable numbers as float64 with NaN (Altair writes NaN as JSON null)."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


# --- cohort heatmaps -----------------------------------------------------------------------------


def _cohort_heatmap(
    data: pd.DataFrame,
    *,
    value_title: str,
    size_title: str,
    size_format: str,
    x_title: str,
    title: str,
    count_title: str,
    count_format: str,
) -> alt.LayerChart:
    """Heatmap of ``data`` (cohort_label, column, rate, count, size): cells, text and sizes.

    Unobservable cells (``rate`` null) are not drawn at all, so they read as blank, not 0 %.
    """
    columns = ["size", *sorted({c for c in data["column"] if c != "size"}, key=_offset_key)]
    cohorts = list(dict.fromkeys(data["cohort_label"]))
    observed = data.loc[data["column"] != "size", "rate"].dropna()
    later = data.loc[(data["column"] != "size") & (data["offset"] > 0), "rate"].dropna()
    top = float(later.max()) if len(later) else float(observed.max()) if len(observed) else 1.0
    top = top if top > 0 else 1.0
    x = alt.X(
        "column:O",
        sort=columns,
        title=x_title,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelExpr="datum.value == 'size' ? " + repr(size_title) + " : datum.value",
        ),
    )
    y = alt.Y("cohort_label:O", sort=cohorts, title="Cohort", axis=alt.Axis(labelLimit=200))
    tooltip = [
        alt.Tooltip("cohort_label:N", title="Cohort"),
        alt.Tooltip("column:N", title="Period"),
        alt.Tooltip("rate:Q", title=value_title, format=".1%"),
        alt.Tooltip("count:Q", title=count_title, format=count_format),
        alt.Tooltip("size:Q", title=size_title, format=size_format),
    ]
    cells = "datum.column != 'size' && isValid(datum.rate)"
    base = alt.Chart(data).encode(x=x, y=y)
    rect = (
        base.transform_filter(cells)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            color=alt.Color(
                "rate:Q",
                title=value_title,
                scale=alt.Scale(scheme=HEATMAP_SCHEME, domain=[0, top], clamp=True),
                legend=alt.Legend(format=".0%", orient="bottom", direction="horizontal"),
            ),
            tooltip=tooltip,
        )
    )
    text = (
        base.transform_filter(cells)
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text("rate:Q", format=".0%"),
            color=alt.condition(
                f"datum.rate >= {0.6 * top:.6g}", alt.value("black"), alt.value("white")
            ),
            tooltip=tooltip,
        )
    )
    sizes = (
        base.transform_filter("datum.column == 'size'")
        .mark_text(fontSize=11, fontWeight="bold", color=NEUTRAL_TEXT)
        .encode(text=alt.Text("size:Q", format=size_format), tooltip=tooltip)
    )
    return alt.LayerChart(
        layer=[rect, text, sizes],
        title=title,
        height=alt.Step(ROW_HEIGHT_PX),
        width="container",
    )


def _offset_key(column: str) -> int:
    return int(column.rsplit(" ", 1)[-1])


def retention_heatmap_frame(
    frame: pd.DataFrame, *, period: str = "week", period_count: int = 1
) -> pd.DataFrame:
    """Reshape a :func:`prodops.metrics.retention` frame (one breakdown value) for the heatmap.

    Returns ``cohort_label, column, offset, rate, count, size``: one row per observable or
    unobservable cell (``column`` "Week 0", "Week 1", ...) plus one ``column == "size"`` row per
    cohort that carries the cohort size drawn beside the row.
    """
    _require(frame, ["cohort", "offset", "size", "count", "rate"], "retention heatmap")
    unit = "Period" if period_count > 1 else period_unit(period)
    data = pd.DataFrame(
        {
            "cohort_label": time_labels(frame["cohort"], period),
            "column": unit + " " + frame["offset"].astype(int).astype(str),
            "offset": frame["offset"].astype(int),
            "rate": _floats(frame["rate"]),
            "count": _floats(frame["count"]),
            "size": frame["size"].astype("int64"),
        }
    ).sort_values(["cohort_label", "offset"], kind="stable")
    sizes = data.drop_duplicates("cohort_label").assign(column="size", offset=-1)
    out = pd.concat([data, sizes], ignore_index=True)
    _check_rows(out, "retention heatmap")
    return out


def build_retention_heatmap_chart(
    frame: pd.DataFrame,
    *,
    period: str = "week",
    period_count: int = 1,
    title: str = "Retention by cohort",
) -> alt.LayerChart:
    """Cohort heatmap: % retained in each cell, cohort sizes beside the rows, blank = unobservable.

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
    return _cohort_heatmap(
        data,
        value_title="Retained",
        size_title="Users",
        size_format=",d",
        x_title=f"{unit}s since the start event",
        title=title,
        count_title="Users retained",
        count_format=",d",
    )


def build_revenue_retention_heatmap_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "Revenue retention by cohort"
) -> alt.LayerChart:
    """Heatmap of :func:`prodops.metrics.revenue_cohorts`: MRR kept by each start cohort.

    Cells show ``revenue_retention`` (MRR at the offset / the cohort's starting MRR; above 100 %
    when expansion outweighs churn); the cohort's starting MRR is drawn beside each row.
    """
    _require(frame, ["cohort", "offset", "mrr", "cohort_mrr", "revenue_retention"], "revenue")
    unit = period_unit(period)
    data = pd.DataFrame(
        {
            "cohort_label": time_labels(frame["cohort"], period),
            "column": unit + " " + frame["offset"].astype(int).astype(str),
            "offset": frame["offset"].astype(int),
            "rate": _floats(frame["revenue_retention"]),
            "count": _floats(frame["mrr"]),
            "size": _floats(frame["cohort_mrr"]),
        }
    ).sort_values(["cohort_label", "offset"], kind="stable")
    sizes = data.drop_duplicates("cohort_label").assign(column="size", offset=-1)
    data = pd.concat([data, sizes], ignore_index=True)
    _check_rows(data, "revenue retention")
    return _cohort_heatmap(
        data,
        value_title="MRR retained",
        size_title="Starting MRR",
        size_format=",.0f",
        x_title=f"{unit}s since the cohort started",
        title=title,
        count_title="MRR",
        count_format=",.0f",
    )


# --- retention curves ----------------------------------------------------------------------------


def retention_curves_frame(
    frame: pd.DataFrame, average: pd.DataFrame, *, period: str = "week"
) -> pd.DataFrame:
    """Long frame ``series, offset, rate, is_average`` of each cohort's curve and the average."""
    _require(frame, ["cohort", "offset", "rate"], "retention curves")
    _require(average, ["offset", "rate"], "retention curves")
    cohorts = pd.DataFrame(
        {
            "series": time_labels(frame["cohort"], period),
            "offset": frame["offset"].astype(int),
            "rate": _floats(frame["rate"]),
            "is_average": False,
        }
    )
    avg = pd.DataFrame(
        {
            "series": "Weighted average",
            "offset": average["offset"].astype(int),
            "rate": _floats(average["rate"]),
            "is_average": True,
        }
    )
    out = pd.concat([cohorts, avg], ignore_index=True).dropna(subset=["rate"])
    _check_rows(out, "retention curves")
    return out


def build_retention_curves_chart(
    frame: pd.DataFrame,
    average: pd.DataFrame,
    *,
    period: str = "week",
    period_count: int = 1,
    title: str = "Retention curves",
) -> alt.LayerChart:
    """One thin line per cohort and a thick line for the size-weighted average."""
    data = retention_curves_frame(frame, average, period=period)
    unit = period_unit(period, period_count)
    x = alt.X("offset:Q", title=f"{unit}s since the start event", axis=alt.Axis(tickMinStep=1))
    y = alt.Y("rate:Q", title="Users retained", axis=alt.Axis(format=".0%"))
    tooltip = [
        alt.Tooltip("series:N", title="Cohort"),
        alt.Tooltip("offset:Q", title=unit),
        alt.Tooltip("rate:Q", title="Retained", format=".1%"),
    ]
    cohorts = (
        alt.Chart(data)
        .transform_filter("!datum.is_average")
        .mark_line(strokeWidth=1.2, opacity=0.45, point=False)
        .encode(x=x, y=y, color=alt.Color("series:N", title="Cohort"), tooltip=tooltip)
    )
    avg = (
        alt.Chart(data)
        .transform_filter("datum.is_average")
        .mark_line(strokeWidth=4, color="#e45756", point=alt.OverlayMarkDef(size=50))
        .encode(x=x, y=y, tooltip=tooltip)
    )
    return alt.LayerChart(
        layer=[cohorts, avg],
        title=alt.Title(title, subtitle="Thick red line: average weighted by cohort size"),
        height=320,
        width="container",
    )


# --- engagement ----------------------------------------------------------------------------------


def active_users_frame(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long frame ``date, label, series, users`` from ``{"DAU": frame, "WAU": ..., "MAU": ...}``.

    Each frame is :func:`prodops.metrics.active_users` output (``date, users``).
    """
    parts = []
    for name, part in series.items():
        _require(part, ["date", "users"], "active users")
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
    _check_rows(out, "active users")
    return out


def _day_axis(field: str = "date", title: str = "Date") -> alt.X:
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %d, %Y", formatType="utc", labelOverlap=True),
    )


def _period_axis(field: str, period: str) -> alt.X:
    """Ordinal x axis of period labels (see :func:`time_labels`), slanted so they fit."""
    return alt.X(
        f"{field}:O",
        title=period_unit(period),
        axis=alt.Axis(labelAngle=-45, labelOverlap=True),
    )


def build_active_users_chart(
    frame: pd.DataFrame, *, title: str = "Active users (DAU, WAU, MAU)"
) -> alt.Chart:
    """Lines of daily, weekly and monthly active users (``active_users_frame`` output)."""
    _require(frame, ["date", "series", "users"], "active users")
    order = [s for s in ("DAU", "WAU", "MAU") if s in set(frame["series"])]
    order += sorted(set(frame["series"]) - set(order))
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=_day_axis(),
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


def build_dau_mau_chart(frame: pd.DataFrame, *, title: str = "DAU/MAU (stickiness)") -> alt.Chart:
    """DAU/MAU ratio per day (:func:`prodops.metrics.dau_mau` output: ``date, dau, mau, ratio``)."""
    _require(frame, ["date", "dau", "mau", "ratio"], "DAU/MAU")
    data = pd.DataFrame(
        {
            "date": time_labels(frame["date"], "day"),
            "dau": frame["dau"].astype("int64"),
            "mau": frame["mau"].astype("int64"),
            "ratio": _floats(frame["ratio"]),
        }
    )
    _check_rows(data, "DAU/MAU")
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2, color="#9467bd")
        .encode(
            x=_day_axis(),
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


def build_stickiness_chart(
    frame: pd.DataFrame,
    *,
    period: str = "day",
    period_count: int = 1,
    cumulative: bool = False,
    title: str = "Stickiness",
) -> alt.Chart:
    """Histogram: users active in exactly (or at least) n periods of the range."""
    _require(frame, ["active_periods", "users", "buckets_total"], "stickiness")
    total = int(frame["users"].max() if cumulative else frame["users"].sum()) if len(frame) else 0
    data = pd.DataFrame(
        {
            "active_periods": frame["active_periods"].astype("int64"),
            "users": frame["users"].astype("int64"),
            "share": frame["users"].astype("float64") / total if total else 0.0,
        }
    )
    _check_rows(data, "stickiness")
    buckets = int(frame["buckets_total"].iloc[0]) if len(frame) else 0
    unit = period_unit(period, period_count).lower()
    how = "at least" if cumulative else "exactly"
    return (
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


def lifecycle_frame(frame: pd.DataFrame, *, period: str = "week") -> pd.DataFrame:
    """Long frame ``start, status, users, pulse_ratio``; ``dormant`` negative (drawn below zero)."""
    _require(
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
                    "pulse_ratio": _floats(frame["pulse_ratio"]),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    _check_rows(out, "lifecycle")
    return out


def build_lifecycle_chart(
    frame: pd.DataFrame, *, period: str = "week", title: str = "Lifecycle"
) -> alt.Chart:
    """Stacked bars of new / returning / resurrecting users, dormant users below zero."""
    data = lifecycle_frame(frame, period=period)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=_period_axis("start", period),
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


def build_pulse_chart(
    frame: pd.DataFrame, *, period: str = "week", title: str = "Pulse ratio"
) -> alt.Chart:
    """Line of the pulse ratio (new + resurrecting) / dormant per period; 1 = break-even."""
    _require(frame, ["start", "pulse_ratio"], "pulse ratio")
    data = pd.DataFrame(
        {"start": time_labels(frame["start"], period), "pulse_ratio": _floats(frame["pulse_ratio"])}
    )
    _check_rows(data, "pulse ratio")
    # One plain chart: Streamlit squashed the layered version (line + rule at 1) to a sliver.
    return (
        alt.Chart(data)
        .mark_line(point=True, color="#ff7f0e")
        .encode(
            x=_period_axis("start", period),
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


# --- churn and revenue ---------------------------------------------------------------------------


def build_churn_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "User churn"
) -> alt.Chart:
    """Bars of user churn per period (:func:`prodops.metrics.churn` output)."""
    _require(frame, ["period", "active_start", "churned", "churn_rate"], "churn")
    data = pd.DataFrame(
        {
            "period": time_labels(frame["period"], period),
            "active_start": frame["active_start"].astype("int64"),
            "churned": frame["churned"].astype("int64"),
            "churn_rate": _floats(frame["churn_rate"]),
        }
    )
    _check_rows(data, "churn")
    return (
        alt.Chart(data)
        .mark_bar(color="#d62728")
        .encode(
            x=_period_axis("period", period),
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


def build_mrr_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "MRR over time"
) -> alt.Chart:
    """Area of MRR at the end of each period (:func:`prodops.metrics.revenue` output)."""
    _require(frame, ["period", "mrr_end", "customers_end"], "MRR")
    data = pd.DataFrame(
        {
            "period": time_labels(frame["period"], period),
            "mrr_end": _floats(frame["mrr_end"]),
            "customers_end": frame["customers_end"].astype("int64"),
        }
    )
    _check_rows(data, "MRR")
    return (
        alt.Chart(data)
        .mark_area(line=True, point=True, opacity=0.35, color="#4c78a8")
        .encode(
            x=_period_axis("period", period),
            y=alt.Y("mrr_end:Q", title="MRR at period end", axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("mrr_end:Q", title="MRR", format=",.2f"),
                alt.Tooltip("customers_end:Q", title="Customers", format=",d"),
            ],
        )
        .properties(title=title, height=280, width="container")
    )


def mrr_movements_frame(frame: pd.DataFrame, *, period: str = "month") -> pd.DataFrame:
    """Long frame ``period, movement, mrr``: gains positive, contraction and churn negative."""
    _require(frame, ["period", *MOVEMENT_COLOURS], "MRR movements")
    labels = time_labels(frame["period"], period)
    parts = []
    for movement in MOVEMENT_COLOURS:
        sign = -1.0 if movement in ("contraction", "churn") else 1.0
        parts.append(
            pd.DataFrame(
                {"period": labels, "movement": movement, "mrr": sign * _floats(frame[movement])}
            )
        )
    out = pd.concat(parts, ignore_index=True)
    _check_rows(out, "MRR movements")
    return out


def build_mrr_movements_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "MRR movements"
) -> alt.Chart:
    """Stacked bars per period: gains above zero, contraction and churn below."""
    data = mrr_movements_frame(frame, period=period)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=_period_axis("period", period),
            y=alt.Y("sum(mrr):Q", title="MRR change", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "movement:N",
                title="Movement",
                scale=alt.Scale(
                    domain=list(MOVEMENT_COLOURS), range=list(MOVEMENT_COLOURS.values())
                ),
            ),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("movement:N", title="Movement"),
                alt.Tooltip("mrr:Q", title="MRR", format=",.2f"),
            ],
        )
        .properties(
            title=alt.Title(title, subtitle="Contraction and churn drawn below zero"),
            height=300,
            width="container",
        )
    )


def _rate_lines(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    period: str,
    title: str,
    y_title: str,
    reference: float | None = None,
    zero: bool = True,
) -> alt.Chart | alt.LayerChart:
    _require(frame, ["period", *columns], title)
    labels = time_labels(frame["period"], period)
    data = pd.concat(
        [
            pd.DataFrame({"period": labels, "metric": name, "rate": _floats(frame[col])})
            for col, name in columns.items()
        ],
        ignore_index=True,
    )
    _check_rows(data, title)
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=_period_axis("period", period),
            y=alt.Y(
                "rate:Q",
                title=y_title,
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=zero),
            ),
            color=alt.Color("metric:N", title="Metric", sort=list(columns.values())),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("metric:N", title="Metric"),
                alt.Tooltip("rate:Q", title="Value", format=".1%"),
            ],
        )
        .properties(title=title, height=260, width="container")
    )
    if reference is None:
        return lines
    rule = alt.Chart(data).mark_rule(strokeDash=[4, 4], color="grey").encode(y=alt.datum(reference))
    return alt.LayerChart(layer=[lines, rule], title=title, height=260, width="container")


def build_revenue_churn_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "Logo and revenue churn"
) -> alt.Chart | alt.LayerChart:
    """Lines of logo churn, gross MRR churn and net MRR churn per period."""
    return _rate_lines(
        frame,
        {
            "logo_churn_rate": "Logo churn",
            "gross_mrr_churn_rate": "Gross MRR churn",
            "net_mrr_churn_rate": "Net MRR churn",
        },
        period=period,
        title=title,
        y_title="Rate per period",
    )


def build_nrr_grr_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "Net and gross revenue retention"
) -> alt.Chart | alt.LayerChart:
    """Lines of NRR and GRR per period, with a dashed rule at 100 %."""
    return _rate_lines(
        frame,
        {"nrr": "NRR", "grr": "GRR"},
        period=period,
        title=title,
        y_title="Revenue retained",
        reference=1.0,
        zero=False,
    )


def retention_table(
    frame: pd.DataFrame, *, period: str = "week", period_count: int = 1
) -> pd.DataFrame:
    """The retention matrix as a wide table: ``Cohort, Users, <Week 0>, <Week 1>, ...`` (rates).

    Unobservable cells stay empty (NaN), as in the heatmap.
    """
    _require(frame, ["cohort", "offset", "size", "rate"], "retention table")
    unit = "Period" if period_count > 1 else period_unit(period)
    data = pd.DataFrame(
        {
            "Cohort": time_labels(frame["cohort"], period),
            "Users": frame["size"].astype("int64"),
            "column": frame["offset"].astype(int),
            "rate": _floats(frame["rate"]),
        }
    )
    order = list(dict.fromkeys(data["Cohort"]))
    wide = data.pivot(index="Cohort", columns="column", values="rate").reindex(order)
    wide = wide.reindex(columns=sorted(set(data["column"])))
    wide.columns = [f"{unit} {c}" for c in wide.columns]
    sizes = data.drop_duplicates("Cohort").set_index("Cohort")["Users"]
    wide.insert(0, "Users", sizes.reindex(order).to_numpy())
    return wide.reset_index()
