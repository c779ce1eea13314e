"""AppTest of the OKR page: create, validate, check in, stale edit, archive, refresh, import."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops.okr import crud as okr_crud
from prodops.okr import transfer as okr_io
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "4_OKRs.py"
AS_OF = dt.date(2026, 11, 15)  # 46 of Q4's 92 days: expected pace 0.5


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.chdir(ROOT)
    # With a page as the entry script, st.page_link cannot resolve the menu: stub the menu.
    with mock.patch("prodops.ui.nav.render_sidebar") as sidebar:
        at = AppTest.from_file(str(PAGE), default_timeout=60).run()
        assert sidebar.called
        at.date_input(key="okr_as_of").set_value(AS_OF).run()
        yield at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [e.value.replace("\\", "") for e in at.error]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def set_name(at: AppTest, name: str = "Ana") -> None:
    at.text_input(key="person_name").input(name)
    ok(at.button(key="person_use_name").click().run())


def create_objective(at: AppTest, title: str = "Grow activation", team: str = "growth") -> None:
    at.text_input(key="okr_new_obj_title").input(title)
    at.text_input(key="okr_new_obj_team").input(team)
    ok(at.button(key="okr_new_obj_submit").click().run())


def create_key_result(at: AppTest, title: str, start: str, target: str) -> AppTest:
    at.text_input(key="okr_new_kr_title").input(title)
    at.text_input(key="okr_new_kr_start").input(start)
    at.text_input(key="okr_new_kr_target").input(target)
    return at.button(key="okr_new_kr_submit").click().run()


def test_creating_an_objective_and_key_results_with_validation_messages(app: AppTest) -> None:
    app.text_input(key="okr_new_obj_title").input("Grow activation")
    app.date_input(key="okr_new_obj_start").set_value(dt.date(2026, 12, 1))
    app.date_input(key="okr_new_obj_end").set_value(dt.date(2026, 11, 1))
    app.button(key="okr_new_obj_submit").click().run()
    assert errors(app) == [
        "period: the end date 2026-11-01 is before the start date 2026-12-01. "
        "Pick an end date on or after the start date."
    ]
    app.date_input(key="okr_new_obj_start").set_value(None)
    app.date_input(key="okr_new_obj_end").set_value(None)
    ok(app.button(key="okr_new_obj_submit").click().run())
    assert "Objective 'Grow activation' created." in app.success[0].value.replace("\\", "")

    assert errors(create_key_result(app, "WAU", "100", "lots")) == [
        "target: 'lots' is not a number. Type a number such as 42, 58.5 or 0.25."
    ]
    assert errors(create_key_result(app, "WAU", "100", "100"))[0].startswith(
        "target: the target equals the start value (100), so progress could never move"
    )
    ok(create_key_result(app, "WAU", "100", "200"))
    ok(create_key_result(app, "Churn", "0.05", "0.03"))
    with read_session(init_store()) as session:
        [objective] = okr_crud.list_objectives(session=session)
        krs = okr_crud.list_key_results(session=session)
    assert (objective.period, objective.period_start, objective.period_end, objective.team) == (
        "2026-Q4",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
        "",
    )
    assert [(k.title, k.start_value, k.target_value) for k in krs] == [
        ("WAU", 100.0, 200.0),
        ("Churn", 0.05, 0.03),
    ]
    assert metrics(app)["Off track"] == "1"  # no check-ins yet, half the quarter gone


def test_check_ins_move_progress_status_and_history(app: AppTest) -> None:
    create_objective(app)
    ok(create_key_result(app, "WAU", "100", "200"))
    app.text_input(key="okr_ci_1_0_value").input("150")
    app.button(key="okr_ci_1_submit").click().run()
    assert errors(app) == ["Enter your name at the top of the page first."]
    set_name(app)
    app.text_input(key="okr_ci_1_0_value").input("150")
    app.text_input(key="okr_ci_1_0_confidence").input("1.5")
    app.button(key="okr_ci_1_submit").click().run()
    assert errors(app) == [
        "confidence: confidence 1.5 is out of range. Use a fraction between 0 and 1 (0.7 = 70% "
        "confident)."
    ]
    app.text_input(key="okr_ci_1_0_confidence").input("0.8")
    app.text_area(key="okr_ci_1_0_note").input("=launch went well")
    ok(app.button(key="okr_ci_1_submit").click().run())
    shown = metrics(app)
    assert (shown["Progress"], shown["Expected"], shown["Score"]) == ("50%", "50%", "0.50")
    assert (shown["On track"], shown["Off track"]) == ("1", "0")
    [krs] = [d.value for d in app.dataframe if "key_result" in d.value.columns]
    assert krs.loc[0, ["current", "target", "status"]].tolist() == ["150", "200", "On track"]
    [history] = [d.value for d in app.dataframe if "author" in d.value.columns]
    assert history[["value", "confidence", "author", "note"]].values.tolist() == [
        ["150", 0.8, "Ana", "=launch went well"]
    ]
    # the form is empty again after a successful check-in (new fields: the browser keeps nothing)
    assert [app.text_input(key=f"okr_ci_1_1_{f}").value for f in ("value", "confidence")] == [
        "",
        "",
    ]
    assert app.text_area(key="okr_ci_1_1_note").value == ""
    # a low confidence lowers the status even though the pace is fine
    app.text_input(key="okr_ci_1_1_value").input("150")
    app.text_input(key="okr_ci_1_1_confidence").input("0.2")
    ok(app.button(key="okr_ci_1_submit").click().run())
    assert metrics(app)["Off track"] == "1"


def test_a_stale_edit_is_refused_showing_what_changed_then_reload_applies(app: AppTest) -> None:
    create_objective(app)
    ok(create_key_result(app, "WAU", "100", "200"))
    with write_session(init_store()) as session:  # someone else, in another browser
        okr_crud.update_key_result(
            session=session, key_result_id=1, seen_version=1, changes={"target_value": 300.0}
        )
    ok(app.run())
    app.text_input(key="okr_kr_1_title").input("Weekly active users")
    app.button(key="okr_kr_1_save").click().run()
    assert errors(app) == [
        "key result 1 was changed by someone else since you opened it (you saw version 1, it is "
        "now version 2): target_value is now 300.0. Nothing was saved; reload to see the current "
        "values and apply your edit again."
    ]
    with read_session(init_store()) as session:
        assert okr_crud.get_key_result(session=session, key_result_id=1).title == "WAU"
    ok(app.button(key="okr_reload_kr_1").click().run())
    assert app.text_input(key="okr_kr_1_target").value == "300"
    app.text_input(key="okr_kr_1_title").input("Weekly active users")
    ok(app.button(key="okr_kr_1_save").click().run())
    with read_session(init_store()) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=1)
    assert (kr.title, kr.target_value, kr.version) == ("Weekly active users", 300.0, 3)


def test_archive_hides_and_only_a_confirmed_archived_objective_is_deleted(app: AppTest) -> None:
    create_objective(app)
    create_objective(app, "Retain", team="core")
    app.selectbox(key="okr_team").set_value("core").run()
    assert [s.value for s in app.subheader] == ["Retain"]
    app.selectbox(key="okr_team").set_value("All").run()
    ok(app.button(key="okr_archive_obj_1").click().run())
    assert [s.value for s in app.subheader] == ["Retain"]
    app.toggle(key="okr_show_archived").set_value(True).run()
    assert [s.value for s in app.subheader] == ["Grow activation", "Retain"]
    assert app.button(key="okr_delete_obj_1").disabled
    app.checkbox(key="okr_confirm_delete_obj_1").check().run()
    ok(app.button(key="okr_delete_obj_1").click().run())
    with read_session(init_store()) as session:
        left = okr_crud.list_objectives(session=session, include_archived=True)
    assert [o.title for o in left] == ["Retain"]


def test_refresh_from_metrics_checks_in_bound_key_results(app: AppTest) -> None:
    from prodops.data.catalog import Catalog

    events = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "event": ["open"] * 4,
            # d on Nov 15 shows the data cover Nov 14 in full: WAU of Nov 8-14 is a and b
            "timestamp": pd.to_datetime(
                ["2026-11-10 09:00", "2026-11-14 09:00", "2026-11-01 09:00", "2026-11-15 09:00"],
                utc=True,
            ),
        }
    )
    Catalog().save("events", events, kind="events")
    create_objective(app)
    with write_session(init_store()) as session:
        for title, dataset in (("WAU", "events"), ("Gone", "deleted-dataset")):
            okr_crud.create_key_result(
                session=session,
                key_result_in=KeyResultCreate(
                    objective_id=1,
                    title=title,
                    start_value=0,
                    target_value=4,
                    binding_dataset=dataset,
                    binding_metric="active_users",
                    binding_params='{"window_days": 7}',
                ),
            )
    ok(app.run())
    app.button(key="okr_refresh_all").click().run()
    assert "Refreshed 1 key result(s)" in app.success[0].value.replace("\\", "")
    [failure] = errors(app)
    assert failure.startswith("Key result 'Gone': ") and "deleted-dataset" in failure
    assert metrics(app)["Progress"] == "25%"  # WAU on Nov 15: a, b -> 2 of 0->4; Gone: 0
    [krs] = [d.value for d in app.dataframe if "key_result" in d.value.columns]
    assert krs["current"].tolist() == ["2", "—"]  # formatted; no value yet
    assert "deleted-dataset" in krs.loc[1, "refresh_error"]
    [history] = [d.value for d in app.dataframe if "author" in d.value.columns]
    assert history[["value", "author"]].values.tolist() == [["2", "metric refresh"]]


def test_importing_an_export_adds_its_okrs(app: AppTest, tmp_path: Path) -> None:
    source = init_store(f"sqlite:///{tmp_path / 'source.sqlite'}")
    with write_session(source) as session:
        okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Imported",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            ),
        )
        document = okr_io.export_okrs(session=session)
    source.dispose()
    app.file_uploader(key="okr_import_file").upload(
        "okrs.json", json.dumps(document).encode(), "application/json"
    ).run()
    ok(app.button(key="okr_import_submit").click().run())
    assert [s.value for s in app.subheader] == ["Imported"]


def test_a_key_result_can_be_bound_to_a_metric_in_its_edit_form(app: AppTest) -> None:
    from prodops.data.catalog import Catalog

    Catalog().save("events", _week_1_retention_events(), kind="events")
    create_objective(app)
    ok(create_key_result(app, "WAU", "0", "4"))
    app.selectbox(key="okr_kr_1_metric").set_value("active_users")
    app.text_input(key="okr_kr_1_dataset").input("events")
    app.text_input(key="okr_kr_1_params").input('{"window_days": 7}')
    ok(app.button(key="okr_kr_1_save").click().run())
    with read_session(init_store()) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=1)
    assert (kr.binding_metric, kr.binding_dataset, kr.binding_params, kr.version) == (
        "active_users",
        "events",
        '{"window_days": 7}',
        2,
    )
    [krs] = [d.value for d in app.dataframe if "key_result" in d.value.columns]
    assert krs.loc[0, "metric"] == "active_users on events (window_days=7)"


def test_archiving_a_copy_someone_else_changed_is_refused_until_reloaded(app: AppTest) -> None:
    create_objective(app)
    with write_session(init_store()) as session:
        okr_crud.update_objective(
            session=session, objective_id=1, seen_version=1, changes={"owner": "bo"}
        )
    app.button(key="okr_archive_obj_1").click().run()
    assert errors(app)[0].startswith("objective 1 was changed by someone else")
    assert "owner is now 'bo'" in errors(app)[0]
    ok(app.button(key="okr_reload_obj_1").click().run())
    assert app.text_input(key="okr_obj_1_owner").value == "bo"
    ok(app.button(key="okr_archive_obj_1").click().run())
    with read_session(init_store()) as session:
        assert okr_crud.get_objective(session=session, objective_id=1).archived


def _week_1_retention_events() -> pd.DataFrame:
    """Cohorts of Jul 6 and Jul 13 (5 of 8 back the next week), of Jul 20 (1 of 4 back on the
    Monday the data end, 04:46): week-1 retention over complete weeks is 10 / 16 = 62.5 %."""
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


def test_the_new_key_result_form_starts_unbound_and_a_refresh_touches_only_bound_ones(
    app: AppTest,
) -> None:
    from prodops.data.catalog import Catalog

    Catalog().save("events", _week_1_retention_events(), kind="events")
    app.date_input(key="okr_as_of").set_value(dt.date(2026, 7, 28)).run()
    app.text_input(key="okr_new_obj_period").input("2026-Q3")
    create_objective(app, "Activation")
    app.text_input(key="okr_new_kr_unit").input("%")
    app.selectbox(key="okr_new_kr_metric").set_value("retention")
    app.text_input(key="okr_new_kr_dataset").input("events")
    ok(app.text_input(key="okr_new_kr_params").input('{"offset": 1}').run())
    assert "week-1 retention is a ratio; 0.62 is stored as 62 %" in [
        c.value.replace("\\", "") for c in app.caption
    ]
    ok(create_key_result(app, "Week-1 retention", "55", "65"))
    # the next key result starts unbound: metric, dataset and parameters are blank again
    assert app.selectbox(key="okr_new_kr_metric").value == "(not bound)"
    assert app.text_input(key="okr_new_kr_dataset").value == ""
    assert app.text_input(key="okr_new_kr_unit").value == ""
    ok(create_key_result(app, "Onboarding checklist shipped", "0", "1"))
    set_name(app)
    app.selectbox(key="okr_pick_kr_1").set_value(2).run()
    app.text_input(key="okr_ci_2_0_value").input("0,5")
    ok(app.button(key="okr_ci_2_submit").click().run())
    ok(app.button(key="okr_refresh_all").click().run())
    assert "Refreshed 1 key result(s)" in app.success[0].value.replace("\\", "")
    with read_session(init_store()) as session:
        bound, checklist = okr_crud.list_key_results(session=session)
        bound_history = okr_crud.history(session=session, key_result_id=1)
        checklist_history = okr_crud.history(session=session, key_result_id=2)
    assert (bound.binding_metric, bound.binding_unit, bound.unit) == ("retention", "ratio", "%")
    assert (checklist.binding_metric, checklist.binding_dataset) == (None, None)
    assert (checklist.last_refreshed_at, checklist.version) == (None, 1)
    assert [(c.value, c.author) for c in bound_history] == [(62.5, "metric refresh")]
    assert bound_history[0].source_version == 1
    assert [(c.value, c.author) for c in checklist_history] == [(0.5, "Ana")]
    [krs] = [d.value for d in app.dataframe if "key_result" in d.value.columns]
    assert krs["current"].tolist() == ["62.5", "0.5"]
    assert krs["progress"].tolist() == [0.75, 0.5]


def test_check_ins_read_a_decimal_comma_and_refuse_an_ambiguous_number(app: AppTest) -> None:
    create_objective(app)
    ok(create_key_result(app, "NPS", "20", "60"))
    set_name(app)
    app.text_input(key="okr_ci_1_0_value").input("1,234")
    app.button(key="okr_ci_1_submit").click().run()
    assert errors(app) == [
        "value: '1,234' is ambiguous: 1234 with a thousands separator or 1.234 with a decimal "
        "comma. Type 1234 or 1.234 (a dot for decimals, no thousands separator)."
    ]
    app.text_input(key="okr_ci_1_0_value").input("58,5")
    ok(app.button(key="okr_ci_1_submit").click().run())
    with read_session(init_store()) as session:
        assert [c.value for c in okr_crud.history(session=session, key_result_id=1)] == [58.5]


def test_an_objective_without_key_results_is_left_out_of_the_period_progress(
    app: AppTest,
) -> None:
    create_objective(app, "Grow activation")
    ok(create_key_result(app, "WAU", "100", "200"))
    set_name(app)
    app.text_input(key="okr_ci_1_0_value").input("180")
    ok(app.button(key="okr_ci_1_submit").click().run())
    create_objective(app, "Hire two engineers")
    shown = metrics(app)
    assert shown["Period progress"] == "80%"  # Grow activation alone, not (0.8 + 0) / 2
    texts = [t.value for t in app.text]
    assert "Left out of the period's progress until it has a key result." in texts
    [graph] = app.get("graphviz_chart")  # the Alignment tab draws the tree as a graph
    assert 'Hire two engineers\\nno key results yet"' in graph.proto.spec


def test_titles_and_units_are_shown_as_typed_not_as_markdown(app: AppTest) -> None:
    create_objective(app, "See https://evil.example and **this**")
    app.text_input(key="okr_new_kr_unit").input("**bold** [x](javascript:alert(1))")
    ok(create_key_result(app, "WAU", "100", "200"))
    [subheader] = [s.value for s in app.subheader]
    assert "https\u2060\\://evil\\.example" in subheader and "\\*\\*this\\*\\*" in subheader
    label = app.text_input(key="okr_ci_1_0_value").label
    assert label == "Value (\\*\\*bold\\*\\* \\[x\\]\\(javascript\\:alert\\(1\\)\\))"


def test_a_5000_character_title_is_refused_with_a_clean_message(app: AppTest) -> None:
    app.text_input(key="okr_new_obj_title").input("x" * 5000)
    app.button(key="okr_new_obj_submit").click().run()
    assert errors(app) == [
        "title: the title is 5,000 characters long, more than the 200 allowed. Shorten it to 200 "
        "characters or fewer."
    ]
    create_objective(app)
    app.text_input(key="okr_obj_1_title").input("y" * 201)
    app.button(key="okr_obj_1_save").click().run()
    assert errors(app) == [
        "title: the title is 201 characters long, more than the 200 allowed. Shorten it to 200 "
        "characters or fewer."
    ]


# --- Issue 15: period dates, my key results, who has not checked in ------------------------------


def test_the_objective_edit_form_changes_the_period_dates(app: AppTest) -> None:
    create_objective(app)
    app.date_input(key="okr_obj_1_end").set_value(dt.date(2026, 9, 1))
    app.button(key="okr_obj_1_save").click().run()
    assert errors(app) == [
        "period: the end date 2026-09-01 is before the start date 2026-10-01. "
        "Pick an end date on or after the start date."
    ]
    app.date_input(key="okr_obj_1_start").set_value(dt.date(2026, 10, 15))
    app.date_input(key="okr_obj_1_end").set_value(dt.date(2026, 11, 30))
    ok(app.button(key="okr_obj_1_save").click().run())
    assert "Saved: period_end, period_start." in app.success[0].value.replace("\\", "")
    with read_session(init_store()) as session:
        objective = okr_crud.get_objective(session=session, objective_id=1)
    assert (objective.period_start, objective.period_end) == (
        dt.date(2026, 10, 15),
        dt.date(2026, 11, 30),
    )
    assert "(2026-10-15 to 2026-11-30)" in " ".join(t.value for t in app.text)


def test_this_week_shows_my_key_results_and_who_has_not_checked_in(app: AppTest) -> None:
    create_objective(app)
    ok(create_key_result(app, "WAU", "100", "200"))
    with write_session(init_store()) as session:
        okr_crud.update_key_result(
            session=session, key_result_id=1, seen_version=1, changes={"owner": "Ana"}
        )
    ok(create_key_result(app, "NPS", "20", "60"))  # no owner, no objective owner
    texts = [t.value for t in ok(app.run()).text]
    assert "Enter your name at the top of the page to see the key results you own." in texts
    missing = next(d.value for d in app.dataframe if "titles" in d.value.columns)
    assert missing[["owner", "titles"]].values.tolist() == [["(no owner)", "NPS"], ["Ana", "WAU"]]
    set_name(app, "Ana")
    mine = next(d.value for d in app.dataframe if "needs_check_in" in d.value.columns)
    assert mine[["key_result", "needs_check_in"]].values.tolist() == [["WAU", True]]
    assert "1 key result(s); 1 need a check-in this week." in [t.value for t in app.text]
    # A check-in on Thursday of the page's week (AS_OF is Sunday 15 November) settles it.
    with write_session(init_store()) as session:
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(
                key_result_id=1,
                value=150,
                author="Ana",
                created_at=dt.datetime(2026, 11, 12, 9, tzinfo=dt.UTC),
            ),
        )
    mine = next(d.value for d in ok(app.run()).dataframe if "needs_check_in" in d.value.columns)
    assert mine["needs_check_in"].tolist() == [False]
    missing = next(d.value for d in app.dataframe if "titles" in d.value.columns)
    assert missing["owner"].tolist() == ["(no owner)"]
