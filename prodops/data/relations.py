"""What a connected database may be asked: the login's write risks (:func:`login_risks`) and
a table, view or one side-effect-free SELECT (:func:`check_relation`), previewed read-only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import sqlglot
from sqlglot import exp

from prodops import config
from prodops.data.connect import _query_error
from prodops.data.db_urls import url_scheme
from prodops.duck import quote_ident
from prodops.errors import InputError

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


__all__ = [
    "LoginRisks",
    "Relation",
    "check_relation",
    "dialect_for",
    "login_risks",
    "preview_relation",
    "relation_table",
]
