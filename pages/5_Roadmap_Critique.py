"""Roadmap critique: import the roadmap, score it with several reviewers, flag, decide, export."""

import streamlit as st

from prodops.store.access import Role
from prodops.ui import examples
from prodops.ui import session as common
from prodops.ui.critique import items, sessions
from prodops.ui.nav import setup_page

setup_page(
    "Roadmap critique",
    caption="Score each roadmap item against a rubric with several reviewers (each sees the"
    " others' scores only after submitting), flag weak items, record decisions, export the"
    " summary.",
)
engine = common.store_engine()
with st.container():  # fixed slots: what follows keeps its place whether or not these draw
    common.show_flash()
with st.container():
    examples.render_examples_note(engine, where="critique")
with st.container():
    reviewer = common.person_name(acting_as="Reviewing", shown_with="your scores and decisions")

editor = common.may(engine, Role.EDITOR)  # viewers read; the core refuses their writes anyway

VIEWS = ("Roadmap items", "Critique sessions")
view = st.radio("View", VIEWS, horizontal=True, key="critique_view")
if view == VIEWS[0]:
    if editor:
        with st.expander("Import a roadmap export"):
            items.render_import(engine)
        with st.expander("Add an item"):
            items.render_new_item(engine)
    items.render_items(engine, editable=editor)
else:
    if editor:
        with st.expander("New critique session"):
            sessions.render_new_session(engine)
    crit = sessions.pick_session(engine)
    if crit is not None:
        sessions.render_session_header(engine, crit)
        if reviewer and editor:
            sessions.render_scoring(engine, crit, reviewer)
        summary = sessions.render_results(engine, crit, reviewer)
        if summary is not None:
            sessions.render_item_detail(engine, crit, summary, reviewer if editor else None)
            sessions.render_downloads(summary)
