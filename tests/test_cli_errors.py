"""Exit codes and messages of failures that are not bugs (issue 17, item 11).

A malformed URL, an unreadable store URL, a database that refuses a query (permission denied,
an operation it does not support, out of memory): status 2 and one line on stderr, without the
SQL statement or a password; never a traceback. The same errors reach the pages as one-line
ProdOpsErrors (the core raises them).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import ibis
import psycopg
import pytest
import sqlalchemy as sa

from prodops.cli import _report_unexpected, main
from prodops.data.catalog import Catalog
from prodops.data.live import register_database
from prodops.engine import database_error, duckdb_connect
from prodops.errors import BackendError


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    err = capsys.readouterr().err
    return status, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://ann:s3cret@127.0.0.1:99999/test", "the port is not a number"),
        ("postgresql://ann:s3cret@[::1/test", "the URL cannot be read (Invalid IPv6 URL)"),
        ("postgresql://ann:s3cret@[::1]:notaport/test", "the port is not a number"),
        ("duckdb:///tmp/prodops-should-not-exist.duckdb", "duckdb files are not accepted"),
        ("sqlite:////etc/hostname", "sqlite files are not accepted"),
    ],
)
def test_a_malformed_or_refused_connection_url_exits_2_with_one_line(
    url: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = run(["retention", "--db-url", url, "--table", "events"], capsys)
    line = one_line(err)
    assert status == 2
    assert line.startswith("prodops retention: ") and expected in line
    assert "s3cret" not in line
    assert not Path("/tmp/prodops-should-not-exist.duckdb").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://ann:s3cret@db:99999/app", "the port is not a number from 1 to 65535"),
        ("postgresql://ann:s3cret@[::1/app", "the store URL cannot be read"),
        ("postgresql://ann:p@ss@db/app", "the password is not percent-encoded"),
        ("mysql://ann@db/app", "'mysql' is not a supported store"),
        ("not a url", "the store URL cannot be read"),
    ],
)
def test_a_malformed_store_url_exits_2_with_one_line(
    url: str, expected: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_DATABASE_URL", url)
    status, err = run(["okr", "list"], capsys)
    line = one_line(err)
    assert status == 2 and expected in line
    assert "s3cret" not in line and "p@ss" not in line


# --- database errors during a metric ---------------------------------------------------------


@pytest.fixture
def pg_live(postgres_url: str, prodops_home: Path) -> Iterator[tuple[str, str]]:
    """A live dataset read by a role of its own; yields (admin URL, table) for revoking."""
    suffix = uuid.uuid4().hex[:8]
    schema, role = f"prodops_cli_{suffix}", f"prodops_cli_reader_{suffix}"
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
        con.execute(f'CREATE TABLE "{schema}".events (uid text, ev text, at timestamptz)')
        con.execute(
            f'INSERT INTO "{schema}".events VALUES '
            "('u1', 'signup', '2024-01-01 10:00+00'), ('u1', 'login', '2024-01-08 10:00+00')"
        )
        con.execute(f'CREATE ROLE "{role}" LOGIN')
        con.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        con.execute(f'GRANT SELECT ON "{schema}".events TO "{role}"')
    url = postgres_url.replace("postgres@", f"{role}@", 1) + f"/{schema}"
    try:
        register_database(
            Catalog(),
            name="live",
            url=url,
            relation_text="events",
            overrides={"user_id": "uid", "event": "ev", "timestamp": "at"},
        )
        yield postgres_url, f'"{schema}".events'
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            con.execute(f'DROP OWNED BY "{role}"')
            con.execute(f'DROP ROLE "{role}"')


def test_permission_denied_during_a_metric_exits_2_without_the_sql(
    pg_live: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    admin, table = pg_live
    assert run(["retention", "--dataset", "live", "--format", "json"], capsys)[0] == 0
    capsys.readouterr()
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"REVOKE SELECT ON {table} FROM PUBLIC")
        role = con.execute(
            "SELECT grantee FROM information_schema.role_table_grants "
            "WHERE table_schema || '.' || table_name = %s",
            [table.replace('"', "")],
        ).fetchall()
        for (grantee,) in role:
            if grantee != "postgres":
                con.execute(f'REVOKE SELECT ON {table} FROM "{grantee}"')
    status, err = run(["retention", "--dataset", "live"], capsys)
    line = one_line(err)
    assert status == 2
    assert "permission denied for table events" in line
    assert "Ask the database owner to grant this login SELECT" in line
    assert "FROM" not in line and "LINE" not in line and "[SQL" not in line


def test_an_operation_the_database_lacks_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLite (allowed by the administrator here) has no time zone function: refused before the
    # query is sent, in one line.
    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(tmp_path))
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE ev (user_id TEXT, event TEXT, timestamp TEXT)")
        con.execute("INSERT INTO ev VALUES ('u1', 'a', '2024-01-01 10:00:00')")
    con.close()
    argv = ["retention", "--db-url", f"sqlite:///{path}", "--table", "ev"]
    status, err = run([*argv, "--timezone", "Europe/Paris"], capsys)
    line = one_line(err)
    assert status == 2 and "cannot convert times to the zone Europe/Paris" in line
    assert "Use the time zone UTC" in line
    assert "SELECT" not in line


# --- the classification, on real errors of each kind -----------------------------------------


def _raised(action: object) -> Exception:
    try:
        action()  # type: ignore[operator]
    except Exception as error:
        return error
    raise AssertionError("expected an error")


def test_real_database_errors_become_one_line_with_advice(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as con:
        unsupported = _raised(
            lambda: con.execute("SELECT count(*) FROM pg_class FOR UPDATE").fetchall()
        )
    engine = sa.create_engine("sqlite://")
    with engine.connect() as con:
        wrapped = _raised(lambda: con.execute(sa.text("SELECT nope FROM missing WHERE x = 1")))
    tiny = duckdb_connect(memory_limit="20MB")
    oom = _raised(
        lambda: tiny.raw_sql("SELECT string_agg(i::VARCHAR, ',') FROM range(20000000) t(i)")
    )
    no_rule = _raised(lambda: ibis.sqlite.connect().execute(ibis.literal("a,b").re_split(",")))

    cases = {
        unsupported: ("FOR UPDATE is not allowed with aggregate functions", "cannot run an"),
        wrapped: ("no such table: missing", "Check the table"),
        oom: ("Out of Memory", "PRODOPS_DUCKDB_MEMORY_LIMIT"),
        no_rule: ("'RegexSplit' operation is not defined", "cannot run an operation"),
    }
    for error, (detail, advice) in cases.items():
        translated = database_error(error, what="computing retention")
        assert isinstance(translated, BackendError)
        text = str(translated)
        assert "\n" not in text and detail in text and advice in text, text
        assert "[SQL" not in text and "WHERE x = 1" not in text and "LINE" not in text
    assert database_error(KeyError("user_id")) is None


def test_the_cli_handler_maps_database_errors_to_2_and_bugs_to_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as con:
        error = _raised(lambda: con.execute(sa.text("SELECT secret FROM missing")))
    assert _report_unexpected("okr", error) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("prodops okr: the database failed while running the query (")
    assert "SELECT secret" not in line

    bug = ValueError("first line postgresql://ann:s3cret@db/app\nsecond line")
    assert _report_unexpected("okr", bug) == 1
    line = one_line(capsys.readouterr().err)
    assert "unexpected error (ValueError: first line postgresql://ann:***@db/app)" in line


def test_a_value_too_long_for_the_postgres_store_is_one_line_without_the_sql(
    pg_sqlalchemy_url: str,
) -> None:
    from prodops.store.db import init_store, write_session

    engine = init_store(pg_sqlalchemy_url)
    with pytest.raises(BackendError) as caught, write_session(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO objective (title, period, period_start, period_end, version) "
                "VALUES (:title, 'Q', '2026-01-01', '2026-03-31', 1)"
            ),
            {"title": "x" * 5000},
        )
    message = str(caught.value)
    assert "value too long for type character varying(200)" in message
    assert "INSERT" not in message and "xxxx" not in message and "\n" not in message
    engine.dispose()


def test_a_full_or_read_only_disk_is_not_blamed_on_the_column_mapping() -> None:
    import duckdb

    full = database_error(
        duckdb.IOException('IO Error: Could not write file "x": No space left on device'),
        what="importing",
    )
    assert full is not None and "Free some space" in str(full)
    read_only = database_error(
        duckdb.IOException("IO Error: Cannot open file: Read-only file system"), what="importing"
    )
    assert read_only is not None and "PRODOPS_HOME" in str(read_only)
    for error in (full, read_only):
        assert "column mapping" not in str(error)


def test_a_full_or_read_only_store_says_so(tmp_path: Path) -> None:
    from prodops.store.db import backend_error

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    full = backend_error(
        engine, sa.exc.OperationalError("INSERT", {}, Exception("database or disk is full"))
    )
    assert "Free some space" in str(full) and "reachable" not in str(full)
    read_only = backend_error(
        engine,
        sa.exc.OperationalError("INSERT", {}, Exception("attempt to write a readonly database")),
    )
    assert "not writable" in str(read_only) and "reachable" not in str(read_only)
