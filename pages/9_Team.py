"""Team: who you are and your role, the team's roles, and the audit trail of every change."""

import streamlit as st

from prodops.ui import session as common
from prodops.ui.nav import setup_page
from prodops.ui.team import views

setup_page(
    "Team",
    caption="Who you act as and your role; the roles admins assign (viewer, editor, admin); and"
    " the audit trail: who changed what, when, from which value to which.",
)
engine = common.store_engine()
common.show_flash()
common.person_name(acting_as="Acting", shown_with="your changes")
role = views.render_me(engine)
st.subheader("Roles")
views.render_members(engine, role)
st.subheader("Audit trail")
views.render_trail(engine, role)
