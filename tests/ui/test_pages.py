"""AppTest over every page: the demo data, an empty catalog, every control, the URL state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = ["app.py", "pages/1_Retention.py", "pages/2_Engagement.py", "pages/3_Revenue_and_Churn.py"]

Open = Callable[..., AppTest]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def texts(elements: object) -> list[str]:
    return [str(e.value) for e in elements]  # type: ignore[attr-defined]


def table(at: AppTest, index: int = -1) -> object:
    return at.dataframe[index].value


# --- every page, empty catalog and demo data -----------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_with_an_empty_catalog_says_what_to_do(open_page: Open, path: str) -> None:
    at = open_page(path)
    assert_clean(at)
    assert any("No datasets yet" in t and "prodops setup" in t for t in texts(at.info))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_runs_with_the_demo_data(
    demo_home_env: Path, open_page: Open, path: str
) -> None:
    at = open_page(path)
    assert_clean(at)
    assert at.selectbox(key="dataset_picker").value in {"demo-events", "demo-subscriptions"}
    assert at.query_params["dataset"] == at.selectbox(key="dataset_picker").value


# --- Home ----------------------------------------------------------------------------------------


def test_home_shows_catalog_kpis_with_changes_and_links(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("app.py")
    assert_clean(at)
    catalog = at.dataframe[0].value
    assert list(catalog["Dataset"]) == ["demo-events", "demo-subscriptions", "one-event"]
    assert list(catalog.columns) == ["Dataset", "Kind", "Rows", "Users / customers", "From", "To"]
    assert catalog.loc[catalog["Dataset"] == "demo-events", "Users / customers"].item() == 20000
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Weekly active users", "Week-1 retention", "User churn (month)"]
    assert all(m.delta for m in at.metric[:3])  # each has a change against the previous period
    assert labels[3:6] == ["MRR", "NRR", "Logo churn"]  # the other kind: demo-subscriptions
    assert all(m.delta for m in at.metric[3:6])


def test_home_tiles_name_their_period_and_share_the_last_complete_one(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("app.py")
    assert_clean(at)
    captions = [t.replace("\\", "") for t in texts(at.caption)]
    # demo-events ends on Saturday 31 October 2026 at 23:50:30: the week of 26 October and
    # October itself are still in progress, so the weekly tiles show 19-25 October (the cohort of
    # 12 October came back then) and churn shows September.
    events = captions.index(
        "Data up to 31 Oct 2026 23:50 UTC: each number is of the latest complete period it"
        " names; the change is against the period before."
    )
    assert captions[events + 1 : events + 4] == [
        "19–25 Oct 2026 · change vs 12–18 Oct",
        "cohort 12–18 Oct, back 19–25 Oct 2026 · change vs cohort 5–11 Oct",
        "September 2026 · change vs August 2026",
    ]
    # demo-subscriptions ends on 31 October at 21:59: MRR as of then, against the end of
    # September; NRR and logo churn of September, the last complete month.
    subscriptions = captions.index(
        "Data up to 31 Oct 2026 21:59 UTC: each number is of the latest complete period it"
        " names; the change is against the period before."
    )
    assert captions[subscriptions + 1 : subscriptions + 5] == [
        "as of 31 Oct 2026 21:59 · change vs 1 Oct 2026",
        "September 2026 · change vs August 2026",
        "September 2026 · change vs August 2026",
        "end of September 2026 · churn of Apr–Sep 2026",  # the one LTV, as of September too
    ]
    ltv = at.metric[6]
    assert (ltv.label, ltv.value) == ("LTV", "2,922.29")  # revenue(...).attrs["ltv"], one figure


def test_home_picker_is_remembered_on_the_other_pages(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("app.py")
    at.selectbox(key="dataset_picker").set_value("demo-subscriptions").run()
    assert at.query_params["dataset"] == "demo-subscriptions"
    at.switch_page("pages/1_Retention.py").run()
    assert_clean(at)
    assert at.selectbox(key="dataset_picker").value == "demo-subscriptions"
    assert any("needs events data" in t for t in texts(at.info))


def test_a_one_event_dataset_gives_messages_not_exceptions(
    demo_home_env: Path, open_page: Open
) -> None:
    for path in PAGES:
        at = open_page(path, dataset="one-event")
        assert not at.exception, (path, [e.value for e in at.exception])
        assert at.selectbox(key="dataset_picker").value == "one-event"


# --- Retention -----------------------------------------------------------------------------------


def test_retention_defaults_to_eight_weekly_cohorts(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    assert_clean(at)
    frame = table(at)
    assert list(frame.columns) == ["Cohort", "Users", *[f"Week {k}" for k in range(8)]]
    assert len(frame) == 8
    assert frame["Week 0"].tolist() == [1.0] * 8
    assert frame["Week 7"].isna().sum() == 7  # only the first cohort can be seen 7 weeks on
    assert any("first start event matching the start filters" in t for t in texts(at.caption))


def test_retention_controls_change_the_view_and_the_url(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.selectbox(key="period").set_value("day").run()
    at.number_input(key="periods").set_value(4).run()
    assert_clean(at)
    frame = table(at)
    assert list(frame.columns)[2:] == ["Day 0", "Day 1", "Day 2", "Day 3"]
    assert frame["Cohort"].tolist() == ["2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31"]
    assert at.query_params["period"] == "day"
    assert at.query_params["periods"] == "4"
    events = at.selectbox(key="start").options
    assert events[0] == "Any event" and len(events) > 2
    at.selectbox(key="start").select_index(1).run()
    at.selectbox(key="return").select_index(2).run()
    at.selectbox(key="cohort").set_value("recurring").run()
    at.number_input(key="every").set_value(2).run()
    at.selectbox(key="tz").set_value("Europe/Berlin").run()
    at.selectbox(key="week_start").set_value("sunday").run()
    at.number_input(key="min_occ").set_value(2).run()
    at.toggle(key="cumulative").set_value(True).run()
    assert_clean(at)
    qp = at.query_params
    assert qp["cohort"] == "recurring" and qp["every"] == "2" and qp["tz"] == "Europe/Berlin"
    assert qp["week_start"] == "sunday" and qp["min_occ"] == "2" and qp["cumulative"] == "1"
    assert any("on or after" in t for t in texts(at.caption))
    assert list(table(at).columns)[2] == "Period 0"
    at.date_input(key="to").set_value(date(2026, 10, 15)).run()
    at.multiselect(key="return_where_cols").select("plan").run()
    values = at.multiselect(key="return_where_v_plan").options
    at.multiselect(key="return_where_v_plan").select(values[0]).run()
    assert_clean(at)
    assert at.query_params["to"] == "2026-10-15"
    assert at.query_params["return_where_cols"] == "plan"
    assert at.query_params["return_where_v_plan"] == values[0]


def test_retention_date_range_filters_and_breakdown(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.selectbox(key="range_by").set_value("dates").run()
    at.date_input(key="dates").set_value((date(2026, 9, 1), date(2026, 9, 30))).run()
    assert_clean(at)
    assert at.query_params["dates"] == "2026-09-01..2026-09-30"
    assert len(table(at)) == 5  # the weeks starting Aug 31, Sep 7, 14, 21, 28
    at.multiselect(key="where_cols").select("plan").run()
    at.multiselect(key="where_v_plan").select("free").run()
    assert_clean(at)
    assert at.query_params["where_v_plan"] == "free"
    at.selectbox(key="breakdown").set_value("platform").run()
    at.toggle(key="one_value").set_value(True).run()
    assert_clean(at)
    value = at.selectbox(key="value")
    assert len(value.options) >= 2
    value.set_value(value.options[1]).run()
    assert_clean(at)
    assert at.query_params["value"] == value.options[1]


def test_retention_filter_matching_nothing_is_a_message(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.multiselect(key="start_where_cols").select("plan").run()
    at.multiselect(key="start_where_v_plan").select("free").run()
    at.multiselect(key="where_cols").select("plan").run()
    at.multiselect(key="where_v_plan").select("pro").run()
    assert not at.exception
    assert any("No user did the start event" in t for t in texts(at.info))


def test_retention_a_comparison_on_text_is_not_an_error(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.multiselect(key="where_cols").select("plan").run()
    at.selectbox(key="where_op_plan").set_value(">=").run()
    at.text_input(key="where_t_plan").set_value("pro").run()  # text order: pro, starter
    assert_clean(at)
    assert at.query_params["where_t_plan"] == "pro"


def test_retention_view_comes_from_the_url(demo_home_env: Path, open_page: Open) -> None:
    at = open_page(
        "pages/1_Retention.py",
        dataset="demo-events",
        period="day",
        periods="5",
        to="2026-10-15",
        cohort="first_ever",
    )
    assert_clean(at)
    assert at.selectbox(key="period").value == "day"
    assert at.selectbox(key="cohort").value == "first_ever"
    frame = table(at)
    assert frame["Cohort"].tolist() == [f"2026-10-{d}" for d in range(11, 16)]


def test_retention_bad_url_values_fall_back_to_defaults(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page(
        "pages/1_Retention.py", dataset="nope", period="fortnight", periods="-3", to="garbage"
    )
    assert_clean(at)
    assert at.selectbox(key="dataset_picker").value == "demo-events"
    assert at.selectbox(key="period").value == "week"
    assert at.number_input(key="periods").value == 8


def test_retention_on_subscriptions_explains_what_it_needs(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-subscriptions")
    assert_clean(at)
    assert any("Retention needs events data" in t for t in texts(at.info))


# --- Engagement ----------------------------------------------------------------------------------


def test_engagement_controls(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("pages/2_Engagement.py", dataset="demo-events")
    assert_clean(at)
    # The demo ends on Saturday 31 October: the week of the 26th is in progress, so the latest
    # pulse ratio is the week before's (issue 11: it showed the 6-of-7-days week).
    assert [m.label for m in at.metric] == ["Pulse ratio, 19–25 Oct 2026"]
    at.date_input(key="dates").set_value((date(2026, 8, 1), date(2026, 8, 31))).run()
    at.selectbox(key="event").select_index(1).run()
    at.selectbox(key="tz").set_value("America/New_York").run()
    at.multiselect(key="where_cols").select("plan").run()
    at.multiselect(key="where_v_plan").select(at.multiselect(key="where_v_plan").options[0]).run()
    at.selectbox(key="st_period").set_value("week").run()
    at.number_input(key="min_events").set_value(2).run()
    at.toggle(key="st_cumulative").set_value(True).run()
    at.toggle(key="st_incomplete").set_value(True).run()
    at.selectbox(key="lc_period").set_value("day").run()
    at.selectbox(key="week_start").set_value("sunday").run()
    assert_clean(at)
    qp = at.query_params
    assert qp["dates"] == "2026-08-01..2026-08-31" and qp["tz"] == "America/New_York"
    assert qp["st_period"] == "week" and qp["lc_period"] == "day"
    assert qp["st_cumulative"] == "1" and qp["min_events"] == "2"
    assert qp["st_incomplete"] == "1"


# --- Revenue & Churn -----------------------------------------------------------------------------


def test_revenue_page_on_events_shows_user_churn_and_explains_subscriptions(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/3_Revenue_and_Churn.py", dataset="demo-events")
    assert_clean(at)
    assert any("need a subscriptions dataset" in t for t in texts(at.caption))
    churn = table(at)
    assert list(churn.columns) == ["period", "active_start", "churned", "churn_rate", "complete"]
    assert churn["complete"].tolist()[-1] is False  # October: the data ends on its last day
    assert ((churn["churn_rate"].dropna() >= 0) & (churn["churn_rate"].dropna() <= 1)).all()
    at.selectbox(key="churn_period").set_value("week").run()
    at.selectbox(key="event").select_index(1).run()
    at.selectbox(key="tz").set_value("Asia/Tokyo").run()
    at.date_input(key="dates").set_value((date(2026, 6, 1), date(2026, 7, 31))).run()
    assert_clean(at)
    assert at.query_params["churn_period"] == "week"
    assert len(table(at)) == 9  # the weeks starting Jun 1 .. Jul 27


def test_revenue_page_on_subscriptions_shows_formulas(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("pages/3_Revenue_and_Churn.py", dataset="demo-subscriptions")
    assert_clean(at)
    labels = [m.label for m in at.metric]
    assert labels[:5] == ["Logo churn", "Gross MRR churn", "Net MRR churn", "NRR", "GRR"]
    # each rate with its formula, verbatim (a code span in a caption)
    formulas = [c.value.strip("`") for c in at.caption if c.value.startswith("`")]
    assert "customers_churned / customers_start" in formulas
    assert len(formulas) >= 5

    def ltv_tile() -> tuple[str, str]:
        (value,) = [m.value for m in at.metric if m.label == "LTV"]
        shown = [c.value.strip("`") for c in at.caption if c.value.startswith("`")]
        (line,) = [f for f in shown if f.startswith("LTV ")]
        return value, line

    monthly = ltv_tile()
    assert monthly[1].startswith("LTV = ARPA / mean monthly logo churn")
    at.selectbox(key="rev_period").set_value("quarter").run()
    assert_clean(at)
    assert ltv_tile() == monthly  # one LTV whatever the display period (issue 11)
    at.selectbox(key="rev_period").set_value("week").run()
    assert ltv_tile() == monthly
    at.date_input(key="dates").set_value((date(2026, 1, 1), date(2026, 9, 30))).run()
    assert_clean(at)
    assert at.query_params["rev_period"] == "week"


def test_a_link_with_parameters_wins_over_the_session_and_switching_keeps_it(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.selectbox(key="period").set_value("day").run()
    at.switch_page("pages/2_Engagement.py").run()
    at.switch_page("pages/1_Retention.py").run()
    assert at.selectbox(key="period").value == "day"  # remembered in the session
    at.query_params["period"] = "week"  # a link such as an insight's "Open Retention"
    at.run()
    assert_clean(at)
    assert at.selectbox(key="period").value == "week"
    assert table(at)["Cohort"].tolist()[-1] == "2026-10-26"


def test_home_insight_links_to_the_weak_demo_cohort(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("app.py", dataset="demo-events")
    assert_clean(at)
    warnings = [w.replace("\\", "") for w in texts(at.warning)]  # shown Markdown-escaped
    # the demo's onboarding change five months before the end hurt the June 2026 cohorts
    assert any("Weak cohort: week of 2026-06" in w for w in warnings), warnings


def test_a_dataset_saved_elsewhere_appears_on_the_next_rerun(
    prodops_home: Path, open_page: Open
) -> None:
    import pandas as pd

    from prodops.data.catalog import Catalog

    frame = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["open", "open"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True),
        }
    )
    catalog = Catalog(prodops_home)
    catalog.save("first", frame, kind="events")
    at = open_page("app.py")
    assert list(at.dataframe[0].value["Dataset"]) == ["first"]
    catalog.save("second", frame, kind="events")  # as the Data page or the CLI would
    at.run()
    assert_clean(at)
    assert list(at.dataframe[0].value["Dataset"]) == ["first", "second"]
