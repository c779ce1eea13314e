"""Charts of the OKR page (pure Altair; frames from :func:`prodops.okr.report.history_frame`)."""

from __future__ import annotations

import altair as alt
import pandas as pd

SERIES = ("check-in", "target", "expected pace")
COLORS = ("#1f77b4", "#2ca02c", "#7f7f7f")


def build_okr_history_chart(
    frame: pd.DataFrame, *, title: str = "", unit: str = "", height: int = 220
) -> alt.LayerChart:
    """Return a line chart of check-in values over time against the target and expected pace.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``time`` (UTC), ``value``, ``series`` (``check-in``, ``target``,
        ``expected pace``), as returned by :func:`prodops.okr.report.history_frame`.
    title, unit : str
        Chart title and the unit shown on the value axis.

    Examples
    --------
    >>> frame = pd.DataFrame({"time": pd.to_datetime(["2026-10-01", "2026-10-08"], utc=True),
    ...                       "value": [1.0, 2.0], "series": ["check-in", "check-in"]})
    >>> build_okr_history_chart(frame).to_dict()["layer"][0]["mark"]["type"]
    'line'
    """
    data = frame.assign(time=frame["time"].dt.tz_convert("UTC").dt.tz_localize(None))
    axis_title = f"value ({unit})" if unit else "value"
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(SERIES), range=list(COLORS)),
        legend=alt.Legend(title=None, orient="bottom"),
    )
    base = alt.Chart(data).encode(
        x=alt.X("time:T", title="date (UTC)"),
        y=alt.Y("value:Q", title=axis_title, scale=alt.Scale(zero=False)),
        color=color,
        tooltip=[
            alt.Tooltip("series:N"),
            alt.Tooltip("time:T", format="%Y-%m-%d %H:%M"),
            alt.Tooltip("value:Q", format=",.4~g"),
        ],
    )
    lines = base.mark_line(strokeDash=[6, 4]).transform_filter(
        alt.FieldOneOfPredicate(field="series", oneOf=["target", "expected pace"])
    )
    actual = base.transform_filter(alt.FieldEqualPredicate(field="series", equal="check-in"))
    chart = alt.LayerChart(layer=[actual.mark_line(point=True), lines])
    chart = chart.properties(height=height)
    return chart.properties(title=title) if title else chart
