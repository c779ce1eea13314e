"""Home-page KPIs and insight rules on hand-made frames with exact, hand-checked expectations."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd
import pytest

from prodops.engine import as_table
from prodops.metrics import kpi_insights, kpi_summary, kpi_tiles
from prodops.metrics import kpis as insights
from prodops.metrics.kpis import Kpi
from prodops.metrics.registry import DatasetKind

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
    kpi = kpi_tiles.active_users_kpi(active, window_days=7)
    assert kpi.label == "Weekly active users"
    assert (kpi.value, kpi.previous, kpi.delta) == (20.0, 12.0, 8.0)  # Jan 10 vs Jan 3


def test_active_users_kpi_without_history_has_no_delta() -> None:
    active = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, tz=UTC), "users": 5})
    assert kpi_tiles.active_users_kpi(active).delta is None
    assert kpi_tiles.active_users_kpi(active.iloc[0:0]).value is None


def test_week1_retention_kpi_uses_latest_complete_cohort() -> None:
    frame = weekly_retention([0.5, 0.4, 0.3], [10, 10, 10])  # cohorts Jan 1, Jan 8, Jan 15
    # data ends Jan 25: cohort Jan 15's week 1 (Jan 22-29) is not complete yet
    kpi = kpi_tiles.week1_retention_kpi(frame, as_of=ts("2024-01-25"))
    assert (kpi.value, kpi.previous) == (0.4, 0.5)
    assert kpi.formatted_delta() == "-10.0 pts"
    complete = kpi_tiles.week1_retention_kpi(frame, as_of=ts("2024-01-29"))
    assert (complete.value, complete.previous) == (0.3, 0.4)


def test_week1_retention_kpi_skips_empty_and_unobservable_cohorts() -> None:
    frame = weekly_retention([0.5, 0.0], [10, 0])
    frame.loc[(frame["cohort"] == ts("2024-01-01")) & (frame["offset"] == 1), "rate"] = pd.NA
    kpi = kpi_tiles.week1_retention_kpi(frame)
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
    partial = kpi_tiles.churn_kpi(churn, as_of=ts("2024-03-10"))
    assert (partial.value, partial.previous) == (0.10, None)
    full = kpi_tiles.churn_kpi(churn, as_of=ts("2024-04-01"))
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
    mrr = kpi_tiles.mrr_kpi(frame)
    assert (mrr.value, mrr.previous) == (1056.0, 960.0)
    nrr = kpi_tiles.nrr_kpi(frame)
    assert nrr.value == pytest.approx(1.1) and nrr.previous == pytest.approx(0.96)
    assert kpi_tiles.logo_churn_kpi(frame).value == 0.05


# --- rules ---------------------------------------------------------------------------------------


def test_weak_cohort_flags_a_cohort_far_below_the_weighted_average_of_recent_ones() -> None:
    # baseline for the 5th cohort: (0.40*100 + 0.30*100 + 0.35*200) / 400 = 0.35
    frame = weekly_retention([0.40, 0.30, 0.35, 0.35, 0.20], [100, 100, 200, 0, 50])
    found = kpi_insights.weak_cohort_insights(frame, lookback=6, recent=4)
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
    assert kpi_insights.weak_cohort_insights(small) == []
    # 0.55 vs 0.62: 7 points but only 11 % lower: not flagged
    mild = weekly_retention([0.62, 0.62, 0.62, 0.55], [100, 100, 100, 100])
    assert kpi_insights.weak_cohort_insights(mild) == []


def test_weak_cohort_ignores_small_cohorts_and_short_history() -> None:
    assert (
        kpi_insights.weak_cohort_insights(weekly_retention([0.4, 0.4, 0.1], [100, 100, 100])) == []
    )
    tiny = weekly_retention([0.4, 0.4, 0.4, 0.0], [100, 100, 100, 5])
    assert kpi_insights.weak_cohort_insights(tiny) == []


def test_weak_cohort_does_not_judge_an_incomplete_week() -> None:
    frame = weekly_retention([0.40, 0.40, 0.40, 0.10], [100, 100, 100, 100])
    # cohort Jan 22: its week 1 is Jan 29 - Feb 5; the data ends Feb 1
    assert kpi_insights.weak_cohort_insights(frame, as_of=ts("2024-02-01")) == []
    assert len(kpi_insights.weak_cohort_insights(frame, as_of=ts("2024-02-05"))) == 1


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
    spike = kpi_insights.churn_spike_insight(churn_frame([0.05, 0.06, 0.04, 0.05, 0.12]))
    assert spike is not None
    assert spike.title == "User churn spiked in 2024-05"
    assert spike.score == pytest.approx(0.07)
    assert spike.text == (
        "User churn was 12% in the month of 2024-05, against 5% on average over the 4 months"
        " before (7 points higher)."
    )
    assert spike.page == "pages/3_Revenue_and_Churn.py"


def test_churn_spike_needs_factor_points_and_history() -> None:
    assert kpi_insights.churn_spike_insight(churn_frame([0.05, 0.06, 0.04, 0.05, 0.065])) is None
    assert kpi_insights.churn_spike_insight(churn_frame([0.01, 0.01, 0.01, 0.01, 0.025])) is None
    assert kpi_insights.churn_spike_insight(churn_frame([0.05, 0.05, 0.20])) is None


def test_churn_spike_skips_the_incomplete_last_period() -> None:
    frame = churn_frame([0.05, 0.06, 0.04, 0.05, 0.12])
    assert kpi_insights.churn_spike_insight(frame, as_of=ts("2024-05-20")) is None


def test_nrr_change_is_attributed_to_expansion() -> None:
    # months 1-3: NRR 0.96 (churn 4 %); month 4: expansion 10 % -> NRR 1.06
    frame = revenue([(1000, 0, 0, 40), (1000, 0, 0, 40), (1000, 0, 0, 40), (1000, 100, 0, 40)])
    insight = kpi_insights.nrr_change_insight(frame)
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
    insight = kpi_insights.nrr_change_insight(fall)
    assert insight is not None and insight.title == "NRR fell in 2024-03, driven by churn"
    assert insight.severity == "warning"
    steady = revenue([(1000, 20, 0, 20), (1000, 20, 0, 20), (1000, 30, 0, 20)])
    assert kpi_insights.nrr_change_insight(steady) is None


def test_rank_insights_orders_by_size_and_limits() -> None:
    a = insights.Insight("a", "", "p", "info", 0.1)
    b = insights.Insight("b", "", "p", "info", 0.3)
    c = insights.Insight("c", "", "p", "info", 0.2)
    assert [i.title for i in kpi_insights.rank_insights([a, None, b, c], limit=2)] == ["b", "c"]


def test_nrr_change_does_not_judge_a_month_still_filling_up() -> None:
    # April's expansion would be a 10-point rise, but the data ends on 20 April
    frame = revenue([(1000, 0, 0, 40), (1000, 0, 0, 40), (1000, 0, 0, 40), (1000, 100, 0, 40)])
    assert kpi_insights.nrr_change_insight(frame, as_of=ts("2024-04-20")) is None
    assert kpi_insights.nrr_change_insight(frame, as_of=ts("2024-05-01")) is not None


# --- completeness and period names ---------------------------------------------------------------


def test_without_as_of_the_frames_own_complete_flags_decide() -> None:
    churn = churn_frame([0.05, 0.06, 0.40]).assign(complete=[True, True, False])
    kpi = kpi_tiles.churn_kpi(churn)
    assert (kpi.value, kpi.previous) == (0.06, 0.05)
    assert (kpi.period_label, kpi.previous_label) == ("February 2024", "January 2024")
    # an explicit as_of wins over the flags (the caller asks about another data end)
    assert kpi_tiles.churn_kpi(churn, as_of=ts("2024-04-01")).value == 0.40
    # no flags: the data end the metric recorded on the frame
    recorded = churn_frame([0.05, 0.06, 0.40])
    recorded.attrs["data_end"] = ts("2024-03-31 12:00")
    assert kpi_tiles.churn_kpi(recorded).period_label == "February 2024"


def test_week1_retention_reads_per_cell_complete_flags() -> None:
    frame = weekly_retention([0.5, 0.4, 0.3], [10, 10, 10])
    # the cohort of Jan 15: cell 0 complete, cell 1 (the week of Jan 22) in progress
    frame["complete"] = [True, True, True, True, True, False]
    kpi = kpi_tiles.week1_retention_kpi(frame)
    assert (kpi.value, kpi.previous) == (0.4, 0.5)
    assert kpi.period_label == "cohort 8–14 Jan, back 15–21 Jan 2024"
    assert kpi.previous_label == "cohort 1–7 Jan"


def test_period_names() -> None:
    assert insights.period_name(ts("2024-02-01"), "month") == "February 2024"
    assert insights.period_name(ts("2024-01-29"), "week") == "29 Jan – 4 Feb 2024"
    assert insights.period_name(ts("2024-01-01"), "week", 2) == "1–14 Jan 2024"
    assert insights.period_name(ts("2024-12-30"), "day") == "30 Dec 2024"
    assert insights.period_name(ts("2024-07-01"), "quarter") == "Q3 2024"
    assert insights.instant_name(ts("2024-02-15 04:46:59")) == "15 Feb 2024 04:46"
    no_change = Kpi("MRR", 1.0, None, "money", "", period_label="as of 2 Nov", previous_label="x")
    assert no_change.caption() == "as of 2 Nov"  # nothing to compare: the label alone


def test_mrr_kpi_at_a_boundary_is_the_end_of_the_last_complete_month() -> None:
    frame = revenue([(1000, 10, 10, 40), (960, 96, 0, 0)])  # January, February
    kpi = kpi_tiles.mrr_kpi(frame, as_of=ts("2024-03-01"), mrr_now=1056.0)
    assert (kpi.value, kpi.previous) == (1056.0, 960.0)
    assert kpi.caption() == "end of February 2024 · change vs end of January 2024"


def test_mrr_kpi_mid_month_is_the_mrr_at_the_data_end() -> None:
    frame = revenue([(1000, 10, 10, 40), (960, 96, 0, 0)])
    kpi = kpi_tiles.mrr_kpi(frame, as_of=ts("2024-02-20 04:46"), mrr_now=1000.0)
    # February is in progress: MRR on 20 Feb against the end of January (= 1 February)
    assert (kpi.value, kpi.previous) == (1000.0, 960.0)
    assert kpi.caption() == "as of 20 Feb 2024 04:46 · change vs 1 Feb 2024"
    # without the MRR at the data end, the end of the last complete month, named so
    fallback = kpi_tiles.mrr_kpi(frame, as_of=ts("2024-02-20 04:46"))
    assert (fallback.value, fallback.previous) == (960.0, 1000.0)
    assert fallback.caption() == "end of January 2024 · change vs start of January 2024"


def test_mrr_at_counts_subscriptions_with_start_at_or_before_and_end_after() -> None:
    subs = small_subscriptions()
    at = {
        day: kpi_tiles.mrr_at(subs, at=ts(day))["mrr"].item()
        for day in ("2023-11-30", "2023-12-01", "2024-01-10", "2024-02-14 23:59", "2024-02-15")
    }
    assert at == {
        "2023-11-30": 0.0,
        "2023-12-01": 170.0,  # x + y + w, starting that instant
        "2024-01-10": 200.0,  # z joins
        "2024-02-14 23:59": 200.0,
        "2024-02-15": 150.0,  # y's end is exclusive
    }
    assert kpi_tiles.mrr_at(subs, at=ts("2024-02-15"))["customers"].item() == 3


def test_mrr_at_gives_the_same_on_postgresql(pg_ibis: Any) -> None:
    table = pg_ibis.create_table("subs_kpis", ibis.memtable(small_subscriptions()))
    for day, expected in (("2024-01-10", 200.0), ("2024-02-15", 150.0)):
        assert kpi_tiles.mrr_at(table, at=ts(day))["mrr"].item() == expected


# --- key numbers of a dataset (what Home shows) --------------------------------------------------


def small_events(last: str = "2024-01-22 10:00") -> pd.DataFrame:
    """Weeks start on Monday Jan 1, 8, 15, 22 (2024); the data ends at e's event *last*."""
    days = {
        "a": ["2024-01-01", "2024-01-08", "2024-01-15"],
        "b": ["2024-01-02", "2024-01-16"],
        "c": ["2024-01-09", "2024-01-16"],
        "d": ["2024-01-10", "2024-01-18"],
        "e": ["2024-01-17", last],
    }
    rows = [(user, "open", ts(day)) for user, stamps in days.items() for day in stamps]
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


def summary_of(kind: DatasetKind, frame: pd.DataFrame, **options: Any) -> insights.Summary:
    """``summarise`` on *frame* with its real data end (as Home computes it)."""
    end = insights.dataset_data_end(kind, as_table(frame))
    return kpi_summary.summarise(
        kind, data_end=end, load=kpi_summary.metric_runner(frame), **options
    )


def test_summarise_events_names_the_last_complete_week_and_month() -> None:
    events = small_events()
    run = kpi_summary.metric_runner(events)
    calls: list[tuple[str, dict[str, object]]] = []

    def load(metric: str, **params: object) -> pd.DataFrame:
        calls.append((metric, params))
        return run(metric, **params)

    found = kpi_summary.summarise("events", data_end=ts("2024-01-22 10:00"), load=load)
    kpis = found.kpis
    assert found.data_end == ts("2024-01-22 10:00")
    assert [k.label for k in kpis] == [
        "Weekly active users",
        "Week-1 retention",
        "User churn (month)",
    ]
    # the last complete week is Jan 15-21: a, b, c, d, e; the week before (Jan 8-14): a, c, d
    assert (kpis[0].value, kpis[0].previous) == (5.0, 3.0)
    assert kpis[0].caption() == "15–21 Jan 2024 · change vs 8–14 Jan"
    # cohort Jan 8 {c, d}: both back the week of Jan 15; cohort Jan 1 {a, b}: only a back Jan 8.
    # Cohort Jan 15 {e} is not judged: its week 1 (Jan 22-28) is still filling up.
    assert (kpis[1].value, kpis[1].previous) == (1.0, 0.5)
    assert kpis[1].caption() == ("cohort 8–14 Jan, back 15–21 Jan 2024 · change vs cohort 1–7 Jan")
    assert (kpis[2].value, kpis[2].previous) == (None, None)  # January is not complete
    assert kpis[2].period_label == "no complete month yet"
    assert found.insights == []  # cohorts of 2 users are too small to call weak
    assert calls[0] == (
        "active_users",
        {
            "window_days": 7,
            "date_from": ts("2024-01-08").date(),
            "date_to": ts("2024-01-21").date(),
            "as_of": ts("2024-01-22 10:00"),  # every metric is judged against the same data end
        },
    )
    assert [c[0] for c in calls] == ["active_users", "retention", "churn"]


@pytest.mark.parametrize(
    ("last", "week", "wau", "week1"),
    [
        # the data ends exactly when the week of Jan 15 ends: that week is complete
        ("2024-01-22 00:00", "15–21 Jan 2024", (5.0, 3.0), (1.0, 0.5)),
        # one second earlier it is not: the tiles fall back to the week of Jan 8 together
        ("2024-01-21 23:59:59", "8–14 Jan 2024", (3.0, 2.0), (0.5, None)),
    ],
)
def test_the_weekly_tiles_share_the_last_complete_week(
    last: str, week: str, wau: tuple[float, float], week1: tuple[float, float | None]
) -> None:
    kpis = summary_of("events", small_events(last)).kpis
    assert ((kpis[0].value, kpis[0].previous), kpis[0].period_label) == (wau, week)
    assert (kpis[1].value, kpis[1].previous) == week1
    assert kpis[1].period_label.endswith(f"back {week}")


def monthly_events(last: str) -> pd.DataFrame:
    """a, b, c, d in November; a, b, c in December; a, b in January; then a at *last*."""
    rows = [(u, "2023-11-05") for u in "abcd"] + [(u, "2023-12-05") for u in "abc"]
    rows += [(u, "2024-01-05") for u in "ab"] + [("a", last)]
    return pd.DataFrame(
        [(user, "open", ts(day)) for user, day in rows], columns=["user_id", "event", "timestamp"]
    )


@pytest.mark.parametrize(
    ("last", "month", "value", "previous", "caption"),
    [
        # exactly at the month boundary: January is complete (c churned: 1 of 3)
        ("2024-02-01 00:00", "January 2024", 1 / 3, 0.25, "January 2024 · change vs December 2023"),
        # one second before it, or mid-month: December (d churned: 1 of 4); November has no rate
        ("2024-01-31 23:59:59", "December 2023", 0.25, None, "December 2023"),
        ("2024-01-20 12:00", "December 2023", 0.25, None, "December 2023"),
    ],
)
def test_user_churn_is_the_last_complete_month(
    last: str, month: str, value: float, previous: float | None, caption: str
) -> None:
    churn = summary_of("events", monthly_events(last)).kpis[2]
    assert churn.period_label == month
    assert churn.value == pytest.approx(value)
    assert churn.previous == (None if previous is None else pytest.approx(previous))
    assert churn.caption() == caption


def test_a_week_before_the_data_starts_is_not_shown_as_zero_users() -> None:
    # one event on Tuesday 5 March: the last complete week (26 Feb - 3 Mar) is before the data
    one = pd.DataFrame(
        {"user_id": ["u1"], "event": ["signup"], "timestamp": [ts("2024-03-05 10:00")]}
    )
    kpis = summary_of("events", one, data_start=ts("2024-03-05 10:00")).kpis
    assert (kpis[0].value, kpis[0].period_label) == (None, "no complete days yet")
    assert (kpis[1].value, kpis[1].period_label) == (None, "no complete cohort yet")


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


def test_summarise_subscriptions_with_a_data_end_mid_month() -> None:
    # the data end is y's end, 15 February: February is in progress
    found = summary_of("subscriptions", small_subscriptions())
    assert found.data_end == ts("2024-02-15")
    mrr, nrr, logo, ltv = found.kpis
    assert [k.label for k in found.kpis] == ["MRR", "NRR", "Logo churn", "LTV"]
    # MRR as of the data end (x + z + w; y's end is exclusive) against the end of January
    assert (mrr.value, mrr.previous) == (150.0, 200.0)
    assert mrr.caption() == "as of 15 Feb 2024 00:00 · change vs 1 Feb 2024"
    # NRR and logo churn of January, the last complete month (z new, nobody lost)
    assert (nrr.value, nrr.previous) == (1.0, 1.0)
    assert nrr.caption() == "January 2024 · change vs December 2023"
    assert (logo.value, logo.previous, logo.period_label) == (0.0, 0.0, "January 2024")
    # LTV at the end of January: ARPA 200 / 4 = 50, but nobody churned in December or January
    assert (ltv.value, ltv.period_label) == (
        None,
        "end of January 2024 · churn of Dec 2023 – Jan 2024",
    )
    assert ltv.help.startswith("LTV undefined: no customer churned")
    assert found.insights == []  # two complete months: too short a history to judge


def test_summarise_subscriptions_at_a_month_boundary() -> None:
    load = kpi_summary.metric_runner(small_subscriptions())
    found = kpi_summary.summarise("subscriptions", data_end=ts("2024-03-01"), load=load)
    mrr, nrr, logo, ltv = found.kpis
    assert (mrr.value, mrr.previous) == (150.0, 200.0)
    assert mrr.caption() == "end of February 2024 · change vs end of January 2024"
    assert nrr.value == pytest.approx((200 - 50) / 200) and nrr.previous == 1.0
    assert (logo.value, logo.previous) == (0.25, 0.0)  # y: 1 of 4 customers in February
    assert {k.period_label for k in (nrr, logo)} == {"February 2024"}
    # ARPA at the end of February 150 / 3 = 50; logo churn of December, January, February
    # (0, 0, 1/4; the months before had no customers): 50 / (1/12) = 600
    assert ltv.value == pytest.approx(600.0)
    assert ltv.period_label == "end of February 2024 · churn of Dec 2023 – Feb 2024"
    assert [i.title for i in found.insights] == ["NRR fell in 2024-02, driven by churn"]


def test_mrr_now_is_not_the_end_of_the_month_in_progress() -> None:
    # data end 10 February: y's cancellation on the 15th has not happened yet
    subs = small_subscriptions()
    load = kpi_summary.metric_runner(subs)
    mrr = kpi_summary.summarise("subscriptions", data_end=ts("2024-02-10"), load=load).kpis[0]
    assert (mrr.value, mrr.previous) == (200.0, 200.0)
    february = load("revenue", period="month").iloc[-1]
    assert february["mrr_end"] == 150.0  # what the in-progress month's row would have shown


def test_summarise_without_data_shows_nothing() -> None:
    def load(metric: str, **params: object) -> pd.DataFrame:
        raise AssertionError("nothing to load without a data end")

    assert kpi_summary.summarise("events", data_end=None, load=load) == insights.Summary(
        [], [], None
    )
