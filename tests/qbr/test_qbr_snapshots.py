"""Snapshots: saved numbers survive the dataset changing; regenerating lists what changed; the
narrative is edited with the safe-edit rule; OKRs and decisions of the quarter are in the report."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from prodops.errors import NotFoundError, StaleEditError
from prodops.qbr import (
    Dataset,
    Report,
    build_qbr,
    find_report,
    list_reports,
    narrative_of,
    regenerate,
    report_of,
    save_report,
    update_narrative,
)
from prodops.store.db import read_session, write_session
from qbr.data import HOSTILE, NOW


def _build(events: pd.DataFrame, subs: pd.DataFrame, store: Engine | None, version: int) -> Report:
    return build_qbr(
        "2026-Q2",
        store=store,
        generated_at=NOW,
        events=Dataset.of_frame(events, "ev", version),
        subscriptions=Dataset.of_frame(subs, "subs", 1),
    )


def _late_rows(events: pd.DataFrame) -> pd.DataFrame:
    """30 users active every day of May 2026, arriving after the first save."""
    days = pd.date_range("2026-05-01 12:00", "2026-05-31 12:00", freq="D", tz="UTC")
    rows = [(f"late{n}", "open", day, "pro") for n in range(30) for day in days]
    extra = pd.DataFrame(rows, columns=list(events.columns))
    return pd.concat([events, extra], ignore_index=True)


def test_a_snapshot_keeps_its_numbers_and_regenerating_lists_the_changed_ones(
    events: pd.DataFrame, subscriptions: pd.DataFrame, any_store: Engine
) -> None:
    store = any_store
    first = _build(events, subscriptions, store, 1)
    with write_session(store) as s:
        saved = save_report(session=s, report=first, narrative={"summary": "A good quarter"})
        saved_id, seen = int(saved.id or 0), saved.version
    assert (
        saved.revision == 1 and saved.events_version == 1 and saved.subscriptions_dataset == "subs"
    )

    grown = _late_rows(events)
    second = _build(grown, subscriptions, store, 2)
    dau_before, dau_after = first.headline("dau").value, second.headline("dau").value
    assert dau_before is not None and dau_after is not None
    assert dau_after == pytest.approx(dau_before + 30 * 31 / 91)  # 30 more users on 31 of 91 days

    with read_session(store) as s:  # reopened: the numbers of the day it was saved
        reopened = report_of(find_report(session=s, quarter="2026-Q2"))
    assert reopened.to_dict() == first.to_dict()
    assert reopened.headline("dau").value == dau_before

    with write_session(store) as s:
        result = regenerate(session=s, report_id=saved_id, report=second)
        new_id = int(result.row.id or 0)
    changed = {label for label, _, _ in result.changed}
    assert {"DAU", "WAU", "MAU", "DAU/MAU"} <= changed
    assert not changed & {"MRR", "ARR", "Net revenue retention", "Logo churn"}  # revenue unchanged
    dau_change = next(c for c in result.changed if c[0] == "DAU")
    assert dau_change[1:] == (first.headline("dau").formatted(), second.headline("dau").formatted())

    with read_session(store) as s:
        rows = list_reports(session=s)
        assert [(r.quarter, r.revision) for r in rows] == [("2026-Q2", 2), ("2026-Q2", 1)]
        assert narrative_of(rows[0])["summary"] == "A good quarter"  # carried over
        assert rows[0].events_version == 2 and rows[1].events_version == 1
        assert (
            report_of(find_report(session=s, quarter="2026-Q2", revision=1)).headline("dau").value
            == dau_before
        )
    with write_session(store) as s:
        edited = update_narrative(
            session=s, report_id=saved_id, seen_version=seen, values={"wins": "Retention up"}
        )
    assert edited.version == seen + 1 and edited.wins == "Retention up"
    with (
        write_session(store) as s,
        pytest.raises(StaleEditError, match="wins is now 'Retention up'"),
    ):
        update_narrative(session=s, report_id=saved_id, seen_version=seen, values={"wins": "x"})
    with read_session(store) as s, pytest.raises(NotFoundError, match="no saved QBR for 2025-Q1"):
        find_report(session=s, quarter="2025-Q1")
    assert new_id != saved_id


def test_the_report_holds_the_quarters_okrs_and_roadmap_decisions(
    events: pd.DataFrame, subscriptions: pd.DataFrame, any_store: Engine
) -> None:
    store = any_store
    report = _build(events, subscriptions, store, 1)
    (objective,) = report.okrs
    assert objective["title"] == f"Grow {HOSTILE}"
    retention, churn = objective["key_results"]
    # 20 -> 30, last check-in 25: progress 0.5; 5 -> 3, last 6: progress -0.5.
    assert (retention["start"], retention["target"], retention["final"]) == (20.0, 30.0, 25.0)
    assert retention["progress"] == pytest.approx(0.5)
    assert churn["progress"] == pytest.approx(-0.5)
    assert retention["confidence"] == [0.7, 0.4]  # the trend, oldest first
    assert churn["last_note"] == f"week 1: {HOSTILE}" and churn["last_author"] == "Ann"
    # the OKR rule clamps each key result to [0, 1] before the weighted mean: (0.5 + 0) / 2
    assert objective["progress"] == pytest.approx(0.25)
    approved, rejected = report.decisions
    assert (approved["item"], approved["decision"], approved["session"]) == (
        HOSTILE,
        "Approve",
        "May critique",
    )
    assert approved["score"] == pytest.approx(100.0) and approved["disagreement"] is False
    assert approved["key_results"] == [f"Grow {HOSTILE} › Week-4 retention"]
    assert rejected["item"] == "Dark mode" and rejected["disagreement"] is True
    assert rejected["spread"] == pytest.approx(100.0)
