"""Customer insights: every customer voice kept once, grouped into insights, linked and weighed."""

import streamlit as st

from prodops.store.access import Role
from prodops.ui import session as common
from prodops.ui.nav import setup_page
from prodops.ui.research import insights, notes, nps, review

setup_page(
    "Customer insights",
    caption="Import notes from interviews, tickets, calls and surveys; search them, fold"
    " near-duplicates, group them into insights and link those to roadmap items and key results"
    " with the revenue behind them.",
)
engine = common.store_engine()
with st.container():
    common.show_flash()
with st.container():
    person = common.person_name(acting_as="Working", shown_with="the notes and insights you add")
if not common.may(engine, Role.EDITOR):
    person = None  # a viewer reads: no import, add, merge or link (the core refuses them too)

VIEWS = ("Notes", "Insights", "Duplicates", "NPS")
view = st.radio("View", VIEWS, horizontal=True, key="insights_view")
if view == "Notes":
    if person:
        with st.expander("Import an export"):
            notes.render_import(engine, person)
        with st.expander("Add a note"):
            notes.render_new_note(engine, person)
        notes.render_suggestion(engine, person)
    found = notes.render_browse(engine)
    with st.expander("Top themes by month"):
        notes.render_themes(found)
elif view == "Insights":
    if person:
        with st.expander("New insight from notes"):
            insights.render_new_insight(engine, person, notes.render_browse(engine))
    chosen = insights.pick_insight(engine)
    if chosen is not None:
        insights.render_insight(engine, person or None, chosen)
elif view == "Duplicates":
    if person:
        review.render_duplicates(engine, person)
else:
    nps.render_nps(notes.render_browse(engine))
