"""Duplicate review on the Customer insights page: near-duplicate pairs, mark one, undo.

A marked note stays (provenance): it points at its original and joins the original's insight.
Note text is shown with ``st.dataframe`` / ``st.text`` only.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from prodops.research import crud
from prodops.research.dedup import DEFAULT_THRESHOLD
from prodops.research.models import ResearchNote
from prodops.research.review import note_duplicates
from prodops.research.search import search_notes
from prodops.ui.session import flash, read, write

HELP = (
    "Similarity of two notes from 0 to 1: the cosine of their TF-IDF vectors on content words "
    "and character 3-5-grams (typos and reordered sentences still match). At the default 0.5, "
    "the labelled test set gave precision 1.0 and recall 0.93."
)


def notes_stamp(*, session: Session) -> tuple[int, str]:
    """How many notes there are and the latest change: a scan's cache key."""
    count, latest = session.execute(
        sa.select(sa.func.count(col(ResearchNote.id)), sa.func.max(col(ResearchNote.updated_at)))
    ).one()
    return int(count), str(latest)


@st.cache_data(max_entries=8, ttl=600, show_spinner="Looking for near-duplicates…")
def load_duplicates(
    _engine: Engine, threshold: float, stamp: tuple[int, str], store: str
) -> pd.DataFrame:
    """:func:`note_duplicates`, cached on the store, the threshold and the notes' stamp."""
    del stamp, store
    return read(_engine, note_duplicates, threshold=threshold)


def render_duplicates(engine: Engine, person: str) -> None:
    """Pairs above the threshold, most similar first; mark the second as a duplicate."""
    threshold = st.slider(
        "Similarity threshold", 0.3, 1.0, DEFAULT_THRESHOLD, 0.05, help=HELP, key="dup_threshold"
    )
    stamp = read(engine, notes_stamp)
    pairs = load_duplicates(engine, threshold, stamp, engine.url.render_as_string())
    st.caption(f"{len(pairs)} pairs of near-duplicate notes")
    if pairs.empty:
        _render_marked(engine, person)
        return
    st.dataframe(pairs[["a", "b", "similarity", "a_text", "b_text"]].head(500), hide_index=True)
    labels = {
        n: f"{a} ≈ {b} ({s:.2f})"
        for n, (a, b, s) in enumerate(zip(pairs["a"], pairs["b"], pairs["similarity"], strict=True))
    }
    pick = st.selectbox("Pair", list(labels)[:500], format_func=labels.__getitem__, key="dup_pick")
    if pick is not None:
        row = pairs.iloc[int(pick)]
        st.text(f"{row['a']}: {row['a_text']}")
        st.text(f"{row['b']}: {row['b_text']}")
        if st.button(f"Mark {row['b']} as a duplicate of {row['a']}", key="dup_mark"):
            note = read(engine, crud.get_note, note_id=int(row["b_id"]))
            marked = write(
                engine,
                crud.mark_duplicate,
                note_id=int(row["b_id"]),
                of_note_id=int(row["a_id"]),
                seen_version=note.version,
                actor=person,
            )
            if marked is not None:
                flash("Marked as a duplicate (it stays, under the original's insight).")
                st.rerun()
    _render_marked(engine, person)


def _render_marked(engine: Engine, person: str) -> None:
    """The notes marked as duplicates, with an undo."""
    notes = read(engine, search_notes, limit=None)
    marked = notes[notes["duplicate_of_id"].notna()]
    if marked.empty:
        return
    with st.expander(f"{len(marked)} notes marked as duplicates"):
        st.dataframe(marked[["source_id", "duplicate_of_id", "text"]], hide_index=True)
        ids = dict(zip(marked["id"].astype(int), marked["source_id"], strict=True))
        pick = st.selectbox("Note", list(ids), format_func=ids.__getitem__, key="dup_unmark_pick")
        if pick is not None and st.button("Undo: not a duplicate", key="dup_unmark"):
            note = read(engine, crud.get_note, note_id=int(pick))
            if (
                write(
                    engine,
                    crud.unmark_duplicate,
                    note_id=int(pick),
                    seen_version=note.version,
                    actor=person,
                )
                is not None
            ):
                flash("Unmarked.")
                st.rerun()
