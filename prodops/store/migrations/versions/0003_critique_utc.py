"""Critique timestamps become time-zone aware on PostgreSQL, like the OKR tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Revision 0002 declared the critique timestamps as ``sa.DateTime()`` (``timestamp without time
zone`` on PostgreSQL) while the models declare aware UTC datetimes (``UTCDateTime``, ``timestamp
with time zone``); the migration-drift test, once it compared every table, found the difference.
PostgreSQL stored the aware values written into those columns in the session's time zone, so the
conversion reads them back in that same zone. SQLite has no time-zone types: nothing to do there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("roadmap_item", "created_at"),
    ("roadmap_item", "updated_at"),
    ("critique_session", "created_at"),
    ("critique_session", "updated_at"),
    ("critique_score", "submitted_at"),
    ("critique_submission", "submitted_at"),
    ("critique_decision", "decided_at"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=UTCDateTime(),
            existing_type=sa.DateTime(),
            existing_nullable=False,
            postgresql_using=f"{column} AT TIME ZONE current_setting('TimeZone')",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.DateTime(),
            existing_type=UTCDateTime(),
            existing_nullable=False,
            postgresql_using=f"{column} AT TIME ZONE current_setting('TimeZone')",
        )
