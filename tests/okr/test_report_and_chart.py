"""The period report (views, tree, history frame) and the history chart's spec."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from prodops.okr import crud as okr_crud
from prodops.okr import report as okr_report
from prodops.okr.charts import build_okr_history_chart
from prodops.okr.models import CheckIn, CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import init_store, read_session, write_session

Q4 = {
    "period": "2026-Q4",
    "period_start": dt.date(2026, 10, 1),
    "period_end": dt.date(2026, 12, 31),
}
AS_OF = dt.date(2026, 11, 15)  # 46 / 92 of the quarter


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = init_store(f"sqlite:///{tmp_path / 'okr.sqlite'}")
    yield engine
    engine.dispose()


def _seed(engine: Engine) -> None:
    """Company objective with two weighted KRs; a team objective under it with a churn KR."""
    with write_session(engine) as session:
        company = okr_crud.create_objective(
            session=session, objective_in=ObjectiveCreate(title="Company", team="exec", **Q4)
        )
        team = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(title="Team", team="growth", parent_id=company.id, **Q4),
        )
        krs = [
            (company.id, "Revenue", 100.0, 200.0, 3.0, [(150.0, 0.9)]),  # 0.5, on track
            (company.id, "NPS", 20.0, 40.0, 1.0, [(35.0, 0.6), (36.0, None)]),  # 0.8, on track
            (team.id, "Churn", 0.05, 0.03, 1.0, [(0.045, 0.9), (0.044, 0.2)]),  # 0.3, off track
        ]
        for objective_id, title, start, target, weight, check_ins in krs:
            kr = okr_crud.create_key_result(
                session=session,
                key_result_in=KeyResultCreate(
                    objective_id=objective_id or 0,
                    title=title,
                    start_value=start,
                    target_value=target,
                    weight=weight,
                ),
            )
            for value, confidence in check_ins:
                okr_crud.add_check_in(
                    session=session,
                    check_in_in=CheckInCreate(
                        key_result_id=kr.id or 0, value=value, confidence=confidence
                    ),
                )


def test_the_period_report_weighs_key_results_and_takes_the_worst_status(engine: Engine) -> None:
    _seed(engine)
    with read_session(engine) as session:
        views = okr_report.load_period(session=session, period="2026-Q4", as_of=AS_OF)
    company, team = views
    assert company.expected == pytest.approx(0.5)
    assert [kr.progress for kr in company.key_results] == pytest.approx([0.5, 0.8])
    assert company.progress == pytest.approx((0.5 * 3 + 0.8) / 4)  # 0.575
    assert (company.status, company.score, company.reading) == ("on_track", 0.57, "progress")
    [churn] = team.key_results
    assert churn.progress == pytest.approx(0.3)
    assert (churn.current, churn.confidence) == (0.044, 0.2)
    assert team.status == "off_track"
    summary = okr_report.period_summary(views)
    assert summary["progress"] == pytest.approx((0.575 + 0.3) / 2)
    assert (summary["status"], summary["on_track"], summary["off_track"]) == ("off_track", 1, 1)
    assert [(d, v.title) for d, v in okr_report.alignment_tree(views)] == [
        (0, "Company"),
        (1, "Team"),
    ]
    assert [v.title for v in okr_report.filter_views(views, team="growth")] == ["Team"]


def test_the_latest_stated_confidence_counts_when_the_newest_check_in_has_none(
    engine: Engine,
) -> None:
    _seed(engine)
    with read_session(engine) as session:
        [company] = okr_report.load_period(session=session, period="2026-Q4", as_of=AS_OF)[:1]
    nps = company.key_results[1]
    assert (nps.current, nps.confidence, nps.status) == (36.0, 0.6, "on_track")


def test_an_archived_key_result_no_longer_counts(engine: Engine) -> None:
    _seed(engine)
    with write_session(engine) as session:
        okr_crud.archive_key_result(session=session, key_result_id=1)
    with read_session(engine) as session:
        company = okr_report.load_period(
            session=session, period="2026-Q4", as_of=AS_OF, include_archived=True
        )[0]
    assert company.progress == pytest.approx(0.8)


def test_an_objective_without_key_results_is_shown_as_such_and_left_out(engine: Engine) -> None:
    _seed(engine)
    with write_session(engine) as session:
        okr_crud.create_objective(
            session=session, objective_in=ObjectiveCreate(title="Hire", team="exec", **Q4)
        )
    with read_session(engine) as session:
        views = okr_report.load_period(session=session, period="2026-Q4", as_of=AS_OF)
    hire = views[2]
    assert (hire.progress, hire.score, hire.reading, hire.status) == (None, None, None, None)
    summary = okr_report.period_summary(views)
    # Company 0.575 and Team 0.3; Hire is not a 0 that drags the period down to 0.29
    assert summary["progress"] == pytest.approx((0.575 + 0.3) / 2)
    assert (summary["objectives"], summary["without_key_results"]) == (3, 1)
    row = okr_report.objectives_frame(views).iloc[2]
    assert (row["objective"], row["key_results"], row["status"]) == ("Hire", 0, "no_key_results")
    assert pd.isna(row["progress"]) and pd.isna(row["score"]) and pd.isna(row["reading"])


def test_an_objective_whose_key_results_are_all_archived_has_none_left(engine: Engine) -> None:
    _seed(engine)
    with write_session(engine) as session:
        okr_crud.archive_key_result(session=session, key_result_id=3)
    with read_session(engine) as session:
        views = okr_report.load_period(session=session, period="2026-Q4", as_of=AS_OF)
    assert views[1].progress is None
    assert okr_report.period_summary(views)["progress"] == pytest.approx(0.575)


def test_the_history_frame_has_check_ins_target_and_the_expected_pace_line() -> None:
    check_ins = [
        CheckIn(
            key_result_id=1, value=120.0, created_at=dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC)
        ),
        CheckIn(
            key_result_id=1, value=140.0, created_at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
        ),
    ]
    frame = okr_report.history_frame(
        check_ins=check_ins,
        start=100.0,
        target=200.0,
        period_start=Q4["period_start"],
        period_end=Q4["period_end"],
    )
    assert frame["series"].tolist() == ["check-in"] * 2 + ["target"] * 2 + ["expected pace"] * 2
    assert frame["value"].tolist() == [120.0, 140.0, 200.0, 200.0, 100.0, 200.0]
    assert frame["time"].iloc[-1] == pd.Timestamp("2027-01-01", tz="UTC")


def test_the_history_chart_draws_check_ins_as_a_line_and_target_and_pace_dashed() -> None:
    frame = okr_report.history_frame(
        check_ins=[
            CheckIn(key_result_id=1, value=3.0, created_at=dt.datetime(2026, 10, 8, tzinfo=dt.UTC))
        ],
        start=5.0,
        target=3.0,
        period_start=Q4["period_start"],
        period_end=Q4["period_end"],
    )
    spec = build_okr_history_chart(frame, title="Churn", unit="%").to_dict()
    actual, lines = spec["layer"]
    assert actual["mark"] == {"type": "line", "point": True}
    assert actual["transform"] == [{"filter": {"field": "series", "equal": "check-in"}}]
    assert lines["mark"]["strokeDash"] == [6, 4]
    assert lines["transform"] == [
        {"filter": {"field": "series", "oneOf": ["target", "expected pace"]}}
    ]
    assert actual["encoding"]["y"]["title"] == "value (%)"
    assert spec["title"] == "Churn"
    values = next(iter(spec["datasets"].values()))
    assert [v["value"] for v in values] == [3.0, 3.0, 3.0, 5.0, 3.0]
