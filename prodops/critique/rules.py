"""Roadmap critique rules (pure): aggregation across reviewers, ranks, flags, value vs effort.

The scoring frameworks (rubric, RICE, ICE, WSJF) are in :mod:`prodops.critique.frameworks`.

Aggregation
-----------
For each item, each reviewer's scores give an overall score with the framework. The mean and the
median are taken per criterion and for the overall score; the **spread** is the max - min of the
reviewers' overall scores (0 with one reviewer). Items are ranked by mean overall score (ties by
median, then title; tied scores share a rank).

Flags
-----
``no_key_result`` (no linked key result), ``no_evidence``, ``high_effort_low_confidence`` (mean
effort normalised to its scale >= 0.75 and mean confidence normalised < 0.5; an unbounded effort
such as RICE's person-months is normalised by the largest effort in the session), ``disagreement``
(spread above a threshold: 25 points on the 0-100 rubric; for the unbounded frameworks, a spread
above 50 % of the median), ``duplicate`` (a title whose similarity with another item's title is at
least 0.8: the larger of the :mod:`difflib` ratio and the token Jaccard index).
"""

from __future__ import annotations

import difflib
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from prodops.critique.frameworks import Framework, effort_normalised

DECISIONS = ("approve", "approve_with_changes", "needs_evidence", "reject")
DECISION_LABELS = {
    "approve": "Approve",
    "approve_with_changes": "Approve with changes",
    "needs_evidence": "Needs evidence",
    "reject": "Reject",
}

SESSION_STATUS_LABELS = {"open": "open for scoring", "closed": "closed"}

FLAG_LABELS = {
    "no_key_result": "no linked key result",
    "no_evidence": "no evidence",
    "high_effort_low_confidence": "high effort, low confidence",
    "disagreement": "reviewers disagree",
    "duplicate": "possible duplicate",
}

DISAGREEMENT_POINTS = 25.0  # rubric: spread of overall scores, points out of 100
DISAGREEMENT_RELATIVE = 0.5  # unbounded frameworks: spread / median
DUPLICATE_SIMILARITY = 0.8
HIGH_EFFORT = 0.75  # normalised effort at or above this is "high"
LOW_CONFIDENCE = 0.5  # normalised confidence below this is "low"


# --- aggregation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerScore:
    """One reviewer's scores of one item (criterion key -> value)."""

    item: str
    reviewer: str
    values: Mapping[str, float]


SUMMARY_COLUMNS = ("item", "reviewers", "overall_mean", "overall_median", "spread", "rank")


def aggregate(fw: Framework, scores: Iterable[ReviewerScore]) -> pd.DataFrame:
    """Return one row per scored item: reviewers, mean/median per criterion and overall, rank.

    Columns: ``item, reviewers, overall_mean, overall_median, spread, rank`` then
    ``<criterion>_mean`` and ``<criterion>_median`` for each criterion. The spread is the max - min
    of the reviewers' overall scores. Items are sorted by rank (1 = best).

    Examples
    --------
    >>> from prodops.critique.frameworks import framework
    >>> fw = framework("ice")
    >>> rows = [ReviewerScore("A", "ann", {"impact": 8, "confidence": 5, "ease": 3}),
    ...         ReviewerScore("A", "bob", {"impact": 4, "confidence": 5, "ease": 3})]
    >>> aggregate(fw, rows)[["item", "overall_mean", "spread"]].to_dict("records")
    [{'item': 'A', 'overall_mean': 90.0, 'spread': 60.0}]
    """
    per_item: dict[str, list[tuple[dict[str, float], float]]] = {}
    for s in scores:
        values = fw.check(s.values)
        per_item.setdefault(s.item, []).append((values, fw.score(values)))
    rows = []
    for item, entries in per_item.items():
        overall = [o for _, o in entries]
        row: dict[str, Any] = {
            "item": item,
            "reviewers": len(entries),
            "overall_mean": statistics.fmean(overall),
            "overall_median": float(statistics.median(overall)),
            "spread": max(overall) - min(overall),
        }
        for key in fw.keys:
            column = [v[key] for v, _ in entries]
            row[f"{key}_mean"] = statistics.fmean(column)
            row[f"{key}_median"] = float(statistics.median(column))
        rows.append(row)
    columns = [*SUMMARY_COLUMNS[:-1]] + [f"{k}_{s}" for k in fw.keys for s in ("mean", "median")]
    frame = pd.DataFrame(rows, columns=columns)
    return rank(frame)


def rank(summary: pd.DataFrame) -> pd.DataFrame:
    """Return *summary* sorted best first with a ``rank`` column (ties share the best rank).

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"item": ["a", "b", "c"], "reviewers": [1, 1, 1],
    ...     "overall_mean": [3.0, 5.0, 3.0], "overall_median": [3.0, 5.0, 3.0],
    ...     "spread": [0.0] * 3})
    >>> rank(summary)[["item", "rank"]].to_dict("records")
    [{'item': 'b', 'rank': 1}, {'item': 'a', 'rank': 2}, {'item': 'c', 'rank': 2}]
    """
    out = summary.sort_values(
        ["overall_mean", "overall_median", "item"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    ranks = out["overall_mean"].rank(method="min", ascending=False)
    out.insert(5, "rank", ranks.fillna(0).astype("int64"))
    return out


# --- flags ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    """What the flags need to know about an item besides its scores."""

    item: str
    title: str
    key_results: int = 0
    evidence: int = 0


def _tokens(title: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", title.lower()))


def title_similarity(a: str, b: str) -> float:
    """The larger of difflib's ratio (case-folded, spaces squeezed) and the token Jaccard index.

    Examples
    --------
    >>> title_similarity("SSO for enterprise", "Enterprise SSO for")
    1.0
    """
    left, right = " ".join(a.lower().split()), " ".join(b.lower().split())
    ratio = difflib.SequenceMatcher(None, left, right).ratio() if left and right else 0.0
    ta, tb = _tokens(a), _tokens(b)
    jaccard = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    return max(ratio, jaccard)


def likely_duplicates(
    items: Sequence[ItemFacts], *, threshold: float = DUPLICATE_SIMILARITY
) -> dict[str, list[str]]:
    """Map each item to the other items whose titles are at least *threshold* similar.

    Examples
    --------
    >>> likely_duplicates([ItemFacts("A", "Dark mode"), ItemFacts("B", "Dark mode!"),
    ...                    ItemFacts("C", "CSV export")])
    {'A': ['B'], 'B': ['A']}
    """
    out: dict[str, list[str]] = {}
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if title_similarity(a.title, b.title) >= threshold:
                out.setdefault(a.item, []).append(b.item)
                out.setdefault(b.item, []).append(a.item)
    return out


def is_disagreement(fw: Framework, *, spread: float, median: float) -> bool:
    """True when reviewers' overall scores are far apart (see the module docstring).

    Examples
    --------
    >>> from prodops.critique.frameworks import framework
    >>> is_disagreement(framework("rubric"), spread=30, median=60)  # more than 25 points
    True
    >>> is_disagreement(framework("ice"), spread=40, median=90)  # less than 50 % of the median
    False
    """
    if fw.bounded:
        return spread > DISAGREEMENT_POINTS
    if median <= 0:
        return spread > 0
    return spread / median > DISAGREEMENT_RELATIVE


def flag_items(
    fw: Framework,
    summary: pd.DataFrame,
    items: Sequence[ItemFacts],
    *,
    duplicate_threshold: float = DUPLICATE_SIMILARITY,
) -> dict[str, list[str]]:
    """Return item -> flag codes (keys of ``FLAG_LABELS``) for every item in *items*.

    *summary* is :func:`aggregate`'s frame; unscored items get only the flags that need no score.

    Examples
    --------
    Two ICE reviewers disagree on A (impact 8 vs 4), whose ease (3 of 10) and confidence (5 of 10)
    are low; B has no linked key result:

    >>> from prodops.critique.frameworks import framework
    >>> fw = framework("ice")
    >>> summary = aggregate(fw, [
    ...     ReviewerScore("A", "ann", {"impact": 8, "confidence": 5, "ease": 3}),
    ...     ReviewerScore("A", "bob", {"impact": 4, "confidence": 5, "ease": 3}),
    ...     ReviewerScore("B", "ann", {"impact": 2, "confidence": 2, "ease": 9})])
    >>> flag_items(fw, summary, [ItemFacts("A", "Single sign-on", key_results=1, evidence=2),
    ...                          ItemFacts("B", "Dark mode", evidence=1)])
    {'A': ['high_effort_low_confidence', 'disagreement'], 'B': ['no_key_result']}
    """
    by_item = {row["item"]: row for row in summary.to_dict("records")}
    duplicates = likely_duplicates(items, threshold=duplicate_threshold)
    upper = None
    if fw.effort_key and not summary.empty:
        upper = float(summary[f"{fw.effort_key}_mean"].max())
    flags: dict[str, list[str]] = {}
    for item in items:
        codes = []
        if item.key_results == 0:
            codes.append("no_key_result")
        if item.evidence == 0:
            codes.append("no_evidence")
        row = by_item.get(item.item)
        if row is not None and fw.effort_key and fw.confidence_key:
            means = {k: row[f"{k}_mean"] for k in fw.keys}
            effort = effort_normalised(fw, means, upper)
            confidence = fw.criterion(fw.confidence_key).normalise(means[fw.confidence_key])
            if effort >= HIGH_EFFORT and confidence < LOW_CONFIDENCE:
                codes.append("high_effort_low_confidence")
        if row is not None and is_disagreement(
            fw, spread=row["spread"], median=row["overall_median"]
        ):
            codes.append("disagreement")
        if item.item in duplicates:
            codes.append("duplicate")
        flags[item.item] = codes
    return flags


def value_effort(fw: Framework, summary: pd.DataFrame) -> pd.DataFrame:
    """The frame behind the value-vs-effort scatter: ``item, value, effort`` on 0-100 each.

    Value is the mean of the value criteria normalised to their scales (unbounded ones by the
    session's largest mean); effort the same for the effort criterion (ICE's ease inverted). The
    quadrants split at 50.

    Examples
    --------
    ICE impact 6 and ease 3 on 1-10 give value (6 - 1) / 9 and effort 1 - (3 - 1) / 9:

    >>> from prodops.critique.frameworks import framework
    >>> fw = framework("ice")
    >>> scores = [ReviewerScore("A", "ann", {"impact": 6, "confidence": 5, "ease": 3})]
    >>> summary = aggregate(fw, scores)
    >>> value_effort(fw, summary).round(1)
      item  value  effort
    0    A   55.6    77.8
    """
    rows = []
    uppers = {k: float(summary[f"{k}_mean"].max()) for k in fw.keys} if len(summary) else {}
    for row in summary.to_dict("records"):
        means = {k: row[f"{k}_mean"] for k in fw.keys}
        values = [fw.criterion(k).normalise(means[k], upper=uppers.get(k)) for k in fw.value_keys]
        value = 100.0 * statistics.fmean(values) if values else float("nan")
        effort = (
            100.0 * effort_normalised(fw, means, uppers.get(fw.effort_key))
            if fw.effort_key
            else float("nan")
        )
        rows.append({"item": row["item"], "value": value, "effort": effort})
    return pd.DataFrame(rows, columns=["item", "value", "effort"])


def quadrant(value: float, effort: float) -> str:
    """Name the quadrant of a (value, effort) point on 0-100 (split at 50).

    Examples
    --------
    >>> [quadrant(80, 20), quadrant(80, 70), quadrant(20, 20), quadrant(20, 70)]
    ['quick win', 'big bet', 'fill-in', 'money pit']
    """
    if value >= 50:
        return "quick win" if effort < 50 else "big bet"
    return "fill-in" if effort < 50 else "money pit"
