"""Altair charts of the revenue page: MRR, MRR movements, churn and retention rates, cohorts.

Each ``build_*_chart`` takes the frame of :func:`prodops.metrics.revenue` or
:func:`prodops.metrics.revenue_cohorts`; labels, axes, row checks and the cohort heatmap come
from :mod:`prodops.metrics.charts`. Periods in progress are drawn as in
:mod:`prodops.metrics.engagement_charts`: lighter bars and areas, dashed line ends, lighter
heatmap cells, with a subtitle naming the data end.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from prodops.metrics.charts import (
    as_floats,
    check_rows,
    cohort_heatmap,
    count_axis,
    in_progress_subtitle,
    nice_ticks,
    period_axis,
    period_unit,
    require_columns,
    stacked_extent,
    time_labels,
)
from prodops.metrics.progress_marks import (
    PROGRESS_TOOLTIP,
    joined_segments,
    progress,
    progress_dash,
    progress_opacity,
    titled,
)

MOVEMENT_COLOURS: dict[str, str] = {
    "new": "#2ca02c",
    "expansion": "#98df8a",
    "reactivation": "#17becf",
    "contraction": "#ff9896",
    "churn": "#d62728",
}


def build_mrr_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "MRR over time"
) -> alt.Chart:
    """Area of MRR at the end of each period (:func:`prodops.metrics.revenue` output).

    The period in progress is the lighter, dashed end of the area.
    """
    require_columns(frame, ["period", "mrr_end", "customers_end"], "MRR")
    data = pd.DataFrame(
        {
            "period": time_labels(frame["period"], period),
            "mrr_end": as_floats(frame["mrr_end"]),
            "customers_end": frame["customers_end"].astype("int64"),
            "progress": progress(frame),
        }
    )
    check_rows(data, "MRR")
    data = joined_segments(data.assign(line="mrr"), by=["line"], order="period")
    result: alt.Chart = (
        alt.Chart(data.drop(columns="line"))
        .mark_area(line=True, point=True, color="#4c78a8")
        .encode(
            x=period_axis("period", period),
            # not stacked: the dashed segment repeats the last complete point
            y=alt.Y(
                "mrr_end:Q",
                title="MRR at period end",
                axis=count_axis(data["mrr_end"], ",.0f"),
                stack=None,
            ),
            opacity=progress_opacity(data, full=0.35),
            strokeDash=progress_dash(data),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("mrr_end:Q", title="MRR", format=",.2f"),
                alt.Tooltip("customers_end:Q", title="Customers", format=",d"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(
            title=titled(title, _note(frame, "lighter, dashed")), height=280, width="container"
        )
    )
    return result


def _note(frame: pd.DataFrame, drawn: str) -> str | None:
    return in_progress_subtitle(frame, drawn) if "complete" in frame.columns else None


def mrr_movements_frame(frame: pd.DataFrame, *, period: str = "month") -> pd.DataFrame:
    """Long frame ``period, movement, mrr, complete``: gains positive, contraction and churn
    negative."""
    require_columns(frame, ["period", *MOVEMENT_COLOURS], "MRR movements")
    labels = time_labels(frame["period"], period)
    flags = frame["complete"] if "complete" in frame.columns else pd.Series(True, frame.index)
    parts = []
    for movement in MOVEMENT_COLOURS:
        sign = -1.0 if movement in ("contraction", "churn") else 1.0
        parts.append(
            pd.DataFrame(
                {
                    "period": labels,
                    "movement": movement,
                    "mrr": sign * as_floats(frame[movement]),
                    "complete": flags.astype(bool),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    check_rows(out, "MRR movements")
    out.attrs.update(frame.attrs)
    return out


def build_mrr_movements_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "MRR movements"
) -> alt.Chart:
    """Stacked bars per period: gains above zero, contraction and churn below; the bars of the
    period in progress are lighter."""
    data = mrr_movements_frame(frame, period=period)
    data = data.assign(progress=progress(data))
    result: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=period_axis("period", period),
            y=alt.Y(
                "sum(mrr):Q",
                title="MRR change",
                axis=count_axis(stacked_extent(data, by="period", value="mrr"), ",.0f"),
            ),
            color=alt.Color(
                "movement:N",
                title="Movement",
                scale=alt.Scale(
                    domain=list(MOVEMENT_COLOURS), range=list(MOVEMENT_COLOURS.values())
                ),
            ),
            opacity=progress_opacity(data),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("movement:N", title="Movement"),
                alt.Tooltip("mrr:Q", title="MRR", format=",.2f"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(
            title=titled(
                title, "Contraction and churn drawn below zero", _note(data, "lighter bars")
            ),
            height=300,
            width="container",
        )
    )
    return result


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
    require_columns(frame, ["period", *columns], title)
    labels = time_labels(frame["period"], period)
    status = progress(frame)
    data = pd.concat(
        [
            pd.DataFrame(
                {
                    "period": labels,
                    "metric": name,
                    "rate": as_floats(frame[col]),
                    "progress": status,
                }
            )
            for col, name in columns.items()
        ],
        ignore_index=True,
    )
    check_rows(data, title)
    data = joined_segments(data, by=["metric"], order="period")
    heading = titled(title, _note(frame, "dashed"))
    # explicit ends and ticks: a negative rate (net churn when expansion wins) or one above the
    # reference sits between labelled ticks however short the chart is drawn
    drawn = [*data["rate"].dropna().tolist(), *([] if reference is None else [reference])]
    low, high = min(drawn, default=0.0), max(drawn, default=1.0)
    ticks = nice_ticks(low, high, count=4, zero=zero, min_step=0.01)
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=period_axis("period", period),
            y=alt.Y(
                "rate:Q",
                title=y_title,
                axis=alt.Axis(format=".0%", values=ticks),
                scale=alt.Scale(zero=zero, domain=[ticks[0], ticks[-1]], nice=False),
            ),
            color=alt.Color("metric:N", title="Metric", sort=list(columns.values())),
            strokeDash=progress_dash(data),
            tooltip=[
                alt.Tooltip("period:N", title=period_unit(period)),
                alt.Tooltip("metric:N", title="Metric"),
                alt.Tooltip("rate:Q", title="Value", format=".1%"),
                PROGRESS_TOOLTIP,
            ],
        )
        .properties(title=heading, height=260, width="container")
    )
    if reference is None:
        result: alt.Chart | alt.LayerChart = lines
        return result
    rule = alt.Chart(data).mark_rule(strokeDash=[4, 4], color="grey")
    rule = rule.encode(y=alt.YDatum(reference))
    return alt.LayerChart(layer=[lines, rule], title=heading, height=260, width="container")


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


def build_revenue_retention_heatmap_chart(
    frame: pd.DataFrame, *, period: str = "month", title: str = "Revenue retention by cohort"
) -> alt.LayerChart:
    """Heatmap of :func:`prodops.metrics.revenue_cohorts`: MRR kept by each start cohort.

    Cells show ``revenue_retention`` (MRR at the end of the offset's period / the cohort's MRR
    at the end of its first period, so period 0 reads 100 %; above 100 % when expansion
    outweighs churn); that base MRR is drawn beside each row ("Base MRR"). Cells in progress are
    lighter.
    """
    require_columns(
        frame, ["cohort", "offset", "mrr", "cohort_mrr", "revenue_retention"], "revenue"
    )
    unit = period_unit(period)
    flags = frame["complete"] if "complete" in frame.columns else pd.Series(True, frame.index)
    data = pd.DataFrame(
        {
            "cohort_label": time_labels(frame["cohort"], period),
            "column": unit + " " + frame["offset"].astype(int).astype(str),
            "offset": frame["offset"].astype(int),
            "rate": as_floats(frame["revenue_retention"]),
            "count": as_floats(frame["mrr"]),
            "size": as_floats(frame["cohort_mrr"]),
            "complete": flags.astype(bool),
        }
    ).sort_values(["cohort_label", "offset"], kind="stable")
    sizes = data.drop_duplicates("cohort_label").assign(column="size", offset=-1)
    data = pd.concat([data, sizes], ignore_index=True)
    check_rows(data, "revenue retention")
    return cohort_heatmap(
        data,
        value_title="MRR retained",
        size_title="Base MRR",
        size_format=",.0f",
        x_title=f"{unit}s since the cohort started ({unit.lower()} 0 = 100 %)",
        title=title,
        count_title="MRR",
        count_format=",.0f",
        subtitle=in_progress_subtitle(frame[frame["mrr"].notna()], "lighter, dashed cells"),
        midpoint=1.0,  # net revenue retention exceeds 100 % when expansion outweighs churn
    )
