"""How charts mark periods in progress: lighter bars, dashed line segments, a "Period" tooltip and
an "in progress" subtitle (shared by the engagement and revenue charts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from prodops.metrics.charts import (
    COMPLETE,
    IN_PROGRESS,
    IN_PROGRESS_DASH,
    IN_PROGRESS_OPACITY,
    in_progress_subtitle,
    status_labels,
)

PROGRESS_TOOLTIP = alt.Tooltip("progress:N", title="Period")


# --- periods in progress -------------------------------------------------------------------------


def progress(frame: pd.DataFrame) -> pd.Series:
    """ "complete" or "in progress" for each row of a metric frame (all complete without a flag).

    >>> progress(pd.DataFrame({"complete": [True, False]})).tolist()
    ['complete', 'in progress']
    """
    if "complete" not in frame.columns:
        return pd.Series(COMPLETE, index=frame.index)
    return status_labels(frame["complete"])


def joined_segments(data: pd.DataFrame, *, by: Sequence[str], order: str) -> pd.DataFrame:
    """*data* plus, per line (*by*), its last complete point again as "in progress".

    A line whose ``progress`` changes is drawn as two segments (solid, then dashed); repeating
    the last complete point in the dashed one joins them. Only the chart sees these rows: the
    frame behind a download keeps one row per point.

    >>> data = pd.DataFrame({"day": ["01", "02", "03"], "s": "DAU",
    ...                      "progress": ["complete", "complete", "in progress"]})
    >>> joined_segments(data, by=["s"], order="day")["day"].tolist()
    ['01', '02', '03', '02']
    """
    late = data["progress"] == IN_PROGRESS
    if not late.any():
        return data
    keys = data.loc[late, list(by)].drop_duplicates()
    done = data[~late].merge(keys, on=list(by))
    last = done.sort_values(order).groupby(list(by), sort=False).tail(1)
    return pd.concat([data, last.assign(progress=IN_PROGRESS)], ignore_index=True)


def _any_late(data: pd.DataFrame) -> bool:
    return bool((data["progress"] == IN_PROGRESS).any())


def progress_opacity(data: pd.DataFrame, *, full: float = 1.0) -> Any:
    """Opacity by ``progress``: lighter in progress (with a legend entry only when there is one)."""
    return alt.Opacity(
        "progress:N",
        title="Period",
        scale=alt.Scale(domain=[COMPLETE, IN_PROGRESS], range=[full, full * IN_PROGRESS_OPACITY]),
        # beside the plot, with the other legends: a legend below would take the plot's height
        legend=alt.Legend() if _any_late(data) else None,
    )


# Streamlit's chart theme draws no "stroke" legend symbols: the labels draw the dash instead.
_DASH_LEGEND: dict[str, Any] = {
    "symbolOpacity": 0,
    "symbolSize": 1,
    "labelExpr": f"datum.label == '{IN_PROGRESS}' ? '╌╌╌  {IN_PROGRESS}' : '───  {COMPLETE}'",
}


def progress_dash(data: pd.DataFrame) -> Any:
    """Stroke dash by ``progress``: solid when complete, dashed in progress."""
    return alt.StrokeDash(
        "progress:N",
        title="Period",
        scale=alt.Scale(domain=[COMPLETE, IN_PROGRESS], range=[[1, 0], IN_PROGRESS_DASH]),
        # a stroke symbol shows the dash even on lines drawn with points
        legend=alt.Legend(**_DASH_LEGEND) if _any_late(data) else None,
    )


def titled(title: str, *notes: str | None) -> alt.Title | str:
    """*title* with the notes that are set as its subtitle lines."""
    lines = [n for n in notes if n]
    return alt.Title(title, subtitle=lines) if lines else title


def _note(frame: pd.DataFrame, drawn: str) -> str | None:
    """The "in progress" subtitle of *frame* (its ``complete`` column and data end)."""
    return in_progress_subtitle(frame, drawn) if "complete" in frame.columns else None
