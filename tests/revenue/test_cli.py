"""``prodops revenue`` / ``revenue-cohorts``: the JSON contract of DESIGN.md and clear errors."""

from __future__ import annotations

import json
import os
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


# --- completeness and the one LTV (issue 11) ------------------------------------------------------
# The data end of CSV is b's end, 20 February 2024: February is in progress.


def test_revenue_json_says_which_periods_are_complete_and_carries_the_ltv(
    subs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(
        capsys, "revenue", str(subs_csv), "--date-from", "2024-01-01", "--format", "json"
    )
    assert out["data_end"] == "2024-02-20T00:00:00+00:00"
    periods = out["periods"]
    assert isinstance(periods, list)
    assert [p["complete"] for p in periods] == [True, False]
    ltv = out["ltv"]
    assert isinstance(ltv, dict)
    # Complete months December and January: nobody churned, so no LTV, and the line says why.
    assert ltv["ltv"] is None and ltv["months"] == 2 and ltv["arpa"] == 7.5
    assert ltv["formula"].startswith("LTV undefined: no customer churned")
    # --as-of the whole of 29 February completes February.
    late = run_json(
        capsys, "revenue", str(subs_csv), "--date-from", "2024-01-01", "--as-of", "2024-02-29",
        "--format", "json",
    )  # fmt: skip
    assert late["data_end"] == "2024-03-01T00:00:00+00:00"
    assert [p["complete"] for p in late["periods"]] == [True, True]  # type: ignore[union-attr]


def test_ltv_command_gives_the_same_figure_as_revenue_in_every_view(
    subs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As of the end of March: October and November have no customer at their start (no
    # rate); December 0, January 0, February 1/2 (b), March 0 -> mean 1/8. ARPA at the end of
    # March: 34.99 / 2 customers. LTV = 17.495 * 8 = 139.96.
    alone = run_json(capsys, "ltv", str(subs_csv), "--as-of", "2024-03-31", "--format", "json")
    assert alone["metric"] == "ltv" and alone["months"] == 4
    assert alone["ltv"] == pytest.approx(139.96)
    for period in ("week", "month", "quarter"):
        out = run_json(
            capsys, "revenue", str(subs_csv), "--period", period, "--as-of", "2024-03-31",
            "--format", "json",
        )  # fmt: skip
        assert out["ltv"] == {k: v for k, v in alone.items() if k not in ("metric", "data_end")}


def test_revenue_cohorts_json_flags_each_cell(
    subs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(capsys, "revenue-cohorts", str(subs_csv), "--format", "json")
    cohorts = out["cohorts"]
    assert isinstance(cohorts, list) and out["data_end"] == "2024-02-20T00:00:00+00:00"
    december = [c for c in cohorts if c["cohort"] == "2023-12-01T00:00:00+00:00"]
    assert [c["complete"] for c in december] == [True, True, False]  # February in progress
    assert [c["revenue_retention"] for c in december][:2] == [1.0, 1.0]


def test_tables_mark_periods_in_progress_and_csv_keeps_the_flag(
    subs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["revenue", str(subs_csv), "--date-from", "2024-01-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "*" not in lines[1] and "34.99*" in lines[2]
    assert lines[-1] == "* in progress: the period ends after the data end (2024-02-20 00:00)"
    assert main(["revenue", str(subs_csv), "--date-from", "2024-01-01", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split(",")[-1] == "complete"
    assert [r.split(",")[-1] for r in rows[1:]] == ["True", "False"]


def test_a_range_that_ends_before_the_data_starts_names_what_to_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from prodops.data.demo_subscriptions import generate_subscriptions_rows

    path = Path(os.environ["PRODOPS_HOME"]) / "subs.csv"
    generate_subscriptions_rows(rows=60, months=6).to_csv(path, index=False)
    assert main(["revenue", str(path), "--as-of", "2001-01-01"]) == 2
    err = capsys.readouterr().err
    assert "the range ends (2001-01-01 00:00) before the first subscription starts" in err
    assert "date_from before date_to" not in err  # the user gave neither
    assert main(["revenue", str(path), "--date-from", "2999-01-01"]) == 2
    assert "the range starts (2999-01-01 00:00) after the data ends" in capsys.readouterr().err
