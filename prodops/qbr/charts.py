"""The QBR's charts, rebuilt from a report's frozen frames with the metric chart builders.

Each chart has a headless twin: :func:`chart_frames` returns the frames behind them (the ones a
snapshot froze), and the builders of :mod:`prodops.metrics` draw them. :func:`to_svg` and
:func:`to_png` render a chart offline with vl-convert (no network, no browser).
"""

from __future__ import annotations

import re
from typing import Any

import altair as alt
import pandas as pd

from prodops.metrics import engagement_charts, revenue_charts
from prodops.metrics import retention_charts as metric_charts
from prodops.qbr.build import Report
from prodops.qbr.frames import thaw
from prodops.qbr.headlines import Headline

EXPORT_WIDTH = 620  # pixels: an A4 page's text width at 96 dpi, less margins
CHART_TITLES = {
    "mrr_movements": "MRR movements",
    "retention": "Retention curves of the quarter's weekly cohorts",
    "lifecycle": "Lifecycle",
}


def chart_frames(report: Report) -> dict[str, pd.DataFrame]:
    """The frames behind the report's charts (chart name -> frame), those it has data for."""
    return {name: thaw(frozen) for name, frozen in report.charts.items()}


def report_charts(report: Report, *, width: int | None = None) -> dict[str, alt.TopLevelMixin]:
    """The key charts of the report: MRR movements, retention curves, lifecycle (those with data).

    *width* fixes the width in pixels (exports); None lets the chart fill its container (page).
    """
    frames = chart_frames(report)
    found: dict[str, alt.TopLevelMixin] = {}
    if len(frames.get("mrr_movements", ())):
        found["mrr_movements"] = revenue_charts.build_mrr_movements_chart(
            frames["mrr_movements"], period="month", title=CHART_TITLES["mrr_movements"]
        )
    if len(frames.get("retention", ())) and "retention_average" in frames:
        found["retention"] = metric_charts.build_retention_curves_chart(
            frames["retention"],
            frames["retention_average"],
            period="week",
            title=CHART_TITLES["retention"],
        )
    if len(frames.get("lifecycle", ())):
        found["lifecycle"] = engagement_charts.build_lifecycle_chart(
            frames["lifecycle"], period="week", title=CHART_TITLES["lifecycle"]
        )
    if width is not None:
        found = {name: chart.properties(width=width) for name, chart in found.items()}
    return found


def trend_frame(headline: Headline) -> pd.DataFrame:
    """``quarter, value`` of a headline's trend, quarters without a value left out.

    >>> h = Headline("mrr", "MRR", "money", "up", "", 2.0, 1.0, None, "",
    ...              [("2026-Q1", None), ("2026-Q2", 1.0), ("2026-Q3", 2.0)])
    >>> trend_frame(h).values.tolist()
    [['2026-Q2', 1.0], ['2026-Q3', 2.0]]
    """
    rows = [(label, value) for label, value in headline.trend if value is not None]
    return pd.DataFrame(rows, columns=["quarter", "value"])


def build_trend_chart(headline: Headline, *, width: int = 150, height: int = 40) -> alt.Chart:
    """A small line of the headline over the last quarters (the trend beside each number)."""
    fmt = {"percent": ".1%", "money": ",.0f", "ratio": ".2f"}.get(headline.kind, ",.0f")
    chart: alt.Chart = (
        alt.Chart(trend_frame(headline))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:O", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=7)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt, labelFontSize=7, tickCount=3)),
            tooltip=[alt.Tooltip("quarter:O"), alt.Tooltip("value:Q", format=fmt)],
        )
        .properties(width=width, height=height)
    )
    return chart


# vl-convert writes the SVG namespaces as http:// URIs; an SVG inside HTML5 needs neither.
_NAMESPACES = re.compile(r'\s+xmlns(?::xlink)?="http://www\.w3\.org/[^"]*"')


def to_svg(chart: alt.TopLevelMixin, *, inline: bool = True) -> str:
    """The chart as SVG text (vector), rendered offline by vl-convert.

    With *inline* (for HTML5), the namespace declarations are dropped, so the page holds no
    ``http://`` text at all.
    """
    import vl_convert

    svg = str(vl_convert.vegalite_to_svg(chart.to_dict()))
    return _NAMESPACES.sub("", svg) if inline else svg


def to_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (Markdown exports), rendered offline by vl-convert."""
    import vl_convert

    data: Any = vl_convert.vegalite_to_png(chart.to_dict(), scale=scale)
    return bytes(data)
