"""The time constructs every metric needs, compiled to each engine's own SQL.

Every events metric places a UTC instant in a period of *local wall-clock* time, so it needs
(1) the wall-clock time of an instant in a zone and (2) seconds since 1970 of a timestamp. No
SQL standard covers (1), and Ibis 12 has no operation for it; passing one engine's function
through verbatim (``timezone(zone, ts)``, ``date_part('epoch', ts)``) breaks every other engine
(DESIGN.md, pitfalls). So both are Ibis operations of their own, :class:`LocalTime` and
:class:`WallSeconds`, and each SQL compiler renders them with its dialect's functions when the
query is compiled, not when the expression is built. One expression therefore runs on DuckDB,
PostgreSQL and Spark and compiles for BigQuery, Snowflake, Trino, ClickHouse and Databricks.

Per dialect (wall clock of ``ts`` in ``zone``; seconds since 1970):

- DuckDB, PostgreSQL: ``timezone(zone, ts)``; ``date_part('epoch', ...)`` (the fast path).
- Spark, Databricks: ``from_utc_timestamp(ts, zone)``; ``unix_timestamp(...)``.
- BigQuery: ``DATETIME(ts, zone)``; ``UNIX_SECONDS(TIMESTAMP(...))``.
- Snowflake: ``CONVERT_TIMEZONE('UTC', zone, ts)``; ``DATE_PART('epoch', ...)``.
- Trino: ``CAST(AT_TIMEZONE(ts, zone) AS TIMESTAMP)``; ``TO_UNIXTIME(WITH_TIMEZONE(..., 'UTC'))``.
- ClickHouse: ``addSeconds(toTimeZone(ts, 'UTC'), timeZoneOffset(toTimeZone(ts, zone)))``;
  ``toRelativeSecondNum(...)``.

The seconds are Ibis's own ``epoch_seconds`` compilation (``ExtractEpochSeconds``) on Spark,
Databricks, Snowflake and ClickHouse. DuckDB and PostgreSQL keep ``date_part('epoch', ...)``, what
ProdOps has always run there (a double with microseconds, and in UTC read straight off the
instant, without a zone conversion); BigQuery and Trino wrap the wall clock first because their
epoch functions take a zoned timestamp. Whole
seconds are enough elsewhere: period boundaries fall on whole seconds, so flooring the seconds
first never moves an instant to another period.

A third operation, :class:`FromEpochSeconds`, reads a live table's Unix-time column
(``to_timestamp`` on DuckDB and PostgreSQL, ``timestamp_micros`` on Spark, ``TIMESTAMP_MICROS``
on BigQuery, ``TO_TIMESTAMP_TZ(..., 6)`` on Snowflake, ``from_unixtime`` on Trino,
``toDateTime64`` on ClickHouse). A dialect not listed refuses a non-UTC zone with
Ibis's ``OperationNotDefinedError`` (turned into a one-line message by
:func:`prodops.engine.database_error`); UTC needs no conversion and works everywhere.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.rules as rlz
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends.sql.compilers import (
    BigQueryCompiler,
    ClickHouseCompiler,
    DuckDBCompiler,
    PostgresCompiler,
    PySparkCompiler,
    SnowflakeCompiler,
    TrinoCompiler,
)
from ibis.backends.sql.compilers.base import SQLGlotCompiler

from prodops.errors import ParameterError

UTC_NAMES = ("UTC", "Etc/UTC")


class LocalTime(ops.Value):  # type: ignore[misc]
    """The naive wall-clock time in *zone* of the UTC instant *arg*."""

    arg: ops.Value[dt.Timestamp]
    zone: str

    shape = rlz.shape_like("arg")
    dtype = dt.Timestamp()


class WallSeconds(ops.Value):  # type: ignore[misc]
    """Seconds since 1970-01-01 00:00 of the wall-clock time in *zone* of UTC instant *arg*."""

    arg: ops.Value[dt.Timestamp]
    zone: str

    shape = rlz.shape_like("arg")
    dtype = dt.float64


class FromEpochSeconds(ops.Value):  # type: ignore[misc]
    """The UTC instant *arg* seconds (a double, fractions kept to the microsecond) after 1970."""

    arg: ops.Value[dt.Float64]

    shape = rlz.shape_like("arg")
    dtype = dt.Timestamp(timezone="UTC")


def from_epoch_seconds(seconds: ir.NumericValue) -> ir.TimestampValue:
    """The UTC timestamp *seconds* after 1970-01-01 (Unix time; a live table's epoch column).

    Examples
    --------
    >>> import ibis
    >>> t = ibis.table({"s": "float64"}, name="events")
    >>> print(ibis.to_sql(t.select(ts=from_epoch_seconds(t.s)), dialect="bigquery"))
    SELECT
      TIMESTAMP_MICROS(CAST(ROUND(`t0`.`s` * 1000000) AS INT64)) AS `ts`
    FROM `events` AS `t0`
    """
    return FromEpochSeconds(seconds.cast(dt.float64)).to_expr()


def local_time(ts: ir.TimestampValue, zone: str) -> ir.TimestampValue:
    """Naive wall-clock time in *zone* of UTC timestamp *ts* (in UTC: *ts* made naive).

    Examples
    --------
    >>> import ibis
    >>> t = ibis.table({"ts": "timestamp('UTC')"}, name="events")
    >>> sql = ibis.to_sql(t.select(local=local_time(t.ts, "Europe/Berlin")), dialect="pyspark")
    >>> "FROM_UTC_TIMESTAMP(CAST(`t0`.`ts` AS TIMESTAMP), 'Europe/Berlin')" in sql
    True
    """
    instant = ts.cast(dt.Timestamp(timezone="UTC"))
    if zone in UTC_NAMES:
        return instant.cast(dt.Timestamp())
    return LocalTime(instant, zone).to_expr()


def wall_seconds(ts: ir.TimestampValue, zone: str) -> ir.FloatingValue:
    """Seconds since 1970 of the wall-clock time in *zone* of UTC timestamp *ts*.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.table({"ts": "timestamp('UTC')"}, name="events")
    >>> print(ibis.to_sql(t.select(s=wall_seconds(t.ts, "UTC")), dialect="duckdb"))
    SELECT
      DATE_PART('epoch', "t0"."ts") AS "s"
    FROM "events" AS "t0"
    """
    return WallSeconds(ts.cast(dt.Timestamp(timezone="UTC")), zone).to_expr()


# --- one rendering per dialect ------------------------------------------------------------------
# Each ``visit_*`` receives the compiled argument (a sqlglot expression) and the zone name. They
# are attached to Ibis's compiler classes below: a compiler looks ``visit_<Operation>`` up by
# name, so subclasses (Databricks of Spark, RisingWave and Materialize of PostgreSQL) inherit
# their parent's rendering.


def _zone(zone: str) -> Any:
    return sge.convert(zone)


def _epoch_via_ibis(compiler: Any, op: Any, local: sge.Expression) -> Any:
    """The dialect's own ``epoch_seconds`` of *local* (Ibis's compilation), as a double."""
    seconds = compiler.visit_ExtractEpochSeconds(op, arg=local)
    return compiler.cast(seconds, dt.float64)


def _generic_wall_seconds(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    local = arg if zone in UTC_NAMES else self.visit_LocalTime(op, arg=arg, zone=zone)
    return _epoch_via_ibis(self, op, local)


def _duckdb_local(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    return self.f.timezone(_zone(zone), arg)


def _duckdb_wall_seconds(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    # The fast path (unchanged SQL): in UTC the epoch of the instant itself, no zone conversion.
    local = arg if zone in UTC_NAMES else self.f.timezone(_zone(zone), arg)
    return self.f.date_part(sge.convert("epoch"), local)


def _spark_local(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    return self.f.from_utc_timestamp(arg, _zone(zone))


def _bigquery_local(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    return self.f.datetime(arg, _zone(zone))


def _bigquery_wall_seconds(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    # UNIX_SECONDS takes a TIMESTAMP: read the local DATETIME back as if it were UTC.
    local = arg if zone in UTC_NAMES else self.f.timestamp(self.f.datetime(arg, _zone(zone)))
    return self.cast(self.f.unix_seconds(local), dt.float64)


def _snowflake_local(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    # The three-argument form takes a source zone and returns a TIMESTAMP_NTZ (wall clock).
    return self.f.convert_timezone(sge.convert("UTC"), _zone(zone), arg)


def _trino_local(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    zoned = sge.AtTimeZone(this=arg, zone=_zone(zone))
    return self.cast(zoned, dt.Timestamp())


def _trino_wall_seconds(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    # TO_UNIXTIME takes a zoned timestamp: pin the wall clock to UTC rather than let Trino
    # apply the session zone in an implicit cast.
    if zone in UTC_NAMES:  # already a zoned instant
        return self.cast(self.f.to_unixtime(arg), dt.float64)
    local = self.visit_LocalTime(op, arg=arg, zone=zone)
    pinned = self.f.with_timezone(local, sge.convert("UTC"))
    return self.cast(self.f.to_unixtime(pinned), dt.float64)


def _clickhouse_local(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    # A DateTime carries its zone as metadata: shift the instant by the zone's offset at that
    # instant and label it UTC, so truncation and epoch read the wall clock.
    offset = self.f.timeZoneOffset(self.f.toTimeZone(arg, _zone(zone)))
    return self.f.addSeconds(self.f.toTimeZone(arg, sge.convert("UTC")), offset)


def _micros(self: Any, arg: sge.Expression) -> Any:
    """*arg* seconds in whole microseconds, rounded (``1.999`` s is not exact in binary)."""
    return self.cast(self.f.round(sge.Mul(this=arg, expression=sge.convert(1_000_000))), dt.int64)


def _duckdb_from_epoch(self: Any, op: Any, *, arg: sge.Expression) -> Any:
    return self.f.to_timestamp(arg)


def _spark_from_epoch(self: Any, op: Any, *, arg: sge.Expression) -> Any:
    return self.f.timestamp_micros(_micros(self, arg))


def _bigquery_from_epoch(self: Any, op: Any, *, arg: sge.Expression) -> Any:
    return self.f.timestamp_micros(_micros(self, arg))


def _snowflake_from_epoch(self: Any, op: Any, *, arg: sge.Expression) -> Any:
    # Named as written: sqlglot would print TO_TIMESTAMP (a TIMESTAMP_NTZ by default).
    return sge.Anonymous(this="TO_TIMESTAMP_TZ", expressions=[_micros(self, arg), sge.convert(6)])


def _trino_from_epoch(self: Any, op: Any, *, arg: sge.Expression) -> Any:
    return self.f.from_unixtime(arg, sge.convert("UTC"))


def _clickhouse_from_epoch(self: Any, op: Any, *, arg: sge.Expression) -> Any:
    return self.f.toDateTime64(arg, sge.convert(6), sge.convert("UTC"))


def _no_zone_conversion(self: Any, op: Any, *, arg: sge.Expression, zone: str) -> Any:
    # A database without a known zone function: refuse in one line rather than send SQL it lacks.
    raise ParameterError(
        f"this database ({self.dialect.__name__.lower()}) cannot convert times to the zone {zone}",
        fix="Use the time zone UTC, or import the table into the catalog and analyse it there.",
    )


SQLGlotCompiler.visit_LocalTime = _no_zone_conversion
SQLGlotCompiler.visit_WallSeconds = _generic_wall_seconds
for _compiler in (DuckDBCompiler, PostgresCompiler):
    _compiler.visit_LocalTime = _duckdb_local
    _compiler.visit_WallSeconds = _duckdb_wall_seconds
    _compiler.visit_FromEpochSeconds = _duckdb_from_epoch
PySparkCompiler.visit_FromEpochSeconds = _spark_from_epoch
BigQueryCompiler.visit_FromEpochSeconds = _bigquery_from_epoch
SnowflakeCompiler.visit_FromEpochSeconds = _snowflake_from_epoch
TrinoCompiler.visit_FromEpochSeconds = _trino_from_epoch
ClickHouseCompiler.visit_FromEpochSeconds = _clickhouse_from_epoch
PySparkCompiler.visit_LocalTime = _spark_local
BigQueryCompiler.visit_LocalTime = _bigquery_local
BigQueryCompiler.visit_WallSeconds = _bigquery_wall_seconds
SnowflakeCompiler.visit_LocalTime = _snowflake_local
TrinoCompiler.visit_LocalTime = _trino_local
TrinoCompiler.visit_WallSeconds = _trino_wall_seconds
ClickHouseCompiler.visit_LocalTime = _clickhouse_local
