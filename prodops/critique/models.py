"""Roadmap-critique tables: items, their key-result links, sessions, scores and decisions.

Same shape as :mod:`prodops.okr.models`: ``XBase`` (fields a person edits), ``X(XBase,
table=True)``, ``XCreate`` and ``XUpdate``. Timestamps are UTC. Items and sessions carry a
``version`` (optimistic concurrency); scores, submissions and decisions are append-only history:
the latest score of a reviewer for an item counts, and the latest decision for an item in a session
is the current one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prodops.store.versioning import REDEFINABLE, utcnow

SESSION_STATUSES = ("open", "closed")

# --- Roadmap items --------------------------------------------------------------------------------


class RoadmapItemBase(SQLModel):
    title: str = Field(max_length=300)
    description: str = ""
    owner: str = ""
    team: str = ""
    target_period: str = ""
    status: str = ""
    parent: str = ""  # epic / project / initiative, as text from the export
    effort: float | None = None  # story points or days, as the source gives it
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)


class RoadmapItem(RoadmapItemBase, table=True):
    __tablename__ = "roadmap_item"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # external id: re-imports update by key
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    evidence_count: int = 0
    archived: bool = False
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RoadmapItemCreate(RoadmapItemBase):
    key: str | None = None  # default: "title:<title in lower case>"
    evidence: list[dict[str, Any]] = Field(default_factory=list)


class RoadmapItemUpdate(SQLModel):
    title: str | None = None
    description: str | None = None
    owner: str | None = None
    team: str | None = None
    target_period: str | None = None
    status: str | None = None
    parent: str | None = None
    effort: float | None = None
    tags: list[str] | None = None
    evidence: list[dict[str, Any]] | None = None


class RoadmapItemKeyResult(SQLModel, table=True):
    """Many-to-many: a roadmap item serves key results of the OKR store."""

    __tablename__ = "roadmap_item_key_result"
    __table_args__ = REDEFINABLE
    item_id: int = Field(foreign_key="roadmap_item.id", primary_key=True)
    key_result_id: int = Field(foreign_key="key_result.id", primary_key=True, index=True)


# --- Sessions -------------------------------------------------------------------------------------


class CritiqueSessionBase(SQLModel):
    name: str = Field(max_length=200)
    held_on: dt.date
    framework: dict[str, Any] = Field(sa_type=sa.JSON)  # prodops.critique.Framework.to_dict()
    participants: list[str] = Field(default_factory=list, sa_type=sa.JSON)


class CritiqueSession(CritiqueSessionBase, table=True):
    __tablename__ = "critique_session"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="open", max_length=10)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class CritiqueSessionCreate(CritiqueSessionBase):
    framework: dict[str, Any] = Field(default_factory=dict)


class SessionItem(SQLModel, table=True):
    __tablename__ = "critique_session_item"
    __table_args__ = REDEFINABLE
    session_id: int = Field(foreign_key="critique_session.id", primary_key=True)
    item_id: int = Field(foreign_key="roadmap_item.id", primary_key=True, index=True)
    position: int = 0


# --- Scores, submissions, decisions (append-only) -------------------------------------------------


class Score(SQLModel, table=True):
    """One reviewer's scores of one item in a session (criterion key -> value)."""

    __tablename__ = "critique_score"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="critique_session.id", index=True)
    item_id: int = Field(foreign_key="roadmap_item.id", index=True)
    reviewer: str = Field(max_length=200)
    criterion_scores: dict[str, float] = Field(sa_type=sa.JSON)
    comment: str = ""
    submitted_at: dt.datetime = Field(default_factory=utcnow)


class Submission(SQLModel, table=True):
    """A reviewer handed in their scores for a session: from then on they see everyone's."""

    __tablename__ = "critique_submission"
    __table_args__ = (sa.UniqueConstraint("session_id", "reviewer"), REDEFINABLE)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="critique_session.id", index=True)
    reviewer: str = Field(max_length=200)
    submitted_at: dt.datetime = Field(default_factory=utcnow)


class Decision(SQLModel, table=True):
    """approve / approve_with_changes / needs_evidence / reject, with the rationale."""

    __tablename__ = "critique_decision"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="critique_session.id", index=True)
    item_id: int = Field(foreign_key="roadmap_item.id", index=True)
    decision: str = Field(max_length=30)
    rationale: str = ""
    decided_by: str = ""
    decided_at: dt.datetime = Field(default_factory=utcnow)


CRITIQUE_TABLES = (
    "roadmap_item",
    "roadmap_item_key_result",
    "critique_session",
    "critique_session_item",
    "critique_score",
    "critique_submission",
    "critique_decision",
)
