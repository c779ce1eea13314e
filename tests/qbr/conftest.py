"""Fixtures: the seeded datasets and a store with OKRs and a critique session in 2026-Q2, whose
titles and notes are hostile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from prodops.critique import crud as critique_crud
from prodops.critique import framework, scoring
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, write_session
from qbr.data import HOSTILE, make_events, make_subscriptions


@pytest.fixture(scope="session")
def events() -> pd.DataFrame:
    return make_events()


@pytest.fixture(scope="session")
def subscriptions() -> pd.DataFrame:
    return make_subscriptions()


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    """A seeded SQLite store (:func:`seed`)."""
    return seed(init_store(f"sqlite:///{tmp_path / 'store.sqlite'}"))


@pytest.fixture
def any_store(engine: Engine) -> Engine:
    """A seeded store on SQLite and on PostgreSQL (the ``engine`` fixture's two databases)."""
    return seed(engine)


def seed(engine: Engine) -> Engine:
    """One objective of 2026-Q2 (two key results, check-ins) and a critique session held in May
    2026 with two decisions; titles and notes hostile."""
    with write_session(engine) as s:
        objective = okr_crud.create_objective(
            session=s,
            objective_in=ObjectiveCreate(
                title=f"Grow {HOSTILE}",
                owner="Ann",
                period="2026-Q2",
                period_start=dt.date(2026, 4, 1),
                period_end=dt.date(2026, 6, 30),
            ),
        )
        krs = [
            okr_crud.create_key_result(
                session=s,
                key_result_in=KeyResultCreate(
                    objective_id=int(objective.id or 0),
                    title=title,
                    unit="%",
                    start_value=start,
                    target_value=target,
                ),
            )
            for title, start, target in (("Week-4 retention", 20.0, 30.0), ("Churn", 5.0, 3.0))
        ]
        for kr, values in zip(krs, ((22.0, 25.0), (4.5, 6.0)), strict=True):
            for day, (value, confidence) in enumerate(zip(values, (0.7, 0.4), strict=True)):
                okr_crud.add_check_in(
                    session=s,
                    check_in_in=CheckInCreate(
                        key_result_id=int(kr.id or 0),
                        value=value,
                        confidence=confidence,
                        note=f"week {day}: {HOSTILE}",
                        author="Ann",
                        created_at=dt.datetime(2026, 5, 1 + 7 * day, tzinfo=dt.UTC),
                    ),
                )
        items = [
            critique_crud.create_item(session=s, item_in=RoadmapItemCreate(title=t, key=f"R-{n}"))
            for n, t in enumerate((HOSTILE, "Dark mode"), start=1)
        ]
        ids = [int(i.id or 0) for i in items]
        critique_crud.link_key_results(
            session=s, item_id=ids[0], key_result_ids=[int(krs[0].id or 0)]
        )
        session_id = int(
            critique_crud.create_session(
                session=s,
                session_in=CritiqueSessionCreate(
                    name="May critique",
                    held_on=dt.date(2026, 5, 12),
                    framework=framework("rubric").to_dict(),
                ),
                item_ids=ids,
            ).id
            or 0
        )
        good = {"customer_value": 5, "alignment": 5, "evidence": 5, "confidence": 5, "effort": 1}
        low = {"customer_value": 1, "alignment": 1, "evidence": 1, "confidence": 1, "effort": 5}
        scoring.submit_scores(
            session=s, session_id=session_id, reviewer="Ann", scores={ids[0]: good, ids[1]: low}
        )
        scoring.submit_scores(
            session=s, session_id=session_id, reviewer="Bob", scores={ids[0]: good, ids[1]: good}
        )
        scoring.record_decision(
            session=s,
            session_id=session_id,
            item_id=ids[0],
            decision="approve",
            rationale=f"Because {HOSTILE}",
            decided_by="Lead",
        )
        scoring.record_decision(
            session=s,
            session_id=session_id,
            item_id=ids[1],
            decision="reject",
            rationale="Not now",
            decided_by="Lead",
        )
    return engine
