"""Connected databases: URLs and passwords, what may be queried, live datasets on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg
import pytest
from ibis.backends.postgres import Backend as PostgresBackend

from prodops.data.catalog import Catalog
from prodops.data.connect import connection, list_relations, mask_url, strip_password, with_password
from prodops.data.live import register_database
from prodops.data.relations import check_relation, preview_relation
from prodops.errors import BackendError, InputError, ParameterError
from prodops.store.db import init_store


def test_mask_url_hides_the_password_everywhere() -> None:
    assert mask_url("postgresql://ana:s3cret@db:5432/prod") == "postgresql://ana:***@db:5432/prod"
    assert mask_url("postgresql://db/prod?user=a&password=s3cret") == (
        "postgresql://db/prod?user=a&password=***"
    )
    assert mask_url("duckdb:///tmp/x.duckdb") == "duckdb:///tmp/x.duckdb"


def test_strip_password_keeps_user_host_port_and_database() -> None:
    assert strip_password("postgresql://ana:s%40cret@db:5433/prod?sslmode=require") == (
        "postgresql://ana@db:5433/prod?sslmode=require"
    )


def test_password_comes_from_the_environment_or_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRODOPS_DB_PASSWORD_WAREHOUSE", "p@ss")
    assert with_password("postgresql://ana@db/prod", "warehouse") == (
        "postgresql://ana:p%40ss@db/prod"
    )
    monkeypatch.delenv("PRODOPS_DB_PASSWORD_WAREHOUSE")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[connections.warehouse]\nurl = "postgresql://ana:fromsecrets@db/prod"\n'
    )
    assert with_password("postgresql://ana@db/prod", "warehouse") == (
        "postgresql://ana:fromsecrets@db/prod"
    )
    assert with_password("postgresql://bob@db/prod", "warehouse") == "postgresql://bob@db/prod"


@pytest.mark.parametrize(
    "text",
    [
        "DELETE FROM events",
        "SELECT 1; SELECT 2",
        "DROP TABLE events",
        "SELECT * INTO copy FROM events",
        "WITH gone AS (DELETE FROM events RETURNING *) SELECT * FROM gone",
        "SET statement_timeout = 0",
        "",
    ],
)
def test_only_a_table_name_or_one_select_is_accepted(text: str) -> None:
    with pytest.raises(InputError, match="only a table or view name, or one SELECT"):
        check_relation(text)


def test_table_names_and_selects_are_accepted() -> None:
    assert check_relation("analytics.events").table == "analytics.events"
    assert check_relation("SELECT user_id FROM events WHERE x = 1;").sql == (
        "SELECT user_id FROM events WHERE x = 1"
    )


def test_a_database_that_is_down_names_host_and_port_but_not_the_password() -> None:
    with (
        pytest.raises(BackendError) as caught,
        connection("postgresql://ana:s3cret@127.0.0.1:1/db"),
    ):
        pass
    message = str(caught.value)
    assert "cannot connect to 127.0.0.1:1" in message
    assert "s3cret" not in message and "ana:***@" in message


@pytest.fixture
def pg_events(postgres_url: str, pg_schema: str) -> str:
    """A small events table in a fresh schema; returns the URL whose search_path is that schema."""
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(
            f'CREATE TABLE "{pg_schema}".ev (uid text, action text, at timestamptz, plan text, '
            "ms bigint)"
        )
        con.execute(
            f'INSERT INTO "{pg_schema}".ev VALUES '
            "('u1', 'signup', '2024-01-01 10:00+00', 'free', 1704103200000), "
            "('u2', 'login', '2024-01-02 10:00+00', 'pro', 1704189600000), "
            "('u1', 'login', '2024-01-03 09:00+01', 'free', 1704268800000), "
            "(NULL, 'x', '2024-01-04', 'pro', 1)"
        )
    return f"{postgres_url}/{pg_schema}"


def test_list_and_preview_tables_with_a_row_limit(
    pg_events: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_PREVIEW_ROWS", "2")
    with connection(pg_events) as backend:
        assert list_relations(backend) == ["ev"]
        frame = preview_relation(backend, check_relation("ev"), rows=50)
    assert len(frame) == 2


def test_live_dataset_runs_in_postgres_and_never_stores_the_password(
    pg_events: str, prodops_home: Path
) -> None:
    url = pg_events.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    info = register_database(
        Catalog(),
        name="live events",
        url=url,
        relation_text="ev",
        overrides={"user_id": "uid", "event": "action", "timestamp": "at"},
    )
    assert (info.live, info.rows, info.entities, info.property_columns) == (
        True, 3, 2, ("plan", "ms"),
    )  # fmt: skip
    assert info.time_max == pd.Timestamp("2024-01-03 08:00", tz="UTC")
    assert "s3cret" not in info.source
    assert b"s3cret" not in (prodops_home / "catalog.duckdb").read_bytes()
    with Catalog().open("live events") as table:
        assert isinstance(table._find_backend(), PostgresBackend)
        assert table._find_backend().name == "postgres"
        counts = table.group_by("user_id").aggregate(n=table.count()).order_by("user_id").execute()
    assert counts.values.tolist() == [["u1", 2], ["u2", 1]]


def test_live_select_with_epoch_milliseconds(pg_events: str) -> None:
    info = register_database(
        Catalog(),
        name="by ms",
        url=pg_events,
        relation_text="SELECT uid, action, ms FROM ev WHERE plan = 'free'",
        overrides={"user_id": "uid", "event": "action", "timestamp": "ms"},
    )
    assert (info.rows, info.time_min) == (2, pd.Timestamp("2024-01-01 10:00", tz="UTC"))


def test_slow_queries_hit_the_statement_timeout(
    pg_events: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_QUERY_TIMEOUT_S", "0.2")
    with connection(pg_events) as backend, pytest.raises(BackendError, match="stopped the query"):
        # pg_sleep itself is refused (test_readonly_postgres): a query that is slow by itself
        slow = "SELECT count(*) AS n FROM generate_series(1, 500000000) AS g"
        preview_relation(backend, check_relation(slow))


# --- no server files through a URL (issue 17, item 3) ----------------------------------------


def _duckdb_file(path: Path) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE visits AS SELECT 'u1' AS user_id, 'view' AS event")
    con.close()
    return path


@pytest.mark.parametrize(
    "url",
    [
        "file://{home}/demo-events.csv.gz",
        "file:///etc/passwd.csv",
        "sqlite:///{home}/prodops.sqlite",
        "duckdb:///{home}/catalog.duckdb",
        "duckdb:///{tmp}/new.duckdb",
        "duckdb://new-relative.duckdb",
        "duckdb://",
        "duckdb:///:memory:",
        "polars://",
        "datafusion://",
        "pyspark://",
    ],
)
def test_file_and_in_process_urls_are_refused_and_create_nothing(
    url: str, prodops_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _duckdb_file(prodops_home / "catalog.duckdb")  # the product's own stores exist
    init_store()
    (prodops_home / "demo-events.csv.gz").write_bytes(b"")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    target = url.format(home=prodops_home, tmp=tmp_path)
    with pytest.raises(ParameterError, match="not accepted") as caught, connection(target):
        pass
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no file created


def test_an_allowed_folder_opens_its_database_files_read_only_without_file_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(shared))
    db = _duckdb_file(shared / "warehouse.duckdb")
    (shared / "secret.csv").write_text("a\n1\n")
    with connection(f"duckdb://{db}") as backend:
        assert list_relations(backend) == ["visits"]
        assert preview_relation(backend, check_relation("visits"))["user_id"].tolist() == ["u1"]
        with pytest.raises(duckdb.Error, match="read-only"):
            backend.con.execute("CREATE TABLE stolen (i INT)")
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            backend.con.execute(f"SELECT * FROM read_csv('{shared / 'secret.csv'}')")
        with pytest.raises(duckdb.Error, match="locked"):
            backend.con.execute("SET enable_external_access = true")


def test_an_allowed_folder_opens_sqlite_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(tmp_path))
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE ev (user_id TEXT, event TEXT)")
        con.execute("INSERT INTO ev VALUES ('u1', 'a')")
    con.close()
    with connection(f"sqlite:///{path}") as backend:
        assert preview_relation(backend, check_relation("ev"))["event"].tolist() == ["a"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            backend.con.execute("INSERT INTO ev VALUES ('x', 'y')")
    assert sqlite3.connect(path).execute("SELECT count(*) FROM ev").fetchone() == (1,)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("outside", "only database files inside"),
        ("link", "only database files inside"),
        ("missing", "no such database file"),
        ("home-catalog", "own stores"),
        ("home-sqlite", "own stores"),
    ],
)
def test_an_allowed_folder_still_refuses_files_outside_it_new_files_and_own_stores(
    name: str, message: str, tmp_path: Path, prodops_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The allowed folder holds the data directory here, as a careless setting would.
    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(tmp_path))
    _duckdb_file(prodops_home / "catalog.duckdb")
    init_store()  # prodops.sqlite
    outside = _duckdb_file(tmp_path.parent / f"outside-{tmp_path.name}.duckdb")
    (tmp_path / "link.duckdb").symlink_to(outside)
    url = {
        "outside": f"duckdb://{outside}",
        "link": f"duckdb://{tmp_path / 'link.duckdb'}",
        "missing": f"duckdb://{tmp_path / 'missing.duckdb'}",
        "home-catalog": f"duckdb://{prodops_home / 'catalog.duckdb'}",
        "home-sqlite": f"sqlite:///{prodops_home / 'prodops.sqlite'}",
    }[name]
    try:
        with pytest.raises(ParameterError, match=message), connection(url):
            pass
    finally:
        outside.unlink()
    assert not (tmp_path / "missing.duckdb").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://ann@db:99999/app", "the port is not a number from 1 to 65535"),
        ("postgresql://ann@db:0/app", "the port is not a number from 1 to 65535"),
        ("postgresql://ann@db:port/app", "the port is not a number from 1 to 65535"),
        ("postgresql://ann:s3cret@[::1/app", "the URL cannot be read (Invalid IPv6 URL)"),
        ("postgresql://db/app?passfile=/etc/passwd", "'passfile' names a file"),
        ("postgresql://db/app?sslrootcert=/etc/shadow", "'sslrootcert' names a file"),
        ("events.csv", "is not a database URL"),
    ],
)
def test_malformed_urls_give_one_clear_line_without_the_password(url: str, message: str) -> None:
    with pytest.raises(ParameterError) as caught, connection(url):
        pass
    text = str(caught.value)
    assert message in text and "\n" not in text and "s3cret" not in text
