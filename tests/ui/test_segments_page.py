"""Issue 12 on the Retention and Engagement pages: a filter per column with an operator and
several values (OR), and a breakdown drawn as one curve per value."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from streamlit.testing.v1 import AppTest

Open = Callable[..., AppTest]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def specs(at: AppTest) -> list[dict[str, Any]]:
    """The Vega-Lite specs of the charts the page drew (AppTest shows charts as protos), each
    with its data rows under ``"rows"`` (Streamlit sends the data apart, as Arrow)."""
    found = []
    for node in at.get("vega_lite_chart"):
        spec = json.loads(node.proto.spec)
        rows: list[dict[str, Any]] = []
        for named in node.proto.datasets:
            table = pa.ipc.open_stream(named.data.data).read_all()
            rows += table.to_pylist()
        found.append({**spec, "rows": rows})
    return found


def chart_titled(at: AppTest, title: str) -> dict[str, Any]:
    for spec in specs(at):
        text = spec.get("title", {})
        if (text.get("text") if isinstance(text, dict) else text) == title:
            return spec
    raise AssertionError(f"no chart titled {title!r}: {[s.get('title') for s in specs(at)]}")


def first_users(at: AppTest) -> int:
    frame = at.dataframe[-1].value
    return int(frame["Users"].sum())


def test_retention_filter_takes_several_values_of_one_column_as_or(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    assert_clean(at)
    everyone = first_users(at)
    at.multiselect(key="where_cols").select("plan").run()
    values = at.multiselect(key="where_v_plan").options
    assert len(values) >= 2
    sizes = {}
    for value in values:
        at.multiselect(key="where_v_plan").set_value([value]).run()
        assert_clean(at)
        sizes[value] = first_users(at)
    # Demo users start on free and some upgrade: a cohort is the period of a user's first event
    # matching the filter, so plan = free alone already holds everyone, and an upgraded plan
    # alone holds fewer.
    assert sizes[values[0]] == everyone and min(sizes.values()) < everyone
    # "Select all" used to raise; the values are OR
    at.multiselect(key="where_v_plan").set_value(values).run()
    assert_clean(at)
    assert first_users(at) == everyone
    assert at.query_params["where_v_plan"] == values
    rest = values[1:]
    at.multiselect(key="where_v_plan").set_value(rest).run()
    upgraded = first_users(at)
    assert max(sizes[v] for v in rest) <= upgraded < everyone
    # "is not free" is "is one of the others" (every event has a plan)
    at.selectbox(key="where_op_plan").set_value("!=").run()
    at.multiselect(key="where_v_plan").set_value(values[:1]).run()
    assert_clean(at)
    assert first_users(at) == upgraded
    assert at.query_params["where_op_plan"] == "!="


def test_retention_breakdown_draws_one_curve_per_value(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    at.selectbox(key="breakdown").set_value("plan").run()
    assert_clean(at)
    spec = chart_titled(at, "Retention by value")
    rows = spec["rows"]
    plans = list(dict.fromkeys(r["value"] for r in rows))
    assert len(plans) >= 2
    assert spec["encoding"]["color"]["field"] == "label"
    for plan in plans:  # one curve: offsets 0, 1, 2... once per value, starting at 100 %
        offsets = [r["offset"] for r in rows if r["value"] == plan]
        assert offsets == list(range(len(offsets)))
        assert next(r["rate"] for r in rows if r["value"] == plan) == 1.0
    # a limit of one value puts the rest together as "other"
    at.number_input(key="top").set_value(1).run()
    assert_clean(at)
    rows = chart_titled(at, "Retention by value")["rows"]
    assert list(dict.fromkeys(r["value"] for r in rows)) == [plans[0], "other"]
    # the heatmap of one value, on demand
    at.toggle(key="one_value").set_value(True).run()
    assert_clean(at)
    assert at.selectbox(key="value").options == [plans[0], "other"]


def test_engagement_breakdown_and_operator_filters(demo_home_env: Path, open_page: Open) -> None:
    at = open_page("pages/2_Engagement.py", dataset="demo-events")
    at.selectbox(key="breakdown").set_value("plan").run()
    assert_clean(at)
    spec = chart_titled(at, "Active users by plan")
    rows = spec["rows"]
    assert len(set(r["series"] for r in rows)) >= 2
    lifecycles = [s for s in specs(at) if str(s.get("title", {}).get("text")).startswith("Life")]
    assert len(lifecycles) >= 3  # the whole base, then one per value
    at.multiselect(key="where_cols").select("plan").run()
    at.selectbox(key="where_op_plan").set_value("?").run()
    assert_clean(at)
    at.selectbox(key="where_op_plan").set_value("~").run()
    at.text_input(key="where_t_plan").set_value("o").run()
    assert_clean(at)
    assert at.query_params["where_t_plan"] == "o"
