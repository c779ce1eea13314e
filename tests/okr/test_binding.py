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
            objective_in=ObjectiveCreate(  # one objective per key result: titles differ
                title=f"Q3 #{len(okr_crud.list_objectives(session=session)) + 1}",
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


def test_week_1_retention_counts_only_cohorts_whose_week_1_is_complete(engine: Engine) -> None:
    rows = [("a", "2026-07-01 09:00"), ("a", "2026-07-08 09:00"), ("b", "2026-07-02 09:00"),
            ("c", "2026-07-09 09:00"), ("c", "2026-07-14 09:00")]  # fmt: skip
    kr_id = _bound(engine, "retention", '{"offset": 1, "period": "week"}')
    # week of Jun 29: a, b (a back in the week of Jul 6); week of Jul 6: c, back in the week of
    # Jul 13, but the data end on Jul 14 09:00, so that week is in progress: 1 / 2
    catalog = FrameCatalog({"events": _events(rows)})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert (outcome.value, outcome.error) == (0.5, None)
    assert outcome.period == "2026-06-29 to 2026-07-12"  # the cohort of Jun 29 and its week 1
    # once the data reach past Sunday Jul 19, the week of Jul 13 is complete: (1 + 1) / (2 + 1)
    catalog = FrameCatalog({"events": _events([*rows, ("d", "2026-07-20 00:00")])})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert outcome.value == pytest.approx(2 / 3)
    assert outcome.period == "2026-06-29 to 2026-07-19"


def test_user_churn_of_the_last_complete_month(engine: Engine) -> None:
    rows = [(u, "2026-07-10 09:00") for u in "abcd"] + [(u, "2026-08-10 09:00") for u in "abc"]
    rows.append(("a", "2026-09-10 09:00"))
    kr_id = _bound(engine, "churn", '{"period": "month"}')
    # the data end on Sep 10: September is in progress, so August: d of a, b, c, d churned
    catalog = FrameCatalog({"events": _events(rows)})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert (outcome.value, outcome.period) == (0.25, "2026-08-01 to 2026-08-31")
    # an event on Oct 2 completes September: b and c of a, b, c churned
    catalog = FrameCatalog({"events": _events([*rows, ("e", "2026-10-02 09:00")])})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert outcome.value == pytest.approx(2 / 3)
    assert outcome.period == "2026-09-01 to 2026-09-30"


SUBSCRIPTIONS = pd.DataFrame(
    {
        "customer_id": ["A", "B", "C", "C"],
        "start": pd.to_datetime(["2026-06-01", "2026-06-01", "2026-06-01", "2026-09-10"], utc=True),
        "end": pd.to_datetime(["", "2026-09-15", "", ""], utc=True),  # "" is NaT: still active
        "mrr": [100.0, 100.0, 50.0, 50.0],
    }
)


def test_nrr_of_the_last_complete_month_from_subscriptions(engine: Engine) -> None:
    kr_id = _bound(engine, "revenue", '{"column": "nrr"}', dataset="subs")
    # the latest start or end is Sep 15: September is in progress; August kept its 250 -> NRR 1
    catalog = FrameCatalog({"subs": SUBSCRIPTIONS})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert (outcome.value, outcome.error) == (1.0, None)
    # D starting on Oct 1 completes September: MRR 250 at its start, B churns 100, C expands 50
    later = pd.DataFrame(
        {"customer_id": ["D"], "start": pd.to_datetime(["2026-10-01"], utc=True),
         "end": pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"), "mrr": [10.0]}
    )  # fmt: skip
    catalog = FrameCatalog({"subs": pd.concat([SUBSCRIPTIONS, later], ignore_index=True)})
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=catalog
    )
    assert outcome.value == pytest.approx((250 - 100 + 50) / 250)  # 0.8


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
