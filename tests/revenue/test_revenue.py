"""Revenue movements on hand-worked subscription histories (every number checked by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from prodops.errors import ColumnError, InputError, ParameterError
from prodops.metrics.revenue import (
    REVENUE_COLUMNS,
    REVENUE_FORMULAS,
    customer_movements,
    ltv,
    revenue,
)

MOVES = ["mrr_start", "new", "expansion", "contraction", "churn", "reactivation", "mrr_end"]


def subs(*rows: tuple[str, str, str | None, float]) -> pd.DataFrame:
    """Subscriptions from (customer, start, end or None, mrr) rows; times are UTC."""
    frame = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr"])
    frame["start"] = pd.to_datetime(frame["start"], utc=True, format="ISO8601")
    frame["end"] = pd.to_datetime(frame["end"], utc=True, format="ISO8601")
    return frame


def monthly(
    frame: pd.DataFrame, first: str = "2024-01-01", last: str = "2024-04-01"
) -> pd.DataFrame:
    result = revenue(frame, period="month", date_from=first, date_to=last)
    return result.set_index(result["period"].dt.strftime("%Y-%m"))


def moves(result: pd.DataFrame, month: str) -> list[float]:
    return [float(result.loc[month, c]) for c in MOVES]


def test_columns_follow_the_contract_and_every_column_has_a_formula() -> None:
    result = monthly(subs(("a", "2024-01-05", None, 10.0)))
    assert list(result.columns) == REVENUE_COLUMNS
    assert set(REVENUE_COLUMNS) - {"period"} <= set(REVENUE_FORMULAS)
    assert str(result["period"].dtype) == "datetime64[us, UTC]"
    assert result["period"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
    ]


def test_upgrade_is_expansion() -> None:
    r = monthly(subs(("a", "2023-12-01", "2024-02-10", 10.0), ("a", "2024-02-10", None, 25.0)))
    assert moves(r, "2024-01") == [10, 0, 0, 0, 0, 0, 10]
    assert moves(r, "2024-02") == [10, 0, 15, 0, 0, 0, 25]
    assert r.loc["2024-02", "nrr"] == pytest.approx(2.5)
    assert r.loc["2024-02", "grr"] == pytest.approx(1.0)
    assert r.loc["2024-02", "net_mrr_churn_rate"] == pytest.approx(-1.5)
    assert pd.isna(r.loc["2024-02", "quick_ratio"])  # nothing lost: no ratio


def test_downgrade_is_contraction() -> None:
    r = monthly(subs(("a", "2023-12-01", "2024-02-10", 50.0), ("a", "2024-02-10", None, 20.0)))
    assert moves(r, "2024-02") == [50, 0, 0, 30, 0, 0, 20]
    assert r.loc["2024-02", "customers_churned"] == 0
    assert r.loc["2024-02", "logo_churn_rate"] == 0
    assert r.loc["2024-02", "gross_mrr_churn_rate"] == pytest.approx(0.6)
    assert r.loc["2024-02", "grr"] == pytest.approx(0.4)
    assert r.loc["2024-02", "nrr"] == pytest.approx(0.4)
    assert r.loc["2024-02", "quick_ratio"] == 0


def test_a_second_subscription_is_expansion_not_new() -> None:
    r = monthly(subs(("a", "2023-12-01", None, 10.0), ("a", "2024-02-05", None, 5.0)))
    assert moves(r, "2024-02") == [10, 0, 5, 0, 0, 0, 15]
    assert r.loc["2024-02", ["customers_start", "customers_end"]].tolist() == [1, 1]


def test_cancelling_one_of_two_is_contraction() -> None:
    r = monthly(subs(("a", "2023-12-01", None, 10.0), ("a", "2023-12-01", "2024-02-20", 5.0)))
    assert moves(r, "2024-02") == [15, 0, 0, 5, 0, 0, 10]
    assert r.loc["2024-02", "customers_churned"] == 0


def test_cancelling_the_last_is_churn() -> None:
    r = monthly(subs(("a", "2023-12-01", "2024-02-20", 10.0), ("b", "2023-12-01", None, 30.0)))
    assert moves(r, "2024-02") == [40, 0, 0, 0, 10, 0, 30]
    assert r.loc["2024-02", ["customers_start", "customers_end", "customers_churned"]].tolist() == [
        2,
        1,
        1,
    ]
    assert r.loc["2024-02", "logo_churn_rate"] == pytest.approx(0.5)
    assert r.loc["2024-02", "gross_mrr_churn_rate"] == pytest.approx(0.25)
    assert r.loc["2024-02", "arpa"] == pytest.approx(30.0)


def test_coming_back_is_reactivation() -> None:
    r = monthly(subs(("a", "2023-12-01", "2024-01-15", 10.0), ("a", "2024-03-03", None, 12.0)))
    assert moves(r, "2024-01") == [10, 0, 0, 0, 10, 0, 0]
    assert moves(r, "2024-02") == [0, 0, 0, 0, 0, 0, 0]
    assert moves(r, "2024-03") == [0, 0, 0, 0, 0, 12, 12]
    assert r.loc["2024-03", "quick_ratio"] is pd.NA
    assert r.loc["2024-03", "arpa"] == pytest.approx(12.0)


def test_the_first_subscription_is_new() -> None:
    r = monthly(subs(("a", "2024-02-03", None, 40.0)))
    assert moves(r, "2024-02") == [0, 40, 0, 0, 0, 0, 40]


def test_a_yearly_plan_counts_one_twelfth_every_month_until_it_ends() -> None:
    r = revenue(
        subs(("a", "2024-01-15", "2025-01-15", 1200 / 12)),
        date_from="2024-01-01",
        date_to="2025-01-01",
    )
    assert r["new"].tolist() == [100] + [0] * 12
    assert r["mrr_end"].tolist() == [100] * 12 + [0]
    assert r["churn"].tolist() == [0] * 12 + [100]


def test_starting_and_ending_inside_one_period_is_not_counted() -> None:
    r = monthly(subs(("a", "2024-02-03", "2024-02-20", 10.0), ("b", "2023-12-01", None, 5.0)))
    assert moves(r, "2024-02") == [5, 0, 0, 0, 0, 0, 5]
    assert r.loc["2024-02", ["customers_start", "customers_end"]].tolist() == [1, 1]


def test_a_customer_seen_only_inside_one_period_later_returns_as_reactivation() -> None:
    r = monthly(subs(("a", "2024-01-03", "2024-01-20", 10.0), ("a", "2024-03-01", None, 10.0)))
    assert moves(r, "2024-01") == [0, 0, 0, 0, 0, 0, 0]
    # Start is inclusive: a pays again at 1 March, the end of February, and paid before.
    assert moves(r, "2024-02") == [0, 0, 0, 0, 0, 10, 10]


def test_a_period_with_zero_starting_mrr_has_null_rates_not_errors() -> None:
    r = monthly(subs(("a", "2024-01-10", None, 10.0)))
    jan = r.loc["2024-01"]
    assert jan["mrr_start"] == 0 and jan["new"] == 10
    for rate in ("logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "grr", "nrr"):
        assert jan[rate] is pd.NA, rate
    assert jan["quick_ratio"] is pd.NA
    assert jan["arpa"] == pytest.approx(10.0)
    empty = monthly(subs(("a", "2024-06-10", None, 10.0)))
    assert empty.loc["2024-01", "arpa"] is pd.NA


# a..e pay 100 from 2023; b cancels on 10 March 2024, c on 31 May at noon; f pays 200 from
# 15 March and upgrades to 300 on 15 July.
LTV_SUBS = [
    ("a", "2023-01-01", None, 100.0),
    ("b", "2023-01-01", "2024-03-10", 100.0),
    ("c", "2023-01-01", "2024-05-31T12:00", 100.0),
    ("d", "2023-01-01", None, 100.0),
    ("e", "2023-01-01", None, 100.0),
    ("f", "2024-03-15", "2024-07-15", 200.0),
    ("f", "2024-07-15", None, 300.0),
]


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_ltv_is_one_figure_whatever_the_display_period(period: str) -> None:
    r = revenue(subs(*LTV_SUBS), period=period, date_from="2024-01-01", as_of="2024-08-20")
    assert "ltv" not in r.columns
    # As of 20 August the last complete month is July. Monthly logo churn, February to July:
    # 0, 1/5 (b of a-e), 0, 1/5 (c of a, c, d, e, f), 0, 0 -> mean 1/15. ARPA at the end of
    # July: (100 + 100 + 100 + 300) / 4 = 150. LTV = 150 / (1/15) = 2,250.
    ltv_ = r.attrs["ltv"]
    assert ltv_["ltv"] == pytest.approx(2250.0)
    assert ltv_["arpa"] == pytest.approx(150.0)
    assert ltv_["mean_logo_churn_rate"] == pytest.approx(1 / 15)
    assert ltv_["months"] == 6
    assert ltv_["arpa_month"] == pd.Timestamp("2024-07-01", tz="UTC")
    assert (ltv_["churn_from"], ltv_["churn_to"]) == (
        pd.Timestamp("2024-02-01", tz="UTC"),
        pd.Timestamp("2024-07-01", tz="UTC"),
    )
    assert ltv_["formula"] == (
        "LTV = ARPA / mean monthly logo churn = 150.00 / 6.67% = 2,250.00 (ARPA at the end of"
        " July 2024; logo churn of the 6 complete months February 2024 to July 2024)"
    )


def test_ltv_is_taken_at_the_end_of_the_range() -> None:
    frame = subs(*LTV_SUBS)
    # date_to 31 July (the whole day) ends the range with July: the same 2,250.
    assert ltv(frame, date_to="2024-07-31", as_of="2024-08-20")["ltv"].iloc[0] == pytest.approx(
        2250.0
    )
    # Ending on 30 July, July is not complete: January to June (0, 0, 1/5, 0, 1/5, 0: mean
    # 1/15) and ARPA at the end of June, (100 * 3 + 200) / 4 = 125 -> 1,875.
    row = ltv(frame, date_to="2024-07-30", as_of="2024-08-20").iloc[0]
    assert row["ltv"] == pytest.approx(1875.0) and row["arpa"] == pytest.approx(125.0)
    assert row["as_of"] == pd.Timestamp("2024-07-31", tz="UTC")
    weekly = revenue(frame, period="week", date_from="2024-06-01", date_to="2024-07-30")
    assert weekly.attrs["ltv"]["ltv"] == pytest.approx(1875.0)


def test_ltv_leaves_out_months_without_customers_and_says_when_it_is_undefined() -> None:
    young = subs(("a", "2024-05-10", None, 40.0), ("b", "2024-05-20", "2024-06-15", 60.0))
    row = ltv(young, as_of="2024-08-20").iloc[0]
    # February to May start with no customer (no rate); June 1/2 (b), July 0: mean 1/4.
    assert row["months"] == 2 and row["mean_logo_churn_rate"] == pytest.approx(0.25)
    assert row["ltv"] == pytest.approx(40.0 / 0.25)
    loyal = ltv(subs(("a", "2023-01-01", None, 40.0)), as_of="2024-08-20").iloc[0]
    assert loyal["ltv"] is None
    assert loyal["formula"] == (
        "LTV undefined: no customer churned in the 6 complete months February 2024 to July 2024"
        " (ARPA 40.00 at the end of July 2024)"
    )


def test_periods_start_at_local_midnight_of_the_analysis_zone() -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Berlin.
    frame = subs(("a", "2024-01-31T23:30:00", None, 10.0))
    utc = revenue(frame, date_from="2024-01-01", date_to="2024-02-01")
    berlin = revenue(frame, date_from="2024-01-01", date_to="2024-02-01", timezone="Europe/Berlin")
    assert utc["new"].tolist() == [10, 0]
    assert berlin["new"].tolist() == [0, 10]
    assert berlin["period"].iloc[1] == pd.Timestamp("2024-02-01", tz="Europe/Berlin")
    assert str(berlin["period"].dtype) == "datetime64[us, Europe/Berlin]"


def test_weeks_start_on_monday_and_quarters_on_their_first_month() -> None:
    frame = subs(("a", "2024-01-10", "2024-05-02", 10.0))
    weeks = revenue(frame, period="week", date_from="2024-01-03", date_to="2024-01-20")
    assert weeks["period"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01",
        "2024-01-08",
        "2024-01-15",
    ]
    assert weeks["new"].tolist() == [0, 10, 0]
    quarters = revenue(frame, period="quarter", date_from="2024-02-01", date_to="2024-06-30")
    assert quarters["period"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-04-01"]
    assert quarters[["new", "churn"]].values.tolist() == [[10, 0], [0, 10]]


def test_default_range_runs_from_the_first_start_to_the_last_start_or_end() -> None:
    r = revenue(subs(("a", "2024-01-10", "2024-03-05", 10.0), ("b", "2024-02-01", None, 1.0)))
    assert r["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]


def test_zero_amounts_missing_starts_and_empty_periods_hold_no_mrr() -> None:
    frame = subs(
        ("a", "2024-01-10", None, 0.0),
        ("b", "2024-01-10", "2024-01-10", 50.0),
        ("c", "2024-01-10", None, 7.0),
    )
    r = revenue(frame, date_from="2024-01-01", date_to="2024-01-01")
    assert r["new"].tolist() == [7] and r["customers_end"].tolist() == [1]


def test_amounts_reconcile_to_the_cent() -> None:
    frame = subs(
        ("a", "2023-12-01", "2024-02-10", 0.1),
        ("a", "2024-02-10", None, 0.2),
        ("b", "2023-12-01", None, 0.7),
        ("c", "2024-02-02", None, 1 / 3),
    )
    feb = monthly(frame).loc["2024-02"]
    assert feb["mrr_start"] == 0.8 and feb["mrr_end"] == pytest.approx(1.2333, abs=1e-12)
    assert feb["expansion"] == 0.1 and feb["new"] == 0.3333


def test_customer_movements_name_the_customers_behind_each_number() -> None:
    frame = subs(
        ("a", "2023-12-01", "2024-02-10", 10.0),
        ("a", "2024-02-10", None, 25.0),
        ("b", "2023-12-01", "2024-02-20", 5.0),
        ("c", "2024-02-03", None, 9.0),
    )
    m = customer_movements(frame, date_from="2024-02-01", date_to="2024-02-01")
    assert m[["customer_id", "mrr_start", "mrr_end", "movement"]].values.tolist() == [
        ["a", 10.0, 25.0, "expansion"],
        ["b", 5.0, 0.0, "churn"],
        ["c", 0.0, 9.0, "new"],
    ]


def test_accepts_an_ibis_table_and_extra_property_columns() -> None:
    from prodops.engine import as_table

    frame = subs(("a", "2024-01-10", None, 10.0)).assign(plan="pro")
    r = revenue(as_table(frame), date_from="2024-01-01", date_to="2024-01-01")
    assert r["new"].tolist() == [10]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "year"}, "period must be one of month, week, quarter"),
        ({"period": "day"}, "period must be one of"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"date_from": "2024-03-01", "date_to": "2024-01-01"}, "is after date_to"),
        ({"date_from": "not a date"}, "is not a date"),
    ],
)
def test_bad_parameters_raise_parameter_error(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        revenue(subs(("a", "2024-01-10", None, 10.0)), **kwargs)


def test_missing_column_and_no_data_raise_clear_errors() -> None:
    frame = subs(("a", "2024-01-10", None, 10.0))
    with pytest.raises(ColumnError, match="'mrr' not found"):
        revenue(frame.rename(columns={"mrr": "amount"}))
    with pytest.raises(InputError, match="no subscriptions"):
        revenue(frame.assign(mrr=0.0))


def test_the_shipped_demo_subscriptions_reconcile_and_grow() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "data" / "demo-subscriptions.csv.gz"
    frame = pd.read_csv(path, parse_dates=["start", "end"])
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    r = revenue(frame)
    assert len(r) == 12 and r["period"].iloc[0] == pd.Timestamp("2025-11-01", tz="UTC")
    flow = r.mrr_start + r.new + r.expansion + r.reactivation - r.contraction - r.churn
    assert ((flow - r.mrr_end).abs() < 0.005).all()
    assert r["mrr_end"].is_monotonic_increasing  # a growing product
    for col in ("expansion", "contraction", "churn", "reactivation"):
        assert r[col].sum() > 0, col
    assert r["customers_end"].iloc[-1] == frame.loc[frame["end"].isna(), "customer_id"].nunique()
