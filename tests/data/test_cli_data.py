"""``prodops import``, ``prodops datasets`` and the CLI sources, through prodops.cli.main."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from prodops.cli import main
from prodops.cli.sources import add_source_arguments, open_source
from prodops.data.catalog import Catalog

Write = Callable[[str, bytes | str], Path]

EVENTS = (
    "uid,action,when,plan\n"
    "u1,signup,2024-01-01T10:00:00Z,free\n"
    "u2,login,2024-01-02T10:00:00Z,pro\n"
    ",login,2024-01-03T10:00:00Z,pro\n"
)


def test_import_prints_the_validation_summary(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file("e.csv", EVENTS)
    assert main(["import", str(path), "--name", "events", "--time-col", "when"]) == 0
    out = capsys.readouterr().out
    assert "e.csv: 3 rows read, 2 accepted, 1 rejected (empty user id: 1)" in out
    assert "2 rows saved as dataset 'events' (events, 2 rows, 2 users, version 1)" in out
    assert "row 3, column 'uid': empty user id" in out
    assert Catalog().get("events").rows == 2


def test_import_writes_rejected_rows_and_appends_without_duplicates(
    write_file: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file("e.csv", EVENTS)
    rejected = tmp_path / "rejected.csv"
    args = ["import", str(path), "--name", "events", "--rejected-out", str(rejected)]
    assert main(args) == 0
    assert rejected.read_text().splitlines() == [
        "row,column,value,reason",
        "3,uid,,empty user id",
    ]
    assert main(["import", str(path), "--name", "events", "--append"]) == 0
    assert "0 rows appended to dataset 'events'" in capsys.readouterr().out
    assert Catalog().get("events").version == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "prodops import: bad.csv: the file is empty."),
        ("a,b\n", "prodops import: bad.csv: the file has a header but no data rows."),
        ("user_id,event,plan\nu1,x,pro\n", "prodops import: bad.csv: no column for 'timestamp'"),
    ],
)
def test_unusable_files_exit_2_with_one_line(
    write_file: Write, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = write_file("bad.csv", content)
    assert main(["import", str(path), "--name", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_wrong_kind_and_ambiguous_dates_exit_2(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = write_file("s.csv", "customer_id,start_date,end_date,monthly_amount\nc1,2024-01-01,,5\n")
    assert main(["import", str(subs), "--name", "x", "--kind", "events"]) == 2
    assert "not events" in capsys.readouterr().err
    dates = write_file("d.csv", "user_id,event,timestamp\nu1,x,03/04/2024\n")
    assert main(["import", str(dates), "--name", "d"]) == 2
    assert "--day-first / --month-first" in capsys.readouterr().err
    assert main(["import", str(dates), "--name", "d", "--month-first"]) == 0
    assert str(Catalog().get("d").time_min.date()) == "2024-03-04"  # type: ignore[union-attr]


def test_datasets_lists_the_catalog_in_every_format(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["datasets"]) == 0
    assert capsys.readouterr().out.strip() == "(no rows)"
    main(["import", str(write_file("e.csv", EVENTS)), "--name", "events"])
    capsys.readouterr()
    assert main(["datasets", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["datasets"]
    assert [(d["name"], d["kind"], d["rows"], d["entities"]) for d in data] == [
        ("events", "events", 2, 2)
    ]
    assert data[0]["time_min"] == "2024-01-01T10:00:00+00:00"
    assert main(["datasets", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("name,kind,rows,entities,time_min")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_source_arguments(parser, "events")
    return parser.parse_args(argv)


def test_open_source_reads_a_file_with_mapping_flags(write_file: Write) -> None:
    path = write_file("e.csv", EVENTS)
    args = _parse([str(path), "--user-col", "uid", "--time-col", "when"])
    with open_source(args, "events") as table:
        assert table.columns[:3] == ("user_id", "event", "timestamp")
        assert sorted(table.user_id.execute()) == ["u1", "u2"]


def test_open_source_reads_a_saved_dataset_and_checks_its_kind(write_file: Write) -> None:
    Catalog().import_file(write_file("e.csv", EVENTS), name="events")
    with open_source(_parse(["--dataset", "events"]), "events") as table:
        assert table.count().execute() == 2
    parser = argparse.ArgumentParser()
    add_source_arguments(parser, "subscriptions")
    from prodops.errors import InputError, ParameterError

    subscriptions = parser.parse_args(["--dataset", "events"])
    with (
        pytest.raises(InputError, match="holds events, not subscriptions"),
        open_source(subscriptions, "subscriptions"),
    ):
        pass
    with (
        pytest.raises(ParameterError, match="exactly one source"),
        open_source(_parse([]), "events"),
    ):
        pass


def test_open_source_maps_a_database_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(tmp_path))  # file databases: opt-in

    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE ev AS SELECT * FROM (VALUES ('u1', 'a', TIMESTAMP '2024-01-01 10:00'), "
        "('u2', 'b', TIMESTAMP '2024-01-02 10:00')) AS t(who, what, happened)"
    )
    con.close()
    args = _parse(
        ["--db-url", f"duckdb://{db}", "--table", "ev", "--user-col", "who", "--event-col", "what",
         "--time-col", "happened"]
    )  # fmt: skip
    with open_source(args, "events") as table:
        assert table.order_by("user_id").user_id.execute().tolist() == ["u1", "u2"]


def test_datasets_csv_has_no_formula_cells(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 17, item 6: a dataset name or source a spreadsheet would run as a formula.
    path = write_file("=cmd.csv", EVENTS)
    assert main(["import", str(path), "--name", '=HYPERLINK("x")', "--time-col", "when"]) == 0
    capsys.readouterr()
    assert main(["datasets", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [cell.strip('"') for line in lines for cell in line.split(",")]
    assert '\'=HYPERLINK(""x"")' in lines[1]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
