"""Data: upload an export, check the guesses and the mapping, save it; manage the catalog;
connect a database."""

import streamlit as st

from prodops.store.access import Role
from prodops.ui import cache, nav, session
from prodops.ui.data.catalog import render_catalog
from prodops.ui.data.connect import render_connect
from prodops.ui.data.upload import render_upload

nav.setup_page(
    "Data",
    caption="Upload an events or subscriptions export (PostHog, Mixpanel, Amplitude, Segment,"
    " Stripe, dbt or any CSV), check what was guessed, correct the mapping, and save it as a"
    " dataset.",
)
catalog = cache.get_catalog()

session.show_flash()
# Importing, renaming, deleting and connecting are an admin's (the catalog refuses anyone else).
admin = session.may(session.store_engine(), Role.ADMIN, note=False)
if not admin:
    st.info(
        "You can read the catalog. Importing, renaming and deleting datasets and connecting"
        " databases are for admins (Team page).",
        icon=":material/lock:",
    )
else:
    st.subheader("Upload a file")
    render_upload(catalog)

st.subheader("Catalog")
render_catalog(catalog, admin=admin)

if admin:
    st.subheader("Connect a database")
    render_connect(catalog)
