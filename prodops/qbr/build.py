"""Build a quarterly business review: numbers, charts, OKR results, roadmap decisions, evidence.

:func:`build_qbr` gathers everything a QBR shows into a :class:`Report`, a plain value that a
snapshot stores as JSON and every export (HTML, PDF, Markdown) renders. It reads the metric API
(:mod:`prodops.qbr.headlines`), the OKRs and critique sessions of the store (through
:mod:`prodops.okr` and :mod:`prodops.critique`), the rule-based insights of Home
(:mod:`prodops.metrics.kpi_insights`) and, when the insight repository offers it,
``prodops.research.quarter_evidence``. Nothing here reads the clock: the caller passes
``generated_at``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func as sa_func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from prodops import critique, okr
from prodops.engine import as_table
from prodops.metrics import completeness, kpi_insights, kpis
from prodops.qbr.frames import _plain, freeze
from prodops.qbr.headlines import Headline, headlines
from prodops.qbr.quarters import MonthRange, Period, parse_period
from prodops.qbr.values import EVENTS_KEYS, REVENUE_KEYS, quarter_retention

NO_EVIDENCE = "no customer evidence recorded"
SECTIONS = ("summary", "wins", "misses", "focus")  # the narrative the lead writes
SECTION_TITLES = {
    "summary": "Summary",
    "wins": "Wins",
    "misses": "Misses",
    "focus": "Focus for next quarter",
}


@dataclass(frozen=True)
class Source:
    """A dataset a QBR read: its name, catalog version and data end (ISO 8601, UTC)."""

    kind: str
    name: str
    version: int | None
    data_end: str | None


@dataclass(frozen=True)
class Report:
    """Everything a QBR shows, frozen: JSON-ready through :meth:`to_dict` / :meth:`from_dict`.

    ``charts`` maps a chart name to its frozen frame (:func:`prodops.qbr.frames.freeze`);
    ``notes`` maps a section to the line shown when it has nothing (no dataset, no OKRs, ...).
    """

    quarter: str
    timezone: str
    generated_at: str
    sources: list[Source]
    headlines: list[Headline]
    charts: dict[str, Any] = field(default_factory=dict)
    okrs: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    insights: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def period(self) -> Period:
        """The period reported (``quarter`` holds its label: "2026-Q3" or "2026-05+6")."""
        return parse_period(self.quarter)

    def headline(self, key: str) -> Headline:
        """The headline *key* ("mrr", "nrr", ...)."""
        return next(h for h in self.headlines if h.key == key)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["headlines"] = [h.to_dict() for h in self.headlines]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """The report of :meth:`to_dict`."""
        values = dict(data)
        values["sources"] = [Source(**s) for s in values.get("sources", [])]
        values["headlines"] = [Headline.from_dict(h) for h in values.get("headlines", [])]
        return cls(**values)


@dataclass(frozen=True)
class Dataset:
    """A dataset handed to :func:`build_qbr`: how to open its canonical table, and its origin.

    ``open()`` returns a context manager yielding the table (``Catalog.open(name)``: the catalog
    opens one dataset at a time); :meth:`of_frame` wraps a table or frame already at hand.
    """

    name: str
    open: Callable[[], AbstractContextManager[Any]]
    version: int | None = None

    @classmethod
    def of_frame(cls, table: Any, name: str, version: int | None = None) -> Dataset:
        """A dataset over an Ibis table or pandas frame already open."""
        return cls(name, lambda: contextlib.nullcontext(table), version)


def as_of_text(generated_at: str) -> str:
    """The as-of instant of a report (ISO 8601, UTC) as people read it, to the minute.

    >>> as_of_text("2026-12-01T23:00:28.645484+00:00")
    '1 Dec 2026 23:00 UTC'
    >>> as_of_text("")
    'an unknown time'
    """
    if not generated_at:
        return "an unknown time"
    stamp = pd.Timestamp(generated_at)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp.day} {stamp:%b %Y %H:%M} UTC"


def _iso(stamp: Any) -> str | None:
    if stamp is None or pd.isna(stamp):
        return None
    value = pd.Timestamp(stamp)
    value = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
    return value.isoformat()


def build_qbr(
    quarter: Period | str,
    *,
    store: Engine | None,
    generated_at: dt.datetime,
    events: Dataset | None = None,
    subscriptions: Dataset | None = None,
    timezone: str = "UTC",
) -> Report:
    """The QBR of *quarter* from the chosen datasets and the store's OKRs and critiques.

    Parameters
    ----------
    quarter
        A :class:`~prodops.qbr.quarters.Quarter` or
        :class:`~prodops.qbr.quarters.MonthRange`, or its label ("2026-Q3", "2026-05+6").
    store
        The engine of the OKR / critique store (None: those sections say there is none).
    generated_at
        The instant of the build (aware); subscriptions ending after it are in the future.
    events, subscriptions
        The datasets (None: the matching sections say none was chosen).
    timezone
        The analysis time zone.

    Returns
    -------
    Report
        Headlines whose value is the metric API's for the quarter (or None with a note), the
        frozen frames of the charts, OKRs, decisions, insights and evidence.
    """
    period = parse_period(quarter) if isinstance(quarter, str) else quarter
    sources: list[Source] = []
    charts: dict[str, Any] = {}
    insights: list[kpis.Insight] = []
    notes: dict[str, str] = {}
    by_key: dict[str, Headline] = {}
    evidence: list[dict[str, Any]] | None = None
    for headline in headlines(period, timezone=timezone):  # every number "no dataset chosen"
        by_key[headline.key] = headline
    if subscriptions is not None:
        with subscriptions.open() as table:
            subs = as_table(table)
            end = completeness.subscriptions_data_end(subs, now=generated_at)
            sources.append(
                Source("subscriptions", subscriptions.name, subscriptions.version, _iso(end))
            )
            empty = {"subscriptions": f"the dataset {subscriptions.name} has no subscriptions"}
            found = headlines(
                period,
                subscriptions=subs if end is not None else None,
                timezone=timezone,
                subscriptions_as_of=end,
                missing=empty,
            )
            by_key.update({h.key: h for h in found if h.key in REVENUE_KEYS})
            if end is not None:
                insights += _revenue_part(subs, period, end, timezone, charts)
                evidence = _evidence(store, period, _subscriptions_frame(subs))
    if "mrr_movements" not in charts:
        notes["revenue"] = "No subscriptions data: no revenue chart."
    if events is not None:
        with events.open() as table:
            ev = as_table(table)
            end = kpis.dataset_data_end("events", ev)
            sources.append(Source("events", events.name, events.version, _iso(end)))
            found = headlines(
                period,
                events=ev if end is not None else None,
                timezone=timezone,
                events_as_of=end,
                missing={"events": f"the dataset {events.name} has no events"},
            )
            by_key.update({h.key: h for h in found if h.key in EVENTS_KEYS})
            if end is not None:
                insights += _events_part(ev, period, end, timezone, charts)
    if "lifecycle" not in charts:
        notes["events"] = "No events data: no retention or lifecycle chart."
    okrs, decisions = ([], []) if store is None else _rituals(store, period, generated_at)
    if not okrs:
        shown = period.title if isinstance(period, MonthRange) else period.label
        notes["okrs"] = f"No objectives recorded for {shown}."
    if not decisions:
        notes["decisions"] = f"No roadmap decisions in the critique sessions of {period.title}."
    if evidence is None:
        evidence = _evidence(store, period)
    if not evidence:
        notes["evidence"] = NO_EVIDENCE
    if not insights:
        notes["insights"] = "No large movement found by the automatic rules."
    return Report(
        quarter=period.label,
        timezone=timezone,
        generated_at=_iso(generated_at) or "",
        sources=sources,
        headlines=list(by_key.values()),
        charts=charts,
        okrs=okrs,
        decisions=decisions,
        insights=[
            {"title": i.title, "text": i.text, "severity": i.severity}
            for i in kpi_insights.rank_insights(list(insights), limit=5)
        ],
        evidence=evidence,
        notes=notes,
    )


def _quarter_end(period: Period, timezone: str) -> pd.Timestamp:
    return pd.Timestamp(period.end).tz_localize(timezone).tz_convert("UTC")


# --- charts and insights -------------------------------------------------------------------------


def _revenue_part(
    subs: Any, period: Period, data_end: pd.Timestamp, timezone: str, charts: dict[str, Any]
) -> list[kpis.Insight]:
    from prodops import metrics

    monthly = metrics.revenue(
        subs,
        period="month",
        date_from=period.year_ago.start,
        date_to=period.last_day,
        timezone=timezone,
        as_of=data_end,
    )
    starts = pd.to_datetime(monthly["period"]).dt.date
    in_quarter = monthly[(starts >= period.start) & (starts < period.end)].reset_index(drop=True)
    charts["mrr_movements"] = freeze(in_quarter)
    judged = min(data_end, _quarter_end(period, timezone))
    found = [
        kpi_insights.nrr_change_insight(monthly, as_of=judged),
        kpi_insights.churn_spike_insight(
            monthly, rate_col="logo_churn_rate", what="Logo churn", as_of=judged
        ),
    ]
    return [i for i in found if i is not None]


def _events_part(
    ev: Any, period: Period, data_end: pd.Timestamp, timezone: str, charts: dict[str, Any]
) -> list[kpis.Insight]:
    from prodops import metrics

    weekly = quarter_retention(ev, period, timezone=timezone, as_of=data_end)
    charts["retention"] = freeze(weekly)
    charts["retention_average"] = freeze(metrics.retention_average(weekly))
    lifecycle = metrics.lifecycle(
        ev,
        period="week",
        date_from=period.start,
        date_to=period.last_day,
        timezone=timezone,
        as_of=data_end,
    )
    charts["lifecycle"] = freeze(lifecycle)
    churned = metrics.churn(
        ev,
        period="month",
        date_from=period.year_ago.start,
        date_to=period.last_day,
        timezone=timezone,
        as_of=data_end,
    )
    judged = min(data_end, _quarter_end(period, timezone))
    found: list[kpis.Insight | None] = [
        *kpi_insights.rank_insights(
            list(kpi_insights.weak_cohort_insights(weekly, recent=13, min_drop=0.1, as_of=judged)),
            limit=1,
        ),
        kpi_insights.churn_spike_insight(churned, period="month", as_of=judged),
    ]
    return [i for i in found if i is not None]


# --- OKRs and roadmap decisions ------------------------------------------------------------------


def _rituals(
    store: Engine, period: Period, generated_at: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    as_of = min(period.last_day, generated_at.date())
    with Session(store) as session:
        return okr_results(session, period, as_of=as_of), roadmap_decisions(
            session, period, as_of=as_of
        )


def okr_results(session: Session, period: Period, *, as_of: dt.date) -> list[dict[str, Any]]:
    """The objectives of the period with their key results.

    A quarter shows the objectives of its label (``2026-Q3``); a month range those whose own
    period overlaps it, grouped by their period label, oldest first.

    Each objective: title, owner, team, progress, score, status; each key result: start,
    target, final (latest check-in), unit, progress, status, the confidence trend (every stated
    confidence, oldest first) and the last check-in's note and author.
    """
    if isinstance(period, MonthRange):
        views = [
            view
            for label in _overlapping_periods(session, period)
            for view in okr.load_period(session=session, period=label, as_of=as_of)
        ]
    else:
        views = okr.load_period(session=session, period=period.label, as_of=as_of)
    kr_ids = [kr.id for view in views for kr in view.key_results]
    confidences: dict[int, list[float]] = {}
    if kr_ids:
        query = (
            select(okr.CheckIn)
            .where(col(okr.CheckIn.key_result_id).in_(kr_ids))
            .order_by(col(okr.CheckIn.created_at), col(okr.CheckIn.id))
        )
        for check_in in session.exec(query).all():
            if check_in.confidence is not None:
                confidences.setdefault(check_in.key_result_id, []).append(check_in.confidence)
    return [
        {
            "title": view.title,
            "owner": view.owner,
            "team": view.team,
            "progress": view.progress,
            "score": view.score,
            "status": _status(view.status),
            "key_results": [
                {
                    "title": kr.title,
                    "unit": kr.unit,
                    "start": kr.start,
                    "target": kr.target,
                    "final": kr.current,
                    "progress": kr.progress,
                    "status": _status(kr.status),
                    "confidence": confidences.get(kr.id, []),
                    "last_note": kr.last_note,
                    "last_author": kr.last_author,
                }
                for kr in view.key_results
            ],
        }
        for view in views
    ]


def _overlapping_periods(session: Session, period: MonthRange) -> list[str]:
    """The OKR period labels with an objective whose period overlaps *period*, oldest first."""
    query = (
        select(okr.Objective.period, sa_func.min(okr.Objective.period_start))
        .where(col(okr.Objective.period_start) <= period.last_day)
        .where(col(okr.Objective.period_end) >= period.start)
        .group_by(col(okr.Objective.period))
    )
    rows = session.exec(query).all()
    return [label for label, _ in sorted(rows, key=lambda row: (row[1], row[0]))]


def _status(value: str | None) -> str:
    if value is None:
        return "no key results yet"
    return str(okr.STATUS_LABELS.get(value, value))


def roadmap_decisions(session: Session, period: Period, *, as_of: dt.date) -> list[dict[str, Any]]:
    """The decisions of the critique sessions held in the quarter, in the sessions' rank order.

    Each: session, held on, item key and title, decision, rationale, who decided, the overall mean
    score and spread of the reviewers, whether they disagreed, and the linked key results.
    """
    found: list[dict[str, Any]] = []
    sessions = critique.list_sessions(session=session)
    for row in reversed(sessions):  # oldest first
        if not (period.start <= row.held_on < period.end) or row.id is None:
            continue
        summary = critique.summarise_session(session=session, session_id=row.id)
        for item in summary.table.to_dict("records"):
            if not item["decision"]:
                continue
            item_id = int(item["item_id"])
            linked = critique.linked_key_results(session=session, item_id=item_id, as_of=as_of)
            found.append(
                {
                    "session": row.name,
                    "held_on": row.held_on.isoformat(),
                    "key": item["key"] or "",
                    "item": item["title"],
                    "decision": str(
                        critique.DECISION_LABELS.get(item["decision"], item["decision"])
                    ),
                    "rationale": item["rationale"] or "",
                    "decided_by": item["decided_by"] or "",
                    "score": _float(item.get("overall_mean")),
                    "spread": _float(item.get("spread")),
                    "disagreement": "disagreement" in summary.flags.get(item_id, []),
                    "key_results": [
                        f"{r['objective']} › {r['key_result']}" for r in linked.to_dict("records")
                    ],
                }
            )
    return found


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- customer evidence ---------------------------------------------------------------------------


def _evidence(
    store: Engine | None, period: Period, subscriptions: Any = None, *, limit: int = 10
) -> list[dict[str, Any]]:
    """Top customer themes of the quarter from the insight repository, when it exists.

    *subscriptions* (canonical, pandas) lets the repository weigh each theme by the MRR of the
    customers behind it.
    """
    if store is None:
        return []
    try:
        quarter_evidence = importlib.import_module("prodops.research").quarter_evidence
    except (ImportError, AttributeError):
        return []
    frame = quarter_evidence(
        store, date_from=period.start, date_to=period.last_day, subscriptions=subscriptions
    )
    if frame is None or len(frame) == 0:
        return []
    columns = [c for c in ("insight", "notes", "customers", "mrr") if c in frame.columns]
    return [
        {c: _plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[columns].head(limit).itertuples(index=False, name=None)
    ]


def _subscriptions_frame(table: Any) -> pd.DataFrame:
    """The canonical subscription columns as pandas (for the evidence's MRR weights)."""
    frame: pd.DataFrame = table.select("customer_id", "start", "end", "mrr").to_pandas()
    return frame
