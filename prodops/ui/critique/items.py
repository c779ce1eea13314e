"""Roadmap items on the critique page: import an export, add an item, list and edit items."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from prodops import config
from prodops.critique import crud
from prodops.critique import summary as summaries
from prodops.critique.models import RoadmapItem, RoadmapItemCreate
from prodops.critique.roadmap_import import (
    FIELDS,
    PRESETS,
    apply_mapping,
    default_mapping,
    read_roadmap,
)
from prodops.critique.roadmap_import import detect_preset as detect
from prodops.errors import ProdOpsError
from prodops.research import evidence_counts
from prodops.store.db import write_session
from prodops.ui.research.insights import render_item_demand
from prodops.ui.session import current_actor, flash, read, show_error, write

NONE = "(none)"
FIELD_LABELS = {
    "key": "Key (external id)",
    "title": "Title",
    "description": "Description",
    "status": "Status",
    "owner": "Owner",
    "team": "Team",
    "target_period": "Target period",
    "effort": "Effort",
    "tags": "Tags",
    "parent": "Epic / parent",
}


def render_import(engine: Engine) -> None:
    """Upload a CSV export, check the preset and mapping on a preview, then import by key."""
    upload = st.file_uploader(
        "Roadmap export (Jira, Linear, Productboard or any CSV)",
        type=["csv", "tsv", "txt"],
        key="critique_upload",
    )
    if upload is None:
        return
    try:
        file = read_roadmap(upload.getvalue(), name=upload.name)
        presets = list(PRESETS)
        preset = st.selectbox(
            "Preset", presets, index=presets.index(detect(file.headers)), key="critique_preset"
        )
        proposed = default_mapping(file, preset)
        options = [NONE, *file.headers]
        columns = st.columns(5)
        mapping: dict[str, str | None] = {}
        for n, field in enumerate(FIELDS):
            chosen = columns[n % 5].selectbox(
                FIELD_LABELS[field],
                options,
                index=options.index(proposed[field] or NONE),
                key=f"critique_map_{preset}_{field}",
            )
            mapping[field] = None if chosen == NONE else chosen
        items = apply_mapping(file, mapping)
    except ProdOpsError as error:
        show_error(error)
        return
    st.caption(f"Preview: {len(items)} items (re-importing updates items with the same key)")
    st.dataframe(items.head(config.preview_rows()), hide_index=True)
    if st.button(f"Import {len(items)} items", key="critique_import", type="primary"):
        result = write(engine, crud.import_items, frame=items)
        if result is not None:
            flash(
                f"Imported: {result.created} new, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )
            st.rerun()


def render_new_item(engine: Engine) -> None:
    """A form that adds one item, with optional evidence and key-result links."""
    choices = dict(read(engine, summaries.key_result_choices))
    with st.form("critique_new_item", clear_on_submit=True):
        left, right = st.columns(2)
        title = left.text_input("Title", key="critique_item_title")
        key = right.text_input("Key (optional; default from the title)", key="critique_item_key")
        description = st.text_area("Description", key="critique_item_description")
        c1, c2, c3, c4 = st.columns(4)
        owner = c1.text_input("Owner", key="critique_item_owner")
        team = c2.text_input("Team", key="critique_item_team")
        period = c3.text_input("Target period", key="critique_item_period")
        effort = c4.number_input("Effort", min_value=0.0, value=None, key="critique_item_effort")
        tags = st.text_input("Tags (comma-separated)", key="critique_item_tags")
        e1, e2 = st.columns(2)
        link = e1.text_input("Evidence link", key="critique_item_link")
        note = e2.text_input("Evidence note", key="critique_item_note")
        krs = st.multiselect(
            "Key results it serves",
            list(choices),
            format_func=lambda k: choices[k],
            key="critique_item_krs",
        )
        if not st.form_submit_button("Add item", key="critique_add_item"):
            return
    item_in = RoadmapItemCreate(
        title=title,
        key=key or None,
        description=description,
        owner=owner,
        team=team,
        target_period=period,
        effort=effort,
        tags=[t.strip() for t in tags.split(",") if t.strip()],
        evidence=[{"link": link, "note": note}],
    )
    item = write(engine, _create_with_links, item_in=item_in, key_result_ids=krs)
    if item is not None:
        flash(f"Added {item.title!r}.")
        st.rerun()


def _create_with_links(
    *, session: Session, item_in: RoadmapItemCreate, key_result_ids: list[int]
) -> RoadmapItem:
    item = crud.create_item(session=session, item_in=item_in)
    crud.link_key_results(session=session, item_id=item.id or 0, key_result_ids=key_result_ids)
    return item


def items_frame(items: list[RoadmapItem], links: dict[int, list[int]]) -> pd.DataFrame:
    """The items as a table (what the list shows)."""
    rows = [
        {
            "key": i.key,
            "title": i.title,
            "owner": i.owner,
            "team": i.team,
            "target_period": i.target_period,
            "status": i.status,
            "effort": i.effort,
            "tags": ", ".join(i.tags),
            "evidence": i.evidence_count,
            "key_results": len(links.get(i.id or 0, [])),
            "archived": i.archived,
        }
        for i in items
    ]
    return pd.DataFrame(rows)


def render_items(engine: Engine, *, editable: bool = True) -> None:
    """The list of items and (for an editor) an editor for evidence and key-result links."""
    archived = st.toggle("Show archived items", key="critique_show_archived")
    items = read(engine, crud.list_items, include_archived=archived)
    if not items:
        st.info("No roadmap items yet: import an export or add one.")
        return
    links = read(engine, crud.linked_key_result_ids, item_ids=[i.id or 0 for i in items])
    frame = items_frame(items, links)
    # Customer notes behind the insights linked to each item (Customer insights page).
    research = read(engine, evidence_counts, item_ids=[i.id or 0 for i in items])
    frame.insert(
        list(frame.columns).index("evidence") + 1,
        "customer_notes",
        [research.get(i.id or 0, 0) for i in items],
    )
    st.dataframe(frame if archived else frame.drop(columns="archived"), hide_index=True)
    by_id = {i.id or 0: i for i in items}
    if not editable:
        return
    item_id = st.selectbox(
        "Edit evidence and links of",
        list(by_id),
        format_func=lambda i: f"{by_id[i].title} ({by_id[i].key})",
        key="critique_edit_item",
    )
    if item_id is not None:
        _render_archive_button(engine, by_id[item_id])
        _render_item_editor(engine, by_id[item_id], links.get(item_id, []))
        with st.expander("Customer demand (insights linked on the Customer insights page)"):
            render_item_demand(engine, item_id=item_id, key=f"critique_demand_{item_id}")


def _render_archive_button(engine: Engine, item: RoadmapItem) -> None:
    """Archive an item (it leaves the list and new sessions; its history stays), or restore it."""
    seen = st.session_state.setdefault(f"critique_seen_item_{item.id}", item.version)
    label = "Restore item" if item.archived else "Archive item"
    if not st.button(label, key=f"critique_archive_{item.id}", icon=":material/archive:"):
        return
    done = write(
        engine,
        crud.set_archived,
        item_id=item.id or 0,
        seen_version=seen,
        archived=not item.archived,
    )
    st.session_state.pop(f"critique_seen_item_{item.id}", None)
    if done is not None:
        flash(f"{'Restored' if item.archived else 'Archived'} {item.title!r}.")
        st.rerun()


EDITABLE = ("title", "owner", "team", "target_period", "status")


def _render_item_editor(engine: Engine, item: RoadmapItem, linked: list[int]) -> None:
    """Fields, evidence and key-result links of one item; a stale edit is refused, not lost."""
    seen_key = f"critique_seen_item_{item.id}"
    seen = st.session_state.setdefault(seen_key, item.version)
    if item.evidence:
        st.dataframe(pd.DataFrame(item.evidence), hide_index=True)
    choices = dict(read(engine, summaries.key_result_choices))
    with st.form(f"critique_item_editor_{item.id}"):
        columns = st.columns(len(EDITABLE) + 1)
        fields = {
            name: columns[n].text_input(
                FIELD_LABELS[name],
                value=getattr(item, name),
                key=f"critique_ed_{item.id}_{seen}_{name}",
            )
            for n, name in enumerate(EDITABLE)
        }
        effort = columns[-1].number_input(
            "Effort", min_value=0.0, value=item.effort, key=f"critique_ed_{item.id}_{seen}_effort"
        )
        e1, e2 = st.columns(2)
        link = e1.text_input("New evidence link", key=f"critique_ev_link_{item.id}_{seen}")
        note = e2.text_input("New evidence note", key=f"critique_ev_note_{item.id}_{seen}")
        krs = st.multiselect(
            "Key results it serves",
            list(choices),
            default=[k for k in linked if k in choices],
            format_func=lambda k: choices[k],
            key=f"critique_ev_krs_{item.id}_{seen}",
        )
        if not st.form_submit_button("Save", key=f"critique_save_item_{item.id}"):
            return
    changes = {k: v for k, v in {**fields, "effort": effort}.items() if getattr(item, k) != v}
    try:
        with write_session(engine, actor=current_actor()) as session:
            version = seen
            if changes:
                version = crud.update_item(
                    session=session, item_id=item.id or 0, seen_version=version, item_in=changes
                ).version
            if link.strip() or note.strip():
                crud.add_evidence(
                    session=session,
                    item_id=item.id or 0,
                    seen_version=version,
                    link=link,
                    note=note,
                )
            crud.link_key_results(session=session, item_id=item.id or 0, key_result_ids=krs)
    except ProdOpsError as error:
        st.session_state.pop(seen_key, None)  # the next run shows the current version
        show_error(error)
        return
    st.session_state.pop(seen_key, None)
    flash(f"Saved {fields['title'] or item.title!r}.")
    st.rerun()
