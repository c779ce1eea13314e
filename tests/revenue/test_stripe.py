"""Stripe and dbt-style subscription exports become canonical periods with the right MRR."""

from __future__ import annotations

import json
from pathlib import Path

import ibis
import pandas as pd
import pytest

from prodops.cli import main
from prodops.data.subscriptions import dbt_to_canonical, stripe_to_canonical
from prodops.engine import duckdb_connect
from prodops.errors import ColumnError
from prodops.metrics.revenue import revenue

HEADER = [
    "id", "Customer ID", "Plan", "Quantity", "Interval", "Amount", "Currency", "Status",
    "Start (UTC)", "Trial End (UTC)", "Current Period End (UTC)", "Canceled At (UTC)",
    "Cancel At Period End", "Ended At (UTC)",
]  # fmt: skip


def row(**values: str) -> dict[str, str]:
    base = dict.fromkeys(HEADER, "")
    base.update(
        {
            "id": "sub_x",
            "Customer ID": "cus_x",
            "Plan": "Pro",
            "Quantity": "1",
            "Interval": "month",
            "Amount": "29.00",
            "Currency": "usd",
            "Status": "active",
            "Start (UTC)": "2024-01-10 09:00",
            "Current Period End (UTC)": "2024-02-10 09:00",
            "Cancel At Period End": "false",
        }
    )
    renamed = {k.replace("_", " ").title(): v for k, v in values.items()}
    lookup = {h.lower().replace(" (utc)", ""): h for h in HEADER} | {"id": "id"}
    for key, value in renamed.items():
        base[lookup[key.lower()]] = value
    return base


def canonical(*rows: dict[str, str], **kwargs: bool) -> pd.DataFrame:
    raw = pd.DataFrame(list(rows), dtype="str")
    con = duckdb_connect()
    table = con.create_table("raw", ibis.memtable(raw), temp=True)
    return stripe_to_canonical(table, **kwargs).to_pandas()


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_monthly_plan_is_unit_amount_times_quantity() -> None:
    out = canonical(row(quantity="3"))
    first = out.iloc[0]
    assert first["mrr"] == pytest.approx(87.0)
    assert first["customer_id"] == "cus_x" and first["billing"] == "monthly"
    assert first["start"] == utc("2024-01-10 09:00") and pd.isna(first["end"])
    assert first["mrr_note"] == "" and first["plan"] == "Pro" and first["quantity"] == "3.0"


@pytest.mark.parametrize(
    ("interval", "amount", "count", "mrr", "billing"),
    [
        ("year", "1200", "", 100.0, "yearly"),
        ("week", "10", "", 10 * 52 / 12, "weekly"),
        ("day", "1", "", 365 / 12, "daily"),
        ("month", "90", "3", 30.0, "monthly"),
        ("year", "2400", "2", 100.0, "yearly"),
    ],
)
def test_intervals_are_normalised_to_a_month(
    interval: str, amount: str, count: str, mrr: float, billing: str
) -> None:
    r = row(interval=interval, amount=amount)
    r["Interval Count"] = count
    out = canonical(r).iloc[0]
    assert out["mrr"] == pytest.approx(mrr) and out["billing"] == billing


def test_api_amounts_are_in_cents_and_the_guess_can_be_overridden() -> None:
    r = row()
    r["unit_amount"] = r.pop("Amount").replace("29.00", "2900")
    assert canonical(r).iloc[0]["mrr"] == pytest.approx(29.0)
    assert canonical(r, amounts_in_cents=False).iloc[0]["mrr"] == pytest.approx(2900.0)
    assert canonical(row(amount="2900"), amounts_in_cents=True).iloc[0]["mrr"] == 29.0


def test_a_trial_is_not_revenue_the_period_starts_when_it_ends() -> None:
    out = canonical(row(trial_end="2024-01-24 09:00")).iloc[0]
    assert out["start"] == utc("2024-01-24 09:00") and out["mrr"] == 29.0


def test_cancelled_subscriptions_churn_when_the_paid_period_ends() -> None:
    at_period_end = row(cancel_at_period_end="true", canceled_at="2024-01-20 12:00")
    cancelled_status = row(status="canceled", canceled_at="2024-01-20 12:00")
    ended = row(status="canceled", canceled_at="2024-01-20", ended_at="2024-01-25 00:00")
    out = canonical(at_period_end, cancelled_status, ended)
    assert out["end"].tolist() == [
        utc("2024-02-10 09:00"),
        utc("2024-02-10 09:00"),
        utc("2024-01-25 00:00"),
    ]


def test_rows_without_revenue_keep_a_zero_mrr_and_say_why() -> None:
    out = canonical(
        row(amount="0"),
        row(status="incomplete"),
        row(status="trialing"),
        row(trial_end="2024-01-24", ended_at="2024-01-20", status="canceled"),
        row(amount="n/a"),
        row(interval="fortnight"),
    )
    assert out["mrr"].tolist() == [0.0] * 6
    assert out["mrr_note"].tolist() == [
        "zero amount",
        "incomplete",
        "trial",
        "ended in trial",
        "zero amount",
        "unknown interval",
    ]
    assert (out["end"].dropna() >= out["start"][out["end"].notna()]).all()


def test_epoch_seconds_and_typed_columns_are_read() -> None:
    raw = pd.DataFrame(
        {
            "id": ["sub_1"],
            "customer": ["cus_1"],
            "plan_amount": [4900],
            "plan_interval": ["month"],
            "status": ["active"],
            "start_date": [1704067200],  # 2024-01-01T00:00:00Z
            "ended_at": ["1706745600"],  # 2024-02-01T00:00:00Z
        }
    )
    table = duckdb_connect().create_table("raw", ibis.memtable(raw), temp=True)
    out = stripe_to_canonical(table).to_pandas().iloc[0]
    assert out["mrr"] == 49.0
    assert out["start"] == utc("2024-01-01") and out["end"] == utc("2024-02-01")


def test_a_missing_amount_column_is_a_column_error() -> None:
    r = row()
    del r["Amount"]
    with pytest.raises(ColumnError, match="no amount column"):
        canonical(r)


def test_stripe_churn_lands_in_the_month_the_paid_period_ends() -> None:
    rows = [
        row(id="s1", start="2023-12-10 00:00", cancel_at_period_end="true",
            canceled_at="2024-01-20 00:00", current_period_end="2024-02-10 00:00"),
        row(id="s2", customer_id="cus_y", interval="year", amount="1200",
            start="2023-12-05 00:00", current_period_end="2024-12-05 00:00"),
    ]  # fmt: skip
    subs = canonical(*rows)
    r = revenue(subs, date_from="2024-01-01", date_to="2024-02-01")
    assert r["churn"].tolist() == [0.0, 29.0]
    assert r["mrr_start"].tolist() == [129.0, 129.0]


def test_dbt_style_periods() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "start_date": ["2024-01-01", "2024-03-01"],
            "end_date": ["2024-03-01", None],
            "monthly_amount": ["10.5", "20"],
            "plan": ["s", "m"],
        }
    )
    table = duckdb_connect().create_table("raw", ibis.memtable(raw), temp=True)
    out = dbt_to_canonical(table).to_pandas()
    assert list(out.columns) == ["customer_id", "start", "end", "mrr", "plan"]
    assert out["mrr"].tolist() == [10.5, 20.0]
    assert out["end"].iloc[0] == utc("2024-03-01") and pd.isna(out["end"].iloc[1])
    with pytest.raises(ColumnError, match="monthly_amount"):
        dbt_to_canonical(table.drop("monthly_amount"))


def test_prodops_revenue_reads_a_stripe_export_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        row(id="s1", start="2024-01-10 00:00", cancel_at_period_end="true",
            canceled_at="2024-01-20 00:00", current_period_end="2024-02-10 00:00"),
        row(id="s2", customer_id="cus_y", interval="year", amount="1200", quantity="2",
            start="2024-01-05 00:00", current_period_end="2025-01-05 00:00"),
    ]  # fmt: skip
    path = tmp_path / "subscriptions.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    argv = ["revenue", str(path), "--date-from", "2024-01-01", "--date-to", "2024-02-01"]
    assert main([*argv, "--format", "json"]) == 0
    periods = json.loads(capsys.readouterr().out)["periods"]
    assert [p["new"] for p in periods] == [229.0, 0.0]
    assert [p["churn"] for p in periods] == [0.0, 29.0]
