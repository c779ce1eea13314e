"""Downloads of every chart and table: CSV (formula cells neutralised), PNG and SVG.

PNG and SVG are rendered offline by vl-convert from the chart's Vega-Lite spec, only when the
button is clicked (a callable ``data``), so drawing a page never pays for them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
import vl_convert as vlc

from prodops.export import to_safe_csv

EXPORT_WIDTH_PX = 900
PNG_SCALE = 2


def file_stem(*parts: str) -> str:
    """A safe file name stem from *parts* ("demo-events", "retention" -> "demo-events_retention").

    Examples
    --------
    >>> file_stem("my data/set", "retention")
    'my-data-set_retention'
    """
    cleaned = [re.sub(r"[^A-Za-z0-9._-]+", "-", p).strip("-") for p in parts if p]
    return "_".join(c for c in cleaned if c) or "prodops"


ChartLike = alt.TopLevelMixin | dict[str, Any]


def export_spec(chart: ChartLike) -> dict[str, Any]:
    """The Vega-Lite spec (of a chart or a spec) with a fixed width for offline rendering.

    ``"container"`` has no size outside a page. The input is not modified.
    """
    spec: dict[str, Any] = copy.deepcopy(chart) if isinstance(chart, dict) else chart.to_dict()
    if spec.get("width") == "container" or "width" not in spec:
        spec["width"] = EXPORT_WIDTH_PX
    for layer in spec.get("layer", []):
        if layer.get("width") == "container":
            layer["width"] = EXPORT_WIDTH_PX
    spec.setdefault("background", "white")
    return spec


def chart_png(chart: ChartLike) -> bytes:
    """The chart as a PNG image (white background, 2x scale)."""
    return bytes(vlc.vegalite_to_png(export_spec(chart), scale=PNG_SCALE))


def chart_svg(chart: ChartLike) -> str:
    """The chart as SVG text."""
    return str(vlc.vegalite_to_svg(export_spec(chart)))


def csv_text(frame: pd.DataFrame) -> str:
    """CSV text of *frame* with formula cells neutralised (``prodops.export.to_safe_csv``)."""
    return to_safe_csv(frame)


def download_buttons(
    *, key: str, stem: str, frame: pd.DataFrame, chart: ChartLike | None = None
) -> None:
    """A row of download buttons: CSV of *frame*, and PNG and SVG of *chart* when given."""
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "CSV",
        data=lambda: csv_text(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
        help="The table behind this view; cells a spreadsheet would run as formulas are escaped.",
    )
    if chart is None:
        return
    row.download_button(
        "PNG",
        data=lambda: chart_png(chart),
        file_name=f"{stem}.png",
        mime="image/png",
        key=f"{key}_png",
        icon=":material/image:",
        on_click="ignore",
    )
    row.download_button(
        "SVG",
        data=lambda: chart_svg(chart),
        file_name=f"{stem}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        icon=":material/image:",
        on_click="ignore",
    )
