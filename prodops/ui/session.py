"""What every page that writes shares: the store, who is acting, messages, the versions seen.

User text (titles, notes, names, error messages that quote them) is never rendered as Markdown:
it goes through ``st.text``, ``st.dataframe`` or :func:`prodops.text.escape_markdown`.

Optimistic edits: the version a person saw is the version of the row when their edit form was
first drawn in this browser session (kept in ``st.session_state``), not the version re-read on the
rerun that submits the form; so an edit made meanwhile by someone else is refused with a
:class:`~prodops.errors.StaleEditError` that says what changed (:mod:`prodops.store.versioning`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import unquote

import streamlit as st
from sqlalchemy.engine import Engine

from prodops.errors import ProdOpsError
from prodops.store.access import Actor, Role
from prodops.store.db import init_store, read_session, write_session
from prodops.store.guard import role_of
from prodops.text import escape_markdown

T = TypeVar("T")
NAME_KEY = "person"
NAME_COOKIE = "prodops_name"  # remembers a typed name in this browser (local mode only)
NAME_COOKIE_PENDING = "person_cookie_pending"
NAME_FORGOTTEN = "person_forgotten"
NAME_COOKIE_AGE_S = 365 * 24 * 3600
NAME_MAX = 200  # the longest author / reviewer name the store keeps
SIGN_IN_NOTE = "Sign in to check in, score and decide: edits are attributed to who signed in."
LOCAL_MODE_NOTE = (
    "Sign-in is not set up: edits are attributed to the name typed here, and anyone can type any"
    " name. This browser remembers it."
)
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
    """Run a CRUD *action* in a write session as :func:`current_actor`; show a ProdOpsError
    (a refused role included) and return None instead."""
    try:
        with write_session(engine, actor=current_actor()) as session:
            return action(session=session, **kwargs)
    except ProdOpsError as error:
        show_error(error)
        return None


def attempt(engine: Engine, action: Callable[..., Any], **kwargs: Any) -> bool:
    """Like :func:`write` for actions that return nothing: True when it succeeded."""
    try:
        with write_session(engine, actor=current_actor()) as session:
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


ANONYMOUS = "anonymous"
VIEWER_NOTE = (
    "You can read everything here. Editing needs the editor role: ask an admin (Team page)."
)


def current_actor() -> Actor:
    """Who this browser acts as: the signed-in e-mail (sign-in configured), else the name typed
    here (local mode), else ``anonymous``. Roles and the audit trail key on its identity."""
    signed_in = _signed_in()
    if signed_in is not None:
        return signed_in
    if sign_in_configured():
        return Actor(ANONYMOUS)
    typed = st.session_state.get(NAME_KEY) or (
        None if st.session_state.get(NAME_FORGOTTEN) else remembered_name()
    )
    return Actor(str(typed)) if typed else Actor(ANONYMOUS)


def acting_role(engine: Engine) -> Role:
    """The role of :func:`current_actor` (read from configuration and the store)."""
    with read_session(engine) as session:
        return role_of(session, current_actor())


def may(engine: Engine, role: Role, *, note: bool = True) -> bool:
    """True when this browser's person has *role* (or more); else, with *note*, say so once."""
    if acting_role(engine).allows(role):
        return True
    if note:
        st.caption(
            VIEWER_NOTE if role is Role.EDITOR else "Only an admin can do this.",
        )
    return False


def _signed_in() -> Actor | None:
    """The signed-in person of ``st.user`` (identity: the e-mail, else the name), else None."""
    try:
        if st.user.is_logged_in:
            email = str(st.user.get("email") or "")
            name = str(st.user.get("name") or "")
            if email or name:
                return Actor(identity=email or name, name=name)
    except (AttributeError, KeyError, RuntimeError):
        return None
    return None


def logged_in_name() -> str | None:
    """The name (else e-mail) from ``st.user`` when someone is signed in, else None."""
    signed_in = _signed_in()
    return signed_in.shown if signed_in is not None else None


def sign_in_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit OIDC sign-in)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer False
        return False


def remembered_name() -> str | None:
    """The name this browser typed before (the :data:`NAME_COOKIE` cookie), if any."""
    try:
        raw = st.context.cookies.get(NAME_COOKIE)
    except (AttributeError, RuntimeError):  # no browser (bare mode)
        return None
    name = clean_name(unquote(raw or ""))
    return name or None


def clean_name(text: str) -> str:
    """A typed name with runs of spaces collapsed and at most :data:`NAME_MAX` characters.

    >>> clean_name("  Ana   Lima ")
    'Ana Lima'
    """
    return " ".join(text.split())[:NAME_MAX]


def cookie_script(name: str | None) -> str:
    """The script that remembers *name* in this browser for a year (None: forgets it).

    The name is a JSON string literal with ``<``, ``>`` and ``&`` escaped, so no typed name can
    close the script tag; the browser percent-encodes it into the cookie.

    >>> script = cookie_script("</script><b>")
    >>> script.count("<"), script.count(">")  # only the script's own tags
    (2, 2)
    >>> "max-age=0" in cookie_script(None)
    True
    """
    literal = (
        json.dumps(name or "")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    age = NAME_COOKIE_AGE_S if name else 0
    return (
        f'<script>document.cookie = "{NAME_COOKIE}=" + encodeURIComponent({literal}) + '
        f'"; path=/; max-age={age}; SameSite=Lax";</script>'
    )


def _store_name_in_browser() -> None:
    """Write (or clear) the name cookie once, on the run after the name changed."""
    if NAME_COOKIE_PENDING in st.session_state:
        name = st.session_state.pop(NAME_COOKIE_PENDING)
        with st.container(height=1, border=False):  # the script draws nothing
            st.html(cookie_script(name), unsafe_allow_javascript=True)


def person_name(*, acting_as: str, shown_with: str) -> str | None:
    """The person acting: the signed-in identity, or (local mode) a name typed once per browser.

    *acting_as* completes "… as NAME" ("Checking in"); *shown_with* says where the name appears
    ("your check-ins"). With sign-in configured (``[auth]`` in secrets) only a signed-in person
    acts: a "Sign in" button goes through the OIDC provider (``st.login``). Without it the typed
    name is remembered in a cookie of this browser (it survives reloads and new tabs) and a note
    says edits are attributed to it. Returns None (with the sign-in or name form) until known.
    """
    signed_in = logged_in_name()
    if signed_in:
        left, right = st.columns([5, 1])
        left.text(f"{acting_as} as {signed_in} (signed in)")
        if right.button("Sign out", key="person_sign_out"):
            st.logout()
        return signed_in
    if sign_in_configured():
        left, right = st.columns([5, 1])
        left.caption(SIGN_IN_NOTE)
        if right.button("Sign in", key="person_sign_in", type="primary"):
            st.login()
        return None
    return _typed_name(acting_as=acting_as, shown_with=shown_with)


def _typed_name(*, acting_as: str, shown_with: str) -> str | None:
    """Local mode: the name typed in this browser (remembered in a cookie), or the name form."""
    # The cookies of this session are those the browser sent when it opened: once the person
    # changed their name here, the old cookie must not bring the old name back.
    if NAME_KEY not in st.session_state and not st.session_state.get(NAME_FORGOTTEN):
        remembered = remembered_name()
        if remembered:
            st.session_state[NAME_KEY] = remembered
    _store_name_in_browser()
    st.caption(LOCAL_MODE_NOTE)
    name = st.session_state.get(NAME_KEY)
    if name:
        left, right = st.columns([5, 1])
        left.text(f"{acting_as} as {name}")
        if right.button("Change name", key="person_change_name"):
            del st.session_state[NAME_KEY]
            st.session_state[NAME_COOKIE_PENDING] = None
            st.session_state[NAME_FORGOTTEN] = True
            st.rerun()
        return str(name)
    with st.form("person_name_form"):
        typed = st.text_input(
            f"Your name (shown with {shown_with})", key="person_name", max_chars=NAME_MAX
        )
        if st.form_submit_button("Use this name", key="person_use_name"):
            cleaned = clean_name(typed)
            if cleaned:
                st.session_state[NAME_KEY] = cleaned
                st.session_state[NAME_COOKIE_PENDING] = cleaned
                st.rerun()
            st.error("Enter a name first.")
    return None
