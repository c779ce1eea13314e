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
import functools
from typing import Any, TypeVar

import pydantic
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from prodops import okr
from prodops.errors import ParameterError, ProdOpsError, StaleEditError
from prodops.numbers import parse_number
from prodops.okr import checks
from prodops.okr import crud as okr_crud
from prodops.okr import transfer as okr_io
from prodops.okr.binding import refresh_all, refresh_key_result
from prodops.okr.models import ObjectiveCreate
from prodops.okr.report import KeyResultView, ObjectiveView
from prodops.store.access import Role
from prodops.store.db import write_session
from prodops.ui import session as common
from prodops.ui.okr.views import Board

M = TypeVar("M", bound=SQLModel)
NO_METRIC = "(not bound)"
NO_PARENT = 0


def _build(model: type[M], **fields: Any) -> M:
    """Validate *fields* into *model*; a pydantic error becomes one readable ParameterError."""
    checks.check_lengths(model, fields)  # "the title is 5,000 characters long ..." first
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


NEW_OBJECTIVE_BLANK: dict[str, Any] = {
    "title": "",
    "description": "",
    "owner": "",
    "team": "",
    "start": None,
    "end": None,
}
NEW_OBJECTIVE_RESET = "okr_new_obj_reset"
NEW_KR_OBJECTIVE = "okr_new_kr_objective"  # the objective chosen in "New key result"


def _reset_new_objective() -> None:
    """After a create, blank the form's fields before they are drawn.

    Setting the values (not dropping them) is what reaches the browser: a dropped value is
    re-sent by the browser, which keeps what was typed, and a second click makes a duplicate.
    """
    if st.session_state.pop(NEW_OBJECTIVE_RESET, False):
        for key, blank in NEW_OBJECTIVE_BLANK.items():
            st.session_state[f"okr_new_obj_{key}"] = blank


def render_new_objective(engine: Engine, board: Board) -> None:
    """A form that creates an objective in a period (dates default to the period label's).

    After a create the form is blank again and "New key result" offers the new objective.
    """
    _reset_new_objective()
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
            created = common.write(
                engine, okr_crud.create_objective, objective_in=objective_in, unique_title=True
            )
            if created is not None:
                st.session_state[NEW_OBJECTIVE_RESET] = True
                st.session_state[NEW_KR_OBJECTIVE] = created.id
                common.done(f"Objective '{created.title}' created.")


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
                functools.partial(okr_crud.update_objective, unique_title=True),
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
        with write_session(engine, actor=common.current_actor()) as session:
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
    if not common.acting_role(engine).allows(Role.ADMIN):  # deleting for good is an admin's
        right.caption("Only an admin can delete it for good (it stays archived).")
        return
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


# --- Refresh and import ---------------------------------------------------------------------------


def render_refresh(engine: Engine, board: Board, kr: KeyResultView | None = None) -> None:
    """'Refresh from metrics': recompute bound key results (one, or all of the period)."""
    label = "Refresh this key result from its metric" if kr else "Refresh from metrics"
    key = f"okr_refresh_{kr.id}" if kr else "okr_refresh_all"
    if not st.button(label, key=key, icon=":material/sync:"):
        return
    actor = common.current_actor()
    try:
        if kr is not None:
            outcomes = [
                refresh_key_result(
                    engine=engine, key_result_id=kr.id, as_of=board.as_of, actor=actor
                )
            ]
        else:
            outcomes = refresh_all(
                engine=engine, as_of=board.as_of, period=board.period, actor=actor
            )
    except ProdOpsError as error:  # a refused role: nothing was written
        common.show_error(error)
        return
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
