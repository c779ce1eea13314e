"""NPS on the Customer insights page: score, groups over time and by segment, the comments."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from prodops.research.charts import build_nps_chart
from prodops.research.nps import comments, nps_by_segment, nps_over_time, nps_score

GROUPS = {
    "detractor": "Detractors (0-6)",
    "passive": "Passives (7-8)",
    "promoter": "Promoters (9-10)",
}


def render_nps(notes: pd.DataFrame) -> None:
    """The NPS of the scored notes among *notes* (the search's result)."""
    score = nps_score(notes)
    if score is None:
        st.info("No scored notes here: import an NPS or survey export (score + comment).")
        return
    st.metric(
        "NPS", f"{score:+.0f}", help="% promoters (9-10) minus % detractors (0-6), -100 to 100"
    )
    period = st.selectbox("Period", ["month", "week", "quarter"], key="nps_period")
    over_time = nps_over_time(notes, period=period)
    st.altair_chart(build_nps_chart(over_time), width="stretch")
    st.dataframe(over_time, hide_index=True)
    keys = sorted({k for p in notes["properties"] for k in (p or {})})
    if keys:
        segment = st.selectbox("Segment by", keys, key="nps_segment")
        st.dataframe(nps_by_segment(notes, segment=segment), hide_index=True)
    group = st.radio(
        "Comments of",
        list(GROUPS),
        format_func=GROUPS.__getitem__,
        horizontal=True,
        key="nps_group",
    )
    picked = comments(notes, group=group)
    st.dataframe(
        picked[["noted_on", "score", "customer_id", "customer_company", "text"]], hide_index=True
    )
