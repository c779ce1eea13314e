"""What the OKR core refuses when it is written (so the page, the CLI and the API all refuse it):
binding parameters the metric does not take, datasets not in the catalog, a second objective with
the same title in a period, absurd check-in values and notes; and how the board shows numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from prodops.cli import main
from prodops.errors import ParameterError
from prodops.okr import crud as okr_crud
from prodops.okr import units
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate, ObjectiveUpdate
from prodops.okr.report import format_value
from prodops.store.db import init_store, read_session, write_session

Q4: dict[str, Any] = {
    "period": "2026-Q4",
    "period_start": dt.date(2026, 10, 1),
    "period_end": dt.date(2026, 12, 31),
}
CATALOG = {"demo-events": "events", "demo-subscriptions": "subscriptions"}


def _objective(engine: Engine, title: str = "Grow activation", **fields: Any) -> int:
    with write_session(engine) as session:
        objective_in = ObjectiveCreate(**{"title": title, **Q4, **fields})
        objective = okr_crud.create_objective(
            session=session, objective_in=objective_in, unique_title=True
        )
    assert objective.id is not None
    return objective.id


def _key_result(engine: Engine, datasets: dict[str, str] | None = None, **fields: Any) -> int:
    values = {"objective_id": 1, "title": "Users", "start_value": 0, "target_value": 5000}
    with write_session(engine) as session:
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(**{**values, **fields}),
            datasets=datasets,
        )
    assert kr.id is not None
    return kr.id


def _key_results(engine: Engine) -> list[str]:
    with read_session(engine) as session:
        return [k.title for k in okr_crud.list_key_results(session=session)]


# --- Binding parameters and datasets --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            '{"window_days": "seven"}',
            "binding params: window_days must be a whole number, not 'seven'. Write it as in "
            '{"window_days": 7} (no quotes).',
        ),
        (
            '{"bogus": 1}',
            "binding params: active_users takes no parameter 'bogus'. It takes: event, timezone, "
            "where, window_days.",
        ),
        (
            '{"window_day": 7}',
            "binding params: active_users takes no parameter 'window_day'. Did you mean "
            "'window_days'? It takes: event, timezone, where, window_days.",
        ),
        ('{"window_days": 0}', "binding params: window_days must be 1 or more, not 0."),
        ('{"window_days": true}', "window_days must be a whole number, not True"),
        ('{"event": 5}', "event must be a text, not 5"),
        ('{"where": 5}', "where must be an object or a list of conditions, not 5"),
        ('{"timezone": "Mars/Base"}', "timezone 'Mars/Base' is not a time zone"),
        ('{"date_from": "2026-10-01"}', "date_from is set by the refresh itself"),
    ],
)
def test_a_binding_with_parameters_the_metric_cannot_take_is_refused_and_nothing_saved(
    engine: Engine, params: str, message: str
) -> None:
    _objective(engine)
    with pytest.raises(ParameterError) as refused:
        _key_result(
            engine,
            binding_metric="active_users",
            binding_dataset="demo-events",
            binding_params=params,
        )
    assert message in str(refused.value)
    assert _key_results(engine) == []


def test_a_choice_outside_the_metrics_vocabulary_is_refused_with_the_close_one(
    engine: Engine,
) -> None:
    _objective(engine)
    with pytest.raises(ParameterError, match="period 'wek' is not one of hour, day, week, month"):
        _key_result(
            engine,
            title="Retention",
            start_value=0.3,
            target_value=0.4,
            binding_metric="retention",
            binding_dataset="demo-events",
            binding_params='{"period": "wek", "offset": 1}',
        )


def test_the_parameters_a_metric_takes_are_accepted(engine: Engine) -> None:
    _objective(engine)
    _key_result(
        engine,
        binding_metric="active_users",
        binding_dataset="demo-events",
        binding_params='{"window_days": 7, "event": "open", "where": {"plan": "pro"}}',
        datasets=CATALOG,
    )
    _key_result(
        engine,
        title="NRR",
        unit="%",
        start_value=95,
        target_value=105,
        binding_metric="revenue",
        binding_dataset="demo-subscriptions",
        binding_params='{"column": "nrr", "period": "month"}',
        datasets=CATALOG,
    )
    assert _key_results(engine) == ["Users", "NRR"]


def test_a_dataset_not_in_the_catalog_or_of_the_wrong_kind_is_refused(engine: Engine) -> None:
    _objective(engine)
    bound = {"binding_metric": "active_users", "binding_params": '{"window_days": 7}'}
    with pytest.raises(ParameterError) as missing:
        _key_result(engine, binding_dataset="demo-event", datasets=CATALOG, **bound)
    assert str(missing.value) == (
        "binding: there is no dataset 'demo-event'. Did you mean 'demo-events'? Datasets of "
        "events: demo-events."
    )
    with pytest.raises(ParameterError) as wrong_kind:
        _key_result(engine, binding_dataset="demo-subscriptions", datasets=CATALOG, **bound)
    assert str(wrong_kind.value) == (
        "binding: active_users reads events data, but 'demo-subscriptions' holds subscriptions. "
        "Choose a dataset of events."
    )
    with pytest.raises(ParameterError, match="Import a dataset of events first"):
        _key_result(engine, binding_dataset="demo-events", datasets={}, **bound)
    assert _key_results(engine) == []


def test_changing_a_binding_checks_it_like_a_new_one(engine: Engine) -> None:
    _objective(engine)
    kr_id = _key_result(engine)
    with write_session(engine) as session, pytest.raises(ParameterError, match="'bogus'"):
        okr_crud.update_key_result(
            session=session,
            key_result_id=kr_id,
            seen_version=1,
            changes={
                "binding_metric": "active_users",
                "binding_dataset": "demo-events",
                "binding_params": '{"bogus": 1}',
            },
            datasets=CATALOG,
        )
    with write_session(engine) as session, pytest.raises(ParameterError, match="no dataset 'x'"):
        okr_crud.update_key_result(
            session=session,
            key_result_id=kr_id,
            seen_version=1,
            changes={"binding_metric": "active_users", "binding_dataset": "x"},
            datasets=CATALOG,
        )


def test_the_conversion_note_explains_bad_parameters_instead_of_crashing() -> None:
    note = units.conversion_text("active_users", '{"window_days": "seven"}', "")
    assert note.startswith("binding params: window_days must be a whole number, not 'seven'")
    assert units.metric_label("active_users", {"window_days": "seven"}) == "active users"
    assert units.conversion_text("active_users", '{"window_days": 7}', "") == (
        "weekly active users is a count, stored as it is"
    )


# --- Objectives: one title per period -------------------------------------------------------------


def test_a_second_objective_with_the_same_title_in_the_period_is_refused(engine: Engine) -> None:
    _objective(engine, "Grow activation")
    with pytest.raises(ParameterError) as refused:
        _objective(engine, "  grow  ACTIVATION ")
    assert str(refused.value) == (
        "title: 2026-Q4 already has an objective titled 'Grow activation' (#1). Add key results "
        "to that objective, or give this one another title."
    )
    other = _objective(
        engine,
        "Grow activation",
        period="2027-Q1",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 3, 31),
    )
    assert other == 2  # another period may have it


def test_renaming_an_objective_to_a_title_of_its_period_is_refused(engine: Engine) -> None:
    _objective(engine, "A")
    b = _objective(engine, "B")
    with write_session(engine) as session, pytest.raises(ParameterError, match="titled 'A'"):
        okr_crud.update_objective(
            session=session,
            objective_id=b,
            seen_version=1,
            changes=ObjectiveUpdate(title="a"),
            unique_title=True,
        )
    with write_session(engine) as session:  # its own title, with other changes, is fine
        okr_crud.update_objective(
            session=session,
            objective_id=b,
            seen_version=1,
            changes={"title": "B", "owner": "x"},
            unique_title=True,
        )


def test_without_unique_title_the_api_still_accepts_a_repeated_title(engine: Engine) -> None:
    with write_session(engine) as session:
        for _ in range(2):
            okr_crud.create_objective(
                session=session, objective_in=ObjectiveCreate(title="Same", **Q4)
            )
        assert len(okr_crud.list_objectives(session=session)) == 2


def test_an_archived_objectives_title_can_be_used_again(engine: Engine) -> None:
    first = _objective(engine, "Grow activation")
    with write_session(engine) as session:
        okr_crud.archive_objective(session=session, objective_id=first)
    assert _objective(engine, "Grow activation") == 2


# --- Check-ins ------------------------------------------------------------------------------------


def _check_in(engine: Engine, kr_id: int, value: float, note: str = "") -> None:
    with write_session(engine) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(key_result_id=kr_id, value=value, note=note, author="ana"),
        )


def _values(engine: Engine, kr_id: int) -> list[float]:
    with read_session(engine) as session:
        return [c.value for c in okr_crud.history(session=session, key_result_id=kr_id)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            -1e308,
            "value: -1e+308 is far beyond any value of this key result (it runs from 0 to 5,000 "
            "users). Type the value in the key result's unit, such as 4,200.",
        ),
        (1e13, "value: 1e+13 is far beyond any value of this key result"),
        (6e9, "value: 6e+09 is far beyond any value"),  # more than a million times 5,000
        (float("inf"), "value: inf is not a finite number"),
        (
            -3,
            "value: -3 is negative, but this key result counts users (it runs from 0 to 5,000 "
            "users). Type the count itself (0 or more), not a change.",
        ),
    ],
)
def test_absurd_check_in_values_are_refused_with_what_to_type(
    engine: Engine, value: float, message: str
) -> None:
    _objective(engine)
    kr_id = _key_result(engine, unit="users")
    with pytest.raises(ParameterError) as refused:
        _check_in(engine, kr_id, value)
    assert str(refused.value).startswith(message)
    assert _values(engine, kr_id) == []


def test_plausible_check_ins_pass_negative_ones_too_when_the_unit_is_no_count(
    engine: Engine,
) -> None:
    _objective(engine)
    users = _key_result(engine, unit="users")
    nps = _key_result(engine, title="NPS", unit="pts", start_value=-10, target_value=20)
    _check_in(engine, users, 0)
    _check_in(engine, users, 7_500)  # over-achieved: fine
    _check_in(engine, nps, -25)
    assert (_values(engine, users), _values(engine, nps)) == ([0.0, 7500.0], [-25.0])


def test_a_key_result_bound_to_a_count_counts_whatever_its_unit() -> None:
    assert units.counts("", "count") and units.counts("Active users") and units.counts("#")
    assert not units.counts("%") and not units.counts("€") and not units.counts("")


def test_a_check_in_note_is_capped_at_2000_characters(engine: Engine) -> None:
    _objective(engine)
    kr_id = _key_result(engine)
    with pytest.raises(ParameterError) as refused:
        _check_in(engine, kr_id, 10, note="x" * 20_000)
    assert str(refused.value) == (
        "note: the note is 20,000 characters long, more than the 2000 allowed. Shorten it to "
        "2000 characters or fewer."
    )
    _check_in(engine, kr_id, 10, note="x" * 2_000)
    assert _values(engine, kr_id) == [10.0]


def test_the_cli_check_in_refuses_an_absurd_value_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = init_store()
    _objective(engine)
    _key_result(engine, unit="users")
    assert main(["okr", "check-in", "--author", "ana", "--", "1", "-1e308"]) == 2
    assert "value: -1e+308 is far beyond any value of this key result" in capsys.readouterr().err
    assert main(["okr", "check-in", "--author", "ana", "--note", "n" * 2001, "1", "5"]) == 2
    assert "the note is 2,001 characters long" in capsys.readouterr().err
    assert _values(engine, 1) == []


# --- How the board shows numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (61.9636, "%", "62.0"),
        (61.9636, "% of users", "62.0"),
        (61.9636, "", "61.96"),
        (5000.0, "users", "5,000"),
        (1234.5678, "€", "1,234.57"),
        (0.045, "", "0.045"),
        (0.0, "", "0"),
        (None, "%", "—"),
    ],
)
def test_key_result_numbers_are_rounded_like_the_rest_of_the_app(
    value: float | None, unit: str, shown: str
) -> None:
    assert format_value(value, unit) == shown
