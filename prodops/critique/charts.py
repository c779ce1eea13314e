"""Charts of the roadmap critique (pure; no Streamlit): ``build_*_chart(frame, ...)``.

The frame behind the value-vs-effort scatter is :func:`prodops.critique.report.value_effort_frame`
(its headless twin): one row per scored item with ``title``, ``value`` and ``effort`` on 0-100,
``quadrant`` and ``decision``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from prodops.critique.rules import DECISION_LABELS
from prodops.errors import ColumnError

QUADRANT_SPLIT = 50.0
QUADRANT_LABELS = (  # (x = effort, y = value, label): corners of the 0-100 square
    (4.0, 96.0, "Quick wins", "left"),
    (96.0, 96.0, "Big bets", "right"),
    (4.0, 4.0, "Fill-ins", "left"),
    (96.0, 4.0, "Money pits", "right"),
)
DECISION_ORDER = ["approve", "approve_with_changes", "needs_evidence", "reject", "undecided"]
DECISION_COLOURS = ["#2ca02c", "#98df8a", "#ff7f0e", "#d62728", "#7f7f7f"]
DECISION_WORDS = {**DECISION_LABELS, "undecided": "Undecided"}


def build_value_effort_chart(
    frame: pd.DataFrame, *, title: str = "Value vs effort", height: int = 420
) -> alt.LayerChart:
    """Scatter of items by effort (x) and value (y), both 0-100, with quadrant lines at 50.

    Points are coloured by decision (grey while undecided); the tooltip names the item.

    Examples
    --------
    >>> f = pd.DataFrame({"title": ["SSO"], "value": [80.0], "effort": [30.0],
    ...                   "quadrant": ["quick win"], "decision": ["approve"]})
    >>> spec = build_value_effort_chart(f).to_dict()
    >>> spec["layer"][0]["mark"]["type"]
    'circle'
    """
    missing = [c for c in ("title", "value", "effort") if c not in frame.columns]
    if missing:
        raise ColumnError(f"the chart needs column(s) {missing}", fix="Pass value_effort_frame().")
    data = frame.copy()
    if "decision" not in data.columns:
        data["decision"] = ""
    data["decision"] = data["decision"].fillna("").replace("", "undecided")
    # Words, not identifiers: the legend and tooltip read "Approve with changes".
    data["decision"] = data["decision"].map(lambda d: DECISION_WORDS.get(d, d))
    if "quadrant" not in data.columns:
        data["quadrant"] = ""
    scale = alt.Scale(domain=[0, 100])
    points = (
        alt.Chart(data)
        .mark_circle(size=140, opacity=0.85)
        .encode(
            x=alt.X("effort:Q", title="Effort (0 = least, 100 = most)", scale=scale),
            y=alt.Y("value:Q", title="Value (0-100)", scale=scale),
            color=alt.Color(
                "decision:N",
                title="Decision",
                scale=alt.Scale(
                    domain=[DECISION_WORDS[d] for d in DECISION_ORDER], range=DECISION_COLOURS
                ),
            ),
            tooltip=[
                alt.Tooltip("title:N", title="Item"),
                alt.Tooltip("value:Q", title="Value", format=".0f"),
                alt.Tooltip("effort:Q", title="Effort", format=".0f"),
                alt.Tooltip("quadrant:N", title="Quadrant"),
                alt.Tooltip("decision:N", title="Decision"),
            ],
        )
    )
    split = pd.DataFrame({"at": [QUADRANT_SPLIT]})
    vertical = alt.Chart(split).mark_rule(strokeDash=[4, 4], color="#999").encode(x="at:Q")
    horizontal = alt.Chart(split).mark_rule(strokeDash=[4, 4], color="#999").encode(y="at:Q")
    labels = pd.DataFrame(QUADRANT_LABELS, columns=["effort", "value", "label", "align"])
    text_layers = [
        alt.Chart(labels[labels["align"] == side])
        .mark_text(align=side, fontWeight="bold", color="#666")
        .encode(x="effort:Q", y="value:Q", text="label:N")
        for side in ("left", "right")
    ]
    return alt.LayerChart(
        layer=[points, vertical, horizontal, *text_layers], title=title, height=height
    )
