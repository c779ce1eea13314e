"""One way to make a safe edit: optimistic versioning with an append-only edit log.

Every editable row has a ``version`` column. An edit carries the version the person saw and runs
``UPDATE ... SET ..., version = version + 1 WHERE id = :id AND version = :seen`` (DESIGN.md,
decision 5). When someone else saved first, nothing is written and :class:`StaleEditError` says
which fields changed since, read from the edit log. Features (OKRs, critique and everything after)
call :func:`versioned_update` and never write their own ``UPDATE``.

The log table keeps its historical name ``okr_edit_log`` (no schema change); ``entity`` tells
whose row it is (``objective``, ``key_result``, ``roadmap_item``, ``critique_session``, ...).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from prodops.errors import NotFoundError, StaleEditError

# Streamlit re-imports edited modules in a running app; let the tables be defined again.
REDEFINABLE: dict[str, bool] = {"extend_existing": True}


def utcnow() -> dt.datetime:
    """Return the current time, aware, in UTC (how the store keeps timestamps)."""
    return dt.datetime.now(dt.UTC)


class EditLog(SQLModel, table=True):
    """One row per accepted edit: the entity, the version it produced, the fields it set (JSON)."""

    __tablename__ = "okr_edit_log"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)  # "objective", "key_result", "roadmap_item", ...
    entity_id: int = Field(index=True)
    version: int
    changes: str  # JSON object: field -> new value
    created_at: dt.datetime = Field(default_factory=utcnow)


Row = TypeVar("Row", bound=SQLModel)


def get_row(session: Session, model: type[Row], row_id: int, *, label: str) -> Row:
    """Return the row *row_id* of *model*, re-read from the database; NotFoundError if absent."""
    row = session.get(model, row_id, populate_existing=True)
    if row is None:
        raise NotFoundError(
            f"{label} {row_id} does not exist", fix="It may have been deleted; reload the page."
        )
    return row


def versioned_update(
    session: Session,
    model: type[Row],
    row_id: int,
    *,
    seen_version: int,
    values: dict[str, Any],
    entity: str,
    label: str,
) -> Row:
    """Apply *values* to row *row_id* if it is still at *seen_version*; log the edit.

    Parameters
    ----------
    session
        A write session (``BEGIN IMMEDIATE`` on SQLite).
    model
        The table class; it must have ``id``, ``version`` and ``updated_at`` columns.
    seen_version
        The version the person's edit is based on.
    values
        Column -> new value.
    entity, label
        The entity name kept in the edit log, and how messages name it ("key result").

    Returns
    -------
    The row as it is after the edit (version ``seen_version + 1``).

    Raises
    ------
    StaleEditError
        When the row changed since *seen_version* (nothing is written); the message names the
        fields that changed and their current values.
    NotFoundError
        When the row no longer exists.
    """
    table: Any = model
    result = session.execute(
        sa.update(model)
        .where(table.id == row_id, table.version == seen_version)
        .values(**values, version=table.version + 1, updated_at=utcnow())
    )
    if cast(sa.CursorResult[Any], result).rowcount != 1:
        raise stale_error(session, model, row_id, seen_version, entity=entity, label=label)
    changes = json.dumps(values, default=_json_default, sort_keys=True)
    session.add(EditLog(entity=entity, entity_id=row_id, version=seen_version + 1, changes=changes))
    session.flush()
    return get_row(session, model, row_id, label=label)


def stale_error(
    session: Session, model: type[Row], row_id: int, seen_version: int, *, entity: str, label: str
) -> StaleEditError:
    """The "changed since you opened it" error, naming what changed after *seen_version*."""
    current: Any = get_row(session, model, row_id, label=label)  # NotFoundError when deleted
    changed: dict[str, None] = {}
    for entry in edit_log(session=session, entity=entity, entity_id=row_id):
        if entry.version > seen_version:
            changed.update(dict.fromkeys(json.loads(entry.changes)))
    shown = ", ".join(f"{name} is now {getattr(current, name)!r}" for name in changed)
    return StaleEditError(
        f"{label} {row_id} was changed by someone else since you opened it (you saw "
        f"version {seen_version}, it is now version {current.version})"
        + (f": {shown}" if shown else ""),
        fix="Nothing was saved; reload to see the current values and apply your edit again.",
    )


def edit_log(*, session: Session, entity: str, entity_id: int) -> list[EditLog]:
    """The accepted edits of one row, oldest first."""
    query = (
        select(EditLog)
        .where(col(EditLog.entity) == entity, col(EditLog.entity_id) == entity_id)
        .order_by(col(EditLog.version))
    )
    return list(session.exec(query).all())


def delete_edit_log(*, session: Session, entity: str, entity_id: int) -> None:
    """Remove the edit log of a row that is being deleted."""
    session.execute(
        sa.delete(EditLog).where(col(EditLog.entity) == entity, col(EditLog.entity_id) == entity_id)
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot log {type(value).__name__}")
