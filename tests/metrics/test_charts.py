"""Every build_*_chart checked through its Vega-Lite spec: fields, encodings, titles, formats."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import altair as alt
import pandas as pd
import pytest
from altair.utils import core as altair_core

from prodops.errors import ParameterError
from prodops.metrics import charts, engagement_charts, retention_charts, revenue_charts

UTC = "UTC"


@pytest.fixture(autouse=True)
def typed_encodings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every chart of these tests hands Altair typed encodings (``alt.X``, ``charts.when``): a
    string or a dict is turned into its channel by trying the schema's alternatives with
    jsonschema, 4-15 ms each (0.15 s of a cohort heatmap before)."""
    untyped: list[tuple[str, str]] = []
    wrap = altair_core._ChannelCache._wrap_in_channel

    def watched(self: Any, obj: Any, encoding: str) -> Any:
        if not isinstance(obj, alt.SchemaBase | list | tuple):
            untyped.append((encoding, repr(obj)[:80]))
        return wrap(self, obj, encoding)

    monkeypatch.setattr(altair_core._ChannelCache, "_wrap_in_channel", watched)
    yield untyped
    assert untyped == []


def test_the_typed_encoding_check_sees_a_dict_and_a_string(
    typed_encodings: list[tuple[str, str]],
) -> None:
    alt.Chart().encode(opacity=alt.value(0.5), detail="series:N")
    seen = sorted(name for name, _ in typed_encodings)
    typed_encodings.clear()  # the fixture's own check would fail on them
    assert seen == ["detail", "opacity"]


def _week(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz=UTC)


def retention_frame() -> pd.DataFrame:
    """Two weekly cohorts, 3 offsets; the second cohort's offset 2 is unobservable."""
    return pd.DataFrame(
        {
            "breakdown": [None] * 6,
            "cohort": [_week("2024-01-01")] * 3 + [_week("2024-01-08")] * 3,
            "size": [4, 4, 4, 2, 2, 2],
            "offset": [0, 1, 2, 0, 1, 2],
            "count": pd.array([4, 2, 1, 2, 1, None], dtype="Int64"),
            "rate": pd.array([1.0, 0.5, 0.25, 1.0, 0.5, None], dtype="Float64"),
        }
    )


def layer_specs(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["layer"])


def dataset(spec: dict[str, Any]) -> list[dict[str, Any]]:
    (rows,) = spec["datasets"].values()
    return list(rows)


def tooltip_fields(enc: dict[str, Any]) -> list[str]:
    return [t["field"] for t in enc["tooltip"]]


# --- retention -----------------------------------------------------------------------------------


def test_retention_heatmap_frame_has_a_size_row_per_cohort_and_keeps_blank_cells_null() -> None:
    data = retention_charts.retention_heatmap_frame(retention_frame(), period="week")
    sizes = data[data["column"] == "size"]
    assert sizes[["cohort_label", "size"]].values.tolist() == [["2024-01-01", 4], ["2024-01-08", 2]]
    cell = data[(data["cohort_label"] == "2024-01-08") & (data["column"] == "Week 2")]
    assert len(cell) == 1 and pd.isna(cell["rate"].iloc[0])
    assert sorted(set(data["column"])) == ["Week 0", "Week 1", "Week 2", "size"]


def test_retention_heatmap_spec_percent_cells_sizes_beside_rows_and_blank_unobservable() -> None:
    spec = retention_charts.build_retention_heatmap_chart(
        retention_frame(), period="week"
    ).to_dict()
    rect, text, sizes = layer_specs(spec)
    assert spec["title"] == "Retention by cohort"
    assert rect["mark"]["type"] == "rect"
    # unobservable cells are filtered out, so nothing is drawn there (blank, not 0 %)
    assert {"filter": "datum.column != 'size' && isValid(datum.rate)"} in rect["transform"]
    color = rect["encoding"]["color"]
    assert color["field"] == "rate" and color["legend"]["format"] == ".0%"
    assert color["scale"]["scheme"] == "viridis"
    # colour domain tops at the best offset >= 1 (50 %) so later cells are not all dark
    assert color["scale"]["domain"] == [0, 0.5] and color["scale"]["clamp"] is True
    assert text["encoding"]["text"] == {"field": "rate", "format": ".0%", "type": "quantitative"}
    assert sizes["encoding"]["text"]["field"] == "size"
    assert sizes["mark"]["color"] == charts.NEUTRAL_TEXT  # readable in light and dark themes
    assert {"filter": "datum.column == 'size'"} in sizes["transform"]
    x = spec["encoding"]["x"] if "encoding" in spec else rect["encoding"]["x"]
    assert x["sort"] == ["size", "Week 0", "Week 1", "Week 2"]
    assert x["title"] == "Weeks since the start event"
    assert "'Users'" in x["axis"]["labelExpr"]
    assert tooltip_fields(rect["encoding"]) == [
        "cohort_label",
        "column",
        "rate",
        "count",
        "size",
        "status",
    ]
    # without a complete column every cell is complete: no "in progress" subtitle
    assert spec["title"] == "Retention by cohort"
    assert rect["encoding"]["tooltip"][2]["format"] == ".1%"
    rows = dataset(spec)
    blank = [r for r in rows if r["cohort_label"] == "2024-01-08" and r["column"] == "Week 2"]
    assert blank[0]["rate"] is None


def test_retention_heatmap_labels_monthly_cohorts_and_multi_period_columns() -> None:
    frame = retention_frame().assign(cohort=[_week("2024-01-01")] * 3 + [_week("2024-02-01")] * 3)
    data = retention_charts.retention_heatmap_frame(frame, period="month", period_count=2)
    assert set(data["cohort_label"]) == {"2024-01", "2024-02"}
    assert "Period 1" in set(data["column"])
    spec = retention_charts.build_retention_heatmap_chart(
        frame, period="day", period_count=30
    ).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["title"] == "30-day periods since the start event"


def test_retention_curves_one_line_per_cohort_and_a_weighted_average() -> None:
    average = pd.DataFrame({"breakdown": [None] * 3, "offset": [0, 1, 2], "rate": [1.0, 0.5, 0.25]})
    spec = retention_charts.build_retention_curves_chart(
        retention_frame(), average, period="week"
    ).to_dict()
    cohorts, avg = layer_specs(spec)
    assert spec["title"]["text"] == "Retention curves"
    assert cohorts["encoding"]["color"]["field"] == "series"
    assert cohorts["encoding"]["y"]["axis"]["format"] == ".0%"
    assert avg["mark"]["strokeWidth"] == 4
    rows = dataset(spec)
    assert [r["rate"] for r in rows if r["series"] == "Weighted average"] == [1.0, 0.5, 0.25]
    # the unobservable cell is dropped from the curve rather than drawn as 0
    assert len([r for r in rows if r["series"] == "2024-01-08"]) == 2


def in_progress_frame() -> pd.DataFrame:
    """:func:`retention_frame` with the data ending on Tuesday 16 January at 04:46: the week of
    the 15th (cohort 1 at offset 2, cohort 2 at offset 1) is in progress."""
    frame = retention_frame().assign(complete=[True, True, False, True, False, False])
    frame.attrs["data_end"] = pd.Timestamp("2024-01-16T04:46", tz=UTC)
    return frame


def test_retention_heatmap_draws_cells_in_progress_lighter_and_dashed() -> None:
    spec = retention_charts.build_retention_heatmap_chart(
        in_progress_frame(), period="week"
    ).to_dict()
    rect, text, _ = layer_specs(spec)
    assert spec["title"] == {
        "text": "Retention by cohort",
        "subtitle": "Lighter, dashed cells: in progress (the period ends after the data end,"
        " 2024-01-16 04:46)",
    }
    enc = rect["encoding"]
    assert enc["opacity"] == {
        "condition": {"test": "datum.complete", "value": 1.0},
        "value": charts.IN_PROGRESS_OPACITY,
    }
    assert enc["strokeDash"]["value"] == charts.IN_PROGRESS_DASH
    assert enc["strokeDash"]["condition"]["value"] == [1, 0]
    assert text["encoding"]["opacity"] == enc["opacity"]
    cells = {
        (r["cohort_label"], r["column"]): r["status"]
        for r in dataset(spec)
        if r["column"] != "size" and r["rate"] is not None
    }
    assert cells == {
        ("2024-01-01", "Week 0"): "complete",
        ("2024-01-01", "Week 1"): "complete",
        ("2024-01-01", "Week 2"): "in progress",
        ("2024-01-08", "Week 0"): "complete",
        ("2024-01-08", "Week 1"): "in progress",
    }


def test_retention_curves_dash_the_periods_in_progress_and_the_average_keeps_complete_ones() -> (
    None
):
    from prodops.metrics import retention_average

    frame = in_progress_frame()
    average = retention_average(frame)  # offset 1: 2/4 (cohort 2's cell is in progress)
    spec = retention_charts.build_retention_curves_chart(frame, average, period="week").to_dict()
    cohorts, _ = layer_specs(spec)
    dash = cohorts["encoding"]["strokeDash"]
    assert dash["field"] == "status"
    assert dash["scale"] == {
        "domain": ["complete", "in progress"],
        "range": [[1, 0], charts.IN_PROGRESS_DASH],
    }
    assert spec["title"]["subtitle"] == [
        "Thick red line: average weighted by cohort size (complete periods)",
        "Dashed: in progress (the period ends after the data end)",
    ]
    rows = dataset(spec)
    # the average does not drop at its end: offset 2 has no complete cell, so no point
    assert [r["rate"] for r in rows if r["series"] == "Weighted average"] == [1.0, 0.5]
    # cohort 2024-01-01: solid to offset 1, then a dashed segment from offset 1 to 2
    first = [(r["status"], r["offset"]) for r in rows if r["series"] == "2024-01-01"]
    assert first == [("complete", 0), ("complete", 1), ("in progress", 1), ("in progress", 2)]
    running = retention_average(frame, include_incomplete=True)
    spec = retention_charts.build_retention_curves_chart(
        frame, running, average_includes_incomplete=True
    ).to_dict()
    # (2 + 1) / (4 + 2) at offset 1, and offset 2 counts cohort 1's cell in progress: 1 / 4
    assert [r["rate"] for r in dataset(spec) if r["series"] == "Weighted average"] == [
        1.0,
        0.5,
        0.25,
    ]
    assert "periods in progress included" in spec["title"]["subtitle"][0]


def test_revenue_retention_heatmap_shows_starting_mrr_beside_rows() -> None:
    frame = pd.DataFrame(
        {
            "cohort": [_week("2024-01-01")] * 2,
            "offset": [0, 1],
            "customers": [2, 1],
            "mrr": [100.0, 110.0],
            "cohort_customers": [2, 2],
            "cohort_mrr": [100.0, 100.0],
            "revenue_retention": [1.0, 1.1],
            "logo_retention": [1.0, 0.5],
        }
    )
    spec = revenue_charts.build_revenue_retention_heatmap_chart(frame).to_dict()
    rect, _text, sizes = layer_specs(spec)
    assert rect["encoding"]["color"]["title"] == "MRR retained"
    assert sizes["encoding"]["text"]["format"] == ",.0f"
    assert [r["rate"] for r in dataset(spec) if r["column"] == "Month 1"] == [1.1]


# --- engagement ----------------------------------------------------------------------------------


def test_active_users_chart_has_one_line_per_window_in_order() -> None:
    days = pd.date_range("2024-01-01", periods=3, tz=UTC)
    frame = engagement_charts.active_users_frame(
        {
            "DAU": pd.DataFrame({"date": days, "users": [1, 2, 3]}),
            "WAU": pd.DataFrame({"date": days, "users": [3, 4, 5]}),
        }
    )
    spec = engagement_charts.build_active_users_chart(frame).to_dict()
    enc = spec["encoding"]
    assert enc["x"]["type"] == "temporal" and enc["x"]["scale"]["type"] == "utc"
    assert enc["y"]["axis"]["format"] == ",d" and enc["y"]["title"] == "Active users"
    assert enc["color"]["sort"] == ["DAU", "WAU"]
    assert tooltip_fields(enc) == ["date", "series", "users", "progress"]
    assert dataset(spec)[0] == {
        "date": "2024-01-01",
        "series": "DAU",
        "users": 1,
        "progress": "complete",
    }
    assert enc["strokeDash"]["legend"] is None  # nothing in progress: no legend for it


def test_dau_mau_chart_is_a_percent_line() -> None:
    frame = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=2, tz=UTC), "dau": [1, 2], "mau": [4, 4]}
    ).assign(ratio=[0.25, 0.5])
    spec = engagement_charts.build_dau_mau_chart(frame).to_dict()
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
    assert spec["mark"]["type"] == "line"
    assert [r["ratio"] for r in dataset(spec)] == [0.25, 0.5]


def test_stickiness_histogram_shares_and_title_name_the_total_buckets() -> None:
    frame = pd.DataFrame({"active_periods": [1, 2, 3], "users": [6, 3, 1], "buckets_total": 7})
    spec = engagement_charts.build_stickiness_chart(frame, period="day").to_dict()
    assert spec["encoding"]["x"]["title"] == "Active in exactly n days (of 7)"
    assert [r["share"] for r in dataset(spec)] == pytest.approx([0.6, 0.3, 0.1])
    assert spec["encoding"]["tooltip"][2]["format"] == ".1%"
    cumulative = engagement_charts.build_stickiness_chart(
        frame.assign(users=[10, 4, 1]), cumulative=True
    ).to_dict()
    assert "at least" in cumulative["encoding"]["x"]["title"]
    assert [r["share"] for r in dataset(cumulative)] == pytest.approx([1.0, 0.4, 0.1])


def test_lifecycle_draws_dormant_below_zero_with_fixed_colours() -> None:
    frame = pd.DataFrame(
        {
            "start": [_week("2024-01-01"), _week("2024-01-08")],
            "new": [5, 2],
            "returning": [0, 3],
            "resurrecting": [0, 1],
            "dormant": [0, 2],
            "pulse_ratio": [None, 1.5],
        }
    )
    spec = engagement_charts.build_lifecycle_chart(frame, period="week").to_dict()
    rows = dataset(spec)
    dormant = [r["users"] for r in rows if r["status"] == "dormant"]
    assert dormant == [0, -2]
    colour = spec["encoding"]["color"]["scale"]
    assert colour["domain"] == ["new", "returning", "resurrecting", "dormant"]
    assert spec["encoding"]["y"]["aggregate"] == "sum"
    assert "pulse_ratio" in tooltip_fields(spec["encoding"])
    pulse = engagement_charts.build_pulse_chart(frame, period="week").to_dict()
    assert pulse["encoding"]["y"]["field"] == "pulse_ratio"
    assert pulse["encoding"]["y"]["scale"] == {"zero": False}


# --- churn and revenue ---------------------------------------------------------------------------


def revenue_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": [_week("2024-01-01"), _week("2024-02-01")],
            "mrr_start": [100.0, 120.0],
            "new": [30.0, 10.0],
            "expansion": [10.0, 0.0],
            "contraction": [5.0, 0.0],
            "churn": [15.0, 20.0],
            "reactivation": [0.0, 0.0],
            "mrr_end": [120.0, 110.0],
            "customers_start": [10, 11],
            "customers_end": [11, 10],
            "customers_churned": [1, 2],
            "logo_churn_rate": [0.1, 2 / 11],
            "gross_mrr_churn_rate": [0.2, 20 / 120],
            "net_mrr_churn_rate": [0.1, 20 / 120],
            "grr": [0.8, 100 / 120],
            "nrr": [0.9, 100 / 120],
            "quick_ratio": [2.0, 0.5],
            "arpa": [120 / 11, 11.0],
            "ltv": [None, None],
        }
    )


def test_churn_chart_percent_axis_and_counts_in_tooltip() -> None:
    frame = pd.DataFrame(
        {
            "period": [_week("2024-01-01"), _week("2024-02-01")],
            "active_start": [0, 10],
            "churned": [0, 3],
            "churn_rate": pd.array([None, 0.3], dtype="Float64"),
        }
    )
    spec = engagement_charts.build_churn_chart(frame, period="month").to_dict()
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
    assert tooltip_fields(spec["encoding"]) == [
        "period",
        "churn_rate",
        "churned",
        "active_start",
        "progress",
    ]
    assert dataset(spec) == [
        {
            "period": "2024-01",
            "active_start": 0,
            "churned": 0,
            "churn_rate": None,
            "progress": "complete",
        },
        {
            "period": "2024-02",
            "active_start": 10,
            "churned": 3,
            "churn_rate": 0.3,
            "progress": "complete",
        },
    ]


def test_mrr_chart_and_movements_contraction_and_churn_below_zero() -> None:
    mrr = revenue_charts.build_mrr_chart(revenue_frame()).to_dict()
    assert mrr["encoding"]["y"]["field"] == "mrr_end"
    assert mrr["encoding"]["y"]["axis"]["format"] == ",.0f"
    moves = revenue_charts.build_mrr_movements_chart(revenue_frame()).to_dict()
    rows = {(r["period"], r["movement"]): r["mrr"] for r in dataset(moves)}
    assert rows[("2024-01", "churn")] == -15.0
    assert rows[("2024-01", "contraction")] == -5.0
    assert rows[("2024-01", "new")] == 30.0
    # the movements of a period reconcile MRR start to end: 100 + 30 + 10 - 5 - 15 = 120
    assert 100 + sum(v for (p, _), v in rows.items() if p == "2024-01") == 120
    assert moves["encoding"]["color"]["scale"]["domain"][-1] == "churn"


def test_rate_charts_are_percent_lines_and_nrr_has_a_100_percent_rule() -> None:
    churn = revenue_charts.build_revenue_churn_chart(revenue_frame()).to_dict()
    assert churn["encoding"]["y"]["axis"]["format"] == ".0%"
    assert {r["metric"] for r in dataset(churn)} == {
        "Logo churn",
        "Gross MRR churn",
        "Net MRR churn",
    }
    nrr = revenue_charts.build_nrr_grr_chart(revenue_frame()).to_dict()
    lines, rule = nrr["layer"]
    assert lines["encoding"]["color"]["sort"] == ["NRR", "GRR"]
    scale = lines["encoding"]["y"]["scale"]
    assert scale["zero"] is False  # 97 % vs 100 % stays visible
    # the axis ends on ticks that hold every rate and the 100 % rule (83 % .. 100 %)
    assert scale["domain"] == [0.8, 1.0] and scale["nice"] is False
    assert rule["mark"]["type"] == "rule"


# --- periods in progress (engagement and revenue charts) -----------------------------------------

DATA_END = pd.Timestamp("2024-01-03 09:00", tz=UTC)


def flagged(frame: pd.DataFrame, complete: list[bool]) -> pd.DataFrame:
    """*frame* with a ``complete`` column and the data end a metric would record."""
    out = frame.assign(complete=complete)
    out.attrs["data_end"] = DATA_END
    return out


def test_lines_dash_the_day_in_progress_joined_to_the_last_complete_one() -> None:
    days = pd.date_range("2024-01-01", periods=3, tz=UTC)
    daily = flagged(pd.DataFrame({"date": days, "users": [1, 2, 3]}), [True, True, False])
    weekly = flagged(pd.DataFrame({"date": days, "users": [3, 4, 5]}), [True, True, False])
    frame = engagement_charts.active_users_frame({"DAU": daily, "WAU": weekly})
    assert len(frame) == 6 and frame["complete"].tolist() == [True, True, False] * 2
    spec = engagement_charts.build_active_users_chart(frame).to_dict()
    rows = dataset(spec)
    # per window: the dashed segment is the 2nd (again) and 3rd day
    late = [(r["series"], r["date"]) for r in rows if r["progress"] == "in progress"]
    assert sorted(late) == [
        ("DAU", "2024-01-02"),
        ("DAU", "2024-01-03"),
        ("WAU", "2024-01-02"),
        ("WAU", "2024-01-03"),
    ]
    dash = spec["encoding"]["strokeDash"]
    assert dash["field"] == "progress" and dash["scale"]["range"] == [[1, 0], [4, 3]]
    assert "╌╌╌  in progress" in dash["legend"]["labelExpr"]
    assert spec["title"]["subtitle"] == [
        "Dashed: in progress (the period ends after the data end, 2024-01-03 09:00)"
    ]
    ratio = flagged(
        pd.DataFrame(
            {"date": days, "dau": [1, 2, 3], "mau": [4, 4, 4], "ratio": [0.25, 0.5, 0.75]}
        ),
        [True, True, False],
    )
    dau_mau = engagement_charts.build_dau_mau_chart(ratio).to_dict()
    assert [r["progress"] for r in dataset(dau_mau)].count("in progress") == 2


def test_bars_of_the_period_in_progress_are_lighter() -> None:
    weeks = [_week("2024-01-01"), _week("2024-01-08")]
    life = flagged(
        pd.DataFrame(
            {
                "start": weeks,
                "new": [5, 2],
                "returning": [0, 3],
                "resurrecting": [0, 1],
                "dormant": [0, 2],
                "pulse_ratio": [None, 1.5],
            }
        ),
        [True, False],
    )
    spec = engagement_charts.build_lifecycle_chart(life, period="week").to_dict()
    opacity = spec["encoding"]["opacity"]
    assert opacity["field"] == "progress"
    assert opacity["scale"] == {"domain": ["complete", "in progress"], "range": [1.0, 0.4]}
    assert {r["start"] for r in dataset(spec) if r["progress"] == "in progress"} == {"2024-01-08"}
    assert "Lighter bars: in progress" in spec["title"]["subtitle"][1]
    pulse = engagement_charts.build_pulse_chart(life, period="week").to_dict()
    assert pulse["encoding"]["strokeDash"]["field"] == "progress"
    churn = flagged(
        pd.DataFrame(
            {
                "period": weeks,
                "active_start": [4, 5],
                "churned": [1, 4],
                "churn_rate": [0.25, 0.8],
            }
        ),
        [True, False],
    )
    bars = engagement_charts.build_churn_chart(churn, period="week").to_dict()
    assert [r["progress"] for r in dataset(bars)] == ["complete", "in progress"]
    assert bars["encoding"]["opacity"]["legend"] == {}


def test_stickiness_says_which_periods_it_counts() -> None:
    frame = pd.DataFrame(
        {
            "active_periods": [1, 2],
            "users": [3, 1],
            "buckets_total": 3,
            "buckets_complete": 2,
            "complete": True,
        }
    )
    spec = engagement_charts.build_stickiness_chart(frame, period="week").to_dict()
    assert spec["encoding"]["x"]["title"] == "Active in exactly n weeks (of 2)"
    assert spec["title"]["subtitle"] == [
        "Counts the 2 complete weeks of 3: the week in progress is left out"
    ]
    running = pd.DataFrame(
        {
            "active_periods": [1, 2, 3],
            "users": [3, 1, 0],
            "buckets_total": 3,
            "buckets_complete": 2,
            "complete": False,
        }
    )
    spec = engagement_charts.build_stickiness_chart(running, period="week").to_dict()
    assert spec["encoding"]["x"]["title"] == "Active in exactly n weeks (of 3)"
    assert spec["title"]["subtitle"] == ["Counts all 3 weeks, the week in progress too"]


def test_revenue_charts_draw_the_month_in_progress_distinctly() -> None:
    frame = flagged(revenue_frame(), [True, False])
    mrr = revenue_charts.build_mrr_chart(frame).to_dict()
    assert mrr["encoding"]["y"]["stack"] is None  # the joined segment must not stack
    assert mrr["encoding"]["opacity"]["scale"]["range"] == [0.35, pytest.approx(0.14)]
    assert [r["progress"] for r in dataset(mrr)] == ["complete", "in progress", "in progress"]
    moves = revenue_charts.build_mrr_movements_chart(frame).to_dict()
    assert {r["period"] for r in dataset(moves) if r["progress"] == "in progress"} == {"2024-02"}
    nrr = revenue_charts.build_nrr_grr_chart(frame).to_dict()
    lines, _rule = nrr["layer"]
    assert lines["encoding"]["strokeDash"]["field"] == "progress"
    assert nrr["title"]["subtitle"][0].startswith("Dashed: in progress")


def test_revenue_heatmap_base_is_period_0_and_cells_in_progress_are_lighter() -> None:
    frame = pd.DataFrame(
        {
            "cohort": [_week("2024-01-01")] * 2,
            "offset": [0, 1],
            "customers": [2, 1],
            "mrr": [100.0, 110.0],
            "cohort_customers": [2, 2],
            "cohort_mrr": [100.0, 100.0],
            "revenue_retention": [1.0, 1.1],
            "logo_retention": [1.0, 0.5],
        }
    )
    spec = revenue_charts.build_revenue_retention_heatmap_chart(
        flagged(frame, [True, False])
    ).to_dict()
    rect, _text, _sizes = layer_specs(spec)
    assert rect["encoding"]["opacity"]["condition"]["test"] == "datum.complete"
    assert rect["encoding"]["x"]["title"] == "Months since the cohort started (month 0 = 100 %)"
    assert "in progress" in spec["title"]["subtitle"]


# --- shared behaviour ----------------------------------------------------------------------------


def test_labels_use_the_analysis_time_zone_not_utc() -> None:
    # 2024-01-01 00:00 in New York is 05:00 UTC: the label must still say Jan 1.
    stamps = pd.Series([pd.Timestamp("2024-01-01", tz="America/New_York")])
    assert charts.time_labels(stamps, "day").tolist() == ["2024-01-01"]
    assert charts.time_labels(stamps, "hour").tolist() == ["2024-01-01 00:00"]


def test_a_frame_too_big_to_draw_is_refused_with_a_fix() -> None:
    days = pd.date_range("2000-01-01", periods=charts.MAX_CHART_ROWS + 1, tz=UTC)
    frame = pd.DataFrame({"date": days, "dau": 1, "mau": 1, "ratio": 1.0})
    with pytest.raises(ParameterError, match="longer period"):
        engagement_charts.build_dau_mau_chart(frame)


def test_a_frame_missing_a_column_is_a_clear_error() -> None:
    with pytest.raises(ParameterError, match="churn_rate"):
        engagement_charts.build_churn_chart(
            pd.DataFrame({"period": [], "active_start": [], "churned": []})
        )


def test_empty_frames_still_make_valid_specs() -> None:
    empty = retention_frame().iloc[0:0]
    spec = retention_charts.build_retention_heatmap_chart(empty).to_dict()
    assert dataset(spec) == []
    assert isinstance(engagement_charts.build_churn_chart(empty_churn()), alt.Chart)


def empty_churn() -> pd.DataFrame:
    return pd.DataFrame({"period": [], "active_start": [], "churned": [], "churn_rate": []})


def test_the_retention_tables_in_progress_cells_are_its_last_diagonal() -> None:
    from prodops.metrics.retention_charts import retention_table, retention_table_in_progress

    # Three daily cohorts followed three days, data ending during the third day: the cells of
    # day 3 (cohort i, offset 2 - i) are in progress, the cells after it cannot be observed.
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)
    frame = pd.DataFrame(
        {
            "cohort": days.repeat(3),
            "offset": [0, 1, 2] * 3,
            "size": [4] * 3 + [2] * 3 + [1] * 3,
            "rate": [1.0, 0.5, 0.25, 1.0, 0.5, None, 1.0, None, None],
            "complete": [True, True, False, True, False, False, False, False, False],
        }
    )
    table = retention_table(frame, period="day")
    mask = retention_table_in_progress(frame, period="day")
    assert list(mask.columns) == list(table.columns)
    assert mask[["Day 0", "Day 1", "Day 2"]].to_numpy().tolist() == [
        [False, False, True],
        [False, True, False],
        [True, False, False],
    ]
    assert not mask[["Cohort", "Users"]].to_numpy().any()
    assert not retention_table_in_progress(frame.drop(columns="complete"), period="day").any().any()
