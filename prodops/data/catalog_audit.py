"""Who may change the catalog, and the audit entries of those changes.

Datasets and connections live in the catalog (DuckDB), not in the store, so the store's guard
(:mod:`prodops.store.guard`) does not see them. Every :class:`~prodops.data.catalog.Catalog` method
that changes the catalog calls :func:`authorize` first (importing, renaming, deleting datasets and
connecting databases are an admin's: docs/adr/0015-roles-and-audit.md) and :func:`record` once it is
done, which appends an entry to the store's audit trail. In local mode (no ``PRODOPS_ADMINS``)
authorizing reads no store at all.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from prodops.store.access import Actor, Role, as_actor, configured_role


def authorize(actor: Actor | str | None, doing: str) -> Actor:
    """Return *actor* as an :class:`Actor` if they are an admin; else PermissionDeniedError."""
    who = as_actor(actor)
    if configured_role(who) is Role.ADMIN:  # local mode, a configured admin: no store to read
        return who
    from prodops.store.db import init_store, read_session
    from prodops.store.guard import require

    with read_session(init_store()) as session:
        return require(session, who, Role.ADMIN, doing, write=True)


def prepare_in_background() -> threading.Thread:
    """Import and open the store in a thread while the caller's DuckDB work runs.

    DuckDB releases the GIL while it reads a file, so the store's start-up (SQLAlchemy, SQLModel,
    the schema check: about half a second) costs a whole ``prodops import`` nothing. Join the
    thread before :func:`record`; a failure here is left for :func:`record` to report.
    """

    def warm() -> None:
        try:
            from prodops.store import audit  # noqa: F401  (imported for its tables)
            from prodops.store.db import init_store

            init_store()
        except Exception:  # record() opens the store again and says what failed
            return

    thread = threading.Thread(target=warm, name="prodops-store-warm-up", daemon=True)
    thread.start()
    return thread


def record(
    actor: Actor,
    action: str,
    *,
    entity: str = "dataset",
    name: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append "*actor* did *action* to dataset *name*" to the audit trail."""
    from prodops.store import audit
    from prodops.store.db import init_store, write_session

    with write_session(init_store(), actor=actor) as session:
        audit.record(
            session=session,
            action=action,
            entity=entity,
            entity_id=name,
            before=before,
            after=after,
        )


def summary(info: Any) -> dict[str, Any]:
    """What the trail keeps of a dataset: kind, rows, users, source, version."""
    fields = ("name", "kind", "rows", "entities", "source", "version", "live")
    return {f: getattr(info, f) for f in fields if hasattr(info, f)}
