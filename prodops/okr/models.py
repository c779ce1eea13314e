"""OKR tables: objectives, key results, append-only check-ins, and the edit log.

Shape of the SQLModel tutorial: ``XBase`` (fields a person edits), ``X(XBase, table=True)`` (plus
id, version, timestamps), ``XCreate`` (what a create form sends) and ``XUpdate`` (every field
optional; only the fields set are changed). Timestamps are aware UTC (SQLModel's ``UTCDateTime``,
the same on SQLite and PostgreSQL). Every edit increments ``version`` (optimistic concurrency,
DESIGN.md decision 5) and appends a row to the edit log of :mod:`prodops.store.versioning`, so
a refused stale edit can say which fields changed since.
"""

from __future__ import annotations

import datetime as dt

from annotated_types import MaxLen
from sqlmodel import Field, SQLModel

from prodops.store.versioning import REDEFINABLE, utcnow

# --- Objectives -----------------------------------------------------------------------------------


class ObjectiveBase(SQLModel):
    title: str = Field(max_length=200)
    description: str = ""
    owner: str = ""
    team: str = ""
    period: str = Field(index=True, max_length=40)  # a label such as "2026-Q4"
    period_start: dt.date
    period_end: dt.date  # inclusive: the last day of the period
    parent_id: int | None = Field(default=None, foreign_key="objective.id")


class Objective(ObjectiveBase, table=True):
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    archived: bool = False
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ObjectiveCreate(ObjectiveBase):
    pass


class ObjectiveUpdate(SQLModel):
    title: str | None = None
    description: str | None = None
    owner: str | None = None
    team: str | None = None
    period: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    parent_id: int | None = None


# --- Key results ----------------------------------------------------------------------------------


class KeyResultBase(SQLModel):
    objective_id: int = Field(foreign_key="objective.id", index=True)
    title: str = Field(max_length=200)
    unit: str = ""
    start_value: float
    target_value: float
    weight: float = 1.0
    owner: str = ""
    # Optional metric binding (prodops.okr.binding): dataset name, metric name, params as JSON.
    binding_dataset: str | None = None
    binding_metric: str | None = None
    binding_params: str | None = None


class KeyResult(KeyResultBase, table=True):
    __tablename__ = "key_result"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    # The bound metric's unit from the registry (ratio, count, money), recorded when the binding
    # is set (prodops.okr.units); a ratio refreshed into a key result in % is stored x100.
    binding_unit: str | None = Field(default=None, max_length=20)
    last_refresh_error: str | None = None
    last_refreshed_at: dt.datetime | None = None
    archived: bool = False
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class KeyResultCreate(KeyResultBase):
    pass


class KeyResultUpdate(SQLModel):
    title: str | None = None
    unit: str | None = None
    start_value: float | None = None
    target_value: float | None = None
    weight: float | None = None
    owner: str | None = None
    binding_dataset: str | None = None
    binding_metric: str | None = None
    binding_params: str | None = None


# --- Check-ins (append-only) ----------------------------------------------------------------------


class CheckInBase(SQLModel):
    key_result_id: int = Field(foreign_key="key_result.id", index=True)
    value: float
    confidence: float | None = None  # 0..1, the owner's confidence of reaching the target
    note: str = ""
    author: str = ""
    # Where a metric refresh took the value from (None for a person's check-in): the dataset and
    # its catalog version, the period the value describes [start, end) and the data end (UTC).
    source_dataset: str | None = None
    source_version: int | None = None
    source_period_start: dt.datetime | None = None
    source_period_end: dt.datetime | None = None
    source_data_end: dt.datetime | None = None


class CheckIn(CheckInBase, table=True):
    __tablename__ = "check_in"
    __table_args__ = REDEFINABLE
    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)


class CheckInCreate(CheckInBase):
    created_at: dt.datetime | None = None  # default: now (imports keep their original time)


OKR_TABLES = ("objective", "key_result", "check_in", "okr_edit_log")


def text_limits(model: type[SQLModel]) -> dict[str, int]:
    """The longest text each field of *model* accepts (its ``max_length``, the column's length).

    >>> text_limits(ObjectiveCreate)
    {'title': 200, 'period': 40}
    """
    return {
        name: meta.max_length
        for name, info in model.model_fields.items()
        for meta in info.metadata
        if isinstance(meta, MaxLen)
    }
