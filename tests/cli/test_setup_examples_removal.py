"""`prodops setup --remove-examples` right after `prodops setup`: the README's own flow.

The demo customer notes' insights are evidence for the example roadmap items, so removing the
examples must take those links with it, and keep the notes, the insights and anything else a
person made. A link of a kind the removal does not know blocks it with a message that says so.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from unittest import mock

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from prodops.cli import main
from prodops.critique import crud as critique_crud
from prodops.critique.models import RoadmapItemCreate
from prodops.data.example_removal import has_examples
from prodops.okr import crud as okr_crud
from prodops.okr.models import ObjectiveCreate
from prodops.research import crud as research_crud
from prodops.research import insight_crud
from prodops.research.models import InsightKeyResult, InsightRoadmapItem, ResearchInsightCreate
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]


def links(engine: Engine) -> tuple[int, int]:
    """(insight -> roadmap item links, insight -> key result links) in the store."""
    with read_session(engine) as session:
        items = session.execute(sa.select(sa.func.count()).select_from(InsightRoadmapItem))
        krs = session.execute(sa.select(sa.func.count()).select_from(InsightKeyResult))
        return int(items.scalar_one()), int(krs.scalar_one())


def research_counts(engine: Engine) -> tuple[int, int]:
    """(notes, insights) in the store."""
    with read_session(engine) as session:
        notes = research_crud.list_notes(session=session)
        insights = insight_crud.list_insights(session=session)
        return len(notes), len(insights)


@pytest.fixture(scope="module")
def set_up_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory after a plain `prodops setup` (demo data, examples, customer notes),
    made once and copied for each test that needs it (a setup imports the demo data: seconds)."""
    home = tmp_path_factory.mktemp("setup") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRODOPS_HOME", str(home))
        patch.delenv("PRODOPS_DATABASE_URL", raising=False)
        assert main(["setup"]) == 0
    return home


@pytest.fixture
def home(set_up_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(set_up_home, copy)
    monkeypatch.setenv("PRODOPS_HOME", str(copy))
    return copy


def test_remove_examples_right_after_setup_removes_them_and_keeps_the_notes(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = init_store()
    notes, insights = research_counts(engine)
    assert notes > 200 and insights == 10
    assert links(engine) == (4, 0)  # onboarding, digest, slack, dark mode
    capsys.readouterr()

    assert main(["setup", "--remove-examples"]) == 0

    out, err = capsys.readouterr()
    assert "examples removed: 4 objectives, 8 roadmap items, 2 critique sessions" in out
    assert err == ""
    engine = init_store()
    assert research_counts(engine) == (notes, insights)
    assert links(engine) == (0, 0)
    with read_session(engine) as session:
        assert not has_examples(session=session)
        assert critique_crud.list_items(session=session, include_archived=True) == []
        assert okr_crud.list_objectives(session=session, include_archived=True) == []
    assert json.loads((home / "setup.json").read_text())["examples"] == "removed"
    # A later setup brings neither the examples nor the notes back twice.
    assert main(["setup"]) == 0
    assert "examples: already set up once" in capsys.readouterr().out
    assert research_counts(init_store()) == (notes, insights)


def test_a_users_own_insight_linked_to_examples_stays_and_loses_only_those_links(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = init_store()
    with write_session(engine) as session:
        item_id = insight_crud.item_id_for_key(session=session, key="example:pricing")
        [kr] = [
            k
            for k in okr_crud.list_key_results(session=session)
            if k.title == "Net revenue retention"
        ]
        own = insight_crud.create_insight(
            session=session,
            insight_in=ResearchInsightCreate(claim="Our own: annual buyers want invoices"),
            actor="ana",
        )
        insight_id = own.id or 0
        insight_crud.link_item(session=session, insight_id=insight_id, item_id=item_id, actor="ana")
        insight_crud.link_key_result(
            session=session, insight_id=insight_id, key_result_id=kr.id or 0, actor="ana"
        )
        mine = critique_crud.create_item(session=session, item_in=RoadmapItemCreate(title="Mine"))
        insight_crud.link_item(
            session=session, insight_id=insight_id, item_id=mine.id or 0, actor="ana"
        )
    assert links(engine) == (6, 1)

    assert main(["setup", "--remove-examples"]) == 0

    engine = init_store()
    assert links(engine) == (1, 0)  # only the link to the user's own item is left
    with read_session(engine) as session:
        kept = research_crud.get_insight(session=session, insight_id=insight_id)
        assert kept.claim == "Our own: annual buyers want invoices"
        assert insight_crud.linked_items(session=session, insight_id=insight_id) == [
            {"id": mine.id, "key": mine.key, "title": "Mine"}
        ]
        assert [i.title for i in critique_crud.list_items(session=session)] == ["Mine"]


def test_a_link_of_an_unknown_kind_blocks_the_removal_with_a_clear_message(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = init_store()
    with read_session(engine) as session:
        item_id = insight_crud.item_id_for_key(session=session, key="example:digest")
    database = engine.url.database
    assert database is not None
    engine.dispose()
    # A table ProdOps does not know (a later feature, a team's own addition) refers to an example.
    with sqlite3.connect(database) as raw:
        raw.execute(
            "CREATE TABLE team_pin "
            "(id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES roadmap_item (id))"
        )
        raw.execute("INSERT INTO team_pin (item_id) VALUES (?)", (item_id,))
    capsys.readouterr()

    assert main(["setup", "--remove-examples"]) == 2

    out, err = capsys.readouterr()
    assert err.count("\n") == 1, err
    assert "the examples were not removed" in err and "still refers to one of them" in err
    assert "column mapping" not in err and "Traceback" not in err
    assert "examples removed" not in out
    with read_session(init_store()) as session:
        assert has_examples(session=session)  # nothing was deleted
    assert json.loads((home / "setup.json").read_text())["examples"] == "created"


def test_the_web_apps_remove_examples_button_works_after_setup(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    with mock.patch("prodops.ui.nav.render_sidebar"):
        at = AppTest.from_file(str(ROOT / "pages/4_OKRs.py"), default_timeout=120).run()
        assert not at.exception, [e.value for e in at.exception]
        at.button(key="remove_examples_okr").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    engine = init_store()
    with read_session(engine) as session:
        assert not has_examples(session=session)
    assert links(engine) == (0, 0)
    assert research_counts(engine)[1] == 10
    assert json.loads((home / "setup.json").read_text())["examples"] == "removed"


def test_examples_kept_in_someones_own_objective_tree_do_not_block(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = init_store()
    with write_session(engine) as session:
        parent = okr_crud.list_objectives(session=session)[0]
        child = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Our own, aligned under an example",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
                parent_id=parent.id,
            ),
        )
    assert main(["setup", "--remove-examples"]) == 0
    with read_session(init_store()) as session:
        [kept] = okr_crud.list_objectives(session=session)
        assert (kept.id, kept.parent_id) == (child.id, None)
