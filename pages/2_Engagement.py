"""Engagement: active users, stickiness and the lifecycle of the active base."""

import streamlit as st

from prodops.metrics import breakdown_charts, engagement_charts
from prodops.ui import cache, control_groups, controls, nav, render, state, summaries

nav.setup_page("Engagement")

info = state.dataset_picker(cache.list_datasets(), prefer_kind="events")
if info is None:
    render.no_datasets()
    st.stop()
if info.kind != "events":
    render.wrong_kind(info, needed="events", what="Engagement")
    st.stop()

with cache.reading(info):  # the page's queries share one open of the dataset
    with render.errors():
        counts = cache.load_metric(info, "event_counts")
        shared, split = control_groups.engagement_controls(
            info, counts, controls.segment_choices(info)
        )
        params = shared.as_kwargs()
        windows = {
            n: cache.load_metric(info, "active_users", window_days=d, **params)
            for n, d in (("DAU", 1), ("WAU", 7), ("MAU", 30))
        }
        ratio = cache.load_metric(info, "dau_mau", **params)
    if sum(int(w["users"].sum()) for w in windows.values()) == 0:
        render.empty(
            "No user was active in this range with these filters. Widen the range or remove a"
            " filter."
        )
        st.stop()

    name = render.stem(info, "engagement")
    key = render.view_key(info, params)
    active = engagement_charts.active_users_frame(windows)
    render.chart(
        lambda: engagement_charts.build_active_users_chart(active),
        frame=active,
        key="active",
        stem=f"{name}_active_users",
        view=key,
    )
    if split.breakdown:
        window = controls.window_control()
        with render.errors():
            by_value = cache.load_metric(
                info, "active_users", window_days=window, **params, **split.as_kwargs()
            )
        per_value = engagement_charts.active_users_frame(breakdown_charts.breakdown_parts(by_value))
        render.chart(
            lambda: engagement_charts.build_active_users_chart(
                per_value, title=f"Active users by {split.breakdown}", legend=split.breakdown or ""
            ),
            frame=per_value,
            key="active_by_value",
            stem=f"{name}_active_users_by_{split.breakdown}",
            view=render.view_key(info, params, split.as_kwargs(), {"window": window}),
        )
    render.chart(
        lambda: engagement_charts.build_dau_mau_chart(ratio),
        frame=ratio,
        key="dau_mau",
        stem=f"{name}_dau_mau",
        view=key,
    )
    summaries.in_progress_note(ratio, drawn="drawn dashed")

    st.subheader("Stickiness")
    sticky_params = control_groups.stickiness_controls()
    with render.errors():
        sticky = cache.load_metric(info, "stickiness", **params, **sticky_params.as_kwargs())
    render.chart(
        lambda: engagement_charts.build_stickiness_chart(
            sticky, period=sticky_params.period, cumulative=sticky_params.cumulative
        ),
        frame=sticky,
        key="stickiness",
        stem=f"{name}_stickiness",
        view=render.view_key(info, params, sticky_params.as_kwargs()),
    )

    st.subheader("Lifecycle")
    life_params = control_groups.lifecycle_controls()
    with render.errors():
        life = cache.load_metric(info, "lifecycle", **params, **life_params.as_kwargs())
    summaries.lifecycle_summary(life, period=life_params.period)
    life_key = render.view_key(info, params, life_params.as_kwargs())
    if split.breakdown:
        with render.errors():
            lives = cache.load_metric(
                info, "lifecycle", **params, **life_params.as_kwargs(), **split.as_kwargs()
            )
        for label, part in breakdown_charts.breakdown_parts(lives).items():
            render.chart(
                lambda part=part, label=label: engagement_charts.build_lifecycle_chart(
                    part,
                    period=life_params.period,
                    title=f"Lifecycle · {split.breakdown} = {label}",
                ),
                frame=part,
                key=f"lifecycle_{label}",
                stem=f"{name}_lifecycle_{label}",
                view=render.view_key(
                    info, params, life_params.as_kwargs(), split.as_kwargs(), {"value": label}
                ),
            )
    render.chart(
        lambda: engagement_charts.build_lifecycle_chart(life, period=life_params.period),
        frame=life,
        key="lifecycle",
        stem=f"{name}_lifecycle",
        view=life_key,
    )
    render.chart(
        lambda: engagement_charts.build_pulse_chart(life, period=life_params.period),
        frame=life,
        key="pulse",
        stem=f"{name}_pulse",
        view=life_key,
    )
