"""Reading awkward files into canonical rows, with every rejected row reported."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from prodops.data.importer import ImportPlan, import_into, scratch_connection, workspace
from prodops.data.inspection import apply_overrides, inspect_file
from prodops.data.schema import Kind
from prodops.data.validate import ValidationReport
from prodops.errors import ColumnError, InputError, UnreadableFileError

Write = Callable[[str, bytes | str], Path]


def load(
    path: Path, *, kind: Kind | None = None, plan: ImportPlan | None = None
) -> tuple[ValidationReport, pd.DataFrame]:
    plan = plan or inspect_file(path, kind=kind).plan
    with workspace() as work, scratch_connection(path, work) as con:
        report = import_into(con, path, plan, table="t", workdir=work)
        frame = con.execute("SELECT * FROM t ORDER BY rowid").df()
    return report, frame


def utc(*args: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(*args, tzinfo=UTC))


def test_plain_events_file_becomes_canonical_with_properties(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        "user_id,event,timestamp,plan\nu1,signup,2024-01-01T10:00:00Z,free\n"
        "u2,login,2024-01-02 11:30:00+01:00,pro\n",
    )
    report, frame = load(path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 2, 0)
    assert list(frame.columns) == ["user_id", "event", "timestamp", "plan"]
    assert frame["timestamp"].tolist() == [utc(2024, 1, 1, 10), utc(2024, 1, 2, 10, 30)]
    assert frame["plan"].tolist() == ["free", "pro"]


def test_bom_semicolons_and_decimal_commas(write_file: Write) -> None:
    path = write_file(
        "subs.csv",
        "\ufeffcustomer_id;start_date;end_date;monthly_amount\n"
        "c1;2024-01-01;2024-03-01;1.234,50\nc2;2024-02-01;;9,90\n",
    )
    report, frame = load(path)
    assert report.rows_accepted == 2
    assert frame["mrr"].tolist() == [1234.5, 9.9]
    assert frame["end"].isna().tolist() == [False, True]
    assert frame["customer_id"].tolist() == ["c1", "c2"]


def test_quoted_newlines_stay_inside_their_value(write_file: Write) -> None:
    path = write_file(
        "q.csv",
        'user_id,event,timestamp,note\nu1,x,2024-01-01,"two\nlines"\nu2,y,2024-01-02,plain\n',
    )
    report, frame = load(path)
    assert report.rows_accepted == 2
    assert frame["note"].tolist() == ["two\nlines", "plain"]


def test_ragged_rows_are_rejected_with_their_row_number(write_file: Write) -> None:
    path = write_file(
        "r.csv",
        "user_id,event,timestamp\nu1,x,2024-01-01\nu2,y\nu3,z,2024-01-03,extra\n"
        "u4,w,2024-01-04\n,v,2024-01-05\n",
    )
    report, frame = load(path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (5, 2, 3)
    assert frame["user_id"].tolist() == ["u1", "u4"]
    rejected = report.rejected[["row", "reason"]].values.tolist()
    assert rejected == [[2, "too few fields"], [3, "too many fields"], [5, "empty user id"]]


def test_mixed_date_formats_and_epoch_milliseconds(write_file: Write) -> None:
    mixed = write_file(
        "m.csv",
        "user_id,event,timestamp\nu1,x,2024-01-05T10:00:00Z\nu2,x,31/01/2024 09:30\n",
    )
    _, frame = load(mixed)
    assert frame["timestamp"].tolist() == [utc(2024, 1, 5, 10), utc(2024, 1, 31, 9, 30)]
    epoch = write_file("ms.csv", "distinct_id,event,time\nu1,x,1704067200000\nu2,x,1704153600000\n")
    report, frame = load(epoch)
    assert report.rows_accepted == 2
    assert frame["timestamp"].tolist() == [utc(2024, 1, 1), utc(2024, 1, 2)]


def test_ambiguous_day_month_must_be_chosen(write_file: Write) -> None:
    path = write_file("a.csv", "user_id,event,timestamp\nu1,x,03/04/2024\nu2,x,05/06/2024\n")
    inspection = inspect_file(path)
    assert inspection.plan.ambiguous == ["timestamp"]
    with pytest.raises(InputError, match="day and month order is ambiguous in column 'timestamp'"):
        load(path, plan=inspection.plan)
    _, frame = load(path, plan=apply_overrides(inspection, {}, day_first=False))
    assert frame["timestamp"].tolist() == [utc(2024, 3, 4), utc(2024, 5, 6)]


def test_cp1252_bytes_are_transcoded(write_file: Write) -> None:
    text = "user_id,event,timestamp,city\nzoë,café,2024-01-01,Besançon\n"
    report, frame = load(write_file("w.csv", text.encode("cp1252")))
    assert report.rows_accepted == 1
    assert frame.iloc[0][["user_id", "event", "city"]].tolist() == ["zoë", "café", "Besançon"]


def test_utf16_file_is_transcoded(write_file: Write) -> None:
    text = "user_id\tevent\ttimestamp\nü1\tx\t2024-01-01\n"
    _, frame = load(write_file("u.tsv", text.encode("utf-16")))
    assert frame["user_id"].tolist() == ["ü1"]


def test_gzip_parquet_jsonl_and_excel(write_file: Write, tmp_path: Path) -> None:
    rows = {"user_id": ["u1", "u2"], "event": ["a", "b"], "timestamp": ["2024-01-01", "2024-01-02"]}
    frame = pd.DataFrame(rows)
    frame.to_parquet(tmp_path / "files" / "e.parquet")
    frame.to_excel(tmp_path / "files" / "e.xlsx", index=False)
    gz = write_file("e.csv.gz", gzip.compress(frame.to_csv(index=False).encode()))
    jsonl = write_file(
        "e.jsonl",
        "".join(
            json.dumps({**{k: v[i] for k, v in rows.items()}, "properties": {"plan": "pro"}}) + "\n"
            for i in range(2)
        ),
    )
    for path in (tmp_path / "files" / "e.parquet", tmp_path / "files" / "e.xlsx", gz, jsonl):
        report, loaded = load(path)
        assert report.rows_accepted == 2, path.name
        assert loaded["user_id"].tolist() == ["u1", "u2"], path.name
        assert loaded["timestamp"].tolist() == [utc(2024, 1, 1), utc(2024, 1, 2)], path.name
    assert load(jsonl)[1]["plan"].tolist() == ["pro", "pro"]  # nested properties lifted


def test_mixpanel_json_export_with_nested_properties(write_file: Write) -> None:
    lines = [
        {"event": "signup", "properties": {"time": 1704067200, "distinct_id": "u1", "$os": "iOS"}},
        {"event": "login", "properties": {"time": 1704153600, "distinct_id": "u2", "$os": None}},
    ]
    path = write_file("mixpanel.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    assert inspect_file(path).plan.mapping.preset == "mixpanel"
    _, frame = load(path)
    assert frame[["user_id", "event"]].values.tolist() == [["u1", "signup"], ["u2", "login"]]
    assert frame["timestamp"].tolist() == [utc(2024, 1, 1), utc(2024, 1, 2)]
    assert frame["$os"].tolist()[0] == "iOS"


def test_nested_properties_whose_names_clash_are_prefixed_with_their_column(
    write_file: Write,
) -> None:
    line = {
        "distinct_id": "u1",
        "event": "x",
        "timestamp": "2024-01-01",
        "properties": {"event": 1},
    }
    _, frame = load(write_file("posthog.jsonl", json.dumps(line) + "\n"))
    assert list(frame.columns) == ["user_id", "event", "timestamp", "properties.event"]
    assert frame["properties.event"].tolist() == [1.0]


def test_validation_reports_row_column_value_and_reason(write_file: Write) -> None:
    path = write_file(
        "subs.csv",
        "customer_id,start_date,end_date,monthly_amount\n"
        "c1,2024-01-01,2024-02-01,10\n"
        "c2,2024-03-01,2024-02-01,10\n"
        "c3,2024-01-01,,-5\n"
        "c4,2024-01-01,,ten\n"
        ",2024-01-01,,10\n"
        "c6,someday,,10\n",
    )
    report, _ = load(path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 1, 5)
    assert report.rejected.values.tolist() == [
        [2, "end_date", "2024-02-01", "end before start"],
        [3, "monthly_amount", "-5", "negative mrr"],
        [4, "monthly_amount", "ten", "non-numeric mrr"],
        [5, "customer_id", "", "empty customer id"],
        [6, "start_date", "someday", "unparseable start date"],
    ]
    assert report.summary().startswith("subs.csv: 6 rows read, 1 accepted, 5 rejected")


def test_unparseable_timestamps_are_rejected_not_dropped(write_file: Write) -> None:
    path = write_file(
        "e.csv", "user_id,event,timestamp\nu1,x,2024-01-01\nu2,x,not a date\nu3,,2024-01-02\n"
    )
    report, _ = load(path)
    assert report.rejected[["row", "column", "reason"]].values.tolist() == [
        [2, "timestamp", "unparseable timestamp"],
        [3, "event", "empty event name"],
    ]


def test_property_named_like_a_canonical_column_is_renamed(write_file: Write) -> None:
    path = write_file("e.csv", "uid,action,time,timestamp\nu1,x,2024-01-01,whenever\n")
    _, frame = load(path)
    assert list(frame.columns) == ["user_id", "event", "timestamp", "timestamp_src"]
    assert frame["timestamp_src"].tolist() == ["whenever"]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ("", UnreadableFileError, "the file is empty"),
        ("user_id,event,timestamp\n", UnreadableFileError, "header but no data rows"),
        ("user_id,event,user_id\nu1,x,u2\n", ColumnError, "two columns are named 'user_id'"),
        ("user_id,event,plan\nu1,x,pro\n", ColumnError, "no column for 'timestamp'"),
    ],
)
def test_unusable_files_get_one_clear_error(
    write_file: Write, content: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        load(write_file("bad.csv", content))


def test_wrong_kind_is_refused(write_file: Write) -> None:
    path = write_file("s.csv", "customer_id,start_date,end_date,monthly_amount\nc1,2024-01-01,,5\n")
    with pytest.raises(InputError, match="not events"):
        load(path, kind="events")


def test_binary_junk_is_refused(write_file: Write) -> None:
    with pytest.raises(UnreadableFileError, match="binary"):
        load(write_file("junk.csv", bytes(range(256)) * 50))


def test_stripe_export_is_normalised_to_monthly_periods(write_file: Write) -> None:
    path = write_file(
        "stripe.csv",
        "id,Customer ID,Customer Email,Plan,Quantity,Interval,Amount,Status,Created (UTC),"
        "Start (UTC),Current Period Start (UTC),Current Period End (UTC),Canceled At (UTC),"
        "Ended At (UTC),Trial End (UTC)\n"
        "sub_1,cus_1,a@x.com,Team,2,year,1200.00,active,2024-01-15 10:00,2024-01-15 10:00,"
        "2024-01-15 10:00,2025-01-15 10:00,,,\n"
        "sub_2,cus_2,b@x.com,Pro,1,month,29.00,canceled,2024-02-01 00:00,2024-02-01 00:00,"
        "2024-03-01 00:00,2024-04-01 00:00,2024-03-10 00:00,2024-04-01 00:00,\n",
    )
    inspection = inspect_file(path)
    assert (inspection.plan.mapping.preset, inspection.plan.mapping.kind) == (
        "stripe",
        "subscriptions",
    )
    report, frame = load(path)
    assert (report.rows_read, report.rows_accepted) == (2, 2)
    assert frame[["customer_id", "mrr"]].values.tolist() == [["cus_1", 200.0], ["cus_2", 29.0]]
    assert frame["end"].tolist()[1] == utc(2024, 4, 1)  # churn when the paid period ends
    assert pd.isna(frame["end"].tolist()[0])


def test_non_utf8_bytes_far_into_the_file_are_read_as_cp1252(write_file: Write) -> None:
    head = "user_id,event,timestamp\n" + "u1,x,2024-01-01\n" * 70_000  # > the sniffed megabyte
    path = write_file("late.csv", head.encode() + "zoë,café,2024-01-02\n".encode("cp1252"))
    assert inspect_file(path).plan.file.encoding == "utf-8"
    report, frame = load(path)
    assert (report.rows_read, report.rows_rejected) == (70_001, 0)
    assert frame.iloc[-1][["user_id", "event"]].tolist() == ["zoë", "café"]


def test_a_truncated_gzip_file_is_unreadable(write_file: Write) -> None:
    data = gzip.compress(("user_id,event,timestamp\n" + "u1,x,2024-01-01\n" * 200_000).encode())
    with pytest.raises(UnreadableFileError, match=r"(?i)gzip"):
        load(write_file("cut.csv.gz", data[: len(data) // 2]))


def test_row_numbers_stay_right_between_many_malformed_lines(write_file: Write) -> None:
    path = write_file(
        "r.csv",
        "user_id,event,timestamp\nu1,x,2024-01-01\nu2,y\n,x,2024-01-02\nu3,z,2024-01-03,extra\n"
        "u4\nu5,x,never\nu6,x,2024-01-04\n",
    )
    report, frame = load(path)
    assert report.rejected[["row", "reason"]].values.tolist() == [
        [2, "too few fields"],
        [3, "empty user id"],
        [4, "too many fields"],
        [5, "too few fields"],
        [6, "unparseable timestamp"],
    ]
    assert frame["user_id"].tolist() == ["u1", "u6"]
