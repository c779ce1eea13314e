"""The catalog section of the Data page: the table of datasets, rename, delete (confirmed).

Broken datasets are listed too, with their problem, so that they can be deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from prodops.errors import ProdOpsError
from prodops.export import neutralise_formulas
from prodops.ui import session
from prodops.ui.session import current_actor, show_error


def catalog_frame(datasets: Sequence[Any]) -> pd.DataFrame:
    """Name, kind, rows, users/customers, time range, source, imported at, version, live, and
    the problem of a broken dataset."""

    def stamp(value: Any, fmt: str) -> str:
        return "" if value is None else pd.Timestamp(value).strftime(fmt)

    return pd.DataFrame(
        {
            "Dataset": [d.name for d in datasets],
            "Kind": [d.kind for d in datasets],
            "Rows": [d.rows for d in datasets],
            "Users / customers": [d.entities for d in datasets],
            "From": [stamp(d.time_min, "%Y-%m-%d") for d in datasets],
            "To": [stamp(d.time_max, "%Y-%m-%d") for d in datasets],
            "Source": [d.source for d in datasets],
            "Imported (UTC)": [stamp(d.imported_at, "%Y-%m-%d %H:%M") for d in datasets],
            "Version": [d.version for d in datasets],
            "Live": [d.live for d in datasets],
            "Problem": [getattr(d, "problem", "") for d in datasets],
        }
    )


def render_catalog(catalog: Any, *, admin: bool = True) -> None:
    """The datasets, and (for an admin) rename / delete for the one picked (delete asks for
    confirmation)."""
    try:
        datasets = catalog.list(include_broken=True)
    except ProdOpsError as error:
        show_error(error)
        return
    if not datasets:
        st.info("The catalog is empty: upload a file above.", icon=":material/info:")
        return
    frame = catalog_frame(datasets)
    if not frame["Problem"].any():
        frame = frame.drop(columns="Problem")
    else:
        st.warning(
            "Some datasets cannot be used (see Problem): delete them and import their files again.",
            icon=":material/warning:",
        )
    st.dataframe(neutralise_formulas(frame), hide_index=True, key="data_catalog")
    if not admin:
        return
    names = [d.name for d in datasets]
    picked = st.selectbox("Dataset", names, key="data_manage")
    left, right = st.columns(2)
    with left:
        new_name = st.text_input("New name", value=picked, key=f"rename_{picked}", max_chars=100)
        if st.button("Rename", key="data_rename", disabled=new_name == picked):
            _run(
                lambda: catalog.rename(picked, new_name, actor=current_actor()),
                f"Renamed to {new_name}",
            )
    with right:
        sure = st.checkbox("Yes, delete the dataset picked above and its rows", key="data_sure")
        if st.button("Delete", key="data_delete", disabled=not sure):
            _run(lambda: catalog.delete(picked, actor=current_actor()), f"Deleted {picked}")
    st.caption("To append a newer export of the same shape, upload it and choose Append.")


def _run(action: Any, done: str) -> None:
    try:
        action()
    except ProdOpsError as error:
        show_error(error)
        return
    st.session_state.pop("data_sure", None)
    session.done(done)
