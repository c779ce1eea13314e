"""Roadmap-critique CRUD: items (import by key), their key-result links, sessions.

Every function takes a SQLModel ``session`` from :func:`prodops.store.db.write_session` (writes) or
:func:`prodops.store.db.read_session` (reads) and keyword-only arguments. Edits of items and
sessions carry the version the person saw (``UPDATE ... WHERE version = :seen``): a stale edit
raises :class:`prodops.errors.StaleEditError` and writes nothing (:mod:`prodops.store.versioning`).
Scores, submissions and decisions are in :mod:`prodops.critique.scoring` (append-only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from prodops.critique.frameworks import Framework, framework
from prodops.critique.models import (
    CritiqueSession,
    CritiqueSessionCreate,
    Decision,
    RoadmapItem,
    RoadmapItemCreate,
    RoadmapItemKeyResult,
    RoadmapItemUpdate,
    Score,
    SessionItem,
    Submission,
)
from prodops.errors import NotFoundError, ParameterError, did_you_mean
from prodops.okr import KeyResult
from prodops.store import MAX_ID, guard, versioning

ITEM_FIELDS = ("title", "description", "owner", "team", "target_period", "status", "parent")


# --- Items ----------------------------------------------------------------------------------------


def title_key(title: str) -> str:
    """The key of an item that has no external id: ``title:`` + its title in lower case."""
    return "title:" + " ".join(title.lower().split())


def _clean_evidence(evidence: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for entry in evidence:
        link = str(entry.get("link") or "").strip()
        note = str(entry.get("note") or "").strip()
        if link or note:
            out.append({"link": link, "note": note})
    return out


def _check_title(title: str) -> str:
    if not title or not title.strip():
        raise ParameterError("an item needs a title", where="title", fix="Enter a title.")
    return title.strip()


def _check_effort(effort: float | None) -> float | None:
    if effort is not None and not effort >= 0:
        raise ParameterError(f"effort {effort:g} is negative", where="effort", fix="Use >= 0.")
    return effort


def create_item(*, session: Session, item_in: RoadmapItemCreate) -> RoadmapItem:
    """Add a roadmap item; its key (default from the title) must not be taken."""
    title = _check_title(item_in.title)
    key = (item_in.key or "").strip() or title_key(title)
    if get_item_by_key(session=session, key=key) is not None:
        raise ParameterError(
            f"an item with key {key!r} already exists",
            fix="Use another key, or edit the existing item.",
        )
    evidence = _clean_evidence(item_in.evidence)
    data = item_in.model_dump(exclude={"key", "evidence", "title"})
    item = RoadmapItem(
        **data, title=title, key=key, evidence=evidence, evidence_count=len(evidence)
    )
    _check_effort(item.effort)
    session.add(item)
    session.flush()
    return item


def get_item(*, session: Session, item_id: int) -> RoadmapItem:
    item = session.get(RoadmapItem, item_id, populate_existing=True)
    if item is None:
        raise NotFoundError(f"roadmap item {item_id} does not exist", fix="Reload the page.")
    return item


def get_item_by_key(*, session: Session, key: str) -> RoadmapItem | None:
    return session.exec(select(RoadmapItem).where(col(RoadmapItem.key) == key)).first()


def list_items(*, session: Session, include_archived: bool = False) -> list[RoadmapItem]:
    """Return the items, by title."""
    query = select(RoadmapItem).order_by(col(RoadmapItem.title), col(RoadmapItem.id))
    if not include_archived:
        query = query.where(col(RoadmapItem.archived).is_(False))
    return list(session.exec(query).all())


def update_item(
    *,
    session: Session,
    item_id: int,
    seen_version: int,
    item_in: RoadmapItemUpdate | Mapping[str, Any],
) -> RoadmapItem:
    """Change the fields set in *item_in* if the item is still at *seen_version*."""
    values = (
        item_in.model_dump(exclude_unset=True)
        if isinstance(item_in, RoadmapItemUpdate)
        else dict(item_in)
    )
    if "title" in values:
        values["title"] = _check_title(values["title"])
    if "effort" in values:
        _check_effort(values["effort"])
    if "evidence" in values:
        values["evidence"] = _clean_evidence(values["evidence"] or [])
        values["evidence_count"] = len(values["evidence"])
    if not values:
        raise ParameterError("nothing to change", fix="Change at least one field.")
    result: RoadmapItem = _versioned_update(session, RoadmapItem, item_id, seen_version, values)
    return result


def add_evidence(
    *, session: Session, item_id: int, seen_version: int, link: str = "", note: str = ""
) -> RoadmapItem:
    """Append one piece of evidence (a link and/or a note) to an item."""
    item = get_item(session=session, item_id=item_id)
    entry = _clean_evidence([{"link": link, "note": note}])
    if not entry:
        raise ParameterError("evidence needs a link or a note", fix="Enter a link or a note.")
    evidence = [*item.evidence, *entry]
    return update_item(
        session=session, item_id=item_id, seen_version=seen_version, item_in={"evidence": evidence}
    )


def set_archived(
    *, session: Session, item_id: int, seen_version: int, archived: bool = True
) -> RoadmapItem:
    result: RoadmapItem = _versioned_update(
        session, RoadmapItem, item_id, seen_version, {"archived": archived}
    )
    return result


def link_key_results(*, session: Session, item_id: int, key_result_ids: Iterable[int]) -> list[int]:
    """Make the item's key-result links exactly *key_result_ids*; return them sorted."""
    get_item(session=session, item_id=item_id)
    wanted = sorted(set(key_result_ids))
    for kr_id in wanted:
        if session.get(KeyResult, kr_id) is None:
            raise NotFoundError(f"key result {kr_id} does not exist", fix="Pick another one.")
    session.execute(
        sa.delete(RoadmapItemKeyResult).where(col(RoadmapItemKeyResult.item_id) == item_id)
    )
    session.add_all(RoadmapItemKeyResult(item_id=item_id, key_result_id=k) for k in wanted)
    session.flush()
    return wanted


def linked_key_result_ids(*, session: Session, item_ids: Sequence[int]) -> dict[int, list[int]]:
    """Return item id -> linked key-result ids (every item of *item_ids* present)."""
    out: dict[int, list[int]] = {i: [] for i in item_ids}
    if not item_ids:
        return out
    rows = session.exec(
        select(RoadmapItemKeyResult).where(col(RoadmapItemKeyResult.item_id).in_(list(item_ids)))
    ).all()
    for row in rows:
        out[row.item_id].append(row.key_result_id)
    return {k: sorted(v) for k, v in out.items()}


def items_by_key_result(
    *, session: Session, key_result_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """Key-result id -> the (id, title) of the unarchived roadmap items that serve it, by title."""
    out: dict[int, list[tuple[int, str]]] = {k: [] for k in key_result_ids}
    if not key_result_ids:
        return out
    query = (
        select(RoadmapItemKeyResult.key_result_id, RoadmapItem.id, RoadmapItem.title)
        .join(RoadmapItem, col(RoadmapItem.id) == col(RoadmapItemKeyResult.item_id))
        .where(
            col(RoadmapItemKeyResult.key_result_id).in_(list(key_result_ids)),
            col(RoadmapItem.archived).is_(False),
        )
        .order_by(col(RoadmapItem.title), col(RoadmapItem.id))
    )
    for kr_id, item_id, title in session.exec(query).all():
        out[kr_id].append((int(item_id or 0), title))
    return out


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def import_items(*, session: Session, frame: pd.DataFrame) -> ImportResult:
    """Create or update items, by key, from the frame of :func:`roadmap_import.apply_mapping`.

    An existing item (same key) gets the imported fields and a new version when one differs;
    evidence, key-result links and the archived flag are kept. Nothing is ever duplicated.
    """
    created = updated = unchanged = 0
    for record in frame.to_dict("records"):
        effort = record.get("effort")
        fields: dict[str, Any] = {f: str(record.get(f) or "") for f in ITEM_FIELDS}
        fields["effort"] = None if effort is None or pd.isna(effort) else float(effort)
        fields["tags"] = list(record.get("tags") or [])
        key = str(record.get("key") or "") or title_key(fields["title"])
        existing = get_item_by_key(session=session, key=key)
        if existing is None:
            create_item(session=session, item_in=RoadmapItemCreate(key=key, **fields))
            created += 1
            continue
        changes = {f: v for f, v in fields.items() if getattr(existing, f) != v}
        if not changes:
            unchanged += 1
            continue
        assert existing.id is not None
        update_item(
            session=session, item_id=existing.id, seen_version=existing.version, item_in=changes
        )
        updated += 1
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


# --- Sessions -------------------------------------------------------------------------------------


def create_session(
    *, session: Session, session_in: CritiqueSessionCreate, item_ids: Sequence[int]
) -> CritiqueSession:
    """Open a critique session over *item_ids* (kept in that order)."""
    name = session_in.name.strip()
    if not name:
        raise ParameterError("a session needs a name", where="name", fix="Enter a name.")
    fw = Framework.from_dict(session_in.framework or framework("rubric").to_dict())
    if not item_ids:
        raise ParameterError("a session needs items", fix="Pick at least one roadmap item.")
    participants = list(dict.fromkeys(p.strip() for p in session_in.participants if p.strip()))
    row = CritiqueSession(
        name=name, held_on=session_in.held_on, framework=fw.to_dict(), participants=participants
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for position, item_id in enumerate(dict.fromkeys(item_ids)):
        get_item(session=session, item_id=item_id)
        session.add(SessionItem(session_id=row.id, item_id=item_id, position=position))
    session.flush()
    return row


def get_session(*, session: Session, session_id: int) -> CritiqueSession:
    row = session.get(CritiqueSession, session_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"critique session {session_id} does not exist", fix="Reload.")
    return row


def find_session(*, session: Session, ref: str) -> CritiqueSession:
    """Return the session whose id or name is *ref* (the CLI's SESSION argument)."""
    if ref.isdigit() and int(ref) <= MAX_ID:  # a larger number is no row's id
        return get_session(session=session, session_id=int(ref))
    rows = session.exec(select(CritiqueSession).where(col(CritiqueSession.name) == ref)).all()
    if not rows:
        names = session.exec(select(CritiqueSession.name)).all()
        raise NotFoundError(
            f"no critique session named {ref!r}", fix=did_you_mean(ref, names) or "Check the name."
        )
    return max(rows, key=lambda r: r.id or 0)


def list_sessions(*, session: Session) -> list[CritiqueSession]:
    """Return the sessions, newest first."""
    query = select(CritiqueSession).order_by(
        col(CritiqueSession.held_on).desc(), col(CritiqueSession.id).desc()
    )
    return list(session.exec(query).all())


def session_items(*, session: Session, session_id: int) -> list[RoadmapItem]:
    """Return the items of a session in their order."""
    query = (
        select(RoadmapItem)
        .join(SessionItem, col(SessionItem.item_id) == col(RoadmapItem.id))
        .where(col(SessionItem.session_id) == session_id)
        .order_by(col(SessionItem.position))
    )
    return list(session.exec(query).all())


def set_session_status(
    *, session: Session, session_id: int, seen_version: int, status: str
) -> CritiqueSession:
    """Close (or reopen) a session; closed sessions accept no scores."""
    if status not in ("open", "closed"):
        raise ParameterError(f"unknown status {status!r}", fix="Use 'open' or 'closed'.")
    result: CritiqueSession = _versioned_update(
        session, CritiqueSession, session_id, seen_version, {"status": status}
    )
    return result


def session_framework(row: CritiqueSession) -> Framework:
    return Framework.from_dict(row.framework)


def delete_session(*, session: Session, session_id: int) -> None:
    """Delete a critique session with its scores, submissions and decisions (its items stay)."""
    guard.check(session, "critique_session", "delete")
    get_session(session=session, session_id=session_id)
    for model in (Score, Submission, Decision, SessionItem):
        session.execute(sa.delete(model).where(col(model.session_id) == session_id))
    versioning.delete_edit_log(session=session, entity="critique_session", entity_id=session_id)
    session.execute(sa.delete(CritiqueSession).where(col(CritiqueSession.id) == session_id))
    session.expire_all()


def item_in_sessions(*, session: Session, item_id: int) -> list[int]:
    """The ids of the critique sessions that hold an item."""
    query = select(SessionItem.session_id).where(col(SessionItem.item_id) == item_id)
    return sorted(session.exec(query).all())


def unlink_key_result(*, session: Session, key_result_id: int) -> None:
    """Remove every roadmap item's link to a key result (before the key result is deleted)."""
    session.execute(
        sa.delete(RoadmapItemKeyResult).where(
            col(RoadmapItemKeyResult.key_result_id) == key_result_id
        )
    )


def delete_item(*, session: Session, item_id: int) -> None:
    """Delete an archived roadmap item that no critique session holds, with its key-result links.

    An item that is not archived, or that a session still holds (its scores and decisions are
    that session's record), is refused with a ParameterError.
    """
    guard.check(session, "roadmap_item", "delete")
    item = get_item(session=session, item_id=item_id)
    if not item.archived:
        raise ParameterError(
            f"roadmap item {item.title!r} is not archived, so it cannot be deleted",
            fix="Archive it first; only archived items can be deleted.",
        )
    held = item_in_sessions(session=session, item_id=item_id)
    if held:
        raise ParameterError(
            f"roadmap item {item.title!r} is part of critique session {held[0]}",
            fix="Keep it archived, or delete that session first.",
        )
    session.execute(
        sa.delete(RoadmapItemKeyResult).where(col(RoadmapItemKeyResult.item_id) == item_id)
    )
    versioning.delete_edit_log(session=session, entity="roadmap_item", entity_id=item_id)
    session.execute(sa.delete(RoadmapItem).where(col(RoadmapItem.id) == item_id))
    session.expire_all()


# --- Shared machinery -----------------------------------------------------------------------------


_ENTITY = {
    RoadmapItem: ("roadmap_item", "roadmap item"),
    CritiqueSession: ("critique_session", "critique session"),
}


def _versioned_update(
    session: Session,
    model: type[RoadmapItem] | type[CritiqueSession],
    row_id: int,
    seen_version: int,
    values: dict[str, Any],
) -> Any:
    """The store's one safe edit (:func:`prodops.store.versioning.versioned_update`)."""
    entity, label = _ENTITY[model]
    return versioning.versioned_update(
        session, model, row_id, seen_version=seen_version, values=values, entity=entity, label=label
    )
