"""A QBR for any run of whole months: labels, hand-worked revenue, the metric API cross-check,
OKRs and decisions of the range, snapshots and the CLI's ``--from`` / ``--to``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from prodops import metrics
from prodops.cli import main
from prodops.data.catalog import Catalog
from prodops.errors import ParameterError
from prodops.qbr import (
    Dataset,
    MonthRange,
    Quarter,
    build_qbr,
    find_report,
    headlines,
    month_range,
    parse_period,
    report_of,
    save_report,
)
from prodops.store.db import read_session, write_session
from qbr.data import NOW
from qbr.test_qbr_numbers import _mean_users, _retention

R = MonthRange(2026, 3, 6)  # March to August 2026, complete by NOW (5 Nov 2026)
REVENUE = ("mrr", "arr", "nrr", "grr", "logo_churn", "quick_ratio", "arpa")


# --- labels --------------------------------------------------------------------------------------


def test_a_range_is_whole_months_with_previous_and_year_ago() -> None:
    assert month_range("2026-05", "2026-10") == MonthRange(2026, 5, 6)
    assert month_range("2026-05-01", "2026-10-31") == MonthRange(2026, 5, 6)
    r = month_range("2025-11", "2026-04")
    assert (r.label, r.title, r.start, r.end) == (
        "2025-11+6",
        "Nov 2025 – Apr 2026",
        pd.Timestamp("2025-11-01").date(),
        pd.Timestamp("2026-05-01").date(),
    )
    assert r.previous == MonthRange(2025, 5, 6) and r.year_ago == MonthRange(2024, 11, 6)
    assert parse_period(r.label) == r and parse_period("2026-Q3") == Quarter(2026, 3)
    assert len(month_range("2025-01", "2026-12").label) <= 10  # fits the snapshot column


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-05-02", "2026-10", "--from '2026-05-02' is not the first day of its month"),
        ("2026-05", "2026-10-30", "--to '2026-10-30' is not the last day of its month"),
        ("2026-13", "2026-10", "--from '2026-13' has no month 13"),
        ("May", "2026-10", "--from 'May' is not a month"),
        ("2026-10", "2026-05", "the range ends (2026-05) before it starts (2026-10)"),
        ("2024-01", "2026-01", "the range has 25 months; at most 24 are reported"),
    ],
)
def test_bad_range_ends_say_what_is_wrong(start: str, end: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        month_range(start, end)


# --- hand-worked revenue -------------------------------------------------------------------------


def _hand_subscriptions() -> pd.DataFrame:
    rows = [
        ("a", "2025-06-01", None, 100.0),  # flat 100
        ("b", "2025-10-01", "2026-05-10", 50.0),  # churns in the range
        ("c", "2026-01-01", "2026-04-01", 40.0),  # expands 40 -> 80
        ("c", "2026-04-01", None, 80.0),
        ("d", "2025-12-01", "2026-06-01", 60.0),  # contracts 60 -> 30
        ("d", "2026-06-01", None, 30.0),
        ("e", "2026-04-15", None, 20.0),  # new
        ("f", "2025-09-01", "2026-01-15", 25.0),  # left before the range, back in July
        ("f", "2026-07-01", None, 25.0),
        ("g", "2026-03-05", "2026-05-01", 10.0),  # in and out inside the range: not counted
        ("h", "2025-11-01", "2026-04-01", 70.0),  # leaves and comes back: 70 at both ends
        ("h", "2026-06-01", None, 70.0),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr"])
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    return frame


def test_hand_worked_six_month_revenue_compares_each_customer_at_the_range_ends() -> None:
    found = {
        h.key: h
        for h in headlines(R, subscriptions=_hand_subscriptions(), subscriptions_as_of="2026-10-15")
    }
    # 1 Mar: a 100 + b 50 + c 40 + d 60 + h 70 = 320 (5 customers); 1 Sep: a 100 + c 80 + d 30 +
    # e 20 + f 25 + h 70 = 325 (6). Churn 50 (b), contraction 30 (d), expansion 40 (c), new 20
    # (e), reactivation 25 (f); g and h do not count.
    assert found["mrr"].value == 325.0 and found["arr"].value == 3900.0
    assert found["nrr"].value == pytest.approx((320 - 50 - 30 + 40) / 320)
    assert found["grr"].value == pytest.approx((320 - 50 - 30) / 320)
    assert found["logo_churn"].value == pytest.approx(1 / 5)
    assert found["quick_ratio"].value == pytest.approx((20 + 40 + 25) / (50 + 30))
    assert found["arpa"].value == pytest.approx(325 / 6)
    # Previous: Sep 2025 - Feb 2026: 1 Sep a 100 + f 25; 1 Mar 320; f churned: NRR 100/125.
    assert found["mrr"].previous == 320.0
    assert found["nrr"].previous == pytest.approx(100 / 125)
    assert found["logo_churn"].previous == pytest.approx(1 / 2)
    # A year before: Mar - Aug 2025 starts with no MRR, so its rates have no divisor.
    assert found["mrr"].year_ago == 125.0 and found["nrr"].year_ago is None
    assert [label for label, _ in found["mrr"].trend] == ["2025-03+6", "2025-09+6", "2026-03+6"]
    assert "over the range" in found["nrr"].formula and "quarter" not in found["nrr"].formula


def test_a_range_not_over_yet_has_no_revenue_number_and_says_why() -> None:
    found = {
        h.key: h
        for h in headlines(
            MonthRange(2026, 8, 3),
            subscriptions=_hand_subscriptions(),
            subscriptions_as_of="2026-10-15",
        )
    }
    assert found["mrr"].value is None
    assert found["mrr"].note.startswith("Aug–Oct 2026 is not over yet")
    assert found["mrr"].previous == 325.0  # May - Jul 2026 is complete (1 Aug: as 1 Sep)


# --- the metric API cross-check ------------------------------------------------------------------


@pytest.mark.parametrize("quarter", [Quarter(2025, 3), Quarter(2026, 1), Quarter(2026, 3)])
def test_three_months_from_a_quarter_start_give_the_api_quarter_numbers(
    subscriptions: pd.DataFrame, quarter: Quarter
) -> None:
    as_range = MonthRange(quarter.year, quarter.start.month, 3)
    by_range = {
        h.key: h.value
        for h in headlines(as_range, subscriptions=subscriptions, subscriptions_as_of=NOW)
    }
    row = metrics.revenue(
        subscriptions,
        period="quarter",
        date_from=quarter.start,
        date_to=quarter.last_day,
        as_of=NOW,
    ).iloc[0]
    want = {
        "mrr": row["mrr_end"],
        "arr": 12 * row["mrr_end"],
        "nrr": row["nrr"],
        "grr": row["grr"],
        "logo_churn": row["logo_churn_rate"],
        "quick_ratio": row["quick_ratio"],
        "arpa": row["arpa"],
    }
    assert {k: by_range[k] for k in REVENUE} == pytest.approx(
        {k: float(v) for k, v in want.items()}, rel=1e-12
    )


def _reference_revenue(subs: pd.DataFrame, period: MonthRange) -> dict[str, float]:
    """Plain pandas, straight from the definition: each customer's MRR at the two ends."""
    t0, t1 = (pd.Timestamp(d, tz="UTC") for d in (period.start, period.end))

    def at(t: pd.Timestamp) -> dict[str, float]:
        live = subs[(subs["start"] <= t) & (subs["end"].isna() | (subs["end"] > t))]
        return live.groupby("customer_id")["mrr"].sum().to_dict()

    m0, m1 = at(t0), at(t1)
    start, end = sum(m0.values()), sum(m1.values())
    kept = {c: m1.get(c, 0.0) for c in m0}
    lost = sum(m0[c] - min(m0[c], kept[c]) for c in m0)
    expansion = sum(max(kept[c] - m0[c], 0.0) for c in m0)
    gained = expansion + sum(v for c, v in m1.items() if c not in m0)
    return {
        "mrr": end,
        "arr": 12 * end,
        "nrr": (start - lost + expansion) / start,
        "grr": (start - lost) / start,
        "logo_churn": sum(1 for c in m0 if kept[c] == 0) / len(m0),
        "quick_ratio": gained / lost,
        "arpa": end / len(m1),
    }


def test_every_headline_of_a_six_month_range_equals_the_metric_api(
    events: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    found = headlines(
        R,
        events=events,
        subscriptions=subscriptions,
        subscriptions_as_of=NOW,
        events_start=events["timestamp"].min(),
    )
    for period, attribute in ((R, "value"), (R.previous, "previous"), (R.year_ago, "year_ago")):
        got = {h.key: getattr(h, attribute) for h in found}
        months = metrics.revenue(
            subscriptions,
            period="month",
            date_from=period.start,
            date_to=period.last_day,
            as_of=NOW,
        )
        assert len(months) == 6 and months["complete"].all()
        last = months.iloc[-1]  # the API's MRR and ARPA at the range's end
        assert got["mrr"] == pytest.approx(float(last["mrr_end"]), rel=1e-12)
        assert got["arpa"] == pytest.approx(float(last["arpa"]), rel=1e-12)
        reference = _reference_revenue(subscriptions, period)
        assert {k: got[k] for k in REVENUE} == pytest.approx(reference, rel=1e-9), period.label
        dau, mau = _mean_users(events, period, 1), _mean_users(events, period, 30)
        want = {
            "dau": dau,
            "wau": _mean_users(events, period, 7),
            "mau": mau,
            "dau_mau": dau / mau,
            "week1_retention": _retention(events, period, 1),
            "week4_retention": _retention(events, period, 4),
        }
        assert {k: got[k] for k in want} == pytest.approx(want, rel=1e-12), period.label
    assert all(h.note == "" for h in found)


# --- the report, snapshots, OKRs and decisions ---------------------------------------------------


def test_a_range_report_holds_overlapping_okrs_and_its_sessions_and_is_saved_by_label(
    subscriptions: pd.DataFrame, any_store: Engine
) -> None:
    report = build_qbr(
        "2026-03+6",
        store=any_store,
        generated_at=NOW,
        subscriptions=Dataset.of_frame(subscriptions, "subs", 2),
    )
    assert report.quarter == "2026-03+6" and report.period == R
    # The seeded 2026-Q2 objective overlaps March - August; its May session is inside.
    assert [o["title"][:5] for o in report.okrs] == ["Grow "]
    assert [d["decision"] for d in report.decisions] == ["Approve", "Reject"]
    with write_session(any_store) as session:
        saved = save_report(session=session, report=report)
    assert (saved.quarter, saved.revision) == ("2026-03+6", 1)
    with read_session(any_store) as session:
        again = report_of(find_report(session=session, quarter="2026-03+6"))
    assert again.headline("nrr").value == report.headline("nrr").value
    later = build_qbr("2026-07+6", store=any_store, generated_at=NOW)
    assert later.okrs == [] and later.decisions == []
    assert later.notes["okrs"] == "No objectives recorded for Jul–Dec 2026."


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def catalog(events: pd.DataFrame, subscriptions: pd.DataFrame) -> Catalog:
    catalog = Catalog()
    catalog.save("ev", events, kind="events")
    catalog.save("subs", subscriptions, kind="subscriptions")
    return catalog


def test_cli_writes_and_saves_a_month_range(
    catalog: Catalog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "h1.md"
    args = ["qbr", "--from", "2026-03", "--to", "2026-08-31", "--no-events"]
    assert main([*args, "--format", "md", "--out", str(out), "--save"]) == 0
    assert "saved 2026-03+6 revision 1" in capsys.readouterr().out
    text = out.read_text()
    assert "Quarterly business review · Mar–Aug 2026" in text and "| This range |" in text
    assert main(["qbr", "list", "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)["qbrs"]
    assert (listed["quarter"], listed["title"]) == ("2026-03+6", "Mar–Aug 2026")
    again = tmp_path / "again.md"
    saved = ["qbr", "--from", "2026-03", "--to", "2026-08", "--saved", "--format", "md"]
    assert main([*saved, "--out", str(again)]) == 0
    assert again.read_text() == text.replace("h1_charts/", "again_charts/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026-Q2", "--from", "2026-05"], "give either --quarter or --from/--to"),
        ([], "--quarter or --from/--to is required"),
        (["--from", "2026-05"], "--from needs --to"),
        (["--to", "2026-10"], "--to needs --from"),
        (["--from", "2026-10", "--to", "2026-05"], "the range ends (2026-05) before it starts"),
        (["--from", "2026-05-15", "--to", "2026-10"], "is not the first day of its month"),
    ],
)
def test_cli_range_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "x.html"
    assert main(["qbr", *args, "--format", "html", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
