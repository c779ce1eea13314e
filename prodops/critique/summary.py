"""Roadmap-critique summaries: a session ranked with flags and decisions, an item's trajectory
across sessions, and the key results an item is linked to (with their OKR status).

Read-only views over :mod:`prodops.critique.crud`; the page, the exports and the CLI show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import pandas as pd
from sqlmodel import Session, col, select

from prodops import okr
from prodops.critique.crud import (
    get_item,
    get_session,
    linked_key_result_ids,
    session_framework,
    session_items,
)
from prodops.critique.frameworks import Framework
from prodops.critique.models import CritiqueSession, Score, SessionItem
from prodops.critique.rules import ItemFacts, ReviewerScore, aggregate, flag_items
from prodops.critique.scoring import current_decisions, submitted_scores
from prodops.okr import CheckIn, KeyResult, Objective
from prodops.research import evidence_counts

TABLE_COLUMNS = (
    "rank",
    "item_id",
    "key",
    "title",
    "owner",
    "team",
    "effort",
    "reviewers",
    "overall_mean",
    "overall_median",
    "spread",
    "flags",
    "decision",
    "rationale",
    "decided_by",
)


@dataclass(frozen=True)
class SessionSummary:
    """Everything the page, the exports and the CLI show about a session."""

    session: CritiqueSession
    framework: Framework
    table: pd.DataFrame  # TABLE_COLUMNS + "<criterion>_mean" / "<criterion>_median", ranked
    aggregate: pd.DataFrame  # prodops.critique.aggregate's frame (item = item id as text)
    flags: dict[int, list[str]]
    reviewers: list[str]  # those whose scores count


def summarise_session(
    *,
    session: Session,
    session_id: int,
    scores: Sequence[Score] | None = None,
    viewer: str | None = None,
) -> SessionSummary:
    """Rank a session's items by the submitted scores (or *scores*), with flags and decisions.

    Unscored items come last with an empty rank. With *viewer* (the person asking), refused with
    :class:`~prodops.critique.scoring.ScoresHiddenError` while that person is a reviewer of the
    open session who has not submitted (:func:`~prodops.critique.scoring.check_can_see_scores`).
    """
    row = get_session(session=session, session_id=session_id)
    fw = session_framework(row)
    counted = (
        list(scores)
        if scores is not None
        else submitted_scores(session=session, session_id=session_id, viewer=viewer)
    )
    agg = aggregate(
        fw, [ReviewerScore(str(s.item_id), s.reviewer, s.criterion_scores) for s in counted]
    )
    items = session_items(session=session, session_id=session_id)
    ids = [i.id for i in items if i.id is not None]
    links = linked_key_result_ids(session=session, item_ids=ids)
    # Evidence: the item's own links and notes, plus the customer notes behind the insights
    # linked to it in the research repository (prodops.research).
    research = evidence_counts(session=session, item_ids=ids)
    facts = [
        ItemFacts(
            str(i.id),
            i.title,
            len(links[cast(int, i.id)]),
            i.evidence_count + research.get(cast(int, i.id), 0),
        )
        for i in items
    ]
    flags = {int(k): v for k, v in flag_items(fw, agg, facts).items()}
    decisions = current_decisions(session=session, session_id=session_id)
    rows = []
    for item in items:
        assert item.id is not None
        decision = decisions.get(item.id)
        rows.append(
            {
                "item": str(item.id),
                "item_id": item.id,
                "key": item.key,
                "title": item.title,
                "owner": item.owner,
                "team": item.team,
                "effort": item.effort,
                "flags": ", ".join(flags[item.id]),
                "decision": decision.decision if decision else "",
                "rationale": decision.rationale if decision else "",
                "decided_by": decision.decided_by if decision else "",
            }
        )
    base = pd.DataFrame(rows)
    table = base.merge(agg, on="item", how="left")
    table["reviewers"] = table["reviewers"].fillna(0).astype("int64")
    table["rank"] = table["rank"].astype("Int64")
    table = table.sort_values(["rank", "title"], na_position="last", kind="stable").reset_index(
        drop=True
    )
    extra = [c for c in agg.columns if c not in TABLE_COLUMNS and c != "item"]
    table = table[[*TABLE_COLUMNS, *extra]]
    reviewers = sorted({s.reviewer for s in counted})
    return SessionSummary(row, fw, table, agg, flags, reviewers)


def item_trajectory(*, session: Session, item_id: int) -> pd.DataFrame:
    """One row per session the item was in, oldest first: score, rank, decision.

    Columns: ``session_id, session, held_on, reviewers, overall_mean, rank, items, decision,
    rationale, decided_by, decided_at``.
    """
    get_item(session=session, item_id=item_id)
    query = (
        select(CritiqueSession)
        .join(SessionItem, col(SessionItem.session_id) == col(CritiqueSession.id))
        .where(col(SessionItem.item_id) == item_id)
        .order_by(col(CritiqueSession.held_on), col(CritiqueSession.id))
    )
    rows = []
    for crit in session.exec(query).all():
        assert crit.id is not None
        summary = summarise_session(session=session, session_id=crit.id)
        mine = summary.table[summary.table["item_id"] == item_id].iloc[0]
        decision = current_decisions(session=session, session_id=crit.id).get(item_id)
        rows.append(
            {
                "session_id": crit.id,
                "session": crit.name,
                "held_on": crit.held_on,
                "reviewers": int(mine["reviewers"]),
                "overall_mean": mine["overall_mean"],
                "rank": mine["rank"],
                "items": len(summary.table),
                "decision": decision.decision if decision else "",
                "rationale": decision.rationale if decision else "",
                "decided_by": decision.decided_by if decision else "",
                "decided_at": decision.decided_at if decision else None,
            }
        )
    columns = [
        "session_id",
        "session",
        "held_on",
        "reviewers",
        "overall_mean",
        "rank",
        "items",
        "decision",
        "rationale",
        "decided_by",
        "decided_at",
    ]
    return pd.DataFrame(rows, columns=columns)


def linked_key_results(*, session: Session, item_id: int, as_of: dt.date) -> pd.DataFrame:
    """The item's key results with their objective, progress and status (pace as of *as_of*).

    Columns: ``key_result_id, key_result, objective, period, progress, status``. Progress and
    status come from :mod:`prodops.okr`.
    """
    ids = linked_key_result_ids(session=session, item_ids=[item_id])[item_id]
    rows = []
    for kr_id in ids:
        kr = session.get(KeyResult, kr_id)
        if kr is None:
            continue
        objective = session.get(Objective, kr.objective_id)
        progress, status = _key_result_status(session, kr, objective, as_of)
        rows.append(
            {
                "key_result_id": kr_id,
                "key_result": kr.title,
                "objective": objective.title if objective else "",
                "period": objective.period if objective else "",
                "progress": progress,
                "status": status,
            }
        )
    columns = ["key_result_id", "key_result", "objective", "period", "progress", "status"]
    return pd.DataFrame(rows, columns=columns)


def _key_result_status(
    session: Session, kr: KeyResult, objective: Objective | None, as_of: dt.date
) -> tuple[float | None, str]:
    """Progress and status of a key result, by the OKR rules of :mod:`prodops.okr`."""
    latest = session.exec(
        select(CheckIn)
        .where(col(CheckIn.key_result_id) == kr.id)
        .order_by(col(CheckIn.created_at).desc(), col(CheckIn.id).desc())
    ).first()
    progress = okr.key_result_progress(
        start=kr.start_value, target=kr.target_value, current=latest.value if latest else None
    )
    if objective is None:
        return progress, ""
    expected = okr.expected_progress(
        period_start=objective.period_start, period_end=objective.period_end, as_of=as_of
    )
    confidence = latest.confidence if latest else None
    return progress, str(okr.status(progress=progress, expected=expected, confidence=confidence))


def key_result_choices(*, session: Session) -> list[tuple[int, str]]:
    """(id, "objective › key result") for every live key result, for link pickers."""
    query = (
        select(KeyResult, Objective)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(col(KeyResult.archived).is_(False))
        .order_by(col(Objective.period), col(Objective.title), col(KeyResult.title))
    )
    return [
        (cast(int, kr.id), f"{obj.period} · {obj.title} › {kr.title}")
        for kr, obj in session.exec(query).all()
    ]
