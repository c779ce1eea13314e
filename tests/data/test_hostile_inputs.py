"""A hostile-input corpus for the import (issue 17, items 4, 5, 10 and the import part of 11).

Each file here once broke ProdOps or is a sibling of one that did: times and amounts outside what
the metrics can handle, headers named like the import's own helper columns, empty header names,
JSON arrays, workbooks with several sheets, JSON values of mixed types, files above the size caps,
and a catalog holding a dataset that an older version saved broken. Every one must give either
correct rows or one clear line (exit status 2 on the command line), and never leave a dataset or
a table behind when the import fails.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops import config
from prodops.cli import main
from prodops.data import validate
from prodops.data.catalog import Catalog
from prodops.data.importer import import_into, scratch_connection, workspace
from prodops.data.inspection import inspect_file
from prodops.data.schema import Kind
from prodops.data.validate import ValidationReport, load_canonical
from prodops.errors import InputError, ParameterError

Write = Callable[[str, bytes | str], Path]
ROOT = Path(__file__).resolve().parents[2]
OUT_OF_RANGE = "outside the supported range 1900-01-01 .. 2200-01-01"


def load(path: Path, *, kind: Kind | None = None) -> tuple[ValidationReport, pd.DataFrame]:
    plan = inspect_file(path, kind=kind).plan
    with workspace() as work, scratch_connection(path, work) as con:
        report = import_into(con, path, plan, table="t", workdir=work)
        frame = con.execute("SELECT * FROM t ORDER BY rowid").df()
    return report, frame


def rejected(report: ValidationReport) -> list[tuple[Any, ...]]:
    """The rejected rows as (row, column, value, reason) tuples."""
    return [tuple(r) for r in report.rejected.itertuples(index=False)]


def catalog_tables() -> list[str]:
    """Every table in the catalog file but the metadata one."""
    con = duckdb.connect(str(config.catalog_path()), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    finally:
        con.close()
    return sorted(r[0] for r in rows if r[0] != "prodops_datasets")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> Any:
    return pd.Timestamp(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


# --- item 4: supported ranges ------------------------------------------------------------------


def test_event_times_outside_1900_to_2200_are_rejected_with_a_reason(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        "user_id,event,timestamp\n"
        "a,x,0000-01-01T00:00:00Z\n"  # year 0: DuckDB reads 1 BC
        "b,x,10000-01-01\n"
        "c,x,-0044-03-15\n"
        "d,x,9999-12-31T23:59:59Z\n"  # pandas and Python's datetime stop at 9999 / 2262
        "e,x,1899-12-31T23:59:59Z\n"
        "f,x,1900-01-01T00:00:00Z\n"  # first instant supported
        "g,x,2199-12-31T23:59:59Z\n"  # last second supported
        "h,x,2200-01-01T00:00:00Z\n",
    )
    report, frame = load(path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (8, 2, 6)
    assert frame["user_id"].tolist() == ["f", "g"]
    assert frame["timestamp"].tolist() == [utc(1900, 1, 1), utc(2199, 12, 31, 23, 59, 59)]
    assert rejected(report) == [
        (1, "timestamp", "0000-01-01T00:00:00Z", f"timestamp {OUT_OF_RANGE}"),
        (2, "timestamp", "10000-01-01", f"timestamp {OUT_OF_RANGE}"),
        (3, "timestamp", "-0044-03-15", f"timestamp {OUT_OF_RANGE}"),
        (4, "timestamp", "9999-12-31T23:59:59Z", f"timestamp {OUT_OF_RANGE}"),
        (5, "timestamp", "1899-12-31T23:59:59Z", f"timestamp {OUT_OF_RANGE}"),
        (8, "timestamp", "2200-01-01T00:00:00Z", f"timestamp {OUT_OF_RANGE}"),
    ]


def test_epoch_seconds_beyond_2200_are_rejected(write_file: Write) -> None:
    # 9999999999 s is 2286-11-20; 1700000000 s is 2023-11-14 22:13:20
    path = write_file("e.csv", "user_id,event,timestamp\na,x,1700000000\nb,x,9999999999\n")
    report, frame = load(path)
    assert frame["timestamp"].tolist() == [utc(2023, 11, 14, 22, 13, 20)]
    assert rejected(report) == [(2, "timestamp", "9999999999", f"timestamp {OUT_OF_RANGE}")]


def test_amounts_must_be_finite_between_0_and_1e12(write_file: Write) -> None:
    path = write_file(
        "s.csv",
        "customer_id,start,end,mrr\n"
        "c1,2024-01-01,,NaN\n"
        "c2,2024-01-01,,inf\n"
        "c3,2024-01-01,,-Infinity\n"
        "c4,2024-01-01,,1e15\n"
        "c5,2024-01-01,,-5\n"
        "c6,2024-01-01,,1000000000000\n"  # 1e12 exactly: the largest amount accepted
        "c7,2024-01-01,,1e400\n",  # overflows a double: infinite
    )
    report, frame = load(path, kind="subscriptions")
    assert frame["customer_id"].tolist() == ["c6"]
    assert frame["mrr"].tolist() == [1e12]
    above = "mrr above 1,000,000,000,000 (the supported maximum)"
    assert rejected(report) == [
        (1, "mrr", "NaN", "mrr is not a finite number"),
        (2, "mrr", "inf", "mrr is not a finite number"),
        (3, "mrr", "-Infinity", "mrr is not a finite number"),
        (4, "mrr", "1e15", above),
        (5, "mrr", "-5", "negative mrr"),
        (7, "mrr", "1e400", "mrr is not a finite number"),
    ]


def test_subscription_dates_outside_the_range_and_far_future_ends(write_file: Write) -> None:
    path = write_file(
        "s.csv",
        "customer_id,start,end,mrr\n"
        "c1,0000-01-01,2024-01-01,10\n"
        "c2,2024-01-01,9999-12-31,10\n"  # the usual "still active" sentinel: an open end
        "c3,2024-01-01,2200-01-01,10\n"
        "c4,2024-01-01,-0001-01-01,10\n"
        "c5,2024-03-01,2024-02-01,10\n"
        "c6,2024-01-01,2199-12-31,10\n",
    )
    report, frame = load(path, kind="subscriptions")
    assert frame["customer_id"].tolist() == ["c2", "c3", "c6"]
    assert frame["end"].isna().tolist() == [True, True, False]
    assert frame["end"].iloc[2] == utc(2199, 12, 31)
    assert rejected(report) == [
        (1, "start", "0000-01-01", f"start date {OUT_OF_RANGE}"),
        (4, "end", "-0001-01-01", f"end date {OUT_OF_RANGE}"),
        (5, "end", "2024-02-01", "end before start"),
    ]


def test_a_year_0_file_is_imported_without_its_bad_row_and_every_command_works(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file(
        "e.csv", "user_id,event,timestamp\nu1,a,0000-01-01T00:00:00Z\nu2,b,2024-01-01\n"
    )
    assert main(["import", str(path), "--name", "old"]) == 0
    assert "1 rejected (timestamp outside" in capsys.readouterr().out
    assert main(["datasets", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["datasets"]
    assert [(d["name"], d["rows"], d["time_min"], d["problem"]) for d in listed] == [
        ("old", 1, "2024-01-01T00:00:00+00:00", None)
    ]
    assert main(["retention", "--dataset", "old", "--period", "day", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["cohorts"][0]["size"] == 1


def test_mrr_1e15_no_longer_breaks_revenue(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file(
        "s.csv", "customer_id,start,end,mrr\nc1,2024-01-01,,1e15\nc2,2024-01-01,,20\n"
    )
    assert main(["import", str(path), "--name", "subs", "--kind", "subscriptions"]) == 0
    capsys.readouterr()
    args = ["revenue", "--dataset", "subs", "--date-from", "2024-01-01", "--date-to", "2024-03-31"]
    assert main([*args, "--format", "json"]) == 0
    periods = json.loads(capsys.readouterr().out)["periods"]
    assert [p["mrr_end"] for p in periods] == [20.0, 20.0, 20.0]


def test_a_failed_import_saves_nothing(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Catalog().import_file(
        write_file("ok.csv", "user_id,event,timestamp\nu,a,2024-01-01\n"), name="ok"
    )
    before = catalog_tables()
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_ROWS", "2")
    rows = "".join(f"u{i},a,2024-01-0{i}\n" for i in range(1, 4))
    big = write_file("big.csv", "user_id,event,timestamp\n" + rows)
    assert main(["import", str(big), "--name", "big"]) == 2
    assert "big.csv: the file has more than 2 rows (the import limit)" in capsys.readouterr().err
    assert main(["import", str(big), "--name", "ok", "--append"]) == 2
    assert [i.name for i in Catalog().list()] == ["ok"]
    assert (Catalog().get("ok").rows, Catalog().get("ok").version) == (1, 1)
    assert catalog_tables() == before


def test_an_error_while_saving_rolls_the_whole_import_back(
    write_file: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Catalog, "_insert", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        Catalog().import_file(
            write_file("e.csv", "user_id,event,timestamp\nu,a,2024-01-01\n"), name="e"
        )
    assert Catalog().list(include_broken=True) == []
    assert catalog_tables() == []


# --- item 4: the catalog survives a broken dataset ----------------------------------------------


def _break(name: str, how: str) -> None:
    """Damage dataset *name* as older versions could leave it."""
    con = duckdb.connect(str(config.catalog_path()))
    try:
        if how == "year 0":
            con.execute(
                "UPDATE prodops_datasets SET time_min = "
                "CAST('0000-01-01T00:00:00Z' AS TIMESTAMPTZ) WHERE name = ?",
                [name],
            )
        elif how == "year 9999":
            con.execute(
                "UPDATE prodops_datasets SET time_max = TIMESTAMPTZ '9999-12-31 23:59:59+00' "
                "WHERE name = ?",
                [name],
            )
        elif how == "no table":
            (table,) = con.execute(
                "SELECT table_name FROM prodops_datasets WHERE name = ?", [name]
            ).fetchone() or ("",)
            con.execute(f'DROP TABLE "{table}"')
        else:
            con.execute("UPDATE prodops_datasets SET property_columns = '[' WHERE name = ?", [name])
    finally:
        con.close()


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("year 0", "its record cannot be read"),
        ("year 9999", f"it holds times {OUT_OF_RANGE}"),
        ("no table", "its table is missing from the catalog"),
        ("bad json", "its record cannot be read"),
    ],
)
def test_a_broken_dataset_is_listed_as_broken_and_can_be_deleted(
    write_file: Write, capsys: pytest.CaptureFixture[str], how: str, problem: str
) -> None:
    events = "user_id,event,timestamp\nu1,a,2024-01-01\n"
    Catalog().import_file(write_file("a.csv", events), name="good")
    Catalog().import_file(write_file("b.csv", events), name="broken")
    _break("broken", how)
    catalog = Catalog()
    assert [i.name for i in catalog.list()] == ["good"]
    listed = {i.name: i.problem for i in catalog.list(include_broken=True)}
    assert listed["good"] == ""
    assert listed["broken"].startswith(problem)
    with pytest.raises(InputError, match=r"dataset 'broken' cannot be used: .*Delete it"):
        catalog.get("broken")
    with pytest.raises(InputError, match="cannot be used"), catalog.open("broken"):
        pass
    assert main(["datasets", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(",live,problem")
    assert lines[1].startswith("broken,") and problem in lines[1]
    assert lines[2].startswith("good,") and lines[2].endswith(",False,")
    assert main(["retention", "--dataset", "broken", "--format", "json"]) == 2
    assert "cannot be used" in capsys.readouterr().err
    assert main(["datasets", "delete", "broken"]) == 0
    assert capsys.readouterr().out == "deleted dataset 'broken' (events, 1 rows)\n"
    assert [i.name for i in Catalog().list(include_broken=True)] == ["good"]
    assert len(catalog_tables()) == 1


@pytest.mark.parametrize("page", ["app.py", "pages/1_Retention.py", "pages/6_Data.py"])
def test_pages_survive_a_broken_dataset(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    events = "user_id,event,timestamp\nu1,a,2024-01-01\nu2,a,2024-01-02\n"
    Catalog().import_file(write_file("b.csv", events), name="broken")
    Catalog().import_file(write_file("a.csv", events), name="good")
    _break("broken", "year 0")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page != "app.py":
        at.switch_page(page)
    at.run()
    assert not at.exception
    assert not at.error
    if page == "pages/6_Data.py":
        table = at.dataframe[0].value
        assert table["Dataset"].tolist() == ["broken", "good"]
        assert table["Problem"].tolist()[1] == ""
        assert table["Problem"].tolist()[0].startswith("its record cannot be read")
        at.selectbox(key="data_manage").set_value("broken").run()
        at.checkbox(key="data_sure").check().run()
        at.button(key="data_delete").click().run()
        assert not at.exception
        assert [i.name for i in Catalog().list(include_broken=True)] == ["good"]


def test_datasets_rename_and_delete_on_the_command_line(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    Catalog().import_file(
        write_file("a.csv", "user_id,event,timestamp\nu,a,2024-01-01\n"), name="a"
    )
    Catalog().import_file(
        write_file("b.csv", "user_id,event,timestamp\nu,a,2024-01-01\n"), name="b"
    )
    assert main(["datasets", "rename", "a", "c"]) == 0
    assert capsys.readouterr().out == "renamed dataset 'a' to 'c'\n"
    assert main(["datasets", "rename", "c", "b"]) == 2
    assert "a dataset named 'b' already exists" in capsys.readouterr().err
    assert main(["datasets", "delete", "x"]) == 2
    assert "no dataset named 'x'" in capsys.readouterr().err
    assert main(["datasets", "list", "--format", "json"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)["datasets"]] == ["b", "c"]


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("customer_id", ["c1", math.nan], r"row 2, column 'customer_id': empty customer id"),
        ("customer_id", ["c1", None], r"row 2, column 'customer_id': empty customer id"),
        ("mrr", [10.0, -1.0], r"row 2, column 'mrr': negative mrr \('-1.0'\)"),
        ("mrr", [math.inf, 1.0], r"row 1, column 'mrr': mrr is not a finite number \('inf'\)"),
        ("mrr", [1e13, 1.0], r"row 1, column 'mrr': mrr above 1,000,000,000,000"),
        ("end", ["2023-12-01", None], r"row 1, column 'end': end before start"),
        (
            "start",
            ["1850-01-01", "2024-01-01"],
            rf"row 1, column 'start': start date {OUT_OF_RANGE}",
        ),
    ],
)
def test_catalog_save_refuses_rows_an_import_would_reject(
    column: str, values: list[Any], message: str
) -> None:
    columns: dict[str, Any] = {
        "customer_id": ["c1", "c2"],
        "start": ["2024-01-01", "2024-01-01"],
        "end": [None, None],
        "mrr": [10.0, 20.0],
    }
    columns[column] = values
    frame = pd.DataFrame(columns)
    for time in ("start", "end"):
        frame[time] = pd.to_datetime(frame[time], utc=True)
    with pytest.raises(
        InputError, match=rf"subs: 1 of 2 rows cannot be saved; the first is {message}"
    ):
        Catalog().save("subs", frame, kind="subscriptions")
    assert Catalog().list(include_broken=True) == []
    assert catalog_tables() == []


def test_catalog_save_reads_a_far_future_end_as_open() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["c1"],
            "start": [pd.Timestamp("2024-01-01", tz="UTC")],
            "end": [pd.Timestamp("2250-01-01", tz="UTC")],
            "mrr": [10.0],
        }
    )
    info = Catalog().save("subs", frame, kind="subscriptions")
    assert info.time_max == datetime(2024, 1, 1, tzinfo=UTC)
    with Catalog().open("subs") as table:
        assert table.execute()["end"].isna().tolist() == [True]


# --- item 5: internal names cannot collide with the file's columns ------------------------------

INTERNAL_NAMES = sorted(
    {
        *validate._HELPERS,
        *validate._RAW.values(),
        validate.DUCKDB_ROWID,
        # the names of earlier versions, and the rejected-rows report's columns
        "_reason", "_column", "_value", "_raw_timestamp", "_raw_start", "_raw_end", "_raw_mrr",
        "row", "column", "value", "reason", "prodops_incoming",
        # what a second helper of the same name would be called
        "_prodops_reason_2", "ROWID", "_PRODOPS_REASON",
    }
)  # fmt: skip


@pytest.mark.parametrize("kind", ["events", "subscriptions"])
def test_every_internal_name_can_be_a_column_of_the_file(write_file: Write, kind: Kind) -> None:
    # case-insensitive duplicates are refused by the reader, so one file per case variant
    for names in (
        [n for n in INTERNAL_NAMES if n not in ("ROWID", "_PRODOPS_REASON")],
        ["ROWID", "_PRODOPS_REASON"],
    ):
        canonical = "user_id,event,timestamp" if kind == "events" else "customer_id,start,end,mrr"
        good = "u1,open,2024-01-01" if kind == "events" else "c1,2024-01-01,,10"
        bad = "u2,open,not a date" if kind == "events" else "c2,2024-01-01,,-3"
        header = ",".join([canonical, *names])
        cells = [f"v{i}" for i in range(len(names))]
        lines = [header, f"{good},{','.join(cells)}", f"{bad},{','.join(cells)}"]
        path = write_file(f"{kind}.csv", "\n".join(lines) + "\n")
        catalog = Catalog()
        result = catalog.import_file(path, name=f"{kind}-{len(names)}", kind=kind)
        assert (result.report.rows_accepted, result.report.rows_rejected) == (1, 1)
        reason = "unparseable timestamp" if kind == "events" else "negative mrr"
        value = "not a date" if kind == "events" else "-3"
        column = "timestamp" if kind == "events" else "mrr"
        assert rejected(result.report) == [(2, column, value, reason)]
        stored = [f"{n}_src" if n.lower() == "rowid" else n for n in names]
        assert list(result.info.property_columns) == stored
        with catalog.open(result.info.name) as table:
            row = table.execute().iloc[0]
        assert [row[c] for c in stored] == cells


def test_properties_named_like_canonical_columns_stay_distinct(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        "distinct_id,event,timestamp,user_id,user_id_src,USER_ID_SRC_2\nu1,open,2024-01-01,a,b,c\n",
    )
    report, frame = load(path)
    assert report.rows_accepted == 1
    assert frame.iloc[0].to_dict() == {
        "user_id": "u1", "event": "open", "timestamp": utc(2024, 1, 1),
        "user_id_src_3": "a", "user_id_src": "b", "USER_ID_SRC_2": "c",
    }  # fmt: skip


# --- item 10: size caps --------------------------------------------------------------------------


def _rows(n: int) -> str:
    return "user_id,event,timestamp\n" + "".join(f"u{i},open,2024-01-01\n" for i in range(n))


def test_row_cap_gives_a_clear_message(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_ROWS", "4")
    assert main(["import", str(write_file("ok.csv", _rows(4))), "--name", "ok"]) == 0
    capsys.readouterr()
    files: list[tuple[str, str | bytes]] = [
        ("five.csv", _rows(5)),
        ("five.csv.gz", gzip.compress(_rows(5).encode())),
    ]
    for name, content in files:
        assert main(["import", str(write_file(name, content)), "--name", "x"]) == 2
        err = capsys.readouterr().err
        assert err == (
            f"prodops import: {name}: the file has more than 4 rows (the import limit). Split it "
            "into smaller files (or filter the export), or raise PRODOPS_MAX_IMPORT_ROWS if this "
            "machine can take it.\n"
        )
    assert main(["retention", str(write_file("five.csv", _rows(5)))]) == 2


def test_row_cap_is_also_checked_when_the_scan_does_not_stop_early(write_file: Write) -> None:
    path = write_file("five.csv", _rows(5))
    inspection = inspect_file(path)
    with workspace() as work, scratch_connection(path, work) as con:
        from prodops.data.reader import open_raw

        raw = open_raw(con, path, inspection.plan.file, workdir=work)
        with pytest.raises(InputError, match="more than 4 rows"):
            load_canonical(
                con, raw, inspection.plan.mapping, inspection.plan.times, table="t", max_rows=4,
                stop_early=False,
            )  # fmt: skip
        assert con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'"
        ).fetchone() == (0,)
        report = load_canonical(
            con, raw, inspection.plan.mapping, inspection.plan.times, table="t", max_rows=5,
            stop_early=False,
        )  # fmt: skip
    assert report.rows_accepted == 5


def test_parquet_rows_are_counted_from_its_footer(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "e.parquet"
    pd.read_csv(write_file("e.csv", _rows(6))).to_parquet(path)
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_ROWS", "5")
    with pytest.raises(InputError, match=r"e\.parquet: the file has more than 5 rows"):
        load(path)


@pytest.mark.parametrize("name", ["rows.csv", "rows.csv.gz", "rows-cp1252.csv.gz", "rows.xlsx"])
def test_byte_cap_counts_the_decompressed_size(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    text = _rows(3000)  # about 60 kB
    if name == "rows.xlsx":
        content = b""
        pd.read_csv(write_file("r.csv", text)).to_excel(tmp_path / "files" / name, index=False)
        path = tmp_path / "files" / name
    else:
        encoded = text.replace("open", "ouvert é").encode("cp1252" if "cp1252" in name else "utf-8")
        content = gzip.compress(encoded) if name.endswith(".gz") else encoded
        path = write_file(name, content)
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_BYTES", "20000")
    with pytest.raises(InputError, match=rf"{name}: the file holds more than 20 kB of data"):
        load(path)
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_BYTES", "10000000")
    assert load(path)[0].rows_accepted == 3000


def test_a_bad_cap_setting_is_a_clear_error(
    write_file: Write, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_ROWS", "lots")
    assert main(["import", str(write_file("e.csv", _rows(2))), "--name", "e"]) == 2
    assert (
        "PRODOPS_MAX_IMPORT_ROWS='lots' is not a positive whole number" in capsys.readouterr().err
    )
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_ROWS", "1e3")
    assert config.max_import_rows() == 1000
    monkeypatch.setenv("PRODOPS_MAX_IMPORT_ROWS", "0")
    with pytest.raises(ParameterError):
        config.max_import_rows()


# --- item 11: headers, JSON, workbooks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "properties"),
    [
        ("user_id,,column2,event,timestamp", ["column2_2", "column2"]),  # was struct_pack error
        ("user_id,event,timestamp,,", ["column4", "column5"]),  # was "two columns named ''"
        ("user_id,event,timestamp, ", ["column4"]),
    ],
)
def test_empty_header_names_get_unique_names(
    write_file: Write, header: str, properties: list[str]
) -> None:
    cells = ",".join(f"p{i}" for i in range(len(properties)))
    row = {
        "user_id,,column2,event,timestamp": "u1,p0,p1,open,2024-01-01",
        "user_id,event,timestamp,,": f"u1,open,2024-01-01,{cells}",
        "user_id,event,timestamp, ": f"u1,open,2024-01-01,{cells}",
    }[header]
    report, frame = load(write_file("e.csv", f"{header}\n{row}\n"))
    assert report.rows_accepted == 1
    assert list(frame.columns) == ["user_id", "event", "timestamp", *properties]
    assert frame[properties].iloc[0].tolist() == [f"p{i}" for i in range(len(properties))]


def test_empty_header_names_in_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    frame = pd.DataFrame([["user_id", None, "column2", "event", "timestamp"],
                          ["u1", "a", "b", "open", "2024-01-01"]])  # fmt: skip
    frame.to_excel(path, index=False, header=False)
    report, rows = load(path)
    assert report.rows_accepted == 1
    assert list(rows.columns) == ["user_id", "event", "timestamp", "column2_2", "column2"]


def test_a_json_array_file_is_read(write_file: Write) -> None:
    records = [{"user_id": "u1", "event": "open", "timestamp": "2024-01-01T10:00:00Z"},
               {"user_id": "u2", "event": "open", "timestamp": "2024-01-02T10:00:00Z"}]  # fmt: skip
    for name, text in [
        ("array.json", json.dumps(records)),
        ("pretty.json", json.dumps(records, indent=2)),
        ("objects.json", "\n".join(json.dumps(r, indent=2) for r in records)),
    ]:
        report, frame = load(write_file(name, text))
        assert (report.rows_read, report.rows_accepted) == (2, 2), name
        assert frame["timestamp"].tolist() == [utc(2024, 1, 1, 10), utc(2024, 1, 2, 10)]


def test_json_lines_mixing_string_and_number_times(write_file: Write) -> None:
    path = write_file(
        "e.jsonl",
        '{"user_id": "u1", "event": "a", "timestamp": "2024-01-01T00:00:00Z"}\n'
        '{"user_id": "u2", "event": "a", "timestamp": 1704153600}\n'
        '{"user_id": "u3", "event": "a", "timestamp": "2024-01-03 00:00:00"}\n'
        '{"user_id": "u4", "event": "a", "timestamp": null}\n',
    )
    report, frame = load(path)
    assert frame["timestamp"].tolist() == [utc(2024, 1, 1), utc(2024, 1, 2), utc(2024, 1, 3)]
    assert rejected(report) == [(4, "timestamp", "", "empty timestamp")]


@pytest.mark.parametrize(
    "content",
    [
        '{"user_id": "u1", "": "x", "event": "a", "timestamp": "2024-01-01"}\n',
        "[1, 2, 3]",
        '{"user_id": "u1"}\n[1, 2]\n',
    ],
)
def test_json_that_is_not_records_is_one_clear_error(
    write_file: Write, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = write_file("e.json", content)
    assert main(["import", str(path), "--name", "e"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "prodops import: e.json: the JSON values are not records with named fields"
    )
    assert err.count("\n") == 1


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


EVENTS_SHEET = pd.DataFrame({"user_id": ["u1", "u2"], "event": ["a", "b"],
                             "timestamp": ["2024-01-01", "2024-01-02"]})  # fmt: skip


def test_a_workbook_second_sheet_can_be_chosen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {"About": pd.DataFrame({"note": ["exported by hand"]}), "Events": EVENTS_SHEET},
    )
    inspection = inspect_file(path)
    assert inspection.sheets == ("About", "Events")
    assert inspection.plan.file.sheet == "About"
    assert inspection.warnings[0].startswith(
        "the workbook has 2 sheets ('About', 'Events'); reading 'About'"
    )
    assert main(["import", str(path), "--name", "e"]) == 2
    assert "the workbook also has 'Events': choose one with --sheet NAME" in capsys.readouterr().err
    assert main(["import", str(path), "--name", "e", "--sheet", "events"]) == 2
    assert "no sheet named 'events' (it has 'About', 'Events'). Did you mean 'Events'?" in (
        capsys.readouterr().err
    )
    assert main(["import", str(path), "--name", "e", "--sheet", "Events"]) == 0
    assert "2 rows saved as dataset 'e'" in capsys.readouterr().out
    args = ["retention", str(path), "--sheet", "Events", "--period", "day", "--format", "json"]
    assert main(args) == 0
    assert [c["size"] for c in json.loads(capsys.readouterr().out)["cohorts"]] == [1, 1]
    assert (
        main(
            [
                "import",
                str(tmp_path / "book.xlsx"),
                "--name",
                "f",
                "--sheet",
                "x",
                "--kind",
                "events",
            ]
        )
        == 2
    )
    capsys.readouterr()
    csv = tmp_path / "e.csv"
    csv.write_text("user_id,event,timestamp\nu,a,2024-01-01\n")
    assert main(["import", str(csv), "--name", "g", "--sheet", "Events"]) == 2
    assert "not an Excel workbook" in capsys.readouterr().err


def test_an_empty_first_sheet_is_skipped(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {"Cover": pd.DataFrame({"title": []}), "Events": EVENTS_SHEET},
    )
    inspection = inspect_file(path)
    assert inspection.plan.file.sheet == "Events"
    assert load(path)[0].rows_accepted == 2


def test_the_data_page_offers_the_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {"About": pd.DataFrame({"note": ["x"]}), "Events": EVENTS_SHEET},
    )
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/6_Data.py")
    at.run()
    at.file_uploader[0].set_value(("book.xlsx", path.read_bytes(), "application/vnd")).run()
    sheet = next(s for s in at.selectbox if str(s.key).startswith("sheet_"))
    assert sheet.options == ["About", "Events"]
    assert sheet.value == "About"
    sheet.set_value("Events").run()
    assert not at.exception
    mapped = next(s for s in at.selectbox if str(s.key).startswith("map_user_id_"))
    assert mapped.value == "user_id"
    next(b for b in at.button if str(b.key).startswith("import_")).click().run()
    assert not at.exception
    assert Catalog().get("book").rows == 2


def test_a_damaged_gzip_that_needs_transcoding_is_one_clear_error(write_file: Write) -> None:
    whole = gzip.compress(
        ("user_id,event,timestamp\n" + "u,café,2024-01-01\n" * 2000).encode("cp1252")
    )
    path = write_file("e.csv.gz", whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"e.csv.gz: (the gzip data is damaged|DuckDB could not)"):
        load(path)
