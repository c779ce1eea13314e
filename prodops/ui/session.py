"""What every page that writes shares: the store, who is acting, messages, the versions seen.

User text (titles, notes, names, error messages that quote them) is never rendered as Markdown:
it goes through ``st.text``, ``st.dataframe`` or :func:`prodops.text.escape_markdown`.

Optimistic edits: the version a person saw is the version of the row when their edit form was
first drawn in this browser session (kept in ``st.session_state``), not the version re-read on the
rerun that submits the form; so an edit made meanwhile by someone else is refused with a
:class:`~prodops.errors.StaleEditError` that says what changed (:mod:`prodops.store.versioning`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from prodops.errors import ProdOpsError
from prodops.store.db import init_store, read_session, write_session
from prodops.text import escape_markdown

T = TypeVar("T")
NAME_KEY = "person"
FLASH_KEY = "flash"
FLASH_ERRORS_KEY = "flash_errors"


# --- The store ------------------------------------------------------------------------------------


def store_engine() -> Engine:
    """Return the migrated store; stop the page with a clear error when it cannot be reached."""
    try:
        return init_store()
    except ProdOpsError as error:
        show_error(error)
        st.stop()
        raise  # unreachable: st.stop() raises


def read(engine: Engine, action: Callable[..., T], **kwargs: Any) -> T:
    """Run a read-only CRUD *action* in its own session and return its result."""
    with read_session(engine) as session:
        return action(session=session, **kwargs)


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


# --- Messages -------------------------------------------------------------------------------------


def show_error(error: Exception | str) -> None:
    """``st.error`` with the text escaped (error messages quote titles and headers people wrote)."""
    st.error(escape_markdown(str(error)), icon=":material/error:")


def flash(message: str) -> None:
    """Keep *message* for the next run (shown by :func:`show_flash` after ``st.rerun``)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    """Show the messages kept by :func:`flash` / :func:`done`, once."""
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


# --- Versions seen --------------------------------------------------------------------------------


def seen_version(kind: str, row_id: int, current: int) -> int:
    """Return the version this browser session first saw of a row (remembering *current*)."""
    return int(st.session_state.setdefault(f"seen_{kind}_{row_id}", current))


def forget(kind: str, row_id: int, widget_keys: Iterable[str] = ()) -> None:
    """Drop the remembered version and form values of a row: the next run shows it fresh."""
    for key in (f"seen_{kind}_{row_id}", *widget_keys):
        st.session_state.pop(key, None)


# --- Who is acting --------------------------------------------------------------------------------


def logged_in_name() -> str | None:
    """The name (else e-mail) from ``st.user`` when someone is signed in, else None."""
    try:
        if st.user.is_logged_in:
            name = st.user.get("name") or st.user.get("email")
            return str(name) if name else None
    except (AttributeError, KeyError, RuntimeError):
        return None
    return None


def person_name(*, acting_as: str, shown_with: str) -> str | None:
    """The person's name: ``st.user`` when sign-in is configured, else typed once per session.

    *acting_as* completes "… as NAME" ("Checking in"); *shown_with* says where the name appears
    ("your check-ins"). Returns None (with the name form drawn) until a name is known.
    """
    signed_in = logged_in_name()
    name = signed_in or st.session_state.get(NAME_KEY)
    if name:
        left, right = st.columns([5, 1])
        left.text(f"{acting_as} as {name}")
        if not signed_in and right.button("Change name", key="person_change_name"):
            del st.session_state[NAME_KEY]
            st.rerun()
        return str(name)
    with st.form("person_name_form"):
        typed = st.text_input(f"Your name (shown with {shown_with})", key="person_name")
        if st.form_submit_button("Use this name", key="person_use_name"):
            cleaned = " ".join(typed.split())
            if cleaned:
                st.session_state[NAME_KEY] = cleaned
                st.rerun()
            st.error("Enter a name first.")
    return None
