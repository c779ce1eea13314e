"""``prodops okr`` commands, run in-process against the test's own data directory."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from prodops.cli import main
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session


def _seed(*, dataset: str = "events") -> None:
    engine = init_store()
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Engage",
                team="growth",
                period="2026-Q3",
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
            ),
        )
        manual = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0, title="NPS", start_value=20, target_value=40
            ),
        )
        okr_crud.add_check_in(
            session=session, check_in_in=CheckInCreate(key_result_id=manual.id or 0, value=35.0)
        )
        okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0,
                title="WAU",
                start_value=0,
                target_value=4,
                binding_dataset=dataset,
                binding_metric="active_users",
                binding_params='{"window_days": 7}',
            ),
        )


def _save_events() -> None:
    from prodops.data.catalog import Catalog

    frame = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "event": ["open"] * 4,
            # d on Oct 1 shows the data cover Sep 30 in full (WAU of Sep 24-30: a and b)
            "timestamp": pd.to_datetime(
                ["2026-09-24", "2026-09-30", "2026-09-01", "2026-10-01"], utc=True
            ),
        }
    )
    Catalog().save("events", frame, kind="events")


def test_okr_list_prints_progress_status_and_score_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed()
    assert (
        main(["okr", "list", "--period", "2026-Q3", "--as-of", "2026-08-15", "--format", "json"])
        == 0
    )
    [row] = json.loads(capsys.readouterr().out)["okrs"]
    # NPS 35 of 20->40 is 0.75, WAU has no check-in (0): mean 0.375; expected 46/92 = 0.5
    assert (row["objective"], row["progress"], row["expected"]) == ("Engage", 0.375, 0.5)
    assert (row["status"], row["score"], row["reading"]) == ("off_track", 0.38, "missed")


def test_okr_refresh_appends_metric_check_ins_from_the_catalog_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed()
    _save_events()
    assert main(["okr", "refresh", "--period", "2026-Q3", "--as-of", "2026-11-25"]) == 0
    out = capsys.readouterr().out
    assert "refreshed key result 2 (WAU): 2 (2026-09-24 to 2026-09-30)" in out
    assert "1 refreshed, 0 failed" in out
    with read_session(init_store()) as session:
        [check_in] = okr_crud.history(session=session, key_result_id=2)
    assert (check_in.value, check_in.author) == (2.0, "metric refresh")
    assert (check_in.source_dataset, check_in.source_version) == ("events", 1)


def test_okr_refresh_exits_2_when_a_binding_fails(capsys: pytest.CaptureFixture[str]) -> None:
    _seed(dataset="no-such-dataset")
    assert main(["okr", "refresh", "--as-of", "2026-11-25"]) == 2
    captured = capsys.readouterr()
    assert "failed key result 2 (WAU):" in captured.err
    assert "no-such-dataset" in captured.err
    assert "0 refreshed, 1 failed" in captured.out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_okr_export_then_import_into_a_new_home_round_trips(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed()
    out = tmp_path / f"okrs.{fmt}"
    assert main(["okr", "export", "--format", fmt, "--out", str(out)]) == 0
    assert "wrote 1 objectives, 2 key results, 1 check ins" in capsys.readouterr().out
    before = out.read_text()
    monkeypatch.setenv("PRODOPS_HOME", str(tmp_path / "new-home"))
    assert main(["okr", "import", str(out)]) == 0
    assert "imported 1 objectives, 2 key results, 1 check-ins" in capsys.readouterr().out
    assert main(["okr", "export", "--format", fmt]) == 0
    assert capsys.readouterr().out == before


def test_okr_import_of_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    assert main(["okr", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a ProdOps OKR export" in err


def test_a_store_that_is_down_is_one_line_naming_the_host_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRODOPS_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/okrs")
    assert main(["okr", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("prodops okr: postgresql at 127.0.0.1:9/okrs: the OKR / critique store")
    assert "PRODOPS_DATABASE_URL" in err


def test_okr_list_leaves_an_objective_without_key_results_out_of_the_progress(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed()
    with write_session(init_store()) as session:
        okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Hire",
                period="2026-Q3",
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
            ),
        )
    args = ["okr", "list", "--period", "2026-Q3", "--as-of", "2026-08-15"]
    assert main([*args, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    engage, hire = document["okrs"]
    assert (hire["objective"], hire["key_results"], hire["progress"]) == ("Hire", 0, None)
    assert (hire["status"], hire["score"], hire["reading"]) == ("no_key_results", None, None)
    assert engage["progress"] == 0.375
    # the period's progress is Engage's alone, not (0.375 + 0) / 2
    assert document["summary"] == {
        "objectives": 2,
        "without_key_results": 1,
        "progress": 0.375,
        "status": "off_track",
    }
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "progress: 38% over 1 objective(s) with key results; 1 with no key results yet, left out"
    )


@pytest.mark.parametrize(
    ("typed", "stored"), [("58,5", 58.5), ("58.5", 58.5), ("1 234,5", 1234.5), ("-0,5", -0.5)]
)
def test_okr_check_in_reads_a_decimal_comma(
    typed: str, stored: float, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed()
    args = ["okr", "check-in", "--author", "ana", "--confidence", "0,7", "--", "1", typed]
    assert main(args) == 0  # "--": "-0,5" is a value, not an option
    assert f"checked in {stored:g} on key result 1 (NPS)" in capsys.readouterr().out
    with read_session(init_store()) as session:
        latest = okr_crud.latest_check_in(session=session, key_result_id=1)
    assert latest is not None
    assert (latest.value, latest.confidence, latest.author) == (stored, 0.7, "ana")


def test_okr_check_in_refuses_an_ambiguous_number_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed()  # NPS runs from 20 to 40: "1,234" is 1.234 or 1234, neither is plausible
    assert main(["okr", "check-in", "1", "1,234", "--author", "ana"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "prodops okr: value: '1,234' is ambiguous: 1234 with a thousands separator or 1.234 with "
        "a decimal comma. Type 1234 or 1.234 (a dot for decimals, no thousands separator).\n"
    )
    with read_session(init_store()) as session:
        assert [c.value for c in okr_crud.history(session=session, key_result_id=1)] == [35.0]


def _long_title_export(path: Path) -> Path:
    document = {
        "format": "prodops-okrs",
        "format_version": 1,
        "objectives": [
            {"id": 1, "title": "x" * 5000, "description": "", "owner": "", "team": "",
             "period": "2026-Q3", "period_start": "2026-07-01", "period_end": "2026-09-30",
             "parent_id": None, "archived": False, "version": 1,
             "created_at": "2026-07-01T00:00:00+00:00", "updated_at": "2026-07-01T00:00:00+00:00"}
        ],
        "key_results": [],
        "check_ins": [],
    }  # fmt: skip
    path.write_text(json.dumps(document))
    return path


def test_importing_a_5000_character_title_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["okr", "import", str(_long_title_export(tmp_path / "long.json"))]) == 2
    err = capsys.readouterr().err
    assert err == (
        "prodops okr: objective 1 title: the title is 5,000 characters long, more than the 200 "
        "allowed. Shorten it to 200 characters or fewer.\n"
    )


@pytest.mark.postgres
def test_a_5000_character_title_on_postgresql_is_one_line_and_exit_2_without_sql(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pg_sqlalchemy_url: str,
) -> None:
    monkeypatch.setenv("PRODOPS_DATABASE_URL", pg_sqlalchemy_url)
    assert main(["okr", "import", str(_long_title_export(tmp_path / "long.json"))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "INSERT" not in err and "the title is 5,000" in err
    assert main(["okr", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["okrs"] == []
