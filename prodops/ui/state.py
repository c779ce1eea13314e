"""What a page remembers: the selected dataset and the page's controls, in session and URL.

Every control is mirrored in ``st.query_params`` so a copied link reproduces the view. A control's
value comes, in order, from its widget state (this session), the URL (a shared link, a fresh
session), then its default; a value that no longer fits (an event name absent from the newly
picked dataset, a date outside its range) falls back to the default. The selected dataset is also
kept in ``st.session_state["dataset"]``, a plain key that survives page switches (widget state of
a page that is not drawn is dropped by Streamlit), so the choice follows the user across pages.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from prodops.data.catalog import DatasetInfo
from prodops.ui.cache import parse_filters

T = TypeVar("T")
DATASET_KEY = "dataset"
_PICKER_KEY = "dataset_picker"
ANY_EVENT = ""
TIMEZONES: tuple[str, ...] = (
    "UTC",
    *sorted(z for z in zoneinfo.available_timezones() if z != "UTC"),
)


# --- dataset picker ------------------------------------------------------------------------------


def dataset_picker(
    datasets: Sequence[DatasetInfo],
    *,
    prefer_kind: str | None = None,
    where: DeltaGenerator | None = None,
) -> DatasetInfo | None:
    """Draw the dataset selectbox and return the chosen dataset (None when there is none).

    The choice is read from the widget, else ``?dataset=`` in the URL, else the session's previous
    choice, else the first dataset of *prefer_kind*; it is written back to the URL and session.
    """
    by_name = {d.name: d for d in datasets}
    if not by_name:
        st.session_state.pop(DATASET_KEY, None)
        return None
    wanted = None
    if _url_changed(DATASET_KEY) and st.query_params.get(DATASET_KEY) in by_name:
        wanted = st.query_params.get(DATASET_KEY)  # a link or a pasted URL
    for candidate in (
        st.session_state.get(_PICKER_KEY),
        st.query_params.get(DATASET_KEY),
        st.session_state.get(DATASET_KEY),
    ):
        if wanted is None and candidate in by_name:
            wanted = candidate
    if wanted is None:
        kinds = [d.name for d in datasets if d.kind == prefer_kind]
        wanted = kinds[0] if kinds else next(iter(by_name))
    # Assigned on every run: a page switch gives the widget a new identity, and only a value set
    # through the Session State API carries over to it.
    st.session_state[_PICKER_KEY] = wanted
    name = (where or st).selectbox(
        "Dataset",
        list(by_name),
        key=_PICKER_KEY,
        format_func=lambda n: f"{n} ({by_name[n].kind})",
        help="The dataset every page shows; it is remembered across pages and kept in the URL.",
    )
    st.session_state[DATASET_KEY] = name
    _publish(DATASET_KEY, name)
    return by_name[name]


# --- URL-synced widgets --------------------------------------------------------------------------


_PUBLISHED_KEY = "_url_published"
_VALUES_KEY = "_control_values"  # plain session keys survive pages where a widget is not drawn


def _url_value(key: str, *, multi: bool = False) -> Any:
    return st.query_params.get_all(key) if multi else st.query_params.get(key)


def _url_changed(key: str, *, multi: bool = False) -> bool:
    """Whether ``?key=`` differs from what this session last wrote there (a link, a pasted URL)."""
    raw = _url_value(key, multi=multi)
    if raw in (None, []):
        return False
    published: dict[str, Any] = st.session_state.get(_PUBLISHED_KEY, {})
    return bool(raw != published.get(key))


def _prepare(
    key: str,
    default: T,
    *,
    parse: Callable[[Any], Any],
    valid: Callable[[Any], bool],
    multi: bool = False,
) -> None:
    """Seed ``st.session_state[key]``: from the URL when it changed from outside (a shared link,
    a link from another page), else the session's value if still valid, else the default.
    """
    if _url_changed(key, multi=multi):
        try:
            candidate = parse(_url_value(key, multi=multi))
        except (KeyError, TypeError, ValueError):
            candidate = None
        if candidate is not None and valid(candidate):
            st.session_state[key] = candidate
            return
    if key in st.session_state and valid(st.session_state[key]):
        # Re-assign so the value carries over to this page's widget (new identity per page).
        st.session_state[key] = st.session_state[key]
        return
    remembered = st.session_state.get(_VALUES_KEY, {})
    if key in remembered and valid(remembered[key]):
        st.session_state[key] = remembered[key]
        return
    st.session_state[key] = default


def _publish(key: str, text: str | list[str], value: Any = None) -> None:
    """Write *text* to ``?key=`` and remember it (and the widget's *value*) in the session."""
    published = st.session_state.setdefault(_PUBLISHED_KEY, {})
    published[key] = text
    if value is not None:
        st.session_state.setdefault(_VALUES_KEY, {})[key] = value
    if text == []:
        if key in st.query_params:
            del st.query_params[key]
    else:
        st.query_params[key] = text


def url_selectbox(
    label: str,
    options: Sequence[T],
    *,
    key: str,
    default: T,
    format_func: Callable[[Any], str] = str,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> T:
    """A selectbox whose value lives in ``?key=`` (options compared by their ``str``)."""
    by_text = {str(o): o for o in options}
    _prepare(key, default, parse=lambda raw: by_text[raw], valid=lambda v: str(v) in by_text)
    value = (where or st).selectbox(
        label, list(options), key=key, format_func=format_func, help=help
    )
    _publish(key, str(value), value)
    return value


def url_number(
    label: str,
    *,
    key: str,
    default: int,
    min_value: int,
    max_value: int,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> int:
    """An integer input whose value lives in ``?key=``."""
    _prepare(
        key,
        default,
        parse=int,
        valid=lambda v: isinstance(v, int) and min_value <= v <= max_value,
    )
    value = (where or st).number_input(
        label, min_value=min_value, max_value=max_value, step=1, key=key, help=help
    )
    _publish(key, str(int(value)), int(value))
    return int(value)


def url_toggle(
    label: str,
    *,
    key: str,
    default: bool = False,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> bool:
    """A toggle whose value lives in ``?key=1`` / ``?key=0``."""
    _prepare(key, default, parse=lambda raw: raw == "1", valid=lambda v: isinstance(v, bool))
    value = bool((where or st).toggle(label, key=key, help=help))
    _publish(key, "1" if value else "0", value)
    return value


def url_multiselect(
    label: str,
    options: Sequence[str],
    *,
    key: str,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> list[str]:
    """A multiselect whose values live in repeated ``?key=a&key=b`` parameters."""
    allowed = set(options)
    empty: list[str] = []
    _prepare(
        key,
        empty,
        parse=lambda raw: list(raw),
        valid=lambda v: isinstance(v, list) and set(v) <= allowed,
        multi=True,
    )
    value = list((where or st).multiselect(label, list(options), key=key, help=help))
    _publish(key, value, value)
    return value


def _parse_range(raw: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(part) for part in raw.split(".."))


def url_date_range(
    label: str,
    *,
    key: str,
    default: tuple[date, date],
    min_value: date,
    max_value: date,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> tuple[date, date]:
    """A date-range input whose value lives in ``?key=2024-01-01..2024-03-31``.

    While a user has picked only the first date, the range runs from it to *max_value*.
    """

    def valid(v: Any) -> bool:
        return (
            isinstance(v, tuple)
            and len(v) in (1, 2)
            and all(isinstance(d, date) and min_value <= d <= max_value for d in v)
            and v[0] <= v[-1]
        )

    _prepare(key, default, parse=_parse_range, valid=valid)
    picked = (where or st).date_input(
        label, min_value=min_value, max_value=max_value, key=key, help=help, format="YYYY-MM-DD"
    )
    dates = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
    start = dates[0] if dates and dates[0] is not None else default[0]
    end = dates[1] if len(dates) > 1 and dates[1] is not None else max_value
    _publish(key, f"{start.isoformat()}..{end.isoformat()}", (start, end))
    return start, end


def url_date(
    label: str,
    *,
    key: str,
    default: date,
    min_value: date,
    max_value: date,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> date:
    """A single date input whose value lives in ``?key=2024-03-31``."""
    _prepare(
        key,
        default,
        parse=date.fromisoformat,
        valid=lambda v: isinstance(v, date) and min_value <= v <= max_value,
    )
    value = (where or st).date_input(
        label, min_value=min_value, max_value=max_value, key=key, help=help, format="YYYY-MM-DD"
    )
    day = value if isinstance(value, date) else default
    _publish(key, day.isoformat(), day)
    return day


# --- dataset-derived defaults --------------------------------------------------------------------


def data_dates(info: DatasetInfo) -> tuple[date, date]:
    """First and last day (UTC) of the dataset; today's date is never used (no ``today()``)."""
    lo, hi = info.time_min, info.time_max
    if lo is None or hi is None:
        anchor = date(2000, 1, 1)
        return anchor, anchor
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


def recent_range(info: DatasetInfo, *, days: int) -> tuple[date, date]:
    """The last *days* days of the dataset (clipped to its first day)."""
    first, last = data_dates(info)
    return max(first, last - timedelta(days=days - 1)), last


# --- control groups of the insight pages ---------------------------------------------------------

COHORT_LABELS = {
    "first_time": "First time (first start event)",
    "recurring": "Recurring (every start period)",
    "first_ever": "First ever (very first event)",
}
PERIOD_CHOICES: tuple[str, ...] = ("hour", "day", "week", "month")
WEEK_STARTS: tuple[str, ...] = ("monday", "sunday")


def labeller(labels: dict[str, str]) -> Callable[[Any], str]:
    """A ``format_func`` showing ``labels[value]`` (the value itself when it has no label)."""

    def label(value: Any) -> str:
        return labels.get(str(value), str(value))

    return label


def event_choices(counts: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Event-name options ("" = any event) and their labels with event and user counts."""
    names = [str(e) for e in counts["event"]]
    labels = {ANY_EVENT: "Any event"}
    for name, events, users in counts[["event", "events", "users"]].itertuples(index=False):
        labels[str(name)] = f"{name} · {int(events):,} events · {int(users):,} users"
    return [ANY_EVENT, *names], labels


def _filters(
    options: list[str], *, key: str, label: str, where: DeltaGenerator
) -> dict[str, str] | None:
    chosen = url_multiselect(
        label,
        options,
        key=key,
        where=where,
        help="Keep only events whose property has this value (column = value).",
    )
    return parse_filters(chosen) or None


def _week_start(where: DeltaGenerator) -> str:
    return url_selectbox(
        "Week starts on",
        WEEK_STARTS,
        key="week_start",
        default="monday",
        format_func=str.capitalize,
        where=where,
    )


def _active_event(counts: pd.DataFrame, where: DeltaGenerator) -> str:
    events, labels = event_choices(counts)
    return url_selectbox(
        "Active means doing",
        events,
        key="event",
        default=ANY_EVENT,
        format_func=labeller(labels),
        where=where,
    )


def _date_range(info: DatasetInfo, *, days: int, where: DeltaGenerator) -> tuple[date, date]:
    """The "Date range" picker over the dataset's days, by default its last *days* days."""
    first, last = data_dates(info)
    return url_date_range(
        "Date range",
        key="dates",
        default=recent_range(info, days=days),
        min_value=first,
        max_value=last,
        where=where,
    )


def retention_controls(
    info: DatasetInfo, counts: pd.DataFrame, filter_options: list[str]
) -> dict[str, Any]:
    """Every option of :func:`prodops.metrics.retention`, URL-synced; returns its keyword args."""
    events, labels = event_choices(counts)
    fmt = labeller(labels)
    row = st.columns(4)
    start = url_selectbox(
        "Start event", events, key="start", default=ANY_EVENT, format_func=fmt, where=row[0]
    )
    back = url_selectbox(
        "Return event", events, key="return", default=ANY_EVENT, format_func=fmt, where=row[1]
    )
    cohort = url_selectbox(
        "Cohort",
        list(COHORT_LABELS),
        key="cohort",
        default="first_time",
        format_func=labeller(COHORT_LABELS),
        where=row[2],
    )
    breakdown = url_selectbox(
        "Breakdown",
        ["", *info.property_columns],
        key="breakdown",
        default="",
        format_func=lambda c: c or "None",
        where=row[3],
    )
    row2 = st.columns([1, 1, 1, 0.6, 1])
    period = url_selectbox(
        "Period",
        PERIOD_CHOICES,
        key="period",
        default="week",
        format_func=str.capitalize,
        where=row2[0],
    )
    count = url_number(
        "Units per period", key="every", default=1, min_value=1, max_value=90, where=row2[1]
    )
    first, last = data_dates(info)
    range_by = url_selectbox(
        "Range",
        ["last", "dates"],
        key="range_by",
        default="last",
        format_func=labeller({"last": "Last N periods", "dates": "Date range"}),
        where=row2[2],
    )
    params: dict[str, Any] = {}
    if range_by == "last":
        params["periods"] = url_number(
            "Periods", key="periods", default=8, min_value=1, max_value=120, where=row2[3]
        )
        params["date_to"] = url_date(
            "Ending on", key="to", default=last, min_value=first, max_value=last, where=row2[4]
        )
    else:
        params["date_from"], params["date_to"] = _date_range(info, days=84, where=row2[4])
    with st.expander("More options: time zone, week start, filters, counting"):
        row = st.columns(4)
        timezone = url_selectbox("Time zone", TIMEZONES, key="tz", default="UTC", where=row[0])
        week_start = _week_start(row[1])
        min_occ = url_number(
            "Return events needed per period",
            key="min_occ",
            default=1,
            min_value=1,
            max_value=1000,
            where=row[2],
        )
        cumulative = url_toggle(
            "On or after (cumulative)",
            key="cumulative",
            where=row[3],
            help="Count a user at period k if they returned in period k or any later one.",
        )
        cols = st.columns(3)
        where = _filters(filter_options, key="where", label="Filter all events", where=cols[0])
        start_where = _filters(
            filter_options, key="start_where", label="Filter start events", where=cols[1]
        )
        return_where = _filters(
            filter_options, key="return_where", label="Filter return events", where=cols[2]
        )
    return {
        **params,
        "period": period,
        "period_count": count,
        "cohort": cohort,
        "cumulative": cumulative,
        "min_occurrences": min_occ,
        "start_event": start or None,
        "return_event": back or None,
        "where": where,
        "start_where": start_where,
        "return_where": return_where,
        "timezone": timezone,
        "week_start": week_start,
        "breakdown": breakdown or None,
    }


def engagement_controls(
    info: DatasetInfo, counts: pd.DataFrame, filter_options: list[str]
) -> dict[str, Any]:
    """Event, filters, date range and time zone shared by the Engagement charts."""
    row = st.columns(4)
    event = _active_event(counts, row[0])
    date_from, date_to = _date_range(info, days=180, where=row[1])
    timezone = url_selectbox("Time zone", TIMEZONES, key="tz", default="UTC", where=row[2])
    where = _filters(filter_options, key="where", label="Filters", where=row[3])
    return {
        "event": event or None,
        "where": where,
        "date_from": date_from,
        "date_to": date_to,
        "timezone": timezone,
    }


def lifecycle_controls(where: DeltaGenerator | None = None) -> dict[str, Any]:
    """Lifecycle bucket size and week start."""
    row = (where or st).columns(2)
    period = url_selectbox(
        "Lifecycle period",
        ("day", "week", "month"),
        key="lc_period",
        default="week",
        format_func=str.capitalize,
        where=row[0],
    )
    week_start = _week_start(row[1])
    return {"period": period, "week_start": week_start}


def stickiness_controls(where: DeltaGenerator | None = None) -> dict[str, Any]:
    """Stickiness bucket size, minimum events and the cumulative switch."""
    row = (where or st).columns(3)
    period = url_selectbox(
        "Stickiness period",
        ("day", "week"),
        key="st_period",
        default="day",
        format_func=str.capitalize,
        where=row[0],
    )
    min_events = url_number(
        "Events needed per period",
        key="min_events",
        default=1,
        min_value=1,
        max_value=1000,
        where=row[1],
    )
    cumulative = url_toggle("At least n (cumulative)", key="st_cumulative", where=row[2])
    return {"period": period, "min_events": min_events, "cumulative": cumulative}


def revenue_controls(info: DatasetInfo) -> dict[str, Any]:
    """Period and date range of the subscription metrics."""
    row = st.columns(2)
    period = url_selectbox(
        "Period",
        ("month", "week", "quarter"),
        key="rev_period",
        default="month",
        format_func=str.capitalize,
        where=row[0],
    )
    date_from, date_to = _date_range(info, days=366, where=row[1])
    return {"period": period, "date_from": date_from, "date_to": date_to}


def churn_controls(info: DatasetInfo, counts: pd.DataFrame) -> dict[str, Any]:
    """Period, activity event, date range and time zone of user churn from events."""
    row = st.columns(4)
    period = url_selectbox(
        "Period",
        ("week", "month"),
        key="churn_period",
        default="month",
        format_func=str.capitalize,
        where=row[0],
    )
    event = _active_event(counts, row[1])
    date_from, date_to = _date_range(info, days=366, where=row[2])
    timezone = url_selectbox("Time zone", TIMEZONES, key="tz", default="UTC", where=row[3])
    return {
        "period": period,
        "event": event or None,
        "date_from": date_from,
        "date_to": date_to,
        "timezone": timezone,
    }
