"""Connected databases: a table, a view or one SELECT registered as a live dataset.

Metrics on a live dataset run inside that database: :func:`open_live` returns the remote Ibis
expression with its columns renamed and cast to the canonical model.

Safety rules (docs: issue 17, items 2 and 3):
- connections are for database servers the team runs: file databases (``duckdb://``,
  ``sqlite://``) only inside the one folder an administrator allows
  (``PRODOPS_ALLOW_FILE_DB_DIR``), opened read-only, never created, never ProdOps' own stores;
  engines that run inside ProdOps (``file://``, DataFusion, Polars, Spark) never
  (:func:`prodops.data.db_urls.file_database_path`);
- only a table/view name or exactly one ``SELECT`` is accepted (parsed with sqlglot), and the
  SELECT may not call functions with side effects or that read server files
  (``set_config``, ``setval``, ``lo_*``, ``pg_read_file``, ``dblink``, ... :func:`check_relation`);
- on PostgreSQL every query runs in its own ``BEGIN READ ONLY`` transaction that is always rolled
  back, so nothing a SELECT does (``set_config(..., false)`` included) outlives it, and the session
  has a ``statement_timeout`` (:func:`prodops.config.query_timeout_s`); previews are limited
  (:func:`prodops.config.preview_rows`); :func:`login_risks` says when the login could write;
- the password is never shown back, logged or stored: the catalog keeps the URL without it, every
  message goes through :func:`mask_url`, and the password is looked up again when needed in
  ``.streamlit/secrets.toml`` (``[connections.NAME] url = "..."``) or in the environment variable
  ``PRODOPS_DB_PASSWORD_<NAME>`` (:mod:`prodops.data.db_urls`, whose functions are importable
  from here too).
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
import psycopg
import sqlglot
from ibis.backends.postgres import Backend as PostgresBackend
from sqlglot import exp

from prodops import config
from prodops.data.db_urls import (
    FILE_SCHEMES,
    IN_PROCESS_SCHEMES,
    check_parameters,
    check_url,
    file_database_path,
    host_port,
    mask_text,
    mask_url,
    mask_urls,
    secret_connections,
    strip_password,
    url_password,
    url_scheme,
    with_password,
)
from prodops.data.presets import ColumnMapping, check_mapping, detect_mapping, property_name
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    USER_COL,
    Kind,
)
from prodops.dialects import from_epoch_seconds
from prodops.engine import database_error, duckdb_connect, quote_ident
from prodops.errors import BackendError, InputError, ParameterError

_IDENT = re.compile(r'^("?[A-Za-z_][\w$]*"?)(\.("?[A-Za-z_][\w$]*"?))?$')
_FORBIDDEN = (
    exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Command,
    exp.Merge, exp.Into, exp.Copy, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
    exp.Lock,
)  # fmt: skip
_DIALECTS = {
    "postgres": "postgres", "postgresql": "postgres", "duckdb": "duckdb", "sqlite": "sqlite",
    "mysql": "mysql", "clickhouse": "clickhouse", "bigquery": "bigquery", "trino": "trino",
    "snowflake": "snowflake", "mssql": "tsql", "oracle": "oracle", "databricks": "databricks",
    "sc": "spark",
}  # fmt: skip
# Warehouses and clusters reached by URL: the modules their client needs, and what installs them.
DRIVERS: dict[str, tuple[tuple[str, ...], str]] = {
    "bigquery": (("google.cloud.bigquery",), "ibis-framework[bigquery]"),
    "snowflake": (("snowflake.connector",), "ibis-framework[snowflake]"),
    "trino": (("trino",), "ibis-framework[trino]"),
    "clickhouse": (("clickhouse_connect",), "ibis-framework[clickhouse]"),
    "databricks": (("databricks.sql",), "ibis-framework[databricks]"),
    "sc": (("pyspark", "grpc", "google.rpc"), "prodops[spark]"),
}
# Spark SQL can query a file by path (``SELECT * FROM parquet.`/etc/x```): refused in a query.
_SPARK_FILE_SOURCES = frozenset(
    {"parquet", "csv", "json", "orc", "text", "avro", "binaryfile", "delta", "file", "hive"}
)
# Functions a SELECT may not call: they change the session or the database in ways a read-only
# transaction does not stop (sequences, large objects, settings, locks, other sessions), read or
# list server files, reach other servers, or run SQL given as text (which no parser can check).
SIDE_EFFECT_FUNCTIONS = frozenset(
    {
        "set_config", "setval", "nextval", "loread", "lowrite", "pg_notify", "pg_stat_file",
        "pg_current_logfile", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
        "pg_switch_wal", "pg_start_backup", "pg_stop_backup", "pg_terminate_backend",
        "pg_cancel_backend", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
        # the same jobs on other engines: MySQL, ClickHouse's table functions, DuckDB's readers
        "load_file", "sleep", "benchmark", "get_lock", "release_lock", "sys_exec", "sys_eval",
        "file", "url", "s3", "hdfs", "remote", "remotesecure", "executable", "glob",
        # Spark / Databricks: call any Java method, read files as tables
        "reflect", "java_method", "try_reflect", "input_file_name",
    }
)  # fmt: skip
SIDE_EFFECT_PREFIXES = (
    "lo_", "pg_read_", "pg_ls_", "pg_file_", "pg_logdir_", "pg_stat_reset", "pg_advisory_",
    "pg_try_advisory_", "dblink", "pg_sleep", "pg_logical_", "pg_replication_", "pg_create_",
    "pg_drop_", "pg_backup_", "pg_wal_", "pg_log_", "pg_import_", "read_",
)  # fmt: skip

# --- connecting -----------------------------------------------------------------------------


class _RollbackConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every transaction block ends in ROLLBACK.

    Ibis runs each query in ``with con.transaction():``; rolling those back (and starting them
    ``BEGIN READ ONLY`` through ``read_only``) means a SELECT cannot keep any change, not even a
    session setting made with ``set_config(..., false)``. Only :meth:`own_temp_table` commits.
    """

    _commit_own = False

    def transaction(self, savepoint_name: str | None = None, force_rollback: bool = False) -> Any:
        return super().transaction(savepoint_name, force_rollback=not self._commit_own)

    @contextlib.contextmanager
    def own_temp_table(self) -> Iterator[None]:
        """One committed read-write transaction for a temporary table of ProdOps' own data."""
        self._commit_own, self.read_only = True, False
        try:
            yield
        finally:
            self._commit_own, self.read_only = False, True


class _ReadOnlyPostgres(PostgresBackend):  # type: ignore[misc]
    """Ibis's PostgreSQL backend over a :class:`_RollbackConnection`.

    Metrics join small tables of their own (a revenue calendar's period boundaries, built with
    ``ibis.memtable``), which Ibis uploads as a temporary table. That upload holds only
    ProdOps' data and statements, so it alone runs read-write, and is kept for the session.
    """

    def _register_in_memory_table(self, op: Any) -> None:
        with self.con.own_temp_table():
            super()._register_in_memory_table(op)


def _connect_postgres(url: str) -> Any:
    """Ibis over a psycopg session where every query is its own read-only, rolled-back transaction.

    Session settings (time zone, statement timeout, read-only default, search path) are set
    outside any transaction, before the first query, so they stay for the whole session.
    """
    parts = check_url(url)
    params = check_parameters(url)
    database, _, schema = parts.path[1:].partition("/")
    password = url_password(url)
    kwargs: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(password) if password else None,
        "dbname": database or None,
        "connect_timeout": 5,
        **params,
    }
    con = _RollbackConnection.connect(
        autocommit=True, **{k: v for k, v in kwargs.items() if v is not None}
    )
    try:
        timeout_ms = int(config.query_timeout_s() * 1000)
        con.execute("SET TIME ZONE 'UTC'")
        con.execute(f"SET statement_timeout = {timeout_ms}")
        con.execute("SET default_transaction_read_only = on")
        if schema:
            con.execute("SELECT set_config('search_path', %s, false)", [schema])
        con.read_only = True  # every transaction block starts BEGIN READ ONLY
        return _ReadOnlyPostgres.from_connection(con)
    except Exception:
        con.close()
        raise


def _connect_file(url: str) -> Any:
    """A DuckDB or SQLite file inside the allowed folder, opened read-only (never created)."""
    path = file_database_path(url)
    if url_scheme(url) == "duckdb":
        return duckdb_connect(path, read_only=True)  # no file access, configuration locked
    raw = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, check_same_thread=False)
    return ibis.sqlite.from_connection(raw)


def connect(url: str) -> Any:
    """Connect to the database at *url* (any Ibis URL) with ProdOps' safety settings.

    Raises
    ------
    ParameterError
        The URL is malformed (IPv6 host, port), names a file on the server, or a file database
        that is not allowed (:func:`prodops.data.db_urls.file_database_path`).
    BackendError
        The database is down or refuses the login; the message names host and port, never the
        password.
    """
    check_url(url)
    scheme = url_scheme(url)
    try:
        if scheme in FILE_SCHEMES or scheme in IN_PROCESS_SCHEMES:
            return _connect_file(url)
        if scheme in ("postgres", "postgresql"):
            return _connect_postgres(url)
        _check_driver(url)
        if scheme == "sc":
            return _connect_spark(url)
        if scheme == "databricks":
            return ibis.databricks.connect(**databricks_options(url))
        return ibis.connect(url)
    except (ParameterError, InputError, BackendError):
        raise
    except Exception as error:  # drivers raise their own types; all mean "cannot connect"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BackendError(
            f"cannot connect to {host_port(url)} ({mask_text(first, url)[:200]})",
            where=mask_url(url),
            fix="Check that the database is running and reachable, and the URL, user and password "
            "(password: .streamlit/secrets.toml or PRODOPS_DB_PASSWORD_<NAME>).",
        ) from error


def _check_driver(url: str) -> None:
    """Refuse a warehouse URL whose client library is not installed, naming what installs it."""
    scheme = url_scheme(url)
    if scheme not in DRIVERS:
        return
    modules, package = DRIVERS[scheme]
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            raise BackendError(
                f"the {scheme} client is not installed (no module {module!r})",
                where=mask_url(url),
                fix=f"Install it into ProdOps' environment: pip install '{package}'.",
            )


def spark_remote(url: str) -> str:
    """The Spark Connect address of ``sc://`` *url*, with the password as the session token.

    The token follows today's password rules: written as the URL's password
    (``sc://user:TOKEN@host:15002``), or better left out and looked up by connection name
    (``PRODOPS_DB_PASSWORD_<NAME>`` or ``.streamlit/secrets.toml``), so the stored URL never holds
    it. A ``;token=`` parameter would be stored and shown, so it is refused.

    Examples
    --------
    >>> spark_remote("sc://ana:s3cret@spark.internal:15002/;use_ssl=true")
    'sc://spark.internal:15002/;use_ssl=true;user_id=ana;token=s3cret'
    >>> spark_remote("sc://spark.internal")
    'sc://spark.internal:15002'
    """
    parts = check_url(url)
    params = [p for p in parts.path.lstrip("/").split(";") if p]
    if any(p.split("=", 1)[0].strip().lower() == "token" for p in params):
        raise ParameterError(
            "a Spark Connect token is not accepted as a ;token= parameter",
            where=mask_url(url),
            fix="Write it as the URL's password (sc://user:TOKEN@host:15002) or, better, set "
            "PRODOPS_DB_PASSWORD_<NAME> or .streamlit/secrets.toml.",
        )
    if parts.username:
        params.append(f"user_id={unquote(parts.username)}")
    password = url_password(url)
    if password:
        params.append(f"token={unquote(password)}")
    address = f"sc://{parts.hostname}:{parts.port or 15002}"
    return f"{address}/;{';'.join(params)}" if params else address


def _connect_spark(url: str) -> Any:
    """Ibis over a Spark Connect session (a cluster the team runs; never Spark in-process)."""
    from pyspark.sql import SparkSession

    # create(), not getOrCreate(): a cached session may be connected to another cluster.
    session = SparkSession.builder.remote(spark_remote(url)).create()
    return ibis.pyspark.connect(session)


def databricks_options(url: str) -> dict[str, Any]:
    """Keyword arguments of ``ibis.databricks.connect`` for a ``databricks://`` *url*.

    ``databricks://token:ACCESS_TOKEN@HOST/CATALOG/SCHEMA?http_path=/sql/1.0/warehouses/ID``:
    the access token is the URL's password, so it follows today's password rules (looked up by
    connection name, never stored or shown).

    Examples
    --------
    >>> options = databricks_options(
    ...     "databricks://token:dapi42@adb-1.azuredatabricks.net/main/web"
    ...     "?http_path=/sql/1.0/warehouses/abc"
    ... )
    >>> sorted(options.items())  # doctest: +NORMALIZE_WHITESPACE
    [('access_token', 'dapi42'), ('catalog', 'main'), ('http_path', '/sql/1.0/warehouses/abc'),
     ('schema', 'web'), ('server_hostname', 'adb-1.azuredatabricks.net')]
    """
    parts = check_url(url)
    params = check_parameters(url)
    http_path = params.pop("http_path", None)
    if not parts.hostname or not http_path:
        raise ParameterError(
            "a Databricks URL needs the workspace host and the SQL warehouse's http_path",
            where=mask_url(url),
            fix="Write databricks://token@HOST/CATALOG/SCHEMA?http_path=/sql/1.0/warehouses/ID "
            "and set the access token as the connection's password.",
        )
    catalog, _, schema = parts.path.strip("/").partition("/")
    password = url_password(url)
    options: dict[str, Any] = {
        "server_hostname": parts.hostname,
        "http_path": http_path,
        "access_token": unquote(password) if password else None,
        "catalog": catalog or None,
        "schema": schema or None,
    }
    return {k: v for k, v in options.items() if v is not None}


@contextlib.contextmanager
def connection(url: str) -> Iterator[Any]:
    """Context manager around :func:`connect` that always disconnects.

    A database error raised inside the block (a query refused or failed) becomes a one-line
    :class:`BackendError` without the SQL statement (:func:`prodops.engine.database_error`).
    """
    backend = connect(url)
    try:
        yield backend
    except Exception as error:
        translated = database_error(error)
        if translated is None:
            raise
        raise translated from error
    finally:
        with contextlib.suppress(Exception):
            backend.disconnect()


def list_relations(backend: Any) -> list[str]:
    """Return the tables and views the connection can see (its current schema)."""
    try:
        if str(getattr(backend, "name", "")) == "duckdb":
            # Ibis 12's DuckDB list_tables calls a method DuckDB 2.0 no longer has
            rows = backend.con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            ).fetchall()
            return [str(r[0]) for r in rows]
        return sorted(backend.list_tables())
    except Exception as error:
        raise _query_error(error, "listing tables") from error


def _query_error(error: Exception, what: str) -> BackendError:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "statement timeout" in text or "canceling statement" in text:
        return BackendError(
            f"the database stopped the query after {config.query_timeout_s():g} s while {what}",
            fix="Pick a smaller table, add a WHERE clause, or raise PRODOPS_QUERY_TIMEOUT_S.",
        )
    return database_error(error, what=what) or BackendError(
        f"the database failed while {what} ({mask_urls(text)[:200]})"
    )


# --- who is logged in -----------------------------------------------------------------------

_RISKS_SQL = r"""
SELECT current_user, current_database(), current_schema(),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
       ARRAY(
         SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
           AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'UPDATE')
                    ELSE has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') END
         ORDER BY 1 LIMIT 4),
       has_database_privilege(current_database(), 'CREATE')
         OR EXISTS (SELECT 1 FROM pg_namespace n
                    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
                      AND has_schema_privilege(n.oid, 'CREATE'))
"""


@dataclass(frozen=True)
class LoginRisks:
    """What the login of a PostgreSQL connection could do beyond reading."""

    user: str
    database: str
    schema: str
    superuser: bool
    writable: tuple[str, ...] = ()  # a few relations it may change (at most 4)
    can_create: bool = False

    @property
    def warning(self) -> str | None:
        """One paragraph for the Data page, or None for a login that can only read."""
        if self.superuser:
            what = "is a superuser: it can change anything and read the server's files"
        elif self.writable:
            more = ", ..." if len(self.writable) > 3 else ""
            what = f"can change data ({', '.join(self.writable[:3])}{more})"
        elif self.can_create:
            what = "can create tables"
        else:
            return None
        return (
            f"The login {self.user!r} {what}. ProdOps only reads and refuses queries that write, "
            "but a login that cannot write is the safe choice: ask the database owner to create "
            "a read-only role, for example with the SQL below, and connect with it."
        )

    def read_only_role_sql(self, role: str = "prodops_reader") -> str:
        """The SQL that creates a role which can only read the current schema."""
        who, db, schema = quote_ident(role), quote_ident(self.database), quote_ident(self.schema)
        return "\n".join(
            [
                f"CREATE ROLE {who} LOGIN PASSWORD 'choose-a-password';",
                f"ALTER ROLE {who} SET default_transaction_read_only = on;",
                f"GRANT CONNECT ON DATABASE {db} TO {who};",
                f"GRANT USAGE ON SCHEMA {schema} TO {who};",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {who};",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {who};",
            ]
        )


def login_risks(backend: Any) -> LoginRisks | None:
    """What the login of *backend* could do beyond reading (PostgreSQL), else None."""
    if not _is_postgres(backend):
        return None
    try:
        with backend.con.cursor() as cursor, backend.con.transaction():
            row = cursor.execute(_RISKS_SQL).fetchone()
    except Exception as error:
        raise _query_error(error, "checking the login's privileges") from error
    user, database, schema, superuser, writable, can_create = row
    return LoginRisks(
        user=str(user),
        database=str(database),
        schema=str(schema or "public"),
        superuser=bool(superuser),
        writable=tuple(writable or ()),
        can_create=bool(can_create),
    )


# --- what may be queried --------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """A table/view name or one SELECT statement, checked."""

    table: str | None = None
    sql: str | None = None

    @property
    def label(self) -> str:
        return self.table or "query"


def _function_name(node: exp.Func) -> str:
    name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
    return str(name).lower()


def side_effect_function(tree: exp.Expr) -> str | None:
    """The first function in *tree* that a read-only query may not call, or None.

    Examples
    --------
    >>> side_effect_function(sqlglot.parse_one("SELECT pg_catalog.set_config('a', 'b', false)"))
    'set_config'
    >>> side_effect_function(sqlglot.parse_one("SELECT count(*), max(ts) FROM events")) is None
    True
    """
    for node in tree.walk():
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name in SIDE_EFFECT_FUNCTIONS or name.startswith(SIDE_EFFECT_PREFIXES):
                return name
    return None


def check_relation(text: str, *, dialect: str = "postgres") -> Relation:
    """Accept a table/view name (``events`` or ``schema.events``) or exactly one SELECT.

    Raises
    ------
    InputError
        Anything else (several statements, INSERT/UPDATE/DELETE/DDL, SELECT ... INTO, SET,
        SELECT ... FOR UPDATE), or a SELECT that calls a function with side effects or one that
        reads server files (:data:`SIDE_EFFECT_FUNCTIONS`, :data:`SIDE_EFFECT_PREFIXES`).

    Examples
    --------
    >>> check_relation("analytics.events").table
    'analytics.events'
    >>> check_relation("DROP TABLE events")
    Traceback (most recent call last):
    prodops.errors.InputError: only a table or view name, or one SELECT statement, is accepted. ...
    >>> check_relation("SELECT * FROM parquet.`/etc/passwd`", dialect="spark")
    Traceback (most recent call last):
    prodops.errors.InputError: parquet.`/etc/passwd` reads a file on the cluster, which connected \
databases may not do. ...
    >>> check_relation("SELECT pg_read_file('/etc/passwd')")
    Traceback (most recent call last):
    prodops.errors.InputError: the query calls pg_read_file(), which connected databases may not \
run. ...
    """
    query = text.strip().rstrip(";").strip()
    refuse = InputError(
        "only a table or view name, or one SELECT statement, is accepted",
        fix="Give a table name (schema.table) or a single read-only SELECT ... query.",
    )
    if not query:
        raise refuse
    spark = dialect in ("spark", "databricks")
    if _IDENT.match(query):
        if spark and _spark_file_source(query.replace('"', "").partition(".")[0]):
            raise _file_query(query)
        return Relation(table=query.replace('"', ""))
    if re.search(r"(?i)\bU&[\"']", query):  # escaped names could hide a function's name
        raise InputError(
            'Unicode-escaped names (U&"...") are not accepted in a query',
            fix="Write names plainly.",
        )
    try:
        statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as error:
        raise InputError(
            f"the query could not be parsed ({str(error).splitlines()[0][:160]})",
            fix="Give a table name or one SELECT statement.",
        ) from error
    if len(statements) != 1:
        raise refuse
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise refuse
    if any(isinstance(node, _FORBIDDEN) for node in tree.walk()):
        raise refuse
    for table in tree.find_all(exp.Table) if spark else ():
        if _spark_file_source(table.db):
            raise _file_query(table.sql(dialect=dialect))
    name = side_effect_function(tree)
    if name is not None:
        raise InputError(
            f"the query calls {name}(), which connected databases may not run",
            fix="Remove it: a connection only reads tables (functions that change settings, "
            "sequences or large objects, read server files, sleep or reach other servers are "
            "refused).",
        )
    return Relation(sql=query)


def _spark_file_source(schema: str) -> bool:
    return schema.strip("`").lower() in _SPARK_FILE_SOURCES


def _file_query(name: str) -> InputError:
    return InputError(
        f"{name} reads a file on the cluster, which connected databases may not do",
        fix="Name a table of the catalog (catalog.schema.table) or a SELECT over tables.",
    )


def dialect_for(url: str) -> str:
    """The sqlglot dialect :func:`check_relation` reads queries for *url* with (default postgres).

    Examples
    --------
    >>> dialect_for("clickhouse://db/x"), dialect_for("postgresql+psycopg://db/x")
    ('clickhouse', 'postgres')
    """
    return _DIALECTS.get(url_scheme(url), "postgres")


def _is_postgres(backend: Any) -> bool:
    return str(getattr(backend, "name", "")) == "postgres"


def _postgres_query_schema(backend: Any, sql: str) -> Any:
    """The Ibis schema of *sql*, read from a ``LIMIT 0`` run in a read-only transaction.

    Ibis would create a temporary view to learn it, which a read-only transaction (and a login
    without the TEMP privilege) cannot do.
    """
    with backend.con.cursor() as cursor, backend.con.transaction():
        cursor.execute(f"SELECT * FROM ({sql}) AS prodops_probe LIMIT 0")
        columns = [(c.name, c.type_code) for c in cursor.description or ()]
        names = dict(
            cursor.execute(
                "SELECT oid::int, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)",
                [[int(code) for _, code in columns]],
            ).fetchall()
        )
    mapper = backend.compiler.type_mapper
    return ibis.schema({name: mapper.from_string(names[int(code)]) for name, code in columns})


def relation_table(backend: Any, relation: Relation) -> ir.Table:
    """Return the Ibis table of *relation* on *backend*."""
    try:
        if relation.table:
            schema, _, name = relation.table.rpartition(".")
            return backend.table(name, database=schema or None)
        sql = str(relation.sql)
        if not _is_postgres(backend):
            return backend.sql(sql)
        return backend.sql(sql, schema=_postgres_query_schema(backend, sql))
    except Exception as error:
        raise _query_error(error, f"opening {relation.label}") from error


def preview_relation(backend: Any, relation: Relation, *, rows: int | None = None) -> pd.DataFrame:
    """Return the first rows of *relation* (at most :func:`prodops.config.preview_rows`)."""
    limit = min(rows or config.preview_rows(), config.preview_rows())
    table = relation_table(backend, relation)
    try:
        result: pd.DataFrame = table.limit(limit).execute()
        return result
    except Exception as error:
        raise _query_error(error, f"previewing {relation.label}") from error


# --- canonical expression -------------------------------------------------------------------


@dataclass(frozen=True)
class LiveSpec:
    """What the catalog stores for a live dataset (no password anywhere)."""

    url: str
    relation: Relation
    mapping: ColumnMapping
    connection: str | None = None
    epoch_units: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": strip_password(self.url),
            "table": self.relation.table,
            "sql": self.relation.sql,
            "kind": self.mapping.kind,
            "columns": self.mapping.columns,
            "properties": list(self.mapping.properties),
            "connection": self.connection,
            "epoch_units": self.epoch_units,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LiveSpec:
        return cls(
            url=str(data["url"]),
            relation=Relation(table=data.get("table"), sql=data.get("sql")),
            mapping=ColumnMapping(
                kind=data["kind"],
                preset="database",
                columns=dict(data["columns"]),
                properties=tuple(data.get("properties") or ()),
            ),
            connection=data.get("connection"),
            epoch_units=dict(data.get("epoch_units") or {}),
        )


def _as_utc(column: ir.Value, unit: str | None) -> ir.TimestampValue:
    utc = dt.Timestamp(timezone="UTC")
    dtype = column.type()
    if dtype.is_timestamp() or dtype.is_date():
        return column.cast(utc)
    if dtype.is_numeric():
        seconds = column.cast("float64") / (1000.0 if unit == "ms" else 1.0)
        return from_epoch_seconds(seconds)  # each engine's own function (prodops.dialects)
    return column.cast(utc)


def canonical_expr(table: ir.Table, spec: LiveSpec) -> ir.Table:
    """Rename and cast the columns of remote *table* to the canonical model (rows with an empty
    id or time are left out, as an import would reject them)."""
    cols = spec.mapping.columns
    units = spec.epoch_units
    canonical = REQUIRED_COLUMNS[spec.mapping.kind]
    if spec.mapping.kind == "events":
        values: dict[str, ir.Value] = {
            USER_COL: table[str(cols[USER_COL])].cast("string"),
            EVENT_COL: table[str(cols[EVENT_COL])].cast("string"),
            TIME_COL: _as_utc(table[str(cols[TIME_COL])], units.get(TIME_COL)),
        }
    else:
        end = cols.get(END_COL)
        values = {
            CUSTOMER_COL: table[str(cols[CUSTOMER_COL])].cast("string"),
            START_COL: _as_utc(table[str(cols[START_COL])], units.get(START_COL)),
            END_COL: _as_utc(table[end], units.get(END_COL))
            if end
            else ibis.null().cast(dt.Timestamp(timezone="UTC")),
            MRR_COL: table[str(cols[MRR_COL])].cast("float64"),
        }
    for prop in spec.mapping.properties:
        values[property_name(prop, canonical)] = table[prop].cast("string")
    out = table.select(**values)
    first, time = canonical[0], canonical[1] if spec.mapping.kind == "subscriptions" else TIME_COL
    return out.filter(out[first].notnull(), out[time].notnull())


def _epoch_units(table: ir.Table, mapping: ColumnMapping, sample: pd.DataFrame) -> dict[str, str]:
    units: dict[str, str] = {}
    for canonical in (TIME_COL, START_COL, END_COL):
        source = mapping.columns.get(canonical)
        if source and table.schema()[source].is_numeric():
            values = pd.to_numeric(sample[source], errors="coerce").dropna().abs()
            units[canonical] = "ms" if len(values) and values.median() >= 1e11 else "s"
    return units


def plan_live(
    backend: Any,
    relation: Relation,
    *,
    url: str,
    kind: Kind | None = None,
    overrides: Mapping[str, str | None] | None = None,
    connection: str | None = None,
) -> LiveSpec:
    """Detect the mapping of a remote relation (with *overrides*) and check it."""
    table = relation_table(backend, relation)
    columns: Sequence[str] = list(table.columns)
    mapping = detect_mapping(columns, kind=kind)
    if mapping.preset == "stripe":  # a raw Stripe table needs an import, not a live mapping
        mapping = ColumnMapping(
            kind="subscriptions", columns={c: None for c in REQUIRED_COLUMNS["subscriptions"]}
        )
    for canonical, source in (overrides or {}).items():
        if source:
            mapping = mapping.with_column(canonical, source, columns)
    check_mapping(mapping, columns, label=relation.label)
    sample = preview_relation(backend, relation, rows=1000)
    return LiveSpec(
        url=url,
        relation=relation,
        mapping=mapping,
        connection=connection,
        epoch_units=_epoch_units(table, mapping, sample),
    )


def live_stats(table: ir.Table, kind: Kind) -> tuple[int, int, Any, Any]:
    """Return (rows, entities, time_min, time_max) of a canonical remote table (one query)."""
    entity = USER_COL if kind == "events" else CUSTOMER_COL
    time = TIME_COL if kind == "events" else START_COL
    last = (
        table[time].max()
        if kind == "events"
        else ibis.greatest(table[START_COL].max(), table[END_COL].max())
    )
    try:
        row = table.aggregate(
            rows=table.count(), entities=table[entity].nunique(), tmin=table[time].min(), tmax=last
        ).execute()
    except Exception as error:
        raise _query_error(error, "counting rows") from error
    first = row.iloc[0]

    def ts(value: Any) -> Any:
        return None if pd.isna(value) else pd.Timestamp(value).tz_convert("UTC").to_pydatetime()

    return int(first["rows"]), int(first["entities"]), ts(first["tmin"]), ts(first["tmax"])


def register_database(
    catalog: Any,
    *,
    name: str,
    url: str,
    relation_text: str,
    kind: Kind | None = None,
    overrides: Mapping[str, str | None] | None = None,
    connection_name: str | None = None,
) -> Any:
    """Register a table/view/SELECT of the database at *url* as the live dataset *name*.

    Returns the :class:`prodops.data.catalog.DatasetInfo`. The stored URL has no password.
    """
    full_url = with_password(url, connection_name or name)
    relation = check_relation(relation_text, dialect=dialect_for(url))
    with connection(full_url) as backend:
        spec = plan_live(
            backend, relation, url=url, kind=kind, overrides=overrides, connection=connection_name
        )
        table = canonical_expr(relation_table(backend, relation), spec)
        stats = live_stats(table, spec.mapping.kind)
        props = [c for c in table.columns if c not in REQUIRED_COLUMNS[spec.mapping.kind]]
    return catalog.register_live(
        name,
        spec=spec.to_json(),
        kind=spec.mapping.kind,
        stats=stats,
        property_columns=props,
        source=f"{mask_url(strip_password(url))} {relation.label}",
    )


@contextlib.contextmanager
def open_live(spec_json: Mapping[str, Any], *, name: str) -> Iterator[ir.Table]:
    """Yield the canonical remote table of a live dataset (connection open inside the block)."""
    spec = LiveSpec.from_json(spec_json)
    url = with_password(spec.url, spec.connection or name)
    with connection(url) as backend:
        yield canonical_expr(relation_table(backend, spec.relation), spec)


__all__ = [
    "LiveSpec",
    "LoginRisks",
    "Relation",
    "canonical_expr",
    "check_relation",
    "connect",
    "connection",
    "dialect_for",
    "list_relations",
    "live_stats",
    "login_risks",
    "mask_text",
    "mask_url",
    "open_live",
    "plan_live",
    "preview_relation",
    "register_database",
    "relation_table",
    "secret_connections",
    "strip_password",
    "with_password",
]
