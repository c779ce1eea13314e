"""What keeps the insight pages quick gives the same pages: cached views and the stored
active-user runs (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops import metrics
from prodops.data.catalog import Catalog
from prodops.metrics import retention_charts
from prodops.ui import cache

Open = Callable[..., AppTest]


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_a_derived_frame_is_built_once_per_view() -> None:
    cache._derived.clear()
    built: list[int] = []

    def build(n: int) -> Callable[[], pd.DataFrame]:
        def make() -> pd.DataFrame:
            built.append(n)
            return pd.DataFrame({"n": [n]})

        return make

    first = cache.derived("table", ("ds", 1, "week"), build(1))
    again = cache.derived("table", ("ds", 1, "week"), build(2))  # same view: not rebuilt
    other = cache.derived("table", ("ds", 2, "week"), build(3))  # a new version: rebuilt
    named = cache.derived("average", ("ds", 1, "week"), build(4))  # another frame of the view
    assert built == [1, 3, 4]
    assert again["n"].tolist() == first["n"].tolist() == [1]
    assert other["n"].tolist() == [3] and named["n"].tolist() == [4]


def test_the_retention_table_and_its_in_progress_cells_come_from_one_view() -> None:
    frame = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-08"]),
            "offset": [0, 1, 0, 1],
            "size": [2, 2, 1, 1],
            "count": [2, 1, 1, None],
            "rate": [1.0, 0.5, 1.0, None],
            "complete": [True, False, False, False],
        }
    )
    table, mask = retention_charts.retention_table_view(frame, period="week", period_count=1)
    pd.testing.assert_frame_equal(table, retention_charts.retention_table(frame))
    pd.testing.assert_frame_equal(mask, retention_charts.retention_table_in_progress(frame))
    assert mask[["Week 0", "Week 1"]].to_dict("list") == {
        "Week 0": [False, True],
        "Week 1": [True, False],
    }


def test_switching_back_to_a_period_draws_the_same_table(
    demo_home_env: Path, open_page: Open
) -> None:
    at = open_page("pages/1_Retention.py", dataset="demo-events")
    clean(at)
    first = at.dataframe[-1].value
    at.selectbox(key="period").set_value("day").run()
    clean(at)
    assert list(at.dataframe[-1].value.columns)[2] == "Day 0"
    at.selectbox(key="period").set_value("week").run()  # the cached view
    clean(at)
    pd.testing.assert_frame_equal(at.dataframe[-1].value, first)
    with Catalog(demo_home_env).open("demo-events") as table:
        expected = metrics.retention(table, period="week", periods=8)
    shown = retention_charts.retention_table(expected)
    assert first["Users"].tolist() == shown["Users"].tolist()


def test_the_engagement_page_keeps_one_stored_runs_file_for_its_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_page: Open
) -> None:
    from prodops.data.demo_datasets import ensure_demo_datasets

    monkeypatch.setenv("PRODOPS_HOME", str(tmp_path))
    catalog = Catalog(tmp_path)
    ensure_demo_datasets(catalog)
    at = open_page("pages/2_Engagement.py", dataset="demo-events")
    clean(at)
    stored = sorted((tmp_path / "cache" / "day_runs").glob("*.parquet"))
    # DAU, WAU, MAU and DAU/MAU over the same events: one stored frame answers them all
    assert [p.name.split("-v")[0] for p in stored] == [catalog.get("demo-events").id]
    with catalog.open("demo-events") as table:
        pairs = table.select("user_id", day=table.timestamp.date()).distinct().count().execute()
    assert int(pd.read_parquet(stored[0])["n"].sum()) == pairs  # every (user, day) once


@pytest.mark.parametrize(
    "page", ["pages/1_Retention.py", "pages/2_Engagement.py", "pages/3_Revenue_and_Churn.py"]
)
def test_a_page_computes_on_one_open_of_its_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_page: Open, page: str
) -> None:
    """Every result a page computes shares one open of the dataset (cache.reading); a rerun
    whose results are all cached opens none."""
    from prodops.data.demo_datasets import ensure_demo_datasets

    monkeypatch.setenv("PRODOPS_HOME", str(tmp_path))
    ensure_demo_datasets(Catalog(tmp_path))
    opened: list[str] = []
    original = Catalog.open

    def counted(self: Catalog, name: str):  # type: ignore[no-untyped-def]
        opened.append(name)
        return original(self, name)

    monkeypatch.setattr(Catalog, "open", counted)
    dataset = "demo-subscriptions" if "Revenue" in page else "demo-events"
    at = open_page(page, dataset=dataset)
    clean(at)
    assert opened == [dataset]
    at.run()  # a rerun: every result is cached
    clean(at)
    assert opened == [dataset]
