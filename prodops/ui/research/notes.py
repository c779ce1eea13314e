"""Notes on the Customer insights page: import an export, type a note, search and browse.

Note text, customer names and tags come from customers and exports: they are shown with
``st.dataframe`` / ``st.text`` only, never as Markdown or HTML.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from prodops import config
from prodops.errors import ProdOpsError
from prodops.research import crud, insight_crud
from prodops.research.importers import (
    FIELDS,
    PRESET_KINDS,
    PRESETS,
    default_mapping,
    detect_preset,
    import_file,
    read_note_file,
    to_notes,
)
from prodops.research.models import SOURCE_KINDS, ResearchNoteCreate
from prodops.research.review import suggest_insights
from prodops.research.search import note_export_frame, search_notes, top_themes
from prodops.ui.data.upload import spool_upload
from prodops.ui.downloads import csv_text
from prodops.ui.session import current_actor, flash, read, show_error, write

NONE = "(none)"
FIELD_LABELS = {
    "source_id": "Id in the source",
    "text": "Text",
    "title": "Title",
    "customer_id": "Customer id",
    "customer_email": "Customer e-mail",
    "customer_company": "Company",
    "noted_on": "Date",
    "link": "Link",
    "tags": "Tags",
    "score": "Score (0-10)",
    "source_kind": "Kind column",
}
KIND_LABELS = {k: k.replace("_", " ") for k in SOURCE_KINDS}
BROWSE_LIMIT = 5000
SHOWN = ["noted_on", "source_kind", "customer_id", "customer_company", "text", "tags", "insight"]


def render_import(engine: Engine, person: str) -> None:
    """Upload an export, check the preset and mapping on a preview, import (updates by id)."""
    upload = st.file_uploader(
        "Export of Intercom, Zendesk, Productboard, Dovetail, an NPS survey, or any file",
        type=["csv", "tsv", "txt", "gz", "jsonl", "json", "xlsx", "parquet"],
        key="insights_upload",
    )
    if upload is None:
        return
    try:
        path = spool_upload(upload)
        file = read_note_file(path, label=upload.name)
        presets = list(PRESETS)
        preset = st.selectbox(
            "Preset",
            presets,
            index=presets.index(detect_preset(file.headers)),
            key="insights_preset",
        )
        proposed = default_mapping(file.headers, preset)
        options = [NONE, *file.headers]
        columns = st.columns(4)
        mapping: dict[str, str | None] = {}
        for n, field in enumerate(FIELDS):
            chosen = columns[n % 4].selectbox(
                FIELD_LABELS[field],
                options,
                index=options.index(proposed[field] or NONE),
                key=f"insights_map_{preset}_{field}",
            )
            mapping[field] = None if chosen == NONE else chosen
        kinds = list(SOURCE_KINDS)
        default_kind = PRESET_KINDS.get(preset, "interview")
        kind = st.selectbox(
            "Kind of these notes",
            kinds,
            index=kinds.index(default_kind),
            format_func=KIND_LABELS.__getitem__,
            key=f"insights_kind_{preset}",
        )
        properties = st.multiselect(
            "Keep as customer properties (plan, segment…)",
            [h for h in file.headers if h not in mapping.values()],
            key=f"insights_props_{preset}",
        )
        notes = to_notes(
            file.frame,
            mapping,
            source_kind=kind,
            preset=preset,
            label=upload.name,
            property_cols=properties,
            malformed=file.malformed,
        )
    except ProdOpsError as error:
        show_error(error)
        return
    st.caption(f"Preview: {notes.summary(upload.name)} (re-importing updates notes by their id)")
    preview = notes.rows.head(config.preview_rows()).assign(tags=lambda f: f["tags"].map(", ".join))
    st.dataframe(preview.drop(columns=["properties"]), hide_index=True)
    if len(notes.rejected):
        st.caption("Rejected rows (row 1 is the first row after the header)")
        st.dataframe(notes.rejected, hide_index=True)
    if st.button(f"Import {len(notes.rows)} notes", key="insights_import", type="primary"):
        try:
            outcome = import_file(
                engine,
                path,
                actor=current_actor(),
                label=upload.name,
                preset=preset,
                source_kind=kind,
                mapping=mapping,
                property_cols=properties,
            )
        except ProdOpsError as error:
            show_error(error)
            return
        flash(f"Imported: {outcome.counts.summary()}, {len(outcome.rejected)} rows rejected.")
        st.rerun()


def render_new_note(engine: Engine, person: str) -> None:
    """Type a note; the insight it probably belongs to is suggested after saving."""
    with st.form("insights_new_note", clear_on_submit=True):
        text = st.text_area("What the customer said", key="insights_note_text")
        c1, c2, c3, c4 = st.columns(4)
        kind = c1.selectbox("Kind", SOURCE_KINDS, format_func=KIND_LABELS.__getitem__)
        customer = c2.text_input("Customer id", key="insights_note_customer")
        company = c3.text_input("Company", key="insights_note_company")
        noted_on = c4.date_input("Date", value=None, key="insights_note_date")
        tags = st.text_input("Tags (comma separated)", key="insights_note_tags")
        if not st.form_submit_button("Add note"):
            return
    note = write(
        engine,
        crud.create_note,
        note_in=ResearchNoteCreate(
            text=text,
            source_kind=kind,
            customer_id=customer.strip(),
            customer_company=company.strip(),
            noted_on=noted_on if isinstance(noted_on, dt.date) else None,
            tags=tags.split(","),
        ),
        actor=person,
    )
    if note is not None:
        st.session_state["insights_last_note"] = note.id
        flash("Note added.")
        st.rerun()


def render_suggestion(engine: Engine, person: str) -> None:
    """For the note just added: the insights it probably belongs to, one click to file it."""
    note_id = st.session_state.get("insights_last_note")
    if note_id is None:
        return
    try:
        note = read(engine, crud.get_note, note_id=int(note_id))
    except ProdOpsError:
        st.session_state.pop("insights_last_note", None)
        return
    found = read(engine, suggest_insights, text=note.text)
    if not found or note.insight_id is not None:
        return
    st.caption("The note you added probably belongs to:")
    for insight, score in found:
        left, right = st.columns([5, 1])
        left.text(f"{insight.claim}  (similarity {score:.2f})")
        if right.button("File it here", key=f"insights_file_{note_id}_{insight.id}"):
            done = write(
                engine,
                insight_crud.assign_note,
                note_id=int(note_id),
                insight_id=insight.id,
                seen_version=note.version,
                actor=person,
            )
            st.session_state.pop("insights_last_note", None)
            if done is not None:
                flash("Note filed under the insight.")
                st.rerun()


def search_filters() -> dict[str, Any]:
    """The search box and filters (words, tag, kind, customer, property, date range)."""
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    text = c1.text_input("Search notes", key="insights_search", placeholder="words in the note")
    tag = c2.text_input("Tag", key="insights_tag")
    kind = c3.selectbox(
        "Kind",
        [NONE, *SOURCE_KINDS],
        key="insights_kind_filter",
        format_func=lambda k: k.replace("_", " "),
    )
    customer = c4.text_input("Customer", key="insights_customer", help="id, e-mail or company")
    d1, d2, d3, d4 = st.columns(4)
    date_from = d1.date_input("From", value=None, key="insights_from")
    date_to = d2.date_input("To", value=None, key="insights_to")
    prop = d3.text_input("Customer property", key="insights_prop", placeholder="plan")
    value = d4.text_input("equals", key="insights_prop_value", placeholder="pro")
    return {
        "text": text,
        "tag": tag.strip() or None,
        "source_kind": None if kind == NONE else kind,
        "customer": customer.strip() or None,
        "date_from": date_from if isinstance(date_from, dt.date) else None,
        "date_to": date_to if isinstance(date_to, dt.date) else None,
        "properties": {prop.strip(): value.strip()} if prop.strip() else None,
    }


def render_browse(engine: Engine) -> pd.DataFrame:
    """Search and list notes; return what was found (for themes and downloads)."""
    filters = search_filters()
    try:
        found = read(engine, search_notes, **filters, limit=BROWSE_LIMIT)
    except ProdOpsError as error:
        show_error(error)
        return pd.DataFrame()
    more = (
        " (the newest shown: narrow the search to see others)" if len(found) == BROWSE_LIMIT else ""
    )
    st.caption(f"{len(found)} notes{more}")
    shown = found[SHOWN].assign(tags=found["tags"].map(", ".join))
    st.dataframe(
        shown,
        hide_index=True,
        column_config={"text": st.column_config.TextColumn("text", width="large")},
    )
    st.download_button(
        "Download these notes (CSV)",
        csv_text(note_export_frame(found)),
        file_name="customer-notes.csv",
        mime="text/csv",
        key="insights_download",
    )
    return found


def render_themes(found: pd.DataFrame) -> None:
    """The most frequent tags per month among the notes found (table; its headless twin)."""
    if found.empty:
        return
    themes = top_themes(found, period="month", limit=5)
    if themes.empty:
        st.caption("No dated, tagged notes among these.")
        return
    st.dataframe(themes.pivot_table(index="tag", columns="period", values="notes", fill_value=0))
