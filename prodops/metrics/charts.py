"""Altair charts of the insight pages: shared labels, axes, checks and the cohort heatmap.

Every chart takes the small, already aggregated frame that a :mod:`prodops.metrics` function
returns (its "headless twin": the page, the downloads and the tests use the same frame) and returns
an Altair chart with titles, axis formats and tooltips. Frames are never re-aggregated here beyond
reshaping (long format, labels); a frame over :data:`MAX_CHART_ROWS` rows is refused with a clear
error rather than embedded in the page.

Time labels are formatted here as text in the analysis time zone (the metric frames carry
zone-aware timestamps), so a browser in another zone never shifts a day or a cohort.

Periods in progress (DESIGN.md, "Completeness": the period ends after the data end) are drawn
distinctly: lighter heatmap cells with a dashed outline and "in progress" in their tooltip, dashed
curve segments, and a subtitle or legend that says so.

The retention charts are in :mod:`prodops.metrics.retention_charts`, the engagement charts
(active users, stickiness, lifecycle, churn) in
:mod:`prodops.metrics.engagement_charts`, the revenue charts in
:mod:`prodops.metrics.revenue_charts`; both build on the helpers here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeVar

import altair as alt
import pandas as pd

from prodops.errors import ParameterError

MAX_CHART_ROWS = 5000
HEATMAP_SCHEME: Final = (
    "viridis"  # perceptually uniform; dark cells get white text, light cells black
)
# Diverging around a midpoint (100 % of revenue kept): red lost, blue gained; colour-blind safe,
# and its light middle keeps the cells visible on white.
DIVERGING_SCHEME: Final = "redyellowblue"
DAY_MS: Final = 86_400_000  # one day on a temporal axis (its domain is in milliseconds)
SMALL_COUNT_SPAN: Final = 5  # up to this range a count axis has a tick on each whole number
SHORT_SPAN_DAYS: Final = 31  # up to this many days, a day axis places its ticks on whole days
ROW_HEIGHT_PX = 24
# A mid grey that reads on white and on Streamlit's dark background (text drawn outside cells).
NEUTRAL_TEXT = "#808495"
IN_PROGRESS_OPACITY = 0.4  # cells and points of periods in progress
IN_PROGRESS_DASH = [4, 3]
COMPLETE = "complete"
IN_PROGRESS = "in progress"

_UNIT = {"hour": "Hour", "day": "Day", "week": "Week", "month": "Month", "quarter": "Quarter"}
_TIME_FORMAT = {
    "hour": "%Y-%m-%d %H:00",
    "day": "%Y-%m-%d",
    "week": "%Y-%m-%d",
    "month": "%Y-%m",
    "quarter": "%Y-%m",
}


# --- labels, axes and checks (shared by the chart modules) ---------------------------------------


Channel = TypeVar("Channel", bound=alt.SchemaBase)


def when(channel: type[Channel], test: str, then: Any, otherwise: Any) -> Channel:
    """``alt.condition(test, alt.value(then), alt.value(otherwise))`` as its channel class.

    Altair turns an encoding given as a dict (what ``alt.condition`` and ``alt.value`` return)
    into a channel by trying the schema's alternatives with jsonschema: 14 ms each, 0.15 s of a
    cohort heatmap's 0.2 s. Encodings are built typed (``alt.X``, ``alt.Detail``, this);
    ``tests/metrics/test_charts.py`` checks that no chart hands Altair a dict or a string.

    Examples
    --------
    >>> when(alt.OpacityValue, "datum.complete", 1.0, 0.5).to_dict()
    {'condition': {'test': 'datum.complete', 'value': 1.0}, 'value': 0.5}
    """
    return channel(otherwise, condition={"test": test, "value": then})


def period_unit(period: str, period_count: int = 1) -> str:
    """Return the name of one period, as a column or axis label ("Week", "2-week period").

    Examples
    --------
    >>> period_unit("week"), period_unit("day", 30)
    ('Week', '30-day period')
    """
    if period_count > 1:
        return f"{period_count}-{period} period"
    return _UNIT.get(period, period.capitalize())


def time_labels(values: pd.Series, period: str = "day") -> pd.Series:
    """Return *values* (timestamps) as text labels at the precision of *period*.

    Examples
    --------
    >>> time_labels(pd.Series(pd.to_datetime(["2024-03-01"])), "month").tolist()
    ['2024-03']
    """
    stamps = pd.to_datetime(values)
    if period == "quarter":
        return stamps.dt.year.astype(str) + "-Q" + stamps.dt.quarter.astype(str)
    return stamps.dt.strftime(_TIME_FORMAT.get(period, "%Y-%m-%d"))


def check_rows(frame: pd.DataFrame, what: str) -> None:
    """Refuse a chart of more than :data:`MAX_CHART_ROWS` points (ParameterError)."""
    if len(frame) > MAX_CHART_ROWS:
        raise ParameterError(
            f"the {what} chart would draw {len(frame):,} points (at most {MAX_CHART_ROWS:,})",
            fix="Narrow the date range or choose a longer period.",
        )


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a frame without *columns* (ParameterError naming the missing ones)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"the {what} chart needs the column(s) {', '.join(missing)}")


def status_labels(complete: pd.Series) -> pd.Series:
    """``complete`` flags as the words a tooltip or legend shows ("complete", "in progress").

    >>> status_labels(pd.Series([True, False])).tolist()
    ['complete', 'in progress']
    """
    return complete.astype(bool).map({True: COMPLETE, False: IN_PROGRESS})


def in_progress_subtitle(frame: pd.DataFrame, drawn: str = "lighter") -> str | None:
    """The note under a chart whose frame has periods in progress (None when all are complete).

    >>> frame = pd.DataFrame({"complete": [True, False]})
    >>> frame.attrs["data_end"] = pd.Timestamp("2026-11-02 04:46", tz="UTC")
    >>> in_progress_subtitle(frame)
    'Lighter: in progress (the period ends after the data end, 2026-11-02 04:46)'
    """
    if "complete" not in frame.columns or frame["complete"].astype(bool).all():
        return None
    end = frame.attrs.get("data_end")
    when = end.strftime("%Y-%m-%d %H:%M") if isinstance(end, pd.Timestamp) else "none: no data"
    return f"{drawn.capitalize()}: in progress (the period ends after the data end, {when})"


def as_floats(series: pd.Series) -> pd.Series:
    """Nullable numbers as float64 with NaN (Altair writes NaN as JSON null)."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


def count_axis(values: Iterable[float] = (), number_format: str = ",d") -> alt.Axis:
    """Axis of whole numbers (users, money without cents) drawn to reach *values*: ticks at
    least 1 apart, and for a small range (at most :data:`SMALL_COUNT_SPAN`, 0 included) one tick
    on each whole number.

    Vega's ``tickMinStep`` alone still steps by 0.5 over a domain of 0 to 2, and the format
    rounds those ticks to "0, 1, 1, 2, 2"; listing the whole numbers avoids it.

    >>> count_axis([1, 2]).to_dict()
    {'format': ',d', 'tickMinStep': 1, 'values': [0, 1, 2]}
    >>> count_axis([1200]).to_dict()
    {'format': ',d', 'tickMinStep': 1}
    """
    numbers = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce")
    seen = [v for v in numbers.astype("float64") if math.isfinite(v)]  # no NaN, None or NA
    low, high = min([0.0, *seen]), max([0.0, *seen])
    if high - low > SMALL_COUNT_SPAN:
        return alt.Axis(format=number_format, tickMinStep=1)
    first, last = math.floor(low), max(math.ceil(high), math.floor(low) + 1)
    return alt.Axis(format=number_format, tickMinStep=1, values=list(range(first, last + 1)))


def stacked_extent(data: pd.DataFrame, *, by: str, value: str) -> list[float]:
    """The lowest and highest ends of the bars of *value* stacked per *by* (positives up,
    negatives down), for :func:`count_axis`.

    >>> stacked_extent(pd.DataFrame({"p": [1, 1, 1], "v": [2, 1, -1]}), by="p", value="v")
    [-1.0, 3.0]
    """
    values = pd.to_numeric(data[value], errors="coerce").astype("float64")
    ups = values.clip(lower=0).groupby(data[by]).sum()
    downs = values.clip(upper=0).groupby(data[by]).sum()
    return [float(downs.min()) if len(downs) else 0.0, float(ups.max()) if len(ups) else 0.0]


def day_axis(field: str = "date", title: str = "Date", *, days: int | None = None) -> alt.X:
    """Temporal x axis of days, read and labelled in UTC (the labels are already local).

    Ticks are never closer than a day, so two days of data are not labelled in hours; over
    *days* (the days the chart spans) up to :data:`SHORT_SPAN_DAYS` they fall on whole days,
    about eight of them (a span of one or two days would otherwise get a tick at noon).
    The format has no ``formatType``: Vega-Lite drops a format typed "utc", and the utc scale
    already formats in UTC.

    >>> day_axis(days=2).to_dict()["axis"]["tickCount"]
    {'interval': 'day', 'step': 1}
    """
    tick_count: Any = alt.Undefined
    if days is not None and days <= SHORT_SPAN_DAYS:
        tick_count = alt.TimeIntervalStep(interval="day", step=max(1, math.ceil(days / 8)))
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(
            format="%b %d, %Y",
            labelOverlap=True,
            tickMinStep=DAY_MS,
            tickCount=tick_count,
        ),
    )


def day_span(labels: pd.Series) -> int:
    """Days from the first to the last of *labels* (``YYYY-MM-DD`` text), 0 when empty.

    >>> day_span(pd.Series(["2026-01-01", "2026-01-03"]))
    2
    """
    days = pd.to_datetime(labels.dropna())
    return int((days.max() - days.min()).days) if len(days) else 0


def percent_axis() -> alt.Axis:
    """Axis of rates shown as whole percents: ticks at least 1 % apart (so never "50 %, 50 %").

    >>> percent_axis().to_dict()
    {'format': '.0%', 'tickMinStep': 0.01}
    """
    return alt.Axis(format=".0%", tickMinStep=0.01)


def nice_ticks(
    low: float, high: float, *, count: int = 5, zero: bool = True, min_step: float = 0.0
) -> list[float]:
    """Evenly spaced tick values (steps of 1, 2 or 5 times a power of ten) that cover
    [*low*, *high*], and 0 when *zero*; the first and last are the axis's ends.

    A quantitative axis left to Vega rounds its domain for about ten ticks but draws fewer
    when the chart is short (Streamlit fits it into its box), so a value below 0 can sit under
    the lowest tick, 0 %. Giving both the domain and the ticks keeps every value between
    labelled ticks: a negative net churn has a negative tick under it. Steps are at least
    *min_step* (0.01 for whole percents).

    >>> nice_ticks(-0.025, 0.068)
    [-0.04, -0.02, 0.0, 0.02, 0.04, 0.06, 0.08]
    >>> nice_ticks(0.92, 1.004, zero=False)
    [0.92, 0.94, 0.96, 0.98, 1.0, 1.02]
    """
    if zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high - low < 1e-9:  # one value: a range around it (0 to 1 for rates all 0)
        pad = max(abs(low) * 0.1, min_step, 0.05)
        low, high = (0.0, 1.0) if low == high == 0 else (low - pad, high + pad)
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    step = max(step, min_step)
    first = math.floor(low / step + 1e-9)
    last = max(math.ceil(high / step - 1e-9), first + 1)
    digits = max(0, -math.floor(math.log10(step))) + 1
    return [round(i * step, digits) + 0.0 for i in range(first, last + 1)]


def period_axis(field: str, period: str) -> alt.X:
    """Ordinal x axis of period labels (see :func:`time_labels`), slanted so they fit."""
    return alt.X(
        f"{field}:O",
        title=period_unit(period),
        axis=alt.Axis(labelAngle=-45, labelOverlap=True),
    )


# --- cohort heatmaps -----------------------------------------------------------------------------


def cohort_heatmap(
    data: pd.DataFrame,
    *,
    value_title: str,
    size_title: str,
    size_format: str,
    x_title: str,
    title: str,
    count_title: str,
    count_format: str,
    subtitle: str | None = None,
    midpoint: float | None = None,
) -> alt.LayerChart:
    """Heatmap of ``data`` (cohort_label, column, rate, count, size): cells, text and sizes.

    Unobservable cells (``rate`` null) are not drawn at all, so they read as blank, not 0 %.
    With a ``complete`` column, cells in progress are lighter, outlined with dashes and say "in
    progress" in their tooltip; *subtitle* explains it under the title.

    Colours run from 0 to the best rate after period 0 (:data:`HEATMAP_SCHEME`); with
    *midpoint* (1.0 for revenue kept, which can exceed 100 %) they diverge around it
    (:data:`DIVERGING_SCHEME`) over a domain symmetric about it that reaches the farthest
    observed rate, above the midpoint as well as below.
    """
    if "complete" not in data.columns:
        data = data.assign(complete=True)
    data = data.assign(status=status_labels(data["complete"]))
    columns = ["size", *sorted({c for c in data["column"] if c != "size"}, key=_offset_key)]
    cohorts = list(dict.fromkeys(data["cohort_label"]))
    observed = data.loc[data["column"] != "size", "rate"].dropna()
    later = data.loc[(data["column"] != "size") & (data["offset"] > 0), "rate"].dropna()
    top = float(later.max()) if len(later) else float(observed.max()) if len(observed) else 1.0
    top = top if top > 0 else 1.0
    scale = alt.Scale(scheme=HEATMAP_SCHEME, domain=[0, top], clamp=True)
    # on a lighter cell the background shows through: dark text reads on it
    dark_text = f"datum.rate >= {0.6 * top:.6g} || !datum.complete"
    if midpoint is not None:
        reach = _reach(observed, midpoint)
        scale = alt.Scale(
            scheme=DIVERGING_SCHEME,
            domain=[round(midpoint - reach, 6), midpoint, round(midpoint + reach, 6)],
            clamp=True,
        )
        # the middle of the scheme is light, its ends dark
        dark_text = f"abs(datum.rate - {midpoint:g}) < {0.7 * reach:.6g} || !datum.complete"
    x = alt.X(
        "column:O",
        sort=columns,
        title=x_title,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelExpr="datum.value == 'size' ? " + repr(size_title) + " : datum.value",
        ),
    )
    y = alt.Y("cohort_label:O", sort=cohorts, title="Cohort", axis=alt.Axis(labelLimit=200))
    tooltip = [
        alt.Tooltip("cohort_label:N", title="Cohort"),
        alt.Tooltip("column:N", title="Period"),
        alt.Tooltip("rate:Q", title=value_title, format=".1%"),
        alt.Tooltip("count:Q", title=count_title, format=count_format),
        alt.Tooltip("size:Q", title=size_title, format=size_format),
        alt.Tooltip("status:N", title="Status"),
    ]
    cells = "datum.column != 'size' && isValid(datum.rate)"
    done = "datum.complete"
    opacity = when(alt.OpacityValue, done, 1.0, IN_PROGRESS_OPACITY)
    base = alt.Chart(data).encode(x=x, y=y)
    rect = (
        base.transform_filter(cells)
        .mark_rect(strokeWidth=1)
        .encode(
            color=alt.Color(
                "rate:Q",
                title=value_title,
                scale=scale,
                legend=alt.Legend(format=".0%", orient="bottom", direction="horizontal"),
            ),
            opacity=opacity,
            stroke=when(alt.StrokeValue, done, "white", NEUTRAL_TEXT),
            strokeDash=when(alt.StrokeDashValue, done, [1, 0], IN_PROGRESS_DASH),
            tooltip=tooltip,
        )
    )
    text = (
        base.transform_filter(cells)
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text("rate:Q", format=".0%"),
            color=when(alt.ColorValue, dark_text, "black", "white"),
            opacity=opacity,
            tooltip=tooltip,
        )
    )
    sizes = (
        base.transform_filter("datum.column == 'size'")
        .mark_text(fontSize=11, fontWeight="bold", color=NEUTRAL_TEXT)
        .encode(text=alt.Text("size:Q", format=size_format), tooltip=tooltip)
    )
    return alt.LayerChart(
        layer=[rect, text, sizes],
        title=alt.Title(title, subtitle=subtitle) if subtitle else title,
        height=alt.Step(ROW_HEIGHT_PX),
        width="container",
    )


def _reach(rates: pd.Series, midpoint: float) -> float:
    """How far the observed *rates* go from *midpoint*, rounded up to 5 % (at least 5 %).

    >>> _reach(pd.Series([1.0, 0.84, 1.16]), 1.0)
    0.2
    """
    farthest = float((rates - midpoint).abs().max()) if len(rates) else 0.0
    return round(max(0.05, math.ceil(round(farthest, 9) / 0.05) * 0.05), 6)


def _offset_key(column: str) -> int:
    return int(column.rsplit(" ", 1)[-1])


MISSING_LABEL = "(not set)"  # the breakdown value of rows whose property is missing
