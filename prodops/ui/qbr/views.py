"""The Quarterly Review page: pick, build, preview, narrative, save, export, reopen.

The report is built by :func:`prodops.qbr.build_qbr` when the lead presses *Build* and kept in
the session (a build reads every metric); a saved snapshot is read from the store. Untrusted
text (titles, notes, names, the narrative) is shown with ``st.dataframe`` / ``st.text`` or
escaped, never as Markdown.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from prodops import qbr
from prodops.data.catalog import DatasetInfo
from prodops.qbr.build import as_of_text
from prodops.qbr.charts import report_charts
from prodops.qbr.export_html import to_html
from prodops.qbr.export_md import to_markdown
from prodops.qbr.export_pdf import to_pdf
from prodops.qbr.quarters import period_unit
from prodops.qbr.sources import catalog_dataset
from prodops.text import escape_markdown
from prodops.ui import cache
from prodops.ui import session as common

BUILT_KEY = "qbr_built"  # the report built in this session: {"report": dict, "saved_id": int|None}
OPEN_KEY = "qbr_open"  # the id of a snapshot to open in the Saved view on the next run
NONE = "(none)"
VIEW_KEY = "qbr_view"
VIEWS = ("Build", "Saved QBRs")
_NEXT_VIEW_KEY = "qbr_next_view"
_PICK_KEY = "qbr_pick_saved"


def pick_view() -> str:
    """The page's view (Build / Saved QBRs); :func:`open_saved` switches to a saved one."""
    if _NEXT_VIEW_KEY in st.session_state:  # set before the radio is drawn, as Streamlit requires
        st.session_state[VIEW_KEY] = st.session_state.pop(_NEXT_VIEW_KEY)
    return str(st.radio("View", VIEWS, horizontal=True, key=VIEW_KEY))


def open_saved(report_id: int | None) -> None:
    """Show the snapshot *report_id* in the Saved view on the next run."""
    st.session_state.pop(BUILT_KEY, None)
    st.session_state[OPEN_KEY] = report_id
    st.session_state[_NEXT_VIEW_KEY] = VIEWS[1]


def _data_ends(datasets: Sequence[DatasetInfo], today: dt.date) -> list[dt.date]:
    """Each dataset's last day, capped at *today* (a paid year may end next spring)."""
    return [min(d.time_max.date(), today) for d in datasets if d.time_max is not None]


def quarter_choices(datasets: Sequence[DatasetInfo], *, today: dt.date) -> list[str]:
    """The 8 quarters up to the latest one the data reaches, newest first."""
    ends = _data_ends(datasets, today)
    found = [qbr.quarter_of(max(ends) if ends else today)]
    while len(found) < 8:
        found.append(found[-1].previous)
    return [q.label for q in found]


def default_quarter(datasets: Sequence[DatasetInfo], choices: list[str], *, today: dt.date) -> int:
    """Index of the latest quarter the data covers to its end (else the latest one)."""
    ends = _data_ends(datasets, today)
    for index, label in enumerate(choices):
        if ends and qbr.parse_quarter(label).last_day <= max(ends):
            return index
    return 0


RANGES = ("Quarter", "Months")  # the "Range" choice: a calendar quarter or a run of whole months
PeriodChoice = str | tuple[str, str]  # a quarter label, or the first and last month ("2026-05")


def month_choices(datasets: Sequence[DatasetInfo], *, today: dt.date) -> list[str]:
    """The 24 months up to the latest one the data reaches, newest first (``2026-10``).

    >>> month_choices([], today=dt.date(2026, 3, 9))[:3]
    ['2026-03', '2026-02', '2026-01']
    """
    ends = _data_ends(datasets, today)
    last = max(ends) if ends else today
    found = [qbr.MonthRange(last.year, last.month, 1)]
    while len(found) < 24:
        found.append(found[-1].previous)
    return [f"{m.year:04d}-{m.month:02d}" for m in found]


def default_months(
    datasets: Sequence[DatasetInfo], choices: list[str], *, today: dt.date, months: int = 6
) -> tuple[int, int]:
    """Indexes of the first and last month of the *months* up to the last complete one."""
    ends = _data_ends(datasets, today)
    last = 0
    for index, label in enumerate(choices):
        if ends and qbr.month_range(label, label).last_day <= max(ends):
            last = index
            break
    return min(last + months - 1, len(choices) - 1), last


def pick_inputs(datasets: Sequence[DatasetInfo]) -> tuple[PeriodChoice, str | None, str | None]:
    """Period (a quarter, or the first and last month), events and subscriptions datasets."""
    today = dt.datetime.now(dt.UTC).date()
    kind = st.radio("Range", RANGES, horizontal=True, key="qbr_range")
    row = st.columns(3)
    period: PeriodChoice
    if kind == RANGES[0]:
        choices = quarter_choices(datasets, today=today)
        index = default_quarter(datasets, choices, today=today)
        period = str(row[0].selectbox("Quarter", choices, index=index, key="qbr_quarter"))
    else:
        months = month_choices(datasets, today=today)
        first, last = default_months(datasets, months, today=today)
        ends = row[0].columns(2)
        period = (
            str(ends[0].selectbox("From", months, index=first, key="qbr_from")),
            str(ends[1].selectbox("To", months, index=last, key="qbr_to")),
        )
    picked: list[str | None] = []
    for column, kind in zip(row[1:], ("events", "subscriptions"), strict=True):
        names = [d.name for d in datasets if d.kind == kind and not d.problem]
        choice = column.selectbox(f"{kind.capitalize()} dataset", [*names, NONE], key=f"qbr_{kind}")
        picked.append(None if choice == NONE else choice)
    return period, picked[0], picked[1]


def build(engine: Engine, period: PeriodChoice, events: str | None, subs: str | None) -> qbr.Report:
    """Build the QBR now from the chosen datasets and the store (ProdOpsError propagates).

    *period* is a label ("2026-Q3", "2026-05+6") or the first and last month of a range.
    """
    catalog = cache.get_catalog()
    chosen = qbr.month_range(*period) if isinstance(period, tuple) else period
    return qbr.build_qbr(
        chosen,
        store=engine,
        generated_at=dt.datetime.now(dt.UTC),
        events=catalog_dataset(catalog, events, kind="events") if events else None,
        subscriptions=catalog_dataset(catalog, subs, kind="subscriptions") if subs else None,
    )


# --- preview -------------------------------------------------------------------------------------


def headlines_frame(report: qbr.Report) -> pd.DataFrame:
    """The headline numbers as the page's table (a headless twin of the exports' table)."""
    unit = period_unit(report.period)
    return pd.DataFrame(
        [
            {
                "number": h.label,
                f"this {unit}": h.formatted() if h.value is not None else "–",
                f"vs previous {unit}": h.change_text(h.previous),
                "vs a year before": h.change_text(h.year_ago),
                "trend": [v for _, v in h.trend if v is not None],
                "why no number": h.note,
                "formula": h.formula,
            }
            for h in report.headlines
        ]
    )


def okr_frame(report: qbr.Report) -> pd.DataFrame:
    """One row per key result of the quarter's objectives."""
    rows = [
        {
            "objective": o["title"],
            "score": o.get("score"),
            "objective status": o.get("status"),
            "key result": kr["title"],
            "start": kr.get("start"),
            "target": kr.get("target"),
            "final": kr.get("final"),
            "status": kr.get("status"),
            "confidence": " → ".join(f"{c:.0%}" for c in kr.get("confidence", [])),
            "last note": kr.get("last_note"),
        }
        for o in report.okrs
        for kr in o.get("key_results", [])
    ]
    return pd.DataFrame(rows)


def _text_or_note(frame: pd.DataFrame, note: str | None) -> None:
    if len(frame):
        st.dataframe(frame, hide_index=True, width="stretch")
    else:
        st.caption(escape_markdown(note or "Nothing to show."))


def render_report(report: qbr.Report) -> None:
    """The report's numbers, charts, OKRs, decisions, evidence and insights."""
    sources = ", ".join(f"{s.kind}: {s.name} (version {s.version})" for s in report.sources)
    as_of = as_of_text(report.generated_at)
    st.text(f"{report.period.title} · as of {as_of} · {sources or 'no dataset'}")
    st.subheader("Headline numbers")
    st.dataframe(
        headlines_frame(report),
        hide_index=True,
        width="stretch",
        column_config={
            "trend": st.column_config.LineChartColumn(
                "trend", help="This period and those before it, back a year; oldest first"
            )
        },
    )
    st.subheader("Key charts")
    for chart in report_charts(report).values():
        st.vega_lite_chart(chart.to_dict(validate=False), width="stretch")
    for key in ("revenue", "events"):
        if report.notes.get(key):
            st.caption(escape_markdown(report.notes[key]))
    st.subheader("OKR results")
    _text_or_note(okr_frame(report), report.notes.get("okrs"))
    st.subheader("Roadmap decisions")
    decisions = pd.DataFrame(report.decisions)
    if len(decisions):
        decisions["key_results"] = decisions["key_results"].map("; ".join)
    _text_or_note(decisions, report.notes.get("decisions"))
    st.subheader("Customer evidence")
    _text_or_note(pd.DataFrame(report.evidence), report.notes.get("evidence"))
    st.subheader("Automatic insights")
    for insight in report.insights:
        st.text(f"{insight['title']}: {insight['text']}")
    if not report.insights:
        st.caption(escape_markdown(report.notes.get("insights", "")))


# --- narrative, save, export ---------------------------------------------------------------------


def narrative_form(key: str, values: Mapping[str, str]) -> dict[str, str] | None:
    """Text areas for the narrative; the texts when *Save* was pressed, else None."""
    with st.form(f"qbr_narrative_{key}"):
        texts = {
            name: st.text_area(title, value=values.get(name, ""), key=f"qbr_{key}_{name}")
            for name, title in qbr.SECTION_TITLES.items()
        }
        pressed = st.form_submit_button("Save QBR", type="primary", icon=":material/save:")
    return texts if pressed else None


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Laying out the PDF…")
def _pdf(document: dict[str, Any], narrative: tuple[tuple[str, str], ...]) -> bytes:
    return to_pdf(qbr.Report.from_dict(document), dict(narrative))


def markdown_zip(report: qbr.Report, narrative: Mapping[str, str]) -> bytes:
    """The Markdown export and its PNG charts in one ZIP (``qbr.md`` + ``qbr_charts/``)."""
    text, files = to_markdown(report, narrative, charts_dir="qbr_charts")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("qbr.md", text)
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def render_downloads(report: qbr.Report, narrative: Mapping[str, str], *, key: str) -> None:
    """HTML, PDF and Markdown downloads of the report with its narrative."""
    stem = f"qbr-{report.quarter}"
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "HTML",
        data=lambda: to_html(report, narrative),
        file_name=f"{stem}.html",
        mime="text/html",
        key=f"{key}_html",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        "PDF",
        data=lambda: _pdf(report.to_dict(), tuple(sorted(narrative.items()))),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key=f"{key}_pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )
    row.download_button(
        "Markdown (zip)",
        data=lambda: markdown_zip(report, narrative),
        file_name=f"{stem}.zip",
        mime="application/zip",
        key=f"{key}_md",
        icon=":material/folder_zip:",
        on_click="ignore",
    )


# --- saved snapshots -----------------------------------------------------------------------------


def saved_frame(rows: Sequence[qbr.QbrReport]) -> pd.DataFrame:
    """The saved QBRs as a table."""
    return pd.DataFrame(
        [
            {
                "id": r.id,
                "quarter": r.quarter,
                "period": qbr.parse_period(r.quarter).title,
                "revision": r.revision,
                "as of": r.generated_at,
                "events": r.events_dataset,
                "subscriptions": r.subscriptions_dataset,
            }
            for r in rows
        ]
    )


def pick_saved(engine: Engine) -> qbr.QbrReport | None:
    """The list of saved QBRs and the one to open."""
    rows = common.read(engine, qbr.list_reports)
    if not rows:
        st.caption("No QBR saved yet: build one and press Save QBR.")
        return None
    st.dataframe(saved_frame(rows), hide_index=True, width="stretch")
    by_id = {int(r.id or 0): r for r in rows}
    ids = list(by_id)
    # A snapshot just saved or regenerated opens: assigned before the widget is drawn, as
    # Streamlit requires; otherwise the widget keeps the person's choice.
    wanted = st.session_state.pop(OPEN_KEY, None)
    if wanted in by_id or st.session_state.get(_PICK_KEY) not in by_id:
        st.session_state[_PICK_KEY] = wanted if wanted in by_id else ids[0]
    chosen = st.selectbox(
        "Open",
        ids,
        format_func=lambda i: f"{_title(by_id[i].quarter)} · revision {by_id[i].revision}",
        key=_PICK_KEY,
    )
    return by_id[int(chosen)]


def _title(label: str) -> str:
    """A saved QBR's period as a heading says it ("Q3 2026", "May–Oct 2026")."""
    return qbr.parse_period(label).title


def regenerate(engine: Engine, row: qbr.QbrReport) -> None:
    """Rebuild the snapshot's quarter from its datasets as they are now; save a new revision."""
    fresh = build(engine, row.quarter, row.events_dataset, row.subscriptions_dataset)
    result = common.write(engine, qbr.regenerate, report_id=int(row.id or 0), report=fresh)
    if result is None:
        return
    st.session_state[OPEN_KEY] = int(result.row.id or 0)
    changed = "; ".join(f"{label}: {old} → {new}" for label, old, new in result.changed)
    common.done(
        f"Saved revision {result.row.revision} of {row.quarter}. "
        + (f"Changed: {changed}." if changed else "No headline number changed.")
    )
