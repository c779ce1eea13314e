"""The OKR review of a period: objectives and key results with progress, status and score.

The page, the CLI and the export read this; the rules themselves live in :mod:`prodops.okr`.
Everything takes an explicit ``as_of`` date (the day the review looks at), never "today".
An objective with no key results yet has no progress, score or status (None; shown as
:data:`NO_KEY_RESULTS`) and is left out of the period's progress.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from prodops.okr import crud as okr_crud
from prodops.okr import rules, units
from prodops.okr.models import CheckIn, KeyResult, Objective

REFRESH_AUTHOR = "metric refresh"  # the author of a refresh's check-ins (prodops.okr.binding)
NO_KEY_RESULTS = "no key results yet"  # how an objective without key results is shown
NO_KEY_RESULTS_STATUS = "no_key_results"  # its status in frames, CSV and JSON


@dataclass(frozen=True)
class KeyResultView:
    """A key result as the review shows it (current value = latest check-in, or None)."""

    id: int
    objective_id: int
    title: str
    unit: str
    owner: str
    start: float
    target: float
    weight: float
    current: float | None
    progress: float
    status: rules.Status
    confidence: float | None
    last_check_in_at: dt.datetime | None
    last_note: str
    last_author: str
    binding: str
    last_refresh_error: str | None
    archived: bool
    version: int
    binding_metric: str | None = None
    binding_dataset: str | None = None
    binding_params: str | None = None
    binding_unit: str | None = None
    conversion: str = ""  # how a refresh stores the metric's value ("... stored as 62 %")
    # The latest check-in by a person (a metric refresh is not one): what the weekly ritual asks.
    last_person_check_in_at: dt.datetime | None = None


@dataclass(frozen=True)
class ObjectiveView:
    """An objective with its key results, progress, worst status and score."""

    id: int
    title: str
    description: str
    owner: str
    team: str
    period: str
    period_start: dt.date
    period_end: dt.date
    parent_id: int | None
    archived: bool
    version: int
    expected: float
    progress: float | None  # None: no key results yet (left out of the period's progress)
    status: rules.Status | None  # None: no key results yet
    score: float | None
    reading: rules.Reading | None
    key_results: tuple[KeyResultView, ...]


def describe_binding(kr: KeyResult) -> str:
    """Return "metric on dataset (params)" for a bound key result, "" otherwise."""
    if not kr.binding_metric:
        return ""
    params = json.loads(kr.binding_params) if kr.binding_params else {}
    shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{kr.binding_metric} on {kr.binding_dataset}" + (f" ({shown})" if shown else "")


def key_result_view(
    kr: KeyResult, check_ins: Sequence[CheckIn], *, expected: float
) -> KeyResultView:
    """Summarise one key result from its check-ins (oldest first) at the given expected pace."""
    latest = check_ins[-1] if check_ins else None
    current = latest.value if latest else None
    progress = rules.key_result_progress(
        start=kr.start_value, target=kr.target_value, current=current
    )
    # the owner's latest stated confidence (a metric refresh states none)
    stated = [c.confidence for c in check_ins if c.confidence is not None]
    confidence = stated[-1] if stated else None
    by_people = [c for c in check_ins if c.author != REFRESH_AUTHOR]
    assert kr.id is not None
    return KeyResultView(
        id=kr.id,
        objective_id=kr.objective_id,
        title=kr.title,
        unit=kr.unit,
        owner=kr.owner,
        start=kr.start_value,
        target=kr.target_value,
        weight=kr.weight,
        current=current,
        progress=progress,
        status=rules.status(progress=progress, expected=expected, confidence=confidence),
        confidence=confidence,
        last_check_in_at=latest.created_at if latest else None,
        last_note=latest.note if latest else "",
        last_author=latest.author if latest else "",
        binding=describe_binding(kr),
        last_refresh_error=kr.last_refresh_error,
        archived=kr.archived,
        version=kr.version,
        binding_metric=kr.binding_metric,
        binding_dataset=kr.binding_dataset,
        binding_params=kr.binding_params,
        binding_unit=kr.binding_unit,
        conversion=units.conversion_text(kr.binding_metric, kr.binding_params, kr.unit),
        last_person_check_in_at=by_people[-1].created_at if by_people else None,
    )


def objective_view(
    objective: Objective, key_results: Sequence[KeyResultView], *, expected: float
) -> ObjectiveView:
    """Summarise an objective: weighted progress, worst key-result status, score and reading
    (all None when it has no key results yet)."""
    active = [kr for kr in key_results if not kr.archived]
    progress = rules.objective_progress(
        progresses=[kr.progress for kr in active], weights=[kr.weight for kr in active]
    )
    final = None if progress is None else rules.score(progress)
    assert objective.id is not None
    return ObjectiveView(
        id=objective.id,
        title=objective.title,
        description=objective.description,
        owner=objective.owner,
        team=objective.team,
        period=objective.period,
        period_start=objective.period_start,
        period_end=objective.period_end,
        parent_id=objective.parent_id,
        archived=objective.archived,
        version=objective.version,
        expected=expected,
        progress=progress,
        status=rules.worst_status(kr.status for kr in active),
        score=final,
        reading=None if final is None else rules.score_reading(final),
        key_results=tuple(key_results),
    )


def load_period(
    *,
    session: Session,
    period: str | None,
    as_of: dt.date,
    team: str | None = None,
    owner: str | None = None,
    include_archived: bool = False,
) -> list[ObjectiveView]:
    """Return the objectives of *period* (all periods if None) as views at *as_of*."""
    objectives = okr_crud.list_objectives(
        session=session, period=period, team=team, owner=owner, include_archived=include_archived
    )
    ids = [o.id for o in objectives if o.id is not None]
    krs = okr_crud.list_key_results(
        session=session, objective_ids=ids, include_archived=include_archived
    )
    check_ins = okr_crud.list_check_ins(session=session, key_result_ids=[k.id for k in krs if k.id])
    by_kr: dict[int, list[CheckIn]] = {}
    for check_in in check_ins:
        by_kr.setdefault(check_in.key_result_id, []).append(check_in)
    views = []
    for objective in objectives:
        expected = rules.expected_progress(
            period_start=objective.period_start, period_end=objective.period_end, as_of=as_of
        )
        kr_views = [
            key_result_view(kr, by_kr.get(kr.id or 0, []), expected=expected)
            for kr in krs
            if kr.objective_id == objective.id
        ]
        views.append(objective_view(objective, kr_views, expected=expected))
    return views


def filter_views(
    views: Sequence[ObjectiveView], *, team: str | None = None, owner: str | None = None
) -> list[ObjectiveView]:
    """Return the objectives of *team* and *owner* (None: any)."""
    return [
        v for v in views if (team is None or v.team == team) and (owner is None or v.owner == owner)
    ]


def period_summary(views: Sequence[ObjectiveView]) -> dict[str, float | int | str | None]:
    """Return the period's progress, its worst status and the count per status.

    ``progress`` is the mean over the objectives that have key results (None when none has);
    ``without_key_results`` counts the others, which are left out of it.
    """
    active = [v for v in views if not v.archived]
    statuses = [v.status for v in active if v.status is not None]
    return {
        "objectives": len(active),
        "without_key_results": sum(v.progress is None for v in active),
        "progress": rules.period_progress([v.progress for v in active]),
        "status": rules.worst_status(statuses),
        **{s: statuses.count(s) for s in rules.STATUSES},
    }


def alignment_tree(views: Sequence[ObjectiveView]) -> list[tuple[int, ObjectiveView]]:
    """Return (depth, objective) pairs in tree order; parents outside *views* count as absent."""
    present = {v.id for v in views}
    children: dict[int | None, list[ObjectiveView]] = {}
    for view in views:
        parent = view.parent_id if view.parent_id in present else None
        children.setdefault(parent, []).append(view)
    ordered: list[tuple[int, ObjectiveView]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            ordered.append((depth, child))
            walk(child.id, depth + 1)

    walk(None, 0)
    return ordered


def objectives_frame(views: Sequence[ObjectiveView]) -> pd.DataFrame:
    """One row per objective (the table behind the cards; also the CLI's ``okr list``)."""
    rows = [
        {
            "id": v.id,
            "period": v.period,
            "objective": v.title,
            "team": v.team,
            "owner": v.owner,
            "key_results": sum(not kr.archived for kr in v.key_results),
            "progress": None if v.progress is None else round(v.progress, 4),
            "expected": round(v.expected, 4),
            "status": v.status or (NO_KEY_RESULTS_STATUS if v.progress is None else ""),
            "score": v.score,
            "reading": v.reading,
            "archived": v.archived,
        }
        for v in views
    ]
    columns = [
        "id",
        "period",
        "objective",
        "team",
        "owner",
        "key_results",
        "progress",
        "expected",
        "status",
        "score",
        "reading",
        "archived",
    ]
    return pd.DataFrame(rows, columns=columns)


def key_results_frame(view: ObjectiveView) -> pd.DataFrame:
    """One row per key result of *view*: current, target, progress, status, last check-in."""
    rows = [
        {
            "id": kr.id,
            "key_result": kr.title,
            "owner": kr.owner,
            "start": kr.start,
            "current": kr.current,
            "target": kr.target,
            "unit": kr.unit,
            "weight": kr.weight,
            "progress": round(kr.progress, 4),
            "status": kr.status,
            "confidence": kr.confidence,
            "last_check_in": kr.last_check_in_at,
            "last_note": kr.last_note,
            "metric": kr.binding,
            "refresh_error": kr.last_refresh_error or "",
            "archived": kr.archived,
        }
        for kr in view.key_results
    ]
    return pd.DataFrame(rows)


NO_VALUE = "—"  # how a missing number is shown (no check-in yet)


def format_value(value: float | None, unit: str | None = "") -> str:
    """A key result's number as the board shows it (its unit is shown beside it).

    A key result in percent has one decimal, like the app's other percentages ("62.0"); other
    numbers have thousands separators and at most two decimals ("5,000", "1,234.57"), and
    numbers below 1 up to four significant digits ("0.045"); no value at all is "—".

    Examples
    --------
    >>> format_value(61.9636, "%"), format_value(5000, "users"), format_value(1234.5678, "€")
    ('62.0', '5,000', '1,234.57')
    >>> format_value(0.045, ""), format_value(-2.5, "pts"), format_value(None, "%")
    ('0.045', '-2.5', '—')
    """
    if value is None or pd.isna(value):
        return NO_VALUE
    if units.is_percent(unit):
        return f"{value:,.1f}"
    if 0 < abs(value) < 1:
        return f"{value:.4g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def formatted(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of *frame* with *columns* as text (:func:`format_value` in each row's ``unit``).

    >>> frame = pd.DataFrame({"current": [61.9636, None], "unit": ["%", "users"]})
    >>> formatted(frame, ["current"])["current"].tolist()
    ['62.0', '—']
    """
    if frame.empty:
        return frame.copy()
    shown = {
        column: [format_value(v, u) for v, u in zip(frame[column], frame["unit"], strict=True)]
        for column in columns
    }
    return frame.assign(**shown)


def history_frame(
    *,
    check_ins: Sequence[CheckIn],
    start: float,
    target: float,
    period_start: dt.date,
    period_end: dt.date,
) -> pd.DataFrame:
    """The frame behind a key result's history chart: ``time, value, series``.

    ``series`` is ``check-in`` (one row per check-in), ``target`` (the target across the period)
    and ``expected pace`` (a straight line from the start value on the first day to the target at
    the end of the last day). Times are UTC.
    """
    first = pd.Timestamp(period_start, tz="UTC")
    last = pd.Timestamp(period_end, tz="UTC") + pd.Timedelta(days=1)
    rows = [
        {
            "time": pd.Timestamp(c.created_at).tz_convert("UTC"),
            "value": c.value,
            "series": "check-in",
        }
        for c in check_ins
    ]
    rows += [
        {"time": first, "value": target, "series": "target"},
        {"time": last, "value": target, "series": "target"},
        {"time": first, "value": start, "series": "expected pace"},
        {"time": last, "value": target, "series": "expected pace"},
    ]
    return pd.DataFrame(rows, columns=["time", "value", "series"])
