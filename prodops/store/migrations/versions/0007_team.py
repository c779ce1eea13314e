"""The team: roles assigned by admins, and the audit trail of every write (issue 15).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Hand-written: two new tables (no batch operation needed on SQLite). ``audit_log`` is append-only
(the store's guard refuses updates and deletes of it); ``team_member`` holds the roles an admin
assigned, keyed by the lower-case identity (an e-mail).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import UTCDateTime
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_member",
        sa.Column("identity", AutoString(length=200), primary_key=True),
        sa.Column("role", AutoString(length=10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", AutoString(length=200), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", AutoString(length=200), nullable=False),
        sa.Column("actor_name", AutoString(length=200), nullable=False),
        sa.Column("role", AutoString(length=10), nullable=False),
        sa.Column("action", AutoString(length=20), nullable=False),
        sa.Column("entity", AutoString(length=40), nullable=False),
        sa.Column("entity_id", AutoString(length=200), nullable=False),
        sa.Column("before", AutoString(), nullable=True),
        sa.Column("after", AutoString(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity"])


def downgrade() -> None:
    for name in ("ix_audit_log_entity", "ix_audit_log_actor", "ix_audit_log_at"):
        op.drop_index(name, table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("team_member")
