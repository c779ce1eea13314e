"""The Retention page states its range, what is in progress, and averages complete periods."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

Open = Callable[..., AppTest]


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def captions(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.caption]


def test_the_page_states_the_cohorts_and_the_data_end(demo_home_env: Path, open_page: Open) -> None:
    # The demo events end on Saturday 31 October 2026: the week of 26 October is in progress.
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    clean(at)
    shown = captions(at)
    assert (
        "8 weekly cohorts from Monday 2026-09-07 to the week of Monday 2026-10-26,"
        " each followed for 8 weeks."
    ) in shown
    notes = [c for c in shown if c.startswith("In progress: periods that end after the data end")]
    assert len(notes) == 1 and notes[0].endswith("left out of the average.")
    assert "(2026-10-31 " in notes[0]
    assert at.toggle(key="incomplete").value is False
    at.toggle(key="incomplete").set_value(True).run()
    clean(at)
    assert at.query_params["incomplete"] == "1"
    assert any(c.endswith("counted in the average.") for c in captions(at))


def test_a_date_range_says_where_its_first_period_starts_and_can_follow_longer(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.selectbox(key="range_by").set_value("dates").run()
    at.date_input(key="dates").set_value((date(2026, 8, 9), date(2026, 8, 30))).run()
    at.number_input(key="follow").set_value(6).run()
    clean(at)
    assert at.query_params["follow"] == "6"
    assert (
        "4 weekly cohorts from Monday 2026-08-03 (the start of the week containing 2026-08-09)"
        " to the week of Monday 2026-08-24, each followed for 6 weeks."
    ) in captions(at)
    frame = at.dataframe[-1].value
    assert list(frame.columns) == ["Cohort", "Users", *[f"Week {k}" for k in range(6)]]
    # the data runs to October: every cohort is followed for the 6 weeks, past the range's end
    assert frame["Week 5"].notna().all() and (frame["Week 5"] < frame["Week 0"]).all()


def test_the_table_marks_the_values_of_periods_in_progress(
    demo_home_env: Path, open_page: Open
) -> None:
    # Weekly cohorts ending on Saturday 31 October: the last diagonal (each cohort's week that
    # holds 26 October) is in progress and drawn grey and italic, with a caption saying so.
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    clean(at)
    assert "Grey italic values: in progress (the period ends after the data end)." in captions(at)
    # A range that ends well before the data end has nothing in progress: no caption.
    at.selectbox(key="range_by").set_value("dates").run()
    at.date_input(key="dates").set_value((date(2026, 8, 3), date(2026, 8, 24))).run()
    at.number_input(key="follow").set_value(4).run()
    clean(at)
    assert not any(c.startswith("Grey italic values") for c in captions(at))
