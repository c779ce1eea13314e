"""AppTest of the OKR page's refusals: bad binding parameters and datasets, a double-clicked
objective, absurd check-ins; and the board's rounded numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "4_OKRs.py"
AS_OF = dt.date(2026, 11, 15)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.chdir(ROOT)
    with mock.patch("prodops.ui.nav.render_sidebar"):  # a page as the entry script: no menu
        at = AppTest.from_file(str(PAGE), default_timeout=60).run()
        at.date_input(key="okr_as_of").set_value(AS_OF).run()
        yield at


def errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [e.value.replace("\\", "") for e in at.error]


def ok(at: AppTest) -> AppTest:
    assert errors(at) == []
    return at


def create_objective(at: AppTest, title: str) -> AppTest:
    at.text_input(key="okr_new_obj_title").input(title)
    return at.button(key="okr_new_obj_submit").click().run()


def add_bound_key_result(at: AppTest, params: str, dataset: str = "demo-events") -> AppTest:
    at.selectbox(key="okr_new_kr_metric").set_value("active_users").run()
    at.text_input(key="okr_new_kr_title").input("KR badval")
    at.text_input(key="okr_new_kr_start").input("0")
    at.text_input(key="okr_new_kr_target").input("5000")
    at.text_input(key="okr_new_kr_dataset").input(dataset)
    at.text_input(key="okr_new_kr_params").input(params)
    return at.button(key="okr_new_kr_submit").click().run()


def key_results() -> list[str]:
    with read_session(init_store()) as session:
        return [k.title for k in okr_crud.list_key_results(session=session)]


def save_demo_events() -> None:
    from prodops.data.catalog import Catalog

    events = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["open", "open"],
            "timestamp": pd.to_datetime(["2026-11-10 09:00", "2026-11-14 09:00"], utc=True),
        }
    )
    Catalog().save("demo-events", events, kind="events")


def test_binding_parameters_of_the_wrong_type_get_a_message_not_a_traceback(app: AppTest) -> None:
    ok(create_objective(app, "Grow"))
    assert errors(add_bound_key_result(app, '{"window_days": "seven"}')) == [
        "binding params: window_days must be a whole number, not 'seven'. Write it as in "
        '{"window_days": 7} (no quotes).'
    ]
    assert key_results() == []


def test_unknown_parameters_and_datasets_are_refused_when_the_key_result_is_added(
    app: AppTest,
) -> None:
    save_demo_events()
    ok(create_objective(app, "Grow"))
    [refused] = errors(add_bound_key_result(app, '{"bogus": 1}'))
    assert refused.startswith("binding params: active_users takes no parameter 'bogus'")
    [missing] = errors(add_bound_key_result(app, "{}", dataset="no-such-dataset"))
    assert missing == (
        "binding: there is no dataset 'no-such-dataset'. Datasets of events: demo-events."
    )
    assert key_results() == []
    ok(add_bound_key_result(app, '{"window_days": 7}'))
    assert key_results() == ["KR badval"]


def test_a_created_objective_clears_the_form_is_offered_for_key_results_and_not_duplicated(
    app: AppTest,
) -> None:
    ok(create_objective(app, "Grow activation"))
    ok(create_objective(app, "Retain"))
    assert "Objective 'Retain' created." in app.success[0].value.replace("\\", "")
    assert app.text_input(key="okr_new_obj_title").value == ""
    assert app.selectbox(key="okr_new_kr_objective").value == 2  # the new one, not the first
    assert errors(create_objective(app, "retain ")) == [
        "title: 2026-Q4 already has an objective titled 'Retain' (#2). Add key results to that "
        "objective, or give this one another title."
    ]
    with read_session(init_store()) as session:
        titles = [o.title for o in okr_crud.list_objectives(session=session)]
    assert titles == ["Grow activation", "Retain"]


def _check_in(app: AppTest, value: str, note: str = "") -> AppTest:
    app.text_input(key="okr_ci_1_0_value").input(value)
    app.text_area(key="okr_ci_1_0_note").input(note)
    return app.button(key="okr_ci_1_submit").click().run()


def _users_key_result(app: AppTest) -> None:
    ok(create_objective(app, "Grow"))
    with write_session(init_store()) as session:
        okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=1, title="Users", unit="users", start_value=0, target_value=5000
            ),
        )
    app.text_input(key="person_name").input("Ana")
    ok(app.button(key="person_use_name").click().run())


def _history() -> list[float]:
    with read_session(init_store()) as session:
        return [c.value for c in okr_crud.history(session=session, key_result_id=1)]


def test_an_absurd_check_in_value_is_refused_with_what_to_type(app: AppTest) -> None:
    _users_key_result(app)
    assert errors(_check_in(app, "-1e308")) == [
        "value: -1e+308 is far beyond any value of this key result (it runs from 0 to 5,000 "
        "users). Type the value in the key result's unit, such as 4,200."
    ]
    assert errors(_check_in(app, "-5"))[0].startswith(
        "value: -5 is negative, but this key result counts users"
    )
    assert _history() == []


def test_a_check_in_note_longer_than_2000_characters_is_refused(app: AppTest) -> None:
    _users_key_result(app)
    assert errors(_check_in(app, "4200", "x" * 20_000)) == [
        "note: the note is 20,000 characters long, more than the 2000 allowed. Shorten it to "
        "2000 characters or fewer."
    ]
    assert _history() == []


def test_the_board_rounds_a_percentage_like_the_rest_of_the_app(app: AppTest) -> None:
    ok(create_objective(app, "Retain"))
    with write_session(init_store()) as session:
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=1, title="Week-1 retention", unit="%", start_value=55, target_value=65
            ),
        )
        okr_crud.add_check_in(
            session=session, check_in_in=CheckInCreate(key_result_id=kr.id or 0, value=61.9636)
        )
    ok(app.run())
    [krs] = [d.value for d in app.dataframe if "key_result" in d.value.columns]
    assert krs.loc[0, ["start", "current", "target", "unit"]].tolist() == [
        "55.0",
        "62.0",
        "65.0",
        "%",
    ]
    [history] = [d.value for d in app.dataframe if "author" in d.value.columns]
    assert history["value"].tolist() == ["62.0"]
