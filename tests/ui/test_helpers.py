"""The UI helpers that need no running app: downloads, escaping, definitions, filters."""

from __future__ import annotations

import pandas as pd

from prodops import metrics
from prodops.metrics import engagement_charts
from prodops.ui import downloads, render


def small_chart() -> object:
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True),
            "active_start": [10, 10],
            "churned": [1, 2],
            "churn_rate": [0.1, 0.2],
        }
    )
    return engagement_charts.build_churn_chart(frame)


def test_csv_download_neutralises_formula_cells() -> None:
    frame = pd.DataFrame({"plan": ["=HYPERLINK(1)", "pro", "@x"], "users": [-1, 2, 3]})
    text = downloads.csv_text(frame)
    assert text.splitlines() == ["plan,users", "'=HYPERLINK(1),-1", "pro,2", "'@x,3"]


def test_png_and_svg_are_rendered_offline_with_a_fixed_width() -> None:
    chart = small_chart()
    spec = downloads.export_spec(chart)  # type: ignore[arg-type]
    assert spec["width"] == downloads.EXPORT_WIDTH_PX and spec["background"] == "white"
    png = downloads.chart_png(chart)  # type: ignore[arg-type]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width >= downloads.EXPORT_WIDTH_PX * downloads.PNG_SCALE
    svg = downloads.chart_svg(chart)  # type: ignore[arg-type]
    assert svg.lstrip().startswith("<svg") and "User churn" in svg
    spec_only = chart.to_dict()  # type: ignore[attr-defined]
    assert downloads.chart_svg(spec_only) == svg  # the pages pass cached specs
    assert spec_only.get("width") == "container"  # the cached spec is not modified


def test_file_stems_are_safe() -> None:
    assert downloads.file_stem("my data/../set", "retention") == "my-data-..-set_retention"
    assert downloads.file_stem("", "") == "prodops"


def test_definitions_are_the_words_of_the_metric_docstring() -> None:
    first = render.definition_lines(metrics.retention, "cohort", "first_time")
    assert first.startswith("``first_time``: the period of the user's first start event")
    assert render.definition_lines(metrics.retention, "cohort", "recurring") == (
        "``recurring``: every period in which the user did a matching start event."
    )
    assert "on or after" in render.doc_param(metrics.retention, "cumulative")
    assert render.doc_param(metrics.retention, "no_such_parameter") == ""


def test_tables_show_times_as_dates_in_their_own_zone() -> None:
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-01-01", "2024-02-01"]).tz_localize("Europe/Berlin"),
            "at": pd.to_datetime(["2024-01-01 10:30", "2024-01-01 11:00"], utc=True),
        }
    )
    shown = render.readable_times(frame)
    assert shown["period"].tolist() == ["2024-01-01", "2024-02-01"]
    assert shown["at"].tolist() == ["2024-01-01 10:30", "2024-01-01 11:00"]
