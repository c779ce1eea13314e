"""Engine set-up and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

import prodops.store.versioning  # noqa: F401  (registers the edit log)
from prodops.critique.models import CRITIQUE_TABLES, RoadmapItem
from prodops.errors import BackendError
from prodops.okr import crud as okr_crud
from prodops.okr.models import OKR_TABLES, CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store.db import (
    alembic_config,
    current_revision,
    get_engine,
    init_store,
    migrate,
    read_session,
    write_session,
)

Q4: dict[str, Any] = {
    "period": "2026-Q4",
    "period_start": dt.date(2026, 10, 1),
    "period_end": dt.date(2026, 12, 31),
}


def _head(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def _tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _seed(engine: Engine) -> dict[str, int]:
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session, objective_in=ObjectiveCreate(title="Grow activation", **Q4)
        )
        assert objective.id is not None
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id,
                title="Week-1 retention",
                start_value=0.2,
                target_value=0.3,
                unit="rate",
            ),
        )
        assert kr.id is not None
        okr_crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(
                key_result_id=kr.id, value=0.25, confidence=0.6, author="ana"
            ),
        )
        return {"objective": objective.id, "key_result": kr.id}


def test_upgrading_an_empty_database_creates_the_okr_tables_at_head(bare_engine: Engine) -> None:
    assert current_revision(bare_engine) is None
    migrate(bare_engine)
    assert current_revision(bare_engine) == _head(bare_engine)
    assert set(OKR_TABLES) <= _tables(bare_engine)


def test_the_migrations_create_exactly_what_the_models_declare(engine: Engine) -> None:
    # Every table of every feature (the migration environment imports them all), not just OKRs.
    declared = set(SQLModel.metadata.tables)
    assert set(OKR_TABLES) | set(CRITIQUE_TABLES) <= declared
    assert declared <= _tables(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs: list[Any] = compare_metadata(context, SQLModel.metadata)
    assert diffs == []


def _seed_as_stored_at(engine: Engine, revision: str) -> dict[str, int]:
    """The rows of :func:`_seed`, inserted through the tables as they were at *revision*.

    Today's models have columns later revisions added, so the ORM cannot write into an old
    schema; SQLAlchemy Core on the reflected tables can.
    """
    migrate(engine, revision=revision)
    assert current_revision(engine) == revision
    meta = sa.MetaData()
    tables = {name: sa.Table(name, meta, autoload_with=engine) for name in OKR_TABLES}
    now = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    stamps = {"created_at": now, "updated_at": now, "archived": False, "version": 1}
    with engine.begin() as connection:
        objective = connection.execute(
            tables["objective"].insert().returning(tables["objective"].c.id),
            {"title": "Grow activation", "description": "", "owner": "", "team": "", **Q4,
             "parent_id": None, **stamps},
        ).scalar_one()  # fmt: skip
        kr = connection.execute(
            tables["key_result"].insert().returning(tables["key_result"].c.id),
            {"objective_id": objective, "title": "Week-1 retention", "unit": "rate",
             "start_value": 0.2, "target_value": 0.3, "weight": 1.0, "owner": "",
             "binding_dataset": "events", "binding_metric": "retention",
             "binding_params": None, "last_refresh_error": None, "last_refreshed_at": None,
             **stamps},
        ).scalar_one()  # fmt: skip
        connection.execute(
            tables["check_in"].insert(),
            {"key_result_id": kr, "value": 0.25, "confidence": 0.6, "note": "", "author": "ana",
             "created_at": now},
        )  # fmt: skip
    return {"objective": objective, "key_result": kr}


def test_data_written_at_revision_0001_survives_the_upgrade_to_head(bare_engine: Engine) -> None:
    ids = _seed_as_stored_at(bare_engine, "0001")
    migrate(bare_engine)
    assert current_revision(bare_engine) == _head(bare_engine)
    with read_session(bare_engine) as session:
        objective = okr_crud.get_objective(session=session, objective_id=ids["objective"])
        [check_in] = okr_crud.history(session=session, key_result_id=ids["key_result"])
    assert (objective.title, objective.period_end) == ("Grow activation", dt.date(2026, 12, 31))
    assert (check_in.value, check_in.confidence, check_in.author) == (0.25, 0.6, "ana")
    assert check_in.created_at.tzinfo is not None


def test_rows_of_revision_0003_get_no_binding_unit_and_no_check_in_source(
    bare_engine: Engine,
) -> None:
    ids = _seed_as_stored_at(bare_engine, "0003")
    migrate(bare_engine, revision="0004")
    with read_session(bare_engine) as session:
        kr = okr_crud.get_key_result(session=session, key_result_id=ids["key_result"])
        [check_in] = okr_crud.history(session=session, key_result_id=ids["key_result"])
    assert (kr.binding_metric, kr.binding_unit) == ("retention", None)
    assert (check_in.value, check_in.source_dataset, check_in.source_version) == (0.25, None, None)
    assert check_in.source_period_start is None and check_in.source_data_end is None


def test_downgrading_0004_with_check_ins_in_place_drops_only_the_new_columns(
    engine: Engine,
) -> None:
    ids = _seed(engine)
    migrate(engine, revision="0003", downgrade=True)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("check_in")}
    assert not {c for c in columns if c.startswith("source_")}
    kr_columns = {c["name"] for c in sa.inspect(engine).get_columns("key_result")}
    assert "binding_unit" not in kr_columns and "binding_metric" in kr_columns
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT key_result_id, value FROM check_in")).all()
    assert [tuple(r) for r in rows] == [(ids["key_result"], 0.25)]
    migrate(engine)
    assert current_revision(engine) == _head(engine)


def test_downgrading_to_base_and_upgrading_again_rebuilds_the_schema(engine: Engine) -> None:
    _seed(engine)
    migrate(engine, revision="base", downgrade=True)
    assert current_revision(engine) is None
    assert not set(OKR_TABLES) & _tables(engine)
    migrate(engine)
    assert current_revision(engine) == _head(engine)
    with read_session(engine) as session:
        assert okr_crud.list_objectives(session=session) == []


def test_processes_starting_together_on_an_empty_database_all_reach_head(
    store_url: str, tmp_path: Any
) -> None:
    code = (
        "from prodops.store.db import current_revision, init_store\n"
        "print(current_revision(init_store()))"
    )
    env = {**os.environ, "PRODOPS_HOME": str(tmp_path), "PRODOPS_DATABASE_URL": store_url}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    engine = get_engine(store_url)
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    assert outputs == [_head(engine)] * 3
    engine.dispose()


def test_init_store_is_idempotent(store_url: str) -> None:
    engine = init_store(store_url)
    migrate(engine)  # a second run finds nothing to do
    assert current_revision(engine) == _head(engine)
    engine.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Any) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'pragma.sqlite'}")
    with engine.connect() as connection:
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        ]
    engine.dispose()
    assert pragmas == ["wal", 30_000, 1]


def test_sqlite_write_sessions_begin_immediate_and_read_sessions_plain_begin(
    tmp_path: Any,
) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'begin.sqlite'}")
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, stmt, *_a: seen.append(stmt))
    with write_session(engine) as session:
        okr_crud.list_objectives(session=session)
    with read_session(engine) as session:
        okr_crud.list_objectives(session=session)
    engine.dispose()
    begins = [s for s in seen if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), write_session(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO check_in (key_result_id, value, note, author, created_at) "
                "VALUES (999, 1.0, '', '', :now)"
            ),
            {"now": dt.datetime(2026, 10, 1)},
        )


def test_a_database_that_is_down_is_a_backend_error_naming_the_host() -> None:
    with pytest.raises(BackendError) as caught:
        init_store("postgresql://nobody@127.0.0.1:9/okrs")
    message = str(caught.value)
    assert "127.0.0.1:9/okrs" in message
    assert "PRODOPS_DATABASE_URL" in message
    assert "\n" not in message


def test_the_default_store_is_a_sqlite_file_in_the_data_directory(prodops_home: Any) -> None:
    engine = init_store()
    assert engine.url.database == str(prodops_home / "prodops.sqlite")
    assert (prodops_home / "prodops.sqlite").exists()
    engine.dispose()


def test_critique_timestamps_written_at_0002_keep_their_instant_after_the_upgrade(
    bare_engine: Engine,
) -> None:
    migrate(bare_engine, revision="0002")
    written = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    with write_session(bare_engine) as session:
        session.add(
            RoadmapItem(key="A-1", title="Checklist", created_at=written, updated_at=written)
        )
    migrate(bare_engine)
    with read_session(bare_engine) as session:
        item = session.exec(select(RoadmapItem)).one()
    assert item.created_at.tzinfo is not None
    assert item.created_at == written
