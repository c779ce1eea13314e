"""Shared pieces of the OKR page: the store, the author's name, messages, the "seen" versions.

User text (titles, notes, names, error messages that quote them) is never rendered as Markdown:
it goes through ``st.text``, ``st.dataframe`` or :func:`prodops.ui.render.escape_markdown`.

Optimistic edits: the version a person saw is the version of the row when their edit form was
first drawn in this browser session (kept in ``st.session_state``), not the version re-read on the
rerun that submits the form; so an edit made meanwhile by someone else is refused with a
:class:`~prodops.errors.StaleEditError` that says what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from prodops.errors import ProdOpsError
from prodops.store.db import init_store, write_session
from prodops.ui.identity import logged_in_name
from prodops.ui.render import escape_markdown

T = TypeVar("T")
AUTHOR_KEY = "okr_author"
FLASH_KEY = "okr_flash"
FLASH_ERRORS_KEY = "okr_flash_errors"


def store_engine() -> Engine:
    """Return the migrated store; stop the page with a clear error when it cannot be reached."""
    try:
        return init_store()
    except ProdOpsError as error:
        show_error(error)
        st.stop()
        raise  # unreachable: st.stop() raises


def show_error(error: Exception | str) -> None:
    """``st.error`` with the text escaped (error messages quote titles people typed)."""
    st.error(escape_markdown(str(error)), icon=":material/error:")


def write(engine: Engine, action: Callable[..., T], **kwargs: Any) -> T | None:
    """Run a CRUD *action* in a write session; show a ProdOpsError and return None instead."""
    try:
        with write_session(engine) as session:
            return action(session=session, **kwargs)
    except ProdOpsError as error:
        show_error(error)
        return None


def attempt(engine: Engine, action: Callable[..., Any], **kwargs: Any) -> bool:
    """Like :func:`write` for actions that return nothing: True when it succeeded."""
    try:
        with write_session(engine) as session:
            action(session=session, **kwargs)
    except ProdOpsError as error:
        show_error(error)
        return False
    return True


def flash(message: str) -> None:
    """Keep *message* for the next run (shown by :func:`show_flash` after ``st.rerun``)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    """Show the messages kept by :func:`done`, once."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(escape_markdown(message), icon=":material/check_circle:")
    for error in st.session_state.pop(FLASH_ERRORS_KEY, []):
        show_error(error)


def done(message: str, *, errors: list[str] | None = None) -> None:
    """Flash *message* (and *errors*) and rerun, so every card shows the new state."""
    flash(message)
    if errors:
        st.session_state[FLASH_ERRORS_KEY] = list(errors)
    st.rerun()


def seen_version(kind: str, row_id: int, current: int) -> int:
    """Return the version this browser session first saw of a row (remembering *current*)."""
    return int(st.session_state.setdefault(f"okr_seen_{kind}_{row_id}", current))


def forget(kind: str, row_id: int, widget_keys: Iterable[str] = ()) -> None:
    """Drop the remembered version and form values of a row: the next run shows it fresh."""
    for key in (f"okr_seen_{kind}_{row_id}", *widget_keys):
        st.session_state.pop(key, None)


def author_name() -> str | None:
    """The person's name: ``st.user`` when login is configured, else typed once per session."""
    name = logged_in_name() or st.session_state.get(AUTHOR_KEY)
    if name:
        left, right = st.columns([5, 1])
        left.text(f"Checking in as {name}")
        if not logged_in_name() and right.button("Change name", key="okr_change_name"):
            del st.session_state[AUTHOR_KEY]
            st.rerun()
        return str(name)
    with st.form("okr_name_form"):
        typed = st.text_input("Your name (shown with your check-ins)", key="okr_name")
        if st.form_submit_button("Use this name", key="okr_use_name"):
            cleaned = " ".join(typed.split())
            if cleaned:
                st.session_state[AUTHOR_KEY] = cleaned
                st.rerun()
            st.error("Enter a name first.")
    return None
