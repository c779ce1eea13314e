"""Read-only parts of the OKR page: filters, the period summary, objective cards, the alignment
tree, key-result history charts, export buttons.

Titles, names and notes are user text: shown with ``st.text`` / ``st.dataframe`` or escaped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from prodops import okr
from prodops.critique import crud as critique_crud
from prodops.okr import crud as okr_crud
from prodops.okr import transfer as okr_io
from prodops.okr.alignment import alignment_dot
from prodops.okr.charts import build_okr_history_chart
from prodops.okr.report import (
    NO_KEY_RESULTS,
    ObjectiveView,
    filter_views,
    format_value,
    formatted,
    history_frame,
    key_results_frame,
    load_period,
    period_summary,
)
from prodops.okr.weekly import missing_check_ins, my_key_results, week_start
from prodops.text import escape_markdown
from prodops.ui.session import read

ALL = "All"
STATUS_COLORS: dict[str, Literal["green", "orange", "red"]] = {
    "on_track": "green",
    "at_risk": "orange",
    "off_track": "red",
}


@dataclass(frozen=True)
class Board:
    """What the page shows: the period, the day it is judged on, and the objectives."""

    period: str
    as_of: dt.date
    views: list[ObjectiveView]  # after the team / owner filters
    all_views: list[ObjectiveView]  # the whole period (for parents and filter choices)


def render_filters(engine: Engine) -> Board:
    """Period, as-of day, team, owner and archived filters; return the board they select."""
    top = st.columns([2, 2, 2, 2, 1.4])
    as_of = top[1].date_input("As of", value=dt.datetime.now(dt.UTC).date(), key="okr_as_of")
    periods = read(engine, okr_crud.list_periods)
    current = okr.quarter_label(as_of)
    options = sorted({*periods, current}, reverse=True)
    # The as-of quarter, unless it is empty while others are not: then the newest with objectives.
    shown = current if current in periods or not periods else periods[0]
    period = top[0].selectbox("Period", options, index=options.index(shown), key="okr_period")
    archived = top[4].toggle("Archived", key="okr_show_archived", help="show archived items")
    all_views = read(engine, load_period, period=period, as_of=as_of, include_archived=archived)
    teams = [ALL, *sorted({v.team for v in all_views if v.team})]
    owners = [ALL, *sorted({v.owner for v in all_views if v.owner})]
    team = top[2].selectbox("Team", teams, key="okr_team")
    owner = top[3].selectbox("Owner", owners, key="okr_owner")
    views = filter_views(
        all_views, team=None if team == ALL else team, owner=None if owner == ALL else owner
    )
    return Board(period=period, as_of=as_of, views=views, all_views=all_views)


def render_summary(board: Board) -> None:
    """The period at a glance: progress, expected pace, objectives per status."""
    summary = period_summary(board.views)
    if not summary["objectives"]:
        st.info(
            "No objectives in this period yet. Add one in 'Add objectives and key results', "
            "or import an export.",
            icon=":material/flag:",
        )
        return
    cols = st.columns(5)
    cols[0].metric("Objectives", summary["objectives"])
    progress = summary["progress"]
    without = int(summary["without_key_results"] or 0)
    cols[1].metric(
        "Period progress",
        "—" if progress is None else f"{float(progress):.0%}",
        help="The mean progress of the objectives that have key results"
        + (f"; {without} with {NO_KEY_RESULTS} left out." if without else "."),
    )
    for col, key in zip(cols[2:], okr.STATUSES, strict=True):
        col.metric(okr.STATUS_LABELS[key], summary[key])


def _badge(status: str | None) -> None:
    if status is None:
        st.badge(NO_KEY_RESULTS.capitalize(), color="gray")
    else:
        st.badge(okr.STATUS_LABELS[status], color=STATUS_COLORS[status])


def render_objective_header(view: ObjectiveView) -> None:
    """Title, status, progress bar, expected pace and score of one objective card."""
    head, stats = st.columns([3, 2])
    with head:
        st.subheader(escape_markdown(view.title), anchor=False)
        parent = f" · aligned under objective {view.parent_id}" if view.parent_id else ""
        st.text(
            f"#{view.id} · team {view.team or '-'} · owner {view.owner or '-'} · {view.period} "
            f"({view.period_start} to {view.period_end}){parent}"
        )
        if view.description:
            st.text(view.description)
    with stats:
        _badge(view.status)
        if view.archived:
            st.badge("Archived", color="gray")
        a, b, c = st.columns(3)
        if view.progress is None or view.score is None:
            a.metric("Progress", "—")
            b.metric("Expected", f"{view.expected:.0%}")
            c.metric("Score", "—", help=okr.STATUS_HELP)
        else:
            a.metric("Progress", f"{view.progress:.0%}")
            b.metric("Expected", f"{view.expected:.0%}")
            c.metric(
                "Score", f"{view.score:.2f}", help=f"reads as '{view.reading}'. {okr.STATUS_HELP}"
            )
    if view.progress is None:
        st.text("Left out of the period's progress until it has a key result.")
        return
    st.progress(
        okr.clamp(view.progress),
        text=f"{view.progress:.0%} done, {view.expected:.0%} of the period elapsed",
    )


def render_key_results(view: ObjectiveView) -> None:
    """The key results of an objective as a table (current, target, progress, status...)."""
    frame = key_results_frame(view)
    if frame.empty:
        st.text("No key results yet.")
        return
    shown = formatted(frame, ["start", "current", "target"]).assign(
        status=frame["status"].map(okr.STATUS_LABELS),
        progress=frame["progress"].clip(lower=0, upper=1),
    )
    columns = [
        "key_result",
        "owner",
        "start",
        "current",
        "target",
        "unit",
        "progress",
        "status",
        "confidence",
        "last_check_in",
        "last_note",
        "metric",
        "refresh_error",
    ]
    if shown["archived"].any():
        columns.append("archived")
    st.dataframe(
        shown[columns],
        hide_index=True,
        width="stretch",
        column_config={
            "key_result": st.column_config.TextColumn("Key result"),
            "progress": st.column_config.ProgressColumn(
                "Progress", min_value=0.0, max_value=1.0, format="percent"
            ),
            "confidence": st.column_config.NumberColumn("Confidence", format="%.2f"),
            "last_check_in": st.column_config.DatetimeColumn(
                "Last check-in (UTC)", format="YYYY-MM-DD HH:mm"
            ),
        },
        key=f"okr_krs_{view.id}",
    )


def render_history(engine: Engine, view: ObjectiveView, kr_id: int) -> None:
    """The check-in history of a key result against its target and the expected pace."""
    kr = next(k for k in view.key_results if k.id == kr_id)
    check_ins = read(engine, okr_crud.history, key_result_id=kr_id)
    frame = history_frame(
        check_ins=check_ins,
        start=kr.start,
        target=kr.target,
        period_start=view.period_start,
        period_end=view.period_end,
    )
    st.altair_chart(
        build_okr_history_chart(frame, unit=kr.unit), width="stretch", key=f"okr_chart_{kr_id}"
    )
    if check_ins:
        table = pd.DataFrame(
            [
                {
                    "time (UTC)": c.created_at,
                    "value": format_value(c.value, kr.unit),
                    "confidence": c.confidence,
                    "author": c.author,
                    "note": c.note,
                }
                for c in reversed(check_ins)
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch", key=f"okr_history_{kr_id}")


def render_tree(engine: Engine, board: Board) -> None:
    """The alignment of the period as a graph: objectives -> key results -> roadmap items."""
    if not board.views:
        st.text("No objectives.")
        return
    kr_ids = [kr.id for v in board.views for kr in v.key_results]
    items = read(engine, critique_crud.items_by_key_result, key_result_ids=kr_ids)
    st.caption(
        "Objectives (under their parent objective) → key results → the roadmap items that serve"
        " them. Green on track, amber at risk, red off track."
    )
    st.graphviz_chart(alignment_dot(board.views, items), width="stretch")


def render_this_week(board: Board, person: str | None) -> None:
    """My key results (what needs a check-in this week first) and who has not checked in."""
    monday = week_start(board.as_of)
    st.caption(
        f"The week of {monday:%Y-%m-%d} (Monday to Sunday, UTC). Every key result asks for one"
        " check-in by a person each week; a metric refresh does not count."
    )
    st.markdown("**My key results**")
    if not person:
        st.text("Enter your name at the top of the page to see the key results you own.")
    else:
        mine = my_key_results(board.views, person=person, as_of=board.as_of)
        if mine.empty:
            st.text(f"{person} owns no key result in {board.period}.")
        else:
            due = int(mine["needs_check_in"].sum())
            st.text(f"{len(mine)} key result(s); {due} need a check-in this week.")
            st.dataframe(
                formatted(mine, ["current", "target"])
                .drop(columns="key_result_id")
                .assign(status=mine["status"].map(okr.STATUS_LABELS)),
                hide_index=True,
                width="stretch",
                column_config={
                    "progress": st.column_config.ProgressColumn(
                        "Progress", min_value=0.0, max_value=1.0, format="percent"
                    ),
                    "last_check_in": st.column_config.DatetimeColumn(
                        "Last check-in (UTC)", format="YYYY-MM-DD HH:mm"
                    ),
                    "needs_check_in": st.column_config.CheckboxColumn("Check in this week"),
                },
                key="okr_my_key_results",
            )
    st.markdown("**Not checked in this week**")
    missing = missing_check_ins(board.views, as_of=board.as_of)
    if missing.empty:
        st.text("Everyone has checked in this week.")
        return
    st.dataframe(
        missing,
        hide_index=True,
        width="stretch",
        column_config={
            "key_results": st.column_config.NumberColumn("Key results waiting"),
            "last_check_in": st.column_config.DatetimeColumn(
                "Last check-in (UTC)", format="YYYY-MM-DD HH:mm"
            ),
        },
        key="okr_missing_check_ins",
    )


def render_export(engine: Engine) -> None:
    """Download every OKR (archived too) as JSON or CSV, read from the store on click."""

    def export_json() -> str:
        return okr_io.to_json(read(engine, okr_io.export_okrs))

    def export_csv() -> str:
        return okr_io.to_csv(read(engine, okr_io.export_okrs))

    left, right = st.columns(2)
    for column, label, data, name, mime in (
        (left, "JSON", export_json, "okrs.json", "application/json"),
        (right, "CSV", export_csv, "okrs.csv", "text/csv"),
    ):
        column.download_button(
            f"Download all OKRs ({label})",
            data,
            file_name=name,
            mime=mime,
            key=f"okr_export_{label.lower()}",
            on_click="ignore",
            icon=":material/download:",
        )
