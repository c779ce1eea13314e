"""The first start of the app, and the example OKRs and critique it leaves (removable in one click).

Hosts that only run ``streamlit run app.py`` never ran ``prodops setup``: the first page opened on
a data directory that was never set up does it (:func:`ensure_set_up`), once per data directory
and process, so a newcomer sees datasets, an OKR quarter and a finished critique. What was set up
is recorded in the data directory (:mod:`prodops.data.first_start`), so nothing deleted returns.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from sqlalchemy.engine import Engine

from prodops import config
from prodops.data import first_start
from prodops.data.catalog import Catalog
from prodops.data.example_removal import has_examples
from prodops.errors import ProdOpsError
from prodops.store.access import Role
from prodops.store.db import init_store, read_session
from prodops.ui import session as common


@st.cache_resource(show_spinner=False, max_entries=8)
def _set_up(home: str) -> str:
    """Set up data directory *home* once per process (the lock makes concurrent first runs wait)."""
    path = Path(home)
    if not first_start.is_first_start(path):
        return "already set up"
    report = first_start.prepare(home=path, catalog=Catalog(path), engine=init_store())
    return f"imported {', '.join(report.imported) or 'nothing'}; examples {report.examples}"


def ensure_set_up() -> None:
    """On a data directory never set up (no record), import the demo data and the examples."""
    if not config.setup_on_start():
        return
    home = config.home()
    if not first_start.is_first_start(home):
        return
    try:
        with st.spinner("First start: importing the demo data and creating examples…"):
            _set_up(str(home))
    except ProdOpsError as error:
        common.show_error(error)


def render_examples_note(engine: Engine, *, where: str) -> None:
    """When the store holds examples: say so, and offer to remove them all in one click."""
    with read_session(engine) as session:
        if not has_examples(session=session):
            return
    with st.container(border=True, key=f"examples_note_{where}"):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.info(
            "The items marked **Example** are examples created on the first start, so you can see"
            " how the rituals work. Removing them deletes every example OKR, roadmap item and"
            " critique session; they do not come back.",
            icon=":material/lightbulb:",
        )
        admin = common.acting_role(engine).allows(Role.ADMIN)  # deleting is an admin's
        if admin and right.button(
            "Remove examples", key=f"remove_examples_{where}", type="secondary"
        ):
            try:
                removed = first_start.remove(
                    home=config.home(), engine=engine, actor=common.current_actor()
                )
            except ProdOpsError as error:
                common.show_error(error)
                return
            common.done(
                f"Examples removed: {removed.objectives} objectives, {removed.items} roadmap"
                f" items, {removed.sessions} critique session(s)."
            )
