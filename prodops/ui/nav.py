"""How every page opens: :func:`setup_page` and the one grouped sidebar menu.

See docs/adr/0001-navigation.md.
"""

from __future__ import annotations

import functools
import threading

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

# (group, [(page file, label, icon)]). Files are discovered by Streamlit's pages/ convention.
MENU: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("", (("app.py", "Home", ":material/home:"),)),
    (
        "Insights",
        (
            ("pages/1_Retention.py", "Retention", ":material/grid_on:"),
            ("pages/2_Engagement.py", "Engagement", ":material/monitoring:"),
            ("pages/3_Revenue_and_Churn.py", "Revenue & Churn", ":material/payments:"),
            ("pages/7_Customer_Insights.py", "Customer insights", ":material/forum:"),
        ),
    ),
    (
        "Rituals",
        (
            ("pages/4_OKRs.py", "OKRs", ":material/flag:"),
            ("pages/5_Roadmap_Critique.py", "Roadmap critique", ":material/rate_review:"),
            ("pages/8_Quarterly_Review.py", "Quarterly review", ":material/summarize:"),
        ),
    ),
    (
        "Data",
        (
            ("pages/6_Data.py", "Data", ":material/database:"),
            ("pages/9_Team.py", "Team", ":material/group:"),
        ),
    ),
)


def render_sidebar() -> None:
    """Draw the grouped menu (Home; Insights; Rituals; Data) in the sidebar."""
    with st.sidebar:
        for group, pages in MENU:
            if group:
                st.caption(group)
            for path, label, icon in pages:
                try:
                    st.page_link(path, label=label, icon=icon)
                except StreamlitPageNotFoundError:
                    # A page run on its own (AppTest.from_file("pages/...")) has no siblings.
                    st.text(label)


def setup_page(
    title: str, *, caption: str | None = None, help: str | None = None, tab: str | None = None
) -> None:
    """Open a page: browser tab title and wide layout, the sidebar menu, the title and caption.

    Every page (``app.py`` and ``pages/*.py``) starts with this one call, before anything else is
    drawn (``st.set_page_config`` must come first). The browser tab reads "*tab* · ProdOps"
    (*tab* defaults to *title*). *caption* is our own text (Markdown), never data; *help* is its
    tooltip.
    """
    st.set_page_config(page_title=f"{tab or title} · ProdOps", layout="wide")
    from prodops.ui.examples import ensure_set_up  # heavy imports: only once a page opens

    ensure_set_up()  # the first page opened on a data directory never set up sets it up
    _import_charts_ahead()
    render_sidebar()
    st.title(title)
    if caption:
        st.caption(caption, help=help)


@functools.cache  # one thread per server process
def _import_charts_ahead() -> threading.Thread:
    """Import Altair (with jsonschema: 0.3-0.45 s) in a thread the first time any page opens,
    so the first chart page does not wait for it: a person opening the Data or Team page first,
    then a chart page, finds it imported. Altair imports nothing of ProdOps, so the page's own
    imports never wait on each other in a cycle (:mod:`prodops.preload`)."""
    from prodops import preload

    return preload.in_background(["altair"])
