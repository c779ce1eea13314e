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
            "user_id": ["a", "b", "c"],
            "event": ["open"] * 3,
            "timestamp": pd.to_datetime(["2026-09-24", "2026-09-30", "2026-09-01"], utc=True),
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
    assert "refreshed key result 2 (WAU): 2" in out
    assert "1 refreshed, 0 failed" in out
    with read_session(init_store()) as session:
        [check_in] = okr_crud.history(session=session, key_result_id=2)
    assert (check_in.value, check_in.author) == (2.0, "metric refresh")


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
