"""``prodops import`` refuses, with status 2 and one line on stderr, a file whose every row is
rejected and an append of a file of the other kind; the catalog is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodops.cli import main
from prodops.data.catalog import Catalog

ALL_EMPTY_USERS = (
    "user_id,event,timestamp\n,open,2026-01-01T00:00:00Z\n,open,2026-01-02T00:00:00Z\n"
)
# both kinds have a 'plan' column: without the check the append "fits" on it and exits 0
EVENTS = (
    "user_id,event,timestamp,plan\n"
    "u1,open,2026-01-01T00:00:00Z,pro\n"
    "u2,open,2026-01-02T00:00:00Z,free\n"
)
SUBSCRIPTIONS = (
    "customer_id,start,end,mrr,plan\n"
    "c1,2026-01-01T00:00:00Z,2026-03-01T00:00:00Z,49,pro\n"
    "c2,2026-01-15T00:00:00Z,,99,business\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_of_rejected_rows_only_exits_2_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "emptyuser.csv", ALL_EMPTY_USERS)
    assert main(["import", str(path), "--name", "allrej"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "prodops import: emptyuser.csv: every row was rejected (2 of 2), so no dataset 'allrej' "
        "was created: row 1, column 'user_id': empty user id (''); row 2, column 'user_id': "
        "empty user id (''). Correct those rows, or the column mapping if the columns were "
        "matched wrongly, and import the file again. See every rejected row with "
        "--rejected-out CSV."
    ]
    assert Catalog().list(include_broken=True) == []


def test_rejected_out_still_gets_every_rejected_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "emptyuser.csv", ALL_EMPTY_USERS)
    out_csv = tmp_path / "rejected.csv"
    args = ["import", str(path), "--name", "allrej", "--rejected-out", str(out_csv)]
    assert main(args) == 2
    assert f"Every rejected row is written to {out_csv}." in capsys.readouterr().err
    assert out_csv.read_text().splitlines() == [
        "row,column,value,reason",
        "1,user_id,,empty user id",
        "2,user_id,,empty user id",
    ]
    assert "allrej" not in Catalog()


def test_an_append_of_rejected_rows_only_keeps_the_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(write(tmp_path, "ev.csv", EVENTS)), "--name", "ev"]) == 0
    path = write(tmp_path, "emptyuser.csv", ALL_EMPTY_USERS)
    capsys.readouterr()
    assert main(["import", str(path), "--name", "ev", "--append"]) == 2
    assert "so 'ev' was left unchanged" in capsys.readouterr().err
    info = Catalog().get("ev")
    assert (info.rows, info.version) == (2, 1)


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (EVENTS, SUBSCRIPTIONS, "the file is a subscriptions export"),
        (SUBSCRIPTIONS, EVENTS, "the file is an events export"),
    ],
    ids=["subscriptions-onto-events", "events-onto-subscriptions"],
)
def test_an_append_of_the_other_kind_exits_2_and_keeps_the_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, then: str, message: str
) -> None:
    assert main(["import", str(write(tmp_path, "first.csv", first)), "--name", "d"]) == 0
    before = Catalog().get("d")
    capsys.readouterr()
    assert main(["import", str(write(tmp_path, "then.csv", then)), "--name", "d", "--append"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"prodops import: then.csv: cannot append to 'd': {message}")
    after = Catalog().get("d")
    assert (after.rows, after.version, after.property_columns) == (
        before.rows,
        before.version,
        before.property_columns,
    )
