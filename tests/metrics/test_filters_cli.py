"""`--where` with operators and OR, `--start-where`/`--return-where`, `--breakdown` with
`--breakdown-limit` on every events command, and JSON carrying the breakdown value per row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prodops.cli import main

# Day 1: a (pro, DE, 150), b (team, FR, 100), c (free, no country, 20), d (no plan, DE);
# day 2: a, b and c come back. The data ends on day 2 at 10:00 (day 2 in progress).
CSV = """user_id,event,timestamp,plan,country,amount,email
a,signup,2024-01-01T09:00:00Z,pro,DE,150,ann@acme.com
b,signup,2024-01-01T09:00:00Z,team,FR,100,bob@Acme.com
c,signup,2024-01-01T09:00:00Z,free,,20,cy@other.org
d,signup,2024-01-01T09:00:00Z,,DE,,
a,open,2024-01-02T09:00:00Z,pro,DE,150,ann@acme.com
b,open,2024-01-02T09:00:00Z,team,FR,100,bob@Acme.com
c,open,2024-01-02T10:00:00Z,free,,20,cy@other.org
"""


@pytest.fixture
def events_csv(tmp_path: Path) -> str:
    path = tmp_path / "events.csv"
    path.write_text(CSV)
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--format", "json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def sizes(doc: Any) -> list[int]:
    return [c["size"] for c in doc["cohorts"]]


@pytest.mark.parametrize(
    ("conditions", "size"),
    [
        (["plan=pro"], 1),
        (["plan=pro", "plan=team"], 2),  # OR within a column
        (["plan=pro", "plan=team", "country=FR"], 1),  # AND across columns
        (["country!=DE"], 2),  # b, and c without a country
        (["amount>=100"], 2),  # as numbers (the CSV's text "20" is not >= "100")
        (["amount>100"], 1),
        (["amount<100"], 1),
        (["amount<=100"], 2),
        (["email~@ACME.COM"], 2),  # contains, case-insensitive
        (["plan?"], 3),
        (["plan!?"], 1),
    ],
)
def test_where_operators_choose_the_cohort(
    events_csv: str, capsys: pytest.CaptureFixture[str], conditions: list[str], size: int
) -> None:
    flags = [part for c in conditions for part in ("--where", c)]
    day1 = ("--date-from", "2024-01-01", "--date-to", "2024-01-01")
    doc = run_json(capsys, "retention", events_csv, "--period", "day", *day1, *flags)
    assert sizes(doc) == [size]


def test_start_and_return_where_take_operators(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(
        capsys,
        *("retention", events_csv, "--period", "day", "--date-from", "2024-01-01"),
        *("--start-where", "country!=DE", "--return-where", "amount>=100"),
    )
    first = doc["cohorts"][0]
    assert first["counts"] == [2, 1]  # b and c start; of them only b (100) returns


def test_numbers_in_a_text_column_compare_as_numbers(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Imports keep properties as text: "20" >= "100" as text, but 20 < 100 as numbers; a value
    # that is not a number compares as text ("pro" <= "team").
    day1 = ("--date-from", "2024-01-01", "--date-to", "2024-01-01", "--period", "day")
    doc = run_json(capsys, "retention", events_csv, *day1, "--where", "amount<=99.5")
    assert sizes(doc) == [1]
    doc = run_json(capsys, "retention", events_csv, *day1, "--where", "plan>pro")
    assert sizes(doc) == [1]


def test_retention_breakdown_limit_groups_the_rest(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(
        capsys,
        *("retention", events_csv, "--period", "day", "--date-from", "2024-01-01"),
        *("--date-to", "2024-01-01", "--periods", "2", "--breakdown", "plan"),
        *("--breakdown-limit", "2"),
    )
    # every plan has one user: ties go by value (free, pro), the rest (team, no plan) is other
    assert [(c["breakdown"], c["size"], c["counts"]) for c in doc["cohorts"]] == [
        ("free", 1, [1, 1]),
        ("pro", 1, [1, 1]),
        ("other", 2, [2, 1]),
    ]
    assert [c["complete"] for c in doc["cohorts"]] == [[True, False]] * 3
    assert [b["breakdown"] for b in doc["breakdown_averages"]] == ["free", "pro", "other"]


@pytest.mark.parametrize(
    ("command", "key", "extra"),
    [
        ("lifecycle", "buckets", ["--period", "day"]),
        ("churn", "periods", ["--period", "day"]),
        ("active-users", "series", []),
    ],
)
def test_series_json_carries_the_breakdown_on_each_row(
    events_csv: str,
    capsys: pytest.CaptureFixture[str],
    command: str,
    key: str,
    extra: list[str],
) -> None:
    doc = run_json(
        capsys, command, events_csv, *extra, "--breakdown", "country", "--breakdown-limit", "1"
    )
    rows = doc[key]
    # DE has 2 users (a, d): it is the top value; FR and no country are "other"
    assert [r["breakdown"] for r in rows] == ["DE", "DE", "other", "other"]
    assert [r["complete"] for r in rows] == [True, False, True, False]
    assert doc["data_end"] == "2024-01-02T10:00:00+00:00"
    plain = run_json(capsys, command, events_csv, *extra)
    assert all("breakdown" not in r for r in plain[key])


def test_active_users_by_value(events_csv: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "active-users", events_csv, "--breakdown", "country")
    got = {(r["breakdown"], r["date"]): r["users"] for r in doc["series"]}
    assert got == {
        ("DE", "2024-01-01"): 2,
        ("DE", "2024-01-02"): 1,
        ("FR", "2024-01-01"): 1,
        ("FR", "2024-01-02"): 1,
        (None, "2024-01-01"): 1,
        (None, "2024-01-02"): 1,
    }


def test_table_and_csv_show_the_breakdown_column(
    events_csv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["churn", events_csv, "--period", "day", "--breakdown", "plan"]) == 0
    table = capsys.readouterr().out
    assert "breakdown" in table.splitlines()[0]
    assert main(["lifecycle", events_csv, "--breakdown", "plan", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("breakdown,start,")
