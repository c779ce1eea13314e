"""Customer-insight CRUD: notes (typed or imported), their imports and duplicate marks.

Every function takes a SQLModel ``session`` from :func:`prodops.store.db.write_session` (writes)
or :func:`prodops.store.db.read_session` (reads), keyword-only arguments, and for writes the
*actor* (who): rows record who created and last changed them, and when. Edits carry the version
the person saw and go through :func:`prodops.store.versioning.versioned_update`, so a stale edit
raises :class:`prodops.errors.StaleEditError` and writes nothing.

Insights, merges and links live in :mod:`prodops.research.insight_crud`. A note marked as a
duplicate of another keeps its own row (:func:`mark_duplicate` /
:func:`unmark_duplicate`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from prodops.errors import ParameterError, did_you_mean
from prodops.research.models import (
    SOURCE_KINDS,
    ResearchInsight,
    ResearchNote,
    ResearchNoteCreate,
)
from prodops.store import versioning

NOTE_FIELDS = (
    "text",
    "source_kind",
    "customer_id",
    "customer_email",
    "customer_company",
    "noted_on",
    "link",
    "tags",
    "score",
    "properties",
)


def check_source_kind(kind: str) -> str:
    """Return *kind* if it is one of :data:`SOURCE_KINDS`; ParameterError naming them otherwise."""
    if kind not in SOURCE_KINDS:
        raise ParameterError(
            f"unknown source kind {kind!r}",
            where="source kind",
            fix=(did_you_mean(kind, SOURCE_KINDS) + " " if did_you_mean(kind, SOURCE_KINDS) else "")
            + f"Use one of {', '.join(SOURCE_KINDS)}.",
        )
    return kind


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags stripped, lower case, without blanks or repeats, in their first order.

    >>> clean_tags([" SSO", "sso", "", "Security "])
    ['sso', 'security']
    """
    out: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).lower().split())
        if tag and tag not in out:
            out.append(tag)
    return out


def _check_text(text: str, what: str) -> str:
    if not text or not str(text).strip():
        raise ParameterError(f"the {what} is empty", where=what, fix=f"Enter the {what}.")
    return str(text).strip()


# --- Notes ----------------------------------------------------------------------------------------


def create_note(*, session: Session, note_in: ResearchNoteCreate, actor: str) -> ResearchNote:
    """Add one note (typed on the page, or one row of an import)."""
    data = note_in.model_dump(exclude={"source", "source_id"})
    data["text"] = _check_text(data["text"], "note text")
    check_source_kind(data["source_kind"])
    data["tags"] = clean_tags(data["tags"])
    source_id = (note_in.source_id or "").strip() or f"manual-{uuid.uuid4().hex[:12]}"
    if get_note_by_source(session=session, source=note_in.source, source_id=source_id):
        raise ParameterError(
            f"a note with source id {source_id!r} already exists in {note_in.source}",
            fix="Use another id, or edit the existing note.",
        )
    note = ResearchNote(
        **data, source=note_in.source, source_id=source_id, created_by=actor, updated_by=actor
    )
    session.add(note)
    session.flush()
    return note


def get_note(*, session: Session, note_id: int) -> ResearchNote:
    return versioning.get_row(session, ResearchNote, note_id, label="note")


def get_insight(*, session: Session, insight_id: int) -> ResearchInsight:
    return versioning.get_row(session, ResearchInsight, insight_id, label="insight")


def get_note_by_source(*, session: Session, source: str, source_id: str) -> ResearchNote | None:
    query = select(ResearchNote).where(
        col(ResearchNote.source) == source, col(ResearchNote.source_id) == source_id
    )
    return session.exec(query).first()


def list_notes(*, session: Session) -> list[ResearchNote]:
    """Every note, oldest first (search with :func:`prodops.research.search.search_notes`)."""
    return list(session.exec(select(ResearchNote).order_by(col(ResearchNote.id))).all())


def update_note(
    *,
    session: Session,
    note_id: int,
    seen_version: int,
    values: Mapping[str, Any],
    actor: str,
) -> ResearchNote:
    """Change the given fields of a note (and its insight, ``insight_id``) if still current."""
    allowed = {*NOTE_FIELDS, "insight_id", "duplicate_of_id"}
    unknown = set(values) - allowed
    if unknown:
        raise ParameterError(f"cannot edit {sorted(unknown)} of a note", fix="Edit note fields.")
    changes = dict(values)
    if "text" in changes:
        changes["text"] = _check_text(changes["text"], "note text")
    if "source_kind" in changes:
        check_source_kind(changes["source_kind"])
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"])
    if changes.get("insight_id") is not None:
        get_insight(session=session, insight_id=int(changes["insight_id"]))
    return versioning.versioned_update(
        session,
        ResearchNote,
        note_id,
        seen_version=seen_version,
        values={**changes, "updated_by": actor},
        entity="research_note",
        label="note",
    )


@dataclass(frozen=True)
class ImportCounts:
    """What an import did: notes added, notes updated (same source id), notes already current."""

    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged"


def import_notes(*, session: Session, rows: pd.DataFrame, source: str, actor: str) -> ImportCounts:
    """Create or update notes from canonical *rows* (:func:`prodops.research.importers`).

    A row whose ``source_id`` is already stored for *source* updates that note (and bumps its
    version, so an open edit of it becomes stale); an identical row changes nothing. Links to
    insights, duplicate marks and who created the note are kept.
    """
    table: Any = ResearchNote
    current = session.execute(
        sa.select(table.id, table.source_id, *[getattr(table, f) for f in NOTE_FIELDS]).where(
            table.source == source
        )
    )
    # source id -> (note id, its fields): plain rows, not ORM objects (imports reach 100k notes).
    existing = {r[1]: (int(r[0]), dict(zip(NOTE_FIELDS, r[2:], strict=True))) for r in current}
    created = updated = unchanged = 0
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    now = versioning.utcnow()
    for record in rows.to_dict("records"):
        values = {f: _cell(record.get(f), f) for f in NOTE_FIELDS}
        source_id = str(record["source_id"])
        found = existing.get(source_id)
        if found is None:
            new_rows.append(
                {**values, "source": source, "source_id": source_id, "created_by": actor}
            )
            created += 1
        elif found[1] == values:
            unchanged += 1
        else:
            changes.append({**values, "note_id": found[0]})
            updated += 1
    if changes:  # bump the version: an edit opened before the re-import becomes stale
        core: Any = ResearchNote.__table__  # type: ignore[attr-defined]  # Core executemany
        session.connection().execute(
            sa.update(core)
            .where(core.c.id == sa.bindparam("note_id"))
            .values(
                **{f: sa.bindparam(f) for f in NOTE_FIELDS},
                version=core.c.version + 1,
                updated_by=actor,
                updated_at=now,
            ),
            changes,
        )
        session.expire_all()
    if new_rows:
        session.execute(
            sa.insert(ResearchNote),
            [
                {
                    **r,
                    "updated_by": actor,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "insight_id": None,
                    "duplicate_of_id": None,
                }
                for r in new_rows
            ],
        )
    session.flush()
    return ImportCounts(created=created, updated=updated, unchanged=unchanged)


def _cell(value: Any, field: str) -> Any:
    if field in ("tags",):
        return clean_tags(value if isinstance(value, list) else [])
    if field == "properties":
        return dict(value) if isinstance(value, dict) else {}
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return None if field in ("noted_on", "score") else ""
    if field == "score":
        return int(value)
    if field == "noted_on":
        return pd.Timestamp(value).date()
    return str(value)


def mark_duplicate(
    *, session: Session, note_id: int, of_note_id: int, seen_version: int, actor: str
) -> ResearchNote:
    """Mark a note as a duplicate of another (it stays, and joins the original's insight)."""
    if note_id == of_note_id:
        raise ParameterError("a note cannot duplicate itself", fix="Pick another note.")
    original = get_note(session=session, note_id=of_note_id)
    values: dict[str, Any] = {"duplicate_of_id": of_note_id}
    if original.insight_id is not None:
        values["insight_id"] = original.insight_id
    return update_note(
        session=session, note_id=note_id, seen_version=seen_version, values=values, actor=actor
    )


def unmark_duplicate(
    *, session: Session, note_id: int, seen_version: int, actor: str
) -> ResearchNote:
    """Undo :func:`mark_duplicate` (the note keeps the insight it joined)."""
    return update_note(
        session=session,
        note_id=note_id,
        seen_version=seen_version,
        values={"duplicate_of_id": None},
        actor=actor,
    )
