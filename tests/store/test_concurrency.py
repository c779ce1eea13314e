"""No lost edits: 8 writers x 20 read-modify-write updates through one engine (DESIGN.md pitfall).

Each update reads the key result (its target and version) in one session, then writes target + 1
with ``seen_version`` in another, as a page does between two reruns. A stale write is retried up to
``RETRIES`` times and otherwise recorded as refused. Every one of the 160 updates must end applied
or explicitly refused, the target must have grown by exactly the number applied, and no thread may
see "database is locked" or any other error.

With identities (issue 15): roles are on, each thread writes as its own editor, and the audit
trail holds exactly one update entry per applied edit, by the writer who made it, with the
target before and after.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter

import pytest
from sqlalchemy.engine import Engine

from prodops.errors import StaleEditError
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store import audit, versioning
from prodops.store.access import SYSTEM
from prodops.store.audit import AuditFilter
from prodops.store.db import read_session, write_session

THREADS = 8
UPDATES = 20
RETRIES = 200


def _setup(engine: Engine) -> int:
    with write_session(engine, actor=SYSTEM) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Load",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            ),
        )
        assert objective.id is not None
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id, title="Counter", start_value=-1.0, target_value=0.0
            ),
        )
    assert kr.id is not None
    return kr.id


def _one_update(engine: Engine, kr_id: int, writer: str) -> str:
    for _attempt in range(RETRIES):
        with read_session(engine) as session:
            kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
            seen, target = kr.version, kr.target_value
        try:
            with write_session(engine, actor=writer) as session:
                okr_crud.update_key_result(
                    session=session,
                    key_result_id=kr_id,
                    seen_version=seen,
                    changes={"target_value": target + 1},
                )
            return "applied"
        except StaleEditError:
            continue
    return "refused"


def test_concurrent_read_modify_write_updates_are_applied_or_refused_never_lost(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_ADMINS", "lead@example.com")
    monkeypatch.setenv("PRODOPS_DEFAULT_ROLE", "editor")
    kr_id = _setup(engine)
    outcomes: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(writer: str) -> None:
        start.wait()
        for _ in range(UPDATES):
            try:
                outcome = _one_update(engine, kr_id, writer)
            except BaseException as error:  # recorded and asserted below
                with lock:
                    errors.append(error)
                continue
            with lock:
                outcomes.append((writer, outcome))

    writers = [f"writer{n}@example.com" for n in range(THREADS)]
    threads = [threading.Thread(target=worker, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [str(e) for e in errors] == []
    applied = [o for _, o in outcomes].count("applied")
    assert applied + [o for _, o in outcomes].count("refused") == THREADS * UPDATES == 160
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
        log = versioning.edit_log(session=session, entity="key_result", entity_id=kr_id)
    assert kr.target_value == applied  # started at 0: every applied +1 is there, none lost
    assert kr.version == 1 + applied
    assert [entry.version for entry in log] == list(range(2, applied + 2))
    with read_session(engine) as session:
        trail = audit.list_entries(session=session, where=AuditFilter(entity="key_result"))
    updates = sorted((e for e in trail if e.action == "update"), key=lambda e: e.id or 0)
    assert len(updates) == applied
    assert Counter(e.actor for e in updates) == Counter(w for w, o in outcomes if o == "applied")
    assert {e.role for e in updates} == {"editor"}
    targets = [
        (json.loads(e.before or "")["target_value"], json.loads(e.after or "")["target_value"])
        for e in updates
    ]
    assert targets == [(float(n), float(n + 1)) for n in range(applied)]


def test_concurrent_inserts_are_each_audited_under_their_own_writer(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLAlchemy reuses one INSERT statement for every flush of a table: writers running at the
    same time (in parallel on PostgreSQL) must still each get their own audit entries."""
    monkeypatch.setenv("PRODOPS_ADMINS", "lead@example.com")
    monkeypatch.setenv("PRODOPS_DEFAULT_ROLE", "editor")
    kr_id = _setup(engine)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(writer: str) -> None:
        start.wait()
        try:
            for n in range(UPDATES):
                with write_session(engine, actor=writer) as session:
                    okr_crud.add_check_in(
                        session=session,
                        check_in_in=CheckInCreate(key_result_id=kr_id, value=n, author=writer),
                    )
        except BaseException as error:  # asserted below
            errors.append(error)

    writers = [f"writer{n}@example.com" for n in range(THREADS)]
    threads = [threading.Thread(target=worker, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [str(e) for e in errors] == []
    with read_session(engine) as session:
        trail = audit.list_entries(session=session, where=AuditFilter(entity="check_in"))
        stored = {c.id: c.author for c in okr_crud.history(session=session, key_result_id=kr_id)}
    assert len(stored) == THREADS * UPDATES == len(trail)
    for entry in trail:  # the entry names the check-in its writer wrote, by its id
        assert (
            stored[int(entry.entity_id)] == entry.actor == json.loads(entry.after or "")["author"]
        )
