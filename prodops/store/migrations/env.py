"""Alembic environment of the ProdOps store (run programmatically by prodops.store.db.migrate).

``prodops.store.db.migrate`` passes an open connection in ``config.attributes["connection"]`` so the
migration runs inside its locked transaction (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL). Run from the ``alembic`` command line instead, it connects to ``sqlalchemy.url``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

# The schema's composition root: every feature's tables register on SQLModel.metadata here (the
# only place under store/ that names features; autogenerate compares against all of them).
import prodops.critique.models
import prodops.okr.models
import prodops.qbr.models
import prodops.research.models
import prodops.store.audit
import prodops.store.versioning  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the alembic command line: connect with the store's settings
        from prodops.store.db import get_engine

        with get_engine(config.get_main_option("sqlalchemy.url")).begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: copy-and-move batches
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
