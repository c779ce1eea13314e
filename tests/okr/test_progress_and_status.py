"""OKR rules on hand-worked examples, and their invariants as properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodops import okr
from prodops.errors import ParameterError

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("start", "target", "current", "expected"),
    [
        (10, 20, 15, 0.5),
        (10, 20, 10, 0.0),
        (10, 20, 20, 1.0),
        (10, 20, 25, 1.5),  # over-achieved: not clamped
        (10, 20, 5, -0.5),  # went backwards: not clamped
        (10, 20, None, 0.0),  # no check-in yet counts as start
        (10, 10, 50, 0.0),  # target == start
        (0.05, 0.03, 0.04, 0.5),  # churn down from 5% to 3%
        (0.05, 0.03, 0.03, 1.0),
        (0.05, 0.03, 0.06, -0.5),  # churn went up
    ],
)
def test_key_result_progress_follows_the_design_formula(
    start: float, target: float, current: float | None, expected: float
) -> None:
    assert okr.key_result_progress(start=start, target=target, current=current) == pytest.approx(
        expected
    )


@settings(max_examples=60, deadline=None)
@given(start=finite, target=finite, fraction=st.floats(min_value=-2, max_value=2))
def test_progress_of_any_target_direction_is_the_fraction_of_the_way_covered(
    start: float, target: float, fraction: float
) -> None:
    if abs(target - start) < 1e-3:
        return
    current = start + fraction * (target - start)
    progress = okr.key_result_progress(start=start, target=target, current=current)
    assert progress == pytest.approx(fraction, abs=1e-6)
    # mirroring the key result (a decreasing target) gives the same progress
    mirrored = okr.key_result_progress(start=-start, target=-target, current=-current)
    assert mirrored == pytest.approx(progress, abs=1e-9)


def test_objective_progress_is_the_weighted_mean_of_clamped_key_result_progress() -> None:
    assert okr.objective_progress(progresses=[1.5, 0.0], weights=[1, 1]) == 0.5
    assert okr.objective_progress(progresses=[0.5, 1.0], weights=[3, 1]) == 0.625
    assert okr.objective_progress(progresses=[-1.0, 0.4], weights=[1, 1]) == pytest.approx(0.2)
    # no key results: nothing to measure yet (None), not 0 %
    assert okr.objective_progress(progresses=[], weights=[]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(0.01, 10)), min_size=1, max_size=6))
def test_objective_and_period_progress_stay_within_0_and_1(
    pairs: list[tuple[float, float]],
) -> None:
    progresses = [p for p, _ in pairs]
    value = okr.objective_progress(progresses=progresses, weights=[w for _, w in pairs])
    assert value is not None and 0.0 <= value <= 1.0
    assert min(okr.clamp(p) for p in progresses) - 1e-12 <= value
    assert value <= max(okr.clamp(p) for p in progresses) + 1e-12
    period = okr.period_progress(progresses)
    assert period is not None and 0.0 <= period <= 1.0


def test_period_progress_is_the_mean_over_objectives() -> None:
    assert okr.period_progress([0.2, 0.6, 1.3]) == pytest.approx(0.6)
    assert okr.period_progress([]) is None


def test_objectives_without_key_results_are_left_out_of_the_period_progress() -> None:
    # 0.2 and 0.6 measured, one objective with no key results yet: 0.4, not 0.8 / 3
    assert okr.period_progress([0.2, None, 0.6]) == pytest.approx(0.4)
    assert okr.period_progress([None, None]) is None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2026, 9, 30), 0.0),  # before the period
        (dt.date(2026, 10, 1), 1 / 92),  # end of the first day
        (dt.date(2026, 11, 15), 46 / 92),
        (dt.date(2026, 12, 31), 1.0),
        (dt.date(2027, 2, 1), 1.0),
    ],
)
def test_expected_progress_is_the_share_of_days_elapsed(as_of: dt.date, expected: float) -> None:
    value = okr.expected_progress(
        period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 12, 31), as_of=as_of
    )
    assert value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("progress", "expected", "confidence", "status"),
    [
        (0.45, 0.5, None, "on_track"),  # pace 0.9: on track at the threshold
        (0.44, 0.5, None, "at_risk"),  # pace 0.88
        (0.30, 0.5, None, "at_risk"),  # pace 0.6: at risk at the threshold
        (0.29, 0.5, None, "off_track"),  # pace 0.58
        (0.0, 0.0, None, "on_track"),  # the period has not started
        (1.4, 0.5, None, "on_track"),  # over-achieved
        (-0.2, 0.1, None, "off_track"),
        (0.5, 0.5, 0.5, "on_track"),  # confidence 0.5 does not lower
        (0.5, 0.5, 0.49, "at_risk"),  # below 0.5: at best at risk
        (0.3, 0.5, 0.49, "at_risk"),  # already at risk
        (0.1, 0.5, 0.49, "off_track"),  # already off track stays off track
        (0.5, 0.5, 0.29, "off_track"),  # below 0.3: off track
        (0.5, 0.5, 0.3, "at_risk"),
    ],
)
def test_status_from_pace_and_confidence(
    progress: float, expected: float, confidence: float | None, status: str
) -> None:
    assert okr.status(progress=progress, expected=expected, confidence=confidence) == status


@settings(max_examples=80, deadline=None)
@given(
    progress=st.floats(-2, 2),
    expected=st.floats(0, 1),
    confidence=st.one_of(st.none(), st.floats(0, 1)),
)
def test_confidence_never_improves_a_status(
    progress: float, expected: float, confidence: float | None
) -> None:
    by_pace = okr.status(progress=progress, expected=expected)
    with_confidence = okr.status(progress=progress, expected=expected, confidence=confidence)
    assert okr.STATUSES.index(with_confidence) >= okr.STATUSES.index(by_pace)
    more = okr.status(progress=progress + 0.1, expected=expected, confidence=confidence)
    assert okr.STATUSES.index(more) <= okr.STATUSES.index(with_confidence)  # monotone in progress


def test_an_objective_takes_its_worst_key_result_status() -> None:
    assert okr.worst_status(["on_track", "off_track", "at_risk"]) == "off_track"
    assert okr.worst_status(["on_track", "at_risk"]) == "at_risk"
    assert okr.worst_status([]) is None


@pytest.mark.parametrize(
    ("progress", "score", "reading"),
    [
        (0.7, 0.7, "delivered"),
        (1.3, 1.0, "delivered"),
        (0.694, 0.69, "progress"),
        (0.4, 0.4, "progress"),
        (0.399, 0.4, "progress"),  # the reading is of the rounded score
        (0.39, 0.39, "missed"),
        (-0.5, 0.0, "missed"),
    ],
)
def test_end_of_period_score_and_its_reading(progress: float, score: float, reading: str) -> None:
    assert okr.score(progress) == score
    assert okr.score_reading(okr.score(progress)) == reading


@pytest.mark.parametrize(
    ("label", "bounds"),
    [
        ("2026-Q4", (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
        ("2026-q1", (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        ("2028-Q1", (dt.date(2028, 1, 1), dt.date(2028, 3, 31))),
        ("2026-H2", (dt.date(2026, 7, 1), dt.date(2026, 12, 31))),
        ("2026", (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    ],
)
def test_period_labels_give_their_first_and_last_day(
    label: str, bounds: tuple[dt.date, dt.date]
) -> None:
    assert okr.period_bounds(label) == bounds


def test_validation_messages_name_the_field_and_the_fix() -> None:
    with pytest.raises(ParameterError, match="target: the target equals the start value"):
        okr.validate_key_result_values(start=5, target=5)
    with pytest.raises(ParameterError, match="value: 'abc' is not a number"):
        okr.parse_number("abc", field="value")
    with pytest.raises(ParameterError, match=r"confidence: confidence 1\.2 is out of range"):
        okr.validate_confidence(1.2)
    with pytest.raises(ParameterError, match="end date 2026-09-01 is before the start date"):
        okr.validate_period(period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 9, 1))
    with pytest.raises(ParameterError, match="'2026-Q5' is not a period label"):
        okr.period_bounds("2026-Q5")
    assert okr.parse_number(" 1,250.5 ", field="value") == 1250.5
