"""My key results, who has not checked in this week, and the alignment graph."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Engine

from prodops.critique import crud as critique_crud
from prodops.critique.models import RoadmapItemCreate
from prodops.okr import crud as okr_crud
from prodops.okr.alignment import alignment_dot, dot_text
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.okr.report import load_period
from prodops.okr.weekly import missing_check_ins, my_key_results, week_start
from prodops.store.db import read_session, write_session

AS_OF = dt.date(2026, 11, 19)  # a Thursday; its week starts on Monday 16 November
Q4 = {
    "period": "2026-Q4",
    "period_start": dt.date(2026, 10, 1),
    "period_end": dt.date(2026, 12, 31),
}


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def seed(engine: Engine) -> dict[str, int]:
    """Ana owns two key results, Bo one; the objective is owned by Lea (owner of an unowned KR)."""
    with write_session(engine) as s:
        objective = okr_crud.create_objective(
            session=s, objective_in=ObjectiveCreate(title="Grow", owner="Lea", **Q4)
        )
        ids = {}
        for title, owner in (("WAU", "Ana"), ("NPS", "ana "), ("Churn", "Bo"), ("Docs", "")):
            kr = okr_crud.create_key_result(
                session=s,
                key_result_in=KeyResultCreate(
                    objective_id=objective.id,
                    title=title,
                    owner=owner,
                    start_value=0,
                    target_value=10,
                ),
            )
            ids[title] = kr.id
        checks = (
            ("WAU", "Ana", at(16)),  # this week (Monday 09:00): done
            ("NPS", "Ana", at(15, 23)),  # Sunday night: last week, still due
            ("Churn", "metric refresh", at(18)),  # a refresh is not a person's check-in
            ("Churn", "Bo", at(9)),
        )
        for title, author, when in checks:
            okr_crud.add_check_in(
                session=s,
                check_in_in=CheckInCreate(
                    key_result_id=ids[title], value=5, author=author, created_at=when
                ),
            )
    return ids


def test_week_starts_on_monday() -> None:
    assert week_start(AS_OF) == dt.date(2026, 11, 16)
    assert week_start(dt.date(2026, 11, 16)) == dt.date(2026, 11, 16)
    assert week_start(dt.date(2026, 11, 22)) == dt.date(2026, 11, 16)


def test_my_key_results_lists_what_i_own_with_what_is_due_first(engine: Engine) -> None:
    seed(engine)
    with read_session(engine) as s:
        views = load_period(session=s, period="2026-Q4", as_of=AS_OF)
    mine = my_key_results(views, person="ANA", as_of=AS_OF)
    assert mine[["key_result", "needs_check_in"]].values.tolist() == [["NPS", True], ["WAU", False]]
    assert mine.loc[1, "last_check_in"] == at(16)
    # Lea owns the objective, so the key result with no owner is hers.
    assert my_key_results(views, person="Lea", as_of=AS_OF)["key_result"].tolist() == ["Docs"]
    assert my_key_results(views, person="Zed", as_of=AS_OF).empty


def test_who_has_not_checked_in_this_week(engine: Engine) -> None:
    seed(engine)
    with read_session(engine) as s:
        views = load_period(session=s, period="2026-Q4", as_of=AS_OF)
    missing = missing_check_ins(views, as_of=AS_OF)
    assert missing[["owner", "key_results", "titles"]].values.tolist() == [
        ["ana", 1, "NPS"],  # written as typed first, spaces trimmed
        ["Bo", 1, "Churn"],  # the refresh on Wednesday does not count
        ["Lea", 1, "Docs"],
    ]
    assert missing.set_index("owner").loc["Bo", "last_check_in"] == at(9)
    assert pd.isna(missing.set_index("owner").loc["Lea", "last_check_in"])  # never
    # Before the period starts, nothing is due.
    with read_session(engine) as s:
        early = load_period(session=s, period="2026-Q4", as_of=dt.date(2026, 9, 20))
    assert missing_check_ins(early, as_of=dt.date(2026, 9, 20)).empty


def test_archived_key_results_are_not_due(engine: Engine) -> None:
    ids = seed(engine)
    with write_session(engine) as s:
        okr_crud.archive_key_result(session=s, key_result_id=ids["Churn"])
    with read_session(engine) as s:
        views = load_period(session=s, period="2026-Q4", as_of=AS_OF, include_archived=True)
    assert "Bo" not in missing_check_ins(views, as_of=AS_OF)["owner"].tolist()


def test_the_alignment_graph_links_objectives_key_results_and_items(engine: Engine) -> None:
    ids = seed(engine)
    with write_session(engine) as s:
        child = okr_crud.create_objective(
            session=s,
            objective_in=ObjectiveCreate(title='Ship "SSO"', parent_id=1, **Q4),
        )
        item = critique_crud.create_item(session=s, item_in=RoadmapItemCreate(title="Digest"))
        hidden = critique_crud.create_item(session=s, item_in=RoadmapItemCreate(title="Old"))
        critique_crud.link_key_results(session=s, item_id=item.id, key_result_ids=[ids["WAU"]])
        critique_crud.link_key_results(session=s, item_id=hidden.id, key_result_ids=[ids["WAU"]])
        critique_crud.set_archived(session=s, item_id=hidden.id, seen_version=hidden.version)
    with read_session(engine) as s:
        views = load_period(session=s, period="2026-Q4", as_of=AS_OF)
        items = critique_crud.items_by_key_result(
            session=s, key_result_ids=[k.id for v in views for k in v.key_results]
        )
    assert items[ids["WAU"]] == [(item.id, "Digest")]  # the archived item is left out
    dot = alignment_dot(views, items)
    assert f'"o1" -> "o{child.id}";' in dot
    assert f'"o1" -> "k{ids["WAU"]}";' in dot
    assert f'"k{ids["WAU"]}" -> "i{item.id}";' in dot
    assert f'"o{child.id}" [label="Ship \\"SSO\\"\\nno key results yet"' in dot
    assert dot.count(f'"i{item.id}" [label="Digest"') == 1


def test_dot_labels_cannot_break_out_of_their_quotes() -> None:
    hostile = 'x"]; evil [label="y\\'
    escaped = dot_text(hostile)
    assert escaped == 'x\\"]; evil [label=\\"y\\\\'
    # every quote is escaped: an unescaped quote would end the label early
    assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch == '"')
