"""The team's roles and the audit trail: who changed what, when, from which value to which.

:mod:`prodops.store.guard` appends an :class:`AuditEntry` for every row any write session inserts,
updates or deletes (the values before and after, as JSON); dataset and connection changes, which
live in the catalog rather than the store, are recorded with :func:`record`. The trail is
append-only: the guard refuses any update or delete of it, whoever asks. Roles assigned by admins
are :class:`TeamMember` rows (``PRODOPS_ADMINS`` are admins whatever the table says).

Examples
--------
>>> import tempfile
>>> from prodops.store.db import init_store, read_session, write_session
>>> tmp = tempfile.TemporaryDirectory()
>>> engine = init_store(f"sqlite:///{tmp.name}/store.db")
>>> with write_session(engine, actor="ana@example.com") as session:
...     _ = set_role(session=session, identity="Bo@Example.com", role="editor")
>>> with read_session(engine) as session:
...     [(m.identity, m.role) for m in list_members(session=session)]
...     [(e.actor, e.action, e.entity, e.entity_id) for e in list_entries(session=session)]
[('bo@example.com', 'editor')]
[('ana@example.com', 'insert', 'team_member', 'bo@example.com')]
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from prodops.errors import NotFoundError, ParameterError
from prodops.store.access import Actor, Role
from prodops.store.versioning import REDEFINABLE, utcnow

IDENTITY_MAX = 200
LIST_LIMIT = 10_000  # the most entries one listing returns (the export takes them all)


class TeamMember(SQLModel, table=True):
    """A role an admin assigned to an identity (an e-mail, or a name in local mode)."""

    __tablename__ = "team_member"
    __table_args__ = REDEFINABLE
    identity: str = Field(primary_key=True, max_length=IDENTITY_MAX)  # lower case
    role: str = Field(max_length=10)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=IDENTITY_MAX)


class AuditEntry(SQLModel, table=True):
    """One write: who (identity, name, role then), when, what (table, row) and before/after."""

    __tablename__ = "audit_log"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=IDENTITY_MAX, index=True)
    actor_name: str = Field(default="", max_length=IDENTITY_MAX)
    role: str = Field(max_length=10)
    action: str = Field(max_length=20)  # insert, update, delete; import, rename, ... (datasets)
    entity: str = Field(max_length=40, index=True)  # a table name, or "dataset", "connection"
    entity_id: str = Field(default="", max_length=200)
    before: str | None = None  # JSON object: column -> value (None for an insert)
    after: str | None = None  # JSON object: column -> value (None for a delete)


def dumps(values: Mapping[str, Any] | None) -> str | None:
    """*values* as the trail keeps them: sorted JSON, dates as ISO text."""
    if values is None:
        return None
    return json.dumps(dict(values), sort_keys=True, default=_plain)


def _plain(value: Any) -> Any:
    """What JSON cannot hold as it is: dates and times as ISO text, anything else as text."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def record(
    *,
    session: Session,
    action: str,
    entity: str,
    entity_id: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry for a write the store does not see (a dataset import, a rename).

    The actor and their role are those of *session* (a :func:`~prodops.store.db.write_session`).
    """
    from prodops.store import guard

    current = guard.current()
    session.add(
        AuditEntry(
            actor=current.actor.identity,
            actor_name=current.actor.name,
            role=current.role_value(session.connection()),
            action=action,
            entity=entity,
            entity_id=entity_id[:200],
            before=dumps(before),
            after=dumps(after),
        )
    )
    session.flush()


# --- Roles ----------------------------------------------------------------------------------------


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _identity(text: str) -> str:
    identity = " ".join(text.split()).lower()
    if not identity or len(identity) > IDENTITY_MAX:
        raise ParameterError(
            f"{text[:60]!r} is not an identity",
            fix=f"Give the person's e-mail (at most {IDENTITY_MAX} characters).",
        )
    return identity


def set_role(*, session: Session, identity: str, role: str | Role) -> TeamMember:
    """Give *identity* (an e-mail) *role*; only an admin may (the guard refuses others)."""
    try:
        chosen = role if isinstance(role, Role) else Role.parse(role)
    except ValueError as error:
        raise ParameterError(str(error), fix="Use viewer, editor or admin.") from None
    key = _identity(identity)
    if not _EMAIL.fullmatch(key):  # roles matter in team mode, where people sign in by e-mail
        raise ParameterError(
            f"{identity[:60]!r} is not an e-mail",
            where="identity",
            fix="Give the e-mail the person signs in with, such as bo@example.com.",
        )
    from prodops.store import guard

    by = guard.current().actor.identity
    member = session.get(TeamMember, key)
    if member is None:
        member = TeamMember(identity=key, role=chosen.value, updated_by=by)
    else:
        member.role, member.updated_at, member.updated_by = chosen.value, utcnow(), by
    session.add(member)
    session.flush()
    return member


def remove_member(*, session: Session, identity: str) -> None:
    """Forget the role assigned to *identity* (they fall back to ``PRODOPS_DEFAULT_ROLE``)."""
    member = session.get(TeamMember, _identity(identity))
    if member is None:
        raise NotFoundError(
            f"no role is assigned to {identity[:60]!r}",
            where="team",
            fix="See who has one with `prodops team list` (or on the Team page).",
        )
    session.delete(member)
    session.flush()


def list_members(*, session: Session) -> list[TeamMember]:
    """The assigned roles, by identity."""
    return list(session.exec(select(TeamMember).order_by(col(TeamMember.identity))).all())


def stored_role(connection: sa.Connection, actor: Actor) -> Role | None:
    """The role assigned to *actor* in the store, if any (read on *connection*)."""
    table: Any = TeamMember.__table__  # type: ignore[attr-defined]
    value = connection.execute(
        sa.select(table.c.role).where(table.c.identity == actor.key)
    ).scalar_one_or_none()
    return Role(value) if value in {r.value for r in Role} else None


# --- The trail ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: by whom (identity, any case), what (table or entity), since when."""

    actor: str | None = None
    entity: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def browse(
    *,
    session: Session,
    actor: Actor | str | None,
    where: AuditFilter | None = None,
    limit: int | None = LIST_LIMIT,
) -> list[AuditEntry]:
    """The trail as *actor* may read it: :func:`list_entries` for an admin, else refused."""
    from prodops.store import guard

    guard.require(session, actor, Role.ADMIN, "reading the audit trail")
    return list_entries(session=session, where=where, limit=limit)


def list_entries(
    *, session: Session, where: AuditFilter | None = None, limit: int | None = LIST_LIMIT
) -> list[AuditEntry]:
    """The trail, newest first, filtered by *where* (no role check: see :func:`browse`)."""
    where = where or AuditFilter()
    query = select(AuditEntry)
    if where.actor:
        query = query.where(sa.func.lower(col(AuditEntry.actor)) == where.actor.strip().lower())
    if where.entity:
        query = query.where(col(AuditEntry.entity) == where.entity)
    if where.since is not None:
        query = query.where(col(AuditEntry.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEntry.at) < where.until)
    query = query.order_by(col(AuditEntry.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def entries_frame(entries: list[AuditEntry]) -> pd.DataFrame:
    """The entries as a table (UTC times; before/after as the JSON text)."""
    columns = ["at", "actor", "actor_name", "role", "action", "entity", "entity_id"]
    frame = pd.DataFrame(
        [
            {c: getattr(e, c) for c in columns} | {"before": e.before, "after": e.after}
            for e in entries
        ],
        columns=[*columns, "before", "after"],
    )
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def export_csv(entries: list[AuditEntry]) -> str:
    """The entries as CSV, every cell that a spreadsheet would run as a formula made inert."""
    from prodops.export import to_safe_csv

    return to_safe_csv(entries_frame(entries))
