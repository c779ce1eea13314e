"""Render helpers shared by the pages: errors, empty states, KPI tiles, insights, charts, tables.

Text that may come from data (dataset names, event names, property values) is never rendered as
Markdown or HTML: it goes through :func:`st.text`, ``st.dataframe`` or :func:`escape_markdown`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from prodops.data.catalog import DatasetInfo
from prodops.errors import ProdOpsError
from prodops.export import neutralise_formulas
from prodops.metrics.charts import MISSING_LABEL
from prodops.metrics.kpis import Kpi
from prodops.text import escape_markdown
from prodops.ui.downloads import download_buttons, file_stem
from prodops.ui.state import url_selectbox

ROOT = Path(__file__).resolve().parents[2]
DATA_PAGE = "pages/6_Data.py"


def page_exists(path: str) -> bool:
    """Whether a page file exists (links to pages still being written are left out)."""
    return (ROOT / path).is_file()


def link(
    path: str,
    label: str,
    *,
    dataset: str | None = None,
    icon: str | None = None,
    params: dict[str, str] | None = None,
) -> None:
    """``st.page_link`` to *path* with the dataset (and *params*) in its URL; nothing if absent."""
    if page_exists(path):
        query = {**({"dataset": dataset} if dataset else {}), **(params or {})}
        st.page_link(path, label=label, icon=icon, query_params=query or None)


@contextmanager
def errors() -> Iterator[None]:
    """Show a :class:`ProdOpsError` raised inside as ``st.error`` and stop the page there."""
    try:
        yield
    except ProdOpsError as error:
        st.error(escape_markdown(str(error)), icon=":material/error:")
        st.stop()


def no_datasets() -> None:
    """The empty-catalog state: what to do next."""
    st.info(
        "No datasets yet: go to Data to upload, or run `prodops setup`.",
        icon=":material/info:",
    )
    link(DATA_PAGE, "Open the Data page", icon=":material/database:")


def wrong_kind(info: DatasetInfo, *, needed: str, what: str) -> None:
    """Explain that *what* needs a dataset of kind *needed* and the selected one is not."""
    st.info(
        f"{what} needs {needed} data, and the selected dataset holds {info.kind}. Pick an"
        f" {needed} dataset above, or import one on the Data page.",
        icon=":material/swap_horiz:",
    )
    st.caption("Selected dataset:")
    st.text(info.name)


def empty(message: str) -> None:
    """A clear empty-result message instead of an empty chart."""
    st.info(message, icon=":material/search_off:")


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _chart_spec(key: str, view: tuple[Any, ...], _build: Callable[[], Any]) -> dict[str, Any]:
    """The spec of chart *key* of the view *view* (dataset id, version, parameters)."""
    spec: dict[str, Any] = _build().to_dict(validate=False)
    return spec


def view_key(info: DatasetInfo, *params: dict[str, Any]) -> tuple[Any, ...]:
    """What determines a page's charts exactly: dataset id and version and the parameters."""
    merged = {k: v for part in params for k, v in part.items()}
    return (info.id, info.version, repr(sorted(merged.items(), key=lambda kv: kv[0])))


def chart(
    build: Callable[[], alt.Chart | alt.LayerChart],
    *,
    frame: pd.DataFrame,
    key: str,
    stem: str,
    view: tuple[Any, ...] | None = None,
) -> None:
    """Draw the chart *build* returns, with CSV / PNG / SVG downloads of it and *frame*.

    With *view* (see :func:`view_key`) the chart's spec is cached for that view, so a rerun
    that changes nothing about this chart does not rebuild it. A chart that cannot be drawn
    (too many points) shows the reason and keeps the CSV download.
    """
    try:
        # Every spec is validated by tests/charts; validating it again on each rerun, as
        # st.altair_chart does, costs more than drawing it.
        if view is None:
            spec = build().to_dict(validate=False)
        else:
            spec = _chart_spec(key, view, _build=build)
    except ProdOpsError as error:
        st.warning(str(error), icon=":material/warning:")
        download_buttons(key=key, stem=stem, frame=frame)
        return
    st.vega_lite_chart(spec, width="stretch")
    download_buttons(key=key, stem=stem, frame=frame, chart=spec)


IN_PROGRESS_STYLE = "color: #8a8f98; font-style: italic"


def table(
    frame: pd.DataFrame,
    *,
    key: str,
    stem: str,
    percent: Sequence[str] | None = None,
    in_progress: pd.DataFrame | None = None,
) -> None:
    """A table (formula-like cells shown escaped, as in the download) and its CSV download.

    Columns named in *percent* (fractions) are shown as percentages; the CSV keeps fractions.
    *in_progress* (a boolean frame of the table's shape) greys out and italicises the values of
    periods still in progress, with a caption saying so.
    """
    shown = neutralise_formulas(readable_times(frame))
    shown.attrs = {}  # a metric's data end is for us; Streamlit would try to serialise it
    percent = [c for c in shown.columns if c in set(percent or ())]
    if in_progress is not None and bool(in_progress.to_numpy().any()):
        mask = in_progress.reindex(index=shown.index, columns=shown.columns, fill_value=False)
        styled = shown.style.format({c: "{:.1%}" for c in percent}, na_rep="").apply(
            lambda _: mask.replace({True: IN_PROGRESS_STYLE, False: ""}), axis=None
        )
        st.dataframe(styled, hide_index=True, placeholder="")
        st.caption("Grey italic values: in progress (the period ends after the data end).")
    else:
        config = {c: st.column_config.NumberColumn(c, format="percent") for c in percent}
        st.dataframe(shown, hide_index=True, column_config=config, placeholder="")
    download_buttons(key=key, stem=stem, frame=frame)


def readable_times(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose timestamp columns are text in their own zone ("2024-03-01", or with hours)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            stamps = out[column]
            midnight = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
            out[column] = stamps.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    return out


def breakdown_labels(values: pd.Series) -> pd.Series:
    """The label of each breakdown value: the value as text, ``"(not set)"`` when missing.

    >>> breakdown_labels(pd.Series(["pro", None, 3])).tolist()
    ['pro', '(not set)', '3']
    """
    return pd.Series(
        [MISSING_LABEL if v is None or v != v else str(v) for v in values],
        index=values.index,
        dtype="object",
    )


def pick_breakdown(frame: pd.DataFrame, breakdown: str | None) -> tuple[pd.DataFrame, str | None]:
    """With a breakdown, a URL-synced picker of its value; returns that value's rows and label.

    Values are offered in the metric's order (largest first, "other" last); the rows whose
    property is missing are one more value, labelled ``"(not set)"``.
    """
    if breakdown is None:
        return frame, None
    labels = breakdown_labels(frame["breakdown"])
    values = list(dict.fromkeys(labels))
    if not values:
        return frame, None
    value = url_selectbox(
        f"{escape_markdown(breakdown)} =",
        values,
        key="value",
        default=values[0],
        help="One matrix per value. (not set): the rows where the property is missing.",
    )
    return frame[labels == value], value


def stem(info: DatasetInfo, what: str) -> str:
    """The file-name stem of a download: dataset name and what it shows."""
    return file_stem(info.name, what)


def kpi_tiles(kpis: Sequence[Kpi]) -> None:
    """One tile per KPI: its value, the change, and the period it shows (and compares with)."""
    if not kpis:
        return
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        with column.container(border=True):
            st.metric(
                kpi.label,
                kpi.formatted_value(),
                delta=kpi.formatted_delta(),
                delta_color="inverse" if kpi.better == "down" else "normal",
                help=kpi.help,
            )
            st.caption(escape_markdown(kpi.caption()))


def catalog_table(datasets: Sequence[DatasetInfo]) -> None:
    """The catalog at a glance: name, kind, rows, users/customers, time range."""

    def day(value: Any) -> str:
        return "" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d")

    frame = pd.DataFrame(
        {
            "Dataset": [d.name for d in datasets],
            "Kind": [d.kind for d in datasets],
            "Rows": [d.rows for d in datasets],
            "Users / customers": [d.entities for d in datasets],
            "From": [day(d.time_min) for d in datasets],
            "To": [day(d.time_max) for d in datasets],
        }
    )
    counts = {
        c: st.column_config.NumberColumn(c, format="localized")
        for c in ("Rows", "Users / customers")
    }
    st.dataframe(neutralise_formulas(frame), hide_index=True, column_config=counts)


def doc_param(function: Callable[..., Any], name: str) -> str:
    """The description of parameter *name* in *function*'s numpydoc docstring, on one line.

    The pages show definitions in the same words as the docstrings of the metrics.
    """
    doc = inspect.getdoc(function) or ""
    lines = doc.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if not line.startswith(" ") and line.strip():
            header = re.match(r"^([\w, ]+) :", line)
            names = [n.strip() for n in header.group(1).split(",")] if header else []
            if inside:
                break
            inside = name in names
            continue
        if inside and line.strip():
            out.append(line.strip())
    return " ".join(out)


def definition_lines(function: Callable[..., Any], name: str, choice: str) -> str:
    """From a parameter's description, the sentence(s) about ``choice`` (```choice```: ...)."""
    text = doc_param(function, name)
    parts = re.split(r"(?=``[a-z_]+``:)", text)
    for part in parts:
        if part.startswith(f"``{choice}``:"):
            return part.strip()
    return text
