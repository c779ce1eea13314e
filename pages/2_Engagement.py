"""Engagement: active users, stickiness and the lifecycle of the active base."""

import streamlit as st

from prodops.metrics import charts
from prodops.ui import cache, nav, render, state

st.set_page_config(page_title="Engagement · ProdOps", layout="wide")
nav.render_sidebar()
st.title("Engagement")

info = state.dataset_picker(cache.list_datasets(), prefer_kind="events")
if info is None:
    render.no_datasets()
    st.stop()
if info.kind != "events":
    render.wrong_kind(info, needed="events", what="Engagement")
    st.stop()

with render.errors():
    counts = cache.load_metric(info, "event_counts")
    params = state.engagement_controls(info, counts, cache.filter_options(info))
    windows = {
        n: cache.load_metric(info, "active_users", window_days=d, **params)
        for n, d in (("DAU", 1), ("WAU", 7), ("MAU", 30))
    }
    ratio = cache.load_metric(info, "dau_mau", **params)
if sum(int(w["users"].sum()) for w in windows.values()) == 0:
    render.empty(
        "No user was active in this range with these filters. Widen the range or remove a filter."
    )
    st.stop()

name = render.stem(info, "engagement")
key = render.view_key(info, params)
active = charts.active_users_frame(windows)
render.chart(
    lambda: charts.build_active_users_chart(active),
    frame=active,
    key="active",
    stem=f"{name}_active_users",
    view=key,
)
render.chart(
    lambda: charts.build_dau_mau_chart(ratio),
    frame=ratio,
    key="dau_mau",
    stem=f"{name}_dau_mau",
    view=key,
)

st.subheader("Stickiness")
sticky_params = state.stickiness_controls()
with render.errors():
    sticky = cache.load_metric(info, "stickiness", **params, **sticky_params)
view = {"period": sticky_params["period"], "cumulative": sticky_params["cumulative"]}
render.chart(
    lambda: charts.build_stickiness_chart(sticky, **view),
    frame=sticky,
    key="stickiness",
    stem=f"{name}_stickiness",
    view=render.view_key(info, params, sticky_params),
)

st.subheader("Lifecycle")
life_params = state.lifecycle_controls()
with render.errors():
    life = cache.load_metric(info, "lifecycle", **params, **life_params)
render.lifecycle_summary(life)
life_key = render.view_key(info, params, life_params)
render.chart(
    lambda: charts.build_lifecycle_chart(life, period=life_params["period"]),
    frame=life,
    key="lifecycle",
    stem=f"{name}_lifecycle",
    view=life_key,
)
render.chart(
    lambda: charts.build_pulse_chart(life, period=life_params["period"]),
    frame=life,
    key="pulse",
    stem=f"{name}_pulse",
    view=life_key,
)
