"""The Team page: who you are and your role, the team's roles, and the audit trail.

Everything here goes through the core (:mod:`prodops.store.audit`): assigning a role is refused by
the store's guard unless the acting person is an admin, and the trail is read with
:func:`prodops.store.audit.browse`, which refuses anyone else. The page only hides what a role
cannot use.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from prodops import config
from prodops.errors import ProdOpsError
from prodops.store import audit
from prodops.store.access import NOUNS, UNAUDITED, Role, article, team_mode
from prodops.ui import session as common

ROLES = [r.value for r in Role]
SHOWN = 1000  # entries drawn on the page
# What the trail's entries are about, in words: the store's tables, then the catalog's.
ENTITY_LABELS = {
    table: noun[:1].upper() + noun[1:] for table, noun in NOUNS.items() if table not in UNAUDITED
} | {"dataset": "Datasets", "connection": "Connections"}


def render_me(engine: Engine) -> Role:
    """Who this browser acts as and their role; the mode the team runs in. Returns the role."""
    role = common.acting_role(engine)
    st.text(f"Your role: {role.value}.")
    if not team_mode():
        st.info(
            "Roles are off: ProdOps runs as a single-user tool, so everyone may do everything."
            " Every change is still recorded below. To enforce roles, name the first admins in"
            " PRODOPS_ADMINS (their sign-in e-mails) and restart.",
            icon=":material/info:",
        )
    elif not common.sign_in_configured():
        st.warning(
            "Roles are on but sign-in is not set up: identities are the names typed in each"
            " browser, and anyone can type any name. Configure sign-in ([auth] in"
            " .streamlit/secrets.toml) so roles mean something.",
            icon=":material/warning:",
        )
    return role


def render_members(engine: Engine, role: Role) -> None:
    """The configured admins and the assigned roles; for an admin, the form to change them."""
    members = common.read(engine, audit.list_members)
    rows = [
        {"identity": a, "role": "admin", "set by": "PRODOPS_ADMINS", "updated": ""}
        for a in sorted(config.admins())
    ] + [
        {
            "identity": m.identity,
            "role": m.role,
            "set by": m.updated_by,
            "updated": f"{m.updated_at:%Y-%m-%d %H:%M} UTC",
        }
        for m in members
    ]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    else:
        st.caption("No roles assigned yet.")
    if team_mode():
        st.caption(
            f"Anyone else is {article(config.default_role())} (PRODOPS_DEFAULT_ROLE). Viewers"
            " read; editors also write OKRs, check-ins, scores, insights and QBR narratives;"
            " admins also manage datasets, connections and roles, and delete for good."
        )
    if not role.allows(Role.ADMIN):
        return
    with st.form("team_set_role", clear_on_submit=True):
        left, right = st.columns([3, 1])
        identity = left.text_input("E-mail", max_chars=audit.IDENTITY_MAX, key="team_identity")
        chosen = right.selectbox("Role", ROLES, index=1, key="team_role")
        if st.form_submit_button("Set role", type="primary"):
            member = common.write(engine, audit.set_role, identity=identity, role=chosen)
            if member is not None:
                common.done(f"{member.identity} is now {article(member.role)}.")
    assigned = [m.identity for m in members]
    if assigned:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        gone = left.selectbox("Remove an assigned role", assigned, key="team_remove_pick")
        removed = right.button("Remove", key="team_remove")
        if removed and common.attempt(engine, audit.remove_member, identity=gone):
            common.done(f"{gone} has the default role again.")


def render_trail(engine: Engine, role: Role) -> None:
    """The audit trail, filtered, with its CSV export (admins only)."""
    if not role.allows(Role.ADMIN):
        st.caption("Only admins can read the audit trail.")
        return
    who, what, since, until = st.columns([2, 2, 1, 1])
    person = who.text_input("Who (identity)", key="audit_who", max_chars=audit.IDENTITY_MAX)
    entity = what.selectbox(
        "What",
        [None, *ENTITY_LABELS],
        format_func=lambda e: "Everything" if e is None else ENTITY_LABELS[e],
        key="audit_entity",
    )
    start = since.date_input("Since", value=None, key="audit_since")
    end = until.date_input("Until (included)", value=None, key="audit_until")
    where = audit.AuditFilter(
        actor=person or None,
        entity=entity,
        since=_utc(start),
        until=_utc(end + dt.timedelta(days=1)) if isinstance(end, dt.date) else None,
    )
    me = common.current_actor()
    try:
        entries = common.read(engine, audit.browse, actor=me, where=where, limit=SHOWN + 1)
    except ProdOpsError as error:
        common.show_error(error)
        return
    frame = audit.entries_frame(entries[:SHOWN])
    more = "the newest 1,000 shown; the download holds them all" if len(entries) > SHOWN else ""
    st.caption(
        f"{len(frame):,} change(s), newest first{'; ' + more if more else ''}. Before and after"
        " hold the values that changed (JSON); times are UTC."
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "actor": "Who",
            "actor_name": "Name",
            "role": "Role then",
            "action": "Action",
            "entity": "What",
            "entity_id": "Which",
            "before": "Before",
            "after": "After",
        },
    )
    st.download_button(
        "Download the audit trail (CSV)",
        data=lambda: audit.export_csv(
            common.read(engine, audit.browse, actor=me, where=where, limit=None)
        ),
        file_name="prodops-audit.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_csv",
    )


def _utc(day: object) -> dt.datetime | None:
    if not isinstance(day, dt.date):
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
