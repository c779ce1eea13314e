"""The critique store on SQLite and PostgreSQL: import by key, sessions, scores, decisions."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from prodops.critique import crud, framework, scoring
from prodops.critique import summary as summaries
from prodops.critique.models import CRITIQUE_TABLES, CritiqueSessionCreate, RoadmapItemCreate
from prodops.critique.roadmap_import import apply_mapping, default_mapping, read_roadmap
from prodops.errors import NotFoundError, ParameterError, StaleEditError
from prodops.okr.models import CheckIn, KeyResult, Objective
from prodops.store.db import (
    alembic_config,
    current_revision,
    migrate,
    read_session,
    write_session,
)

DATA = Path(__file__).parent / "data"
RUBRIC = framework("rubric").to_dict()
GOOD = {"customer_value": 5, "alignment": 5, "evidence": 5, "confidence": 5, "effort": 1}  # 100
MID = {"customer_value": 5, "alignment": 3, "evidence": 2, "confidence": 4, "effort": 3}  # 60
LOW = {"customer_value": 1, "alignment": 1, "evidence": 1, "confidence": 1, "effort": 5}  # 0


def import_file(engine: Engine, data: bytes | Path) -> crud.ImportResult:
    file = read_roadmap(data)
    with write_session(engine) as s:
        return crud.import_items(session=s, frame=apply_mapping(file, default_mapping(file)))


def make_session(engine: Engine, *, name: str = "Q1 critique", n_items: int | None = None) -> int:
    with write_session(engine) as s:
        ids = [i.id for i in crud.list_items(session=s)][:n_items]
        row = crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(
                name=name,
                held_on=dt.date(2026, 11, 20),
                framework=RUBRIC,
                participants=["Ann", "Bob", "Ann"],
            ),
            item_ids=ids,
        )
        assert row.participants == ["Ann", "Bob"]
        return int(row.id or 0)


def test_store_is_at_the_newest_revision_with_the_critique_tables(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None and int(head) >= 2
    assert current_revision(engine) == head
    assert set(CRITIQUE_TABLES) <= set(sa.inspect(engine).get_table_names())


def test_reimport_updates_by_key_without_duplicates(engine: Engine) -> None:
    assert import_file(engine, DATA / "jira.csv") == crud.ImportResult(3, 0, 0)
    with write_session(engine) as s:
        sso = crud.get_item_by_key(session=s, key="PRJ-1")
        assert sso is not None and sso.tags == ["security", "enterprise"] and sso.effort == 8.0
        crud.add_evidence(session=s, item_id=int(sso.id or 0), seen_version=1, link="https://x/1")
    changed = (DATA / "jira.csv").read_bytes().replace(b"Dark mode", b"Dark mode everywhere")
    changed += b"Slack alerts,PRJ-4,10004,To Do,,2,,,,,,,,\n"
    assert import_file(engine, changed) == crud.ImportResult(created=1, updated=1, unchanged=2)
    assert import_file(engine, changed) == crud.ImportResult(created=0, updated=0, unchanged=4)
    with read_session(engine) as s:
        items = {i.key: i for i in crud.list_items(session=s)}
    assert sorted(items) == ["PRJ-1", "PRJ-2", "PRJ-3", "PRJ-4"]
    assert items["PRJ-2"].title == "Dark mode everywhere" and items["PRJ-2"].version == 2
    assert items["PRJ-1"].evidence_count == 1  # evidence survives a re-import
    assert items["PRJ-1"].version == 2  # only the evidence edit


def test_stale_item_edit_is_refused_with_what_changed(engine: Engine) -> None:
    with write_session(engine) as s:
        item = crud.create_item(session=s, item_in=RoadmapItemCreate(title="Dark mode"))
        assert item.key == "title:dark mode"
        crud.update_item(session=s, item_id=item.id or 0, seen_version=1, item_in={"owner": "Ann"})
    with pytest.raises(StaleEditError, match="owner is now 'Ann'"), write_session(engine) as s:
        crud.update_item(session=s, item_id=item.id or 0, seen_version=1, item_in={"owner": "Bob"})
    with read_session(engine) as s:
        assert crud.get_item(session=s, item_id=item.id or 0).owner == "Ann"
    with pytest.raises(ParameterError, match="already exists"), write_session(engine) as s:
        crud.create_item(session=s, item_in=RoadmapItemCreate(title="dark  Mode"))


def test_scores_are_hidden_until_the_reviewer_submits(engine: Engine) -> None:
    import_file(engine, DATA / "jira.csv")
    sid = make_session(engine, n_items=2)
    with read_session(engine) as s:
        a, b = (int(i.id or 0) for i in crud.session_items(session=s, session_id=sid))
    with write_session(engine) as s:
        scoring.save_score(session=s, session_id=sid, item_id=a, reviewer="Ann", values=GOOD)
        scoring.save_score(session=s, session_id=sid, item_id=a, reviewer="Bob", values=LOW)
        scoring.save_score(session=s, session_id=sid, item_id=b, reviewer="Bob", values=MID)
        scoring.submit_scores(session=s, session_id=sid, reviewer="Bob")
    with read_session(engine) as s:
        ann_sees = scoring.visible_scores(session=s, session_id=sid, reviewer="Ann")
        bob_sees = scoring.visible_scores(session=s, session_id=sid, reviewer="Bob")
    assert [(x.reviewer, x.item_id) for x in ann_sees] == [("Ann", a)]
    assert sorted((x.reviewer, x.item_id) for x in bob_sees) == sorted(
        [("Ann", a), ("Bob", a), ("Bob", b)]
    )
    with pytest.raises(ParameterError, match="1 item"), write_session(engine) as s:
        scoring.submit_scores(session=s, session_id=sid, reviewer="Ann")
    with write_session(engine) as s:
        scoring.submit_scores(
            session=s, session_id=sid, reviewer="Ann", scores={b: MID}, comments={b: "needs data"}
        )
    with read_session(engine) as s:
        assert len(scoring.visible_scores(session=s, session_id=sid, reviewer="Ann")) == 4
        summary = summaries.summarise_session(session=s, session_id=sid)
    table = summary.table.set_index("item_id")
    assert table.loc[a, "overall_mean"] == pytest.approx(50.0)  # 100 and 0
    assert table.loc[a, "spread"] == pytest.approx(100.0)
    assert "disagreement" in table.loc[a, "flags"]
    assert table.loc[b, "overall_mean"] == pytest.approx(60.0)
    assert table["rank"].tolist() == [1, 2]
    assert summary.reviewers == ["Ann", "Bob"]


def test_score_validation_and_closed_sessions(engine: Engine) -> None:
    import_file(engine, DATA / "jira.csv")
    sid = make_session(engine, n_items=1)
    with read_session(engine) as s:
        item = int(crud.session_items(session=s, session_id=sid)[0].id or 0)
        other = int(crud.get_item_by_key(session=s, key="PRJ-3").id or 0)  # type: ignore[union-attr]
    with pytest.raises(ParameterError, match="outside its scale"), write_session(engine) as s:
        scoring.save_score(
            session=s, session_id=sid, item_id=item, reviewer="Ann", values={**GOOD, "effort": 9}
        )
    with pytest.raises(NotFoundError, match="not in session"), write_session(engine) as s:
        scoring.save_score(session=s, session_id=sid, item_id=other, reviewer="Ann", values=GOOD)
    with pytest.raises(ParameterError, match="no name"), write_session(engine) as s:
        scoring.save_score(session=s, session_id=sid, item_id=item, reviewer=" ", values=GOOD)
    with write_session(engine) as s:
        crud.set_session_status(session=s, session_id=sid, seen_version=1, status="closed")
    with pytest.raises(ParameterError, match="closed"), write_session(engine) as s:
        scoring.save_score(session=s, session_id=sid, item_id=item, reviewer="Ann", values=GOOD)
    with pytest.raises(StaleEditError, match="status is now 'closed'"), write_session(engine) as s:
        crud.set_session_status(session=s, session_id=sid, seen_version=1, status="open")


def test_decisions_and_trajectory_across_sessions(engine: Engine) -> None:
    import_file(engine, DATA / "jira.csv")
    first = make_session(engine, name="Q4 critique")
    with read_session(engine) as s:
        ids = [int(i.id or 0) for i in crud.session_items(session=s, session_id=first)]
    sso = ids[0]
    with write_session(engine) as s:
        scoring.submit_scores(
            session=s,
            session_id=first,
            reviewer="Ann",
            scores={i: LOW if i == sso else MID for i in ids},
        )
        scoring.record_decision(
            session=s,
            session_id=first,
            item_id=sso,
            decision="approve",
            rationale="first call",
            decided_by="Lead",
        )
        scoring.record_decision(
            session=s,
            session_id=first,
            item_id=sso,
            decision="needs_evidence",
            rationale="no data yet",
            decided_by="Lead",
        )
    with pytest.raises(ParameterError, match="rationale"), write_session(engine) as s:
        scoring.record_decision(
            session=s,
            session_id=first,
            item_id=sso,
            decision="reject",
            rationale=" ",
            decided_by="Lead",
        )
    with pytest.raises(ParameterError, match="unknown decision"), write_session(engine) as s:
        scoring.record_decision(
            session=s,
            session_id=first,
            item_id=sso,
            decision="maybe",
            rationale="x",
            decided_by="Lead",
        )
    second = make_session(engine, name="Q1 critique")
    with write_session(engine) as s:
        scoring.submit_scores(
            session=s,
            session_id=second,
            reviewer="Bob",
            scores={i: GOOD if i == sso else MID for i in ids},
        )
        scoring.record_decision(
            session=s,
            session_id=second,
            item_id=sso,
            decision="approve",
            rationale="evidence arrived",
            decided_by="Lead",
        )
    with read_session(engine) as s:
        trajectory = summaries.item_trajectory(session=s, item_id=sso)
        assert len(scoring.decision_history(session=s, item_id=sso)) == 3
        assert len(scoring.score_history(session=s, item_id=sso)) == 2
    assert trajectory["session"].tolist() == ["Q4 critique", "Q1 critique"]  # same date: by id
    assert trajectory["overall_mean"].tolist() == pytest.approx([0.0, 100.0])
    assert trajectory["rank"].tolist() == [3, 1]
    assert trajectory["decision"].tolist() == ["needs_evidence", "approve"]
    assert trajectory["rationale"].tolist() == ["no data yet", "evidence arrived"]


def test_items_link_to_key_results_with_their_status(engine: Engine) -> None:
    import_file(engine, DATA / "jira.csv")
    with write_session(engine) as s:
        objective = Objective(
            title="Win enterprise",
            period="2026-Q4",
            period_start=dt.date(2026, 10, 1),
            period_end=dt.date(2026, 12, 31),
        )
        s.add(objective)
        s.flush()
        kr = KeyResult(
            objective_id=objective.id or 0, title="10 SSO deals", start_value=0, target_value=10
        )
        s.add(kr)
        s.flush()
        s.add(CheckIn(key_result_id=kr.id or 0, value=5, confidence=0.9))
        item = crud.get_item_by_key(session=s, key="PRJ-1")
        assert item is not None
        assert crud.link_key_results(
            session=s, item_id=item.id or 0, key_result_ids=[kr.id or 0, kr.id or 0]
        ) == [kr.id]
        with pytest.raises(NotFoundError, match="key result 999"):
            crud.link_key_results(session=s, item_id=item.id or 0, key_result_ids=[999])
    with read_session(engine) as s:
        links = summaries.linked_key_results(
            session=s, item_id=item.id or 0, as_of=dt.date(2026, 11, 15)
        )
        choices = summaries.key_result_choices(session=s)
    assert links[["key_result", "objective", "progress"]].to_dict("records") == [
        {"key_result": "10 SSO deals", "objective": "Win enterprise", "progress": 0.5}
    ]
    assert links.loc[0, "status"] == "on_track"  # 0.5 done, 46 of 92 days gone
    assert choices == [(kr.id, "2026-Q4 · Win enterprise › 10 SSO deals")]
    sid = make_session(engine)
    with read_session(engine) as s:
        flags = summaries.summarise_session(session=s, session_id=sid).flags
    assert flags == {
        i: ["no_evidence"] if i == item.id else ["no_key_result", "no_evidence"] for i in flags
    }
    assert len(flags) == 3


def test_eight_reviewers_submitting_at_once_lose_nothing(engine: Engine) -> None:
    import_file(engine, DATA / "jira.csv")
    sid = make_session(engine)
    with read_session(engine) as s:
        ids = [int(i.id or 0) for i in crud.session_items(session=s, session_id=sid)]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def review(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(2):  # each reviewer re-submits once: append-only, the latest counts
                with write_session(engine) as s:
                    scoring.submit_scores(
                        session=s,
                        session_id=sid,
                        reviewer=f"R{n}",
                        scores={i: GOOD if n % 2 else LOW for i in ids},
                    )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session(engine) as s:
        assert len(scoring.submitted_reviewers(session=s, session_id=sid)) == 8
        summary = summaries.summarise_session(session=s, session_id=sid)
        total = s.execute(sa.text("SELECT count(*) FROM critique_score")).scalar_one()
    assert total == 8 * 2 * len(ids)
    assert summary.table["reviewers"].tolist() == [8, 8, 8]
    assert summary.table["overall_mean"].tolist() == pytest.approx([50.0, 50.0, 50.0])


def test_concurrent_item_edits_are_applied_or_refused_never_lost(engine: Engine) -> None:
    with write_session(engine) as s:
        item_id = int(crud.create_item(session=s, item_in=RoadmapItemCreate(title="X")).id or 0)
    applied: list[int] = []
    refused: list[int] = []
    barrier = threading.Barrier(4)

    def edit(n: int) -> None:
        barrier.wait()
        for k in range(5):
            with read_session(engine) as s:
                seen = crud.get_item(session=s, item_id=item_id).version
            try:
                with write_session(engine) as s:
                    crud.add_evidence(
                        session=s, item_id=item_id, seen_version=seen, note=f"{n}-{k}"
                    )
                applied.append(1)
            except StaleEditError:
                refused.append(1)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with read_session(engine) as s:
        item = crud.get_item(session=s, item_id=item_id)
    assert len(applied) + len(refused) == 20
    assert item.evidence_count == len(item.evidence) == len(applied)
    assert item.version == 1 + len(applied)


def test_upgrade_from_0001_keeps_okr_data_and_downgrade_drops_only_critique(
    store_url: str,
) -> None:
    from prodops.store.db import get_engine

    engine = get_engine(store_url)
    migrate(engine, revision="0001")
    with write_session(engine) as s:
        s.add(
            Objective(
                title="Keep me",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            )
        )
    migrate(engine)
    # 0002 adds critique, 0003 makes its times aware, 0004 adds OKR binding units and sources;
    # later revisions add other features' tables
    assert int(current_revision(engine) or 0) >= 4
    with write_session(engine) as s:
        crud.create_item(session=s, item_in=RoadmapItemCreate(title="New"))
    migrate(engine, revision="0001", downgrade=True)
    assert current_revision(engine) == "0001"
    names = sa.inspect(engine).get_table_names()
    assert "roadmap_item" not in names
    with read_session(engine) as s:
        assert s.execute(sa.text("SELECT title FROM objective")).scalars().all() == ["Keep me"]
