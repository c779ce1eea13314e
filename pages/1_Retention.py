"""Retention: who comes back after a start event, by cohort."""

import streamlit as st

from prodops import metrics
from prodops.metrics import retention_charts
from prodops.metrics.retention_range import describe_range, in_progress_note, retention_range
from prodops.ui import cache, control_groups, controls, nav, render, state

nav.setup_page("Retention")

info = state.dataset_picker(cache.list_datasets(), prefer_kind="events")
if info is None:
    render.no_datasets()
    st.stop()
if info.kind != "events":
    render.wrong_kind(info, needed="events", what="Retention")
    st.stop()

with cache.reading(info):  # the page's queries share one open of the dataset
    with render.errors():
        counts = cache.load_metric(info, "event_counts")
        params = control_groups.retention_controls(info, counts, controls.segment_choices(info))
        frame = cache.load_metric(info, "retention", **params.as_kwargs())

    how = "cumulative" if params.cumulative else "min_occurrences"
    st.caption(
        "**What is counted.** Rows are cohorts: "
        + render.definition_lines(metrics.retention, "cohort", params.cohort)
        + " Cell k is the share of the cohort that came back k periods later. "
        + render.doc_param(metrics.retention, how)
        + " Blank cells cannot be observed yet: their period lies after the data end."
    )
    span = retention_range(frame)
    if span is not None:
        st.caption(describe_range(span, date_from=params.date_from))
    if frame.empty or int(frame.drop_duplicates(["breakdown", "cohort"])["size"].sum()) == 0:
        render.empty(
            "No user did the start event in this range with these filters. Widen the date range,"
            " pick another start event or remove a filter."
        )
        st.stop()

    running = control_groups.include_incomplete_toggle()
    if params.breakdown:
        render.chart(
            lambda: retention_charts.build_retention_breakdown_chart(
                frame,
                breakdown=params.breakdown or "",
                period=params.period,
                period_count=params.period_count,
                include_incomplete=running,
            ),
            frame=retention_charts.retention_breakdown_frame(frame, include_incomplete=running),
            key="by_value",
            stem=render.stem(info, f"retention_by_{params.breakdown}"),
            view=render.view_key(info, params.as_kwargs(), {"incomplete": running}),
        )
        if not state.url_toggle("Show the heatmap and table of one value", key="one_value"):
            st.stop()
    part, value = render.pick_breakdown(frame, params.breakdown)
    note = None if span is None else in_progress_note(span, include_incomplete=running)
    if note:
        st.caption(note)
    period, every = params.period, params.period_count
    name = render.stem(info, "retention" + (f"_{value}" if value else ""))
    key = render.view_key(info, params.as_kwargs(), {"value": value, "incomplete": running})
    average = cache.derived(
        "average", key, lambda: metrics.retention_average(part, include_incomplete=running)
    )
    render.chart(
        lambda: retention_charts.build_retention_heatmap_chart(
            part, period=period, period_count=every
        ),
        frame=part,
        key="heatmap",
        stem=f"{name}_heatmap",
        view=key,
    )
    render.chart(
        lambda: retention_charts.build_retention_curves_chart(
            part, average, period=period, period_count=every, average_includes_incomplete=running
        ),
        frame=average,
        key="curves",
        stem=f"{name}_curves",
        view=key,
    )
    st.subheader("Table")
    table, in_progress = cache.derived(
        "table",
        key,
        lambda: retention_charts.retention_table_view(part, period=period, period_count=every),
    )
    render.table(
        table,
        key="table",
        stem=f"{name}_table",
        percent=list(table.columns[2:]),
        in_progress=in_progress,
    )
