"""Shared pieces of the roadmap-critique page: the store, the person's name, messages.

User text is never rendered as Markdown: messages that may carry it go through
:func:`prodops.critique_report.escape_markdown`; tables through ``st.dataframe``; free text
through ``st.text``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from prodops.critique_report import escape_markdown
from prodops.errors import ProdOpsError
from prodops.store.db import init_store, write_session
from prodops.ui.identity import logged_in_name

T = TypeVar("T")
REVIEWER_KEY = "critique_reviewer"
FLASH_KEY = "critique_flash"
VIEW_KEY = "critique_view"
VIEWS = ("Roadmap items", "Critique sessions")


def store_engine() -> Engine:
    """The migrated store; stops the page with a clear error when it cannot be reached."""
    try:
        return init_store()
    except ProdOpsError as error:
        show_error(error)
        st.stop()
        raise  # unreachable: st.stop() raises


def show_error(error: Exception) -> None:
    st.error(escape_markdown(str(error)), icon=":material/error:")


def write(engine: Engine, action: Callable[..., T], **kwargs: Any) -> T | None:
    """Run a CRUD *action* in a write session; show a ProdOpsError and return None."""
    try:
        with write_session(engine) as session:
            return action(session=session, **kwargs)
    except ProdOpsError as error:
        show_error(error)
        return None


def flash(message: str) -> None:
    """Keep *message* for the next run (shown by :func:`show_flash` after ``st.rerun``)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(escape_markdown(message), icon=":material/check_circle:")


def reviewer_name() -> str | None:
    """The person's name: from ``st.user`` when logged in, else entered once per browser session."""
    name = logged_in_name()
    if name:
        st.caption("Signed in as")
        st.text(name)
        return name
    name = st.session_state.get(REVIEWER_KEY)
    if name:
        left, right = st.columns([4, 1])
        left.text(f"Reviewing as {name}")
        if right.button("Change name", key="critique_change_name"):
            del st.session_state[REVIEWER_KEY]
            st.rerun()
        return str(name)
    with st.form("critique_name_form"):
        typed = st.text_input(
            "Your name (shown with your scores and decisions)", key="critique_name"
        )
        if st.form_submit_button("Use this name", key="critique_use_name"):
            cleaned = " ".join(typed.split())
            if cleaned:
                st.session_state[REVIEWER_KEY] = cleaned
                st.rerun()
            st.error("Enter a name first.")
    return None
