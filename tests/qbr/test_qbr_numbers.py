"""The QBR's headline numbers are the metric API's numbers for the quarter's range."""

from __future__ import annotations

import pandas as pd
import pytest

from prodops import metrics
from prodops.errors import ParameterError
from prodops.qbr import Dataset, Quarter, build_qbr, headlines, parse_quarter
from qbr.data import NOW

Q = Quarter(2026, 2)


def _revenue_row(subs: pd.DataFrame, quarter: Quarter) -> pd.Series:
    frame = metrics.revenue(
        subs, period="quarter", date_from=quarter.start, date_to=quarter.last_day, as_of=NOW
    )
    assert len(frame) == 1 and bool(frame["complete"].iloc[0])
    return frame.iloc[0]


def _mean_users(ev: pd.DataFrame, quarter: Quarter, window_days: int) -> float:
    frame = metrics.active_users(
        ev, window_days=window_days, date_from=quarter.start, date_to=quarter.last_day
    )
    assert len(frame) == (quarter.end - quarter.start).days and frame["complete"].all()
    return float(frame["users"].mean())


def _retention(ev: pd.DataFrame, quarter: Quarter, offset: int) -> float:
    frame = metrics.retention(
        ev, period="week", periods=5, date_from=quarter.start, date_to=quarter.last_day
    )
    average = metrics.retention_average(frame)
    return float(average.loc[average["offset"] == offset, "rate"].iloc[0])


def expected(ev: pd.DataFrame, subs: pd.DataFrame, quarter: Quarter) -> dict[str, float]:
    """Every headline of *quarter*, straight from the metric API."""
    row = _revenue_row(subs, quarter)
    dau, mau = _mean_users(ev, quarter, 1), _mean_users(ev, quarter, 30)
    return {
        "mrr": float(row["mrr_end"]),
        "arr": 12 * float(row["mrr_end"]),
        "nrr": float(row["nrr"]),
        "grr": float(row["grr"]),
        "logo_churn": float(row["logo_churn_rate"]),
        "quick_ratio": float(row["quick_ratio"]),
        "arpa": float(row["arpa"]),
        "dau": dau,
        "wau": _mean_users(ev, quarter, 7),
        "mau": mau,
        "dau_mau": dau / mau,
        "week1_retention": _retention(ev, quarter, 1),
        "week4_retention": _retention(ev, quarter, 4),
    }


def test_every_headline_equals_the_metric_api_for_the_quarter_and_its_comparisons(
    events: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    found = headlines(
        Q,
        events=events,
        subscriptions=subscriptions,
        subscriptions_as_of=NOW,
        events_start=events["timestamp"].min(),
    )
    assert [h.key for h in found] == list(expected(events, subscriptions, Q))
    for quarter, attribute in ((Q, "value"), (Q.previous, "previous"), (Q.year_ago, "year_ago")):
        want = expected(events, subscriptions, quarter)
        got = {h.key: getattr(h, attribute) for h in found}
        assert got == pytest.approx(want, rel=1e-12), quarter.label
    assert all(h.note == "" for h in found)
    assert all(h.formula for h in found)
    mrr = next(h for h in found if h.key == "mrr")
    assert [label for label, _ in mrr.trend] == [
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    ]
    assert mrr.trend[-1][1] == mrr.value and mrr.trend[-2][1] == mrr.previous


def test_build_reports_the_same_numbers_as_the_headlines(
    events: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    report = build_qbr(
        "2026-Q2",
        store=None,
        generated_at=NOW.to_pydatetime() if hasattr(NOW, "to_pydatetime") else NOW,
        events=Dataset.of_frame(events, "ev", 3),
        subscriptions=Dataset.of_frame(subscriptions, "subs", 5),
    )
    want = expected(events, subscriptions, Q)
    assert {h.key: h.value for h in report.headlines} == pytest.approx(want, rel=1e-12)
    assert [(s.kind, s.name, s.version) for s in report.sources] == [
        ("subscriptions", "subs", 5),
        ("events", "ev", 3),
    ]
    assert set(report.charts) == {"mrr_movements", "retention", "retention_average", "lifecycle"}
    assert report.notes["okrs"] == "No objectives recorded for 2026-Q2."
    assert report.notes["evidence"] == "no customer evidence recorded"


def test_a_quarter_in_progress_or_before_the_data_says_why_it_has_no_number(
    events: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    found = {
        h.key: h
        for h in headlines(
            Quarter(2026, 4),
            events=events,
            subscriptions=subscriptions,
            subscriptions_as_of=NOW,
            events_start=events["timestamp"].min(),
        )
    }
    assert found["mrr"].value is None
    assert found["mrr"].note.startswith("Q4 2026 is not over yet (the data ends 5 Nov 2026)")
    assert found["dau"].value is None and "Q4 2026 is not over yet" in found["dau"].note
    assert found["mrr"].previous is not None  # Q3 is complete
    early = {h.key: h for h in headlines(Quarter(2024, 4), events=events)}
    assert early["dau"].value is None
    assert early["dau"].note == "the data starts on 1 Jan 2025, after Q4 2024 began"
    assert early["mrr"].note == "no subscriptions dataset chosen"


def test_quick_ratio_without_losses_says_it_has_no_divisor() -> None:
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "start": pd.to_datetime(["2026-01-01", "2026-05-01"], utc=True),
            "end": pd.to_datetime([None, None], utc=True),
            "mrr": [100.0, 50.0],
        }
    )
    found = {h.key: h for h in headlines(Q, subscriptions=subs, subscriptions_as_of="2026-09-30")}
    # Q2: starts with a (100), b joins (new 50): NRR 100 %, no churn or contraction.
    assert found["mrr"].value == 150.0 and found["arpa"].value == 75.0
    assert found["nrr"].value == 1.0 and found["logo_churn"].value == 0.0
    assert found["quick_ratio"].value is None
    assert (
        found["quick_ratio"].note == "no churn or contraction in Q2 2026: the ratio has no divisor"
    )
    assert found["mrr"].previous == 100.0 and found["mrr"].year_ago is None


def test_quarter_labels() -> None:
    assert parse_quarter(" 2026q3 ") == Quarter(2026, 3)
    with pytest.raises(ParameterError, match="'2026-Q5' is not a quarter"):
        parse_quarter("2026-Q5")
