"""The "Connect a database" section: URL (or a secrets.toml connection), table or SELECT,
preview, mapping, and registration as a live dataset. The password is never shown back."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prodops.data import connect, live, relations
from prodops.data.presets import detect_mapping
from prodops.data.schema import REQUIRED_COLUMNS
from prodops.errors import ProdOpsError
from prodops.export import neutralise_formulas
from prodops.text import escape_markdown
from prodops.ui.session import current_actor, flash, show_error

TYPED = "(type a URL)"
NOT_MAPPED = "(not mapped)"


def _url() -> tuple[str, str | None]:
    """Return (url, secrets connection name) chosen by the user."""
    secrets = connect.secret_connections()
    source = st.selectbox(
        "Connection", [TYPED, *sorted(secrets)], key="db_conn",
        help="Connections come from [connections.NAME] url = ... in .streamlit/secrets.toml.",
    )  # fmt: skip
    if source != TYPED:
        st.text(connect.mask_url(secrets[source]))
        return secrets[source], source
    url = st.text_input(
        "Database URL",
        type="password",
        placeholder="postgresql://user:password@host:5432/dbname",
        key="db_url",
        help="Any Ibis URL. The password is not stored: put it in .streamlit/secrets.toml or "
        "PRODOPS_DB_PASSWORD_<NAME> to use the dataset later.",
    )
    return url.strip(), None


def _mapping(columns: list[str], kind: str | None) -> tuple[str, dict[str, str | None]]:
    detected = detect_mapping(columns, kind=kind)  # type: ignore[arg-type]
    overrides: dict[str, str | None] = {}
    options = [NOT_MAPPED, *columns]
    cols = st.columns(len(REQUIRED_COLUMNS[detected.kind]))
    for column, canonical in zip(cols, REQUIRED_COLUMNS[detected.kind], strict=True):
        current = detected.columns.get(canonical) or NOT_MAPPED
        choice = column.selectbox(
            canonical, options, index=options.index(current), key=f"db_map_{canonical}"
        )
        overrides[canonical] = None if choice == NOT_MAPPED else choice
    return detected.kind, overrides


def _warn_about_login(backend: Any) -> None:
    """Recommend a read-only role when the login is a superuser or could change data."""
    risks = relations.login_risks(backend)
    if risks is None or risks.warning is None:
        return
    st.warning(escape_markdown(risks.warning), icon=":material/shield:")
    st.code(risks.read_only_role_sql(), language="sql")


def render_connect(catalog: Any) -> None:
    """Pick a table or write one SELECT, preview it, map it, register it as a live dataset."""
    url, secret_name = _url()
    if not url:
        st.caption("Metrics on a connected table run inside that database.")
        return
    try:
        with connect.connection(url) as backend:
            tables = connect.list_relations(backend)
            _warn_about_login(backend)
            mode = st.radio(
                "Read", ["A table or view", "One SELECT"], horizontal=True, key="db_mode"
            )
            if mode == "A table or view":
                text = st.selectbox("Table or view", tables, key="db_table") or ""
            else:
                text = st.text_area("SELECT statement", key="db_sql")
            if not text:
                return
            relation = relations.check_relation(text, dialect=relations.dialect_for(url))
            frame = relations.preview_relation(backend, relation)
        st.dataframe(neutralise_formulas(frame), hide_index=True)
        kind_choice = st.selectbox("Kind", ["detect", "events", "subscriptions"], key="db_kind")
        kind, overrides = _mapping(
            [str(c) for c in frame.columns], None if kind_choice == "detect" else kind_choice
        )
        name = st.text_input("Dataset name", key="db_name", max_chars=100)
        if st.button("Register live dataset", key="db_register", disabled=not name.strip()):
            info = live.register_database(
                catalog,
                name=name,
                url=url,
                relation_text=text,
                kind=kind,  # type: ignore[arg-type]
                overrides=overrides,
                connection_name=secret_name,
                actor=current_actor(),
            )
            flash(f"Registered live dataset {info.name}")
            st.rerun()
    except ProdOpsError as error:
        show_error(error)
