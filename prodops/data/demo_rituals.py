"""Example rituals for a first start: a quarter of OKRs and a finished roadmap critique.

:func:`create_examples` writes, into an empty store, the quarter that holds the demo data's end
(2026-Q4): two objectives whose key results are bound to the demo datasets' metrics (weekly
active users, week-1 retention, net revenue retention) plus one tracked by hand, each with weekly
check-ins by its owner over October; and five roadmap items (some linked to those key results,
some with evidence) with a closed critique session scored by three reviewers and decided. The
quarter before (2026-Q3) is there too, closed: two objectives tracked by hand with monthly
check-ins (misses with their reasons) and a decided critique, so its quarterly business review
has OKR results and roadmap decisions beside the numbers.

Everything is marked as an example: objectives, items and the session carry :data:`EXAMPLE_NOTE`
in their description (the session in its name, :data:`EXAMPLE_SESSION_PREFIX`), and item keys
start with :data:`EXAMPLE_KEY_PREFIX`. :func:`prodops.data.example_removal.remove_examples`
deletes exactly those rows (an objective whose description someone rewrote is theirs now and
stays). The weekly active users
and net revenue retention check-ins are the shipped demo data's values (``prodops active-users``,
``prodops revenue``), so a metric refresh continues the same series.

Examples
--------
>>> import tempfile
>>> from prodops.data.example_removal import has_examples, remove_examples
>>> from prodops.store.db import init_store, read_session, write_session
>>> tmp = tempfile.TemporaryDirectory()
>>> engine = init_store(f"sqlite:///{tmp.name}/store.db")
>>> with write_session(engine) as session:
...     created = create_examples(session=session)
>>> created
ExampleCounts(objectives=4, key_results=8, check_ins=32, items=8, sessions=2)
>>> with write_session(engine) as session:
...     remove_examples(session=session) == created
True
>>> with read_session(engine) as session:
...     has_examples(session=session)
False
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from prodops.critique import crud as critique_crud
from prodops.critique import scoring
from prodops.critique.frameworks import framework
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.okr.rules import period_bounds

EXAMPLE_NOTE = "Example created by prodops setup: remove all examples with one click."
EXAMPLE_KEY_PREFIX = "example:"
EXAMPLE_SESSION_PREFIX = "Example: "
EXAMPLE_PERIOD = "2026-Q4"  # the quarter that holds the demo data's end (2026-10-31)
EVENTS = "demo-events"
SUBSCRIPTIONS = "demo-subscriptions"
# Monday mornings of the weeks with demo data: each check-in reports the week before it.
CHECK_IN_DAYS = tuple(dt.date(2026, 10, day) for day in (5, 12, 19, 26))


@dataclass(frozen=True)
class ExampleCounts:
    """How many example rows of each kind were created or removed."""

    objectives: int = 0
    key_results: int = 0
    check_ins: int = 0
    items: int = 0
    sessions: int = 0


# (title, owner, team, key results); a key result is (title, unit, start, target, owner,
# binding (dataset, metric, params) or None, weekly (value, confidence) check-ins).
_OKRS = (
    (
        "Example: More teams make the product a weekly habit",
        "Priya",
        "Growth",
        (
            (
                "Weekly active users",
                "users",
                4000.0,
                5000.0,
                "Priya",
                (EVENTS, "active_users", {"window_days": 7}),
                ((4098, 0.6), (4159, 0.6), (4334, 0.7), (4406, 0.7)),
            ),
            (
                "Week-1 retention of new users",
                "%",
                60.0,
                68.0,
                "Sam",
                (EVENTS, "retention", {"period": "week", "offset": 1}),
                ((61.0, 0.5), (67.2, 0.6), (61.0, 0.5), (62.4, 0.5)),
            ),
        ),
    ),
    (
        "Example: Keep the revenue we have",
        "Alex",
        "Revenue",
        (
            (
                "Net revenue retention",
                "%",
                97.0,
                100.0,
                "Alex",
                (SUBSCRIPTIONS, "revenue", {"column": "nrr", "period": "month"}),
                ((98.3, 0.5), (98.3, 0.5), (98.3, 0.6), (98.3, 0.6)),
            ),
            (
                "Churn interviews held",
                "interviews",
                0.0,
                20.0,
                "Alex",
                None,
                ((3, 0.7), (7, 0.7), (10, 0.8), (14, 0.8)),
            ),
        ),
    ),
)

# (key, title, owner, effort, evidence notes, key-result titles it serves)
_ITEMS = (
    ("onboarding", "Onboarding checklist", "Sam", 3.0, ("Week-1 drop-off in the funnel",), (1,)),
    ("digest", "Weekly e-mail digest", "Priya", 2.0, ("12 customer requests",), (0,)),
    ("pricing", "Usage-based pricing tier", "Alex", 8.0, (), (2,)),
    ("slack", "Slack alerts for reports", "Priya", 2.0, ("Interview notes, 5 teams",), ()),
    ("dark-mode", "Dark mode", "Sam", 1.0, (), ()),
)
# Reviewer -> default-rubric scores per item, in _ITEMS order: customer value, alignment,
# evidence, confidence, effort (1-5; effort lower is better).
_SCORES = {
    "Dana": ((5, 5, 4, 4, 2), (4, 4, 3, 3, 2), (4, 4, 1, 2, 5), (3, 2, 3, 4, 2), (2, 1, 1, 3, 1)),
    "Lee": ((4, 5, 4, 4, 3), (4, 3, 3, 4, 2), (5, 4, 2, 2, 4), (3, 2, 3, 3, 2), (1, 1, 1, 4, 1)),
    "Mia": ((5, 4, 5, 5, 2), (3, 4, 2, 3, 2), (3, 3, 1, 2, 5), (4, 2, 4, 3, 2), (2, 1, 2, 3, 1)),
}
_DECISIONS = (
    ("approve", "Biggest lever on week-1 retention; the funnel shows where people stop."),
    ("approve_with_changes", "Start with a monthly digest to test interest."),
    ("needs_evidence", "No customer evidence yet: run five pricing interviews first."),
    ("approve", "Cheap, asked for by five teams."),
    ("reject", "Nice to have; no objective it serves this quarter."),
)


# The quarter before, closed: what a quarterly business review of 2026-Q3 reports. Key results are
# tracked by hand (they are history; a refresh must not rewrite them); check-ins close each month.
CLOSED_PERIOD = "2026-Q3"
CLOSED_CHECK_IN_DAYS = tuple(dt.date(2026, m, d) for m, d in ((7, 6), (8, 3), (8, 31), (9, 28)))
# The same shape as _OKRS; no binding, and each check-in carries its note.
_CLOSED_OKRS = (
    (
        "Example: New teams reach their first report faster",
        "Sam",
        "Activation",
        (
            (
                "Median minutes to the first report",
                "min",
                30.0,
                15.0,
                "Sam",
                None,
                (
                    (28, 0.5, "Templates shipped to 10 % of sign-ups."),
                    (22, 0.6, "Templates for everyone; sample data on the empty state."),
                    (19, 0.6, "Guided setup in beta."),
                    (17, 0.7, "Guided setup for everyone; short of 15 by two minutes."),
                ),
            ),
            (
                "Activation rate of new sign-ups",
                "%",
                40.0,
                50.0,
                "Sam",
                None,
                (
                    (41.0, 0.5, "Baseline week."),
                    (44.0, 0.6, "Checklist helps small teams most."),
                    (46.0, 0.5, "August pricing test brought low-intent sign-ups."),
                    (45.0, 0.4, "Missed: the pricing test diluted sign-ups; rerun in Q4."),
                ),
            ),
        ),
    ),
    (
        "Example: Launch annual plans",
        "Alex",
        "Revenue",
        (
            (
                "Customers on annual plans",
                "customers",
                0.0,
                60.0,
                "Alex",
                None,
                (
                    (12, 0.6, "Launched to existing customers."),
                    (30, 0.7, "Discount banner in billing."),
                    (48, 0.8, "Sales offers annual first."),
                    (63, 0.9, "Target met."),
                ),
            ),
            (
                "Refund requests on annual plans per month",
                "requests",
                10.0,
                3.0,
                "Alex",
                None,
                (
                    (9, 0.5, "Unclear proration is the top reason."),
                    (7, 0.6, "Proration explained at checkout."),
                    (6, 0.5, "Remaining requests are plan downgrades."),
                    (5, 0.5, "Missed by two: downgrade path still refunds by hand."),
                ),
            ),
        ),
    ),
)
_CLOSED_ITEMS = (
    ("guided-setup", "Guided setup wizard", "Sam", 5.0, ("Session recordings: 40 % stall",), (0,)),
    ("annual-plans", "Annual plans with a discount", "Alex", 3.0, ("Sales: 8 deals asked",), (2,)),
    ("csv-schedule", "Scheduled CSV exports", "Priya", 2.0, (), ()),
)
_CLOSED_SCORES = {
    "Dana": ((5, 5, 4, 4, 3), (4, 5, 4, 4, 2), (2, 1, 2, 3, 2)),
    "Lee": ((4, 5, 3, 4, 3), (5, 4, 4, 3, 2), (3, 2, 1, 3, 1)),
    "Mia": ((5, 4, 4, 3, 3), (4, 5, 3, 4, 2), (2, 2, 2, 2, 1)),
}
_CLOSED_DECISIONS = (
    ("approve", "Fastest path to the activation objective."),
    ("approve", "Pays for itself; sales already asks for it."),
    ("reject", "No objective it serves this quarter; revisit with evidence."),
)


def create_examples(*, session: Session) -> ExampleCounts:
    """Create the example OKRs and critique in a write *session*; return what was created."""
    key_result_ids, check_ins = _create_okrs(session, EXAMPLE_PERIOD, _OKRS, CHECK_IN_DAYS)
    item_ids = _create_items(session, key_result_ids)
    _create_session(session, item_ids)
    closed = _create_closed_quarter(session)
    return ExampleCounts(
        len(_OKRS) + closed.objectives,
        len(key_result_ids) + closed.key_results,
        check_ins + closed.check_ins,
        len(item_ids) + closed.items,
        1 + closed.sessions,
    )


def _create_closed_quarter(session: Session) -> ExampleCounts:
    """The closed quarter before: OKRs with their final check-ins and a decided critique."""
    key_result_ids, check_ins = _create_okrs(
        session, CLOSED_PERIOD, _CLOSED_OKRS, CLOSED_CHECK_IN_DAYS
    )
    item_ids = _create_items(session, key_result_ids, items=_CLOSED_ITEMS, period=CLOSED_PERIOD)
    _create_session(
        session,
        item_ids,
        period=CLOSED_PERIOD,
        held_on=dt.date(2026, 7, 8),
        reviewer_scores=_CLOSED_SCORES,
        decisions=_CLOSED_DECISIONS,
    )
    return ExampleCounts(len(_CLOSED_OKRS), len(key_result_ids), check_ins, len(item_ids), 1)


def _create_okrs(
    session: Session, period: str, okrs: tuple[Any, ...], days: tuple[dt.date, ...]
) -> tuple[list[int], int]:
    """Objectives of *period* with their key results and check-ins on *days*; returns the key
    results' ids and the number of check-ins. A check-in is ``(value, confidence[, note])``."""
    start, end = period_bounds(period)
    key_result_ids: list[int] = []
    check_ins = 0
    for title, owner, team, key_results in okrs:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title=title,
                description=EXAMPLE_NOTE,
                owner=owner,
                team=team,
                period=period,
                period_start=start,
                period_end=end,
            ),
        )
        for kr_title, unit, start_value, target, kr_owner, binding, entries in key_results:
            dataset, metric, params = binding or (None, None, None)
            kr = okr_crud.create_key_result(
                session=session,
                key_result_in=KeyResultCreate(
                    objective_id=objective.id or 0,
                    title=kr_title,
                    unit=unit,
                    start_value=start_value,
                    target_value=target,
                    owner=kr_owner,
                    binding_dataset=dataset,
                    binding_metric=metric,
                    binding_params=json.dumps(params) if params else None,
                ),
            )
            key_result_ids.append(kr.id or 0)
            for day, (value, confidence, *note) in zip(days, entries, strict=True):
                okr_crud.add_check_in(
                    session=session,
                    check_in_in=CheckInCreate(
                        key_result_id=kr.id or 0,
                        value=float(value),
                        confidence=confidence,
                        note=note[0]
                        if note
                        else f"Week to {day - dt.timedelta(days=1)} (example check-in)",
                        author=kr_owner,
                        created_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
                    ),
                )
                check_ins += 1
    return key_result_ids, check_ins


def _create_items(
    session: Session,
    key_result_ids: list[int],
    *,
    items: tuple[tuple[str, str, str, float, tuple[str, ...], tuple[int, ...]], ...] = _ITEMS,
    period: str = EXAMPLE_PERIOD,
) -> list[int]:
    ids = []
    for key, title, owner, effort, evidence, serves in items:
        item = critique_crud.create_item(
            session=session,
            item_in=RoadmapItemCreate(
                key=EXAMPLE_KEY_PREFIX + key,
                title=title,
                description=EXAMPLE_NOTE,
                owner=owner,
                target_period=period,
                effort=effort,
                evidence=[{"link": "", "note": note} for note in evidence],
            ),
        )
        item_id = item.id or 0
        critique_crud.link_key_results(
            session=session, item_id=item_id, key_result_ids=[key_result_ids[i] for i in serves]
        )
        ids.append(item_id)
    return ids


def _create_session(
    session: Session,
    item_ids: list[int],
    *,
    period: str = EXAMPLE_PERIOD,
    held_on: dt.date = dt.date(2026, 10, 20),
    reviewer_scores: Mapping[str, tuple[tuple[int, ...], ...]] = _SCORES,
    decisions: tuple[tuple[str, str], ...] = _DECISIONS,
) -> None:
    rubric = framework("rubric")
    row = critique_crud.create_session(
        session=session,
        session_in=CritiqueSessionCreate(
            name=EXAMPLE_SESSION_PREFIX + f"{period} roadmap review",
            held_on=held_on,
            framework=rubric.to_dict(),
            participants=list(reviewer_scores),
        ),
        item_ids=item_ids,
    )
    session_id = row.id or 0
    for reviewer, rows in reviewer_scores.items():
        scores = {
            item_id: dict(zip(rubric.keys, values, strict=True))
            for item_id, values in zip(item_ids, rows, strict=True)
        }
        scoring.submit_scores(
            session=session, session_id=session_id, reviewer=reviewer, scores=scores
        )
    for item_id, (decision, rationale) in zip(item_ids, decisions, strict=True):
        scoring.record_decision(
            session=session,
            session_id=session_id,
            item_id=item_id,
            decision=decision,
            rationale=rationale,
            decided_by="Dana",
        )
    critique_crud.set_session_status(
        session=session, session_id=session_id, seen_version=row.version, status="closed"
    )
