"""The weekly check-in ritual: my key results, and who has not checked in this week.

A week runs Monday to Sunday (UTC), the week that holds ``as_of``. Every active key result of an
objective whose period has started asks for one check-in **by a person** each week (its value,
confidence and a note): a metric refresh updates a bound key result's value but states no
confidence, so it does not count. Names are compared as people type them, ignoring case and runs
of spaces ("ana  lima" is "Ana Lima").

Examples
--------
>>> import datetime as dt
>>> week_start(dt.date(2026, 12, 3))  # a Thursday
datetime.date(2026, 11, 30)
>>> same_person(" ana  lima", "Ana Lima")
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from prodops.okr.report import KeyResultView, ObjectiveView

NO_OWNER = "(no owner)"
MY_COLUMNS = (
    "key_result_id",
    "key_result",
    "objective",
    "current",
    "target",
    "unit",
    "progress",
    "status",
    "last_check_in",
    "needs_check_in",
)
MISSING_COLUMNS = ("owner", "key_results", "titles", "last_check_in")


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week that holds *day*."""
    return day - dt.timedelta(days=day.weekday())


def same_person(a: str, b: str) -> bool:
    """True when two typed names are the same person (case and spaces ignored)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def needs_check_in(kr: KeyResultView, objective: ObjectiveView, *, as_of: dt.date) -> bool:
    """True when *kr* is due this week and no person has checked in on it since Monday."""
    if kr.archived or objective.archived or not objective.period_start <= as_of:
        return False
    if as_of > objective.period_end + dt.timedelta(days=7):  # a closed period asks no more
        return False
    last = kr.last_person_check_in_at
    return last is None or last.astimezone(dt.UTC).date() < week_start(as_of)


def _due(views: Sequence[ObjectiveView]) -> list[tuple[ObjectiveView, KeyResultView]]:
    return [(v, kr) for v in views if not v.archived for kr in v.key_results if not kr.archived]


def my_key_results(views: Sequence[ObjectiveView], *, person: str, as_of: dt.date) -> pd.DataFrame:
    """The key results *person* owns (theirs, or of an objective they own when the key result
    has no owner), those that need a check-in this week first.

    Columns are :data:`MY_COLUMNS`; ``last_check_in`` is the latest check-in by a person (UTC).
    """
    rows = [
        {
            "key_result_id": kr.id,
            "key_result": kr.title,
            "objective": v.title,
            "current": kr.current,
            "target": kr.target,
            "unit": kr.unit,
            "progress": kr.progress,
            "status": kr.status,
            "last_check_in": kr.last_person_check_in_at,
            "needs_check_in": needs_check_in(kr, v, as_of=as_of),
        }
        for v, kr in _due(views)
        if same_person(kr.owner or v.owner, person)
    ]
    frame = pd.DataFrame(rows, columns=list(MY_COLUMNS))
    frame["needs_check_in"] = frame["needs_check_in"].astype(bool)
    return frame.sort_values("needs_check_in", ascending=False, kind="stable").reset_index(
        drop=True
    )


def missing_check_ins(views: Sequence[ObjectiveView], *, as_of: dt.date) -> pd.DataFrame:
    """Who has not checked in this week: per owner, the key results still waiting.

    The owner of a key result is its own owner, else its objective's, else :data:`NO_OWNER`.
    Columns are :data:`MISSING_COLUMNS`; ``last_check_in`` is the owner's latest check-in on
    any of those key results (missing when never); owners sorted by name.

    Examples
    --------
    >>> missing_check_ins([], as_of=dt.date(2026, 12, 1)).columns.tolist()
    ['owner', 'key_results', 'titles', 'last_check_in']
    """
    waiting: dict[str, list[KeyResultView]] = {}
    names: dict[str, str] = {}
    for v, kr in _due(views):
        if needs_check_in(kr, v, as_of=as_of):
            owner = " ".join((kr.owner or v.owner).split()) or NO_OWNER
            names.setdefault(owner.casefold(), owner)
            waiting.setdefault(owner.casefold(), []).append(kr)
    rows = []
    for key in sorted(waiting):
        krs = waiting[key]
        stamps = [k.last_person_check_in_at for k in krs if k.last_person_check_in_at]
        rows.append(
            {
                "owner": names[key],
                "key_results": len(krs),
                "titles": "; ".join(k.title for k in krs),
                "last_check_in": max(stamps) if stamps else None,
            }
        )
    return pd.DataFrame(rows, columns=list(MISSING_COLUMNS))
