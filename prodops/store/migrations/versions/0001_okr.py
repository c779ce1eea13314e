"""OKRs: objectives, key results, append-only check-ins and the edit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import UTCDateTime
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = AutoString


def upgrade() -> None:
    op.create_table(
        "objective",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", _text(length=200), nullable=False),
        sa.Column("description", _text(), nullable=False),
        sa.Column("owner", _text(), nullable=False),
        sa.Column("team", _text(), nullable=False),
        sa.Column("period", _text(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("objective.id"), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_objective_period", "objective", ["period"])
    op.create_table(
        "key_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("objective_id", sa.Integer(), sa.ForeignKey("objective.id"), nullable=False),
        sa.Column("title", _text(length=200), nullable=False),
        sa.Column("unit", _text(), nullable=False),
        sa.Column("start_value", sa.Float(), nullable=False),
        sa.Column("target_value", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("owner", _text(), nullable=False),
        sa.Column("binding_dataset", _text(), nullable=True),
        sa.Column("binding_metric", _text(), nullable=True),
        sa.Column("binding_params", _text(), nullable=True),
        sa.Column("last_refresh_error", _text(), nullable=True),
        sa.Column("last_refreshed_at", UTCDateTime(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_key_result_objective_id", "key_result", ["objective_id"])
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_result_id", sa.Integer(), sa.ForeignKey("key_result.id"), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("note", _text(), nullable=False),
        sa.Column("author", _text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_check_in_key_result_id", "check_in", ["key_result_id"])
    op.create_index("ix_check_in_created_at", "check_in", ["created_at"])
    op.create_table(
        "okr_edit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity", _text(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", _text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_okr_edit_log_entity_id", "okr_edit_log", ["entity_id"])


def downgrade() -> None:
    op.drop_table("okr_edit_log")
    op.drop_table("check_in")
    op.drop_table("key_result")
    op.drop_table("objective")
