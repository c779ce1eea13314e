"""Scoring frameworks, aggregation across reviewers and flags, on hand-worked numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodops.critique import (
    Criterion,
    Framework,
    ItemFacts,
    ReviewerScore,
    aggregate,
    custom_rubric,
    flag_items,
    framework,
    ice_score,
    likely_duplicates,
    quadrant,
    rice_score,
    title_similarity,
    value_effort,
    wsjf_score,
)
from prodops.errors import ParameterError

RUBRIC = framework("rubric")


def rubric_values(cv: int, al: int, ev: int, co: int, ef: int) -> dict[str, float]:
    return {"customer_value": cv, "alignment": al, "evidence": ev, "confidence": co, "effort": ef}


def test_rice_is_reach_times_impact_times_confidence_over_effort() -> None:
    # 2000 people x 1 (medium impact) x 80 % / 2 person-months = 800
    assert rice_score(reach=2000, impact=1, confidence=80, effort=2) == pytest.approx(800.0)
    assert framework("rice").score(
        {"reach": 500, "impact": 0.5, "confidence": 50, "effort": 0.5}
    ) == pytest.approx(250.0)


def test_rice_refuses_zero_effort() -> None:
    with pytest.raises(ParameterError, match="effort must be above 0"):
        framework("rice").score({"reach": 10, "impact": 1, "confidence": 50, "effort": 0})


def test_ice_and_wsjf_on_hand_worked_examples() -> None:
    assert ice_score(impact=7, confidence=6, ease=5) == 210.0
    assert wsjf_score(business_value=8, time_criticality=5, risk_reduction=2, job_size=5) == 3.0
    assert framework("wsjf").score(
        {"business_value": 13, "time_criticality": 8, "risk_reduction": 5, "job_size": 13}
    ) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (rubric_values(5, 5, 5, 5, 1), 100.0),  # best everywhere, least effort
        (rubric_values(1, 1, 1, 1, 5), 0.0),
        # (1 + 0.5 + 0.25 + 0.75 + (1 - 0.5)) / 5 = 3.0 / 5 = 60
        (rubric_values(5, 3, 2, 4, 3), 60.0),
    ],
)
def test_default_rubric_normalises_to_0_100_with_effort_inverted(
    values: dict[str, float], expected: float
) -> None:
    assert RUBRIC.score(values) == pytest.approx(expected)


def test_custom_rubric_uses_weights() -> None:
    fw = custom_rubric(
        "Weighted",
        [Criterion("value", "Value", weight=3), Criterion("risk", "Risk", lower_is_better=True)],
    )
    # value 4 -> 0.75 (x3), risk 5 -> 1 - 1 = 0 (x1): 2.25 / 4 = 56.25
    assert fw.score({"value": 4, "risk": 5}) == pytest.approx(56.25)
    assert Framework.from_dict(fw.to_dict()) == fw


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (rubric_values(6, 3, 3, 3, 3), "outside its scale 1-5"),
        (rubric_values(0, 3, 3, 3, 3), "outside its scale 1-5"),
        ({"customer_value": 3}, "missing score"),
    ],
)
def test_scores_outside_the_scale_are_refused(values: dict[str, float], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        RUBRIC.score(values)


def test_bad_rubrics_are_refused() -> None:
    with pytest.raises(ParameterError, match="negative"):
        custom_rubric("x", [Criterion("a", "A", weight=-1)])
    with pytest.raises(ParameterError, match="add up to 0"):
        custom_rubric("x", [Criterion("a", "A", weight=0)])
    with pytest.raises(ParameterError, match="unknown framework"):
        framework("moscow")


def test_aggregate_mean_median_spread_and_rank() -> None:
    rows = [
        # item A: 100, 60, 80 -> mean 80, median 80, spread 40
        ReviewerScore("A", "ann", rubric_values(5, 5, 5, 5, 1)),
        ReviewerScore("A", "bob", rubric_values(5, 3, 2, 4, 3)),
        ReviewerScore("A", "cy", rubric_values(5, 4, 4, 4, 2)),  # 1+.75+.75+.75+.75 = 4 -> 80
        # item B: 0 and 100 -> mean 50, spread 100
        ReviewerScore("B", "ann", rubric_values(1, 1, 1, 1, 5)),
        ReviewerScore("B", "bob", rubric_values(5, 5, 5, 5, 1)),
        # item C: one reviewer, 1 + .75 + .75 + .5 + .75 = 3.75 -> 75
        ReviewerScore("C", "ann", rubric_values(5, 4, 4, 3, 2)),
    ]
    out = aggregate(RUBRIC, rows)
    assert out["item"].tolist() == ["A", "C", "B"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["overall_mean"].tolist() == pytest.approx([80.0, 75.0, 50.0])
    a = out.set_index("item").loc["A"]
    assert a["overall_mean"] == pytest.approx(80.0)
    assert a["overall_median"] == pytest.approx(80.0)
    assert a["spread"] == pytest.approx(40.0)
    assert a["reviewers"] == 3
    assert a["alignment_mean"] == pytest.approx(4.0)
    assert a["evidence_median"] == pytest.approx(4.0)
    assert out.set_index("item").loc["B", "spread"] == pytest.approx(100.0)


def test_tied_scores_share_a_rank() -> None:
    rows = [
        ReviewerScore("A", "ann", rubric_values(3, 3, 3, 3, 3)),
        ReviewerScore("B", "ann", rubric_values(3, 3, 3, 3, 3)),
        ReviewerScore("C", "ann", rubric_values(1, 1, 1, 1, 5)),
    ]
    out = aggregate(RUBRIC, rows)
    assert out["rank"].tolist() == [1, 1, 3]


def test_flags_on_hand_worked_items() -> None:
    rows = [
        ReviewerScore("1", "ann", rubric_values(5, 5, 5, 5, 1)),
        ReviewerScore("1", "bob", rubric_values(5, 5, 5, 4, 1)),  # close: 100 and 95
        ReviewerScore("2", "ann", rubric_values(3, 3, 1, 1, 5)),  # high effort, low confidence
        ReviewerScore("2", "bob", rubric_values(3, 3, 1, 2, 4)),
        ReviewerScore("3", "ann", rubric_values(1, 1, 1, 1, 5)),  # 0 vs 100: disagreement
        ReviewerScore("3", "bob", rubric_values(5, 5, 5, 5, 1)),
    ]
    items = [
        ItemFacts("1", "Single sign-on for enterprise", key_results=1, evidence=2),
        ItemFacts("2", "Dark mode", key_results=0, evidence=1),
        ItemFacts("3", "Enterprise single sign-on", key_results=2, evidence=0),
        ItemFacts("4", "Usage-based billing", key_results=1, evidence=1),  # unscored
    ]
    flags = flag_items(RUBRIC, aggregate(RUBRIC, rows), items)
    assert flags == {
        "1": ["duplicate"],
        "2": ["no_key_result", "high_effort_low_confidence"],
        "3": ["no_evidence", "disagreement", "duplicate"],
        "4": [],
    }


def test_disagreement_threshold_is_relative_for_unbounded_frameworks() -> None:
    fw = framework("ice")
    rows = [
        ReviewerScore("a", "ann", {"impact": 5, "confidence": 5, "ease": 5}),  # 125
        ReviewerScore("a", "bob", {"impact": 4, "confidence": 5, "ease": 5}),  # 100: 25/112.5
        ReviewerScore("b", "ann", {"impact": 10, "confidence": 5, "ease": 5}),  # 250
        ReviewerScore("b", "bob", {"impact": 2, "confidence": 5, "ease": 5}),  # 50: 200/150
    ]
    flags = flag_items(
        fw, aggregate(fw, rows), [ItemFacts("a", "A", 1, 1), ItemFacts("b", "B", 1, 1)]
    )
    assert flags == {"a": [], "b": ["disagreement"]}


def test_title_similarity_and_duplicates() -> None:
    assert title_similarity("Dark mode", "dark  MODE") == 1.0
    assert title_similarity("Dark mode", "Usage-based billing") < 0.5
    items = [
        ItemFacts("1", "CSV export of reports"),
        ItemFacts("2", "Export reports to CSV"),
        ItemFacts("3", "Slack alerts"),
    ]
    # tokens {csv, export, of, reports} vs {export, reports, to, csv}: 3/5 = 0.6 < 0.8
    assert likely_duplicates(items) == {}
    assert likely_duplicates(items, threshold=0.6) == {"1": ["2"], "2": ["1"]}


def test_value_effort_frame_and_quadrants() -> None:
    rows = [
        ReviewerScore("A", "ann", rubric_values(5, 5, 5, 5, 1)),
        ReviewerScore("B", "ann", rubric_values(1, 3, 1, 3, 5)),
    ]
    frame = value_effort(RUBRIC, aggregate(RUBRIC, rows)).set_index("item")
    assert frame.loc["A"].tolist() == [100.0, 0.0]
    # value: (0 + 0.5 + 0) / 3 -> 16.67; effort 5 -> 100
    assert frame.loc["B", "value"] == pytest.approx(100 / 6)
    assert frame.loc["B", "effort"] == 100.0
    assert quadrant(100, 0) == "quick win"
    assert quadrant(16.7, 100) == "money pit"
    assert quadrant(60, 80) == "big bet"
    assert quadrant(20, 10) == "fill-in"


score_1_5 = st.integers(min_value=1, max_value=5)
reviewer_scores = st.lists(
    st.tuples(
        st.sampled_from("ABCDE"),
        st.sampled_from(["ann", "bob", "cy"]),
        st.tuples(score_1_5, score_1_5, score_1_5, score_1_5, score_1_5),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=60, deadline=None)
@given(reviewer_scores)
def test_rubric_scores_stay_within_0_100_and_ranks_follow_scores(rows: list) -> None:
    scores = [ReviewerScore(i, r, rubric_values(*v)) for i, r, v in rows]
    out = aggregate(RUBRIC, scores)
    assert out["overall_mean"].between(0, 100).all()
    assert out["overall_median"].between(0, 100).all()
    assert (out["spread"] >= 0).all() and (out["spread"] <= 100).all()
    for (_, a), (_, b) in zip(out.iloc[:-1].iterrows(), out.iloc[1:].iterrows(), strict=True):
        assert a["overall_mean"] >= b["overall_mean"]
        assert a["rank"] <= b["rank"]
        assert (a["rank"] == b["rank"]) == (a["overall_mean"] == b["overall_mean"])
    assert out["rank"].iloc[0] == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=3, max_size=3),
    st.lists(st.floats(min_value=0.1, max_value=5), min_size=3, max_size=3),
)
def test_custom_rubric_score_within_0_100(weights: list[float], values: list[float]) -> None:
    weights[0] = max(weights[0], 0.5)
    fw = custom_rubric(
        "w",
        [Criterion(k, k.upper(), weight=w, low=0.1) for k, w in zip("abc", weights, strict=True)],
    )
    assert 0 <= fw.score(dict(zip("abc", values, strict=True))) <= 100 + 1e-9


def test_rubric_from_an_edited_table() -> None:
    from prodops.critique import rubric_from_rows

    default = [
        {"criterion": c.label, "weight": c.weight, "lower_is_better": c.lower_is_better}
        for c in RUBRIC.criteria
    ]
    assert rubric_from_rows(default) == RUBRIC
    edited = [*default[:4], {**default[4], "weight": 2.0}, {"criterion": "  Legal  risk "}]
    fw = rubric_from_rows(edited)
    assert fw.name == "Custom rubric"
    assert fw.keys[-2:] == ("effort", "legal_risk")
    assert (fw.effort_key, fw.confidence_key) == ("effort", "confidence")
    # 4 criteria at 5 (1.0 each), effort 1 -> 1.0 (x2), legal risk 1 -> 0: 6 / 7
    scores = {**GOOD_RUBRIC, "legal_risk": 1}
    assert fw.score(scores) == pytest.approx(600 / 7)
    with pytest.raises(ParameterError, match="at least one criterion"):
        rubric_from_rows([{"criterion": " "}])


GOOD_RUBRIC = {"customer_value": 5, "alignment": 5, "evidence": 5, "confidence": 5, "effort": 1}
