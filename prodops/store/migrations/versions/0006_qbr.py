"""Quarterly business reviews: frozen snapshots with their narrative (issue 13).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Hand-written: one new table (no batch operation needed on SQLite). A QBR is unique by
``(quarter, revision)``: regenerating adds the next revision, the old one stays as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import UTCDateTime
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qbr_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("quarter", AutoString(length=10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("events_dataset", AutoString(), nullable=True),
        sa.Column("events_version", sa.Integer(), nullable=True),
        sa.Column("subscriptions_dataset", AutoString(), nullable=True),
        sa.Column("subscriptions_version", sa.Integer(), nullable=True),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("summary", AutoString(length=20000), nullable=False),
        sa.Column("wins", AutoString(length=20000), nullable=False),
        sa.Column("misses", AutoString(length=20000), nullable=False),
        sa.Column("focus", AutoString(length=20000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("quarter", "revision", name="uq_qbr_report_quarter_revision"),
    )
    op.create_index("ix_qbr_report_quarter", "qbr_report", ["quarter"])


def downgrade() -> None:
    op.drop_index("ix_qbr_report_quarter", table_name="qbr_report")
    op.drop_table("qbr_report")
