"""Insights on the Customer insights page: group notes into claims, merge, link, weigh by revenue.

Claims and note text are people's and customers' words: shown with ``st.text`` and
``st.dataframe``, never as Markdown.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from prodops.critique import crud as critique_crud
from prodops.critique import summary as critique_summary
from prodops.errors import ProdOpsError
from prodops.research import crud, insight_crud, item_demand
from prodops.research.demand import Demand, subscriptions_frame
from prodops.research.models import ResearchInsight, ResearchInsightCreate
from prodops.research.search import search_notes
from prodops.store.db import write_session
from prodops.ui.cache import list_datasets
from prodops.ui.session import attempt, current_actor, flash, read, show_error, write

NOTES_SHOWN = ["source_id", "noted_on", "source_kind", "customer_id", "customer_company", "text"]


def insights_frame(session: Session) -> pd.DataFrame:
    """One row per insight: claim, status, notes (merged ones included), items linked, tags."""
    rows = []
    for insight in insight_crud.list_insights(session=session, include_merged=True):
        insight_id = insight.id or 0
        rows.append(
            {
                "id": insight_id,
                "claim": insight.claim,
                "status": insight.status,
                "notes": len(insight_crud.insight_note_ids(session=session, insight_id=insight_id)),
                "roadmap items": len(
                    insight_crud.linked_items(session=session, insight_id=insight_id)
                ),
                "key results": len(
                    insight_crud.linked_key_result_ids(session=session, insight_id=insight_id)
                ),
                "tags": ", ".join(insight.tags),
                "created by": insight.created_by,
            }
        )
    return pd.DataFrame(rows)


def render_new_insight(engine: Engine, person: str, found: pd.DataFrame) -> None:
    """Create an insight from a claim and some of the notes the search found."""
    candidates = found.head(300)
    labels = {
        int(note_id): f"{source_id}: {' '.join(str(text).split())[:80]}"
        for note_id, source_id, text in zip(
            candidates["id"], candidates["source_id"], candidates["text"], strict=True
        )
    }
    with st.form("insights_new_insight", clear_on_submit=True):
        claim = st.text_input("Claim", placeholder="Customers need SSO with Okta before rollout")
        tags = st.text_input("Tags (comma separated)", key="insights_new_tags")
        picked = st.multiselect(
            "Notes behind it (from the search above)",
            list(labels),
            format_func=labels.__getitem__,
            key="insights_new_notes",
        )
        if not st.form_submit_button("Create insight"):
            return
    versions = dict(zip(found["id"].astype(int), found["version"].astype(int), strict=True))
    try:
        with write_session(engine, actor=current_actor()) as session:
            insight = insight_crud.create_insight(
                session=session,
                insight_in=ResearchInsightCreate(claim=claim, tags=tags.split(",")),
                actor=person,
            )
            for note_id in picked:
                insight_crud.assign_note(
                    session=session,
                    note_id=note_id,
                    insight_id=insight.id,
                    seen_version=versions[note_id],
                    actor=person,
                )
    except ProdOpsError as error:
        show_error(error)
        return
    flash(f"Insight created with {len(picked)} notes.")
    st.rerun()


def pick_insight(engine: Engine) -> ResearchInsight | None:
    """The insights table and a picker; return the chosen insight."""
    frame = read(engine, insights_frame)
    if frame.empty:
        st.info(
            "No insights yet: search notes, pick the ones that say the same thing, and "
            "create an insight from them."
        )
        return None
    st.dataframe(frame, hide_index=True)
    claims = dict(zip(frame["id"], frame["claim"], strict=True))
    chosen = st.selectbox(
        "Insight", list(claims), format_func=lambda i: f"#{i} {claims[i]}", key="insights_pick"
    )
    return None if chosen is None else read(engine, crud.get_insight, insight_id=int(chosen))


def render_insight(engine: Engine, person: str | None, insight: ResearchInsight) -> None:
    """One insight: its notes (merged ones included); for an editor (*person* given) merge /
    undo and links."""
    insight_id = insight.id or 0
    st.text(f"{insight.claim}  ·  {insight.status}  ·  created by {insight.created_by}")
    ids = read(engine, insight_crud.merged_ids, insight_id=insight_id)
    notes = pd.concat(
        [read(engine, search_notes, insight_id=i, limit=None) for i in ids], ignore_index=True
    )
    st.caption(f"{len(notes)} notes (merged insights' notes included, with their insight)")
    st.dataframe(notes[[*NOTES_SHOWN, "insight"]], hide_index=True)
    if person is None:
        return
    _render_merge(engine, person, insight)
    _render_links(engine, person, insight_id)


def _render_merge(engine: Engine, person: str, insight: ResearchInsight) -> None:
    """Merge into another insight (notes and links then count there), or undo a merge."""
    insight_id = insight.id or 0
    seen = insight.version
    if insight.merged_into_id is not None:
        if not st.button("Undo the merge", key=f"insights_unmerge_{insight_id}"):
            return
        undone = write(
            engine,
            insight_crud.unmerge_insight,
            insight_id=insight_id,
            seen_version=seen,
            actor=person,
        )
        if undone is not None:
            flash("Merge undone: the insight stands alone again.")
            st.rerun()
        return
    others = {
        i.id or 0: i.claim for i in read(engine, insight_crud.list_insights) if i.id != insight_id
    }
    if not others:
        return
    left, right = st.columns([4, 1])
    target = left.selectbox(
        "Merge this insight into",
        list(others),
        format_func=lambda i: f"#{i} {others[i]}",
        key=f"insights_merge_into_{insight_id}",
    )
    if target is None or not right.button("Merge", key=f"insights_merge_{insight_id}"):
        return
    merged = write(
        engine,
        insight_crud.merge_insights,
        insight_id=insight_id,
        into_id=int(target),
        seen_version=seen,
        actor=person,
    )
    if merged is not None:
        flash("Merged: its notes now count under the other insight (undo from its page).")
        st.rerun()


def _render_links(engine: Engine, person: str, insight_id: int) -> None:
    """Its roadmap items, and forms that link it to one more item or key result."""
    linked = read(engine, insight_crud.linked_items, insight_id=insight_id)
    if linked:
        st.caption("Evidence for roadmap items")
        st.dataframe(pd.DataFrame(linked)[["key", "title"]], hide_index=True)
    items = {i.id or 0: f"{i.key} · {i.title}" for i in read(engine, critique_crud.list_items)}
    krs = dict(read(engine, critique_summary.key_result_choices))
    c1, c2 = st.columns(2)
    with c1.form(f"insights_link_item_{insight_id}"):
        item = st.selectbox("Roadmap item", list(items), format_func=items.__getitem__)
        link_item = st.form_submit_button("Link as evidence")
    with c2.form(f"insights_link_kr_{insight_id}"):
        kr = st.selectbox("Key result", list(krs), format_func=krs.__getitem__)
        link_kr = st.form_submit_button("Link to key result")
    if link_item and item is not None:
        ok = attempt(
            engine, insight_crud.link_item, insight_id=insight_id, item_id=item, actor=person
        )
    elif link_kr and kr is not None:
        ok = attempt(
            engine,
            insight_crud.link_key_result,
            insight_id=insight_id,
            key_result_id=kr,
            actor=person,
        )
    else:
        return
    if ok:
        flash("Linked.")
        st.rerun()


def pick_subscriptions(key: str) -> str | None:
    """A picker of the catalog's subscriptions datasets (None when there is none)."""
    names = [d.name for d in list_datasets() if d.kind == "subscriptions"]
    if not names:
        st.caption(
            "Import a subscriptions dataset on the Data page to see the MRR behind requests."
        )
        return None
    return st.selectbox("Subscriptions (for MRR and plans)", names, key=key)


@st.cache_data(max_entries=8, ttl=300, show_spinner=False)
def load_subscriptions(name: str, version: int) -> pd.DataFrame:
    """The subscriptions dataset *name* at catalog *version* (the cache key)."""
    del version
    return subscriptions_frame(name)


def subscriptions_for(name: str | None) -> pd.DataFrame | None:
    if name is None:
        return None
    info = next(d for d in list_datasets() if d.name == name)
    return load_subscriptions(name, info.version)


def render_demand(demand: Demand, *, as_of: dt.date) -> None:
    """How many customers asked, who, the MRR behind them and their plan mix."""
    c1, c2, c3 = st.columns(3)
    c1.metric("Customers asking", demand.customer_count)
    c2.metric(f"MRR behind them on {as_of}", f"{demand.mrr:,.0f}")
    c3.metric("Insights linked", len(demand.insights))
    if demand.customers.empty:
        return
    st.dataframe(demand.customers, hide_index=True)
    st.caption("Plan mix")
    st.dataframe(demand.plan_mix, hide_index=True)


MATCH_LABELS = {
    "customer_id": "customer id",
    "email": "e-mail",
    "domain": "e-mail domain",
}


def render_item_demand(engine: Engine, *, item_id: int, key: str) -> None:
    """The revenue-weighted demand of one roadmap item (used by the critique page too)."""
    name = pick_subscriptions(key)
    info = next((d for d in list_datasets() if d.name == name), None)
    data_end = info.time_max.date() if info is not None and info.time_max else dt.date.today()
    c1, c2, c3 = st.columns(3)
    picked = c1.date_input(
        "MRR as of", value=data_end, key=f"{key}_as_of", help="Default: the data's last date"
    )
    as_of = picked if isinstance(picked, dt.date) else data_end
    properties = list(info.property_columns) if info is not None else []
    match_by = c2.selectbox(
        "Match customers by",
        list(MATCH_LABELS) if properties else ["customer_id"],
        format_func=MATCH_LABELS.__getitem__,
        key=f"{key}_match",
        help="The notes' customer id, or their e-mail (or its domain) against an e-mail column "
        "of the subscriptions.",
    )
    email_col = (
        c3.selectbox("Subscriptions' e-mail column", properties, key=f"{key}_email_col")
        if match_by != "customer_id"
        else None
    )
    try:
        demand = read(
            engine,
            item_demand,
            item_id=item_id,
            subscriptions=subscriptions_for(name),
            as_of=as_of,
            match_by=match_by,
            email_col=email_col,
        )
    except ProdOpsError as error:
        show_error(error)
        return
    render_demand(demand, as_of=as_of)
