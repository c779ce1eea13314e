"""Role matrix (issue 15): every write function x every role, on SQLite and PostgreSQL.

Team mode is on (``PRODOPS_ADMINS=admin@example.com``); ``editor@example.com`` was given the editor
role; anyone else is a viewer. For each write function the test seeds fresh rows (as ProdOps
itself), then calls the function as each role. A refused call raises PermissionDeniedError that
names the person, their role and the role needed, and leaves every table exactly as it was; an
allowed call commits and the audit trail holds an entry by that person for each table it wrote.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from prodops.critique import crud as critique_crud
from prodops.critique import scoring
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.errors import PermissionDeniedError
from prodops.okr import crud as okr_crud
from prodops.okr import transfer
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.qbr import build_qbr, save_report, update_narrative
from prodops.qbr import regenerate as regenerate_qbr
from prodops.research import crud as research_crud
from prodops.research import insight_crud
from prodops.research.models import ResearchInsightCreate, ResearchNoteCreate
from prodops.store import audit
from prodops.store.access import SYSTEM, Role, article
from prodops.store.db import read_session, write_session

ADMIN, EDITOR, VIEWER = "admin@example.com", "editor@example.com", "viewer@example.com"
PEOPLE = {Role.ADMIN: ADMIN, Role.EDITOR: EDITOR, Role.VIEWER: VIEWER}
SCORES = {"customer_value": 4, "alignment": 4, "evidence": 3, "confidence": 3, "effort": 2}
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
QUARTER = "2025-Q3"  # each seed saves the next revision of its QBR
NOTE_ROW = {
    "customer_id": "",
    "customer_email": "",
    "customer_company": "",
    "noted_on": None,
    "link": "",
    "tags": [],
    "score": None,
    "source_kind": "support_ticket",
    "properties": {},
}


@dataclass
class Seed:
    """Fresh rows for one call: every id a write function may need."""

    objective: int
    archived_objective: int
    key_result: int
    archived_key_result: int
    item: int
    archived_item: int
    session: int
    closed_session: int
    note: int
    other_note: int
    insight: int
    other_insight: int
    report: int
    tag: str


def seed(engine: Engine) -> Seed:
    tag = uuid.uuid4().hex[:8]
    with write_session(engine, actor=SYSTEM) as s:
        period = {
            "period": "2026-Q4",
            "period_start": dt.date(2026, 10, 1),
            "period_end": dt.date(2026, 12, 31),
        }
        objective = okr_crud.create_objective(
            session=s, objective_in=ObjectiveCreate(title=f"Grow {tag}", **period)
        )
        gone = okr_crud.create_objective(
            session=s, objective_in=ObjectiveCreate(title=f"Old {tag}", **period)
        )
        okr_crud.archive_objective(session=s, objective_id=gone.id or 0)
        kr = okr_crud.create_key_result(
            session=s,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0, title="Activation", start_value=0, target_value=10
            ),
        )
        old_kr = okr_crud.create_key_result(
            session=s,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0, title="Old KR", start_value=0, target_value=10
            ),
        )
        okr_crud.archive_key_result(session=s, key_result_id=old_kr.id or 0)
        item = critique_crud.create_item(session=s, item_in=RoadmapItemCreate(title=f"SSO {tag}"))
        old_item = critique_crud.create_item(
            session=s, item_in=RoadmapItemCreate(title=f"Legacy {tag}")
        )
        critique_crud.set_archived(
            session=s, item_id=old_item.id or 0, seen_version=1, archived=True
        )
        critique_crud.link_key_results(session=s, item_id=item.id or 0, key_result_ids=[kr.id or 0])
        crit = critique_crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name=f"Q4 {tag}", held_on=dt.date(2026, 11, 2)),
            item_ids=[item.id],
        )
        closed = critique_crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name=f"Q3 {tag}", held_on=dt.date(2026, 8, 2)),
            item_ids=[item.id],
        )
        note = research_crud.create_note(
            session=s,
            note_in=ResearchNoteCreate(text=f"We need SSO {tag}", source_kind="interview"),
            actor="setup",
        )
        other = research_crud.create_note(
            session=s,
            note_in=ResearchNoteCreate(text=f"SSO please {tag}", source_kind="interview"),
            actor="setup",
        )
        insight = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim=f"SSO {tag}"), actor="setup"
        )
        other_insight = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim=f"Okta {tag}"), actor="setup"
        )
        insight_crud.link_item(
            session=s, insight_id=insight.id or 0, item_id=item.id or 0, actor="setup"
        )
        insight_crud.link_key_result(
            session=s, insight_id=insight.id or 0, key_result_id=kr.id or 0, actor="setup"
        )
        report = save_report(session=s, report=_report(QUARTER))
    return Seed(
        objective=objective.id or 0,
        archived_objective=gone.id or 0,
        key_result=kr.id or 0,
        archived_key_result=old_kr.id or 0,
        item=item.id or 0,
        archived_item=old_item.id or 0,
        session=crit.id or 0,
        closed_session=closed.id or 0,
        note=note.id or 0,
        other_note=other.id or 0,
        insight=insight.id or 0,
        other_insight=other_insight.id or 0,
        report=report.id or 0,
        tag=tag,
    )


def _report(quarter: str) -> Any:
    return build_qbr(quarter, store=None, generated_at=NOW, events=None, subscriptions=None)


Call = Callable[[Session, Seed, str], Any]

# name -> (least role, the call, the tables it writes). The reviewer / author is the caller.
WRITES: dict[str, tuple[Role, Call]] = {
    "okr.create_objective": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.create_objective(
            session=s,
            objective_in=ObjectiveCreate(
                title="New",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            ),
        ),
    ),
    "okr.update_objective": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.update_objective(
            session=s, objective_id=d.objective, seen_version=1, changes={"title": "Renamed"}
        ),
    ),
    "okr.archive_objective": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.archive_objective(session=s, objective_id=d.objective),
    ),
    "okr.unarchive_objective": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.unarchive_objective(session=s, objective_id=d.archived_objective),
    ),
    "okr.delete_objective": (
        Role.ADMIN,
        lambda s, d, me: okr_crud.delete_objective(session=s, objective_id=d.archived_objective),
    ),
    "okr.create_key_result": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.create_key_result(
            session=s,
            key_result_in=KeyResultCreate(
                objective_id=d.objective, title="Retention", start_value=0, target_value=5
            ),
        ),
    ),
    "okr.update_key_result": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.update_key_result(
            session=s, key_result_id=d.key_result, seen_version=1, changes={"target_value": 12}
        ),
    ),
    "okr.archive_key_result": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.archive_key_result(session=s, key_result_id=d.key_result),
    ),
    "okr.unarchive_key_result": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.unarchive_key_result(
            session=s, key_result_id=d.archived_key_result
        ),
    ),
    "okr.delete_key_result": (
        Role.ADMIN,
        lambda s, d, me: okr_crud.delete_key_result(session=s, key_result_id=d.archived_key_result),
    ),
    "okr.record_refresh": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.record_refresh(
            session=s, key_result_id=d.key_result, error="dataset missing"
        ),
    ),
    "okr.add_check_in": (
        Role.EDITOR,
        lambda s, d, me: okr_crud.add_check_in(
            session=s,
            check_in_in=CheckInCreate(key_result_id=d.key_result, value=4, author=me),
        ),
    ),
    "okr.import_okrs": (
        Role.EDITOR,
        lambda s, d, me: transfer.import_okrs(session=s, document=_okr_document(s, d)),
    ),
    "critique.create_item": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.create_item(
            session=s, item_in=RoadmapItemCreate(title=f"Audit log {d.tag}")
        ),
    ),
    "critique.update_item": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.update_item(
            session=s, item_id=d.item, seen_version=1, item_in={"owner": "Ana"}
        ),
    ),
    "critique.add_evidence": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.add_evidence(
            session=s, item_id=d.item, seen_version=1, link="", note="10 tickets"
        ),
    ),
    "critique.set_archived": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.set_archived(
            session=s, item_id=d.item, seen_version=1, archived=True
        ),
    ),
    "critique.link_key_results": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.link_key_results(
            session=s, item_id=d.item, key_result_ids=[]
        ),
    ),
    "critique.unlink_key_result": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.unlink_key_result(session=s, key_result_id=d.key_result),
    ),
    "critique.import_items": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.import_items(
            session=s, frame=pd.DataFrame({"title": [f"Imported {d.tag}"]})
        ),
    ),
    "critique.create_session": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name=f"New {d.tag}", held_on=dt.date(2026, 11, 9)),
            item_ids=[d.item],
        ),
    ),
    "critique.set_session_status": (
        Role.EDITOR,
        lambda s, d, me: critique_crud.set_session_status(
            session=s, session_id=d.closed_session, seen_version=1, status="closed"
        ),
    ),
    "critique.delete_session": (
        Role.ADMIN,
        lambda s, d, me: critique_crud.delete_session(session=s, session_id=d.closed_session),
    ),
    "critique.delete_item": (
        Role.ADMIN,
        lambda s, d, me: critique_crud.delete_item(session=s, item_id=d.archived_item),
    ),
    "critique.save_score": (
        Role.EDITOR,
        lambda s, d, me: scoring.save_score(
            session=s, session_id=d.session, item_id=d.item, reviewer=me, values=SCORES
        ),
    ),
    "critique.submit_scores": (
        Role.EDITOR,
        lambda s, d, me: scoring.submit_scores(
            session=s, session_id=d.session, reviewer=me, scores={d.item: SCORES}
        ),
    ),
    "critique.record_decision": (
        Role.EDITOR,
        lambda s, d, me: scoring.record_decision(
            session=s,
            session_id=d.session,
            item_id=d.item,
            decision="approve",
            rationale="Top demand",
            decided_by=me,
        ),
    ),
    "research.create_note": (
        Role.EDITOR,
        lambda s, d, me: research_crud.create_note(
            session=s,
            note_in=ResearchNoteCreate(text="Export to PDF", source_kind="interview"),
            actor=me,
        ),
    ),
    "research.update_note": (
        Role.EDITOR,
        lambda s, d, me: research_crud.update_note(
            session=s, note_id=d.note, seen_version=1, values={"text": "We need SSO now"}, actor=me
        ),
    ),
    "research.import_notes": (
        Role.EDITOR,
        lambda s, d, me: research_crud.import_notes(
            session=s,
            rows=pd.DataFrame([{**NOTE_ROW, "source_id": f"t-{d.tag}", "text": "Slow exports"}]),
            source="zendesk",
            actor=me,
        ),
    ),
    "research.mark_duplicate": (
        Role.EDITOR,
        lambda s, d, me: research_crud.mark_duplicate(
            session=s, note_id=d.other_note, of_note_id=d.note, seen_version=1, actor=me
        ),
    ),
    "research.create_insight": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim="Exports are slow"), actor=me
        ),
    ),
    "research.update_insight": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.update_insight(
            session=s, insight_id=d.insight, seen_version=1, values={"claim": "SSO!"}, actor=me
        ),
    ),
    "research.merge_insights": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.merge_insights(
            session=s, insight_id=d.other_insight, into_id=d.insight, seen_version=1, actor=me
        ),
    ),
    "research.assign_note": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.assign_note(
            session=s, note_id=d.note, insight_id=d.insight, seen_version=1, actor=me
        ),
    ),
    "research.link_item": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.link_item(
            session=s, insight_id=d.other_insight, item_id=d.item, actor=me
        ),
    ),
    "research.unlink_item": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.unlink_item(session=s, insight_id=d.insight, item_id=d.item),
    ),
    "research.link_key_result": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.link_key_result(
            session=s, insight_id=d.other_insight, key_result_id=d.key_result, actor=me
        ),
    ),
    "research.unlink_key_result": (
        Role.EDITOR,
        lambda s, d, me: insight_crud.unlink_key_result(
            session=s, insight_id=d.insight, key_result_id=d.key_result
        ),
    ),
    "qbr.save_report": (
        Role.EDITOR,
        lambda s, d, me: save_report(
            session=s, report=_report("2024-Q1"), narrative={"summary": "A good quarter"}
        ),
    ),
    "qbr.update_narrative": (
        Role.EDITOR,
        lambda s, d, me: update_narrative(
            session=s, report_id=d.report, seen_version=1, values={"wins": "SSO shipped"}
        ),
    ),
    "qbr.regenerate": (
        Role.EDITOR,
        lambda s, d, me: regenerate_qbr(session=s, report_id=d.report, report=_report(QUARTER)),
    ),
    "team.set_role": (
        Role.ADMIN,
        lambda s, d, me: audit.set_role(session=s, identity=f"{d.tag}@example.com", role="editor"),
    ),
    "team.remove_member": (
        Role.ADMIN,
        lambda s, d, me: audit.remove_member(session=s, identity=EDITOR_SPARE),
    ),
}
EDITOR_SPARE = "spare@example.com"  # a role that team.remove_member removes


def _okr_document(session: Session, data: Seed) -> Any:
    """The export of the seeded objective and its key results (importing adds a copy)."""
    document = transfer.export_okrs(session=session)
    document["objectives"] = [o for o in document["objectives"] if o["id"] == data.objective]
    document["key_results"] = [
        k for k in document["key_results"] if k["objective_id"] == data.objective
    ]
    document["check_ins"] = []
    return document


@pytest.fixture
def team(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Team mode on *engine*: one configured admin, one assigned editor, everyone else viewer."""
    monkeypatch.setenv("PRODOPS_ADMINS", ADMIN)
    monkeypatch.delenv("PRODOPS_DEFAULT_ROLE", raising=False)
    with write_session(engine, actor=SYSTEM) as s:
        audit.set_role(session=s, identity=EDITOR, role="editor")
    return engine


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the audit trail included), sorted: to prove nothing changed."""
    tables = [t for t in SQLModel.metadata.sorted_tables]
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(repr, row)) for row in conn.execute(sa.select(t)))
            for t in tables
        }


def entries_after(engine: Engine, identity: str, last: int) -> list[audit.AuditEntry]:
    """*identity*'s audit entries newer than entry *last*."""
    with read_session(engine) as s:
        found = audit.list_entries(session=s, where=audit.AuditFilter(actor=identity), limit=None)
    return [e for e in found if (e.id or 0) > last]


def last_entry(engine: Engine) -> int:
    with read_session(engine) as s:
        newest = audit.list_entries(session=s, limit=1)
    return newest[0].id or 0 if newest else 0


@pytest.mark.parametrize("name", sorted(WRITES))
def test_every_write_is_allowed_or_refused_by_role_and_audited(team: Engine, name: str) -> None:
    need, call = WRITES[name]
    for role, person in PEOPLE.items():
        data = seed(team)
        with write_session(team, actor=SYSTEM) as s:
            audit.set_role(session=s, identity=EDITOR_SPARE, role="viewer")
        before, last = snapshot(team), last_entry(team)
        if role.allows(need):
            with write_session(team, actor=person) as s:
                call(s, data, person)
            written = entries_after(team, person, last)
            assert written, f"{name} by {role}: allowed but nothing in the audit trail"
            assert {e.role for e in written} == {role.value}
            assert snapshot(team) != before
        else:
            with (
                pytest.raises(PermissionDeniedError) as refused,
                write_session(team, actor=person) as s,
            ):
                call(s, data, person)
            message = str(refused.value)
            assert f"{person} is {article(role)}" in message
            assert f"needs the {need.value} role" in message and "Nothing was saved" in message
            assert snapshot(team) == before, f"{name} by {role}: refused but something changed"
