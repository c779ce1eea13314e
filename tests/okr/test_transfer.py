"""Export / import of all OKRs as JSON and CSV: an exact round trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from prodops.errors import InputError, ParameterError, UnreadableFileError
from prodops.okr import crud as okr_crud
from prodops.okr import transfer as okr_io
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session

TRICKY = ["=SUM(A1:A9)", "'quoted", "-5 users", 'comma, "quote"\nnew line', "émoji 🚀", "@x", ""]


def _fill(engine: Engine) -> None:
    """Objectives with a parent link, a deleted row (an id gap), archived items, tricky text."""
    with write_session(engine) as session:
        q4: dict[str, Any] = {
            "period": "2026-Q4",
            "period_start": dt.date(2026, 10, 1),
            "period_end": dt.date(2026, 12, 31),
        }
        gone = okr_crud.create_objective(
            session=session, objective_in=ObjectiveCreate(title="Gone", **q4)
        )
        company = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(title="Company", description=TRICKY[3], owner="ceo", **q4),
        )
        assert gone.id is not None and company.id is not None
        team = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title=TRICKY[0], team=TRICKY[4], owner=TRICKY[1], parent_id=company.id, **q4
            ),
        )
        assert team.id is not None
        okr_crud.archive_objective(session=session, objective_id=gone.id)
        okr_crud.delete_objective(session=session, objective_id=gone.id)
        krs = []
        for index, (start, target) in enumerate([(0.05, 0.03), (100.0, 1e-5 + 250.1)]):
            kr = okr_crud.create_key_result(
                session=session,
                key_result_in=KeyResultCreate(
                    objective_id=team.id,
                    title=TRICKY[2 + index],
                    start_value=start,
                    target_value=target,
                    weight=0.1 + index,
                    unit="%" if index == 0 else "",
                    binding_dataset="demo-events" if index else None,
                    binding_metric="active_users" if index else None,
                    binding_params='{"window_days": 7}' if index else None,
                ),
            )
            assert kr.id is not None
            krs.append(kr.id)
        okr_crud.update_key_result(
            session=session, key_result_id=krs[0], seen_version=1, changes={"owner": TRICKY[5]}
        )
        okr_crud.archive_key_result(session=session, key_result_id=krs[1])
        okr_crud.record_refresh(session=session, key_result_id=krs[1], error="dataset is gone")
        for value, confidence, note in [(0.045, 0.8, TRICKY[0]), (0.041, None, TRICKY[6]),
                                        (1 / 3, 0.25, TRICKY[3])]:  # fmt: skip
            okr_crud.add_check_in(
                session=session,
                check_in_in=CheckInCreate(
                    key_result_id=krs[0],
                    value=value,
                    confidence=confidence,
                    note=note,
                    author=TRICKY[4],
                    created_at=dt.datetime(2026, 10, 2, 8, 0, 0, 123456, dt.UTC),
                ),
            )


def _export(engine: Engine) -> dict[str, Any]:
    with read_session(engine) as session:
        return okr_io.export_okrs(session=session)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_into_an_empty_store_gives_back_the_same_export(
    engine: Engine, tmp_path: Path, fmt: str
) -> None:
    _fill(engine)
    before = _export(engine)
    path = tmp_path / f"okrs.{fmt}"
    okr_io.write_export(before, path)
    other = init_store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with write_session(other) as session:
        result = okr_io.import_okrs(session=session, document=okr_io.read_export(path))
    assert result == okr_io.ImportResult(2, 2, 3, kept_ids=True)
    after = _export(other)
    other.dispose()
    assert after == before
    assert [o["id"] for o in before["objectives"]] == [2, 3]  # the id gap is kept
    assert before["check_ins"][2]["value"] == 1 / 3


def test_the_csv_neutralises_formula_cells_for_spreadsheets(engine: Engine) -> None:
    _fill(engine)
    text = okr_io.to_csv(_export(engine))
    assert "'=SUM(A1:A9)" in text and "''quoted" in text and "'-5 users" in text
    assert ",=SUM" not in text


def test_importing_into_a_store_with_okrs_gives_new_ids_and_keeps_the_links(
    engine: Engine,
) -> None:
    _fill(engine)
    document = _export(engine)
    with write_session(engine) as session:
        result = okr_io.import_okrs(session=session, document=document)
    assert result.kept_ids is False
    with read_session(engine) as session:
        objectives = okr_crud.list_objectives(session=session, include_archived=True)
        copy = objectives[-1]
        assert copy.id is not None and copy.parent_id == objectives[-2].id
        krs = okr_crud.list_key_results(
            session=session, objective_ids=[copy.id], include_archived=True
        )
        history = okr_crud.history(session=session, key_result_id=krs[0].id or 0)
    assert [o.title for o in objectives] == ["Company", "=SUM(A1:A9)"] * 2
    assert [kr.title for kr in krs] == ["-5 users", 'comma, "quote"\nnew line']
    assert [c.value for c in history] == [0.045, 0.041, 1 / 3]


def test_after_an_import_with_kept_ids_a_new_objective_gets_the_next_id(
    store_url: str, tmp_path: Path
) -> None:
    source = init_store(f"sqlite:///{tmp_path / 'source.sqlite'}")
    _fill(source)
    document = _export(source)
    source.dispose()
    target = init_store(store_url)  # SQLite, or PostgreSQL whose id sequences must move on
    with write_session(target) as session:
        okr_io.import_okrs(session=session, document=document)
        new = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="New",
                period="2027-Q1",
                period_start=dt.date(2027, 1, 1),
                period_end=dt.date(2027, 3, 31),
            ),
        )
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=new.id or 0, title="K", start_value=0, target_value=1
            ),
        )
    target.dispose()
    assert (new.id, kr.id) == (4, 3)


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda d: d["key_results"][0].update(target_value=0.05), ParameterError, "target equals"),
        (lambda d: d["check_ins"][0].update(confidence=2), ParameterError, "out of range"),
        (lambda d: d["objectives"][0].update(period_start="soon"), InputError, "not a valid date"),
        (lambda d: d["key_results"][0].update(objective_id=77), InputError, "not in the file"),
        (lambda d: d.update(format="other"), UnreadableFileError, "not a ProdOps OKR export"),
        (lambda d: d["objectives"][0].update(title="x" * 5000), ParameterError, "5,000 char"),
        (lambda d: d["objectives"][0].update(period="Q" * 41), ParameterError, "41 characters"),
        (lambda d: d["check_ins"][0].update(value="1,234"), ParameterError, "is ambiguous"),
    ],
)
def test_a_bad_import_is_refused_whole_with_a_message(
    engine: Engine, mutate: Any, error: type[Exception], message: str
) -> None:
    _fill(engine)
    document = json.loads(okr_io.to_json(_export(engine)))
    mutate(document)
    with pytest.raises(error, match=message), write_session(engine) as session:
        okr_io.import_okrs(session=session, document=okr_io.parse_export(json.dumps(document)))
    assert len(_export(engine)["objectives"]) == 2


def test_a_hand_edited_decimal_comma_is_imported_as_people_mean_it(tmp_path: Path) -> None:
    source = init_store(f"sqlite:///{tmp_path / 'source.sqlite'}")
    _fill(source)
    document = json.loads(okr_io.to_json(_export(source)))
    source.dispose()
    document["check_ins"][0]["value"] = "0,045"  # as a spreadsheet in French would write it
    target = init_store(f"sqlite:///{tmp_path / 'target.sqlite'}")
    with write_session(target) as session:
        okr_io.import_okrs(session=session, document=document)
    with read_session(target) as session:
        values = [c.value for c in okr_crud.history(session=session, key_result_id=1)]
    target.dispose()
    assert values == [0.045, 0.041, 1 / 3]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_where_a_refreshed_value_came_from_survives_export_and_import(
    engine: Engine, tmp_path: Path, fmt: str
) -> None:
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Activation",
                period="2026-Q3",
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
            ),
        )
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0, title="Week-1 retention", unit="%",
                start_value=55, target_value=65, binding_dataset="events",
                binding_metric="retention", binding_params='{"offset": 1}',
            ),
        )  # fmt: skip
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(
                key_result_id=kr.id or 0, value=62.5, author="metric refresh",
                source_dataset="events", source_version=3,
                source_period_start=dt.datetime(2026, 7, 6, tzinfo=dt.UTC),
                source_period_end=dt.datetime(2026, 7, 27, tzinfo=dt.UTC),
                source_data_end=dt.datetime(2026, 7, 27, 4, 46, tzinfo=dt.UTC),
            ),
        )  # fmt: skip
    before = _export(engine)
    assert before["key_results"][0]["binding_unit"] == "ratio"
    assert before["check_ins"][0]["source_period_end"] == "2026-07-27T00:00:00+00:00"
    path = tmp_path / f"okrs.{fmt}"
    okr_io.write_export(before, path)
    other = init_store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with write_session(other) as session:
        okr_io.import_okrs(session=session, document=okr_io.read_export(path))
    after = _export(other)
    other.dispose()
    assert after == before
