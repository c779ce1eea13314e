"""Customer-insight CRUD: insights, merges, and their links to roadmap items and key results.

Same conventions as :mod:`prodops.research.crud` (keyword-only ``session``, *actor* on writes,
versioned edits). Merging keeps provenance: a merged insight points at its canonical insight and
keeps its notes; :func:`insight_note_ids` counts them under the canonical one;
:func:`unmerge_insight` undoes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from prodops.errors import NotFoundError, ParameterError, did_you_mean
from prodops.okr import KeyResult
from prodops.research.crud import _check_text, clean_tags, get_insight, update_note
from prodops.research.models import (
    INSIGHT_STATUSES,
    InsightKeyResult,
    InsightRoadmapItem,
    ResearchInsight,
    ResearchInsightCreate,
    ResearchNote,
)
from prodops.store import versioning

# The roadmap's table, named without importing the critique feature's models (a link only needs
# the item's id, key and title).
_ROADMAP = sa.table(
    "roadmap_item", sa.column("id"), sa.column("key"), sa.column("title"), sa.column("archived")
)


# --- Insights -------------------------------------------------------------------------------------


def create_insight(
    *, session: Session, insight_in: ResearchInsightCreate, actor: str
) -> ResearchInsight:
    """Add an insight: a short claim that groups notes."""
    claim = _check_text(insight_in.claim, "claim")
    insight = ResearchInsight(
        claim=claim,
        description=insight_in.description,
        tags=clean_tags(insight_in.tags),
        created_by=actor,
        updated_by=actor,
    )
    session.add(insight)
    session.flush()
    return insight


def list_insights(*, session: Session, include_merged: bool = False) -> list[ResearchInsight]:
    """Insights by claim; merged ones only when asked."""
    query = select(ResearchInsight).order_by(col(ResearchInsight.claim), col(ResearchInsight.id))
    if not include_merged:
        query = query.where(col(ResearchInsight.merged_into_id).is_(None))
    return list(session.exec(query).all())


def update_insight(
    *,
    session: Session,
    insight_id: int,
    seen_version: int,
    values: Mapping[str, Any],
    actor: str,
) -> ResearchInsight:
    """Change the claim, description, tags or status of an insight if still current."""
    unknown = set(values) - {"claim", "description", "tags", "status"}
    if unknown:
        raise ParameterError(f"cannot edit {sorted(unknown)} of an insight", fix="Edit its text.")
    changes = dict(values)
    if "claim" in changes:
        changes["claim"] = _check_text(changes["claim"], "claim")
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"])
    if "status" in changes and changes["status"] not in INSIGHT_STATUSES[:-1]:
        raise ParameterError(
            f"unknown status {changes['status']!r}",
            fix=f"Use one of {', '.join(INSIGHT_STATUSES[:-1])} (merge to merge).",
        )
    return _update_insight(session, insight_id, seen_version, changes, actor)


def _update_insight(
    session: Session, insight_id: int, seen_version: int, values: dict[str, Any], actor: str
) -> ResearchInsight:
    return versioning.versioned_update(
        session,
        ResearchInsight,
        insight_id,
        seen_version=seen_version,
        values={**values, "updated_by": actor},
        entity="research_insight",
        label="insight",
    )


def canonical_id(*, session: Session, insight_id: int) -> int:
    """The insight that *insight_id* was merged into, following merges (itself if not merged)."""
    seen = {insight_id}
    current = get_insight(session=session, insight_id=insight_id)
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        current = get_insight(session=session, insight_id=current.merged_into_id)
    return int(current.id or insight_id)


def merge_insights(
    *, session: Session, insight_id: int, into_id: int, seen_version: int, actor: str
) -> ResearchInsight:
    """Merge insight *insight_id* into *into_id*; its notes and links then count there.

    The merged insight keeps its notes, links and claim (provenance); undo with
    :func:`unmerge_insight`.
    """
    target = canonical_id(session=session, insight_id=into_id)
    if target == insight_id:
        raise ParameterError(
            f"insight {insight_id} cannot be merged into itself", fix="Pick another insight."
        )
    return _update_insight(
        session, insight_id, seen_version, {"merged_into_id": target, "status": "merged"}, actor
    )


def unmerge_insight(
    *, session: Session, insight_id: int, seen_version: int, actor: str
) -> ResearchInsight:
    """Undo a merge: the insight stands alone again, with its own notes."""
    return _update_insight(
        session, insight_id, seen_version, {"merged_into_id": None, "status": "open"}, actor
    )


def merged_ids(*, session: Session, insight_id: int) -> list[int]:
    """*insight_id* and every insight merged into it, directly or through another merge."""
    children: dict[int, list[int]] = defaultdict(list)
    for row_id, parent in session.execute(
        sa.select(col(ResearchInsight.id), col(ResearchInsight.merged_into_id))
    ):
        if parent is not None:
            children[int(parent)].append(int(row_id))
    out, todo = [], [insight_id]
    while todo:
        current = todo.pop()
        if current not in out:
            out.append(current)
            todo.extend(children[current])
    return out


def insight_note_ids(*, session: Session, insight_id: int) -> list[int]:
    """The notes behind an insight: its own and those of insights merged into it."""
    ids = merged_ids(session=session, insight_id=insight_id)
    query = sa.select(col(ResearchNote.id)).where(col(ResearchNote.insight_id).in_(ids))
    return sorted(int(r) for r in session.execute(query).scalars())


def assign_note(
    *, session: Session, note_id: int, insight_id: int | None, seen_version: int, actor: str
) -> ResearchNote:
    """Put a note under an insight (or take it out with ``None``)."""
    return update_note(
        session=session,
        note_id=note_id,
        seen_version=seen_version,
        values={"insight_id": insight_id},
        actor=actor,
    )


# --- Links ----------------------------------------------------------------------------------------


def item_id_for_key(*, session: Session, key: str) -> int:
    """The id of the roadmap item with *key* (NotFoundError naming close keys otherwise)."""
    found = session.execute(
        sa.select(_ROADMAP.c.id).where(_ROADMAP.c.key == key)
    ).scalar_one_or_none()
    if found is None:
        keys = [str(k) for k in session.execute(sa.select(_ROADMAP.c.key)).scalars()]
        raise NotFoundError(
            f"roadmap item {key!r} does not exist",
            fix=did_you_mean(key, keys) or "Import the roadmap first (prodops critique import).",
        )
    return int(found)


def link_item(*, session: Session, insight_id: int, item_id: int, actor: str) -> None:
    """Make an insight evidence for a roadmap item (linking twice is a no-op)."""
    get_insight(session=session, insight_id=insight_id)
    if session.execute(sa.select(_ROADMAP.c.id).where(_ROADMAP.c.id == item_id)).first() is None:
        raise NotFoundError(f"roadmap item {item_id} does not exist", fix="Reload the page.")
    if session.get(InsightRoadmapItem, (insight_id, item_id)) is None:
        session.add(InsightRoadmapItem(insight_id=insight_id, item_id=item_id, created_by=actor))
        session.flush()


def unlink_item(*, session: Session, insight_id: int, item_id: int) -> None:
    link = session.get(InsightRoadmapItem, (insight_id, item_id))
    if link is not None:
        session.delete(link)
        session.flush()


def link_key_result(*, session: Session, insight_id: int, key_result_id: int, actor: str) -> None:
    """Link an insight to a key result (linking twice is a no-op)."""
    get_insight(session=session, insight_id=insight_id)
    versioning.get_row(session, KeyResult, key_result_id, label="key result")
    if session.get(InsightKeyResult, (insight_id, key_result_id)) is None:
        session.add(
            InsightKeyResult(insight_id=insight_id, key_result_id=key_result_id, created_by=actor)
        )
        session.flush()


def unlink_key_result(*, session: Session, insight_id: int, key_result_id: int) -> None:
    link = session.get(InsightKeyResult, (insight_id, key_result_id))
    if link is not None:
        session.delete(link)
        session.flush()


def item_insight_ids(*, session: Session, item_id: int) -> list[int]:
    """The insights linked to a roadmap item, as their canonical insights (merges followed)."""
    query = sa.select(col(InsightRoadmapItem.insight_id)).where(
        col(InsightRoadmapItem.item_id) == item_id
    )
    linked = [int(i) for i in session.execute(query).scalars()]
    return sorted({canonical_id(session=session, insight_id=i) for i in linked})


def linked_items(*, session: Session, insight_id: int) -> list[dict[str, Any]]:
    """The roadmap items an insight (or one merged into it) is evidence for: id, key, title."""
    ids = merged_ids(session=session, insight_id=insight_id)
    query = (
        sa.select(_ROADMAP.c.id, _ROADMAP.c.key, _ROADMAP.c.title)
        .join(InsightRoadmapItem, col(InsightRoadmapItem.item_id) == _ROADMAP.c.id)
        .where(col(InsightRoadmapItem.insight_id).in_(ids))
        .distinct()
        .order_by(_ROADMAP.c.title)
    )
    return [dict(r._mapping) for r in session.execute(query)]


def linked_key_result_ids(*, session: Session, insight_id: int) -> list[int]:
    ids = merged_ids(session=session, insight_id=insight_id)
    query = sa.select(col(InsightKeyResult.key_result_id)).where(
        col(InsightKeyResult.insight_id).in_(ids)
    )
    return sorted({int(i) for i in session.execute(query).scalars()})


def evidence_counts(*, session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    """Item id -> notes behind the insights linked to it (0 for items with none)."""
    counts = dict.fromkeys(item_ids, 0)
    for item_id in item_ids:
        notes: set[int] = set()
        for insight_id in item_insight_ids(session=session, item_id=item_id):
            notes.update(insight_note_ids(session=session, insight_id=insight_id))
        counts[item_id] = len(notes)
    return counts
