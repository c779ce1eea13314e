"""Saving, listing, reopening and regenerating QBR snapshots; editing their narrative safely."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from prodops.errors import NotFoundError, ParameterError
from prodops.qbr.build import SECTIONS, Report
from prodops.qbr.headlines import changed_numbers
from prodops.qbr.models import NARRATIVE_LIMIT, QbrReport
from prodops.store.versioning import get_row, versioned_update

ENTITY = "qbr_report"  # the edit log's name for a QBR


def report_of(row: QbrReport) -> Report:
    """The frozen report of a snapshot (the numbers as they were when it was saved)."""
    return Report.from_dict(row.content)


def narrative_of(row: QbrReport) -> dict[str, str]:
    """The snapshot's narrative, section -> text."""
    return {name: str(getattr(row, name)) for name in SECTIONS}


def _check_narrative(values: Mapping[str, Any]) -> dict[str, str]:
    unknown = sorted(set(values) - set(SECTIONS))
    if unknown:
        raise ParameterError(
            f"unknown narrative section {unknown[0]!r}", fix=f"Use one of {', '.join(SECTIONS)}."
        )
    checked = {}
    for name, text in values.items():
        text = "" if text is None else str(text)
        if len(text) > NARRATIVE_LIMIT:
            raise ParameterError(
                f"the {name} section has {len(text):,} characters",
                where="narrative",
                fix=f"Keep each section under {NARRATIVE_LIMIT:,} characters.",
            )
        checked[name] = text
    return checked


def _source(report: Report, kind: str) -> tuple[str | None, int | None]:
    for source in report.sources:
        if source.kind == kind:
            return source.name, source.version
    return None, None


def save_report(
    *, session: Session, report: Report, narrative: Mapping[str, str] | None = None
) -> QbrReport:
    """Store *report* as the next revision of its quarter's QBR (revision 1 for the first)."""
    values = _check_narrative(narrative or {})
    latest = session.exec(
        select(sa.func.max(QbrReport.revision)).where(col(QbrReport.quarter) == report.quarter)
    ).one()
    events, events_version = _source(report, "events")
    subs, subs_version = _source(report, "subscriptions")
    row = QbrReport(
        quarter=report.quarter,
        revision=int(latest or 0) + 1,
        events_dataset=events,
        events_version=events_version,
        subscriptions_dataset=subs,
        subscriptions_version=subs_version,
        generated_at=_instant(report.generated_at),
        content=report.to_dict(),
        summary=values.get("summary", ""),
        wins=values.get("wins", ""),
        misses=values.get("misses", ""),
        focus=values.get("focus", ""),
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def _instant(text: str) -> Any:
    import pandas as pd

    return pd.Timestamp(text).to_pydatetime()


def get_report(*, session: Session, report_id: int) -> QbrReport:
    """The snapshot *report_id* (:class:`NotFoundError` when there is none)."""
    return get_row(session, QbrReport, report_id, label="QBR")


def find_report(*, session: Session, quarter: str, revision: int | None = None) -> QbrReport:
    """The latest (or the given) revision of the QBR of *quarter*."""
    query = select(QbrReport).where(col(QbrReport.quarter) == quarter)
    if revision is not None:
        query = query.where(col(QbrReport.revision) == revision)
    row = session.exec(query.order_by(col(QbrReport.revision).desc())).first()
    if row is None:
        shown = quarter if revision is None else f"{quarter} revision {revision}"
        raise NotFoundError(
            f"no saved QBR for {shown}", fix="List the saved ones with 'prodops qbr list'."
        )
    return row


def list_reports(*, session: Session) -> list[QbrReport]:
    """Every snapshot, newest quarter and revision first."""
    query = select(QbrReport).order_by(
        col(QbrReport.quarter).desc(), col(QbrReport.revision).desc()
    )
    return list(session.exec(query).all())


def update_narrative(
    *, session: Session, report_id: int, seen_version: int, values: Mapping[str, str]
) -> QbrReport:
    """Save narrative sections of a snapshot unless someone saved since *seen_version*.

    Raises :class:`prodops.errors.StaleEditError` (nothing written) when the snapshot changed.
    """
    return versioned_update(
        session,
        QbrReport,
        report_id,
        seen_version=seen_version,
        values=_check_narrative(values),
        entity=ENTITY,
        label="QBR",
    )


@dataclass(frozen=True)
class Regenerated:
    """A new revision and the headline numbers that changed: ``(label, before, after)``."""

    row: QbrReport
    changed: list[tuple[str, str, str]]


def regenerate(*, session: Session, report_id: int, report: Report) -> Regenerated:
    """Save *report* (freshly built) as the next revision of snapshot *report_id*'s quarter.

    The narrative is carried over; the old revision is left as it was. ``changed`` lists the
    headline numbers whose value differs from the old revision's.
    """
    old = get_report(session=session, report_id=report_id)
    if report.quarter != old.quarter:
        raise ParameterError(
            f"the new report is for {report.quarter}, the snapshot for {old.quarter}",
            fix="Regenerate with the snapshot's quarter.",
        )
    changed = changed_numbers(report_of(old).headlines, report.headlines)
    row = save_report(session=session, report=report, narrative=narrative_of(old))
    return Regenerated(row, changed)
