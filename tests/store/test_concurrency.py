"""No lost edits: 8 threads x 20 read-modify-write updates through one engine (DESIGN.md pitfall).

Each update reads the key result (its target and version) in one session, then writes target + 1
with ``seen_version`` in another, as a page does between two reruns. A stale write is retried up to
``RETRIES`` times and otherwise recorded as refused. Every one of the 160 updates must end applied
or explicitly refused, the target must have grown by exactly the number applied, and no thread may
see "database is locked" or any other error.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy.engine import Engine

from prodops.errors import StaleEditError
from prodops.okr import crud as okr_crud
from prodops.okr.models import KeyResultCreate, ObjectiveCreate
from prodops.store import versioning
from prodops.store.db import read_session, write_session

THREADS = 8
UPDATES = 20
RETRIES = 200


def _setup(engine: Engine) -> int:
    with write_session(engine) as session:
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


def _one_update(engine: Engine, kr_id: int) -> str:
    for _attempt in range(RETRIES):
        with read_session(engine) as session:
            kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
            seen, target = kr.version, kr.target_value
        try:
            with write_session(engine) as session:
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
    engine: Engine,
) -> None:
    kr_id = _setup(engine)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        start.wait()
        for _ in range(UPDATES):
            try:
                outcome = _one_update(engine, kr_id)
            except BaseException as error:  # recorded and asserted below
                with lock:
                    errors.append(error)
                continue
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [str(e) for e in errors] == []
    applied = outcomes.count("applied")
    assert applied + outcomes.count("refused") == THREADS * UPDATES == 160
    with read_session(engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=kr_id)
        log = versioning.edit_log(session=session, entity="key_result", entity_id=kr_id)
    assert kr.target_value == applied  # started at 0: every applied +1 is there, none lost
    assert kr.version == 1 + applied
    assert [entry.version for entry in log] == list(range(2, applied + 2))
