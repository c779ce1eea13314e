"""Home: what ProdOps is, the dataset picker, the catalog at a glance, KPIs and insights."""

import streamlit as st

from prodops.ui import cache, nav, render, state, summaries

nav.setup_page(
    "ProdOps",
    tab="Home",
    caption="ProdOps turns an events or subscriptions export into trustworthy retention,"
    " engagement, churn and revenue numbers in seconds. Product-ops teams run their OKR"
    " check-ins, roadmap critiques and business reviews on the same data.",
)

datasets = cache.list_datasets()
info = state.dataset_picker(datasets, prefer_kind="events")
if info is None:
    render.no_datasets()
    st.stop()

st.subheader("Catalog")
render.catalog_table(datasets)

others = [d for d in datasets if d.kind != info.kind][:1]
found = []
for shown in [info, *others]:
    st.subheader(f"Key numbers: {shown.kind}")
    with render.errors():
        summary = cache.summary(shown)
    st.text(shown.name)
    st.caption(summaries.data_end_text(summary.data_end))
    if summary.kpis:
        render.kpi_tiles(summary.kpis)
    else:
        render.empty("Not enough data in this dataset for key numbers yet.")
    found += [(insight, shown.name) for insight in summary.insights]

st.subheader("Insights")
summaries.insight_list(found)

st.subheader("Pages")
row = st.columns(3)
for column, (path, label, text) in zip(row, summaries.INSIGHT_PAGES, strict=True):
    with column.container(border=True):
        render.link(path, label, dataset=info.name)
        st.caption(text)
