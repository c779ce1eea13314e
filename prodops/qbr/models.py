"""The QBR snapshot table: a report's frozen content, its datasets, and the lead's narrative.

A row is one *revision* of the QBR of a quarter. Saving freezes the numbers (``content``, the JSON
of :class:`prodops.qbr.build.Report`) with the datasets' names and catalog versions and the as-of
instant (``generated_at``), so reopening it shows the same numbers whatever the datasets became.
Regenerating adds a row with the next revision. The narrative (summary, wins, misses, focus) is
edited with the safe-edit rule (``version``, :func:`prodops.store.versioning.versioned_update`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prodops.store.versioning import REDEFINABLE, utcnow

NARRATIVE_LIMIT = 20_000  # characters per narrative section


class QbrNarrative(SQLModel):
    """What the lead writes (Markdown is never rendered: every export escapes it)."""

    summary: str = Field(default="", max_length=NARRATIVE_LIMIT)
    wins: str = Field(default="", max_length=NARRATIVE_LIMIT)
    misses: str = Field(default="", max_length=NARRATIVE_LIMIT)
    focus: str = Field(default="", max_length=NARRATIVE_LIMIT)


class QbrReport(QbrNarrative, table=True):
    __tablename__ = "qbr_report"
    __table_args__ = (sa.UniqueConstraint("quarter", "revision"), REDEFINABLE)
    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(index=True, max_length=10)  # "2026-Q3", or a month range "2026-05+6"
    revision: int = 1
    events_dataset: str | None = None
    events_version: int | None = None
    subscriptions_dataset: str | None = None
    subscriptions_version: int | None = None
    generated_at: dt.datetime  # the as-of instant of the numbers (UTC)
    content: dict[str, Any] = Field(sa_type=sa.JSON)  # prodops.qbr.build.Report.to_dict()
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


QBR_TABLES = ("qbr_report",)
