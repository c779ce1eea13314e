"""`prodops demo --out FILE`: small sizes work, bad options are refused before any file is
opened, and a failure never truncates or half-writes the file that was there."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from prodops.cli import main
from prodops.data import demo
from prodops.errors import ParameterError

HEADER = "user_id,event,timestamp,plan,country,platform"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for the files written (tmp_path also holds the data directory)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def keep(out: Path) -> Path:
    """An existing file of about 108 KB that a failed run must leave as it was."""
    path = out / "keep.csv"
    path.write_text(HEADER + "\n" + "u1,login,2026-01-01T00:00:00Z,free,DE,web\n" * 2600)
    assert path.stat().st_size > 100_000
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("rows", [1, 5, 10, 100])
def test_small_row_counts_give_exactly_that_many_events(
    rows: int, keep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "demo", "--rows", str(rows), "--out", str(keep))
    assert (code, err) == (0, f"{keep}: {rows} events rows\n")
    frame = pd.read_csv(keep)
    assert list(frame.columns) == HEADER.split(",")
    assert len(frame) == rows
    assert frame["event"].iloc[0] == "signup"
    assert names(keep.parent) == ["keep.csv"]  # no temporary file left beside it


@pytest.mark.parametrize("users", [1, 2])
def test_a_single_user_or_two_work_for_events_and_subscriptions(
    users: int, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events, subs = out / "e.csv.gz", out / "s.csv"
    assert run(capsys, "demo", "--users", str(users), "--out", str(events))[0] == 0
    frame = pd.read_csv(events)
    assert frame["user_id"].nunique() == users
    assert (frame.groupby("user_id")["event"].first() == "signup").all()
    assert set(frame["plan"]) <= {"free", *demo.PLANS}
    argv = ("demo", "--kind", "subscriptions", "--users", str(users), "--out", str(subs))
    assert run(capsys, *argv)[0] == 0
    assert subs.read_text().splitlines()[0] == "customer_id,start,end,mrr,plan,billing"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--months", "0"), "--months must be between 1 and 120, got 0"),
        (("--months", "121"), "--months must be between 1 and 120, got 121"),
        (("--seed", "-1"), "--seed must be 0 or more, got -1"),
        (("--rows", "5", "--users", "3"), "give --users or --rows, not both"),
        (("--rows", "0"), "--rows must be at least 1, got 0"),
    ],
)
def test_bad_options_exit_2_with_one_line_and_leave_the_file_alone(
    argv: tuple[str, ...], message: str, keep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = keep.read_bytes()
    code, out, err = run(capsys, "demo", *argv, "--out", str(keep))
    assert (code, out) == (2, "")
    assert err.startswith("prodops demo: ") and err.count("\n") == 1, err
    assert message in err
    assert "unexpected error" not in err and "Traceback" not in err
    assert keep.read_bytes() == before
    assert names(keep.parent) == ["keep.csv"]


def test_out_naming_a_folder_is_refused(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = out / "reports"
    folder.mkdir()
    code, _, err = run(capsys, "demo", "--users", "3", "--out", str(folder))
    assert code == 2 and err.count("\n") == 1
    assert "--out is a folder" in err and "events.csv.gz" in err
    assert names(folder) == []


def test_out_dir_naming_a_file_is_refused(keep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = keep.read_bytes()
    for out_dir in (keep, keep / "sub"):
        code, _, err = run(capsys, "demo", "--out-dir", str(out_dir))
        assert code == 2 and err.count("\n") == 1, err
        assert f"--out-dir {str(keep)!r} is a file, not a folder" in err
    code, _, err = run(capsys, "demo", "--users", "3", "--out", str(keep / "x.csv"))
    assert code == 2 and f"the folder {str(keep)!r} is a file, not a folder" in err
    assert keep.read_bytes() == before


@pytest.mark.parametrize("name", ["x.parquet", "x.json", "x.tsv", "x"])
def test_a_name_that_is_not_csv_is_refused_and_not_created(
    name: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "demo", "--users", "3", "--out", str(out / name))
    assert code == 2 and err.count("\n") == 1
    assert "prodops demo writes CSV" in err and "x.csv" in err and "x.csv.gz" in err
    assert names(out) == []


@pytest.mark.parametrize("name", ["events.csv.gz", "EVENTS.CSV.GZ"])
def test_csv_gz_is_gzip_and_replaces_the_old_file(
    name: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = out / name
    path.write_bytes(b"old")
    assert run(capsys, "demo", "--rows", "50", "--out", str(path))[0] == 0
    with gzip.open(path, "rt") as fh:
        assert fh.readline().strip() == HEADER
    assert len(pd.read_csv(path)) == 50
    assert names(out) == [name]


def test_a_generator_failure_mid_write_keeps_the_old_file_and_leaves_no_partial(
    keep: Path,
) -> None:
    # months=0 is refused by the generator, after the output is opened: the old bytes stay.
    before = keep.read_bytes()
    with pytest.raises(ParameterError, match="months must be between 1 and 120"):
        demo.write_events_csv(keep, users=10, months=0)
    assert keep.read_bytes() == before
    with pytest.raises(ParameterError):
        demo.write_subscriptions_csv(keep, users=10, months=0)
    assert keep.read_bytes() == before
    assert names(keep.parent) == ["keep.csv"]
