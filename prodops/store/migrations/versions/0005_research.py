"""The customer insight repository: notes, insights and their links (issue 14).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Hand-written: new tables only (no batch operation needed on SQLite). A note is unique by
``(source, source_id)`` so a re-imported export updates instead of duplicating.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import UTCDateTime
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audit() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", AutoString(length=200), nullable=False),
        sa.Column("updated_by", AutoString(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def _link(name: str, other: str, other_col: str) -> None:
    op.create_table(
        name,
        sa.Column(
            "insight_id", sa.Integer(), sa.ForeignKey("research_insight.id"), primary_key=True
        ),
        sa.Column(other_col, sa.Integer(), sa.ForeignKey(other), primary_key=True),
        sa.Column("created_by", AutoString(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(f"ix_{name}_{other_col}", name, [other_col])


def upgrade() -> None:
    op.create_table(
        "research_insight",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim", AutoString(length=300), nullable=False),
        sa.Column("description", AutoString(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column(
            "merged_into_id", sa.Integer(), sa.ForeignKey("research_insight.id"), nullable=True
        ),
        *_audit(),
    )
    op.create_table(
        "research_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", AutoString(), nullable=False),
        sa.Column("source_kind", AutoString(length=30), nullable=False),
        sa.Column("source", AutoString(length=40), nullable=False),
        sa.Column("source_id", AutoString(length=200), nullable=False),
        sa.Column("customer_id", AutoString(length=200), nullable=False),
        sa.Column("customer_email", AutoString(length=320), nullable=False),
        sa.Column("customer_company", AutoString(length=200), nullable=False),
        sa.Column("noted_on", sa.Date(), nullable=True),
        sa.Column("link", AutoString(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("insight_id", sa.Integer(), sa.ForeignKey("research_insight.id"), nullable=True),
        sa.Column(
            "duplicate_of_id", sa.Integer(), sa.ForeignKey("research_note.id"), nullable=True
        ),
        *_audit(),
        sa.UniqueConstraint("source", "source_id", name="uq_research_note_source_id"),
    )
    op.create_index("ix_research_note_source_kind", "research_note", ["source_kind"])
    op.create_index("ix_research_note_customer_id", "research_note", ["customer_id"])
    op.create_index("ix_research_note_noted_on", "research_note", ["noted_on"])
    op.create_index("ix_research_note_insight_id", "research_note", ["insight_id"])
    _link("research_insight_item", "roadmap_item.id", "item_id")
    _link("research_insight_key_result", "key_result.id", "key_result_id")


def downgrade() -> None:
    op.drop_table("research_insight_key_result")
    op.drop_table("research_insight_item")
    op.drop_table("research_note")
    op.drop_table("research_insight")
