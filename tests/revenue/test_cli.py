"""``prodops revenue`` / ``revenue-cohorts``: the JSON contract of DESIGN.md and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prodops.cli import main

CSV = """customer_id,start,end,mrr,plan
a,2023-12-01T00:00:00Z,2024-02-10T00:00:00Z,10,starter
a,2024-02-10T00:00:00Z,,25,pro
b,2023-12-01T00:00:00Z,2024-02-20T00:00:00Z,5,starter
c,2024-02-03T00:00:00Z,,9.99,starter
"""

KEYS = [
    "period",
    "mrr_start",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "mrr_end",
    "customers_start",
    "customers_end",
    "customers_churned",
    "logo_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "grr",
    "nrr",
    "quick_ratio",
    "arpa",
]


@pytest.fixture
def subs_csv(tmp_path: Path) -> Path:
    path = tmp_path / "subs.csv"
    path.write_text(CSV)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_revenue_json_follows_the_cli_contract(
    subs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(
        capsys, "revenue", str(subs_csv), "--date-from", "2024-01-01", "--date-to", "2024-02-28",
        "--format", "json",
    )  # fmt: skip
    assert out["metric"] == "revenue"
    periods = out["periods"]
    assert isinstance(periods, list) and len(periods) == 2
    jan, feb = periods
    assert list(feb)[: len(KEYS)] == KEYS
    assert jan["period"] == "2024-01-01T00:00:00+00:00"
    assert jan["quick_ratio"] is None  # nothing lost in January
    assert [feb[k] for k in ("mrr_start", "new", "expansion", "churn", "mrr_end")] == [
        15.0,
        9.99,
        15.0,
        5.0,
        34.99,
    ]
    assert feb["customers_churned"] == 1 and feb["logo_churn_rate"] == 0.5
    assert feb["grr"] == pytest.approx(2 / 3) and feb["nrr"] == pytest.approx(5 / 3)


def test_timezone_changes_period_starts_and_offsets(
    subs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(
        capsys, "revenue", str(subs_csv), "--period", "week", "--timezone", "America/New_York",
        "--date-from", "2024-02-01", "--date-to", "2024-02-06", "--format", "json",
    )  # fmt: skip
    periods = out["periods"]
    assert isinstance(periods, list)
    assert [p["period"] for p in periods] == [
        "2024-01-29T00:00:00-05:00",
        "2024-02-05T00:00:00-05:00",
    ]
    # c starts 2024-02-03T00:00Z = 2 February 19:00 in New York: new in the first week.
    assert periods[0]["new"] == 9.99


def test_revenue_cohorts_json(subs_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        capsys, "revenue-cohorts", str(subs_csv), "--date-to", "2024-02-01", "--format", "json"
    )
    cohorts = out["cohorts"]
    assert out["metric"] == "revenue_cohorts" and isinstance(cohorts, list)
    first = [c for c in cohorts if c["cohort"] == "2023-12-01T00:00:00+00:00"]
    assert [c["logo_retention"] for c in first] == [1.0, 1.0, 0.5]
    assert first[2]["revenue_retention"] == pytest.approx(25 / 15)
    last = [c for c in cohorts if c["cohort"] == "2024-02-01T00:00:00+00:00"]
    assert last[0]["cohort_customers"] == 1 and last[1]["customers"] is None  # unobservable


def test_table_and_csv_formats(subs_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["revenue", str(subs_csv), "--format", "csv", "--date-to", "2024-02-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",")[:3] == ["period", "mrr_start", "new"]
    assert lines[1].startswith("2023-12-01T00:00:00+00:00,15.0,0.0")
    assert main(["revenue", str(subs_csv)]) == 0
    assert "mrr_start" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--date-from", "2024-03-01", "--date-to", "2024-01-01"], "is after date_to"),
        (["--period", "year"], "invalid choice: 'year'"),
    ],
)
def test_bad_input_exits_2_with_one_line(subs_csv: Path, args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prodops", "revenue", str(subs_csv), *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
