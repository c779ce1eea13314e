"""Bindings in the right unit, refreshes on complete periods, provenance, unbound key results.

The retention data reproduce issue 11: weekly cohorts of 8, 8 and 4 users, the data ending on a
Monday at 04:46. Cohorts of Jul 6 and Jul 13 each have 5 of 8 back the next week (a complete
week), the cohort of Jul 20 has 1 of 4 back on the Monday the data end (a week in progress), and
the cohort of Jul 27 cannot be seen at week 1 at all. Week-1 retention over complete cells is
(5 + 5) / (8 + 8) = 62.5 %; counting the week in progress gave (5 + 5 + 1) / 20 = 55 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from prodops.errors import NotFoundError, ParameterError
from prodops.okr import binding as okr_binding
from prodops.okr import crud as okr_crud
from prodops.okr import report as okr_report
from prodops.okr import units
from prodops.okr.models import CheckInCreate, KeyResult, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session

AS_OF = dt.date(2026, 7, 28)
DATA_END = pd.Timestamp("2026-07-27 04:46", tz="UTC")


def _cohort_events() -> pd.DataFrame:
    rows: list[tuple[str, str]] = []
    for prefix, first, back, size, returning in (
        ("a", "2026-07-07 10:00", "2026-07-15 10:00", 8, 5),
        ("b", "2026-07-14 10:00", "2026-07-22 10:00", 8, 5),
        ("c", "2026-07-21 10:00", "2026-07-27 04:46", 4, 1),
    ):
        rows += [(f"{prefix}{i}", first) for i in range(size)]
        rows += [(f"{prefix}{i}", back) for i in range(returning)]
    return pd.DataFrame(
        {
            "user_id": [u for u, _ in rows],
            "event": ["open"] * len(rows),
            "timestamp": pd.to_datetime([t for _, t in rows], utc=True),
        }
    )


class Catalog:
    """Datasets as pandas frames, with catalog versions like prodops.data.catalog.Catalog."""

    def __init__(self, frames: Mapping[str, pd.DataFrame], version: int = 7) -> None:
        self.frames = dict(frames)
        self.version = version

    @contextmanager
    def open(self, name: str) -> Iterator[pd.DataFrame]:
        if name not in self.frames:
            raise NotFoundError(f"dataset {name!r} does not exist")
        yield self.frames[name]

    def get(self, name: str) -> Any:
        return SimpleNamespace(version=self.version)


EVENTS = Catalog({"events": _cohort_events()})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = init_store(f"sqlite:///{tmp_path / 'okr.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def objective_id(engine: Engine) -> int:
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Activation",
                period="2026-Q3",
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
            ),
        )
    assert objective.id is not None
    return objective.id


def _create(engine: Engine, objective_id: int, **fields: Any) -> KeyResult:
    values: dict[str, Any] = {"title": "Week-1 retention", "start_value": 55, "target_value": 65}
    values.update(fields)
    with write_session(engine) as session:
        return okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(objective_id=objective_id, **values),
        )


def _retention_kr(engine: Engine, objective_id: int, **fields: Any) -> int:
    kr = _create(
        engine,
        objective_id,
        **{
            "unit": "%",
            "binding_dataset": "events",
            "binding_metric": "retention",
            "binding_params": '{"offset": 1, "period": "week"}',
            **fields,
        },
    )
    assert kr.id is not None
    return kr.id


def test_a_percent_key_result_bound_to_week_1_retention_stores_percent(
    engine: Engine, objective_id: int
) -> None:
    kr_id = _retention_kr(engine, objective_id)
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=EVENTS
    )
    assert (outcome.value, outcome.error) == (62.5, None)  # not 0.625, and not 55 or 0.55
    with read_session(engine) as session:
        [view] = okr_report.load_period(session=session, period="2026-Q3", as_of=AS_OF)
    [kr] = view.key_results
    assert kr.current == 62.5
    assert kr.progress == pytest.approx((62.5 - 55) / (65 - 55))  # 0.75
    assert kr.status == "on_track"  # 28 of 92 days gone: expected 0.30


def test_a_ratio_key_result_keeps_the_ratio(engine: Engine, objective_id: int) -> None:
    kr_id = _retention_kr(engine, objective_id, unit="", start_value=0.55, target_value=0.65)
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=EVENTS
    )
    assert outcome.value == 0.625


def test_the_check_in_records_dataset_version_period_and_data_end(
    engine: Engine, objective_id: int
) -> None:
    kr_id = _retention_kr(engine, objective_id)
    okr_binding.refresh_key_result(engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=EVENTS)
    with read_session(engine) as session:
        [check_in] = okr_crud.history(session=session, key_result_id=kr_id)
    assert (check_in.source_dataset, check_in.source_version) == ("events", 7)
    # cohorts of Jul 6 and Jul 13, followed to the end of the week of Jul 20 (exclusive Jul 27)
    assert check_in.source_period_start == dt.datetime(2026, 7, 6, tzinfo=dt.UTC)
    assert check_in.source_period_end == dt.datetime(2026, 7, 27, tzinfo=dt.UTC)
    assert check_in.source_data_end == DATA_END.to_pydatetime()
    assert check_in.note == (
        "week-1 retention on events (version 7), 2026-07-06 to 2026-07-26; "
        "data to 2026-07-27 04:46 UTC"
    )


def test_an_as_of_day_before_the_data_end_caps_what_is_complete(
    engine: Engine, objective_id: int
) -> None:
    kr_id = _retention_kr(engine, objective_id)
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=dt.date(2026, 7, 21), catalog=EVENTS
    )
    # seen on Jul 21, only the week of Jul 13 has ended: the cohort of Jul 6 alone, 5 of 8
    assert outcome.value == 62.5 and outcome.period == "2026-07-06 to 2026-07-19"
    with read_session(engine) as session:
        [check_in] = okr_crud.history(session=session, key_result_id=kr_id)
    assert check_in.source_data_end == dt.datetime(2026, 7, 22, tzinfo=dt.UTC)


def test_a_binding_records_the_unit_of_what_it_reads(engine: Engine, objective_id: int) -> None:
    cases = [
        ("retention", "{}", "ratio"),
        ("active_users", '{"window_days": 7}', "count"),
        ("churn", "{}", "ratio"),
        ("revenue", "{}", "ratio"),  # NRR by default
        ("revenue", '{"column": "mrr_end"}', "money"),
        ("revenue", '{"column": "customers_end"}', "count"),
    ]
    found = []
    for metric, params, _unit in cases:
        kr = _create(
            engine,
            objective_id,
            unit="",
            start_value=0,
            target_value=1,
            binding_dataset="d",
            binding_metric=metric,
            binding_params=params,
        )
        found.append((metric, params, kr.binding_unit))
    assert found == cases
    unbound = _create(engine, objective_id, title="Checklist shipped", unit="")
    assert unbound.binding_unit is None


def test_changing_the_binding_records_the_new_unit(engine: Engine, objective_id: int) -> None:
    kr_id = _retention_kr(engine, objective_id)
    with write_session(engine) as session:
        kr = okr_crud.update_key_result(
            session=session,
            key_result_id=kr_id,
            seen_version=1,
            changes={"unit": "users", "start_value": 100, "target_value": 200,
                     "binding_metric": "active_users", "binding_params": '{"window_days": 7}'},
        )  # fmt: skip
    assert (kr.binding_unit, kr.version) == ("count", 2)
    with write_session(engine) as session:
        kr = okr_crud.update_key_result(
            session=session,
            key_result_id=kr_id,
            seen_version=2,
            changes={"binding_metric": None, "binding_dataset": None, "binding_params": None},
        )
    assert (kr.binding_metric, kr.binding_unit) == (None, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"unit": "", "start_value": 55, "target_value": 65},
            "binding: week-1 retention is a ratio (0.62 means 62 %), but this key result runs "
            "from 55 to 65. Set its unit to % (a refresh then stores 62), or give the start and "
            "target as ratios (0.55 and 0.65).",
        ),
        (
            {"unit": "% of users", "binding_metric": "active_users", "binding_params": "{}"},
            "binding: weekly active users is a count, so a key result in % of users cannot "
            "follow it. Remove the percent unit, or bind a ratio (retention, churn, NRR).",
        ),
        (
            {"binding_dataset": None},
            "binding: a binding needs both a metric and the dataset it reads. Choose the dataset "
            "too, or set the metric to '(not bound)'.",
        ),
        (
            {"binding_metric": "revenue", "binding_params": '{"column": "nrrr"}'},
            "binding params: revenue has no column 'nrrr' a key result can follow. Did you mean "
            "'nrr'?",
        ),
    ],
)
def test_a_binding_in_a_unit_that_cannot_be_right_is_refused(
    engine: Engine, objective_id: int, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError) as error:
        _retention_kr(engine, objective_id, **fields)
    assert str(error.value) == message
    with read_session(engine) as session:
        assert okr_crud.list_key_results(session=session) == []


def test_a_binding_set_before_units_were_checked_fails_its_refresh_with_advice(
    engine: Engine, objective_id: int
) -> None:
    kr_id = _retention_kr(engine, objective_id)
    with write_session(engine) as session:  # as stored before this rule: no unit, no binding unit
        session.execute(
            sa.update(KeyResult).where(KeyResult.id == kr_id).values(unit="", binding_unit=None)  # type: ignore[arg-type]
        )
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=EVENTS
    )
    assert outcome.value is None
    assert outcome.error is not None and outcome.error.startswith(
        "binding: week-1 retention is a ratio (0.62 means 62 %), but this key result runs from 55"
    )
    with read_session(engine) as session:
        assert okr_crud.history(session=session, key_result_id=kr_id) == []


def test_a_binding_without_a_recorded_unit_reads_it_from_the_registry(
    engine: Engine, objective_id: int
) -> None:
    kr_id = _retention_kr(engine, objective_id)
    with write_session(engine) as session:  # bound before revision 0004: binding_unit is NULL
        session.execute(
            sa.update(KeyResult).where(KeyResult.id == kr_id).values(binding_unit=None)  # type: ignore[arg-type]
        )
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr_id, as_of=AS_OF, catalog=EVENTS
    )
    assert outcome.value == 62.5


def test_a_refresh_touches_only_the_bound_key_results(engine: Engine, objective_id: int) -> None:
    bound = _retention_kr(engine, objective_id)
    checklist = _create(
        engine, objective_id, title="Onboarding checklist shipped", unit="", start_value=0,
        target_value=1,
    )  # fmt: skip
    assert checklist.id is not None
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(key_result_id=checklist.id, value=0.5, author="ana"),
        )
    outcomes = okr_binding.refresh_all(engine=engine, as_of=AS_OF, period="2026-Q3", catalog=EVENTS)
    assert [(o.key_result_id, o.value) for o in outcomes] == [(bound, 62.5)]
    with read_session(engine) as session:
        untouched = okr_crud.get_key_result(session=session, key_result_id=checklist.id)
        history = okr_crud.history(session=session, key_result_id=checklist.id)
    assert (untouched.version, untouched.last_refreshed_at, untouched.last_refresh_error) == (
        1,
        None,
        None,
    )
    assert [(c.value, c.author) for c in history] == [(0.5, "ana")]


def test_weekly_active_users_end_on_the_last_complete_day(
    engine: Engine, objective_id: int
) -> None:
    kr = _create(
        engine, objective_id, title="WAU", unit="users", start_value=0, target_value=40,
        binding_dataset="events", binding_metric="active_users",
        binding_params='{"window_days": 7}',
    )  # fmt: skip
    assert kr.id is not None
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr.id, as_of=AS_OF, catalog=EVENTS
    )
    # the data end Monday Jul 27 04:46: the last complete day is Sunday Jul 26; in Jul 20-26:
    # b0-b4 (back on Jul 22) and the four c users (first seen Jul 21)
    assert (outcome.value, outcome.period) == (9.0, "2026-07-20 to 2026-07-26")


def test_before_a_day_of_the_period_is_complete_the_refresh_says_so(engine: Engine) -> None:
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Next", period="2026-M8", period_start=dt.date(2026, 7, 27),
                period_end=dt.date(2026, 8, 31),
            ),
        )  # fmt: skip
    kr = _create(
        engine, objective.id or 0, title="WAU", unit="", start_value=0, target_value=40,
        binding_dataset="events", binding_metric="active_users",
    )  # fmt: skip
    outcome = okr_binding.refresh_key_result(
        engine=engine, key_result_id=kr.id or 0, as_of=AS_OF, catalog=EVENTS
    )
    assert outcome.error == (
        "no complete day in the period yet (the data end at 2026-07-27 04:46 UTC). Refresh "
        "again once the data cover a whole period, or check the as-of day."
    )


def test_the_conversion_is_described_in_words() -> None:
    assert units.conversion_text("retention", '{"offset": 1}', "%") == (
        "week-1 retention is a ratio; 0.62 is stored as 62 %"
    )
    assert units.conversion_text("retention", "{}", "") == (
        "week-1 retention is a ratio; 0.62 is stored as 0.62 (with the unit % it would be "
        "stored as 62)"
    )
    assert units.conversion_text("active_users", '{"window_days": 30}', "users") == (
        "monthly active users is a count, stored as it is"
    )
    assert units.conversion_text("revenue", '{"column": "arpa"}', "€") == (
        "ARPA is an amount of money, stored as it is"
    )
    assert units.conversion_text(None, None, "%") == ""


@pytest.mark.parametrize(
    ("unit", "percent"),
    [("%", True), (" % ", True), ("% of users", True), ("Percent", True), ("per cent", True),
     ("pct", True), ("percentage points", True), ("users", False), ("pp", False), ("", False),
     ("€", False), ("percentile", False)],
)  # fmt: skip
def test_which_units_are_percentages(unit: str, percent: bool) -> None:
    assert units.is_percent(unit) is percent
