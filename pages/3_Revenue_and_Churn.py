"""Revenue & Churn: MRR movements and retention rates from subscriptions; user churn from events."""

from functools import partial

import streamlit as st

from prodops.metrics import breakdown_charts, engagement_charts, revenue_charts
from prodops.ui import cache, control_groups, controls, nav, render, state, summaries

nav.setup_page("Revenue & Churn")

info = state.dataset_picker(cache.list_datasets(), prefer_kind="subscriptions")
if info is None:
    render.no_datasets()
    st.stop()

with cache.reading(info):  # the page's queries share one open of the dataset
    if info.kind == "events":
        st.caption(
            "From events, churn is the share of users active in one period who are not active in"
            " the next. MRR, NRR, GRR and revenue churn need a subscriptions dataset (customer,"
            " start, end, MRR): pick one above or import one on the Data page."
        )
        with render.errors():
            counts = cache.load_metric(info, "event_counts")
            choice = control_groups.churn_controls(info, counts, controls.segment_choices(info))
            churn = cache.load_metric(info, "churn", **choice.as_kwargs())
        if churn["active_start"].sum() == 0:
            render.empty(summaries.churn_empty_text(churn, period=choice.period))
            st.stop()
        by = choice.breakdown
        name = render.stem(info, f"churn_by_{by}" if by else "churn")
        render.chart(
            partial(
                breakdown_charts.build_churn_breakdown_chart, churn, period=choice.period, legend=by
            )
            if by
            else partial(engagement_charts.build_churn_chart, churn, period=choice.period),
            frame=churn,
            key="churn",
            stem=name,
            view=render.view_key(info, choice.as_kwargs()),
        )
        summaries.in_progress_note(churn, drawn="drawn dashed" if by else "drawn lighter")
        if by:  # a missing value reads "(not set)", as in the chart's legend
            churn = churn.assign(breakdown=render.breakdown_labels(churn["breakdown"]))
        render.table(churn, key="churn_table", stem=f"{name}_table", percent=["churn_rate"])
        st.stop()

    with render.errors():
        params = control_groups.revenue_controls(info)
        revenue = cache.load_metric(info, "revenue", **params.as_kwargs())
        cohorts = cache.load_metric(info, "revenue_cohorts", **params.as_kwargs())
    if revenue.empty or revenue["customers_start"].sum() + revenue["customers_end"].sum() == 0:
        render.empty("No subscription was active in this range. Widen the date range.")
        st.stop()

    view = {"period": params.period}
    formulas = cache.revenue_formulas()
    summaries.revenue_tiles(revenue, formulas, **view)
    summaries.in_progress_note(revenue, drawn="drawn lighter or dashed")
    name = render.stem(info, "revenue")
    key = render.view_key(info, params.as_kwargs())
    left, right = st.columns(2)
    for column, build, chart_key, suffix in (
        (left, revenue_charts.build_mrr_chart, "mrr", "mrr"),
        (left, revenue_charts.build_revenue_churn_chart, "rates", "churn"),
        (right, revenue_charts.build_mrr_movements_chart, "moves", "movements"),
        (right, revenue_charts.build_nrr_grr_chart, "nrr", "nrr_grr"),
    ):
        with column:
            render.chart(
                partial(build, revenue, **view),
                frame=revenue,
                key=chart_key,
                stem=f"{name}_{suffix}",
                view=key,
            )
    render.chart(
        lambda: revenue_charts.build_revenue_retention_heatmap_chart(cohorts, **view),
        frame=cohorts,
        key="cohorts",
        stem=f"{name}_cohorts",
        view=key,
    )
    st.caption(f"Revenue retention = {formulas['revenue_retention']}.")
    st.subheader("Table")
    render.table(revenue, key="table", stem=f"{name}_table", percent=summaries.RATE_COLUMNS)
