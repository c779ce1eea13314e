"""Keeping the repository free of redundancy: duplicate pairs among stored notes, and the insight
a new note probably belongs to (both with :mod:`prodops.research.dedup`)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from prodops.research.dedup import DEFAULT_THRESHOLD, best_matches, near_duplicates
from prodops.research.models import ResearchInsight, ResearchNote

DUPLICATE_COLUMNS = ["a", "b", "similarity", "a_id", "b_id", "a_text", "b_text"]


def note_duplicates(
    *, session: Session, threshold: float = DEFAULT_THRESHOLD, include_marked: bool = False
) -> pd.DataFrame:
    """Near-duplicate pairs among the stored notes (notes without text are left out).

    Returns
    -------
    pandas.DataFrame
        :data:`DUPLICATE_COLUMNS`: ``a`` / ``b`` are the notes' source ids, ``a_id`` / ``b_id``
        their store ids; most similar first. Pairs where one note is already marked as a
        duplicate of the other are left out unless *include_marked*.
    """
    query = (
        sa.select(
            col(ResearchNote.id),
            col(ResearchNote.source_id),
            col(ResearchNote.text),
            col(ResearchNote.duplicate_of_id),
        )
        .where(col(ResearchNote.text) != "")
        .order_by(col(ResearchNote.id))
    )
    notes = pd.DataFrame(
        session.execute(query).all(), columns=["id", "source_id", "text", "duplicate_of_id"]
    )
    pairs = near_duplicates(
        notes["text"].tolist(), ids=[str(i) for i in range(len(notes))], threshold=threshold
    )
    a = notes.iloc[pairs["a"].astype(int).to_numpy()].reset_index(drop=True)
    b = notes.iloc[pairs["b"].astype(int).to_numpy()].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "a": a["source_id"],
            "b": b["source_id"],
            "similarity": pairs["similarity"].to_numpy(),
            "a_id": a["id"].astype(int),
            "b_id": b["id"].astype(int),
            "a_text": a["text"],
            "b_text": b["text"],
        },
        columns=DUPLICATE_COLUMNS,
    )
    if not include_marked and not out.empty:
        a_of = pd.to_numeric(a["duplicate_of_id"], errors="coerce").to_numpy()
        b_of = pd.to_numeric(b["duplicate_of_id"], errors="coerce").to_numpy()
        marked = (b_of == a["id"].to_numpy()) | (a_of == b["id"].to_numpy())
        out = out[~marked].reset_index(drop=True)
    return out


def suggest_insights(
    *, session: Session, text: str, threshold: float = 0.2, limit: int = 3
) -> list[tuple[ResearchInsight, float]]:
    """The insights whose claim and notes read most like *text*, best first.

    Each open insight is represented by its claim followed by its notes' text, so a new note
    about the same request scores high even when the claim is short.
    """
    insights = list(
        session.exec(
            select(ResearchInsight).where(col(ResearchInsight.merged_into_id).is_(None))
        ).all()
    )
    if not insights:
        return []
    bodies = {i.id: [i.claim] for i in insights}
    query = sa.select(col(ResearchNote.insight_id), col(ResearchNote.text)).where(
        col(ResearchNote.insight_id).in_(list(bodies))
    )
    for insight_id, note_text in session.execute(query):
        bodies[insight_id].append(note_text)
    candidates = [" ".join(bodies[i.id]) for i in insights]
    found = best_matches(text, candidates, threshold=threshold, limit=limit)
    return [(insights[index], score) for index, score in found]
