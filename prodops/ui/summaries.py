"""Dataset summaries the pages render: data end, in-progress notes, insights, pulse, revenue tiles.

Text that may come from data is never rendered as Markdown or HTML: it goes through
:func:`escape_markdown` (see :mod:`prodops.ui.render`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from prodops.metrics.completeness import data_end_of
from prodops.metrics.kpis import Insight, complete_mask, instant_name, period_name
from prodops.text import escape_markdown
from prodops.ui.render import link


def data_end_text(data_end: pd.Timestamp | None) -> str:
    """The line under a dataset's key numbers: the data end they were judged against.

    >>> data_end_text(pd.Timestamp("2026-10-31 23:50:30", tz="UTC"))
    'Data up to 31 Oct 2026 23:50 UTC: each number is of the latest complete period it names; \
the change is against the period before.'
    """
    if data_end is None:
        return "No data yet."
    zone = "" if data_end.tzinfo is None else f" {data_end.tzname()}"
    return (
        f"Data up to {instant_name(data_end)}{zone}: each number is of the latest complete period"
        " it names; the change is against the period before."
    )


def in_progress_text(frame: pd.DataFrame, *, drawn: str = "drawn lighter") -> str | None:
    """What to say under a chart or table of *frame* with periods in progress; None if none.

    A frame's periods in progress are its rows (or retention cells) whose ``complete`` flag is
    false; the data end is the one the metric recorded (``frame.attrs["data_end"]``).

    >>> frame = pd.DataFrame({"complete": [True, False]})
    >>> frame.attrs["data_end"] = pd.Timestamp("2026-11-02 04:46", tz="UTC")
    >>> in_progress_text(frame)
    'Periods that end after the data end (2 Nov 2026 04:46) are in progress and drawn lighter: \
they are still filling up, and averages and latest values leave them out.'
    >>> in_progress_text(frame.assign(complete=True)) is None
    True
    """
    if "complete" not in frame.columns or frame["complete"].fillna(False).astype(bool).all():
        return None
    end = data_end_of(frame)
    when = "the data end" if end is None else f"the data end ({instant_name(end)})"
    return (
        f"Periods that end after {when} are in progress and {drawn}: they are still filling up,"
        " and averages and latest values leave them out."
    )


def in_progress_note(frame: pd.DataFrame, *, drawn: str = "drawn lighter") -> None:
    """A caption saying which periods of *frame* are in progress (nothing if all are complete)."""
    text = in_progress_text(frame, drawn=drawn)
    if text is not None:
        st.caption(text, help="A period is complete when it ends at or before the data end.")


_CALLOUT = {"warning": st.warning, "success": st.success, "info": st.info}
_PAGE_LABEL = {
    "pages/1_Retention.py": "Open Retention",
    "pages/2_Engagement.py": "Open Engagement",
    "pages/3_Revenue_and_Churn.py": "Open Revenue & Churn",
}


def insight_callouts(insights: Sequence[Insight], *, dataset: str) -> None:
    """Each insight as a coloured callout (escaped text) with a link to the page that shows it."""
    if not insights:
        st.caption("No large movements found in the latest complete periods.")
        return
    for insight in insights:
        body = f"**{escape_markdown(insight.title)}**  \n{escape_markdown(insight.text)}"
        _CALLOUT[insight.severity](body)
        link(
            insight.page,
            _PAGE_LABEL.get(insight.page, "Open"),
            dataset=dataset,
            params=insight.params,
            icon=":material/arrow_forward:",
        )


def insight_list(found: Sequence[tuple[Insight, str]], *, limit: int = 4) -> None:
    """The *limit* largest insights of several datasets, largest first, each with its link."""
    ranked = sorted(found, key=lambda pair: -pair[0].score)[:limit]
    if not ranked:
        st.caption("No large movements found in the latest complete periods.")
    for insight, dataset in ranked:
        insight_callouts([insight], dataset=dataset)


INSIGHT_PAGES: tuple[tuple[str, str, str], ...] = (
    (
        "pages/1_Retention.py",
        "Retention",
        "Cohort heatmap and curves: who comes back, by start and return event.",
    ),
    (
        "pages/2_Engagement.py",
        "Engagement",
        "DAU, WAU, MAU, stickiness and the lifecycle of active users.",
    ),
    (
        "pages/3_Revenue_and_Churn.py",
        "Revenue & Churn",
        "MRR movements, churn, NRR and GRR, each with its formula.",
    ),
)


_SPANS = {"hour": 1 / 24, "day": 1, "week": 7}


def guess_period(starts: pd.Series) -> str | None:
    """The period of evenly spaced period *starts* (hour, day, week, month, quarter), or None.

    >>> guess_period(pd.Series(pd.to_datetime(["2026-09-01", "2026-10-01"])))
    'month'
    >>> guess_period(pd.Series(pd.to_datetime(["2026-10-19", "2026-10-26"])))
    'week'
    """
    stamps = pd.to_datetime(starts).sort_values()
    if len(stamps) < 2:
        return None
    if stamps.dt.tz is not None:  # wall-clock time: a week across a clock change is 7 days
        stamps = stamps.dt.tz_localize(None)
    days = (stamps.iloc[-1] - stamps.iloc[-2]) / pd.Timedelta(days=1)
    for period, span in _SPANS.items():
        if abs(days - span) < 1e-9:
            return period
    if 28 <= days <= 31:
        return "month"
    return "quarter" if 89 <= days <= 92 else None


def _last_complete(
    frame: pd.DataFrame, *, time_col: str, period: str | None, as_of: Any = None
) -> tuple[pd.DataFrame, str | None]:
    """The rows of *frame* in complete periods, and the period (given or guessed from the rows).

    The frame's own ``complete`` flags decide when it has them (the metric's data end); else its
    recorded data end, else *as_of*.
    """
    period = period or guess_period(frame[time_col])
    if "complete" in frame.columns:
        return frame[frame["complete"].fillna(False).astype(bool)], period
    if period is None:
        return frame, None  # one row and no flags: nothing tells
    as_of = None if data_end_of(frame) is not None else as_of
    return frame[complete_mask(frame, time_col=time_col, period=period, as_of=as_of)], period


def pulse_latest(
    frame: pd.DataFrame, *, period: str | None = None
) -> tuple[str, float, float | None] | None:
    """The pulse ratio of the latest complete period: (title, value, previous), None if none.

    The previous value is the complete period just before it.

    >>> life = pd.DataFrame({
    ...     "start": pd.to_datetime(["2026-10-12", "2026-10-19", "2026-10-26"], utc=True),
    ...     "pulse_ratio": [1.25, 1.08, 0.94], "complete": [True, True, False]})
    >>> pulse_latest(life)
    ('Pulse ratio, 19–25 Oct 2026', 1.08, 1.25)
    """
    period = period or guess_period(frame["start"])
    data = frame[frame["pulse_ratio"].notna()]
    complete, period = _last_complete(data, time_col="start", period=period)
    if complete.empty:
        return None
    complete = complete.sort_values("start")
    last = complete.iloc[-1]
    start = pd.Timestamp(last["start"])
    name = period_name(start, period) if period else f"period from {start:%Y-%m-%d}"
    previous = None
    if len(complete) > 1:
        before = complete.iloc[-2]
        adjacent = period is None or guess_period(complete["start"].iloc[-2:]) == period
        previous = float(before["pulse_ratio"]) if adjacent else None
    return f"Pulse ratio, {name}", float(last["pulse_ratio"]), previous


def lifecycle_summary(frame: pd.DataFrame, *, period: str | None = None) -> None:
    """The pulse ratio of the latest complete period, (new + resurrecting) / dormant, as a metric.

    A period still in progress is left out: its dormant users are not final (a user active
    later in the period is counted dormant until then), so its ratio would mislead.
    """
    found = pulse_latest(frame, period=period)
    if found is None:
        st.caption("No complete period yet: the pulse ratio needs one.")
        return
    title, latest, previous = found
    st.metric(
        title,
        f"{latest:.2f}",
        delta=None if previous is None else f"{latest - previous:+.2f}",
        help="(new + resurrecting) / dormant in the latest complete period: above 1 the active"
        " base grows. The change is against the complete period before.",
        border=True,
        width="content",
    )


RATE_COLUMNS: tuple[str, ...] = (
    "logo_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "grr",
    "nrr",
)
_TILES: tuple[tuple[str, str, str], ...] = (
    ("logo_churn_rate", "Logo churn", "percent"),
    ("gross_mrr_churn_rate", "Gross MRR churn", "percent"),
    ("net_mrr_churn_rate", "Net MRR churn", "percent"),
    ("nrr", "NRR", "percent"),
    ("grr", "GRR", "percent"),
    ("quick_ratio", "Quick ratio", "ratio"),
    ("arpa", "ARPA", "money"),
    ("ltv", "LTV", "money"),
)


def _tile_value(value: Any, kind: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    if kind == "percent":
        return f"{float(value):.1%}"
    if kind == "ratio":
        return f"{float(value):.2f}"
    return f"{float(value):,.2f}"


def revenue_rates_period(
    frame: pd.DataFrame, *, as_of: Any = None, period: str = "month"
) -> tuple[pd.Series, str]:
    """The revenue row whose rates the tiles show, and the caption naming its period.

    The last complete period (by the frame's ``complete`` flags, else its recorded data end, else
    *as_of*); when no period is complete yet, the last one, said to be in progress.

    >>> rev = pd.DataFrame({"period": pd.to_datetime(["2026-09-01", "2026-10-01"], utc=True),
    ...                     "nrr": [0.98, 1.2], "complete": [True, False]})
    >>> row, caption = revenue_rates_period(rev)
    >>> float(row["nrr"]), caption
    (0.98, 'Rates of September 2026, the last complete month.')
    """
    complete, _ = _last_complete(frame, time_col="period", period=period, as_of=as_of)
    complete = complete.sort_values("period")
    if complete.empty:
        last = frame.sort_values("period").iloc[-1]
        name = period_name(pd.Timestamp(last["period"]), period)
        return last, f"Rates of {name} so far: no {period} is complete yet (in progress)."
    last = complete.iloc[-1]
    name = period_name(pd.Timestamp(last["period"]), period)
    end = data_end_of(frame)
    until = "" if end is None else f" (data up to {instant_name(end)})"
    return last, f"Rates of {name}, the last complete {period}{until}."


def churn_empty_text(churn: pd.DataFrame, *, period: str) -> str:
    """Why a churn frame (:func:`prodops.metrics.churn`) with no user at risk draws nothing.

    >>> one = pd.DataFrame({"period": pd.to_datetime(["2026-10-01"]), "active_start": [0]})
    >>> churn_empty_text(one, period="month")  # doctest: +ELLIPSIS
    'Churn compares each month with the one before it, and this range holds one month...'
    """
    if len(churn) < 2:
        return (
            f"Churn compares each {period} with the one before it, and this range holds one"
            f" {period}. Pick a shorter period (such as week or day) or widen the date range."
        )
    return "No user was active in this range. Widen the date range or pick another event."


def formula_caption(text: str) -> str:
    """*text* as a Markdown code span (shown verbatim), whatever backticks it holds.

    >>> formula_caption("mrr_end / customers_end")
    '`mrr_end / customers_end`'
    >>> formula_caption("a `b` c")
    '`` a `b` c ``'
    """
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _formula(text: str) -> None:
    # A code span in a caption, not a code block: st.code loads the browser's syntax
    # highlighter, about 0.35 s of the Revenue page's first paint (benchmarks/ui.py).
    st.caption(formula_caption(text))


def revenue_tiles(
    frame: pd.DataFrame, formulas: dict[str, str], *, as_of: Any = None, period: str = "month"
) -> None:
    """The rates of the last complete period, named, each with its formula underneath."""
    last, caption = revenue_rates_period(frame, as_of=as_of, period=period)
    st.caption(caption)
    # LTV is one figure for the range, not a column (frame.attrs["ltv"], with its numbers).
    shown = [t for t in _TILES if t[0] in frame.columns or t[0] in frame.attrs]
    for start in range(0, len(shown), 4):
        for column, (col, title, kind) in zip(
            st.columns(4), shown[start : start + 4], strict=False
        ):
            with column.container(border=True):
                if col not in frame.columns:
                    figure = frame.attrs[col]
                    st.metric(title, _tile_value(figure[col], kind), help=formulas.get(col))
                    _formula(figure["formula"])
                    continue
                st.metric(title, _tile_value(last[col], kind))
                if col in formulas:
                    _formula(formulas[col])
