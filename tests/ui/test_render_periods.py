"""The shared renderers name the period they show and leave periods in progress out.

Hand-made metric frames (with or without the ``complete`` flags and the recorded data end), checked
through the renderers' headless twins and, drawn, through ``AppTest.from_function``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops.ui import summaries


def utc(*days: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(days), utc=True))


def weekly_lifecycle(
    ratios: list[float | None], complete: list[bool] | None = None
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "start": utc(*[f"2026-10-{d:02d}" for d in (5, 12, 19, 26)][-len(ratios) :]),
            "pulse_ratio": pd.array(ratios, dtype="Float64"),
        }
    )
    if complete is not None:
        frame["complete"] = complete
    return frame


# --- pulse ratio ---------------------------------------------------------------------------------


def test_pulse_is_the_latest_complete_period_against_the_one_before() -> None:
    # the demo's case: the week of 26 Oct has 6 of its 7 days, its 0.94 is not final
    life = weekly_lifecycle([1.25, 1.08, 0.94], complete=[True, True, False])
    assert summaries.pulse_latest(life) == ("Pulse ratio, 19–25 Oct 2026", 1.08, 1.25)


def test_pulse_without_flags_uses_the_recorded_data_end() -> None:
    life = pd.DataFrame(
        {"start": utc("2026-08-01", "2026-09-01", "2026-10-01"), "pulse_ratio": [0.8, 1.1, 0.3]}
    )
    life.attrs["data_end"] = pd.Timestamp("2026-10-31 23:50", tz="UTC")
    assert summaries.pulse_latest(life) == ("Pulse ratio, September 2026", 1.1, 0.8)
    # exactly at the end of October, October is complete
    life.attrs["data_end"] = pd.Timestamp("2026-11-01", tz="UTC")
    assert summaries.pulse_latest(life) == ("Pulse ratio, October 2026", 0.3, 1.1)


def test_pulse_compares_only_with_the_period_right_before() -> None:
    # 12 Oct has no ratio (nobody dormant): 19 Oct is not compared with 5 Oct
    life = weekly_lifecycle([1.25, None, 1.08, 0.9], complete=[True, True, True, False])
    assert summaries.pulse_latest(life) == ("Pulse ratio, 19–25 Oct 2026", 1.08, None)


def test_pulse_with_no_complete_period_is_none() -> None:
    assert summaries.pulse_latest(weekly_lifecycle([1.0, 2.0], complete=[False, False])) is None


def test_pulse_of_a_bare_frame_is_its_last_row() -> None:
    assert summaries.pulse_latest(weekly_lifecycle([1.0, 2.0])) == (
        "Pulse ratio, 26 Oct – 1 Nov 2026",
        2.0,
        1.0,
    )


# --- revenue rates -------------------------------------------------------------------------------


def monthly_revenue() -> pd.DataFrame:
    return pd.DataFrame(
        {"period": utc("2026-08-01", "2026-09-01", "2026-10-01"), "nrr": [0.97, 0.98, 1.4]}
    )


def test_revenue_rates_name_the_last_complete_month_and_the_data_end() -> None:
    frame = monthly_revenue().assign(complete=[True, True, False])
    frame.attrs["data_end"] = pd.Timestamp("2026-10-31 21:59", tz="UTC")
    row, caption = summaries.revenue_rates_period(frame)
    assert float(row["nrr"]) == 0.98
    assert caption == (
        "Rates of September 2026, the last complete month (data up to 31 Oct 2026 21:59)."
    )


def test_revenue_rates_without_flags_use_as_of() -> None:
    row, caption = summaries.revenue_rates_period(
        monthly_revenue(), as_of=pd.Timestamp("2026-10-01", tz="UTC")
    )
    assert (float(row["nrr"]), caption) == (
        0.98,
        "Rates of September 2026, the last complete month.",
    )
    # the flags of the metric win over the page's as_of (the catalog's end may be in the future)
    flagged = monthly_revenue().assign(complete=[True, False, False])
    row, _ = summaries.revenue_rates_period(flagged, as_of=pd.Timestamp("2027-01-01", tz="UTC"))
    assert float(row["nrr"]) == 0.97


def test_revenue_rates_with_no_complete_month_say_in_progress() -> None:
    frame = monthly_revenue().assign(complete=False)
    row, caption = summaries.revenue_rates_period(frame, period="month")
    assert float(row["nrr"]) == 1.4
    assert caption == "Rates of October 2026 so far: no month is complete yet (in progress)."


# --- periods in progress -------------------------------------------------------------------------


def test_in_progress_text_names_the_data_end_only_when_a_period_is_in_progress() -> None:
    frame = monthly_revenue().assign(complete=[True, True, False])
    assert summaries.in_progress_text(frame, drawn="dashed") == (
        "Periods that end after the data end are in progress and dashed: they are still filling"
        " up, and averages and latest values leave them out."
    )
    frame.attrs["data_end"] = pd.Timestamp("2026-11-02 04:46", tz="Europe/Berlin")
    assert "after the data end (2 Nov 2026 04:46) are" in str(summaries.in_progress_text(frame))
    assert summaries.in_progress_text(frame.assign(complete=True)) is None
    assert summaries.in_progress_text(monthly_revenue()) is None  # no flags: nothing to say


@pytest.mark.parametrize(
    ("starts", "period"),
    [
        (["2026-10-31 22:00", "2026-10-31 23:00"], "hour"),
        (["2026-10-30", "2026-10-31"], "day"),
        (["2026-10-19", "2026-10-26"], "week"),
        (["2026-02-01", "2026-03-01"], "month"),
        (["2026-07-01", "2026-10-01"], "quarter"),
        (["2026-10-01", "2026-10-15"], None),
        (["2026-10-01"], None),
    ],
)
def test_guess_period(starts: list[str], period: str | None) -> None:
    assert summaries.guess_period(utc(*starts)) == period


def test_a_week_across_a_clock_change_is_still_a_week() -> None:
    berlin = pd.Series(pd.to_datetime(["2026-10-19", "2026-10-26"]).tz_localize("Europe/Berlin"))
    assert berlin.iloc[1] - berlin.iloc[0] == pd.Timedelta(days=7, hours=1)
    assert summaries.guess_period(berlin) == "week"


def test_data_end_text() -> None:
    assert summaries.data_end_text(None) == "No data yet."
    berlin = pd.Timestamp("2026-11-02 04:46", tz="Europe/Berlin")
    assert summaries.data_end_text(berlin).startswith("Data up to 2 Nov 2026 04:46 CET: ")


# --- drawn ---------------------------------------------------------------------------------------


def _draw_lifecycle() -> None:
    import pandas as pd

    from prodops.ui import summaries

    life = pd.DataFrame(
        {
            "start": pd.to_datetime(["2026-10-12", "2026-10-19", "2026-10-26"], utc=True),
            "pulse_ratio": [1.25, 1.08, 0.94],
            "complete": [True, True, False],
        }
    )
    life.attrs["data_end"] = pd.Timestamp("2026-10-31 23:50", tz="UTC")
    summaries.lifecycle_summary(life)
    summaries.in_progress_note(life)
    summaries.lifecycle_summary(life.assign(complete=False))


def test_lifecycle_summary_draws_the_latest_complete_pulse_and_the_note() -> None:
    at = AppTest.from_function(_draw_lifecycle).run()
    assert not at.exception
    [metric] = at.metric
    assert (metric.label, metric.value, metric.delta) == (
        "Pulse ratio, 19–25 Oct 2026",
        "1.08",
        "-0.17",
    )
    captions = [c.value for c in at.caption]
    assert captions[0].startswith("Periods that end after the data end (31 Oct 2026 23")
    assert captions[1] == "No complete period yet: the pulse ratio needs one."


def _draw_tiles() -> None:
    from prodops.metrics.kpis import Kpi
    from prodops.ui import render

    render.kpi_tiles(
        [
            Kpi("NRR", 0.98, 0.99, "percent", "", period_label="September 2026",
                previous_label="August 2026"),
            Kpi("MRR", 10.0, None, "money", "", period_label="as of 2 Nov 2026 04:46"),
        ]
    )  # fmt: skip


def test_kpi_tiles_show_each_tiles_period_under_its_value() -> None:
    at = AppTest.from_function(_draw_tiles).run()
    assert not at.exception
    assert [(m.label, m.value, m.delta) for m in at.metric] == [
        ("NRR", "98.0%", "-1.0 pts"),
        ("MRR", "10.00", ""),
    ]
    assert [c.value.replace("\\", "") for c in at.caption] == [
        "September 2026 · change vs August 2026",
        "as of 2 Nov 2026 04:46",
    ]
