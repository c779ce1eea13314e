"""Connected databases: a table, a view or one SELECT registered as a live dataset.

Metrics on a live dataset run inside that database: :func:`prodops.data.live.open_live` returns
the remote Ibis expression with its columns renamed and cast to the canonical model.

Safety rules (docs: issue 17, items 2 and 3):
- connections are for database servers the team runs: file databases (``duckdb://``,
  ``sqlite://``) only inside the one folder an administrator allows
  (``PRODOPS_ALLOW_FILE_DB_DIR``), opened read-only, never created, never ProdOps' own stores;
  engines that run inside ProdOps (``file://``, DataFusion, Polars, Spark) never
  (:func:`prodops.data.db_urls.file_database_path`);
- only a table/view name or exactly one ``SELECT`` is accepted (parsed with sqlglot), and the
  SELECT may not call functions with side effects or that read server files
  (``set_config``, ``setval``, ``lo_*``, ``pg_read_file``, ``dblink``, ...
  :func:`prodops.data.relations.check_relation`);
- on PostgreSQL every query runs in its own ``BEGIN READ ONLY`` transaction that is always rolled
  back, so nothing a SELECT does (``set_config(..., false)`` included) outlives it, and the session
  has a ``statement_timeout`` (:func:`prodops.config.query_timeout_s`); previews are limited
  (:func:`prodops.config.preview_rows`); :func:`prodops.data.relations.login_risks` says when the
  login could write;
- the password is never shown back, logged or stored: the catalog keeps the URL without it, every
  message goes through :func:`mask_url`, and the password is looked up again when needed in
  ``.streamlit/secrets.toml`` (``[connections.NAME] url = "..."``) or in the environment variable
  ``PRODOPS_DB_PASSWORD_<NAME>`` (:mod:`prodops.data.db_urls`, whose functions are importable
  from here too).
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import ibis
import psycopg
from ibis.backends.postgres import Backend as PostgresBackend

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
from prodops.engine import database_error, duckdb_connect
from prodops.errors import BackendError, ParameterError, ProdOpsError

# Warehouses and clusters reached by URL: the modules their client needs, and what installs them.
DRIVERS: dict[str, tuple[tuple[str, ...], str]] = {
    "bigquery": (("google.cloud.bigquery",), "ibis-framework[bigquery]"),
    "snowflake": (("snowflake.connector",), "ibis-framework[snowflake]"),
    "trino": (("trino",), "ibis-framework[trino]"),
    "clickhouse": (("clickhouse_connect",), "ibis-framework[clickhouse]"),
    "databricks": (("databricks.sql",), "ibis-framework[databricks]"),
    "mysql": (("MySQLdb",), "ibis-framework[mysql]"),
    "sc": (("pyspark", "grpc", "google.rpc"), "prodops[spark]"),
}

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
    except ProdOpsError:  # ours, already clear (a setting, the URL, a missing driver)
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

    remote = spark_remote(url)
    _check_reachable(url)
    # create(), not getOrCreate(): a cached session may be connected to another cluster.
    session = SparkSession.builder.remote(remote).create()
    return ibis.pyspark.connect(session)


SPARK_CONNECT_TIMEOUT_S = 5.0


def _check_reachable(url: str) -> None:
    """Refuse a Spark Connect server nobody answers at: its client retries a closed port for
    minutes before it gives up, with nothing said (a TCP connect answers in milliseconds)."""
    parts = check_url(url)
    host, port = parts.hostname or "", parts.port or 15002
    try:
        with socket.create_connection((host, port), timeout=SPARK_CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise BackendError(
            f"cannot connect to {host}:{port} ({error.strerror or type(error).__name__})",
            where=mask_url(url),
            fix="Check that the Spark Connect server is running and reachable (its default port"
            " is 15002), and the URL.",
        ) from error


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


__all__ = [
    "connect",
    "connection",
    "list_relations",
    "mask_text",
    "mask_url",
    "secret_connections",
    "strip_password",
    "with_password",
]
