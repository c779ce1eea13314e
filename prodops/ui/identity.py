"""Who is using the app: the signed-in person's name, shared by the pages that record names."""

from __future__ import annotations

import streamlit as st


def logged_in_name() -> str | None:
    """The name (else e-mail) from ``st.user`` when someone is logged in, else None."""
    try:
        if st.user.is_logged_in:
            name = st.user.get("name") or st.user.get("email")
            return str(name) if name else None
    except (AttributeError, KeyError, RuntimeError):
        return None
    return None
