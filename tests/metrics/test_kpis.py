"""Home-page KPIs and insight rules on hand-made frames with exact, hand-checked expectations."""

from __future__ import annotations

import pandas as pd
import pytest

from prodops.metrics import kpis as insights
from prodops.metrics.kpis import Kpi

UTC = "UTC"


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz=UTC)


def weekly_retention(
    rates: list[float], sizes: list[int], *, first: str = "2024-01-01"
) -> pd.DataFrame:
    """Cohorts one week apart with offsets 0 and 1 (offset-1 rate given)."""
    rows = []
    for i, (rate, size) in enumerate(zip(rates, sizes, strict=True)):
        cohort = ts(first) + pd.Timedelta(weeks=i)
        rows.append((None, cohort, size, 0, size, 1.0))
        rows.append((None, cohort, size, 1, round(rate * size), rate))
    frame = pd.DataFrame(rows, columns=["breakdown", "cohort", "size", "offset", "count", "rate"])
    return frame.astype({"count": "Int64", "rate": "Float64"})


# --- KPIs ----------------------------------------------------------------------------------------


def test_kpi_formats_value_and_delta_by_kind() -> None:
    assert Kpi("a", 1234.0, 1000.0, "count", "").formatted_value() == "1,234"
    assert Kpi("a", 1234.0, 1000.0, "count", "").formatted_delta() == "+234"
    pct = Kpi("r", 0.25, 0.30, "percent", "")
    assert pct.formatted_value() == "25.0%"
    assert pct.formatted_delta() == "-5.0 pts"
    assert Kpi("m", 1500.5, 1000.0, "money", "").formatted_delta() == "+500.50"
    assert Kpi("m", None, 1.0, "money", "").formatted_value() == "–"
    assert Kpi("m", 1.0, None, "money", "").formatted_delta() is None


def test_active_users_kpi_compares_with_one_window_earlier() -> None:
    days = pd.date_range("2024-01-01", periods=10, tz=UTC)
    active = pd.DataFrame({"date": days, "users": [10, 11, 12, 13, 14, 15, 16, 17, 18, 20]})
    kpi = insights.active_users_kpi(active, window_days=7)
    assert kpi.label == "Weekly active users"
    assert (kpi.value, kpi.previous, kpi.delta) == (20.0, 12.0, 8.0)  # Jan 10 vs Jan 3


def test_active_users_kpi_without_history_has_no_delta() -> None:
    active = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, tz=UTC), "users": 5})
    assert insights.active_users_kpi(active).delta is None
    assert insights.active_users_kpi(active.iloc[0:0]).value is None


def test_week1_retention_kpi_uses_latest_complete_cohort() -> None:
    frame = weekly_retention([0.5, 0.4, 0.3], [10, 10, 10])  # cohorts Jan 1, Jan 8, Jan 15
    # data ends Jan 25: cohort Jan 15's week 1 (Jan 22-29) is not complete yet
    kpi = insights.week1_retention_kpi(frame, as_of=ts("2024-01-25"))
    assert (kpi.value, kpi.previous) == (0.4, 0.5)
    assert kpi.formatted_delta() == "-10.0 pts"
    complete = insights.week1_retention_kpi(frame, as_of=ts("2024-01-29"))
    assert (complete.value, complete.previous) == (0.3, 0.4)


def test_week1_retention_kpi_skips_empty_and_unobservable_cohorts() -> None:
    frame = weekly_retention([0.5, 0.0], [10, 0])
    frame.loc[(frame["cohort"] == ts("2024-01-01")) & (frame["offset"] == 1), "rate"] = pd.NA
    kpi = insights.week1_retention_kpi(frame)
    assert kpi.value is None


def test_churn_kpi_ignores_the_period_still_filling_up() -> None:
    churn = pd.DataFrame(
        {
            "period": [ts("2024-01-01"), ts("2024-02-01"), ts("2024-03-01")],
            "active_start": [0, 100, 90],
            "churned": [0, 10, 45],
            "churn_rate": pd.array([None, 0.10, 0.50], dtype="Float64"),
        }
    )
    partial = insights.churn_kpi(churn, as_of=ts("2024-03-10"))
    assert (partial.value, partial.previous) == (0.10, None)
    full = insights.churn_kpi(churn, as_of=ts("2024-04-01"))
    assert (full.value, full.previous) == (0.50, 0.10)
    assert full.better == "down"


def revenue(nrr_parts: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """Monthly revenue rows from (mrr_start, expansion, contraction, churn)."""
    rows = []
    for i, (start, exp, con, churn) in enumerate(nrr_parts):
        rows.append(
            {
                "period": ts("2024-01-01") + pd.DateOffset(months=i),
                "mrr_start": start,
                "new": 0.0,
                "expansion": exp,
                "contraction": con,
                "churn": churn,
                "reactivation": 0.0,
                "mrr_end": start + exp - con - churn,
                "logo_churn_rate": 0.05,
                "nrr": (start + exp - con - churn) / start,
            }
        )
    return pd.DataFrame(rows)


def test_mrr_and_nrr_kpis() -> None:
    frame = revenue([(1000, 10, 10, 40), (960, 96, 0, 0)])
    mrr = insights.mrr_kpi(frame)
    assert (mrr.value, mrr.previous) == (1056.0, 960.0)
    nrr = insights.nrr_kpi(frame)
    assert nrr.value == pytest.approx(1.1) and nrr.previous == pytest.approx(0.96)
    assert insights.logo_churn_kpi(frame).value == 0.05


# --- rules ---------------------------------------------------------------------------------------


def test_weak_cohort_flags_a_cohort_far_below_the_weighted_average_of_recent_ones() -> None:
    # baseline for the 5th cohort: (0.40*100 + 0.30*100 + 0.35*200) / 400 = 0.35
    frame = weekly_retention([0.40, 0.30, 0.35, 0.35, 0.20], [100, 100, 200, 0, 50])
    found = insights.weak_cohort_insights(frame, lookback=6, recent=4)
    assert len(found) == 1
    insight = found[0]
    assert insight.page == "pages/1_Retention.py"
    assert insight.severity == "warning"
    assert insight.score == pytest.approx(0.15)
    assert insight.title == "Weak cohort: week of 2024-01-29"
    assert insight.text == (
        "Only 20% of the 50 users who started in the week of 2024-01-29 came back in the"
        " following week, against 35% on average for the 3 cohorts before it (15 points lower)."
    )


def test_weak_cohort_needs_both_a_relative_and_an_absolute_drop() -> None:
    # 0.04 vs 0.06: 33 % lower but only 2 points: not flagged
    small = weekly_retention([0.06, 0.06, 0.06, 0.04], [100, 100, 100, 100])
    assert insights.weak_cohort_insights(small) == []
    # 0.55 vs 0.62: 7 points but only 11 % lower: not flagged
    mild = weekly_retention([0.62, 0.62, 0.62, 0.55], [100, 100, 100, 100])
    assert insights.weak_cohort_insights(mild) == []


def test_weak_cohort_ignores_small_cohorts_and_short_history() -> None:
    assert insights.weak_cohort_insights(weekly_retention([0.4, 0.4, 0.1], [100, 100, 100])) == []
    tiny = weekly_retention([0.4, 0.4, 0.4, 0.0], [100, 100, 100, 5])
    assert insights.weak_cohort_insights(tiny) == []


def test_weak_cohort_does_not_judge_an_incomplete_week() -> None:
    frame = weekly_retention([0.40, 0.40, 0.40, 0.10], [100, 100, 100, 100])
    # cohort Jan 22: its week 1 is Jan 29 - Feb 5; the data ends Feb 1
    assert insights.weak_cohort_insights(frame, as_of=ts("2024-02-01")) == []
    assert len(insights.weak_cohort_insights(frame, as_of=ts("2024-02-05"))) == 1


def churn_frame(rates: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": [ts("2024-01-01") + pd.DateOffset(months=i) for i in range(len(rates))],
            "active_start": 100,
            "churned": [round(r * 100) for r in rates],
            "churn_rate": rates,
        }
    )


def test_churn_spike_flags_a_rate_well_above_the_recent_average() -> None:
    spike = insights.churn_spike_insight(churn_frame([0.05, 0.06, 0.04, 0.05, 0.12]))
    assert spike is not None
    assert spike.title == "User churn spiked in 2024-05"
    assert spike.score == pytest.approx(0.07)
    assert spike.text == (
        "User churn was 12% in the month of 2024-05, against 5% on average over the 4 months"
        " before (7 points higher)."
    )
    assert spike.page == "pages/3_Revenue_and_Churn.py"


def test_churn_spike_needs_factor_points_and_history() -> None:
    assert insights.churn_spike_insight(churn_frame([0.05, 0.06, 0.04, 0.05, 0.065])) is None
    assert insights.churn_spike_insight(churn_frame([0.01, 0.01, 0.01, 0.01, 0.025])) is None
    assert insights.churn_spike_insight(churn_frame([0.05, 0.05, 0.20])) is None


def test_churn_spike_skips_the_incomplete_last_period() -> None:
    frame = churn_frame([0.05, 0.06, 0.04, 0.05, 0.12])
    assert insights.churn_spike_insight(frame, as_of=ts("2024-05-20")) is None


def test_nrr_change_is_attributed_to_expansion() -> None:
    # months 1-3: NRR 0.96 (churn 4 %); month 4: expansion 10 % -> NRR 1.06
    frame = revenue([(1000, 0, 0, 40), (1000, 0, 0, 40), (1000, 0, 0, 40), (1000, 100, 0, 40)])
    insight = insights.nrr_change_insight(frame)
    assert insight is not None
    assert insight.title == "NRR rose in 2024-04, driven by expansion"
    assert insight.severity == "success"
    assert insight.score == pytest.approx(0.10)
    assert insight.text == (
        "Net revenue retention rose to 106% in the month of 2024-04, against 96% on average over"
        " the 3 months before. Most of the change came from more expansion: 10.0% of starting MRR"
        " against 0.0% before."
    )


def test_nrr_fall_driven_by_churn_and_small_changes_ignored() -> None:
    fall = revenue([(1000, 20, 0, 20), (1000, 20, 0, 20), (1000, 20, 10, 90)])
    insight = insights.nrr_change_insight(fall)
    assert insight is not None and insight.title == "NRR fell in 2024-03, driven by churn"
    assert insight.severity == "warning"
    steady = revenue([(1000, 20, 0, 20), (1000, 20, 0, 20), (1000, 30, 0, 20)])
    assert insights.nrr_change_insight(steady) is None


def test_rank_insights_orders_by_size_and_limits() -> None:
    a = insights.Insight("a", "", "p", "info", 0.1)
    b = insights.Insight("b", "", "p", "info", 0.3)
    c = insights.Insight("c", "", "p", "info", 0.2)
    assert [i.title for i in insights.rank_insights([a, None, b, c], limit=2)] == ["b", "c"]


def test_period_end_steps_calendar_months() -> None:
    assert insights.period_end(ts("2024-01-31"), "month") == ts("2024-02-29")
    assert insights.period_end(ts("2024-01-01"), "week", 2) == ts("2024-01-15")


# --- key numbers of a dataset (what Home shows) --------------------------------------------------


def small_events() -> pd.DataFrame:
    """Weeks start on Monday Jan 1, 8, 15, 22 (2024); the data ends Jan 22 10:00."""
    days = {
        "a": ["2024-01-01", "2024-01-08", "2024-01-15"],
        "b": ["2024-01-02", "2024-01-16"],
        "c": ["2024-01-09", "2024-01-16"],
        "d": ["2024-01-10", "2024-01-18"],
        "e": ["2024-01-17", "2024-01-22 10:00"],
    }
    rows = [(user, "open", ts(day)) for user, stamps in days.items() for day in stamps]
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


def test_summarise_events_picks_wau_week1_retention_and_monthly_churn() -> None:
    events = small_events()
    run = insights.metric_runner(events)
    calls: list[tuple[str, dict[str, object]]] = []

    def load(metric: str, **params: object) -> pd.DataFrame:
        calls.append((metric, params))
        return run(metric, **params)

    kpis, found = insights.summarise("events", time_max=ts("2024-01-22 10:00"), load=load)
    assert [k.label for k in kpis] == [
        "Weekly active users",
        "Week-1 retention",
        "User churn (month)",
    ]
    # Jan 16-22: b, c, d, e; one window earlier (Jan 9-15): a, c, d
    assert (kpis[0].value, kpis[0].previous) == (4.0, 3.0)
    # cohort Jan 8 {c, d}: both back the week of Jan 15; cohort Jan 1 {a, b}: only a back Jan 8.
    # Cohort Jan 15 {e} is not judged: its week 1 (Jan 22-28) is still filling up.
    assert (kpis[1].value, kpis[1].previous) == (1.0, 0.5)
    assert (kpis[2].value, kpis[2].previous) == (None, None)  # January is not complete
    assert found == []  # cohorts of 2 users are too small to call weak
    assert calls[0] == (
        "active_users",
        {
            "window_days": 7,
            "date_from": ts("2024-01-01").date(),
            "date_to": ts("2024-01-22").date(),
        },
    )
    assert [c[0] for c in calls] == ["active_users", "retention", "churn"]


def small_subscriptions() -> pd.DataFrame:
    """x, y, w from Dec 1 (100 + 50 + 20); z joins Jan 10 (30); y ends Feb 15."""
    return pd.DataFrame(
        {
            "customer_id": ["x", "y", "z", "w"],
            "start": [ts("2023-12-01"), ts("2023-12-01"), ts("2024-01-10"), ts("2023-12-01")],
            "end": [pd.NaT, ts("2024-02-15"), pd.NaT, pd.NaT],
            "mrr": [100.0, 50.0, 30.0, 20.0],
        }
    )


def test_summarise_subscriptions_picks_mrr_nrr_and_logo_churn() -> None:
    load = insights.metric_runner(small_subscriptions())
    kpis, found = insights.summarise("subscriptions", time_max=ts("2024-03-20"), load=load)
    assert [k.label for k in kpis] == ["MRR", "NRR", "Logo churn"]
    assert (kpis[0].value, kpis[0].previous) == (150.0, 200.0)  # end of Feb, end of Jan
    assert kpis[1].value == pytest.approx((200 - 50) / 200) and kpis[1].previous == 1.0
    assert (kpis[2].value, kpis[2].previous) == (0.25, 0.0)  # y: 1 of 4 customers in February
    assert [i.title for i in found] == ["NRR fell in 2024-02, driven by churn"]
    # with the data ending Feb 20, February is still filling up: January is the latest
    early, none = insights.summarise("subscriptions", time_max=ts("2024-02-20"), load=load)
    assert (early[1].value, early[2].value) == (1.0, 0.0)
    assert none == []
