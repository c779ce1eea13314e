"""Scores stay hidden from a reviewer until they submit: enforced by the read functions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from prodops.critique import ScoresHiddenError, crud, scoring
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.critique.summary import summarise_session
from prodops.store.db import read_session, write_session

SCORES = {"customer_value": 4, "alignment": 4, "evidence": 3, "confidence": 3, "effort": 2}


def open_session(engine: Engine, participants: list[str]) -> tuple[int, int]:
    with write_session(engine) as session:
        item = crud.create_item(session=session, item_in=RoadmapItemCreate(title="SSO"))
        row = crud.create_session(
            session=session,
            session_in=CritiqueSessionCreate(
                name="Q1", held_on=dt.date(2026, 11, 2), participants=participants
            ),
            item_ids=[item.id],
        )
        return row.id, item.id


def submit(engine: Engine, sid: int, item_id: int, reviewer: str) -> None:
    with write_session(engine) as session:
        scoring.submit_scores(
            session=session, session_id=sid, reviewer=reviewer, scores={item_id: SCORES}
        )


def test_a_participant_who_has_not_submitted_gets_no_one_elses_scores(engine: Engine) -> None:
    sid, item_id = open_session(engine, ["Ann", "Bob"])
    submit(engine, sid, item_id, "Ann")
    with read_session(engine) as session:
        with pytest.raises(ScoresHiddenError, match="hidden until you submit yours"):
            summarise_session(session=session, session_id=sid, viewer="Bob")
        with pytest.raises(ScoresHiddenError):
            scoring.submitted_scores(session=session, session_id=sid, viewer="Bob")
        # What Bob may see: his own scores (none yet), never Ann's.
        assert scoring.visible_scores(session=session, session_id=sid, reviewer="Bob") == []
    submit(engine, sid, item_id, "Bob")
    with read_session(engine) as session:
        summary = summarise_session(session=session, session_id=sid, viewer="Bob")
        assert summary.reviewers == ["Ann", "Bob"]


def test_someone_who_scored_without_being_listed_is_a_reviewer_too(engine: Engine) -> None:
    sid, item_id = open_session(engine, ["Ann"])
    submit(engine, sid, item_id, "Ann")
    with read_session(engine) as session:
        # Lea is not a participant and has not scored: the lead watching sees the results.
        assert summarise_session(session=session, session_id=sid, viewer="Lea").reviewers == ["Ann"]
    with write_session(engine) as session:
        scoring.save_score(
            session=session, session_id=sid, item_id=item_id, reviewer="Lea", values=SCORES
        )
    with read_session(engine) as session, pytest.raises(ScoresHiddenError):
        summarise_session(session=session, session_id=sid, viewer="Lea")


def test_with_no_participants_listed_everyone_is_a_reviewer(engine: Engine) -> None:
    sid, item_id = open_session(engine, [])
    submit(engine, sid, item_id, "Ann")
    with read_session(engine) as session, pytest.raises(ScoresHiddenError):
        scoring.submitted_scores(session=session, session_id=sid, viewer="Zoe")


def test_a_closed_session_shows_its_results_to_everyone(engine: Engine) -> None:
    sid, item_id = open_session(engine, ["Ann", "Bob"])
    submit(engine, sid, item_id, "Ann")
    with write_session(engine) as session:
        row = crud.get_session(session=session, session_id=sid)
        crud.set_session_status(
            session=session, session_id=sid, seen_version=row.version, status="closed"
        )
    with read_session(engine) as session:
        scores = scoring.submitted_scores(session=session, session_id=sid, viewer="Bob")
        assert [s.reviewer for s in scores] == ["Ann"]
