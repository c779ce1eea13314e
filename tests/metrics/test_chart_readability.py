"""Charts stay readable on tiny and on large frames: whole-number count ticks, day ticks for daily
series, a cohort legend that lists every cohort (or says it does not), a revenue heatmap whose
colours reach above 100 %, and rate axes with a tick under a negative rate.

Spec properties are checked on ``to_dict()``; a few are also checked on the labels that
vl-convert (offline Vega) actually draws, since Vega's own ``tickMinStep`` still steps by 0.5
over a domain of 0 to 2.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pandas as pd
import pytest
import vl_convert
from hypothesis import given
from hypothesis import strategies as st

from prodops.metrics import charts, engagement_charts, retention_charts, revenue_charts
from prodops.metrics.retention import retention_average
from tests.metrics.test_charts import typed_encodings  # noqa: F401  (autouse: typed encodings)

UTC = "UTC"


def axis_labels(spec: dict[str, Any]) -> dict[str, list[str]]:
    """The tick labels Vega draws, per axis ("X" / "Y"), from an SVG rendered at 600 px."""
    spec = {**spec, "width": 600}
    svg = vl_convert.vegalite_to_svg(spec)
    labels: dict[str, list[str]] = {}
    for axis in re.finditer(r'aria-label="([XY])-axis.*?role-axis-title', svg, flags=re.S):
        texts = re.findall(r"role-axis-label.*?(?=role-axis-title)", axis.group(0), flags=re.S)
        words = re.findall(r"<text[^>]*>([^<]*)</text>", texts[0] if texts else "")
        labels.setdefault(axis.group(1), []).extend(words)
    return labels


def two_days(users: dict[str, list[int]]) -> pd.DataFrame:
    days = pd.date_range("2026-01-01", periods=2, tz=UTC)
    parts = {name: pd.DataFrame({"date": days, "users": vals}) for name, vals in users.items()}
    return engagement_charts.active_users_frame(parts)


# --- 1. counts: whole-number ticks ---------------------------------------------------------------


def test_active_users_of_one_or_two_users_tick_each_whole_number_once() -> None:
    spec = engagement_charts.build_active_users_chart(
        two_days({"DAU": [1, 1], "WAU": [1, 2], "MAU": [1, 2]})
    ).to_dict()
    axis = spec["encoding"]["y"]["axis"]
    assert axis == {"format": ",d", "tickMinStep": 1, "values": [0, 1, 2]}
    assert axis_labels(spec)["Y"] == ["0", "1", "2"]  # not "0, 1, 1, 2, 2"


def test_stickiness_of_one_user_has_ticks_0_and_1() -> None:
    frame = pd.DataFrame({"active_periods": [1], "users": [1], "buckets_total": 2})
    spec = engagement_charts.build_stickiness_chart(frame, period="day").to_dict()
    assert spec["encoding"]["y"]["axis"]["values"] == [0, 1]
    assert axis_labels(spec)["Y"] == ["0", "1"]  # not "0, 0, 0, 1, 1, 1"


def test_lifecycle_ticks_reach_the_stacked_bars_above_and_dormant_below_zero() -> None:
    frame = pd.DataFrame(
        {
            "start": pd.to_datetime(["2025-12-29", "2026-01-05"], utc=True),
            "new": [2, 1],
            "returning": [0, 1],
            "resurrecting": [0, 0],
            "dormant": [0, 1],
            "pulse_ratio": [None, 1.0],
        }
    )
    spec = engagement_charts.build_lifecycle_chart(frame, period="week").to_dict()
    # week 2 stacks 1 new + 1 returning = 2 above zero and 1 dormant below
    assert spec["encoding"]["y"]["axis"]["values"] == [-1, 0, 1, 2]
    assert spec["encoding"]["y"]["axis"]["tickMinStep"] == 1
    assert len(set(axis_labels(spec)["Y"])) == len(axis_labels(spec)["Y"])


def test_large_counts_keep_vegas_ticks_with_a_minimum_step_of_one() -> None:
    spec = engagement_charts.build_active_users_chart(
        two_days({"DAU": [800, 1200], "MAU": [4000, 5200]})
    ).to_dict()
    assert spec["encoding"]["y"]["axis"] == {"format": ",d", "tickMinStep": 1}


def test_tiny_mrr_axes_step_by_whole_amounts() -> None:
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2025-11-01", "2025-12-01"], utc=True),
            "mrr_end": [1.0, 2.0],
            "customers_end": [1, 1],
            "new": [1.0, 1.0],
            "expansion": [0.0, 0.0],
            "reactivation": [0.0, 0.0],
            "contraction": [0.0, 0.0],
            "churn": [0.0, 1.0],
        }
    )
    mrr = revenue_charts.build_mrr_chart(frame).to_dict()
    assert mrr["encoding"]["y"]["axis"]["values"] == [0, 1, 2]
    moves = revenue_charts.build_mrr_movements_chart(frame).to_dict()
    assert moves["encoding"]["y"]["axis"]["values"] == [-1, 0, 1]


def test_count_axis_rounds_outwards_and_ignores_missing_values() -> None:
    assert charts.count_axis([0.4, None, float("nan")]).to_dict()["values"] == [0, 1]
    assert charts.count_axis([]).to_dict()["values"] == [0, 1]
    assert charts.count_axis([-2, 3]).to_dict()["values"] == [-2, -1, 0, 1, 2, 3]
    assert "values" not in charts.count_axis([0, 6]).to_dict()


# --- 2. daily series: day ticks ------------------------------------------------------------------


def test_two_days_of_active_users_are_ticked_by_day_not_by_hour() -> None:
    spec = engagement_charts.build_active_users_chart(
        two_days({"DAU": [1, 1], "MAU": [1, 2]})
    ).to_dict()
    axis = spec["encoding"]["x"]["axis"]
    assert axis["tickCount"] == {"interval": "day", "step": 1}
    assert axis["tickMinStep"] == charts.DAY_MS == 24 * 3600 * 1000
    # a format typed "utc" was dropped by Vega-Lite (Vega then labelled hours)
    assert axis["format"] == "%b %d, %Y" and "formatType" not in axis
    assert axis_labels(spec)["X"] == ["Jan 01, 2026", "Jan 02, 2026"]


def test_two_days_of_dau_mau_are_ticked_by_day() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2026-01-01", periods=2, tz=UTC),
            "dau": [1, 1],
            "mau": [1, 2],
            "ratio": [1.0, 0.5],
        }
    )
    spec = engagement_charts.build_dau_mau_chart(frame).to_dict()
    assert spec["encoding"]["x"]["axis"]["tickCount"] == {"interval": "day", "step": 1}
    labels = axis_labels(spec)["X"]
    assert labels == ["Jan 01, 2026", "Jan 02, 2026"]
    assert not any("AM" in x or "PM" in x for x in labels)
    assert spec["encoding"]["y"]["axis"] == {"format": ".0%", "tickMinStep": 0.01}


@pytest.mark.parametrize(("days", "step"), [(1, 1), (8, 1), (9, 2), (31, 4)])
def test_up_to_a_month_of_days_gets_about_eight_whole_day_ticks(days: int, step: int) -> None:
    axis = charts.day_axis(days=days).to_dict()["axis"]
    assert axis["tickCount"] == {"interval": "day", "step": step}


def test_a_year_of_days_leaves_the_tick_count_to_vega_but_never_below_a_day() -> None:
    parts = {
        "DAU": pd.DataFrame(
            {"date": pd.date_range("2026-01-01", periods=365, tz=UTC), "users": 900}
        )
    }
    spec = engagement_charts.build_active_users_chart(
        engagement_charts.active_users_frame(parts)
    ).to_dict()
    axis = spec["encoding"]["x"]["axis"]
    assert "tickCount" not in axis and axis["tickMinStep"] == charts.DAY_MS


def test_period_axes_are_one_label_per_period_never_finer() -> None:
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-01-01", "2026-02-01"], utc=True),
            "active_start": [2, 2],
            "churned": [1, 0],
            "churn_rate": [0.5, 0.0],
        }
    )
    spec = engagement_charts.build_churn_chart(frame, period="month").to_dict()
    assert spec["encoding"]["x"]["type"] == "ordinal"
    assert axis_labels(spec)["X"] == ["2026-01", "2026-02"]


# --- 3. retention curves: the cohort legend ------------------------------------------------------


def weekly_retention(cohorts: int) -> pd.DataFrame:
    """*cohorts* weekly cohorts of 10 users, each observed up to the data end (a triangle)."""
    starts = pd.date_range("2026-04-06", periods=cohorts, freq="W-MON", tz=UTC)
    rows = [
        {
            "breakdown": None,
            "cohort": start,
            "size": 10,
            "offset": k,
            "count": 10 if k == 0 else 3,
            "rate": 1.0 if k == 0 else 0.3,
            "complete": True,
        }
        for i, start in enumerate(starts)
        for k in range(min(cohorts - i, 4))
    ]
    return pd.DataFrame(rows)


def curves_spec(cohorts: int) -> dict[str, Any]:
    frame = weekly_retention(cohorts)
    chart = retention_charts.build_retention_curves_chart(frame, retention_average(frame))
    return chart.to_dict()


def test_thirty_cohorts_are_all_listed_in_three_columns_and_the_chart_is_tall_enough() -> None:
    spec = curves_spec(30)
    color = spec["layer"][0]["encoding"]["color"]
    assert color["title"] == "Cohort"
    assert color["legend"]["columns"] == 3 and color["legend"]["symbolLimit"] >= 30
    assert color["legend"]["symbolOpacity"] == 1.0  # entries not as faint as the lines
    # 10 rows of entries plus the titles and the "Period" legend fit the height
    assert spec["height"] >= 10 * retention_charts.LEGEND_ROW_PX + 150


def test_a_few_cohorts_keep_one_column_and_the_usual_height() -> None:
    spec = curves_spec(2)
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend["columns"] == 1 and legend["symbolLimit"] == retention_charts.LEGEND_ROWS
    assert spec["height"] == retention_charts.CURVES_HEIGHT_PX
    # offsets 0 and 1 only: ticks 0 and 1, not 0.0, 0.5, 1.0
    assert spec["layer"][0]["encoding"]["x"]["axis"]["values"] == [0, 1]


def test_more_cohorts_than_fit_say_how_many_are_listed() -> None:
    spec = curves_spec(60)
    color = spec["layer"][0]["encoding"]["color"]
    limit = retention_charts.LEGEND_ROWS * retention_charts.LEGEND_MAX_COLUMNS
    assert color["legend"]["symbolLimit"] == limit
    # Vega lists limit - 1 entries and then "…N entries"
    assert color["title"] == f"Cohort (first {limit - 1} of 60)"


# --- 4. revenue retention heatmap: colours above 100 % -------------------------------------------


def revenue_cohorts(rates: list[float]) -> pd.DataFrame:
    """One monthly cohort with MRR 100 kept as *rates* in months 1, 2, ..."""
    kept = [1.0, *rates]
    return pd.DataFrame(
        {
            "cohort": [pd.Timestamp("2025-11-01", tz=UTC)] * len(kept),
            "offset": range(len(kept)),
            "mrr": [100.0 * r for r in kept],
            "cohort_mrr": 100.0,
            "revenue_retention": kept,
        }
    )


def test_revenue_heatmap_colours_diverge_at_100_percent_and_reach_the_best_cohort() -> None:
    spec = revenue_charts.build_revenue_retention_heatmap_chart(
        revenue_cohorts([0.97, 1.16, 0.84, 1.06])
    ).to_dict()
    rect = spec["layer"][0]
    scale = rect["encoding"]["color"]["scale"]
    assert scale["scheme"] == charts.DIVERGING_SCHEME
    assert scale["domain"] == [0.8, 1.0, 1.2]  # 116 % and 84 % are 0.16 from 100 %
    assert max(scale["domain"]) >= 1.16  # 106-116 % no longer all look like 100 %
    # text on the dark ends of the scale is white, near 100 % black
    assert rect["encoding"]["color"]["legend"]["format"] == ".0%"
    text = spec["layer"][1]["encoding"]["color"]["condition"]["test"]
    assert text == "abs(datum.rate - 1) < 0.14 || !datum.complete"


def test_revenue_heatmap_without_gains_still_centres_on_100_percent() -> None:
    spec = revenue_charts.build_revenue_retention_heatmap_chart(revenue_cohorts([0.5])).to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0.5, 1.0, 1.5]


def test_user_retention_heatmap_keeps_its_sequential_scale() -> None:
    frame = weekly_retention(3)
    spec = retention_charts.build_retention_heatmap_chart(frame).to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["scheme"] == charts.HEATMAP_SCHEME and scale["domain"] == [0, 0.3]


# --- 5. rate lines: a tick under a negative rate -------------------------------------------------


def revenue_rates(net: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": pd.date_range("2025-11-01", periods=len(net), freq="MS", tz=UTC),
            "logo_churn_rate": 0.03,
            "gross_mrr_churn_rate": 0.05,
            "net_mrr_churn_rate": net,
            "nrr": [1 - n for n in net],
            "grr": 0.95,
        }
    )


def test_net_mrr_churn_below_zero_gets_negative_ticks() -> None:
    spec = revenue_charts.build_revenue_churn_chart(revenue_rates([0.02, -0.025])).to_dict()
    y = spec["encoding"]["y"]
    assert y["scale"]["domain"][0] < -0.025 <= y["scale"]["domain"][0] + 0.05
    assert y["scale"]["nice"] is False
    assert [v for v in y["axis"]["values"] if v < 0] == [-0.04, -0.02]
    assert y["axis"]["values"][0] == y["scale"]["domain"][0]
    assert "−2%" in axis_labels(spec)["Y"]  # Vega writes a minus sign


def test_non_negative_churn_starts_at_zero() -> None:
    spec = revenue_charts.build_revenue_churn_chart(revenue_rates([0.02, 0.01])).to_dict()
    assert spec["encoding"]["y"]["scale"]["domain"][0] == 0.0


def test_nrr_above_100_percent_sits_under_a_labelled_tick() -> None:
    spec = revenue_charts.build_nrr_grr_chart(revenue_rates([0.03, -0.004])).to_dict()
    lines = spec["layer"][0]
    assert lines["encoding"]["y"]["scale"]["domain"][1] >= 1.004
    assert 1.0 in lines["encoding"]["y"]["axis"]["values"]


@given(
    low=st.floats(-5, 5, allow_nan=False),
    width=st.floats(0, 5, allow_nan=False),
    zero=st.booleans(),
)
def test_nice_ticks_cover_the_values_in_even_steps(low: float, width: float, zero: bool) -> None:
    high = low + width
    ticks = charts.nice_ticks(low, high, zero=zero, min_step=0.01)
    assert ticks[0] <= low + 1e-9 and ticks[-1] >= high - 1e-9
    if zero:
        assert 0.0 in ticks
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and min(steps) >= 0.01
    assert len(ticks) <= 12
