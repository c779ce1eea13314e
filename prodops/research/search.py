"""Finding notes: full-text search with filters, and the most frequent themes over time.

Search is done by the store (SQLite or PostgreSQL) with bound parameters: every word of the query
must appear in the note's text, company or tags (case-insensitive, anywhere in a word, so "export"
finds "exports"); filters narrow by tag, source kind, customer (id, e-mail or company, partial),
a customer property such as plan, and a date range (inclusive days).

Examples
--------
>>> notes = pd.DataFrame({"noted_on": [dt.date(2026, 1, 5), dt.date(2026, 1, 20),
...                                    dt.date(2026, 2, 2)],
...                       "tags": [["sso"], ["sso", "pricing"], ["sso"]]})
>>> themes = top_themes(notes, period="month", limit=2)
>>> themes.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'period': '2026-01', 'tag': 'sso', 'notes': 2},
 {'period': '2026-01', 'tag': 'pricing', 'notes': 1},
 {'period': '2026-02', 'tag': 'sso', 'notes': 1}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from prodops.errors import ParameterError
from prodops.research.models import ResearchInsight, ResearchNote

NOTE_COLUMNS = [
    "id",
    "source",
    "source_id",
    "source_kind",
    "noted_on",
    "customer_id",
    "customer_email",
    "customer_company",
    "text",
    "tags",
    "score",
    "link",
    "properties",
    "insight_id",
    "insight",
    "duplicate_of_id",
    "version",
    "created_by",
    "updated_at",
]
DEFAULT_LIMIT = 500
PERIODS = {"week": "W-SUN", "month": "M", "quarter": "Q"}


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_notes(
    *,
    session: Session,
    text: str = "",
    tag: str | None = None,
    source_kind: str | None = None,
    customer: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    properties: Mapping[str, str] | None = None,
    insight_id: int | None = None,
    limit: int | None = DEFAULT_LIMIT,
) -> pd.DataFrame:
    """Return the notes matching every given filter, newest first, with :data:`NOTE_COLUMNS`.

    Parameters
    ----------
    text
        Words that must all appear (in the text, company or tags); blank for all notes.
    tag, source_kind
        Exact tag (case-insensitive) and source kind.
    customer
        Part of the customer's id, e-mail or company.
    date_from, date_to
        Inclusive days of ``noted_on``; notes without a date are left out when either is given.
    properties
        Customer property -> value (``{"plan": "pro"}``), compared exactly.
    limit
        Most rows returned (None for all).
    """
    if date_from and date_to and date_from > date_to:
        raise ParameterError(
            f"the range starts {date_from} after it ends {date_to}", fix="Swap the dates."
        )
    note = ResearchNote
    query: Any = sa.select(note, col(ResearchInsight.claim).label("insight")).outerjoin(
        ResearchInsight, col(ResearchInsight.id) == col(note.insight_id)
    )
    haystack = sa.func.lower(
        col(note.text) + " " + col(note.customer_company) + " " + sa.cast(note.tags, sa.String)
    )
    for word in text.split():
        query = query.where(haystack.like(_like(word), escape="\\"))
    if tag:
        tag_json = '"' + " ".join(tag.lower().split()) + '"'
        query = query.where(sa.cast(note.tags, sa.String).like(_like(tag_json), escape="\\"))
    if source_kind:
        query = query.where(col(note.source_kind) == source_kind)
    if customer:
        pattern = _like(customer.strip())
        query = query.where(
            sa.or_(
                sa.func.lower(col(note.customer_id)).like(pattern, escape="\\"),
                sa.func.lower(col(note.customer_email)).like(pattern, escape="\\"),
                sa.func.lower(col(note.customer_company)).like(pattern, escape="\\"),
            )
        )
    if date_from:
        query = query.where(col(note.noted_on) >= date_from)
    if date_to:
        query = query.where(col(note.noted_on) <= date_to)
    if insight_id is not None:
        query = query.where(col(note.insight_id) == insight_id)
    query = query.order_by(col(note.noted_on).desc().nulls_last(), col(note.id).desc())
    if limit is not None and not properties:  # properties are JSON: filtered below, in Python
        query = query.limit(limit)
    rows = []
    for found, claim in session.execute(query):
        if properties and any(found.properties.get(k) != v for k, v in properties.items()):
            continue
        rows.append({**found.model_dump(), "insight": claim})
        if limit is not None and len(rows) >= limit:
            break
    frame = pd.DataFrame(rows, columns=NOTE_COLUMNS)
    return frame.astype({c: "Int64" for c in ("score", "insight_id", "duplicate_of_id")})


def top_themes(notes: pd.DataFrame, *, period: str = "month", limit: int = 5) -> pd.DataFrame:
    """The *limit* most frequent tags of each period: columns ``period``, ``tag``, ``notes``.

    Notes without a date are left out; ties are broken by tag name.
    """
    if period not in PERIODS:
        raise ParameterError(f"unknown period {period!r}", fix=f"Use one of {', '.join(PERIODS)}.")
    dated = notes.dropna(subset=["noted_on"])
    if dated.empty:
        return pd.DataFrame(columns=["period", "tag", "notes"])
    exploded = dated[["noted_on", "tags"]].explode("tags").dropna(subset=["tags"])
    labels = pd.to_datetime(exploded["noted_on"]).dt.to_period(PERIODS[period]).astype(str)
    if period == "week":
        labels = (
            pd.to_datetime(exploded["noted_on"])
            .dt.to_period("W-SUN")
            .dt.start_time.dt.strftime("%Y-%m-%d")
        )
    counts = (
        pd.DataFrame({"period": labels, "tag": exploded["tags"]})
        .value_counts()
        .rename("notes")
        .reset_index()
        .sort_values(["period", "notes", "tag"], ascending=[True, False, True])
    )
    top = counts.groupby("period", sort=True).head(limit)
    return top.reset_index(drop=True).astype({"notes": int})


def note_export_frame(notes: pd.DataFrame) -> pd.DataFrame:
    """The columns a CSV export of notes carries (tags and properties as text)."""
    out = notes.drop(columns=["version", "properties"], errors="ignore").copy()
    out["tags"] = [", ".join(t) if isinstance(t, list) else "" for t in out["tags"]]
    if "properties" in notes:
        for key in sorted({k for p in notes["properties"] for k in (p or {})}):
            out[key] = [(p or {}).get(key, "") for p in notes["properties"]]
    return out
