"""A first start leaves living examples (OKRs, a critique); what someone deletes stays deleted."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from prodops.cli import main
from prodops.critique import crud as critique_crud
from prodops.critique import scoring
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.data import first_start
from prodops.data.catalog import Catalog
from prodops.data.example_removal import has_examples
from prodops.okr import crud as okr_crud
from prodops.okr.models import ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_files(tmp_path: Path) -> Path:
    """Tiny stand-ins for the shipped demo files (same names), quick to import."""
    folder = tmp_path / "demo"
    folder.mkdir()
    events = "user_id,event,timestamp\na,login,2026-10-01 10:00:00\nb,login,2026-10-02 10:00:00\n"
    subs = "customer_id,start,end,mrr\nc1,2026-09-01,,50\n"
    for name, text in (("demo-events.csv.gz", events), ("demo-subscriptions.csv.gz", subs)):
        (folder / name).write_bytes(gzip.compress(text.encode()))
    return folder


def prepare(home: Path, engine: Engine, folder: Path, **flags: bool) -> first_start.SetupReport:
    return first_start.prepare(
        home=home, catalog=Catalog(home), engine=engine, directory=folder, **flags
    )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with read_session(engine) as session:
        objectives = okr_crud.list_objectives(session=session, include_archived=True)
        krs = okr_crud.list_key_results(session=session, include_archived=True)
        items = critique_crud.list_items(session=session, include_archived=True)
        sessions = critique_crud.list_sessions(session=session)
    return len(objectives), len(krs), len(items), len(sessions)


# --- The core: what is set up, once ---------------------------------------------------------------


def test_a_first_start_imports_the_demo_data_and_creates_the_examples(
    prodops_home: Path, engine: Engine, demo_files: Path
) -> None:
    report = prepare(prodops_home, engine, demo_files)
    assert report.imported == ["demo-events", "demo-subscriptions"]
    assert report.examples == "created"
    assert counts(engine) == (4, 8, 8, 2)
    with read_session(engine) as session:
        objectives = okr_crud.list_objectives(session=session)
        assert {o.period for o in objectives} == {"2026-Q3", "2026-Q4"}
        assert all(o.title.startswith("Example: ") for o in objectives)
        bound = okr_crud.list_key_results(session=session, bound_only=True)
        assert {(k.binding_dataset, k.binding_metric) for k in bound} == {
            ("demo-events", "active_users"),
            ("demo-events", "retention"),
            ("demo-subscriptions", "revenue"),
        }
        check_ins = okr_crud.list_check_ins(session=session, key_result_ids=[k.id for k in bound])
        # Four weekly check-ins each, by the key result's owner, in October.
        assert len(check_ins) == 12
        assert {c.created_at.date() for c in check_ins} == {
            dt.date(2026, 10, d) for d in (5, 12, 19, 26)
        }
        by_name = {s.name: s for s in critique_crud.list_sessions(session=session)}
        assert set(by_name) == {
            "Example: 2026-Q3 roadmap review",
            "Example: 2026-Q4 roadmap review",
        }
        crit = by_name["Example: 2026-Q4 roadmap review"]
        assert crit.status == "closed"
        assert scoring.submitted_reviewers(session=session, session_id=crit.id) == [
            "Dana",
            "Lee",
            "Mia",
        ]
        assert len(scoring.current_decisions(session=session, session_id=crit.id)) == 5
        # The closed quarter before: hand-tracked key results with monthly check-ins, decided.
        closed = by_name["Example: 2026-Q3 roadmap review"]
        assert closed.status == "closed"
        assert len(scoring.current_decisions(session=session, session_id=closed.id)) == 3
        q3 = [o for o in objectives if o.period == "2026-Q3"]
        q3_krs = okr_crud.list_key_results(session=session, objective_ids=[o.id for o in q3])
        assert len(q3_krs) == 4 and not any(k.binding_metric for k in q3_krs)
        q3_ins = okr_crud.list_check_ins(session=session, key_result_ids=[k.id for k in q3_krs])
        assert len(q3_ins) == 16
        assert all(
            dt.date(2026, 7, 1) <= c.created_at.date() <= dt.date(2026, 9, 30) for c in q3_ins
        )


def test_a_second_run_changes_nothing(prodops_home: Path, engine: Engine, demo_files: Path) -> None:
    prepare(prodops_home, engine, demo_files)
    again = prepare(prodops_home, engine, demo_files)
    assert again.imported == []
    assert again.examples == "already set up once"
    assert counts(engine) == (4, 8, 8, 2)


def test_a_deleted_demo_dataset_and_removed_examples_stay_deleted(
    prodops_home: Path, engine: Engine, demo_files: Path
) -> None:
    prepare(prodops_home, engine, demo_files)
    Catalog(prodops_home).delete("demo-events")
    removed = first_start.remove(home=prodops_home, engine=engine)
    assert (removed.objectives, removed.key_results, removed.check_ins) == (4, 8, 32)
    assert (removed.items, removed.sessions) == (8, 2)
    assert counts(engine) == (0, 0, 0, 0)

    report = prepare(prodops_home, engine, demo_files)
    assert report.imported == []
    assert [d.name for d in Catalog(prodops_home).list()] == ["demo-subscriptions"]
    assert counts(engine) == (0, 0, 0, 0)


def test_no_examples_are_written_into_a_store_a_team_already_uses(
    prodops_home: Path, engine: Engine, demo_files: Path
) -> None:
    with write_session(engine) as session:
        okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Our own",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            ),
        )
    report = prepare(prodops_home, engine, demo_files, demo=False)
    assert report.examples.startswith("not created")
    assert counts(engine) == (1, 0, 0, 0)


def test_removing_examples_keeps_what_people_made_their_own(
    prodops_home: Path, engine: Engine, demo_files: Path
) -> None:
    prepare(prodops_home, engine, demo_files, demo=False)
    with write_session(engine) as session:
        first = okr_crud.list_objectives(session=session)[0]
        # Someone rewrote an example objective's description: it is theirs now.
        okr_crud.update_objective(
            session=session,
            objective_id=first.id,
            seen_version=first.version,
            changes={"description": "We adopted this one."},
        )
        # Someone put an example item into their own session: it stays (archived).
        item = critique_crud.list_items(session=session)[0]
        critique_crud.create_session(
            session=session,
            session_in=CritiqueSessionCreate(name="Ours", held_on=dt.date(2026, 11, 2)),
            item_ids=[item.id],
        )
        own = critique_crud.create_item(session=session, item_in=RoadmapItemCreate(title="Mine"))
    removed = first_start.remove(home=prodops_home, engine=engine)
    assert (removed.objectives, removed.items, removed.sessions) == (3, 7, 2)
    with read_session(engine) as session:
        [kept] = okr_crud.list_objectives(session=session)
        assert kept.title == first.title
        assert [i.title for i in critique_crud.list_items(session=session)] == ["Mine"]
        archived = critique_crud.get_item(session=session, item_id=item.id)
        assert archived.archived
        assert own.id is not None
        assert [s.name for s in critique_crud.list_sessions(session=session)] == ["Ours"]
        assert not has_examples(session=session)


def test_delete_item_refuses_an_item_that_is_not_archived(engine: Engine) -> None:
    with write_session(engine) as session:
        item = critique_crud.create_item(session=session, item_in=RoadmapItemCreate(title="A"))
    with pytest.raises(Exception, match="not archived"), write_session(engine) as session:
        critique_crud.delete_item(session=session, item_id=item.id)


# --- The command line -----------------------------------------------------------------------------


def test_setup_no_examples_is_remembered(
    prodops_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", "--no-demo", "--no-examples"]) == 0
    assert main(["setup", "--no-demo"]) == 0
    assert "examples: already set up once" in capsys.readouterr().out
    engine = init_store()
    assert counts(engine) == (0, 0, 0, 0)
    assert json.loads((prodops_home / "setup.json").read_text())["examples"] == "declined"


def test_setup_remove_examples(prodops_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", "--no-demo"]) == 0
    assert "examples: created" in capsys.readouterr().out
    assert main(["setup", "--remove-examples"]) == 0
    out = capsys.readouterr().out
    assert "examples removed: 4 objectives, 8 roadmap items, 2 critique sessions" in out
    assert main(["setup", "--no-demo"]) == 0
    assert counts(init_store()) == (0, 0, 0, 0)


def test_setup_keeps_a_deleted_demo_dataset_deleted(prodops_home: Path) -> None:
    assert main(["setup", "--no-examples"]) == 0
    assert main(["datasets", "delete", "demo-events"]) == 0
    assert main(["setup", "--no-examples"]) == 0
    assert [d.name for d in Catalog().list()] == ["demo-subscriptions"]


# --- The pages on a fresh data directory ----------------------------------------------------------


def run_page(path: str) -> AppTest:
    with mock.patch("prodops.ui.nav.render_sidebar"):
        at = AppTest.from_file(str(ROOT / path), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_a_fresh_data_directory_shows_examples_on_the_okr_and_critique_pages(
    prodops_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PRODOPS_SETUP_ON_START", "1")
    at = run_page("pages/4_OKRs.py")  # the first page opened sets the data directory up
    assert (prodops_home / "setup.json").is_file()
    titles = [str(s.value).replace("\\", "") for s in at.subheader]
    assert "Example: More teams make the product a weekly habit" in titles
    assert "Example: Keep the revenue we have" in titles
    key_results = next(d.value for d in at.dataframe if "key_result" in d.value.columns)
    assert list(key_results["key_result"]) == [
        "Weekly active users",
        "Week-1 retention of new users",
    ]
    assert list(key_results["current"]) == ["4,406", "62.4"]  # the latest weekly check-ins
    assert any("examples created on the first start" in str(i.value) for i in at.info)

    crit = run_page("pages/5_Roadmap_Critique.py")
    crit.radio(key="critique_view").set_value("Critique sessions").run()
    assert not crit.exception
    shown = " ".join(str(t.value) for t in [*crit.text, *crit.markdown, *crit.caption])
    assert "Example: 2026-Q4 roadmap review" in shown or any(
        "Example: 2026-Q4 roadmap review" in str(s.options) for s in crit.selectbox
    )
    tables = [d.value for d in crit.dataframe]
    assert any("Onboarding checklist" in str(t) for t in tables)

    # One click removes them all, on either page; they do not come back.
    crit.button(key="remove_examples_critique").click().run()
    assert not crit.exception
    assert json.loads((prodops_home / "setup.json").read_text())["examples"] == "removed"
    again = run_page("pages/4_OKRs.py")
    assert [str(s.value) for s in again.subheader if "Example" in str(s.value)] == []
    assert not any("examples created" in str(i.value) for i in again.info)
