"""Every metric's SQL compiles for the warehouses we cannot run here, with their own time functions.

BigQuery, Snowflake, Trino, ClickHouse and Databricks: each metric runs once on a small DuckDB
table while every Ibis expression it executes is recorded (metrics read the range and the data
end first, then run their main query). Each recorded expression is rebound to an unbound table
(``ibis.table(schema, name=...)``) and compiled with ``ibis.to_sql(expr, dialect=...)``. Golden
checks on the two constructs that differ between engines, not whole-query snapshots: the wall
clock in the analysis zone uses the dialect's own zone function, seconds since 1970 its own epoch
function, and neither DuckDB's ``timezone(zone, ts)`` nor ``date_part('epoch', ...)`` is passed
through (DESIGN.md, pitfalls).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
import pytest
from metrics.helpers import SCHEMA, frame

from prodops.engine import duckdb_connect
from prodops.metrics import (
    active_users,
    churn,
    lifecycle,
    retention,
    revenue,
    revenue_cohorts,
    stickiness,
)

ZONE = "America/New_York"
_ARG = r".{1,100}?"  # one argument: a column, maybe cast
DIALECTS = ("bigquery", "snowflake", "trino", "clickhouse", "databricks")
# The dialect's own function giving the wall clock of an instant in ZONE.
ZONE_SQL = {
    "bigquery": rf"DATETIME\({_ARG}, '{ZONE}'\)",
    "snowflake": rf"CONVERT_TIMEZONE\('UTC', '{ZONE}', ",
    "trino": rf"AT_TIMEZONE\({_ARG}, '{ZONE}'\)",
    "clickhouse": rf"timeZoneOffset\(toTimeZone\({_ARG}, '{ZONE}'\)\)",
    "databricks": rf"FROM_UTC_TIMESTAMP\({_ARG}, '{ZONE}'\)",
}
# Its own epoch function, applied to that wall clock (in UTC: to the instant).
_CASTS = r"((CAST|toTimeZone)\()*"  # Ibis's own casts of the column to a UTC timestamp
EPOCH_SQL = {
    "bigquery": (r"UNIX_SECONDS\(TIMESTAMP\(DATETIME\(", rf"UNIX_SECONDS\({_CASTS}`t\d+`"),
    "snowflake": (
        r"DATE_PART\('epoch', CONVERT_TIMEZONE\(",
        rf"DATE_PART\('epoch', {_CASTS}\"t\d+\"",
    ),
    "trino": (
        r"TO_UNIXTIME\(WITH_TIMEZONE\(CAST\(AT_TIMEZONE\(",
        rf"TO_UNIXTIME\({_CASTS}\"t\d+\"",
    ),
    "clickhouse": (r"toRelativeSecondNum\(addSeconds\(", rf"toRelativeSecondNum\({_CASTS}\"t\d+\""),
    "databricks": (
        r"UNIX_TIMESTAMP\(CAST\(FROM_UTC_TIMESTAMP\(",
        rf"UNIX_TIMESTAMP\({_CASTS}`t\d+`",
    ),
}
# What DuckDB and PostgreSQL run, which the warehouses do not have (or mean otherwise).
FOREIGN_SQL = re.compile(r"(?<![\w_])TIMEZONE\(|DATE_PART\('epoch'", re.IGNORECASE)

SUBS_SCHEMA = {
    "customer_id": "string",
    "start": "timestamp('UTC')",
    "end": "timestamp('UTC')",
    "mrr": "float64",
}

EVENTS = frame(
    [
        ("a", "signup", "2024-03-01T10:00", "pro"),
        ("a", "open", "2024-03-09T04:30", "pro"),
        ("b", "signup", "2024-03-10T23:30", "free"),
        ("b", "buy", "2024-03-18T03:30", "free"),
        ("c", "open", "2024-04-02T12:00"),
    ]
)
SUBS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b"],
        "start": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20"], utc=True),
        "end": pd.to_datetime(["2024-02-10", None, "2024-03-15"], utc=True),
        "mrr": [10.0, 25.0, 49.0],
    }
)
SUBS["start"] = SUBS["start"].dt.as_unit("us")
SUBS["end"] = SUBS["end"].dt.as_unit("us")

# (metric, options, table kind, whether its queries use epoch seconds); keyed by test id
Case = tuple[Callable[..., pd.DataFrame], dict[str, Any], str, bool]
CASES: dict[str, Case] = {
    "retention-week": (retention, {"period": "week"}, "events", True),
    "retention-hour": (retention, {"period": "hour", "periods": 3}, "events", True),
    "retention-breakdown": (retention, {"period": "week", "breakdown": "plan"}, "events", True),
    "retention-cumulative-first-ever": (
        retention,
        {"period": "day", "cumulative": True, "cohort": "first_ever", "periods": 5},
        "events",
        True,
    ),
    "retention-month": (retention, {"period": "month"}, "events", True),
    "lifecycle": (lifecycle, {"period": "week", "week_start": "sunday"}, "events", True),
    "stickiness": (stickiness, {"period": "day", "date_from": "2024-03-01"}, "events", True),
    "active-users": (active_users, {"window_days": 7}, "events", True),
    "churn": (churn, {"period": "week"}, "events", True),
    "revenue-month": (revenue, {"period": "month"}, "subs", False),
    "revenue-week": (revenue, {"period": "week"}, "subs", True),
    "revenue-cohorts": (revenue_cohorts, {"period": "month"}, "subs", False),
}


@pytest.fixture
def record(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ir.Expr]]:
    """Every expression a metric executes (``to_pandas`` and ``execute`` both end here)."""
    seen: list[ir.Expr] = []
    original = ir.Expr.execute

    def recording(self: ir.Expr, *args: Any, **kwargs: Any) -> Any:
        seen.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ir.Expr, "execute", recording)
    yield seen


def unbound(expr: ir.Expr) -> ir.Expr:
    """*expr* over ``ibis.table(schema, name=...)`` instead of the DuckDB table it ran on."""
    tables = {t: ibis.table(t.schema, name=t.name).op() for t in expr.op().find(ops.DatabaseTable)}
    return expr.op().replace(tables).to_expr()


def compiled(case: Case, timezone: str, record: list[ir.Expr]) -> dict[str, str]:
    """``{dialect: the SQL of every query the metric ran}`` for *timezone*."""
    metric, options, kind, _ = case
    con = duckdb_connect()
    if kind == "events":
        table = con.create_table("events", ibis.memtable(EVENTS, schema=SCHEMA))
    else:
        table = con.create_table("subscriptions", ibis.memtable(SUBS, schema=SUBS_SCHEMA))
    metric(table, timezone=timezone, **options)
    assert record, "the metric ran no query"
    exprs = [unbound(e) for e in record]
    assert not any(e.op().find(ops.DatabaseTable) for e in exprs)
    return {d: "\n".join(_flat(ibis.to_sql(e, dialect=d)) for e in exprs) for d in DIALECTS}


def _flat(sql: str) -> str:
    """*sql* on one line with single spaces and none inside brackets (a pretty-printer's wraps)."""
    return re.sub(r"\s+", " ", sql).replace("( ", "(").replace(" )", ")")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_query_compiles_with_each_dialects_zone_and_epoch_functions(
    case: Case, record: list[ir.Expr]
) -> None:
    sql = compiled(case, ZONE, record)
    for dialect, text in sql.items():
        assert re.search(ZONE_SQL[dialect], text), f"{dialect}: no zone conversion in\n{text}"
        if case[3]:
            assert re.search(EPOCH_SQL[dialect][0], text), f"{dialect}: no epoch in\n{text}"
        foreign = FOREIGN_SQL.findall(text) if dialect != "snowflake" else []
        assert not foreign, f"{dialect}: DuckDB's {foreign} passed through"
        snowflake_zone = re.findall(r"(?<!CONVERT_)TIMEZONE\(", text)
        assert dialect != "snowflake" or not snowflake_zone


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_in_utc_no_zone_function_is_called_and_the_epoch_reads_the_instant(
    case: Case, record: list[ir.Expr]
) -> None:
    sql = compiled(case, "UTC", record)
    for dialect, text in sql.items():
        assert "FROM_UTC_TIMESTAMP" not in text.upper()
        assert "CONVERT_TIMEZONE" not in text.upper()
        assert "timeZoneOffset" not in text
        assert dialect == "snowflake" or not FOREIGN_SQL.search(text)
        if case[3]:
            assert re.search(EPOCH_SQL[dialect][1], text), f"{dialect}: no epoch in\n{text}"


def test_an_engine_without_a_zone_function_refuses_in_one_line() -> None:
    """A dialect not covered (SQLite) refuses a non-UTC zone; it never runs DuckDB SQL."""
    from prodops.dialects import local_time
    from prodops.errors import ParameterError

    t = ibis.table({"ts": "timestamp('UTC')"}, name="events")
    with pytest.raises(ParameterError, match=r"\(sqlite\) cannot convert times to the zone"):
        ibis.to_sql(t.select(x=local_time(t.ts, ZONE)), dialect="sqlite")
    assert "STRFTIME" in ibis.to_sql(t.select(x=local_time(t.ts, "UTC")), dialect="sqlite")


FROM_EPOCH_SQL = {
    "bigquery": r"TIMESTAMP_MICROS\(CAST\(ROUND\(",
    "snowflake": r"TO_TIMESTAMP_TZ\(CAST\(ROUND\(.{1,80}\), 6\)",
    "trino": r"FROM_UNIXTIME\(.{1,80}, 'UTC'\)",
    "clickhouse": r"toDateTime64\(.{1,80}, 6, 'UTC'\)",
    "databricks": r"TIMESTAMP_MICROS\(CAST\(ROUND\(",
}


def test_a_live_tables_unix_time_column_uses_each_dialects_own_function() -> None:
    """A connected table's epoch-millisecond column (``canonical_expr``), compiled per dialect."""
    from prodops.data.live import LiveSpec, canonical_expr
    from prodops.data.presets import ColumnMapping
    from prodops.data.relations import Relation

    ibis.pyspark  # noqa: B018 - registers the Spark compiler's options (Databricks inherits them)
    raw = ibis.table({"uid": "string", "what": "string", "ms": "int64"}, name="clicks")
    mapping = ColumnMapping(
        kind="events", columns={"user_id": "uid", "event": "what", "timestamp": "ms"}
    )
    spec = LiveSpec(
        "trino://h/c/s", Relation(table="clicks"), mapping, epoch_units={"timestamp": "ms"}
    )
    expr = canonical_expr(raw, spec)
    assert "TO_TIMESTAMP(" in _flat(ibis.to_sql(expr, dialect="duckdb")).upper()
    for dialect, pattern in FROM_EPOCH_SQL.items():
        sql = _flat(ibis.to_sql(expr, dialect=dialect))
        assert re.search(pattern, sql), f"{dialect}: {sql}"
        assert dialect == "snowflake" or not re.search(r"(?<![\w_])TO_TIMESTAMP\(", sql)
