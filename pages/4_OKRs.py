"""OKRs: objectives and key results of a period, check-ins, status by pace, metric refresh."""

import streamlit as st

from prodops import okr
from prodops.store.access import Role
from prodops.ui import examples
from prodops.ui import session as common
from prodops.ui.nav import setup_page
from prodops.ui.okr import forms, key_results, views

setup_page(
    "OKRs",
    caption="Objectives and key results of a period: weekly check-ins with confidence, status by"
    " pace, key results that update themselves from a metric.",
    help=okr.STATUS_HELP,
)
engine = common.store_engine()
common.show_flash()
examples.render_examples_note(engine, where="okr")
author = common.person_name(acting_as="Checking in", shown_with="your check-ins")
editor = common.may(engine, Role.EDITOR)  # viewers read; the core refuses their writes anyway
board = views.render_filters(engine)
views.render_summary(board)

board_tab, week_tab, tree_tab, add_tab, io_tab = st.tabs(
    ["Board", "This week", "Alignment", "Add objectives and key results", "Export / import"],
    key="okr_tabs",
    on_change="rerun",  # tracked: the open tab stays open across the reruns that forms trigger
)
with board_tab:
    if editor:
        forms.render_refresh(engine, board)
    for view in board.views:
        with st.container(border=True, key=f"okr_card_{view.id}"):
            views.render_objective_header(view)
            views.render_key_results(view)
            with st.expander(
                "Check in, history, edit" if editor else "History",
                key=f"okr_tools_{view.id}",
                on_change="rerun",
            ):
                kr = key_results.pick_key_result(view)
                if kr is not None:
                    if editor:
                        key_results.render_check_in(engine, kr, author)
                    views.render_history(engine, view, kr.id)
                    if editor and kr.binding:
                        forms.render_refresh(engine, board, kr)
                    if editor:
                        key_results.render_key_result_edit(engine, kr)
                if editor:
                    forms.render_objective_tools(engine, view, board)
with week_tab:
    views.render_this_week(board, author)
with tree_tab:
    views.render_tree(engine, board)
with add_tab:
    if editor:
        forms.render_new_objective(engine, board)
        key_results.render_new_key_result(engine, board)
    else:
        st.caption(common.VIEWER_NOTE)
with io_tab:
    views.render_export(engine)
    if editor:
        forms.render_import(engine)
