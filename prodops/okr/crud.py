"""Create, read, update, archive and delete OKRs; append and read check-ins.

Every function takes keyword arguments and a session the caller opened: ``write_session`` for
writes (``BEGIN IMMEDIATE`` on SQLite), ``read_session`` for reads. Updates carry the version the
person saw; ``UPDATE ... WHERE id = :id AND version = :seen`` changes nothing when someone else got
there first, and :class:`~prodops.errors.StaleEditError` says which fields changed since and their
values now. Check-ins are append-only: there is no function to change or remove one (deleting an
archived key result removes its history with it, after a confirmation in the page).

Examples
--------
>>> import datetime as dt
>>> import tempfile
>>> from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
>>> from prodops.store.db import init_store, read_session, write_session
>>> tmp = tempfile.TemporaryDirectory()
>>> engine = init_store(f"sqlite:///{tmp.name}/store.db")
>>> with write_session(engine) as session:
...     objective = create_objective(session=session, objective_in=ObjectiveCreate(
...         title="Grow", period="2026-Q4",
...         period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 12, 31)))
...     kr = create_key_result(session=session, key_result_in=KeyResultCreate(
...         objective_id=objective.id, title="Weekly active users",
...         start_value=100, target_value=200))
...     _ = add_check_in(session=session, check_in_in=CheckInCreate(key_result_id=kr.id, value=150))
>>> with read_session(engine) as session:
...     [o.title for o in list_objectives(session=session)]
...     latest_check_in(session=session, key_result_id=kr.id).value
['Grow']
150.0
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from prodops.errors import ParameterError
from prodops.okr import checks, rules, units
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
from prodops.store import guard, versioning
from prodops.store.versioning import utcnow

Row = TypeVar("Row", Objective, KeyResult)
_ENTITY: dict[type[SQLModel], str] = {Objective: "objective", KeyResult: "key_result"}
_LABEL = {"objective": "objective", "key_result": "key result"}


# --- Objectives -----------------------------------------------------------------------------------


def create_objective(
    *, session: Session, objective_in: ObjectiveCreate, unique_title: bool = False
) -> Objective:
    """Insert a new objective (version 1) after validating its title, period and parent.

    With ``unique_title`` (the page's forms), a title an unarchived objective of the period
    already has (ignoring case and spacing) is refused: it is nearly always a double click.
    """
    checks.check_lengths(Objective, objective_in.model_dump())
    rules.validate_title(objective_in.title)
    rules.validate_period(
        period_start=objective_in.period_start, period_end=objective_in.period_end
    )
    if objective_in.parent_id is not None:
        get_objective(session=session, objective_id=objective_in.parent_id)
    if unique_title:
        _check_unique_title(session, objective_in.title, objective_in.period)
    objective = Objective.model_validate(objective_in, update={"title": objective_in.title.strip()})
    session.add(objective)
    session.flush()
    return objective


def _same_title(title: str) -> str:
    """A title as compared for duplicates: case and runs of spaces do not count."""
    return " ".join(title.split()).casefold()


def _check_unique_title(
    session: Session, title: str, period: str, *, objective_id: int | None = None
) -> None:
    """Refuse a second (unarchived) objective of *period* with the same title.

    Two objectives of one period with one title cannot be told apart on the board, and the
    second is nearly always a double click on "Create objective".
    """
    for other in list_objectives(session=session, period=period):
        if other.id != objective_id and _same_title(other.title) == _same_title(title):
            raise ParameterError(
                f"{period} already has an objective titled {other.title!r} (#{other.id})",
                where="title",
                fix="Add key results to that objective, or give this one another title.",
            )


def get_objective(*, session: Session, objective_id: int) -> Objective:
    """Return the objective or raise NotFoundError."""
    return _get(session, Objective, objective_id)


def list_objectives(
    *,
    session: Session,
    period: str | None = None,
    team: str | None = None,
    owner: str | None = None,
    include_archived: bool = False,
) -> list[Objective]:
    """Return objectives, optionally of one period / team / owner, in creation order."""
    query = select(Objective).order_by(col(Objective.id))
    for column, value in ((Objective.period, period), (Objective.team, team)):
        if value is not None:
            query = query.where(col(column) == value)
    if owner is not None:
        query = query.where(col(Objective.owner) == owner)
    if not include_archived:
        query = query.where(col(Objective.archived).is_(False))
    return list(session.exec(query).all())


def list_periods(*, session: Session) -> list[str]:
    """Return the period labels that have objectives, newest first."""
    query = select(Objective.period).distinct().order_by(col(Objective.period).desc())
    return list(session.exec(query).all())


def update_objective(
    *,
    session: Session,
    objective_id: int,
    seen_version: int,
    changes: ObjectiveUpdate | Mapping[str, Any],
    unique_title: bool = False,
) -> Objective:
    """Apply *changes* if the objective is still at *seen_version*; else StaleEditError.

    ``unique_title`` refuses a new title or period that makes two objectives of one period
    with one title (as in :func:`create_objective`).
    """
    values = _values(changes, ObjectiveUpdate)
    checks.check_lengths(Objective, values)
    current = _get(session, Objective, objective_id)
    merged = current.model_copy(update=values)
    rules.validate_title(merged.title)
    rules.validate_period(period_start=merged.period_start, period_end=merged.period_end)
    if "parent_id" in values:
        _check_parent(session, objective_id, merged.parent_id)
    if unique_title and {"title", "period"} & set(values):
        _check_unique_title(session, merged.title, merged.period, objective_id=objective_id)
    return _update(session, Objective, objective_id, seen_version, values)


def archive_objective(
    *, session: Session, objective_id: int, seen_version: int | None = None, archived: bool = True
) -> Objective:
    """Archive (or with ``archived=False`` unarchive) an objective; an edit like any other."""
    return _set_archived(session, Objective, objective_id, seen_version, archived)


def unarchive_objective(
    *, session: Session, objective_id: int, seen_version: int | None = None
) -> Objective:
    """Bring an archived objective back."""
    return _set_archived(session, Objective, objective_id, seen_version, False)


def delete_objective(*, session: Session, objective_id: int) -> None:
    """Delete an archived objective with its key results and their check-ins.

    Child objectives are kept and lose their parent. An objective that is not archived is refused
    (ParameterError): archive first, so a delete is always a second, deliberate step.
    """
    guard.check(session, "objective", "delete")
    objective = _require_archived(session, Objective, objective_id)
    krs = session.exec(select(KeyResult.id).where(col(KeyResult.objective_id) == objective_id))
    for kr_id in list(krs.all()):
        _delete_key_result_rows(session, cast(int, kr_id))
    session.execute(
        sa.update(Objective).where(col(Objective.parent_id) == objective_id).values(parent_id=None)
    )
    versioning.delete_edit_log(session=session, entity="objective", entity_id=objective_id)
    session.delete(objective)
    session.flush()


# --- Key results ----------------------------------------------------------------------------------


def create_key_result(
    *,
    session: Session,
    key_result_in: KeyResultCreate,
    datasets: Mapping[str, str] | None = None,
) -> KeyResult:
    """Insert a key result (version 1) of an existing objective after validating its values.

    A binding needs both a metric and a dataset; its parameters must be ones the metric takes,
    of the right type (:func:`prodops.okr.params.check_params`); its unit is recorded from the
    registry and must suit the key result's unit (:func:`prodops.okr.units.check_binding`).
    With *datasets* (the catalog's names and kinds), the dataset must be one of them, of the kind
    the metric reads; without, the dataset is checked by the first refresh.
    """
    checks.check_lengths(KeyResult, key_result_in.model_dump())
    rules.validate_title(key_result_in.title)
    rules.validate_key_result_values(
        start=key_result_in.start_value,
        target=key_result_in.target_value,
        weight=key_result_in.weight,
    )
    values = {**key_result_in.model_dump(), **checks.blank_binding_is_none(key_result_in)}
    binding_unit = checks.check_binding(values, datasets)
    get_objective(session=session, objective_id=key_result_in.objective_id)
    key_result = KeyResult.model_validate(
        values, update={"title": key_result_in.title.strip(), "binding_unit": binding_unit}
    )
    session.add(key_result)
    session.flush()
    return key_result


def get_key_result(*, session: Session, key_result_id: int) -> KeyResult:
    """Return the key result or raise NotFoundError."""
    return _get(session, KeyResult, key_result_id)


def list_key_results(
    *,
    session: Session,
    objective_ids: Sequence[int] | None = None,
    owner: str | None = None,
    bound_only: bool = False,
    include_archived: bool = False,
) -> list[KeyResult]:
    """Return key results, optionally of some objectives / one owner / with a metric binding."""
    query = select(KeyResult).order_by(col(KeyResult.objective_id), col(KeyResult.id))
    if objective_ids is not None:
        query = query.where(col(KeyResult.objective_id).in_(list(objective_ids)))
    if owner is not None:
        query = query.where(col(KeyResult.owner) == owner)
    if bound_only:  # both halves of a binding: a metric and the dataset it reads
        query = query.where(
            col(KeyResult.binding_metric).is_not(None),
            col(KeyResult.binding_dataset).is_not(None),
        )
    if not include_archived:
        query = query.where(col(KeyResult.archived).is_(False))
    return list(session.exec(query).all())


def update_key_result(
    *,
    session: Session,
    key_result_id: int,
    seen_version: int,
    changes: KeyResultUpdate | Mapping[str, Any],
    datasets: Mapping[str, str] | None = None,
) -> KeyResult:
    """Apply *changes* if the key result is still at *seen_version*; else StaleEditError.

    A changed binding is checked as in :func:`create_key_result` (*datasets* likewise).
    """
    values = _values(changes, KeyResultUpdate)
    checks.check_lengths(KeyResult, values)
    values.update(checks.blank_binding_is_none(values))
    merged = _get(session, KeyResult, key_result_id).model_copy(update=values)
    rules.validate_title(merged.title)
    rules.validate_key_result_values(
        start=merged.start_value, target=merged.target_value, weight=merged.weight
    )
    if set(values) & checks.BINDING_INPUTS:  # a title-only edit does not re-judge an old binding
        datasets = datasets if "binding_dataset" in values else None  # kept: not re-judged
        binding_unit = checks.check_binding(merged.model_dump(), datasets)
        if binding_unit != merged.binding_unit:
            values["binding_unit"] = binding_unit
    return _update(session, KeyResult, key_result_id, seen_version, values)


def archive_key_result(
    *, session: Session, key_result_id: int, seen_version: int | None = None, archived: bool = True
) -> KeyResult:
    """Archive (or with ``archived=False`` unarchive) a key result."""
    return _set_archived(session, KeyResult, key_result_id, seen_version, archived)


def unarchive_key_result(
    *, session: Session, key_result_id: int, seen_version: int | None = None
) -> KeyResult:
    """Bring an archived key result back."""
    return _set_archived(session, KeyResult, key_result_id, seen_version, False)


def delete_key_result(*, session: Session, key_result_id: int) -> None:
    """Delete an archived key result and its check-ins (ParameterError if not archived)."""
    guard.check(session, "key_result", "delete")
    _require_archived(session, KeyResult, key_result_id)
    _delete_key_result_rows(session, key_result_id)
    session.flush()


def record_refresh(*, session: Session, key_result_id: int, error: str | None) -> None:
    """Store the outcome of a metric refresh (error text or None) without touching the version.

    A refresh is not a person's edit: it must not make someone's open edit form stale.
    """
    _get(session, KeyResult, key_result_id)
    session.execute(
        sa.update(KeyResult)
        .where(col(KeyResult.id) == key_result_id)
        .values(last_refresh_error=error, last_refreshed_at=utcnow())
    )
    session.expire_all()


# --- Check-ins (append-only) ----------------------------------------------------------------------


def add_check_in(*, session: Session, check_in_in: CheckInCreate) -> CheckIn:
    """Append a check-in to a key result.

    The value must be finite and in scale with the key result, and not negative when it counts
    things (:func:`prodops.okr.rules.validate_check_in_value`); the confidence within [0, 1];
    the note at most :data:`~prodops.okr.rules.NOTE_LIMIT` characters.
    """
    checks.check_lengths(CheckIn, check_in_in.model_dump())
    rules.validate_length(check_in_in.note, field="note", limit=rules.NOTE_LIMIT)
    rules.parse_number(check_in_in.value, field="value")
    rules.validate_confidence(check_in_in.confidence)
    kr = get_key_result(session=session, key_result_id=check_in_in.key_result_id)
    rules.validate_check_in_value(
        check_in_in.value,
        start=kr.start_value,
        target=kr.target_value,
        unit=kr.unit,
        counts=units.counts(kr.unit, kr.binding_unit),
    )
    data = check_in_in.model_dump(exclude_none=True)
    check_in = CheckIn.model_validate(data)
    session.add(check_in)
    session.flush()
    return check_in


def list_check_ins(*, session: Session, key_result_ids: Sequence[int]) -> list[CheckIn]:
    """Return the check-ins of some key results, oldest first."""
    query = (
        select(CheckIn)
        .where(col(CheckIn.key_result_id).in_(list(key_result_ids)))
        .order_by(col(CheckIn.created_at), col(CheckIn.id))
    )
    return list(session.exec(query).all())


def history(*, session: Session, key_result_id: int) -> list[CheckIn]:
    """Return one key result's check-ins, oldest first (NotFoundError if it does not exist)."""
    get_key_result(session=session, key_result_id=key_result_id)
    return list_check_ins(session=session, key_result_ids=[key_result_id])


def latest_check_in(*, session: Session, key_result_id: int) -> CheckIn | None:
    """Return the newest check-in of a key result, or None."""
    found = history(session=session, key_result_id=key_result_id)
    return found[-1] if found else None


# --- Shared machinery -----------------------------------------------------------------------------


def _get(session: Session, model: type[Row], row_id: int) -> Row:
    return versioning.get_row(session, model, row_id, label=_LABEL[_ENTITY[model]])


def _values(changes: SQLModel | Mapping[str, Any], editable: type[SQLModel]) -> dict[str, Any]:
    """The fields to set; only the fields of the *editable* Update model are accepted."""
    values = changes.model_dump(exclude_unset=True) if isinstance(changes, SQLModel) else changes
    if not values:
        raise ParameterError("nothing to change", fix="Change at least one field.")
    unknown = sorted(set(values) - set(editable.model_fields))
    if unknown:
        raise ParameterError(
            f"cannot change {', '.join(unknown)}",
            fix="Change only: " + ", ".join(editable.model_fields) + ".",
        )
    return dict(values)


def _update(
    session: Session, model: type[Row], row_id: int, seen_version: int, values: dict[str, Any]
) -> Row:
    entity = _ENTITY[model]
    return versioning.versioned_update(
        session,
        model,
        row_id,
        seen_version=seen_version,
        values=values,
        entity=entity,
        label=_LABEL[entity],
    )


def _set_archived(
    session: Session, model: type[Row], row_id: int, seen_version: int | None, archived: bool
) -> Row:
    seen = _get(session, model, row_id).version if seen_version is None else seen_version
    return _update(session, model, row_id, seen, {"archived": archived})


def _require_archived(session: Session, model: type[Row], row_id: int) -> Row:
    row = _get(session, model, row_id)
    if not row.archived:
        label = _LABEL[_ENTITY[model]]
        raise ParameterError(
            f"{label} {row_id} is not archived, so it cannot be deleted",
            fix=f"Archive the {label} first; only archived items can be deleted.",
        )
    return row


def _delete_key_result_rows(session: Session, key_result_id: int) -> None:
    session.execute(sa.delete(CheckIn).where(col(CheckIn.key_result_id) == key_result_id))
    versioning.delete_edit_log(session=session, entity="key_result", entity_id=key_result_id)
    session.execute(sa.delete(KeyResult).where(col(KeyResult.id) == key_result_id))


def _check_parent(session: Session, objective_id: int, parent_id: int | None) -> None:
    """Refuse a parent that is the objective itself or one of its descendants (a cycle)."""
    seen: set[int] = set()
    while parent_id is not None and parent_id not in seen:
        if parent_id == objective_id:
            raise ParameterError(
                "an objective cannot be aligned under itself or one of its children",
                where="parent objective",
                fix="Pick a parent higher up in the alignment tree.",
            )
        seen.add(parent_id)
        parent_id = _get(session, Objective, parent_id).parent_id
