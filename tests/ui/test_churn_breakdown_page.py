"""Revenue & Churn page, events dataset: user churn broken down by a property, one line per
value, the period in progress dashed, the missing value as "(not set)"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

Open = Callable[..., AppTest]

# One event per (user, month) of 2024, the plan constant per user (None: no plan). The data end
# is the last event, 5 March: January and February are complete, March is in progress.
USERS = {
    "a": ("pro", [1, 2]),
    "b": ("pro", [1]),
    "c": ("free", [1, 2, 3]),
    "d": ("free", [1]),
    "g": ("free", [1, 2]),
    "e": (None, [1, 2]),
    "f": (None, [1]),
}
# Churn of month m: active in m-1 and not in m, over active in m-1 (January: no one before).
#   free: Feb 1 of {c,d,g} (1/3), Mar 1 of {c,g} (1/2)
#   pro:  Feb 1 of {a,b} (1/2), Mar 1 of {a} (1/1)
#   (not set): Feb 1 of {e,f} (1/2), Mar 1 of {e} (1/1)
EXPECTED = {
    ("free", "2024-02"): (3, 1, 1 / 3),
    ("free", "2024-03"): (2, 1, 1 / 2),
    ("pro", "2024-02"): (2, 1, 1 / 2),
    ("pro", "2024-03"): (1, 1, 1.0),
    ("(not set)", "2024-02"): (2, 1, 1 / 2),
    ("(not set)", "2024-03"): (1, 1, 1.0),
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


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def chart(at: AppTest) -> dict[str, Any]:
    """The page's one Vega-Lite spec, with its data rows under ``"rows"``."""
    (node,) = at.get("vega_lite_chart")
    spec = json.loads(node.proto.spec)
    rows: list[dict[str, Any]] = []
    for named in node.proto.datasets:
        rows += pa.ipc.open_stream(named.data.data).read_all().to_pylist()
    return {**spec, "rows": rows}


def test_churn_by_plan_draws_one_line_per_value_with_the_month_in_progress_dashed(
    plan_home: Path, open_page: Open
) -> None:
    at = open_page("pages/3_Revenue_and_Churn.py", dataset="plans")
    assert_clean(at)
    assert "plan" in at.selectbox(key="breakdown").options
    # without a breakdown: the bars of all users (Feb: 7 active in January, 3 gone)
    assert chart(at)["mark"]["type"] == "bar"
    at.selectbox(key="breakdown").set_value("plan").run()
    assert_clean(at)
    assert at.query_params["breakdown"] == "plan"
    spec = chart(at)
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["color"]["title"] == "plan"
    assert spec["encoding"]["strokeDash"]["field"] == "progress"
    # one point per (value, month); the last complete point repeated to join the dashed part
    found = {
        (r["value"], r["period"]): (r["active_start"], r["churned"], r["churn_rate"])
        for r in spec["rows"]
        if r["period"] != "2024-01" and r["progress"] == "complete"
    }
    late = {(r["value"], r["period"]) for r in spec["rows"] if r["progress"] == "in progress"}
    assert set(found) == {k for k in EXPECTED if k[1] == "2024-02"}
    for key, (active, gone, rate) in EXPECTED.items():
        if key[1] == "2024-02":
            assert found[key][:2] == (active, gone) and found[key][2] == pytest.approx(rate)
    assert late == {(v, m) for v in ("free", "pro", "(not set)") for m in ("2024-02", "2024-03")}
    march = {r["value"]: r["churn_rate"] for r in spec["rows"] if r["period"] == "2024-03"}
    assert march == pytest.approx({"free": 0.5, "pro": 1.0, "(not set)": 1.0})
    # the table: one row per (value, month), the missing value labelled
    table = at.dataframe[-1].value
    assert sorted(set(table["breakdown"])) == ["(not set)", "free", "pro"]
    assert len(table) == 9
    assert any("in progress and drawn dashed" in str(c.value) for c in at.caption)


def test_the_values_shown_put_the_rest_into_other(plan_home: Path, open_page: Open) -> None:
    at = open_page("pages/3_Revenue_and_Churn.py", dataset="plans", breakdown="plan")
    at.number_input(key="top").set_value(1).run()
    assert_clean(at)
    # free has the most active users (3): pro and the missing value are "other" (a b e f)
    rows = [r for r in chart(at)["rows"] if r["period"] == "2024-02"]
    by_value = {r["value"]: (r["active_start"], r["churned"]) for r in rows}
    assert by_value == {"free": (3, 1), "other": (4, 2)}


def test_a_range_of_one_month_says_churn_needs_two_periods(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_page: Open
) -> None:
    from prodops.data.catalog import Catalog

    times = pd.to_datetime(["2026-10-01 10:00", "2026-10-02 10:00"], utc=True)
    frame = pd.DataFrame({"user_id": ["a", "b"], "event": "open", "timestamp": times})
    Catalog(tmp_path).save("one-month", frame, kind="events")
    monkeypatch.setenv("PRODOPS_HOME", str(tmp_path))
    at = open_page("pages/3_Revenue_and_Churn.py", dataset="one-month")
    assert_clean(at)
    (message,) = [str(i.value) for i in at.info]
    assert "compares each month with the one before it" in message
    assert "No user was active" not in message  # two were: the range is one month
