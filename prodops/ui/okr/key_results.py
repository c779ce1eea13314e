"""The OKR page's key-result forms: create (with its metric binding), pick, check in, edit.

Numbers are read by :func:`prodops.numbers.parse_number` and every rule is the store's own
(:mod:`prodops.okr`), as in :mod:`prodops.ui.okr.forms`. The new-key-result controls are not an
``st.form``: the note on how a refresh stores the bound metric follows the choices as they are
made. After a key result is added, every control (the metric binding too) starts afresh.
"""

from __future__ import annotations

import functools

import streamlit as st
from sqlalchemy.engine import Engine

from prodops.errors import ProdOpsError
from prodops.numbers import typical_size
from prodops.okr import crud as okr_crud
from prodops.okr import units
from prodops.okr.models import CheckInCreate, KeyResultCreate
from prodops.okr.readings import BINDABLE_METRICS
from prodops.okr.report import KeyResultView, ObjectiveView
from prodops.okr.rules import NOTE_LIMIT
from prodops.text import escape_markdown
from prodops.ui import session as common
from prodops.ui.cache import list_datasets
from prodops.ui.okr.forms import (
    NEW_KR_OBJECTIVE,
    NO_METRIC,
    _archive_controls,
    _build,
    _number,
    _save,
    _stale_reload,
)
from prodops.ui.okr.views import Board


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
    if st.session_state.get(NEW_KR_OBJECTIVE) not in objectives:  # of another period, archived
        st.session_state.pop(NEW_KR_OBJECTIVE, None)
    with st.container(border=True, key="okr_new_kr"):
        st.text("New key result")
        objective_id = st.selectbox(
            "Objective",
            list(objectives),
            format_func=objectives.__getitem__,
            key=NEW_KR_OBJECTIVE,
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
            created = common.write(
                engine, okr_crud.create_key_result, key_result_in=kr_in, datasets=dataset_kinds()
            )
            if created is not None:
                for key in NEW_KR_KEYS:  # the next key result starts unbound, with blank fields
                    st.session_state.pop(f"okr_new_kr_{key}", None)
                common.done(f"Key result '{kr_in.title.strip()}' added.")


def dataset_kinds() -> dict[str, str]:
    """The catalog's usable datasets and their kinds: what a binding may read."""
    return {info.name: info.kind for info in list_datasets() if not info.problem}


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
        note = st.text_area(
            "Note",
            key=f"{prefix}_note",
            height=68,
            help=f"What changed, in up to {NOTE_LIMIT:,} characters.",
        )
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
                functools.partial(okr_crud.update_key_result, datasets=dataset_kinds()),
                id_field="key_result_id",
            )
    _archive_controls(engine, "kr", kr.id, kr.archived, seen, keys, f"key result #{kr.id}")
    _stale_reload("kr", kr.id, keys)
