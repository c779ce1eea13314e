"""OKRs: objectives and key results with check-ins, progress, status and metric bindings.

The package holds the feature's layers side by side: ``rules`` (progress, pace, status, score;
pure), ``models`` (tables), ``crud`` (safe edits), ``transfer`` (JSON / CSV export and import),
``binding`` (key results that refresh themselves from a metric, on complete periods only),
``units`` (the unit a binding reads and how it is stored: a ratio into percent x100), ``report``
(the board's views) and ``charts``. Other features use only the names exported here.
"""

from prodops.okr.models import (
    CheckIn,
    CheckInCreate,
    KeyResult,
    KeyResultCreate,
    KeyResultUpdate,
    Objective,
    ObjectiveCreate,
    ObjectiveUpdate,
)
from prodops.okr.report import KeyResultView, ObjectiveView, load_period
from prodops.okr.rules import (
    STATUS_HELP,
    STATUS_LABELS,
    STATUSES,
    Reading,
    Status,
    clamp,
    expected_progress,
    key_result_progress,
    objective_progress,
    parse_number,
    period_bounds,
    period_progress,
    quarter_label,
    score,
    score_reading,
    status,
    validate_confidence,
    validate_key_result_values,
    validate_period,
    validate_title,
    worst_status,
)

__all__ = [
    "STATUSES",
    "STATUS_HELP",
    "STATUS_LABELS",
    "CheckIn",
    "CheckInCreate",
    "KeyResult",
    "KeyResultCreate",
    "KeyResultUpdate",
    "KeyResultView",
    "Objective",
    "ObjectiveCreate",
    "ObjectiveUpdate",
    "ObjectiveView",
    "Reading",
    "Status",
    "clamp",
    "expected_progress",
    "key_result_progress",
    "load_period",
    "objective_progress",
    "parse_number",
    "period_bounds",
    "period_progress",
    "quarter_label",
    "score",
    "score_reading",
    "status",
    "validate_confidence",
    "validate_key_result_values",
    "validate_period",
    "validate_title",
    "worst_status",
]
