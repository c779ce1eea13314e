"""The audit trail and the rules around roles (issue 15), beyond test_roles.py's matrix."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from prodops.critique import crud as critique_crud
from prodops.critique import scoring
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.data.catalog import Catalog
from prodops.errors import NotFoundError, ParameterError, PermissionDeniedError
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store import audit
from prodops.store.access import SYSTEM, Actor, Role
from prodops.store.audit import AuditEntry, AuditFilter
from prodops.store.db import init_store, read_session, write_session
from prodops.store.guard import role_of

SCORES = {"customer_value": 4, "alignment": 4, "evidence": 3, "confidence": 3, "effort": 2}


def _objective(engine: Engine, actor: object, title: str = "Grow activation") -> int:
    with write_session(engine, actor=actor) as s:
        row = okr_crud.create_objective(
            session=s,
            objective_in=ObjectiveCreate(
                title=title,
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            ),
        )
    return row.id or 0


def _entries(engine: Engine, **where: object) -> list[AuditEntry]:
    with read_session(engine) as s:
        return audit.list_entries(session=s, where=AuditFilter(**where), limit=None)  # type: ignore[arg-type]


def test_an_edit_is_recorded_with_who_when_and_the_values_before_and_after(engine: Engine) -> None:
    ana = Actor("ana@example.com", "Ana Lima")
    objective = _objective(engine, ana)
    with write_session(engine, actor=ana) as s:
        kr = okr_crud.create_key_result(
            session=s,
            key_result_in=KeyResultCreate(
                objective_id=objective, title="Activation", start_value=0, target_value=40
            ),
        )
    started = dt.datetime.now(dt.UTC)
    with write_session(engine, actor="bo@example.com") as s:
        okr_crud.update_key_result(
            session=s, key_result_id=kr.id or 0, seen_version=1, changes={"target_value": 55}
        )
        okr_crud.add_check_in(
            session=s,
            check_in_in=CheckInCreate(key_result_id=kr.id or 0, value=12, author="Bo"),
        )
    [check_in, update] = _entries(engine, actor="bo@example.com")
    assert (update.action, update.entity, update.entity_id) == ("update", "key_result", str(kr.id))
    assert json.loads(update.before or "{}") == {"target_value": 40.0, "version": 1}
    assert json.loads(update.after or "{}") == {"target_value": 55.0, "version": 2}
    assert update.role == "admin"  # local mode: everyone may do everything, still audited
    assert update.at >= started
    assert (check_in.action, check_in.entity, check_in.before) == ("insert", "check_in", None)
    assert json.loads(check_in.after or "{}")["value"] == 12.0
    created = _entries(engine, actor="ana@example.com")
    assert {(e.entity, e.actor_name) for e in created} == {
        ("objective", "Ana Lima"),
        ("key_result", "Ana Lima"),
    }


def test_a_delete_keeps_the_deleted_row_in_the_trail(engine: Engine) -> None:
    objective = _objective(engine, SYSTEM, title="Retired goal")
    with write_session(engine, actor="admin@example.com") as s:
        okr_crud.archive_objective(session=s, objective_id=objective)
        okr_crud.delete_objective(session=s, objective_id=objective)
    [deleted] = [e for e in _entries(engine, entity="objective") if e.action == "delete"]
    assert deleted.actor == "admin@example.com" and deleted.after is None
    assert json.loads(deleted.before or "{}")["title"] == "Retired goal"


def test_no_one_can_change_or_delete_the_trail(engine: Engine) -> None:
    _objective(engine, SYSTEM)
    for actor in ("anyone", SYSTEM):
        with (
            pytest.raises(PermissionDeniedError, match="append-only"),
            write_session(engine, actor=actor) as s,
        ):
            s.execute(sa.delete(AuditEntry))
        with (
            pytest.raises(PermissionDeniedError, match="append-only"),
            write_session(engine, actor=actor) as s,
        ):
            s.execute(sa.update(AuditEntry).values(actor="someone else"))
    assert [e.actor for e in _entries(engine)] == ["system"]


def test_roles_come_from_configuration_then_the_store_then_the_default(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def role(identity: str) -> Role:
        with read_session(engine) as s:
            return role_of(s, identity)

    assert role("anyone") is Role.ADMIN  # local mode: no PRODOPS_ADMINS
    monkeypatch.setenv("PRODOPS_ADMINS", "Ana@Example.com; lead@example.com")
    assert role("ana@example.com") is Role.ADMIN and role("LEAD@example.com") is Role.ADMIN
    assert role("bo@example.com") is Role.VIEWER
    with write_session(engine, actor="ana@example.com") as s:
        audit.set_role(session=s, identity="Bo@Example.com", role="editor")
    assert role("bo@example.com") is Role.EDITOR  # takes effect at once
    monkeypatch.setenv("PRODOPS_DEFAULT_ROLE", "editor")
    assert role("cy@example.com") is Role.EDITOR
    monkeypatch.setenv("PRODOPS_DEFAULT_ROLE", "boss")
    with pytest.raises(ParameterError, match="PRODOPS_DEFAULT_ROLE='boss' is not a role"):
        role("cy@example.com")
    monkeypatch.delenv("PRODOPS_DEFAULT_ROLE")
    with (
        write_session(engine, actor="ana@example.com") as s,
        pytest.raises(ParameterError, match="is not a role"),
    ):
        audit.set_role(session=s, identity="cy@example.com", role="owner")
    with write_session(engine, actor="ana@example.com") as s:
        audit.remove_member(session=s, identity="bo@example.com")
    assert role("bo@example.com") is Role.VIEWER


def test_a_role_goes_to_an_e_mail_and_removing_nobody_says_so(engine: Engine) -> None:
    for typo in ("not an email", "bo@", "bo@example", "@example.com"):
        with (
            write_session(engine, actor="ana@example.com") as s,
            pytest.raises(ParameterError, match="is not an e-mail"),
        ):
            audit.set_role(session=s, identity=typo, role="editor")
    with read_session(engine) as s:
        assert audit.list_members(session=s) == []  # nothing was saved
    with (
        write_session(engine, actor="ana@example.com") as s,
        pytest.raises(NotFoundError, match=r"no role is assigned to 'nobody@example\.com'"),
    ):
        audit.remove_member(session=s, identity="nobody@example.com")


def test_the_trail_is_read_by_admins_only(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _objective(engine, SYSTEM)
    monkeypatch.setenv("PRODOPS_ADMINS", "ana@example.com")
    with read_session(engine) as s:
        assert len(audit.browse(session=s, actor="ana@example.com")) == 1
        with pytest.raises(PermissionDeniedError, match="reading the audit trail needs the admin"):
            audit.browse(session=s, actor="bo@example.com")


def test_the_csv_export_neutralises_formula_cells(engine: Engine) -> None:
    _objective(engine, '=HYPERLINK("http://evil")', title="=1+2")
    text = audit.export_csv(_entries(engine))
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["actor"].startswith("'=")
    assert json.loads(row["after"])["title"] == "=1+2"  # inside JSON: not a formula cell
    assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_a_reviewer_scores_and_decides_only_as_themselves_in_team_mode(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with write_session(engine, actor=SYSTEM) as s:
        item = critique_crud.create_item(session=s, item_in=RoadmapItemCreate(title="SSO"))
        crit = critique_crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name="Q1", held_on=dt.date(2026, 11, 2)),
            item_ids=[item.id],
        )
    monkeypatch.setenv("PRODOPS_ADMINS", "lead@example.com")
    monkeypatch.setenv("PRODOPS_DEFAULT_ROLE", "editor")
    bo = Actor("bo@example.com", "Bo Berg")
    for other in ("Ana", "ana@example.com"):
        with (
            pytest.raises(PermissionDeniedError, match="cannot score as"),
            write_session(engine, actor=bo) as s,
        ):
            scoring.save_score(
                    session=s, session_id=crit.id or 0, item_id=item.id or 0, reviewer=other,
                    values=SCORES,
                )  # fmt: skip
    with (
        pytest.raises(PermissionDeniedError, match="cannot decide as"),
        write_session(engine, actor=bo) as s,
    ):
        scoring.record_decision(
                session=s, session_id=crit.id or 0, item_id=item.id or 0, decision="approve",
                rationale="ok", decided_by="Lead",
            )  # fmt: skip
    for as_self in ("Bo Berg", "bo@example.com"):  # the name or the e-mail
        with write_session(engine, actor=bo) as s:
            scoring.save_score(
                session=s, session_id=crit.id or 0, item_id=item.id or 0, reviewer=as_self,
                values=SCORES,
            )  # fmt: skip


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u1"],
            "event": ["open", "open", "pay"],
            "timestamp": ["2026-10-01 10:00", "2026-10-02 11:00", "2026-10-03 12:00"],
        }
    ).to_csv(path, index=False)
    return path


def test_datasets_are_an_admins_and_every_change_is_in_the_trail(
    events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_ADMINS", "ana@example.com")
    catalog, engine = Catalog(), init_store()
    with write_session(engine, actor="ana@example.com") as s:
        audit.set_role(session=s, identity="bo@example.com", role="editor")
    for who in ("bo@example.com", "viewer@example.com"):
        with pytest.raises(PermissionDeniedError, match="importing datasets needs the admin role"):
            catalog.import_file(events_csv, name="events", kind="events", actor=who)
    assert catalog.list() == []
    catalog.import_file(events_csv, name="events", kind="events", actor="ana@example.com")
    with pytest.raises(PermissionDeniedError, match="renaming datasets needs the admin"):
        catalog.rename("events", "app", actor="bo@example.com")
    with pytest.raises(PermissionDeniedError, match="deleting datasets needs the admin"):
        catalog.delete("events", actor="bo@example.com")
    assert [d.name for d in catalog.list()] == ["events"]
    catalog.rename("events", "app", actor="ana@example.com")
    catalog.delete("app", actor="ana@example.com")
    monkeypatch.setenv("PRODOPS_USER", "bo@example.com")  # the CLI and API default
    with pytest.raises(PermissionDeniedError, match=r"bo@example\.com is an editor"):
        catalog.import_file(events_csv, name="again", kind="events")
    trail = [(e.actor, e.action, e.entity_id) for e in reversed(_entries(engine, entity="dataset"))]
    assert trail == [
        ("ana@example.com", "import", "events"),
        ("ana@example.com", "rename", "events"),
        ("ana@example.com", "delete", "app"),
    ]
    [imported] = _entries(engine, entity="dataset", actor="ana@example.com")[-1:]
    assert json.loads(imported.after or "{}") == {
        "entities": 2,
        "file": "events.csv",
        "kind": "events",
        "live": False,
        "name": "events",
        "rows": 3,
        "source": json.loads(imported.after or "{}")["source"],
        "version": 1,
    }
