"""OKR CRUD on SQLite and PostgreSQL: validation, filters, stale edits, archive-then-delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from prodops.errors import NotFoundError, ParameterError, StaleEditError
from prodops.okr import crud as okr_crud
from prodops.okr.models import (
    CheckInCreate,
    KeyResultCreate,
    KeyResultUpdate,
    ObjectiveCreate,
    ObjectiveUpdate,
)
from prodops.store import versioning
from prodops.store.db import read_session, write_session

Q4: dict[str, Any] = {
    "period": "2026-Q4",
    "period_start": dt.date(2026, 10, 1),
    "period_end": dt.date(2026, 12, 31),
}


def _objective(engine: Engine, title: str = "Grow activation", **fields: Any) -> int:
    with write_session(engine) as session:
        objective_in = ObjectiveCreate(**{"title": title, **Q4, **fields})
        objective = okr_crud.create_objective(session=session, objective_in=objective_in)
    assert objective.id is not None
    return objective.id


def _key_result(engine: Engine, objective_id: int, **fields: Any) -> int:
    values = {"title": "WAU", "start_value": 100.0, "target_value": 200.0, **fields}
    with write_session(engine) as session:
        kr = okr_crud.create_key_result(
            session=session, key_result_in=KeyResultCreate(objective_id=objective_id, **values)
        )
    assert kr.id is not None
    return kr.id


def test_created_objectives_start_at_version_1_and_are_listed_by_period_team_and_owner(
    engine: Engine,
) -> None:
    a = _objective(engine, "A", team="growth", owner="ana")
    _objective(engine, "B", team="core", owner="bo")
    _objective(
        engine,
        "C",
        period="2027-Q1",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 3, 31),
    )
    with read_session(engine) as session:
        assert okr_crud.get_objective(session=session, objective_id=a).version == 1
        by_period = okr_crud.list_objectives(session=session, period="2026-Q4")
        by_team = okr_crud.list_objectives(session=session, team="growth")
        by_owner = okr_crud.list_objectives(session=session, owner="bo")
        periods = okr_crud.list_periods(session=session)
    assert [o.title for o in by_period] == ["A", "B"]
    assert [o.title for o in by_team] == ["A"]
    assert [o.title for o in by_owner] == ["B"]
    assert periods == ["2027-Q1", "2026-Q4"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "a title is required"),
        ({"period_end": dt.date(2026, 9, 30)}, "end date 2026-09-30 is before the start date"),
        ({"parent_id": 999}, "objective 999 does not exist"),
    ],
)
def test_invalid_objectives_are_refused_with_a_message(
    engine: Engine, fields: dict[str, Any], message: str
) -> None:
    with (
        pytest.raises((ParameterError, NotFoundError), match=message),
        write_session(engine) as session,
    ):
        okr_crud.create_objective(
            session=session, objective_in=ObjectiveCreate(**{"title": "X", **Q4, **fields})
        )
    with read_session(engine) as session:
        assert okr_crud.list_objectives(session=session) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target_value": 100.0}, "target equals the start value"),
        ({"weight": 0.0}, "weight must be positive"),
        ({"binding_params": "{nope"}, "not valid JSON"),
    ],
)
def test_invalid_key_results_are_refused(
    engine: Engine, fields: dict[str, Any], message: str
) -> None:
    objective_id = _objective(engine)
    with pytest.raises(ParameterError, match=message):
        _key_result(engine, objective_id, **fields)


def test_an_update_with_the_current_version_applies_and_bumps_the_version(engine: Engine) -> None:
    objective_id = _objective(engine)
    with write_session(engine) as session:
        updated = okr_crud.update_objective(
            session=session,
            objective_id=objective_id,
            seen_version=1,
            changes=ObjectiveUpdate(owner="ana", team="growth"),
        )
    assert (updated.version, updated.owner, updated.team, updated.title) == (
        2,
        "ana",
        "growth",
        "Grow activation",
    )
    with read_session(engine) as session:
        [entry] = versioning.edit_log(session=session, entity="objective", entity_id=objective_id)
    assert entry.version == 2
    assert entry.changes == '{"owner": "ana", "team": "growth"}'


def test_a_stale_update_is_refused_showing_what_changed_and_writes_nothing(
    engine: Engine,
) -> None:
    objective_id = _objective(engine)
    kr_id = _key_result(engine, objective_id)
    with write_session(engine) as session:  # someone else edits first
        okr_crud.update_key_result(
            session=session,
            key_result_id=kr_id,
            seen_version=1,
            changes=KeyResultUpdate(target_value=250.0, owner="bo"),
        )
    with pytest.raises(StaleEditError) as caught, write_session(engine) as session:
        okr_crud.update_key_result(
            session=session,
            key_result_id=kr_id,
            seen_version=1,
            changes={"title": "Weekly active users"},
        )
    assert str(caught.value) == (
        "key result 1 was changed by someone else since you opened it (you saw version 1, it is "
        "now version 2): owner is now 'bo', target_value is now 250.0. Nothing was saved; reload "
        "to see the current values and apply your edit again."
    ).replace("key result 1", f"key result {kr_id}")
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
    assert (kr.title, kr.target_value, kr.version) == ("WAU", 250.0, 2)


def test_an_update_that_makes_target_equal_start_is_refused(engine: Engine) -> None:
    kr_id = _key_result(engine, _objective(engine))
    with (
        pytest.raises(ParameterError, match="target equals the start"),
        write_session(engine) as session,
    ):
        okr_crud.update_key_result(
            session=session, key_result_id=kr_id, seen_version=1, changes={"start_value": 200.0}
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 7}, "cannot change version"),
        ({"start_value": None}, "start: a number is required"),
        ({}, "nothing to change"),
    ],
)
def test_updates_of_fields_that_are_not_editable_or_not_numbers_are_refused(
    engine: Engine, changes: dict[str, Any], message: str
) -> None:
    kr_id = _key_result(engine, _objective(engine))
    with pytest.raises(ParameterError, match=message), write_session(engine) as session:
        okr_crud.update_key_result(
            session=session, key_result_id=kr_id, seen_version=1, changes=changes
        )


def test_an_objective_cannot_be_aligned_under_its_own_child(engine: Engine) -> None:
    parent = _objective(engine, "Company")
    child = _objective(engine, "Team", parent_id=parent)
    with (
        pytest.raises(ParameterError, match="cannot be aligned under itself"),
        write_session(engine) as session,
    ):
        okr_crud.update_objective(
            session=session, objective_id=parent, seen_version=1, changes={"parent_id": child}
        )


def test_archive_hides_unarchive_restores_and_only_archived_items_can_be_deleted(
    engine: Engine,
) -> None:
    objective_id = _objective(engine)
    kr_id = _key_result(engine, objective_id)
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session, check_in_in=CheckInCreate(key_result_id=kr_id, value=120.0)
        )
    with (
        pytest.raises(ParameterError, match="not archived, so it cannot be deleted"),
        write_session(engine) as session,
    ):
        okr_crud.delete_objective(session=session, objective_id=objective_id)
    with write_session(engine) as session:
        archived = okr_crud.archive_objective(session=session, objective_id=objective_id)
    assert (archived.archived, archived.version) == (True, 2)
    with read_session(engine) as session:
        assert okr_crud.list_objectives(session=session) == []
        assert len(okr_crud.list_objectives(session=session, include_archived=True)) == 1
    with write_session(engine) as session:
        okr_crud.unarchive_objective(session=session, objective_id=objective_id)
        okr_crud.archive_objective(session=session, objective_id=objective_id, seen_version=3)
        okr_crud.delete_objective(session=session, objective_id=objective_id)
    with read_session(engine) as session:
        assert okr_crud.list_objectives(session=session, include_archived=True) == []
        with pytest.raises(NotFoundError, match=f"key result {kr_id} does not exist"):
            okr_crud.history(session=session, key_result_id=kr_id)


def test_deleting_a_parent_keeps_its_children_without_a_parent(engine: Engine) -> None:
    parent = _objective(engine, "Company")
    child = _objective(engine, "Team", parent_id=parent)
    with write_session(engine) as session:
        okr_crud.archive_objective(session=session, objective_id=parent)
        okr_crud.delete_objective(session=session, objective_id=parent)
    with read_session(engine) as session:
        assert okr_crud.get_objective(session=session, objective_id=child).parent_id is None


def test_archived_key_results_can_be_deleted_with_their_check_ins(engine: Engine) -> None:
    objective_id = _objective(engine)
    kr_id = _key_result(engine, objective_id)
    keep = _key_result(engine, objective_id, title="Other")
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session, check_in_in=CheckInCreate(key_result_id=kr_id, value=150.0)
        )
        okr_crud.archive_key_result(session=session, key_result_id=kr_id, seen_version=1)
        okr_crud.delete_key_result(session=session, key_result_id=kr_id)
    with read_session(engine) as session:
        remaining = okr_crud.list_key_results(session=session, include_archived=True)
    assert [kr.id for kr in remaining] == [keep]


def test_check_ins_are_appended_in_order_with_author_and_utc_time(engine: Engine) -> None:
    kr_id = _key_result(engine, _objective(engine))
    with write_session(engine) as session:
        for value, confidence in ((110.0, 0.9), (130.0, None)):
            okr_crud.add_check_in(
                session=session,
                check_in_in=CheckInCreate(
                    key_result_id=kr_id, value=value, confidence=confidence, author="ana", note="n"
                ),
            )
    with read_session(engine) as session:
        found = okr_crud.history(session=session, key_result_id=kr_id)
        latest = okr_crud.latest_check_in(session=session, key_result_id=kr_id)
    assert [(c.value, c.confidence, c.author) for c in found] == [
        (110.0, 0.9, "ana"),
        (130.0, None, "ana"),
    ]
    assert latest is not None and latest.value == 130.0
    assert all(c.created_at.utcoffset() == dt.timedelta(0) for c in found)


def test_an_imported_check_in_keeps_its_original_time(engine: Engine) -> None:
    kr_id = _key_result(engine, _objective(engine))
    when = dt.datetime(2026, 10, 15, 9, 30, tzinfo=dt.UTC)
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(key_result_id=kr_id, value=1.0, created_at=when),
        )
    with read_session(engine) as session:
        [check_in] = okr_crud.history(session=session, key_result_id=kr_id)
    assert check_in.created_at == when


@pytest.mark.parametrize("confidence", [-0.1, 1.5])
def test_a_check_in_with_confidence_out_of_range_is_refused(
    engine: Engine, confidence: float
) -> None:
    kr_id = _key_result(engine, _objective(engine))
    with pytest.raises(ParameterError, match="out of range"), write_session(engine) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(key_result_id=kr_id, value=1.0, confidence=confidence),
        )


def test_a_refresh_result_is_recorded_without_changing_the_version(engine: Engine) -> None:
    kr_id = _key_result(engine, _objective(engine))
    with write_session(engine) as session:
        okr_crud.record_refresh(session=session, key_result_id=kr_id, error="dataset gone")
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
    assert (kr.last_refresh_error, kr.version) == ("dataset gone", 1)
    assert kr.last_refreshed_at is not None
