"""Quarterly business review: numbers, OKRs, roadmap decisions and evidence in one report."""

import streamlit as st

from prodops import qbr
from prodops.store.access import Role
from prodops.ui import cache, render
from prodops.ui import session as common
from prodops.ui.nav import setup_page
from prodops.ui.qbr import views

setup_page(
    "Quarterly review",
    caption="One report of a quarter or any run of months: headline numbers with their formulas"
    " and changes, key charts, OKR results, roadmap decisions and customer evidence, with your"
    " narrative. Save it as a snapshot and export HTML, PDF or Markdown.",
)
engine = common.store_engine()
common.show_flash()
editor = common.may(engine, Role.EDITOR)  # viewers build and export; saving is an editor's

if views.pick_view() == views.VIEWS[0]:
    period, events, subs = views.pick_inputs(cache.list_datasets())
    if st.button("Build", type="primary", icon=":material/summarize:", key="qbr_build"):
        with render.errors():
            st.session_state[views.BUILT_KEY] = views.build(engine, period, events, subs).to_dict()
    built = st.session_state.get(views.BUILT_KEY)
    if built is None:
        st.caption("Pick the quarter (or the months) and the datasets, then press Build.")
        st.stop()
    report = qbr.Report.from_dict(built)
    views.render_report(report)
    st.subheader("Narrative")
    texts = views.narrative_form("new", {}) if editor else None
    if texts is not None:
        row = common.write(engine, qbr.save_report, report=report, narrative=texts)
        if row is not None:
            views.open_saved(row.id)
            common.done(f"Saved the QBR of {row.quarter} (revision {row.revision}).")
    st.caption("The exports below hold no narrative yet: save, then export from Saved QBRs.")
    views.render_downloads(report, {}, key="qbr_new")
else:
    row = views.pick_saved(engine)
    if row is None:
        st.stop()
    report = qbr.report_of(row)
    views.render_report(report)
    st.subheader("Narrative")
    seen = common.seen_version("qbr", int(row.id or 0), row.version)
    narrative = qbr.narrative_of(row)
    if not editor:
        for section, text in narrative.items():
            st.caption(section.capitalize())
            st.text(text or "-")
    texts = views.narrative_form(f"saved_{row.id}", narrative) if editor else None
    if texts is not None:
        saved = common.write(
            engine, qbr.update_narrative, report_id=row.id, seen_version=seen, values=texts
        )
        if saved is not None:
            common.forget("qbr", int(row.id or 0))
            common.done("Narrative saved.")
    views.render_downloads(report, qbr.narrative_of(row), key=f"qbr_saved_{row.id}")
    regen = editor and st.button(
        "Regenerate from today's data", icon=":material/refresh:", key="qbr_regen"
    )
    if regen:
        with render.errors():
            views.regenerate(engine, row)
