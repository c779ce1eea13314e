"""Charts of the insight repository (their headless twins are in :mod:`prodops.research.nps`).

Examples
--------
>>> over_time = pd.DataFrame({"period": ["2026-01"], "promoters": [2], "passives": [1],
...                           "detractors": [0]})
>>> spec = build_nps_chart(over_time).to_dict()
>>> spec["mark"]["type"], len(spec["datasets"][spec["data"]["name"]])
('bar', 3)
"""

from __future__ import annotations

import altair as alt
import pandas as pd


def build_nps_chart(over_time: pd.DataFrame) -> alt.Chart:
    """Promoters, passives and detractors per period (stacked), from :func:`nps_over_time`."""
    long = over_time.melt(
        id_vars=["period"], value_vars=["promoters", "passives", "detractors"], var_name="group"
    )
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period:N", title="Period"),
            y=alt.Y("value:Q", title="Responses"),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(
                    domain=["promoters", "passives", "detractors"],
                    range=["#2e7d32", "#9e9e9e", "#c62828"],
                ),
            ),
            tooltip=["period", "group", "value"],
        )
    )
    return chart
