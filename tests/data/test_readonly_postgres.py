"""Read-only connections to PostgreSQL are really read-only (issue 17, item 2).

Against the real server (``PRODOPS_TEST_POSTGRES_URL``, a superuser login, as in the report):
every payload is refused before it reaches the database, and what slips past the parser (a
function of the database that calls ``set_config`` / ``setval`` / ``lo_from_bytea`` inside) is
stopped or rolled back by the database itself. After each payload nothing has changed: the
sequence, the rows, the large objects, the session's read-only default and its timeout.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from prodops.data.catalog import Catalog
from prodops.data.connect import connection
from prodops.data.live import register_database
from prodops.data.relations import Relation, check_relation, login_risks, preview_relation
from prodops.errors import BackendError, InputError


@dataclass(frozen=True)
class Sandbox:
    admin_url: str  # the superuser, for setting up and checking
    schema: str
    url: str  # the superuser, searching the sandbox schema first

    def state(self) -> tuple[object, ...]:
        """Everything a payload could change: sequence, rows, large objects."""
        with psycopg.connect(self.admin_url, autocommit=True) as con:
            seq = con.execute(f'SELECT last_value, is_called FROM "{self.schema}".seq').fetchone()
            rows = con.execute(f'SELECT count(*) FROM "{self.schema}".events').fetchone()
            blobs = con.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()
        return (seq, rows, blobs)


@pytest.fixture
def sandbox(postgres_url: str) -> Iterator[Sandbox]:
    """A schema with a table, a sequence, and functions / a view that hide side effects."""
    schema = f"prodops_ro_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as con:
        blobs_before = con.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()
        con.execute(f'CREATE SCHEMA "{schema}"')
        con.execute(f'SET search_path = "{schema}"')
        con.execute("CREATE TABLE events (uid text, ev text, at timestamptz)")
        con.execute(
            "INSERT INTO events VALUES ('u1', 'signup', '2024-01-01 10:00+00'), "
            "('u2', 'login', '2024-01-02 10:00+00')"
        )
        con.execute("CREATE SEQUENCE seq")
        # Functions whose names no parser can judge: the database must stop them itself.
        con.execute(
            "CREATE FUNCTION sneaky_off() RETURNS text LANGUAGE sql AS "
            "$$ SELECT set_config('default_transaction_read_only', 'off', false) $$"
        )
        con.execute(
            "CREATE FUNCTION sneaky_no_timeout() RETURNS text LANGUAGE sql AS "
            "$$ SELECT set_config('statement_timeout', '0', false) $$"
        )
        con.execute(
            f"CREATE FUNCTION sneaky_bump() RETURNS bigint LANGUAGE sql AS "
            f"$$ SELECT setval('\"{schema}\".seq', 100) $$"
        )
        con.execute(
            "CREATE FUNCTION sneaky_blob() RETURNS oid LANGUAGE sql AS "
            "$$ SELECT lo_from_bytea(0, 'x') $$"
        )
        con.execute(
            f"CREATE FUNCTION sneaky_insert() RETURNS int LANGUAGE sql AS "
            f"$$ INSERT INTO \"{schema}\".events VALUES ('evil', 'x', now()) RETURNING 1 $$"
        )
        con.execute("CREATE VIEW blob_view AS SELECT lo_from_bytea(0, 'y') AS o")
    box = Sandbox(admin_url=postgres_url, schema=schema, url=f"{postgres_url}/{schema}")
    try:
        yield box
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            blobs_after = con.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()
        assert blobs_after == blobs_before, "a large object was created"


# What the report tried, and its siblings: each must be refused before it is sent.
PAYLOADS = [
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT pg_catalog.set_config('statement_timeout', '0', false) AS t",
    "SELECT uid FROM events WHERE uid <> set_config('search_path', 'pg_temp', false)",
    "SELECT setval('seq', 100)",
    "SELECT nextval('seq')",
    "WITH bump AS (SELECT setval('seq', 5) AS n) SELECT n FROM bump",
    "SELECT lo_from_bytea(0, 'x')",
    "SELECT lo_import('/etc/hostname')",
    "SELECT lo_get(lo_import('/etc/passwd'))",
    "SELECT lo_export(1, '/tmp/prodops-exported')",
    "SELECT lo_create(0)",
    "SELECT lo_unlink(1)",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM pg_read_file('/etc/passwd') AS f",
    "SELECT pg_read_binary_file('/etc/passwd')",
    "SELECT \"pg_read_file\"('/etc/passwd')",
    "SELECT PG_READ_FILE('/etc/passwd')",
    "SELECT pg_catalog.pg_read_file('postgresql.conf')",
    "SELECT pg_ls_dir('.')",
    "SELECT uid FROM events, LATERAL pg_ls_dir('.') AS d",
    "SELECT pg_stat_file('postgresql.conf')",
    "SELECT pg_ls_logdir()",
    "SELECT query_to_xml('SELECT lo_from_bytea(0, ''x'')', true, true, '')",
    "SELECT pg_sleep(30)",
    "SELECT pg_sleep_for('1 minute')",
    "SELECT dblink_exec('dbname=test', 'DROP TABLE events')",
    "SELECT * FROM dblink('dbname=test', 'SELECT 1') AS t(x int)",
    "SELECT pg_advisory_lock(1)",
    "SELECT pg_terminate_backend(pg_backend_pid())",
    "SELECT pg_cancel_backend(1)",
    "SELECT pg_reload_conf()",
    "SELECT pg_notify('channel', 'x')",
    "SELECT uid FROM events FOR UPDATE",
    "SELECT uid FROM events FOR SHARE",
    "SELECT U&\"\\006co_import\"('/etc/hostname')",
    "COPY events TO '/tmp/prodops-events.csv'",
    "COPY (SELECT 1) TO PROGRAM 'id'",
    "COPY events FROM PROGRAM 'id'",
    "SET default_transaction_read_only = off",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "SELECT 1; SET default_transaction_read_only = off",
    "BEGIN READ WRITE",
    "DO $$ BEGIN PERFORM setval('seq', 7); END $$",
    "CALL some_procedure()",
    "SELECT * INTO stolen FROM events",
    "INSERT INTO events VALUES ('x', 'y', now())",
    "WITH gone AS (DELETE FROM events RETURNING *) SELECT * FROM gone",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_is_refused_and_nothing_changes(sandbox: Sandbox, payload: str) -> None:
    before = sandbox.state()
    with connection(sandbox.url) as backend:
        with pytest.raises(InputError):
            relation = check_relation(payload)
            preview_relation(backend, relation)  # only reached if the check let it through
        setting = backend.con.execute("SHOW default_transaction_read_only").fetchone()
    assert setting == ("on",)
    assert sandbox.state() == before


def test_what_slips_past_the_parser_is_stopped_or_rolled_back_by_the_database(
    sandbox: Sandbox,
) -> None:
    """The report's attack, hidden in functions: turn read-only off, then write, in one session."""
    before = sandbox.state()
    with connection(sandbox.url) as backend:
        timeout = backend.con.execute("SHOW statement_timeout").fetchone()
        # Pass the parser (unknown names) and run: their settings die with the transaction.
        for call in ("sneaky_off()", "sneaky_no_timeout()"):
            shown = preview_relation(backend, check_relation(f"SELECT {call} AS x"))
            assert shown["x"].tolist() in (["off"], ["0"])
        assert backend.con.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert backend.con.execute("SHOW statement_timeout").fetchone() == timeout
        # The writes that used to follow fail: every transaction is BEGIN READ ONLY.
        for call in ("sneaky_bump()", "sneaky_insert()"):
            with pytest.raises(BackendError, match="read-only transaction"):
                preview_relation(backend, check_relation(f"SELECT {call} AS x"))
        # A read-only transaction still lets lo_from_bytea create a large object: the
        # transaction is rolled back, so it is gone (in a function and in a view alike).
        assert len(preview_relation(backend, check_relation("SELECT sneaky_blob() AS o"))) == 1
        assert len(preview_relation(backend, check_relation("blob_view"))) == 1
        # Even a payload that the parser would refuse changes nothing when forced through.
        for sql in (
            "SELECT set_config('default_transaction_read_only', 'off', false) AS x",
            "SELECT lo_from_bytea(0, 'z') AS x",
            "SELECT query_to_xml('SELECT lo_from_bytea(0, ''x'')', true, true, '') AS x",
        ):
            preview_relation(backend, Relation(sql=sql))
        for sql in ("SELECT setval('seq', 100) AS x", "SELECT nextval('seq') AS x"):
            with pytest.raises(BackendError, match="read-only transaction"):
                preview_relation(backend, Relation(sql=sql))
        # Statements outside Ibis's transactions (autocommit) are read-only by default too.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            backend.con.execute("INSERT INTO events VALUES ('x', 'y', now())")
        assert backend.con.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
    assert sandbox.state() == before


def test_a_live_dataset_runs_its_metrics_read_only(sandbox: Sandbox, prodops_home: Path) -> None:
    before = sandbox.state()
    info = register_database(
        Catalog(),
        name="live",
        url=sandbox.url,
        relation_text="SELECT uid, ev, at, sneaky_blob() AS blob FROM events",
        overrides={"user_id": "uid", "event": "ev", "timestamp": "at"},
    )
    assert (info.rows, info.entities) == (2, 2)
    with Catalog().open("live") as table:
        assert table.count().execute() == 2
        assert table._find_backend().con.read_only is True
    assert sandbox.state() == before


@pytest.fixture
def roles(sandbox: Sandbox) -> Iterator[dict[str, str]]:
    """A read-only role made with the SQL the Data page recommends, and a role that can write."""
    suffix = uuid.uuid4().hex[:8]
    reader, writer = f"prodops_reader_{suffix}", f"prodops_writer_{suffix}"
    with connection(sandbox.url) as backend:
        risks = login_risks(backend)
    assert risks is not None
    sql = risks.read_only_role_sql(reader).replace(" PASSWORD 'choose-a-password'", "")
    with psycopg.connect(sandbox.admin_url, autocommit=True) as con:
        for statement in sql.split(";\n"):
            con.execute(statement.rstrip(";"))
        con.execute(f'CREATE ROLE "{writer}" LOGIN')
        con.execute(f'GRANT USAGE ON SCHEMA "{sandbox.schema}" TO "{writer}"')
        con.execute(f'GRANT SELECT, INSERT ON "{sandbox.schema}".events TO "{writer}"')
    base = sandbox.admin_url.replace("postgres@", "{}@", 1)
    assert base != sandbox.admin_url, "the test URL must log in as postgres@"
    try:
        yield {
            "reader": f"{base.format(reader)}/{sandbox.schema}",
            "writer": f"{base.format(writer)}/{sandbox.schema}",
        }
    finally:
        with psycopg.connect(sandbox.admin_url, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{sandbox.schema}" CASCADE')
            for role in (reader, writer):
                con.execute(f'DROP OWNED BY "{role}"')
                con.execute(f'DROP ROLE "{role}"')


def test_the_page_warns_about_a_superuser_or_a_login_that_can_write(
    sandbox: Sandbox, roles: dict[str, str]
) -> None:
    with connection(sandbox.url) as backend:
        superuser = login_risks(backend)
    assert superuser is not None and superuser.superuser
    assert superuser.warning is not None and "is a superuser" in superuser.warning
    assert superuser.schema == sandbox.schema

    with connection(roles["writer"]) as backend:
        writer = login_risks(backend)
    assert writer is not None and not writer.superuser
    assert writer.writable == (f"{sandbox.schema}.events",)
    assert writer.warning is not None and f"can change data ({sandbox.schema}.events)" in (
        writer.warning
    )

    # The recommended role reads and has nothing to warn about.
    with connection(roles["reader"]) as backend:
        reader = login_risks(backend)
        rows = preview_relation(backend, check_relation("events"))
    assert reader is not None
    assert (reader.superuser, reader.writable, reader.can_create, reader.warning) == (
        False, (), False, None,
    )  # fmt: skip
    assert sorted(rows["uid"]) == ["u1", "u2"]


def test_revenue_on_a_live_dataset_uploads_only_its_own_calendar(
    sandbox: Sandbox, prodops_home: Path
) -> None:
    """Revenue joins a small table of period boundaries (an Ibis memtable): that temporary table
    is the one thing a read-only session may create, and it dies with the session."""
    from prodops.metrics.revenue import revenue

    with psycopg.connect(sandbox.admin_url, autocommit=True) as con:
        con.execute(
            f'CREATE TABLE "{sandbox.schema}".subs '
            '(customer_id text, start timestamptz, "end" timestamptz, mrr float8)'
        )
        con.execute(
            f'INSERT INTO "{sandbox.schema}".subs VALUES '
            "('c1', '2024-01-01', NULL, 10), ('c2', '2024-02-01', '2024-04-01', 20)"
        )
    before = sandbox.state()
    register_database(
        Catalog(), name="subs", url=sandbox.url, relation_text="subs", kind="subscriptions"
    )
    with Catalog().open("subs") as table:
        frame = revenue(table, date_from="2024-02-01", date_to="2024-04-30")
        backend = table._find_backend()
        temp = backend.con.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'pg_temp%'"
        )
        assert temp.fetchone() >= (1,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            backend.con.execute(f'INSERT INTO "{sandbox.schema}".subs VALUES (NULL, NULL, NULL, 1)')
    # MRR at each period's start: Feb 1 and Mar 1 c1 + c2 = 30, Apr 1 c1 = 10 (c2 ended);
    # so c2's 20 churns in March (20 at Mar 1, 0 at Apr 1)
    assert frame["mrr_start"].tolist() == [30.0, 30.0, 10.0]
    assert frame["churn"].tolist() == [0.0, 20.0, 0.0]
    assert sandbox.state() == before
