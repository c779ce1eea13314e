"""The critique page's item view shows the customers behind an item and their MRR."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from prodops.critique import crud as critique_crud
from prodops.critique.models import RoadmapItemCreate
from prodops.data.catalog import Catalog
from prodops.data.demo_datasets import demo_dir
from prodops.research import crud, insight_crud
from prodops.research.models import ResearchInsightCreate, ResearchNoteCreate
from prodops.store.db import init_store, write_session

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "5_Roadmap_Critique.py"


def test_the_item_view_weighs_the_linked_insights_by_mrr(monkeypatch: pytest.MonkeyPatch) -> None:
    Catalog().import_file(
        demo_dir() / "demo-subscriptions.csv.gz", name="subs", kind="subscriptions"
    )
    engine = init_store()
    with write_session(engine) as s:
        item = critique_crud.create_item(
            session=s, item_in=RoadmapItemCreate(title="Single sign-on", key="PRJ-1")
        )
        insight = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim="SSO"), actor="ann"
        )
        for customer in ("u000027", "u000028", "u000028", "nobody"):
            note = crud.create_note(
                session=s,
                note_in=ResearchNoteCreate(
                    text="SSO please", source_kind="interview", customer_id=customer
                ),
                actor="ann",
            )
            insight_crud.assign_note(
                session=s, note_id=note.id or 0, insight_id=insight.id, seen_version=1, actor="a"
            )
        insight_crud.link_item(
            session=s, insight_id=insight.id or 0, item_id=item.id or 0, actor="a"
        )
    monkeypatch.chdir(ROOT)
    with (
        mock.patch("prodops.ui.nav.render_sidebar"),
        mock.patch("prodops.ui.examples.ensure_set_up"),
    ):
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.run()
    key = f"critique_demand_{item.id}"
    at.date_input(key=f"{key}_as_of").set_value(dt.date(2026, 6, 1)).run()
    assert not at.exception and not at.error
    items = next(d.value for d in at.dataframe if "customer_notes" in d.value.columns)
    assert items["customer_notes"].tolist() == [4]
    metrics = {m.label: m.value for m in at.metric}
    # From data/demo-subscriptions.csv.gz: u000027 pro 99 and u000028 starter 29, both active
    # on 2026-06-01 (no end); "nobody" has no subscription and counts 0.
    assert metrics["Customers asking"] == "3"
    assert metrics["MRR behind them on 2026-06-01"] == "128"
    customers = next(d.value for d in at.dataframe if "subscribed" in d.value.columns)
    assert customers[["customer", "notes", "mrr", "plan", "subscribed"]].values.tolist() == [
        ["u000027", 1, 99.0, "pro", True],
        ["u000028", 2, 29.0, "starter", True],
        ["nobody", 1, 0.0, "", False],
    ]
    mix = next(
        d.value for d in at.dataframe if list(d.value.columns) == ["plan", "customers", "mrr"]
    )
    assert mix.values.tolist() == [["pro", 1, 99.0], ["starter", 1, 29.0], ["(none)", 1, 0.0]]
