"""Retention page: the rows whose breakdown property is missing are a value one can open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

Open = Callable[..., AppTest]

# One event per (user, plan, month) of 2024; "" = no plan (a missing property).
USERS = {
    "a": ("pro", [1, 2]),
    "b": ("pro", [1]),
    "c": ("free", [1, 2, 3]),
    "d": ("free", [1]),
    "g": ("free", [1, 2]),
    "e": (None, [1, 2]),
    "f": (None, [1]),
}


@pytest.fixture
def plan_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from prodops.data.catalog import Catalog

    rows = [
        (user, plan, pd.Timestamp(f"2024-{month:02d}-05 10:00", tz="UTC"))
        for user, (plan, months) in USERS.items()
        for month in months
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "plan", "timestamp"]).assign(event="open")
    Catalog(tmp_path).save("plans", frame, kind="events")
    monkeypatch.setenv("PRODOPS_HOME", str(tmp_path))
    return tmp_path


def test_the_missing_value_group_can_be_opened_as_not_set(plan_home: Path, open_page: Open) -> None:
    at = open_page(
        "pages/1_Retention.py", dataset="plans", period="month", periods="3", breakdown="plan"
    )
    at.toggle(key="one_value").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert set(at.selectbox(key="value").options) == {"free", "pro", "(not set)"}
    cohort_sizes, month_1 = {}, {}
    for value in ("free", "pro", "(not set)"):
        at.selectbox(key="value").set_value(value).run()
        assert not at.exception and not at.error
        table = at.dataframe[-1].value
        cohort_sizes[value] = int(table["Users"].sum())
        # every user's first month is January: one cohort per value (e and f are "not set")
        assert table["Users"].iloc[0] == cohort_sizes[value]
        month_1[value] = float(table["Month 1"].iloc[0])
    assert cohort_sizes == {"free": 3, "pro": 2, "(not set)": 2}
    # Back in February: c and g of free, a of pro, e of the users without a plan.
    assert month_1 == pytest.approx({"free": 2 / 3, "pro": 0.5, "(not set)": 0.5})
    assert at.query_params["value"] == "(not set)"
