"""The OKR page's forms: create, edit, archive, delete, check in, refresh, import.

Numbers are typed as text and read by :func:`prodops.numbers.parse_number`: "58,5" is 58.5, and
"1,234" in a key result whose values are below 1000 is refused with both readings, never stored
ten times too big. Every rule (target equal to start, confidence out of range, end before start,
a title too long, a binding in the wrong unit) is the store's own (:mod:`prodops.okr`), shown with
``st.error``. Units and titles people typed go into widget labels escaped (they are Markdown).

The new-key-result controls are not an ``st.form``: the note on how a refresh stores the bound
metric ("week-1 retention is a ratio; 0.62 is stored as 62 %") follows the choices as they are
made. After a key result is added, every control (the metric binding too) starts afresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import pydantic
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from prodops import okr
from prodops.errors import ParameterError, ProdOpsError, StaleEditError
from prodops.numbers import parse_number, typical_size
from prodops.okr import crud as okr_crud
from prodops.okr import transfer as okr_io
from prodops.okr import units
from prodops.okr.binding import BINDABLE_METRICS, refresh_all, refresh_key_result
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.okr.report import KeyResultView, ObjectiveView
from prodops.store.db import write_session
from prodops.text import escape_markdown
from prodops.ui import session as common
from prodops.ui.okr.views import Board

M = TypeVar("M", bound=SQLModel)
NO_METRIC = "(not bound)"
NO_PARENT = 0


def _build(model: type[M], **fields: Any) -> M:
    """Validate *fields* into *model*; a pydantic error becomes one readable ParameterError."""
    okr_crud.check_lengths(model, fields)  # "the title is 5,000 characters long ..." first
    try:
        return model.model_validate(fields)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise ParameterError(first["msg"], where=where) from None


def _number(
    text: str, field: str, *, optional: bool = False, typical: float | None = None
) -> float | None:
    if optional and not text.strip():
        return None
    return parse_number(text, field=field, typical=typical)


def _objective_choices(board: Board, *, exclude: int | None = None) -> dict[int, str]:
    choices = {NO_PARENT: "(no parent)"}
    choices.update({v.id: f"#{v.id} {v.title}" for v in board.all_views if v.id != exclude})
    return choices


# --- Objectives -----------------------------------------------------------------------------------


def _period_dates(
    label: str, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    if start is not None and end is not None:
        return start, end
    first, last = okr.period_bounds(label)
    return start or first, end or last


def render_new_objective(engine: Engine, board: Board) -> None:
    """A form that creates an objective in a period (dates default to the period label's)."""
    parents = _objective_choices(board)
    with st.form("okr_new_objective", clear_on_submit=False):
        st.text("New objective")
        title = st.text_input("Title", key="okr_new_obj_title")
        description = st.text_area("Description", key="okr_new_obj_description", height=68)
        a, b = st.columns(2)
        owner = a.text_input("Owner", key="okr_new_obj_owner")
        team = b.text_input("Team", key="okr_new_obj_team")
        c, d, e = st.columns(3)
        label = c.text_input(
            "Period", value=board.period, key="okr_new_obj_period", help="2026-Q4, 2026-H2 or 2026"
        )
        start = d.date_input("Start (blank: from the period)", value=None, key="okr_new_obj_start")
        end = e.date_input("End (blank: from the period)", value=None, key="okr_new_obj_end")
        parent = st.selectbox(
            "Aligned under",
            list(parents),
            format_func=parents.__getitem__,
            key="okr_new_obj_parent",
        )
        if st.form_submit_button("Create objective", key="okr_new_obj_submit"):
            try:
                period_start, period_end = _period_dates(label.strip(), start, end)
                objective_in = _build(
                    ObjectiveCreate,
                    title=title,
                    description=description,
                    owner=owner.strip(),
                    team=team.strip(),
                    period=label.strip().upper(),
                    period_start=period_start,
                    period_end=period_end,
                    parent_id=parent or None,
                )
            except ProdOpsError as error:
                common.show_error(error)
                return
            if common.write(engine, okr_crud.create_objective, objective_in=objective_in):
                for key in ("title", "description", "owner", "team", "start", "end"):
                    st.session_state.pop(f"okr_new_obj_{key}", None)
                common.done(f"Objective '{objective_in.title.strip()}' created.")


def _edit_objective_keys(view: ObjectiveView) -> list[str]:
    fields = ("title", "description", "owner", "team", "parent", "period", "start", "end")
    return [f"okr_obj_{view.id}_{f}" for f in fields]


def render_objective_tools(engine: Engine, view: ObjectiveView, board: Board) -> None:
    """Edit (refused when stale), archive / unarchive, and delete (archived only) an objective."""
    seen = common.seen_version("obj", view.id, view.version)
    keys = _edit_objective_keys(view)
    parents = _objective_choices(board, exclude=view.id)
    with st.form(f"okr_edit_obj_{view.id}"):
        st.text(f"Edit objective #{view.id} (you opened version {seen})")
        title = st.text_input("Title", value=view.title, key=keys[0])
        description = st.text_area("Description", value=view.description, key=keys[1], height=68)
        a, b, c = st.columns(3)
        owner = a.text_input("Owner", value=view.owner, key=keys[2])
        team = b.text_input("Team", value=view.team, key=keys[3])
        options = list(parents) if (view.parent_id or 0) in parents else [*parents, view.parent_id]
        parent = c.selectbox(
            "Aligned under",
            options,
            index=options.index(view.parent_id or 0),
            format_func=lambda i: parents.get(i, f"#{i}"),
            key=keys[4],
        )
        d, e, f = st.columns(3)
        label = d.text_input(
            "Period", value=view.period, key=keys[5], help="2026-Q4, 2026-H2 or 2026"
        )
        start = e.date_input("Start", value=view.period_start, key=keys[6])
        end = f.date_input("End (last day)", value=view.period_end, key=keys[7])
        if st.form_submit_button("Save objective", key=f"okr_obj_{view.id}_save"):
            new = {
                "title": title.strip(),
                "description": description,
                "owner": owner.strip(),
                "team": team.strip(),
                "parent_id": parent or None,
                "period": label.strip().upper(),
                "period_start": start,
                "period_end": end,
            }
            old = {
                "title": view.title,
                "description": view.description,
                "owner": view.owner,
                "team": view.team,
                "parent_id": view.parent_id,
                "period": view.period,
                "period_start": view.period_start,
                "period_end": view.period_end,
            }
            _save(
                engine,
                "obj",
                view.id,
                seen,
                keys,
                new,
                old,
                okr_crud.update_objective,
                id_field="objective_id",
            )
    _archive_controls(engine, "obj", view.id, view.archived, seen, keys, f"objective #{view.id}")
    _stale_reload("obj", view.id, keys)


def _save(
    engine: Engine,
    kind: str,
    row_id: int,
    seen: int,
    keys: list[str],
    new: dict[str, Any],
    old: dict[str, Any],
    action: Any,
    *,
    id_field: str,
) -> None:
    changes = {k: v for k, v in new.items() if v != old[k]}
    if not changes:
        st.info("Nothing changed.")
        return
    try:
        with write_session(engine) as session:
            action(session=session, seen_version=seen, changes=changes, **{id_field: row_id})
    except ProdOpsError as error:
        common.show_error(error)
        st.session_state[f"okr_stale_{kind}_{row_id}"] = isinstance(error, StaleEditError)
        return
    common.forget(kind, row_id, keys)
    common.done("Saved: " + ", ".join(sorted(changes)) + ".")


def _stale_reload(kind: str, row_id: int, keys: list[str]) -> None:
    if st.session_state.get(f"okr_stale_{kind}_{row_id}") and st.button(
        "Reload the current values", key=f"okr_reload_{kind}_{row_id}", icon=":material/refresh:"
    ):
        st.session_state.pop(f"okr_stale_{kind}_{row_id}", None)
        common.forget(kind, row_id, keys)
        st.rerun()


def _archive_controls(
    engine: Engine, kind: str, row_id: int, archived: bool, seen: int, keys: list[str], label: str
) -> None:
    is_obj = kind == "obj"
    ids = {"objective_id": row_id} if is_obj else {"key_result_id": row_id}
    archive = okr_crud.archive_objective if is_obj else okr_crud.archive_key_result
    if not archived:
        if st.button(f"Archive {label}", key=f"okr_archive_{kind}_{row_id}"):
            if common.attempt(engine, archive, seen_version=seen, **ids):
                common.forget(kind, row_id, keys)
                common.done(f"Archived {label}.")
            st.session_state[f"okr_stale_{kind}_{row_id}"] = True  # refused: offer a reload
        return
    left, right = st.columns(2)
    unarchive = left.button(f"Unarchive {label}", key=f"okr_unarchive_{kind}_{row_id}")
    if unarchive and common.attempt(engine, archive, seen_version=seen, archived=False, **ids):
        common.forget(kind, row_id, keys)
        common.done(f"Unarchived {label}.")
    confirm = right.checkbox(
        f"Delete {label} permanently, with its history", key=f"okr_confirm_delete_{kind}_{row_id}"
    )
    delete = okr_crud.delete_objective if is_obj else okr_crud.delete_key_result
    clicked = right.button(
        "Delete", key=f"okr_delete_{kind}_{row_id}", disabled=not confirm, type="primary"
    )
    if clicked and common.attempt(engine, delete, **ids):
        common.forget(kind, row_id, keys)
        common.done(f"Deleted {label}.")


# --- Key results ----------------------------------------------------------------------------------


def _binding_inputs(prefix: str, kr: KeyResultView | None = None) -> dict[str, str | None]:
    """Metric, dataset and parameters of a binding ("(not bound)": none)."""
    metrics = [NO_METRIC, *BINDABLE_METRICS]
    current = (kr.binding_metric if kr else None) or NO_METRIC
    a, b, c = st.columns([1, 1, 2])
    metric = a.selectbox(
        "Metric",
        metrics,
        index=metrics.index(current) if current in metrics else 0,
        key=f"{prefix}_metric",
        help=okr_binding_help(),
    )
    dataset = b.text_input(
        "Dataset",
        value=(kr.binding_dataset if kr else None) or "",
        key=f"{prefix}_dataset",
        placeholder="demo-events",
    )
    params = c.text_input(
        "Parameters (JSON)",
        value=(kr.binding_params if kr else None) or "",
        key=f"{prefix}_params",
        placeholder='{"window_days": 7}',
    )
    if metric == NO_METRIC:
        return {"binding_metric": None, "binding_dataset": None, "binding_params": None}
    return {
        "binding_metric": metric,
        "binding_dataset": dataset.strip() or None,
        "binding_params": params.strip() or None,
    }


def okr_binding_help() -> str:
    """The help text of the metric choice: what each bindable metric measures."""
    return (
        "retention: average rate at 'offset' (default 1) of the cohorts started in the period "
        "whose cell at that offset is complete; active_users: users active in the 'window_days' "
        "(default 7) days ending on the last complete day; churn: user churn of the last "
        "complete 'period' (month); revenue: a 'column' (default nrr) of the last complete "
        "month. A period counts once the data cover all of it. A ratio (retention, churn, NRR) "
        "bound to a key result in % is stored in percent: 0.62 as 62."
    )


NEW_KR_KEYS = ("title", "start", "target", "unit", "weight", "owner", "metric", "dataset", "params")


def render_new_key_result(engine: Engine, board: Board) -> None:
    """Controls that add a key result to an objective of the period (optionally metric-bound)."""
    objectives = {v.id: f"#{v.id} {v.title}" for v in board.all_views if not v.archived}
    if not objectives:
        st.text("Create an objective first.")
        return
    with st.container(border=True, key="okr_new_kr"):
        st.text("New key result")
        objective_id = st.selectbox(
            "Objective",
            list(objectives),
            format_func=objectives.__getitem__,
            key="okr_new_kr_objective",
        )
        title = st.text_input("Title", key="okr_new_kr_title")
        a, b, c, d, e = st.columns(5)
        start = a.text_input("Start value", key="okr_new_kr_start")
        target = b.text_input("Target", key="okr_new_kr_target")
        unit = c.text_input("Unit", key="okr_new_kr_unit", placeholder="%, users, €")
        weight = d.text_input("Weight", value="1", key="okr_new_kr_weight")
        owner = e.text_input("Owner", key="okr_new_kr_owner")
        st.caption("Optional: bind to a metric so that 'Refresh from metrics' checks it in.")
        binding = _binding_inputs("okr_new_kr")
        _conversion_note(binding, unit)
        if st.button("Add key result", key="okr_new_kr_submit"):
            try:
                kr_in = _build(
                    KeyResultCreate,
                    objective_id=objective_id,
                    title=title,
                    unit=unit.strip(),
                    start_value=_number(start, "start value"),
                    target_value=_number(target, "target"),
                    weight=_number(weight, "weight"),
                    owner=owner.strip(),
                    **binding,
                )
            except ProdOpsError as error:
                common.show_error(error)
                return
            if common.write(engine, okr_crud.create_key_result, key_result_in=kr_in):
                for key in NEW_KR_KEYS:  # the next key result starts unbound, with blank fields
                    st.session_state.pop(f"okr_new_kr_{key}", None)
                common.done(f"Key result '{kr_in.title.strip()}' added.")


def _conversion_note(binding: dict[str, str | None], unit: str) -> None:
    """How a refresh will store the chosen metric in this key result's unit (nothing if unbound)."""
    text = units.conversion_text(binding["binding_metric"], binding["binding_params"], unit)
    if text:
        st.caption(escape_markdown(text))


def pick_key_result(view: ObjectiveView) -> KeyResultView | None:
    """A select box of the objective's key results; return the chosen one."""
    if not view.key_results:
        return None
    by_id = {kr.id: kr for kr in view.key_results}
    chosen = st.selectbox(
        "Key result",
        list(by_id),
        format_func=lambda i: by_id[i].title,
        key=f"okr_pick_kr_{view.id}",
    )
    return by_id[chosen]


def render_check_in(engine: Engine, kr: KeyResultView, author: str | None) -> None:
    """The check-in form of a key result: value, confidence (0-1, optional), note.

    After a successful check-in the form is drawn empty: its fields get new keys (a counter per
    key result), so the browser cannot keep what was typed; a refused one keeps the typing.
    """
    round_key = f"okr_ci_{kr.id}_round"
    prefix = f"okr_ci_{kr.id}_{st.session_state.get(round_key, 0)}"
    with st.form(f"okr_check_in_{kr.id}", clear_on_submit=False):
        a, b = st.columns(2)
        value = a.text_input(
            f"Value ({escape_markdown(kr.unit, one_line=True)})" if kr.unit else "Value",
            key=f"{prefix}_value",
        )
        confidence = b.text_input("Confidence (0-1, optional)", key=f"{prefix}_confidence")
        note = st.text_area("Note", key=f"{prefix}_note", height=68)
        if st.form_submit_button("Check in", key=f"okr_ci_{kr.id}_submit"):
            if not author:
                common.show_error("Enter your name at the top of the page first.")
                return
            try:
                check_in = _build(
                    CheckInCreate,
                    key_result_id=kr.id,
                    value=_number(value, "value", typical=typical_size(kr.start, kr.target)),
                    confidence=_number(confidence, "confidence", optional=True, typical=1.0),
                    note=note,
                    author=author,
                )
            except ProdOpsError as error:
                common.show_error(error)
                return
            if common.write(engine, okr_crud.add_check_in, check_in_in=check_in):
                for key in ("value", "confidence", "note"):
                    st.session_state.pop(f"{prefix}_{key}", None)
                st.session_state[round_key] = st.session_state.get(round_key, 0) + 1
                common.done(f"Checked in {check_in.value:g} on '{kr.title}'.")


def render_key_result_edit(engine: Engine, kr: KeyResultView) -> None:
    """Edit (refused when stale), archive / unarchive, delete (archived only) a key result."""
    seen = common.seen_version("kr", kr.id, kr.version)
    fields = ("title", "unit", "start", "target", "weight", "owner", "metric", "dataset", "params")
    keys = [f"okr_kr_{kr.id}_{f}" for f in fields]
    with st.form(f"okr_edit_kr_{kr.id}"):
        st.text(f"Edit key result #{kr.id} (you opened version {seen})")
        title = st.text_input("Title", value=kr.title, key=keys[0])
        cols = st.columns(5)
        unit = cols[0].text_input("Unit", value=kr.unit, key=keys[1])
        start = cols[1].text_input("Start value", value=f"{kr.start:g}", key=keys[2])
        target = cols[2].text_input("Target", value=f"{kr.target:g}", key=keys[3])
        weight = cols[3].text_input("Weight", value=f"{kr.weight:g}", key=keys[4])
        owner = cols[4].text_input("Owner", value=kr.owner, key=keys[5])
        binding = _binding_inputs(f"okr_kr_{kr.id}", kr)
        if kr.conversion:  # the saved binding's; a change shows after saving
            st.caption(escape_markdown(kr.conversion))
        if st.form_submit_button("Save key result", key=f"okr_kr_{kr.id}_save"):
            size = typical_size(kr.start, kr.target)
            try:
                new = {
                    "title": title.strip(),
                    "unit": unit.strip(),
                    "owner": owner.strip(),
                    "start_value": _number(start, "start value", typical=size),
                    "target_value": _number(target, "target", typical=size),
                    "weight": _number(weight, "weight"),
                    **binding,
                }
            except ProdOpsError as error:
                common.show_error(error)
                return
            old = {
                "title": kr.title,
                "unit": kr.unit,
                "owner": kr.owner,
                "start_value": kr.start,
                "target_value": kr.target,
                "weight": kr.weight,
                "binding_metric": kr.binding_metric,
                "binding_dataset": kr.binding_dataset,
                "binding_params": kr.binding_params,
            }
            _save(
                engine,
                "kr",
                kr.id,
                seen,
                keys,
                new,
                old,
                okr_crud.update_key_result,
                id_field="key_result_id",
            )
    _archive_controls(engine, "kr", kr.id, kr.archived, seen, keys, f"key result #{kr.id}")
    _stale_reload("kr", kr.id, keys)


# --- Refresh and import ---------------------------------------------------------------------------


def render_refresh(engine: Engine, board: Board, kr: KeyResultView | None = None) -> None:
    """'Refresh from metrics': recompute bound key results (one, or all of the period)."""
    label = "Refresh this key result from its metric" if kr else "Refresh from metrics"
    key = f"okr_refresh_{kr.id}" if kr else "okr_refresh_all"
    if not st.button(label, key=key, icon=":material/sync:"):
        return
    if kr is not None:
        outcomes = [refresh_key_result(engine=engine, key_result_id=kr.id, as_of=board.as_of)]
    else:
        outcomes = refresh_all(engine=engine, as_of=board.as_of, period=board.period)
    if not outcomes:
        st.info("No key result of this period is bound to a metric.")
        return
    failed = [f"Key result '{o.title}': {o.error}" for o in outcomes if o.error]
    refreshed = len(outcomes) - len(failed)
    common.done(f"Refreshed {refreshed} key result(s) from their metrics.", errors=failed)


def render_import(engine: Engine) -> None:
    """Upload a JSON or CSV export and add its OKRs (all or nothing)."""
    upload = st.file_uploader(
        "Import OKRs (JSON or CSV export)", type=["json", "csv"], key="okr_import_file"
    )
    if upload is None or not st.button("Import", key="okr_import_submit"):
        return
    try:
        text = upload.getvalue().decode("utf-8-sig")
        document = okr_io.parse_export(text, source=upload.name)
    except (ProdOpsError, UnicodeDecodeError) as error:
        common.show_error(error)
        return
    result = common.write(engine, okr_io.import_okrs, document=document)
    if result is not None:
        common.done(
            f"Imported {result.objectives} objectives, {result.key_results} key results and "
            f"{result.check_ins} check-ins from {upload.name}."
        )
