"""The guard: every insert, update and delete on the store, checked and written to the audit trail.

:func:`install` hooks the store's engine at the level every write goes through (SQLAlchemy's
``before_execute`` / ``after_execute`` connection events): the ORM's flushes, ``session.execute``
of an ``update()`` and a Core ``executemany`` on ``session.connection()`` alike. For each one:

1. *Before*: the acting user's role must allow the operation on that table
   (:func:`prodops.store.access.needed`), else :class:`~prodops.errors.PermissionDeniedError` and
   nothing is sent to the database. Updates and deletes of the audit trail are refused to everyone.
   For an update or delete, the rows it will touch are read (the "before" values).
2. *After*: one :class:`~prodops.store.audit.AuditEntry` per row, in the same transaction (so the
   trail has an entry exactly when the write committed): the inserted values, the changed columns
   before and after, or the deleted row.

The acting user is set by :func:`acting_as` (which :func:`prodops.store.db.write_session` enters
with its ``actor``); a write with none acts as ``PRODOPS_USER``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlmodel import Session

from prodops import config
from prodops.errors import PermissionDeniedError
from prodops.store.access import (
    AUDIT_TABLE,
    UNAUDITED,
    Actor,
    Role,
    as_actor,
    configured_role,
    describe,
    needed,
    refusal,
    team_mode,
)
from prodops.store.audit import AuditEntry, dumps, stored_role
from prodops.store.versioning import utcnow

IGNORED_CHANGES = frozenset({"updated_at"})  # set by every edit: the entry's time says it


@dataclass
class Guard:
    """The acting user of a write session, and their role once read."""

    actor: Actor
    role: Role | None = None

    def role_for(self, connection: sa.Connection) -> Role:
        """The actor's role: configuration first, then the store, then the default role."""
        if self.role is None:
            self.role = (
                configured_role(self.actor)
                or stored_role(connection, self.actor)
                or Role(config.default_role())
            )
        return self.role

    def role_value(self, connection: sa.Connection) -> str:
        return self.role_for(connection).value


@dataclass
class _Pending:
    guard: Guard
    table: sa.Table
    operation: str
    before: list[dict[str, Any]] = field(default_factory=list)


_CURRENT: ContextVar[Guard | None] = ContextVar("prodops_guard", default=None)
_PENDING_KEY = "prodops_guard_pending"


def _pending(conn: sa.Connection) -> weakref.WeakKeyDictionary[Any, _Pending]:
    """The writes under way on *conn*'s DBAPI connection, by statement.

    Per connection, not per process: SQLAlchemy reuses one statement object for every flush of a
    table (its persistence cache), so two sessions writing the same table at once on PostgreSQL
    would otherwise take each other's pending write, and with it each other's actor.
    """
    found = conn.info.get(_PENDING_KEY)
    if found is None:
        found = conn.info[_PENDING_KEY] = weakref.WeakKeyDictionary()
    return found


@contextmanager
def acting_as(actor: Actor | str | None) -> Iterator[Guard]:
    """Make *actor* the acting user of the store writes inside the block."""
    guard = Guard(as_actor(actor))
    token = _CURRENT.set(guard)
    try:
        yield guard
    finally:
        _CURRENT.reset(token)


def current() -> Guard:
    """The guard of the writes now running (``PRODOPS_USER`` when none was set)."""
    return _CURRENT.get() or Guard(as_actor(None))


def role_of(session: Session, actor: Actor | str | None) -> Role:
    """*actor*'s role as the guard would read it (for pages that hide what a role cannot do)."""
    return Guard(as_actor(actor)).role_for(session.connection())


def _refuse_unless(
    guard: Guard, conn: sa.Connection, need: Role, doing: str, *, write: bool = True
) -> None:
    """PermissionDeniedError unless the guard's actor has at least role *need*."""
    role = guard.role_for(conn)
    if not role.allows(need):
        raise refusal(guard.actor, role, doing, need, write=write)


def require(
    session: Session, actor: Actor | str | None, need: Role, doing: str, *, write: bool = False
) -> Actor:
    """Return *actor* if their role is at least *need*; else PermissionDeniedError.

    For what the store's guard does not see: reading the audit trail (an admin's), and the
    catalog's writes (``write=True``: the refusal says nothing was saved).
    """
    guard = Guard(as_actor(actor))
    _refuse_unless(guard, session.connection(), need, doing, write=write)
    return guard.actor


def check(session: Session, table: str, operation: str) -> None:
    """Refuse at once what the guard would refuse at the first statement, in the words of the
    whole operation ("deleting objectives needs the admin role", where a delete that starts by
    removing check-ins would otherwise name those)."""
    need, doing = needed(table, operation), describe(table, operation)
    _refuse_unless(current(), session.connection(), need, doing)


def check_self(name: str, what: str) -> None:
    """In team mode, refuse a write that names someone other than the acting user as its author
    (a reviewer scores only as themselves)."""
    if not team_mode():
        return
    actor = current().actor
    mine = {actor.identity.casefold(), actor.name.casefold()} - {""}
    if actor.system or " ".join(name.split()).casefold() in mine:
        return
    raise PermissionDeniedError(
        f"{actor.shown} cannot {what} as {name!r}: everyone acts only as themselves",
        fix=f"Nothing was saved. {what.capitalize()} as {actor.shown}.",
    )


def install(engine: Engine) -> None:
    """Hook *engine* (a store engine) so every write on it is checked and audited."""
    event.listen(engine, "before_execute", _before)
    event.listen(engine, "after_execute", _after)


def _operation(statement: Any) -> str | None:
    if isinstance(statement, Insert):
        return "insert"
    if isinstance(statement, Update):
        return "update"
    if isinstance(statement, Delete):
        return "delete"
    return None


def _param_sets(multiparams: Any, params: Any) -> list[dict[str, Any]]:
    if multiparams:
        sets: list[dict[str, Any]] = []
        for item in multiparams:
            if isinstance(item, Mapping):
                sets.append(dict(item))
            elif isinstance(item, Sequence):
                sets.extend(dict(i) for i in item if isinstance(i, Mapping))
        return sets or [dict(params or {})]
    return [dict(params or {})]


def _before(
    conn: sa.Connection, statement: Any, multiparams: Any, params: Any, _options: Any
) -> None:
    operation = _operation(statement)
    if operation is None:
        return
    table = statement.table
    name = str(getattr(table, "name", ""))
    if name == "alembic_version":
        return
    if name == AUDIT_TABLE:
        if operation != "insert":
            raise PermissionDeniedError(
                "the audit trail is append-only: no one may change or delete its entries",
                fix="Nothing was changed.",
            )
        return
    guard = current()
    _refuse_unless(guard, conn, needed(name, operation), describe(name, operation))
    if name in UNAUDITED or not isinstance(table, sa.Table):
        return
    pending = _Pending(guard, table, operation)
    if operation != "insert":
        query = sa.select(table)
        if statement.whereclause is not None:
            query = query.where(statement.whereclause)
        for values in _param_sets(multiparams, params):
            rows = conn.execute(query, _where_params(statement, values)).mappings()
            pending.before.extend(dict(row) for row in rows)
    _pending(conn)[statement] = pending


def _where_params(statement: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters of *values* the statement's WHERE clause names (its SET values are not)."""
    if statement.whereclause is None:
        return {}
    elements: Any = sa.sql.visitors.iterate(statement.whereclause)
    names = {p.key for p in elements if _is_bind(p)}
    return {k: v for k, v in values.items() if k in names}


def _is_bind(element: Any) -> bool:
    return isinstance(element, sa.sql.elements.BindParameter)


def _after(
    conn: sa.Connection,
    statement: Any,
    multiparams: Any,
    params: Any,
    _options: Any,
    result: Any,
) -> None:
    pending = _pending(conn).pop(statement, None) if _operation(statement) else None
    if pending is None:
        return
    table, guard = pending.table, pending.guard
    keys = [c.name for c in table.primary_key.columns]
    entries: list[dict[str, Any]] = []
    if pending.operation == "insert":
        inserted = _inserted_keys(result)
        for position, values in enumerate(_param_sets(multiparams, params)):
            shown = {k: v for k, v in values.items() if k in table.c}
            key = inserted[position] if position < len(inserted) else None
            if key is not None:
                shown.update(dict(zip(keys, key, strict=False)))
            entries.append(_entry(guard, conn, table, "insert", shown, None, shown))
    elif pending.operation == "delete":
        for row in pending.before:
            entries.append(_entry(guard, conn, table, "delete", row, row, None))
    else:
        for before, after in zip(
            pending.before, _reread(conn, table, pending.before), strict=False
        ):
            changed = [
                c for c in after if c not in IGNORED_CHANGES and after.get(c) != before.get(c)
            ]
            if changed:
                entries.append(
                    _entry(
                        guard,
                        conn,
                        table,
                        "update",
                        before,
                        {c: before.get(c) for c in changed},
                        {c: after.get(c) for c in changed},
                    )
                )
    if entries and _has_trail(conn):
        audit: Any = AuditEntry.__table__  # type: ignore[attr-defined]
        conn.execute(audit.insert(), entries)


_TRAILS: set[str] = set()  # the stores known to have the audit table (revision 0007 and later)


def forget(engine: Engine) -> None:
    """Read again whether *engine*'s store has the audit table (after a schema change)."""
    _TRAILS.discard(engine.url.render_as_string(hide_password=True))


def _has_trail(conn: sa.Connection) -> bool:
    """Whether the store is at a schema with the audit trail (a test may hold an older one)."""
    url = conn.engine.url.render_as_string(hide_password=True)
    if url not in _TRAILS and sa.inspect(conn).has_table(AUDIT_TABLE):
        _TRAILS.add(url)
    return url in _TRAILS


def _inserted_keys(result: Any) -> list[tuple[Any, ...] | None]:
    try:
        rows = result.inserted_primary_key_rows
    except (sa.exc.InvalidRequestError, AttributeError, TypeError):
        return []
    return [tuple(r) if r is not None and all(v is not None for v in r) else None for r in rows]


def _reread(
    conn: sa.Connection, table: sa.Table, before: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows of *before* as they are now (same order; a row gone reads as empty)."""
    keys = list(table.primary_key.columns)
    if not before or not keys:
        return []
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(before), 500):
        chunk = before[start : start + 500]
        condition = sa.tuple_(*keys).in_([tuple(r[k.name] for k in keys) for r in chunk])
        if len(keys) == 1:
            condition = keys[0].in_([r[keys[0].name] for r in chunk])
        for row in conn.execute(sa.select(table).where(condition)).mappings():
            found[tuple(row[k.name] for k in keys)] = dict(row)
    return [found.get(tuple(r[k.name] for k in keys), {}) for r in before]


def _entry(
    guard: Guard,
    conn: sa.Connection,
    table: sa.Table,
    action: str,
    row: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> dict[str, Any]:
    key = ",".join(str(row.get(c.name, "")) for c in table.primary_key.columns)
    return {
        "at": utcnow(),
        "actor": guard.actor.identity,
        "actor_name": guard.actor.name,
        "role": guard.role_value(conn),
        "action": action,
        "entity": table.name,
        "entity_id": key[:200],
        "before": dumps(before),
        "after": dumps(after),
    }
