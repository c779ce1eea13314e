"""Careless settings, paths and numbers on the command line: status 2 and one clear line.

Found by a review of the CLI with bad input (2026-12-01): each of these was a status-1
"unexpected error" (or a five-minute hang) before.
"""

from __future__ import annotations

import errno
import io
import time
from pathlib import Path

import pytest

from prodops import config
from prodops.cli import main, os_error_text
from prodops.data.connect import connect
from prodops.errors import BackendError, ParameterError
from prodops.qbr.quarters import month_range, parse_quarter


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse refuses a value before the command runs
        status = int(stop.code or 0)
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "unexpected error" not in err, err
    assert len(err.splitlines()) == 1, err
    return status, err


def test_a_data_directory_that_is_a_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "home.txt"
    not_a_folder.write_text("x")
    monkeypatch.setenv("PRODOPS_HOME", str(not_a_folder))
    status, err = run(["datasets"], capsys)
    assert status == 2
    assert "PRODOPS_HOME" in err and "is a file, not a folder" in err and "home.txt" in err


def test_a_data_directory_that_cannot_be_created_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PRODOPS_HOME", str(blocker / "inside"))
    with pytest.raises(ParameterError, match="cannot be created"):
        config.home()


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf"])
def test_a_query_timeout_that_is_not_seconds_is_refused_as_a_setting(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_QUERY_TIMEOUT_S", value)
    with pytest.raises(ParameterError, match="PRODOPS_QUERY_TIMEOUT_S"):
        config.query_timeout_s()
    monkeypatch.setenv("PRODOPS_QUERY_TIMEOUT_S", "2.5")
    assert config.query_timeout_s() == 2.5


def test_a_bad_setting_is_not_reported_as_a_database_that_is_down(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_QUERY_TIMEOUT_S", "abc")
    with pytest.raises(ParameterError, match="PRODOPS_QUERY_TIMEOUT_S") as raised:
        connect(postgres_url)
    assert "cannot connect" not in str(raised.value)


def test_a_spark_connect_port_nobody_answers_fails_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"cannot connect to 127\.0\.0\.1:1 ") as raised:
        connect("sc://127.0.0.1:1")
    assert time.monotonic() - started < 5  # the client alone retried for minutes
    assert "Spark Connect server" in str(raised.value)


def test_an_output_path_whose_folder_is_missing_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "okrs.json"
    status, err = run(["okr", "export", "--out", str(target)], capsys)
    assert status == 2
    assert "No such file or directory" in err and "missing" in err and "its folder" in err


def test_a_folder_given_as_the_output_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = run(["okr", "export", "--out", str(tmp_path)], capsys)
    assert status == 2
    assert "Give the path of a file, not of a folder" in err


class _FullDisk(io.StringIO):
    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_standard_output_on_a_full_disk_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdout", _FullDisk())
    status, err = run(["datasets"], capsys)
    assert status == 2
    assert err.endswith(
        "No space left on device. Free some space on that disk, then run the command again."
    )


def test_os_errors_name_the_path_and_the_fix() -> None:
    text = os_error_text(PermissionError(errno.EACCES, "Permission denied", "/srv/q.pdf"))
    assert text == (
        "Permission denied: '/srv/q.pdf'. Use a path you may write to or read, or ask for the"
        " permission."
    )
    assert os_error_text(OSError("odd")).startswith("OSError. Check the path")


@pytest.mark.parametrize(
    "argv",
    [
        ["okr", "check-in", "99999999999999999999999", "5", "--author", "ana"],
        ["insights", "link", "1", "--key-result", "99999999999999999999999"],
        ["critique", "export", "99999999999999999999999", "--format", "md"],
        ["insights", "link", "99999999999999999999999", "--key-result", "1"],
    ],
)
def test_an_id_too_large_for_any_row_exits_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = run(argv, capsys)
    assert status == 2
    assert "99999999999999999999999" in err


@pytest.mark.parametrize("label", ["9999-Q4", "0001-Q1", "1899-Q4"])
def test_quarters_out_of_range_are_refused(label: str) -> None:
    with pytest.raises(ParameterError, match="out of range"):
        parse_quarter(label)
    assert parse_quarter("1900-Q1").year == 1900


def test_month_ranges_out_of_range_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ParameterError, match="out of range"):
        month_range("9999-11", "9999-12")
    status, err = run(
        ["qbr", "--from", "0001-01", "--to", "0001-03", "--format", "md", "--out", "x.md"], capsys
    )
    assert status == 2 and "--from '0001-01' is out of range" in err


def test_a_folder_or_a_zip_given_as_the_source_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile

    status, err = run(["retention", str(tmp_path)], capsys)
    assert status == 2 and "is a folder, not a file" in err
    inner = tmp_path / "events.csv"
    inner.write_text("user_id,event,timestamp\na,open,2026-10-01T10:00:00Z\n")
    for name in ("events.zip", "events.xlsx"):
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.write(inner, "events.csv")
        status, err = run(["retention", str(tmp_path / name)], capsys)
        assert status == 2 and "zip archive" in err and "Unzip it" in err, err
        assert "Excel workbook could not be read" not in err


def test_an_unknown_okr_period_is_refused_not_an_empty_refresh(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, err = run(["okr", "refresh", "--period", "garbage"], capsys)
    assert status == 2 and "'garbage' is not a period label" in err


@pytest.mark.parametrize(
    ("fmt", "out", "hint"), [("html", "q.pdf", "--format pdf"), ("pdf", "q.md", "--format md")]
)
def test_a_qbr_format_that_does_not_match_the_file_name_is_refused(
    fmt: str, out: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / out
    status, err = run(
        ["qbr", "--quarter", "2026-Q3", "--format", fmt, "--out", str(target)], capsys
    )
    assert status == 2 and hint in err
    assert not target.exists()


def test_a_check_in_needs_an_author(capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    from prodops.okr import crud
    from prodops.okr.models import KeyResultCreate, ObjectiveCreate
    from prodops.store.db import init_store, read_session, write_session

    engine = init_store()
    with write_session(engine) as session:
        quarter = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 12, 31)}
        objective = crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(title="Grow", period="2026-Q4", **quarter),
        )
        kr = crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0, title="WAU", start_value=0, target_value=100
            ),
        )
        kr_id = kr.id or 0
    status, err = run(["okr", "check-in", str(kr_id), "5", "--author", "  "], capsys)
    assert status == 2 and "--author is empty" in err
    with read_session(engine) as session:
        assert crud.list_check_ins(session=session, key_result_ids=[kr_id]) == []
    assert main(["okr", "check-in", str(kr_id), "5", "--author", "Ana"]) == 0
