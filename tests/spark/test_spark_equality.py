"""Every metric on Spark gives the frame DuckDB gives: time zones, DST, week starts, breakdowns.

One random but fixed event log (and subscription history) is loaded into DuckDB and into Spark;
each case runs one metric with one set of options on both and requires identical frames (values,
dtypes, index) and the same data end. The log crosses both spring DST changes of 2024
(America/New_York on March 10, Europe/Berlin on March 31) and both autumn ones (October 27 and
November 3), where local days and hours differ from UTC ones. A few hand-worked results from the
metric tests run on Spark too, so the suite does not only compare Spark with DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from metrics.helpers import SCHEMA, frame

from prodops.engine import duckdb_connect
from prodops.metrics import (
    active_users,
    churn,
    customer_movements,
    dau_mau,
    lifecycle,
    retention,
    revenue,
    revenue_cohorts,
    stickiness,
)
from spark.conftest import Viewer

SUBS_SCHEMA = {
    "customer_id": "string",
    "start": "timestamp('UTC')",
    "end": "timestamp('UTC')",
    "mrr": "float64",
    "plan": "string",
}
WINDOWS = (("2024-02-20", "2024-04-12"), ("2024-10-24", "2024-11-06"))


def _events() -> pd.DataFrame:
    """About 3,000 events of 80 users in two windows around the DST changes of 2024."""
    rng = np.random.default_rng(16)
    rows: list[tuple[str, str, str, str | None]] = []
    plans = ["free", "pro", "team", "enterprise", "edu", "trial", "basic", None]
    for user in range(80):
        plan = plans[user % len(plans)]
        for lo, hi in WINDOWS:
            start = pd.Timestamp(lo, tz="UTC")
            span = (pd.Timestamp(hi, tz="UTC") - start).total_seconds()
            first = rng.uniform(0, span * 0.8)
            for offset in np.sort(rng.uniform(first, span, size=rng.integers(1, 30))):
                ts = start + pd.Timedelta(seconds=float(offset))
                event = ("signup", "open", "buy")[int(rng.integers(0, 3))]
                rows.append((f"u{user}", event, ts.isoformat(), plan))
    return frame(rows)


def _subscriptions() -> pd.DataFrame:
    """60 customers' subscriptions over 2023-2024: upgrades, downgrades, churn, returns."""
    rng = np.random.default_rng(61)
    rows = []
    origin = pd.Timestamp("2023-01-01", tz="UTC")
    for customer in range(60):
        start = origin + pd.Timedelta(hours=float(rng.uniform(0, 500 * 24)))
        for _ in range(int(rng.integers(1, 4))):
            length = pd.Timedelta(hours=float(rng.uniform(10 * 24, 300 * 24)))
            end = None if rng.uniform() < 0.3 else start + length
            mrr = float(rng.choice([10.0, 25.0, 49.0, 99.0, 12.5]))
            rows.append((f"c{customer}", start, end, mrr, ("self", "sales")[customer % 2]))
            if end is None:
                break
            gap = pd.Timedelta(hours=float(rng.choice([0.0, 0.0, 24 * 40])))
            start = end + gap
    subs = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr", "plan"])
    subs["start"] = pd.to_datetime(subs["start"], utc=True).dt.as_unit("us")
    subs["end"] = pd.to_datetime(subs["end"], utc=True).dt.as_unit("us")
    return subs


Case = tuple[Callable[..., pd.DataFrame], dict[str, Any]]
SPRING = {"date_from": "2024-02-20", "date_to": "2024-04-12"}
AUTUMN = {"date_from": "2024-10-26", "date_to": "2024-11-05"}
ZONES = ("UTC", "Europe/Berlin", "America/New_York")

EVENT_CASES: dict[str, Case] = {
    **{
        f"retention-week-{zone}-{start}": (
            retention,
            {"period": "week", "timezone": zone, "week_start": start, **SPRING},
        )
        for zone in ZONES
        for start in ("monday", "sunday")
    },
    **{
        f"retention-day-{kind}": (
            retention,
            {
                "period": "day",
                "cohort": kind,
                "start_event": "signup",
                "return_event": "buy",
                "timezone": "America/New_York",
                "date_from": "2024-03-06",
                "date_to": "2024-03-14",
            },
        )
        for kind in ("first_time", "recurring", "first_ever")
    },
    "retention-cumulative-berlin": (
        retention,
        {"period": "day", "cumulative": True, "timezone": "Europe/Berlin", **AUTUMN},
    ),
    "retention-breakdown-plan": (
        retention,
        {"period": "week", "breakdown": "plan", "timezone": "America/New_York", **SPRING},
    ),
    "retention-hour-fall-back": (
        retention,
        {
            "period": "hour",
            "periods": 6,
            "timezone": "Europe/Berlin",
            "date_from": "2024-10-26T20:00",
            "date_to": "2024-10-27T06:00",
        },
    ),
    "retention-2-weeks-filters": (
        retention,
        {
            "period": "week",
            "period_count": 2,
            "where": [("plan", "!=", "free")],
            "return_where": [("event", "=", "open")],
            "min_occurrences": 2,
            "timezone": "Europe/Berlin",
            **SPRING,
        },
    ),
    "retention-month": (retention, {"period": "month", "timezone": "America/New_York"}),
    "lifecycle-week-sunday-ny": (
        lifecycle,
        {"period": "week", "week_start": "sunday", "timezone": "America/New_York", **SPRING},
    ),
    "lifecycle-day-berlin": (
        lifecycle,
        {"period": "day", "timezone": "Europe/Berlin", **AUTUMN},
    ),
    "lifecycle-month-utc": (lifecycle, {"period": "month"}),
    "stickiness-day-ny": (
        stickiness,
        {"period": "day", "timezone": "America/New_York", "min_events": 2, **SPRING},
    ),
    "stickiness-week-berlin-cumulative": (
        stickiness,
        {"period": "week", "cumulative": True, "timezone": "Europe/Berlin", **SPRING},
    ),
    **{
        f"active-users-{days}-{zone}": (
            active_users,
            {"window_days": days, "timezone": zone, **SPRING},
        )
        for days, zone in ((1, "America/New_York"), (7, "Europe/Berlin"), (30, "UTC"))
    },
    "dau-mau-ny": (dau_mau, {"timezone": "America/New_York", **AUTUMN}),
    "churn-week-ny": (churn, {"period": "week", "timezone": "America/New_York", **SPRING}),
    "churn-month-berlin": (churn, {"period": "month", "timezone": "Europe/Berlin"}),
}

REVENUE_CASES: dict[str, Case] = {
    "revenue-month-ny": (revenue, {"period": "month", "timezone": "America/New_York"}),
    "revenue-week-berlin": (
        revenue,
        {
            "period": "week",
            "timezone": "Europe/Berlin",
            "date_from": "2024-02-01",
            "date_to": "2024-05-01",
        },
    ),
    "revenue-quarter-utc": (revenue, {"period": "quarter"}),
    "revenue-cohorts-berlin": (revenue_cohorts, {"period": "month", "timezone": "Europe/Berlin"}),
    "movements-month-ny": (
        customer_movements,
        {"period": "month", "timezone": "America/New_York", "date_from": "2024-01-01"},
    ),
}


@pytest.fixture(scope="module")
def events_on(spark_view: Viewer) -> dict[str, ibis.Table]:
    events = _events()
    duck = duckdb_connect().create_table("events", ibis.memtable(events, schema=SCHEMA))
    return {"duckdb": duck, "spark": spark_view(events, SCHEMA)}


@pytest.fixture(scope="module")
def subs_on(spark_view: Viewer) -> dict[str, ibis.Table]:
    subs = _subscriptions()
    duck = duckdb_connect().create_table("subs", ibis.memtable(subs, schema=SUBS_SCHEMA))
    return {"duckdb": duck, "spark": spark_view(subs, SUBS_SCHEMA)}


def _assert_same(case: Case, tables: dict[str, ibis.Table]) -> None:
    metric, options = case
    expected = metric(tables["duckdb"], **options)
    got = metric(tables["spark"], **options)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs


@pytest.mark.parametrize("case", EVENT_CASES.values(), ids=EVENT_CASES.keys())
def test_events_metric_on_spark_equals_duckdb(case: Case, events_on: dict[str, ibis.Table]) -> None:
    _assert_same(case, events_on)


@pytest.mark.parametrize("case", REVENUE_CASES.values(), ids=REVENUE_CASES.keys())
def test_revenue_metric_on_spark_equals_duckdb(case: Case, subs_on: dict[str, ibis.Table]) -> None:
    _assert_same(case, subs_on)


def test_the_log_has_local_days_that_differ_from_utc_days() -> None:
    """The comparison means something: many events fall on another day in New York than in UTC."""
    ts = _events()["timestamp"]
    shifted = ts.dt.tz_convert("America/New_York").dt.date != ts.dt.date
    assert shifted.sum() > 200


def test_hand_worked_local_days_across_a_dst_change_on_spark(spark_view: Viewer) -> None:
    """The metric tests' DST case (tests/metrics), checked by hand, run on Spark."""
    events = spark_view(
        frame(
            [
                ("a", "x", "2024-03-10T04:30"),  # March 9, 23:30 in New York (EST)
                ("a", "x", "2024-03-10T05:30"),  # March 10, 00:30 EST
                ("b", "x", "2024-03-10T23:30"),  # March 10, 19:30 EDT
                ("b", "x", "2024-03-11T03:30"),  # March 10, 23:30 EDT (UTC: March 11)
            ]
        )
    )
    result = retention(
        events,
        period="day",
        timezone="America/New_York",
        date_from="2024-03-09",
        date_to="2024-03-11",
    )
    counts = result.pivot(index="cohort", columns="offset", values="count")
    assert [str(c.date()) for c in counts.index] == ["2024-03-09", "2024-03-10", "2024-03-11"]
    assert counts.iloc[0].tolist() == [1, 1, 0]  # a: March 9 and March 10 local
    assert counts.iloc[1].tolist()[:2] == [1, 0]  # b: both events on March 10 local
    assert counts.iloc[2].tolist()[0] == 0


def test_a_live_tables_epoch_columns_become_the_same_instants_on_spark(
    spark_view: Viewer,
) -> None:
    """Unix time in seconds (with a fraction) and milliseconds, read by Spark's own functions."""
    from prodops.data.live import LiveSpec, canonical_expr
    from prodops.data.presets import ColumnMapping
    from prodops.data.relations import Relation

    raw = pd.DataFrame(
        {
            "uid": ["a", "b", "c"],
            "what": ["open", "buy", "open"],
            "ms": [1_710_038_400_000, 1_710_038_400_250, 1_730_595_600_999],
            "s": [1_710_038_400.5, 0.0, 1_730_595_600.25],
        }
    )
    view = spark_view(raw, {"uid": "string", "what": "string", "ms": "int64", "s": "float64"})
    expected = {
        "ms": ["2024-03-10 02:40:00", "2024-03-10 02:40:00.250", "2024-11-03 01:00:00.999"],
        "s": ["2024-03-10 02:40:00.5", "1970-01-01", "2024-11-03 01:00:00.250"],
    }
    for column, unit in (("ms", "ms"), ("s", "s")):
        mapping = ColumnMapping(
            kind="events",
            preset="generic",
            columns={"user_id": "uid", "event": "what", "timestamp": column},
        )
        spec = LiveSpec("sc://spark", Relation(table="t"), mapping, epoch_units={"timestamp": unit})
        got = canonical_expr(view, spec).order_by("user_id").to_pandas()["timestamp"]
        assert got.tolist() == [pd.Timestamp(v, tz="UTC") for v in expected[column]]
