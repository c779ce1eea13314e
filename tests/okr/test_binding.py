"""Metric-bound key results: refresh through the real metric functions on small frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from prodops.errors import NotFoundError
from prodops.metrics import registry
from prodops.okr import binding as okr_binding
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session

AS_OF = dt.date(2026, 11, 25)  # after the period: everything up to its last day counts


def _events(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [u for u, _ in rows],
            "event": ["open"] * len(rows),
            "timestamp": pd.to_datetime([t for _, t in rows], utc=True),
        }
    )


class FrameCatalog:
    """A stand-in for prodops.data.catalog.Catalog: datasets are pandas frames."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = dict(frames)

    @contextmanager
    def open(self, name: str) -> Iterator[pd.DataFrame]:
        if name not in self.frames:
            raise NotFoundError(f"dataset {name!r} does not exist", fix="Import it again.")
        yield self.frames[name]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = init_store(f"sqlite:///{tmp_path / 'okr.sqlite'}")
    yield engine
    engine.dispose()


def _bound(engine: Engine, metric: str, params: str = "{}", dataset: str = "events") -> int:
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Q3",
                period="2026-Q3",
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
            ),
        )
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0,
                title=metric,
                start_value=0.0,
                target_value=10.0,
                binding_dataset=dataset,
                binding_metric=metric,
                binding_params=params,
            ),
        )
    assert kr.id is not None
    return kr.id


def _history(engine: Engine, kr_id: int) -> list[tuple[float, str, float | None]]:
    with read_session(engine) as session:
        found = okr_crud.history(session=session, key_result_id=kr_id)
    return [(c.value, c.author, c.confidence) for c in found]


WAU_EVENTS = _events(
    [("a", "2026-09-24 10:00"), ("b", "2026-09-30 23:00"), ("c", "2026-09-23 12:00"),
     ("d", "2026-10-01 00:30")]
)  # fmt: skip


def test_wau_on_the_last_day_of_the_period_is_appended_as_a_check_in(engine: Engine) -> None:
    kr_id = _bound(engine, "active_users", '{"window_days": 7}')
    outcome = okr_binding.refresh_key_result(
        engine=engine,
        key_result_id=kr_id,
        as_of=AS_OF,
        catalog=FrameCatalog({"events": WAU_EVENTS}),
    )
    assert (outcome.value, outcome.error) == (2.0, None)  # a and b in Sep 24-30; c before, d after
    assert _history(engine, kr_id) == [(2.0, "metric refresh", None)]


def test_before_the_period_ends_the_value_is_taken_on_as_of(engine: Engine) -> None:
    kr_id = _bound(engine, "active_users", '{"window_days": 1}')
    catalog = FrameCatalog({"events": WAU_EVENTS})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=dt.date(2026, 9, 24), catalog=catalog
    )
    assert outcome.value == 1.0  # DAU on Sep 24: a


def test_week_1_retention_of_first_time_cohorts_started_in_the_period(engine: Engine) -> None:
    events = _events(
        [("a", "2026-07-01"), ("a", "2026-07-08"), ("b", "2026-07-02"), ("c", "2026-07-09"),
         ("c", "2026-07-14")]
    )  # fmt: skip
    kr_id = _bound(engine, "retention", '{"offset": 1, "period": "week"}')
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=FrameCatalog({"events": events})
    )
    # week of Jun 29: a, b (a back next week); week of Jul 6: c (back next week) -> 2 / 3
    assert outcome.error is None
    assert outcome.value == pytest.approx(2 / 3)


def test_user_churn_of_the_last_month(engine: Engine) -> None:
    rows = [(u, "2026-07-10") for u in "abcd"] + [(u, "2026-08-10") for u in "abc"]
    kr_id = _bound(engine, "churn", '{"period": "month"}')
    catalog = FrameCatalog({"events": _events([*rows, ("a", "2026-09-10")])})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert outcome.value == pytest.approx(2 / 3)  # September: b and c of a, b, c churned


def test_nrr_of_the_last_month_from_subscriptions(engine: Engine) -> None:
    subscriptions = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "C"],
            "start": pd.to_datetime(
                ["2026-06-01", "2026-06-01", "2026-06-01", "2026-09-10"], utc=True
            ),
            "end": pd.to_datetime([None, "2026-09-15", None, None], utc=True),
            "mrr": [100.0, 100.0, 50.0, 50.0],
        }
    )
    kr_id = _bound(engine, "revenue", '{"column": "nrr"}', dataset="subs")
    outcome = okr_binding.refresh_key_result(
        engine=engine,
        key_result_id=kr_id,
        as_of=AS_OF,
        catalog=FrameCatalog({"subs": subscriptions}),
    )
    # September: MRR 250 at the start, B churns 100, C expands 50 -> (250 - 100 + 50) / 250
    assert outcome.error is None
    assert outcome.value == pytest.approx(0.8)


def test_a_missing_dataset_records_the_error_and_changes_nothing_else(engine: Engine) -> None:
    kr_id = _bound(engine, "active_users", dataset="gone")
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(key_result_id=kr_id, value=3.0, confidence=0.4, author="ana"),
        )
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=FrameCatalog({})
    )
    assert outcome.error == "dataset 'gone' does not exist. Import it again."
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
    assert (kr.last_refresh_error, kr.version) == (outcome.error, 1)
    assert _history(engine, kr_id) == [(3.0, "ana", 0.4)]


def test_a_failing_metric_records_its_error_and_a_later_success_clears_it(engine: Engine) -> None:
    kr_id = _bound(engine, "custom")
    calls: list[okr_binding.Window] = []

    def broken(table: Any, window: okr_binding.Window, params: Mapping[str, Any]) -> float:
        raise ZeroDivisionError("division by zero")

    def fixed(table: Any, window: okr_binding.Window, params: Mapping[str, Any]) -> float:
        calls.append(window)
        return 7.5

    catalog = FrameCatalog({"events": WAU_EVENTS})
    failed = okr_binding.refresh_key_result(
        engine=engine,
        key_result_id=kr_id,
        as_of=AS_OF,
        catalog=catalog,
        metrics={"custom": broken},
    )
    assert failed.error == "ZeroDivisionError: division by zero"
    assert _history(engine, kr_id) == []
    ok = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog, metrics={"custom": fixed}
    )
    assert ok.value == 7.5
    assert calls == [okr_binding.Window(dt.date(2026, 7, 1), dt.date(2026, 9, 30), AS_OF)]
    with read_session(engine) as session:
        assert (
            okr_crud.get_key_result(session=session, key_result_id=kr_id).last_refresh_error is None
        )


def test_an_unknown_metric_is_reported_with_the_choices(engine: Engine) -> None:
    kr_id = _bound(engine, "happiness")
    outcome = okr_binding.refresh_key_result(
        engine=engine,
        key_result_id=kr_id,
        as_of=AS_OF,
        catalog=FrameCatalog({"events": WAU_EVENTS}),
    )
    offered = ", ".join(sorted(m.name for m in registry.bindable()))  # the registry's, not a copy
    assert {"active_users", "churn", "retention", "revenue"} <= set(offered.split(", "))
    assert outcome.error == f"binding: unknown metric 'happiness'. Use one of: {offered}."


def test_refresh_all_refreshes_every_bound_key_result_of_the_period(engine: Engine) -> None:
    good = _bound(engine, "active_users", '{"window_days": 7}')
    bad = _bound(engine, "active_users", dataset="gone")
    with write_session(engine) as session:  # an unbound key result is left alone
        okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=1, title="manual", start_value=0, target_value=1
            ),
        )
    outcomes = okr_binding.refresh_all(
        engine=engine, as_of=AS_OF, period="2026-Q3", catalog=FrameCatalog({"events": WAU_EVENTS})
    )
    assert [(o.key_result_id, o.value, o.error is None) for o in outcomes] == [
        (good, 2.0, True),
        (bad, None, False),
    ]
    assert okr_binding.refresh_all(engine=engine, as_of=AS_OF, period="2027-Q1") == []
