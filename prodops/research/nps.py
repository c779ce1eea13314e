"""Net Promoter Score from scored notes: overall, over time and by segment.

A response scores 0-10: promoters 9-10, passives 7-8, detractors 0-6. NPS = (promoters -
detractors) / responses x 100, from -100 to 100. Notes without a score are left out.

Examples
--------
>>> notes = pd.DataFrame({"score": [10, 9, 7, 3, None],
...                       "noted_on": [dt.date(2026, 1, 3)] * 3 + [dt.date(2026, 2, 1)] * 2,
...                       "properties": [{"plan": "pro"}] * 2 + [{}, {"plan": "pro"}, {}]})
>>> nps_score(notes)
25.0
>>> over_time = nps_over_time(notes, period="month")[["period", "responses", "nps"]]
>>> over_time.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'period': '2026-01', 'responses': 3, 'nps': 66.7},
 {'period': '2026-02', 'responses': 1, 'nps': -100.0}]
>>> nps_by_segment(notes, segment="plan")[["segment", "responses", "nps"]].to_dict("records")
[{'segment': 'pro', 'responses': 3, 'nps': 33.3}, {'segment': '(none)', 'responses': 1, 'nps': 0.0}]
"""

from __future__ import annotations

import datetime as dt  # noqa: F401 (the examples use it)

import pandas as pd

from prodops.errors import ParameterError

NPS_COLUMNS = ["responses", "promoters", "passives", "detractors", "nps"]
PERIODS = {"week": "W-SUN", "month": "M", "quarter": "Q"}


def category(score: int) -> str:
    """``promoter`` (9-10), ``passive`` (7-8) or ``detractor`` (0-6).

    >>> [category(s) for s in (10, 8, 6)]
    ['promoter', 'passive', 'detractor']
    """
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _scored(notes: pd.DataFrame) -> pd.DataFrame:
    scored = notes[notes["score"].notna()].copy()
    scored["score"] = scored["score"].astype(int)
    return scored


def _tally(scores: pd.Series) -> dict[str, float]:
    responses = len(scores)
    promoters = int((scores >= 9).sum())
    detractors = int((scores <= 6).sum())
    nps = round((promoters - detractors) / responses * 100, 1) if responses else float("nan")
    return {
        "responses": responses,
        "promoters": promoters,
        "passives": responses - promoters - detractors,
        "detractors": detractors,
        "nps": nps,
    }


def nps_score(notes: pd.DataFrame) -> float | None:
    """The NPS of every scored note (None when none is scored)."""
    scored = _scored(notes)
    return None if scored.empty else float(_tally(scored["score"])["nps"])


def nps_over_time(notes: pd.DataFrame, *, period: str = "month") -> pd.DataFrame:
    """One row per period with a response: ``period`` and :data:`NPS_COLUMNS`."""
    if period not in PERIODS:
        raise ParameterError(f"unknown period {period!r}", fix=f"Use one of {', '.join(PERIODS)}.")
    scored = _scored(notes).dropna(subset=["noted_on"])
    labels = pd.to_datetime(scored["noted_on"]).dt.to_period(PERIODS[period]).astype(str)
    rows = [{"period": p, **_tally(g["score"])} for p, g in scored.groupby(labels, sort=True)]
    return pd.DataFrame(rows, columns=["period", *NPS_COLUMNS])


def nps_by_segment(notes: pd.DataFrame, *, segment: str) -> pd.DataFrame:
    """One row per value of customer property *segment* (``(none)`` when unset), most first."""
    scored = _scored(notes)
    values = [str((p or {}).get(segment, "") or "(none)") for p in scored["properties"]]
    scored["segment"] = values
    rows = [{"segment": s, **_tally(g["score"])} for s, g in scored.groupby("segment", sort=True)]
    out = pd.DataFrame(rows, columns=["segment", *NPS_COLUMNS])
    return out.sort_values(["responses", "segment"], ascending=[False, True]).reset_index(drop=True)


def comments(notes: pd.DataFrame, *, group: str) -> pd.DataFrame:
    """The scored notes of one group (``promoter``, ``passive``, ``detractor``), newest first."""
    if group not in ("promoter", "passive", "detractor"):
        raise ParameterError(f"unknown group {group!r}", fix="Use promoter, passive or detractor.")
    scored = _scored(notes)
    picked = scored[[category(s) == group for s in scored["score"]]]
    return picked.sort_values("noted_on", ascending=False, na_position="last")
