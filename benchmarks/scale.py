"""The scale curve: metric time and peak memory on DuckDB from 1M to 100M events.

Usage: ``python benchmarks/scale.py [--sizes 1M 10M 30M 100M] [--dir /tmp/prodops-scale]
[--memory-limit 2GB] [--runs 1] [--chart docs/benchmarks/scale.png]``

For each size a deterministic event log (and a subscription history of one customer per 20
events' users) is written as Parquet by DuckDB itself (no Python rows), then loaded once into a
DuckDB file, as an import does. Every metric then runs in its own subprocess on that file through
the product's API, with DuckDB capped by ``PRODOPS_DUCKDB_MEMORY_LIMIT`` (``--memory-limit``) and
spilling to ``PRODOPS_HOME/tmp``; the subprocess reports its time and its own peak RSS (VmHWM).
Between consecutive sizes the growth exponent is ``log(t2 / t1) / log(n2 / n1)`` (1.0: linear).

Metrics: weekly retention over the whole year, hourly retention over a bounded range (two weeks
of hourly cohorts followed for a week: 336 x 168 cells, under the cell cap of
:mod:`prodops.metrics.limits`), weekly lifecycle, 7-day active users for every day of the year,
monthly revenue. Results: ``--dir``/scale.json and scale.md, and a PNG chart (vl-convert).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

SIZES = {"1M": 1_000_000, "10M": 10_000_000, "30M": 30_000_000, "100M": 100_000_000}
METRICS = ("retention_week", "retention_hour", "lifecycle_week", "active_users_7d", "revenue_month")
YEAR_S = 366 * 86_400  # 2024
START_S = 1_704_067_200  # 2024-01-01 00:00 UTC
EVENTS_PER_USER = 20

# Deterministic rows from hash(i): user u of row i starts at s_u and is active from then on,
# with events thinning out (the square of a uniform fraction of the rest of the year).
EVENTS_SQL = """
COPY (
  WITH rows AS (SELECT i, hash(i, 1) % {users} AS u FROM range({rows}) r(i)),
       starts AS (SELECT i, u, CAST(hash(u, 3) % ({year} * 0.8)::BIGINT AS BIGINT) AS s FROM rows)
  SELECT 'u' || u::VARCHAR AS user_id,
         (['open', 'view', 'buy', 'signup'])[1 + (hash(i, 2) % 4)::INTEGER] AS event,
         to_timestamp({start} + s + floor(pow((hash(i, 4) % 1000000) / 1e6, 2) * ({year} - s)))
           AS timestamp,
         (['free', 'pro', 'team'])[1 + (hash(u, 6) % 3)::INTEGER] AS plan
  FROM starts
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""
# One subscription per user; a third upgrade (a second one from the end of the first); about
# half end within the year (churn).
SUBSCRIPTIONS_SQL = """
COPY (
  WITH c AS (SELECT u, CAST(hash(u, 3) % ({year} * 0.8)::BIGINT AS BIGINT) AS s,
                    hash(u, 7) % 100 AS r FROM range({users}) t(u)),
       first AS (SELECT u, to_timestamp({start} + s) AS start,
                        CASE WHEN r < 50 OR r >= 66
                             THEN to_timestamp({start} + s + 86400 * (30 + hash(u, 8) % 200))
                        END AS "end",
                        ([10.0, 25.0, 49.0, 99.0])[1 + (hash(u, 9) % 4)::INTEGER] AS mrr
                 FROM c),
       upgrade AS (SELECT u, "end" AS start, NULL::TIMESTAMPTZ AS "end", mrr * 2 AS mrr
                   FROM first JOIN c USING (u) WHERE r >= 66)
  SELECT 'c' || u::VARCHAR AS customer_id, start, "end", mrr FROM first
  UNION ALL
  SELECT 'c' || u::VARCHAR, start, "end", mrr FROM upgrade
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""


# --- data ---------------------------------------------------------------------------------------


def _raw(path: Path | str = ":memory:") -> Any:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def prepare(rows: int, workdir: Path) -> tuple[Path, dict[str, float]]:
    """A DuckDB file with ``events`` and ``subscriptions`` of *rows* events (built once)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"scale-{rows}.duckdb"
    stats_file = db.with_suffix(".json")
    if db.exists() and stats_file.exists():
        return db, json.loads(stats_file.read_text())
    users = max(rows // EVENTS_PER_USER, 1)
    params = {"rows": rows, "users": users, "year": YEAR_S, "start": START_S}
    events, subs = workdir / f"events-{rows}.parquet", workdir / f"subscriptions-{rows}.parquet"
    con = _raw()
    started = time.perf_counter()
    if not events.exists():
        con.execute(EVENTS_SQL.format(path=events, **params))  # integers only
    if not subs.exists():
        con.execute(SUBSCRIPTIONS_SQL.format(path=subs, **params))
    generate_s = time.perf_counter() - started
    con.close()
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = _raw(tmp)
    started = time.perf_counter()
    con.execute("CREATE TABLE events AS SELECT * FROM read_parquet(?)", [str(events)])
    con.execute("CREATE TABLE subscriptions AS SELECT * FROM read_parquet(?)", [str(subs)])
    load_s = time.perf_counter() - started
    con.close()
    tmp.rename(db)
    stats = {
        "generate_s": generate_s,
        "load_s": load_s,
        "parquet_mib": events.stat().st_size / 2**20,
        "users": users,
    }
    stats_file.write_text(json.dumps(stats))
    return db, stats


# --- one metric in its own process --------------------------------------------------------------


def metric_call(metric: str, db: Path) -> Callable[[], Any]:
    from prodops import metrics as m
    from prodops.engine import duckdb_connect

    con = duckdb_connect(db, read_only=True)  # memory limit from PRODOPS_DUCKDB_MEMORY_LIMIT
    events, subs = con.table("events"), con.table("subscriptions")
    calls: dict[str, Callable[[], Any]] = {
        "retention_week": lambda: m.retention(events, period="week"),
        "retention_hour": lambda: m.retention(
            events, period="hour", periods=168, date_from="2024-06-01", date_to="2024-06-14"
        ),
        "lifecycle_week": lambda: m.lifecycle(events, period="week"),
        "active_users_7d": lambda: m.active_users(events, window_days=7),
        "revenue_month": lambda: m.revenue(subs, period="month"),
    }
    return calls[metric]


def peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM; ``ru_maxrss`` would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(metric: str, db: Path, runs: int) -> None:
    call = metric_call(metric, db)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    print(json.dumps({"s": statistics.median(times), "mib": peak_rss_mib(), "rows": len(result)}))


def measure(metric: str, db: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", metric, str(db), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return {"s": float("nan"), "mib": float("nan"), "rows": 0}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- report -------------------------------------------------------------------------------------


def exponents(results: list[dict[str, Any]]) -> dict[str, list[float | None]]:
    """Per metric, the growth exponent between consecutive sizes (``None`` if a run failed)."""
    out: dict[str, list[float | None]] = {}
    for metric in METRICS:
        points = sorted((r["rows"], r[metric]["s"]) for r in results if metric in r)
        out[metric] = [
            math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else None
            for (n1, t1), (n2, t2) in itertools.pairwise(points)
        ]
    return out


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    growth = exponents(results)
    lines = [
        f"Measured {meta['date']} on {meta['machine']}; "
        f"DuckDB memory limit {meta['memory_limit']}.",
        "",
        "| events | metric | time s | peak RSS MiB | growth exponent from the previous size |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for i, r in enumerate(sorted(results, key=lambda r: r["rows"])):
        for metric in METRICS:
            if metric not in r:
                continue
            g = growth[metric][i - 1] if i > 0 and i - 1 < len(growth[metric]) else None
            exp = "" if g is None else f"{g:.2f}"
            lines.append(
                f"| {r['rows']:,} | {metric} | {r[metric]['s']:.2f} | {r[metric]['mib']:.0f} "
                f"| {exp} |"
            )
    return "\n".join(lines) + "\n"


def chart(results: list[dict[str, Any]], path: Path) -> None:
    """Time against events, log-log, one line per metric (PNG through vl-convert)."""
    import altair as alt

    rows = [
        {"events": r["rows"], "metric": m, "seconds": r[m]["s"], "peak MiB": r[m]["mib"]}
        for r in results
        for m in METRICS
        if m in r and r[m]["s"] == r[m]["s"]
    ]
    frame = pd.DataFrame(rows)
    base = alt.Chart(frame).encode(
        x=alt.X("events:Q", scale=alt.Scale(type="log"), title="events"),
        color=alt.Color("metric:N"),
        tooltip=["events", "metric", "seconds", "peak MiB"],
    )
    time_chart = base.mark_line(point=True).encode(
        y=alt.Y("seconds:Q", scale=alt.Scale(type="log"), title="seconds")
    )
    memory_chart = base.mark_line(point=True).encode(y=alt.Y("peak MiB:Q", title="peak RSS (MiB)"))
    out = alt.hconcat(
        time_chart.properties(width=300, height=220, title="Time"),
        memory_chart.properties(width=300, height=220, title="Peak memory"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(str(path), scale_factor=1.5)


def machine() -> str:
    cores = os.cpu_count()
    mem = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f", {int(line.split()[1]) / 2**20:.0f} GiB RAM"
    return f"{cores} cores{mem}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--dir", type=Path, default=Path("/tmp/prodops-scale"))
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--metrics", nargs="+", default=list(METRICS), choices=METRICS)
    parser.add_argument("--chart", type=Path, default=None, help="PNG to write the chart to")
    parser.add_argument("--worker", nargs=2, metavar=("METRIC", "DB"))
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.runs)
        return 0
    home = args.dir / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PRODOPS_HOME": str(home),  # spill files go to PRODOPS_HOME/tmp
        "PRODOPS_DUCKDB_MEMORY_LIMIT": args.memory_limit,
    }
    meta = {
        "date": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d"),
        "machine": machine(),
        "memory_limit": args.memory_limit,
    }
    results: list[dict[str, Any]] = []
    out_json = args.dir / "scale.json"
    for size in args.sizes:
        rows = SIZES[size]
        db, stats = prepare(rows, args.dir)
        print(
            f"{rows:,} events: generated in {stats['generate_s']:.1f} s, "
            f"loaded in {stats['load_s']:.1f} s ({stats['parquet_mib']:.0f} MiB Parquet)",
            file=sys.stderr,
            flush=True,
        )
        entry: dict[str, Any] = {"rows": rows, **stats}
        for metric in args.metrics:
            entry[metric] = measure(metric, db, args.runs, env)
            print(f"  {metric}: {entry[metric]}", file=sys.stderr, flush=True)
        results.append(entry)
        out_json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    report = markdown(results, meta)
    (args.dir / "scale.md").write_text(report)
    print(report)
    if args.chart is not None:
        chart(results, args.chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
