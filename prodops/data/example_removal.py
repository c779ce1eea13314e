"""Finding and removing the example rituals of a first start (:mod:`prodops.data.demo_rituals`).

An example is a row marked as one: objectives, items and sessions carry
:data:`~prodops.data.demo_rituals.EXAMPLE_NOTE` (a session its name prefix), item keys start with
:data:`~prodops.data.demo_rituals.EXAMPLE_KEY_PREFIX`. Removing them deletes exactly those rows
and the links to them; what someone made (or rewrote) stays.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from prodops.critique import crud as critique_crud
from prodops.critique.models import CritiqueSession
from prodops.data.demo_rituals import (
    EXAMPLE_KEY_PREFIX,
    EXAMPLE_NOTE,
    EXAMPLE_SESSION_PREFIX,
    ExampleCounts,
)
from prodops.errors import ProdOpsError
from prodops.okr import crud as okr_crud
from prodops.research.models import InsightKeyResult, InsightRoadmapItem


def _example_sessions(session: Session) -> list[CritiqueSession]:
    query = select(CritiqueSession).where(
        col(CritiqueSession.name).startswith(EXAMPLE_SESSION_PREFIX, autoescape=True)
    )
    sessions = list(session.exec(query).all())
    # A session counts as an example only when every item in it is one.
    return [
        s
        for s in sessions
        if all(
            i.key.startswith(EXAMPLE_KEY_PREFIX)
            for i in critique_crud.session_items(session=session, session_id=s.id or 0)
        )
    ]


def has_examples(*, session: Session) -> bool:
    """True when the store holds an example objective, critique session or unarchived item
    (an archived example item kept in someone's own session no longer counts)."""
    objectives = okr_crud.list_objectives(session=session, include_archived=True)
    items = critique_crud.list_items(session=session)
    return (
        any(o.description == EXAMPLE_NOTE for o in objectives)
        or any(_is_example_item(i.key, i.description) for i in items)
        or bool(_example_sessions(session))
    )


def _is_example_item(key: str, description: str) -> bool:
    return key.startswith(EXAMPLE_KEY_PREFIX) and description == EXAMPLE_NOTE


def _unlink_insights(session: Session, column: Any, target_id: int) -> None:
    """Drop the customer-insight links to an example that goes (the insights themselves stay)."""
    session.execute(sa.delete(column.class_).where(column == target_id))


def remove_examples(*, session: Session) -> ExampleCounts:
    """Delete every example row in a write *session*; return how many of each went.

    Links to a deleted example go with it (roadmap items' and customer insights' links to its key
    results and items); the rows that linked, like anything else someone made, stay.
    """
    try:
        return _remove_examples(session)
    except sa.exc.IntegrityError as error:  # a row of a kind this code does not unlink
        raise ProdOpsError(
            "the examples were not removed: another row in the store still refers to one of them",
            fix="Nothing was deleted. Please report it, with what you linked to the examples.",
        ) from error


def _remove_examples(session: Session) -> ExampleCounts:
    sessions = _example_sessions(session)
    for row in sessions:
        critique_crud.delete_session(session=session, session_id=row.id or 0)
    items = [
        i
        for i in critique_crud.list_items(session=session, include_archived=True)
        if _is_example_item(i.key, i.description)
    ]
    removed_items = 0
    for item in items:
        item_id = item.id or 0
        if not item.archived:
            critique_crud.set_archived(session=session, item_id=item_id, seen_version=item.version)
        if critique_crud.item_in_sessions(session=session, item_id=item_id):
            continue  # someone put it into their own session: it stays (archived)
        _unlink_insights(session, InsightRoadmapItem.item_id, item_id)
        critique_crud.delete_item(session=session, item_id=item_id)
        removed_items += 1
    objectives = [
        o
        for o in okr_crud.list_objectives(session=session, include_archived=True)
        if o.description == EXAMPLE_NOTE
    ]
    key_results = check_ins = 0
    for objective in objectives:
        objective_id = objective.id or 0
        krs = okr_crud.list_key_results(
            session=session, objective_ids=[objective_id], include_archived=True
        )
        key_results += len(krs)
        check_ins += len(
            okr_crud.list_check_ins(session=session, key_result_ids=[k.id or 0 for k in krs])
        )
        for kr in krs:
            critique_crud.unlink_key_result(session=session, key_result_id=kr.id or 0)
            _unlink_insights(session, InsightKeyResult.key_result_id, kr.id or 0)
        if not objective.archived:
            okr_crud.archive_objective(session=session, objective_id=objective_id)
        okr_crud.delete_objective(session=session, objective_id=objective_id)
    return ExampleCounts(len(objectives), key_results, check_ins, removed_items, len(sessions))
