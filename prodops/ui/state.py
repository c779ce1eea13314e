"""What a page remembers: the selected dataset and the page's controls, in session and URL.

Every control is mirrored in ``st.query_params`` so a copied link reproduces the view. A control's
value comes, in order, from its widget state (this session), the URL (a shared link, a fresh
session), then its default; a value that no longer fits (an event name absent from the newly
picked dataset, a date outside its range) falls back to the default. The selected dataset is also
kept in ``st.session_state["dataset"]``, a plain key that survives page switches (widget state of
a page that is not drawn is dropped by Streamlit), so the choice follows the user across pages.

The insight pages' groups of controls, built from these widgets, live in :mod:`prodops.ui.controls`.
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

T = TypeVar("T")
DATASET_KEY = "dataset"
_PICKER_KEY = "dataset_picker"
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


def url_text(
    label: str,
    *,
    key: str,
    default: str = "",
    help: str | None = None,
    placeholder: str | None = None,
    where: DeltaGenerator | None = None,
) -> str:
    """A one-line text input whose value lives in ``?key=`` (left out of the URL when empty)."""
    _prepare(key, default, parse=str, valid=lambda v: isinstance(v, str))
    value = str(
        (where or st).text_input(label, key=key, help=help, placeholder=placeholder, max_chars=200)
    )
    _publish(key, value if value else [], value)
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
