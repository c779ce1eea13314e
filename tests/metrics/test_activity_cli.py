"""`prodops lifecycle|stickiness|active-users|churn`: completeness in JSON, CSV and tables.

The log below ends on Wednesday 12 June 2020 at 10:00: that day, its week and its month are in
progress (DESIGN.md, "Completeness").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prodops.cli import main

CSV = """user_id,event,timestamp,plan
a,signup,2020-06-10T09:00:00Z,p
b,signup,2020-06-10T18:00:00Z,q
a,open,2020-06-11T08:00:00Z,p
c,signup,2020-06-12T10:00:00Z,p
"""
DATA_END = "2020-06-12T10:00:00+00:00"


@pytest.fixture
def events_csv(tmp_path: Path) -> str:
    path = tmp_path / "events.csv"
    path.write_text(CSV)
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_lifecycle_json_flags_each_bucket(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(capsys, "lifecycle", events_csv, "--period", "day")
    assert doc["data_end"] == DATA_END
    assert doc["buckets"] == [
        {
            "start": "2020-06-10T00:00:00+00:00",
            "new": 2,
            "returning": 0,
            "resurrecting": 0,
            "dormant": 0,
            "pulse_ratio": None,
            "complete": True,
        },
        {
            "start": "2020-06-11T00:00:00+00:00",
            "new": 0,
            "returning": 1,
            "resurrecting": 0,
            "dormant": 1,
            "pulse_ratio": 0.0,
            "complete": True,
        },
        {
            "start": "2020-06-12T00:00:00+00:00",
            "new": 1,
            "returning": 0,
            "resurrecting": 0,
            "dormant": 1,
            "pulse_ratio": 1.0,
            "complete": False,
        },
    ]


def test_stickiness_json_says_how_many_buckets_it_counts(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Days 10 and 11 are complete: a on both, b on the 10th; c (the 12th) is not counted.
    doc = run_json(capsys, "stickiness", events_csv, "--period", "day")
    assert doc == {
        "metric": "stickiness",
        "data_end": DATA_END,
        "buckets_total": 3,
        "buckets_complete": 2,
        "buckets_counted": 2,
        "histogram": [
            {"active_periods": 1, "users": 1, "complete": True},
            {"active_periods": 2, "users": 1, "complete": True},
        ],
    }
    running = run_json(capsys, "stickiness", events_csv, "--period", "day", "--include-incomplete")
    assert running["buckets_counted"] == 3
    assert running["histogram"] == [
        {"active_periods": 1, "users": 2, "complete": False},
        {"active_periods": 2, "users": 1, "complete": False},
        {"active_periods": 3, "users": 0, "complete": False},
    ]


def test_active_users_and_churn_json_flag_each_item(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(capsys, "active-users", events_csv)
    assert doc["data_end"] == DATA_END
    assert doc["series"] == [
        {"date": "2020-06-10", "users": 2, "complete": True},
        {"date": "2020-06-11", "users": 1, "complete": True},
        {"date": "2020-06-12", "users": 1, "complete": False},
    ]
    churned = run_json(capsys, "churn", events_csv, "--period", "day", "--as-of", "2020-06-12")
    assert churned["data_end"] == "2020-06-13T00:00:00+00:00"  # the whole of the 12th
    assert [p["complete"] for p in churned["periods"]] == [True, True, True]  # type: ignore[union-attr]


def test_tables_mark_the_period_in_progress_and_csv_keeps_the_flag(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["churn", events_csv, "--period", "day"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "*" not in "".join(lines[1:3]) and lines[3].split()[-1] == "1.0*"
    assert lines[-1] == "* in progress: the period ends after the data end (2020-06-12 10:00)"
    assert main(["active-users", events_csv, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows == [
        "date,users,complete",
        "2020-06-10,2,True",
        "2020-06-11,1,True",
        "2020-06-12,1,False",
    ]
