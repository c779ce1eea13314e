"""`prodops retention|lifecycle|stickiness|active-users|churn`: exit codes and JSON shapes."""

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


@pytest.fixture
def events_csv(tmp_path: Path) -> str:
    path = tmp_path / "events.csv"
    path.write_text(CSV)
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_retention_json_has_the_contract_shape(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(capsys, "retention", events_csv, "--period", "day")
    # The data ends at the last event, 12 June 10:00: 12 June is in progress, so the cells of
    # that day are not complete and the average leaves them out (offset 2 has no other cell).
    assert doc == {
        "metric": "retention",
        "data_end": "2020-06-12T10:00:00+00:00",
        "period": "day",
        "cohorts": [
            {
                "cohort": "2020-06-10T00:00:00+00:00",
                "breakdown": None,
                "size": 2,
                "counts": [2, 1, 0],
                "rates": [1.0, 0.5, 0.0],
                "complete": [True, True, False],
            },
            {
                "cohort": "2020-06-11T00:00:00+00:00",
                "breakdown": None,
                "size": 0,
                "counts": [0, 0, None],
                "rates": [None, None, None],
                "complete": [True, False, False],
            },
            {
                "cohort": "2020-06-12T00:00:00+00:00",
                "breakdown": None,
                "size": 1,
                "counts": [1, None, None],
                "rates": [1.0, None, None],
                "complete": [False, False, False],
            },
        ],
        "average": [1.0, 0.5, None],
    }
    running = run_json(capsys, "retention", events_csv, "--period", "day", "--include-incomplete")
    assert running["average"] == [1.0, 0.5, 0.0]
    assert running["cohorts"] == doc["cohorts"]


def test_retention_options_reach_the_api(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(
        capsys,
        "retention",
        events_csv,
        "--period",
        "day",
        "--start-event",
        "signup",
        "--return-event",
        "open",
        "--where",
        "plan=p",
        "--timezone",
        "Asia/Tokyo",
        "--date-from",
        "2020-06-10",
        "--date-to",
        "2020-06-11",
        "--cumulative",
        "--breakdown",
        "plan",
    )
    cohorts = doc["cohorts"]
    assert isinstance(cohorts, list)
    # Tokyo: a signs up 18:00 on the 10th, opens 17:00 on the 11th; b is plan q (filtered out)
    assert cohorts[0] == {
        "cohort": "2020-06-10T00:00:00+09:00",
        "breakdown": "p",
        "size": 1,
        "counts": [1, 1],
        "rates": [1.0, 1.0],
        "complete": [True, True],  # the data runs to 12 June 19:00 in Tokyo
    }
    assert doc["data_end"] == "2020-06-12T19:00:00+09:00"
    assert doc["breakdown_averages"] == [{"breakdown": "p", "average": [1.0, 1.0]}]


def test_retention_table_and_csv(events_csv: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", events_csv, "--period", "day"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["cohort", "size", "0", "1", "2"]
    # values of periods in progress end with * and one footer line says why
    assert table[1].split() == ["2020-06-10T00:00:00+00:00", "2", "1.0", "0.5", "0.0*"]
    assert table[3].split() == ["2020-06-12T00:00:00+00:00", "1", "1.0*"]
    assert table[4] == "* in progress: the period ends after the data end (2020-06-12 10:00)"
    assert len(table) == 5
    assert main(["retention", events_csv, "--period", "day", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "breakdown,cohort,size,offset,count,rate,complete"
    assert lines[2] == ",2020-06-10T00:00:00+00:00,2,1,1,0.5,True"
    assert lines[3] == ",2020-06-10T00:00:00+00:00,2,2,0,0.0,False"
    assert len(lines) == 1 + 9


def test_retention_as_of_rows_and_columns(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # --as-of a date: the data covers that whole day, which is also the default --date-to
    doc = run_json(capsys, "retention", events_csv, "--period", "day", "--as-of", "2020-06-11")
    assert doc["data_end"] == "2020-06-12T00:00:00+00:00"
    assert [c["counts"] for c in doc["cohorts"]] == [[2, 1], [0, None]]
    assert [c["complete"] for c in doc["cohorts"]] == [[True, True], [True, False]]
    # the range chooses the rows (3 days), --periods the columns (2)
    doc = run_json(
        capsys,
        "retention",
        events_csv,
        "--period",
        "day",
        "--date-from",
        "2020-06-10",
        "--date-to",
        "2020-06-12",
        "--periods",
        "2",
    )
    assert [c["counts"] for c in doc["cohorts"]] == [[2, 1], [0, 0], [1, None]]
    # with no marks, the table has no footer
    assert main(["retention", events_csv, "--period", "day", "--as-of", "2020-06-13"]) == 0
    out = capsys.readouterr().out
    assert "*" not in out and "in progress" not in out


def test_an_oversized_retention_is_refused_quickly_with_rc_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "year.csv"
    path.write_text("user_id,event,timestamp\na,x,2025-01-01T00:00:00Z\nb,x,2025-12-31T23:00:00Z\n")
    assert main(["retention", str(path), "--period", "hour"]) == 2
    err = capsys.readouterr().err
    assert "8,760 hourly cohorts x 8,760 columns is 76,737,600 cells" in err
    assert "Narrow the range, pass fewer periods, or choose day." in err
    assert err.count("\n") == 1
    # the same range by day fits
    assert main(["retention", str(path), "--period", "day", "--format", "csv"]) == 0


def test_lifecycle_json(events_csv: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "lifecycle", events_csv, "--period", "day")
    assert doc["metric"] == "lifecycle"
    assert doc["data_end"] == "2020-06-12T10:00:00+00:00"  # 12 June is in progress
    assert [b.pop("complete") for b in doc["buckets"]] == [True, True, False]
    assert doc["buckets"] == [
        {
            "start": "2020-06-10T00:00:00+00:00",
            "new": 2,
            "returning": 0,
            "resurrecting": 0,
            "dormant": 0,
            "pulse_ratio": None,
        },
        {
            "start": "2020-06-11T00:00:00+00:00",
            "new": 0,
            "returning": 1,
            "resurrecting": 0,
            "dormant": 1,
            "pulse_ratio": 0.0,
        },
        {
            "start": "2020-06-12T00:00:00+00:00",
            "new": 1,
            "returning": 0,
            "resurrecting": 0,
            "dormant": 1,
            "pulse_ratio": 1.0,
        },
    ]


def test_stickiness_json(events_csv: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "stickiness", events_csv, "--cumulative")
    # 12 June is in progress: the histogram counts the 2 complete days (a on both, b on one; c
    # only on the 12th), unless --include-incomplete
    assert doc["data_end"] == "2020-06-12T10:00:00+00:00"
    assert (doc["buckets_total"], doc["buckets_complete"]) == (3, 2)
    assert [(h["active_periods"], h["users"]) for h in doc["histogram"]] == [(1, 2), (2, 1)]
    doc = run_json(capsys, "stickiness", events_csv, "--cumulative", "--include-incomplete")
    assert [(h["active_periods"], h["users"]) for h in doc["histogram"]] == [
        (1, 3),
        (2, 1),
        (3, 0),
    ]


def test_active_users_json(events_csv: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "active-users", events_csv, "--window-days", "2", "--event", "signup")
    assert doc == {
        "metric": "active_users",
        "data_end": "2020-06-12T10:00:00+00:00",
        "window_days": 2,
        "series": [
            {"date": "2020-06-10", "users": 2, "complete": True},
            {"date": "2020-06-11", "users": 2, "complete": True},
            {"date": "2020-06-12", "users": 1, "complete": False},
        ],
    }


def test_churn_json(events_csv: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "churn", events_csv, "--period", "day", "--as-of", "2020-06-12")
    # as of the end of 12 June, every day is complete
    assert doc["data_end"] == "2020-06-13T00:00:00+00:00"
    assert [p.pop("complete") for p in doc["periods"]] == [True, True, True]
    assert doc["periods"] == [
        {
            "period": "2020-06-10T00:00:00+00:00",
            "active_start": 0,
            "churned": 0,
            "churn_rate": None,
        },
        {"period": "2020-06-11T00:00:00+00:00", "active_start": 2, "churned": 1, "churn_rate": 0.5},
        {"period": "2020-06-12T00:00:00+00:00", "active_start": 1, "churned": 1, "churn_rate": 1.0},
    ]


def test_series_tables_mark_the_periods_in_progress_and_csv_keeps_the_flag(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["churn", events_csv, "--period", "day"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["period", "active_start", "churned", "churn_rate"]
    assert lines[2].split() == ["2020-06-11T00:00:00+00:00", "2", "1", "0.5"]
    assert lines[3].split() == ["2020-06-12T00:00:00+00:00", "1*", "1*", "1.0*"]
    assert lines[4] == "* in progress: the period ends after the data end (2020-06-12 10:00)"
    assert main(["churn", events_csv, "--period", "day", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "period,active_start,churned,churn_rate,complete"
    assert lines[3] == "2020-06-12T00:00:00+00:00,1,1,1.0,False"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["retention", "--where", "plann=p"],
            "where column 'plann' not found. Did you mean 'plan'?",
        ),
        (
            ["retention", "--start-event", "sigup"],
            "event 'sigup' does not occur in the data. Did you mean 'signup'?",
        ),
        (["lifecycle", "--timezone", "Europe/Berln"], "unknown time zone 'Europe/Berln'"),
        (["churn", "--date-from", "2020-06-12", "--date-to", "2020-06-01"], "is after date_to"),
        (["stickiness", "--where", "plan"], "--where 'plan' is not a condition"),
        (["retention", "--start-where", "plan?p"], "--start-where 'plan?p': '?' takes no"),
        (
            ["retention", "--where", "plan>=x", "--where", "size>=x"],
            "where column 'size' not found",
        ),
        (["churn", "--breakdown", "plan", "--breakdown-limit", "0"], "breakdown_limit 0"),
        (["active-users", "--window-days", "0"], "window_days must be a whole number >= 1"),
        (["retention", "--breakdown", "country"], "breakdown column 'country' not found"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    events_csv: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([argv[0], events_csv, *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_bad_choice_is_an_argparse_error(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["retention", events_csv, "--period", "fortnight"])
    assert info.value.code == 2
    assert "invalid choice: 'fortnight'" in capsys.readouterr().err
