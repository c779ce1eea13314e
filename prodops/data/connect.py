"""Connected databases: a table, a view or one SELECT registered as a live dataset.

Metrics on a live dataset run inside that database: :func:`open_live` returns the remote Ibis
expression with its columns renamed and cast to the canonical model.

Safety rules:
- only a table/view name or exactly one ``SELECT`` is accepted (parsed with sqlglot);
- PostgreSQL sessions are read-only with a ``statement_timeout``
  (:func:`prodops.config.query_timeout_s`); previews are limited
  (:func:`prodops.config.preview_rows`);
- the password is never shown back, logged or stored: the catalog keeps the URL without it, every
  message goes through :func:`mask_url`, and the password is looked up again when needed in
  ``.streamlit/secrets.toml`` (``[connections.NAME] url = "..."``) or in the environment variable
  ``PRODOPS_DB_PASSWORD_<NAME>`` (:mod:`prodops.data.db_urls`, whose functions are importable
  from here too).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
import sqlglot
from sqlglot import exp

from prodops import config
from prodops.data.db_urls import (
    host_port,
    mask_text,
    mask_url,
    secret_connections,
    strip_password,
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
from prodops.errors import BackendError, InputError, ParameterError

_IDENT = re.compile(r'^("?[A-Za-z_][\w$]*"?)(\.("?[A-Za-z_][\w$]*"?))?$')
_FORBIDDEN = (
    exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Command,
    exp.Merge, exp.Into, exp.Copy, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
)  # fmt: skip
_DIALECTS = {"postgres": "postgres", "postgresql": "postgres", "duckdb": "duckdb"}

# --- connecting -----------------------------------------------------------------------------


def connect(url: str) -> Any:
    """Connect to the database at *url* (any Ibis URL) with ProdOps' safety settings.

    Raises
    ------
    BackendError
        The database is down or refuses the login; the message names host and port, never the
        password.
    """
    scheme = url_scheme(url)
    if not scheme or "://" not in url:
        raise ParameterError(
            f"{mask_url(url)!r} is not a database URL",
            fix="Write it like postgresql://user@host:5432/dbname or duckdb:///path/file.duckdb.",
        )
    kwargs: dict[str, Any] = {}
    target = url
    if scheme in ("postgres", "postgresql"):
        kwargs["connect_timeout"] = 5
        target = url.replace(f"{urlsplit(url).scheme}://", "postgres://", 1)
    try:
        backend = ibis.connect(target, **kwargs)
    except Exception as error:  # drivers raise their own types; all mean "cannot connect"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BackendError(
            f"cannot connect to {host_port(url)} ({mask_text(first, url)[:200]})",
            where=mask_url(url),
            fix="Check that the database is running and reachable, and the URL, user and password "
            "(password: .streamlit/secrets.toml or PRODOPS_DB_PASSWORD_<NAME>).",
        ) from error
    if scheme == "duckdb":  # SQL may not read or write other files (DESIGN.md, pitfalls)
        backend.raw_sql("SET enable_external_access = false")
        backend.raw_sql("SET lock_configuration = true")
    if scheme in ("postgres", "postgresql"):
        timeout_ms = int(config.query_timeout_s() * 1000)
        backend.raw_sql(f"SET statement_timeout = {timeout_ms}")
        backend.raw_sql("SET default_transaction_read_only = on")
    return backend


@contextlib.contextmanager
def connection(url: str) -> Iterator[Any]:
    """Context manager around :func:`connect` that always disconnects."""
    backend = connect(url)
    try:
        yield backend
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
    return BackendError(f"the database failed while {what} ({text[:200]})")


# --- what may be queried --------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """A table/view name or one SELECT statement, checked."""

    table: str | None = None
    sql: str | None = None

    @property
    def label(self) -> str:
        return self.table or "query"


def check_relation(text: str, *, dialect: str = "postgres") -> Relation:
    """Accept a table/view name (``events`` or ``schema.events``) or exactly one SELECT.

    Raises
    ------
    InputError
        Anything else (several statements, INSERT/UPDATE/DELETE/DDL, SELECT ... INTO, SET).

    Examples
    --------
    >>> check_relation("analytics.events").table
    'analytics.events'
    >>> check_relation("DROP TABLE events")
    Traceback (most recent call last):
    prodops.errors.InputError: only a table or view name, or one SELECT statement, is accepted. ...
    """
    query = text.strip().rstrip(";").strip()
    refuse = InputError(
        "only a table or view name, or one SELECT statement, is accepted",
        fix="Give a table name (schema.table) or a single read-only SELECT ... query.",
    )
    if not query:
        raise refuse
    if _IDENT.match(query):
        return Relation(table=query.replace('"', ""))
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
    return Relation(sql=query)


def _is_postgres(backend: Any) -> bool:
    return str(getattr(backend, "name", "")) == "postgres"


def relation_table(backend: Any, relation: Relation) -> ir.Table:
    """Return the Ibis table of *relation* on *backend*."""
    try:
        if relation.table:
            schema, _, name = relation.table.rpartition(".")
            return backend.table(name, database=schema or None)
        if not _is_postgres(backend):
            return backend.sql(relation.sql)
        # Ibis learns the schema through a temporary view; PostgreSQL refuses data-modifying
        # statements inside a view, and the session is read-only again for everything else.
        backend.raw_sql("SET default_transaction_read_only = off")
        try:
            return backend.sql(relation.sql)
        finally:
            backend.raw_sql("SET default_transaction_read_only = on")
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


@ibis.udf.scalar.builtin(
    name="to_timestamp", signature=((dt.float64,), dt.Timestamp(timezone="UTC"))
)
def _to_timestamp(seconds: Any) -> Any:  # pragma: no cover - executed by the database
    """``to_timestamp(seconds)``: Unix time to a UTC timestamp; PostgreSQL and DuckDB share it."""


def _as_utc(column: ir.Value, unit: str | None) -> ir.TimestampValue:
    utc = dt.Timestamp(timezone="UTC")
    dtype = column.type()
    if dtype.is_timestamp() or dtype.is_date():
        return column.cast(utc)
    if dtype.is_numeric():
        seconds = column.cast("float64") / (1000.0 if unit == "ms" else 1.0)
        return _to_timestamp(seconds)
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
    relation = check_relation(relation_text, dialect=_DIALECTS.get(url_scheme(url), "postgres"))
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
    "Relation",
    "canonical_expr",
    "check_relation",
    "connect",
    "connection",
    "list_relations",
    "live_stats",
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
