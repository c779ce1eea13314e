"""Roadmap critique: import a roadmap, score it with several reviewers, flag, decide, export.

The package holds the feature's layers side by side: ``frameworks`` (RICE, ICE, WSJF, rubrics;
pure), ``rules`` (aggregation, ranks, flags; pure), ``models`` (tables), ``crud`` (items,
sessions, append-only scores and decisions), ``summary`` (a session ranked, an item's
trajectory), ``roadmap_import`` (Jira, Linear, Productboard, any CSV), ``report`` (CSV and
Markdown exports) and ``charts``. Other features use only the names exported here.
"""

from prodops.critique.crud import list_sessions
from prodops.critique.frameworks import (
    KINDS,
    Criterion,
    Framework,
    Kind,
    custom_rubric,
    framework,
    ice_score,
    rice_score,
    rubric_from_rows,
    rubric_score,
    wsjf_score,
)
from prodops.critique.rules import (
    DECISION_LABELS,
    DECISIONS,
    DISAGREEMENT_POINTS,
    DISAGREEMENT_RELATIVE,
    DUPLICATE_SIMILARITY,
    FLAG_LABELS,
    HIGH_EFFORT,
    LOW_CONFIDENCE,
    SESSION_STATUS_LABELS,
    SUMMARY_COLUMNS,
    ItemFacts,
    ReviewerScore,
    aggregate,
    flag_items,
    is_disagreement,
    likely_duplicates,
    quadrant,
    rank,
    title_similarity,
    value_effort,
)
from prodops.critique.scoring import ScoresHiddenError
from prodops.critique.summary import SessionSummary, linked_key_results, summarise_session

__all__ = [
    "DECISIONS",
    "DECISION_LABELS",
    "DISAGREEMENT_POINTS",
    "DISAGREEMENT_RELATIVE",
    "DUPLICATE_SIMILARITY",
    "FLAG_LABELS",
    "HIGH_EFFORT",
    "KINDS",
    "LOW_CONFIDENCE",
    "SESSION_STATUS_LABELS",
    "SUMMARY_COLUMNS",
    "Criterion",
    "Framework",
    "ItemFacts",
    "Kind",
    "ReviewerScore",
    "ScoresHiddenError",
    "SessionSummary",
    "aggregate",
    "custom_rubric",
    "flag_items",
    "framework",
    "ice_score",
    "is_disagreement",
    "likely_duplicates",
    "linked_key_results",
    "list_sessions",
    "quadrant",
    "rank",
    "rice_score",
    "rubric_from_rows",
    "rubric_score",
    "summarise_session",
    "title_similarity",
    "value_effort",
    "wsjf_score",
]
