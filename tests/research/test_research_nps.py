"""NPS and themes on hand-checkable frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from prodops.errors import ParameterError
from prodops.research.charts import build_nps_chart
from prodops.research.nps import comments, nps_by_segment, nps_over_time, nps_score
from prodops.research.search import top_themes

D = dt.date


@pytest.fixture
def notes() -> pd.DataFrame:
    # January: 9, 10, 7, 2, 6 -> 2 promoters, 1 passive, 2 detractors: NPS 0.
    # February: 10, 8 -> 1 promoter, 1 passive: NPS 50. One unscored note is ignored.
    return pd.DataFrame(
        {
            "score": pd.array([9, 10, 7, 2, 6, 10, 8, None], dtype="Int64"),
            "noted_on": [D(2026, 1, d) for d in (2, 5, 9, 12, 30)] + [D(2026, 2, 3)] * 3,
            "properties": [{"plan": "pro"}] * 3 + [{"plan": "starter"}] * 2 + [{}] * 3,
            "text": ["a", "b", "c", "too slow", "pricey", "d", "e", "no score"],
            "customer_id": list("abcdefgh"),
            "customer_company": [""] * 8,
            "tags": [["sso"], ["sso"], ["export"], ["export"], ["sso"], [], ["api"], ["api"]],
        }
    )


def test_nps_is_promoters_minus_detractors_over_responses(notes: pd.DataFrame) -> None:
    # 3 promoters, 2 passives, 2 detractors of 7 responses: (3 - 2) / 7 = 14.3.
    assert nps_score(notes) == pytest.approx(14.3)
    assert nps_score(notes.assign(score=pd.NA)) is None


def test_nps_by_month_and_by_plan(notes: pd.DataFrame) -> None:
    by_month = nps_over_time(notes, period="month")
    assert by_month[["period", "promoters", "passives", "detractors", "nps"]].values.tolist() == [
        ["2026-01", 2, 1, 2, 0.0],
        ["2026-02", 1, 1, 0, 50.0],
    ]
    by_plan = nps_by_segment(notes, segment="plan").set_index("segment")["nps"].to_dict()
    assert by_plan == {"pro": pytest.approx(66.7), "starter": -100.0, "(none)": 50.0}
    assert build_nps_chart(by_month).to_dict()["mark"]["type"] == "bar"


def test_comments_of_a_group_are_at_hand_newest_first(notes: pd.DataFrame) -> None:
    assert comments(notes, group="detractor")["text"].tolist() == ["pricey", "too slow"]
    with pytest.raises(ParameterError, match="promoter, passive or detractor"):
        comments(notes, group="fans")


def test_top_themes_per_week_count_tags(notes: pd.DataFrame) -> None:
    weekly = top_themes(notes, period="week", limit=1)
    # Weeks start on Monday: 2025-12-29 (Jan 2), 2026-01-05 (5, 9; a tie: by name), 2026-01-12,
    # 2026-01-26, 2026-02-02.
    assert weekly.values.tolist() == [
        ["2025-12-29", "sso", 1],
        ["2026-01-05", "export", 1],
        ["2026-01-12", "export", 1],
        ["2026-01-26", "sso", 1],
        ["2026-02-02", "api", 2],
    ]
    with pytest.raises(ParameterError, match="unknown period"):
        top_themes(notes, period="year")
