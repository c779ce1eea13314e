"""Roadmap-critique scoring: append-only scores, blind submission, and decisions.

Score visibility: a reviewer sees only their own scores of a session until they submit
(:func:`submit_scores`); from then on they see everyone's (:func:`visible_scores`). The latest
score of a reviewer for an item counts, and the latest decision for an item in a session is the
current one; nothing is ever updated or deleted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from prodops.critique.crud import get_item, get_session, session_framework, session_items
from prodops.critique.models import CritiqueSession, Decision, Score, Submission
from prodops.critique.rules import DECISIONS
from prodops.errors import NotFoundError, ParameterError, ProdOpsError
from prodops.store.guard import check_self


class ScoresHiddenError(ProdOpsError):
    """A reviewer asked for others' scores of an open session before submitting their own."""


def _check_reviewer(reviewer: str) -> str:
    name = " ".join((reviewer or "").split())
    if not name:
        raise ParameterError("the reviewer has no name", fix="Enter your name first.")
    return name


def _reviewer_self(reviewer: str) -> str:
    """The reviewer's name, refused in team mode unless it is the acting user's own."""
    name = _check_reviewer(reviewer)
    check_self(name, "score")
    return name


def _decider_self(decided_by: str) -> str:
    name = _check_reviewer(decided_by)
    check_self(name, "decide")
    return name


def _open_session_items(session: Session, session_id: int) -> tuple[CritiqueSession, set[int]]:
    row = get_session(session=session, session_id=session_id)
    if row.status != "open":
        raise ParameterError(f"session {row.name!r} is closed", fix="Reopen it to change scores.")
    items = {i.id for i in session_items(session=session, session_id=session_id) if i.id}
    return row, items


def save_score(
    *,
    session: Session,
    session_id: int,
    item_id: int,
    reviewer: str,
    values: Mapping[str, Any],
    comment: str = "",
) -> Score:
    """Append a reviewer's scores of one item (the latest counts), checked against the rubric."""
    row, items = _open_session_items(session, session_id)
    if item_id not in items:
        raise NotFoundError(f"item {item_id} is not in session {row.name!r}", fix="Reload.")
    fw = session_framework(row)
    checked = fw.check(values)
    fw.score(checked)  # e.g. RICE effort 0 fails here, before anything is written
    score = Score(
        session_id=session_id,
        item_id=item_id,
        reviewer=_reviewer_self(reviewer),
        criterion_scores=checked,
        comment=comment.strip(),
    )
    session.add(score)
    session.flush()
    return score


def submit_scores(
    *,
    session: Session,
    session_id: int,
    reviewer: str,
    scores: Mapping[int, Mapping[str, Any]] | None = None,
    comments: Mapping[int, str] | None = None,
) -> Submission:
    """Save *scores* (item id -> values) and hand in: every item of the session must be scored.

    Submitting twice is allowed (the later scores count); the first submission time is kept.
    """
    name = _reviewer_self(reviewer)
    comments = comments or {}
    for item_id, values in (scores or {}).items():
        save_score(
            session=session,
            session_id=session_id,
            item_id=item_id,
            reviewer=name,
            values=values,
            comment=comments.get(item_id, ""),
        )
    _, items = _open_session_items(session, session_id)
    scored = {s.item_id for s in _latest_scores(session, session_id, reviewer=name)}
    missing = items - scored
    if missing:
        titles = [get_item(session=session, item_id=i).title for i in sorted(missing)]
        raise ParameterError(
            f"{len(missing)} item(s) not scored yet: {', '.join(titles)}",
            fix="Score every item, then submit.",
        )
    existing = session.exec(
        select(Submission).where(
            col(Submission.session_id) == session_id, col(Submission.reviewer) == name
        )
    ).first()
    if existing is not None:
        return existing
    submission = Submission(session_id=session_id, reviewer=name)
    session.add(submission)
    session.flush()
    return submission


def submitted_reviewers(*, session: Session, session_id: int) -> list[str]:
    query = (
        select(Submission.reviewer)
        .where(col(Submission.session_id) == session_id)
        .order_by(col(Submission.submitted_at), col(Submission.id))
    )
    return list(session.exec(query).all())


def _latest_scores(
    session: Session, session_id: int, *, reviewer: str | None = None
) -> list[Score]:
    """The latest score per (item, reviewer), oldest first."""
    query = select(Score).where(col(Score.session_id) == session_id).order_by(col(Score.id))
    if reviewer is not None:
        query = query.where(col(Score.reviewer) == reviewer)
    latest: dict[tuple[int, str], Score] = {}
    for score in session.exec(query).all():
        latest[(score.item_id, score.reviewer)] = score
    return list(latest.values())


def visible_scores(*, session: Session, session_id: int, reviewer: str) -> list[Score]:
    """The latest scores *reviewer* may see: only their own until they submit, then everyone's."""
    name = _check_reviewer(reviewer)
    if name in submitted_reviewers(session=session, session_id=session_id):
        return _latest_scores(session, session_id)
    return _latest_scores(session, session_id, reviewer=name)


def check_can_see_scores(*, session: Session, session_id: int, viewer: str) -> None:
    """Refuse (ScoresHiddenError) when *viewer* may not see others' scores yet.

    In an open session a reviewer (a listed participant, anyone when none are listed, or whoever
    has saved a score) sees others' scores only after submitting their own. Someone outside a
    session with listed participants (the lead watching) sees them; in a closed session, everyone.
    """
    row = get_session(session=session, session_id=session_id)
    if row.status == "closed":
        return
    name = _check_reviewer(viewer)
    if name in submitted_reviewers(session=session, session_id=session_id):
        return
    scored = bool(_latest_scores(session, session_id, reviewer=name))
    if row.participants and name not in row.participants and not scored:
        return
    raise ScoresHiddenError(
        "the other reviewers' scores stay hidden until you submit yours",
        where=row.name,
        fix="Score every item and submit; then everyone's scores are shown.",
    )


def submitted_scores(
    *, session: Session, session_id: int, viewer: str | None = None
) -> list[Score]:
    """The latest scores of the reviewers who submitted (what the aggregation counts).

    With *viewer* (the person asking), refused with ScoresHiddenError while that person may not
    see others' scores (:func:`check_can_see_scores`); without, for reports after the fact.
    """
    if viewer is not None:
        check_can_see_scores(session=session, session_id=session_id, viewer=viewer)
    done = set(submitted_reviewers(session=session, session_id=session_id))
    return [s for s in _latest_scores(session, session_id) if s.reviewer in done]


def score_history(*, session: Session, item_id: int) -> list[Score]:
    """Every score ever given to an item, in every session, oldest first."""
    query = select(Score).where(col(Score.item_id) == item_id).order_by(col(Score.id))
    return list(session.exec(query).all())


# --- Decisions (append-only) ----------------------------------------------------------------------


def record_decision(
    *,
    session: Session,
    session_id: int,
    item_id: int,
    decision: str,
    rationale: str,
    decided_by: str,
) -> Decision:
    """Append a decision on an item (the latest in a session is the current one)."""
    if decision not in DECISIONS:
        raise ParameterError(f"unknown decision {decision!r}", fix=f"Use one of {list(DECISIONS)}.")
    row = get_session(session=session, session_id=session_id)
    if item_id not in {i.id for i in session_items(session=session, session_id=session_id)}:
        raise NotFoundError(f"item {item_id} is not in session {row.name!r}", fix="Reload.")
    if not rationale.strip():
        raise ParameterError(
            "a decision needs a rationale", where="rationale", fix="Say why, in a sentence."
        )
    entry = Decision(
        session_id=session_id,
        item_id=item_id,
        decision=decision,
        rationale=rationale.strip(),
        decided_by=_decider_self(decided_by),
    )
    session.add(entry)
    session.flush()
    return entry


def current_decisions(*, session: Session, session_id: int) -> dict[int, Decision]:
    """Item id -> its latest decision in the session."""
    query = (
        select(Decision).where(col(Decision.session_id) == session_id).order_by(col(Decision.id))
    )
    return {d.item_id: d for d in session.exec(query).all()}


def decision_history(*, session: Session, item_id: int) -> list[Decision]:
    query = select(Decision).where(col(Decision.item_id) == item_id).order_by(col(Decision.id))
    return list(session.exec(query).all())
