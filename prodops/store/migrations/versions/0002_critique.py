"""Roadmap critique: items, key-result links, sessions, append-only scores and decisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Hand-written: new tables only, so no batch (copy-and-move) operation is needed on SQLite; a later
revision that alters one of these tables must use ``op.batch_alter_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "roadmap_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", _text(length=200), nullable=False),
        sa.Column("title", _text(length=300), nullable=False),
        sa.Column("description", _text(), nullable=False),
        sa.Column("owner", _text(), nullable=False),
        sa.Column("team", _text(), nullable=False),
        sa.Column("target_period", _text(), nullable=False),
        sa.Column("status", _text(), nullable=False),
        sa.Column("parent", _text(), nullable=False),
        sa.Column("effort", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_roadmap_item_key"),
    )
    op.create_table(
        "roadmap_item_key_result",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id"), primary_key=True),
        sa.Column("key_result_id", sa.Integer(), sa.ForeignKey("key_result.id"), primary_key=True),
    )
    op.create_index(
        "ix_roadmap_item_key_result_key_result_id", "roadmap_item_key_result", ["key_result_id"]
    )
    op.create_table(
        "critique_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", _text(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("framework", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("status", _text(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "critique_session_item",
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("critique_session.id"), primary_key=True
        ),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_critique_session_item_item_id", "critique_session_item", ["item_id"])
    op.create_table(
        "critique_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("critique_session.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id"), nullable=False),
        sa.Column("reviewer", _text(length=200), nullable=False),
        sa.Column("criterion_scores", sa.JSON(), nullable=False),
        sa.Column("comment", _text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_critique_score_session_id", "critique_score", ["session_id"])
    op.create_index("ix_critique_score_item_id", "critique_score", ["item_id"])
    op.create_table(
        "critique_submission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("critique_session.id"), nullable=False),
        sa.Column("reviewer", _text(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "reviewer", name="uq_critique_submission_reviewer"),
    )
    op.create_index("ix_critique_submission_session_id", "critique_submission", ["session_id"])
    op.create_table(
        "critique_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("critique_session.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id"), nullable=False),
        sa.Column("decision", _text(length=30), nullable=False),
        sa.Column("rationale", _text(), nullable=False),
        sa.Column("decided_by", _text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_critique_decision_session_id", "critique_decision", ["session_id"])
    op.create_index("ix_critique_decision_item_id", "critique_decision", ["item_id"])


def downgrade() -> None:
    op.drop_table("critique_decision")
    op.drop_table("critique_submission")
    op.drop_table("critique_score")
    op.drop_table("critique_session_item")
    op.drop_table("critique_session")
    op.drop_table("roadmap_item_key_result")
    op.drop_table("roadmap_item")
