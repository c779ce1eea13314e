"""Customer-insight tables: notes (the raw voice), insights (claims grouping notes), their links.

Same shape as :mod:`prodops.okr.models`. A note keeps the id it had in its source: re-importing an
export updates the note with the same ``(source, source_id)`` instead of adding a second one.
A note belongs to at most one insight. Merging keeps provenance and can be undone: a merged
insight points at its canonical insight (``merged_into_id``) and keeps its own notes, which count
under the canonical one; a note marked as a duplicate points at its original (``duplicate_of_id``).
Every row records who wrote it and when (``created_by`` / ``updated_by``, UTC timestamps); edits
go through :func:`prodops.store.versioning.versioned_update` (optimistic versions, edit log).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prodops.store.versioning import REDEFINABLE, utcnow

SOURCE_KINDS = (
    "interview",
    "support_ticket",
    "sales_call",
    "survey_answer",
    "nps_comment",
    "review",
)
INSIGHT_STATUSES = ("open", "validated", "rejected", "merged")


class ResearchNoteBase(SQLModel):
    text: str
    source_kind: str = Field(max_length=30, index=True)
    customer_id: str = Field(default="", max_length=200, index=True)
    customer_email: str = Field(default="", max_length=320)
    customer_company: str = Field(default="", max_length=200)
    noted_on: dt.date | None = Field(default=None, index=True)
    link: str = ""
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    score: int | None = None  # NPS / survey score (0-10) when the source has one
    properties: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # plan, segment...


class ResearchNote(ResearchNoteBase, table=True):
    __tablename__ = "research_note"
    __table_args__ = (sa.UniqueConstraint("source", "source_id"), REDEFINABLE)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40)  # intercom, zendesk, productboard, dovetail, nps, ...
    source_id: str = Field(max_length=200)
    insight_id: int | None = Field(default=None, foreign_key="research_insight.id", index=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="research_note.id")
    version: int = 1
    created_by: str = Field(default="", max_length=200)
    updated_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ResearchNoteCreate(ResearchNoteBase):
    source: str = "manual"
    source_id: str | None = None  # default: a new "manual-..." id


class ResearchInsightBase(SQLModel):
    claim: str = Field(max_length=300)
    description: str = ""
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)


class ResearchInsight(ResearchInsightBase, table=True):
    __tablename__ = "research_insight"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="open", max_length=20)
    merged_into_id: int | None = Field(default=None, foreign_key="research_insight.id")
    version: int = 1
    created_by: str = Field(default="", max_length=200)
    updated_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ResearchInsightCreate(ResearchInsightBase):
    pass


class InsightRoadmapItem(SQLModel, table=True):
    """An insight is evidence for a roadmap item."""

    __tablename__ = "research_insight_item"
    __table_args__ = REDEFINABLE
    insight_id: int = Field(foreign_key="research_insight.id", primary_key=True)
    item_id: int = Field(foreign_key="roadmap_item.id", primary_key=True, index=True)
    created_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)


class InsightKeyResult(SQLModel, table=True):
    """An insight informs a key result."""

    __tablename__ = "research_insight_key_result"
    __table_args__ = REDEFINABLE
    insight_id: int = Field(foreign_key="research_insight.id", primary_key=True)
    key_result_id: int = Field(foreign_key="key_result.id", primary_key=True, index=True)
    created_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)


RESEARCH_TABLES = (
    "research_insight",
    "research_note",
    "research_insight_item",
    "research_insight_key_result",
)
