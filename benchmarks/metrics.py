"""Benchmark the events metrics: prodops API vs hand-written DuckDB SQL vs straightforward pandas.

Usage: ``python benchmarks/metrics.py [--rows 1000000 10000000] [--dir /tmp/prodops-bench]``

For each size, the deterministic demo generator (:mod:`prodops.data.demo`) writes a CSV once
(cached in ``--dir``), which is loaded into a DuckDB file. Every (metric, variant) then runs in its
own subprocess, so its peak RSS (VmHWM, else ``ru_maxrss``) is its own: three runs, the median
reported. The pandas variant is shown without and with loading the columns it needs from DuckDB
into a frame (its peak RSS includes the load). Prints a markdown table with the ratios.

``--variants catalog`` (included by default) measures the metrics on the same events imported
into a catalog (``prodops import``, built once in ``--dir``), as the app and ``--dataset`` use
them: the first call in a fresh process (the cache of :mod:`prodops.metrics.day_runs` emptied
first) and the median of the calls after it, against the target of issue 16 (7-day active users
at 10M events under 2 s on a loaded dataset). Prints a second table.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

WEEKS = 12
METRICS = ("retention_week", "lifecycle_week", "stickiness_day", "active_users_7d", "churn_month")


# --- data ---------------------------------------------------------------------------------------


def prepare(rows: int, workdir: Path) -> Path:
    """Return a DuckDB file holding ``events`` with about *rows* demo events (built once)."""
    import duckdb

    from prodops.data.demo import write_events_csv

    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"events-{rows}.duckdb"
    if db.exists():
        return db
    csv = workdir / f"events-{rows}.csv"
    if not csv.exists():
        started = time.perf_counter()
        written = write_events_csv(csv, rows=rows)
        print(
            f"generated {written:,} events in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(
        "CREATE TABLE events AS SELECT user_id::VARCHAR AS user_id, event::VARCHAR AS event, "
        "CAST(timestamp AS TIMESTAMPTZ) AS timestamp, plan::VARCHAR AS plan, "
        "country::VARCHAR AS country, platform::VARCHAR AS platform "
        "FROM read_csv(?, header = true, all_varchar = true)",
        [str(csv)],
    )
    con.close()
    tmp.rename(db)
    return db


def prepare_catalog(rows: int, workdir: Path) -> Path:
    """Return a data directory whose catalog holds the demo events as dataset ``events``."""
    import shutil

    from prodops.data.catalog import Catalog

    prepare(rows, workdir)  # writes the CSV once
    home = workdir / f"catalog-{rows}"
    if (home / "catalog.duckdb").exists():
        return home
    tmp = workdir / f"catalog-{rows}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    Catalog(home=tmp).import_file(workdir / f"events-{rows}.csv", name=CATALOG_DATASET)
    print(f"imported into a catalog in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    tmp.rename(home)
    return home


# --- variants -----------------------------------------------------------------------------------

CATALOG_DATASET = "events"


def call_metric(metric: str, table: Any) -> Any:
    """Run *metric* through the prodops API on *table*."""
    from prodops import metrics as m

    calls: dict[str, Callable[[], Any]] = {
        "retention_week": lambda: m.retention(table, period="week", periods=WEEKS),
        "lifecycle_week": lambda: m.lifecycle(table, period="week"),
        "stickiness_day": lambda: m.stickiness(table, period="day"),
        "active_users_7d": lambda: m.active_users(table, window_days=7),
        "churn_month": lambda: m.churn(table, period="month"),
    }
    return calls[metric]()


def run_prodops(metric: str, db: Path) -> Callable[[], Any]:
    from prodops.engine import duckdb_connect

    table = duckdb_connect(db, read_only=True).table("events")
    return lambda: call_metric(metric, table)


# Hand-written DuckDB SQL for the same results (UTC; $1 = start of the first period).
DAY = "CAST(floor((epoch(timestamp) - epoch($1::TIMESTAMP)) / 86400) AS BIGINT)"
WEEK = "CAST(floor((epoch(timestamp) - epoch($1::TIMESTAMP)) / 604800) AS BIGINT)"
MONTH = "CAST(date_diff('month', $1::TIMESTAMP, timestamp AT TIME ZONE 'UTC') AS BIGINT)"
SQL = {
    "retention_week": f"""
        WITH pairs AS (SELECT DISTINCT user_id, {WEEK} AS w FROM events
                       WHERE timestamp < $2::TIMESTAMPTZ),
             firsts AS (SELECT user_id, min(w) AS c FROM pairs GROUP BY user_id HAVING min(w) >= 0)
        SELECT f.c, p.w - f.c AS k, count(*) AS n
        FROM firsts f JOIN pairs p USING (user_id) WHERE p.w >= f.c GROUP BY ALL""",
    "lifecycle_week": f"""
        WITH pairs AS (SELECT DISTINCT user_id, {WEEK} AS w FROM events),
             marked AS (SELECT w, lag(w) OVER u AS prev, lead(w) OVER u AS nxt FROM pairs
                        WINDOW u AS (PARTITION BY user_id ORDER BY w))
        SELECT w, CASE WHEN prev IS NULL THEN 'new' WHEN prev = w - 1 THEN 'returning'
                       ELSE 'resurrecting' END AS kind, count(*) AS n FROM marked GROUP BY ALL
        UNION ALL
        SELECT w + 1, 'dormant', count(*) FROM marked
        WHERE nxt IS NULL OR nxt > w + 1 GROUP BY ALL""",
    "stickiness_day": f"""
        WITH pairs AS (SELECT DISTINCT user_id, {DAY} AS d FROM events),
             per_user AS (SELECT user_id, count(*) AS a FROM pairs GROUP BY user_id)
        SELECT a, count(*) AS users FROM per_user GROUP BY a""",
    "active_users_7d": f"""
        WITH pairs AS (SELECT DISTINCT user_id, {DAY} AS d FROM events),
             days AS (SELECT DISTINCT d FROM pairs)
        SELECT days.d, count(DISTINCT pairs.user_id) AS users
        FROM days JOIN pairs ON pairs.d BETWEEN days.d - 6 AND days.d GROUP BY days.d""",
    "churn_month": f"""
        WITH pairs AS (SELECT DISTINCT user_id, {MONTH} AS m FROM events),
             marked AS (SELECT m, lead(m) OVER (PARTITION BY user_id ORDER BY m) AS nxt FROM pairs)
        SELECT m + 1 AS period, count(*) AS active_start,
               count(*) FILTER (WHERE nxt IS NULL OR nxt > m + 1) AS churned
        FROM marked GROUP BY ALL""",
}


def _first_period(con: Any, metric: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = con.execute(
        "SELECT min(timestamp AT TIME ZONE 'UTC'), max(timestamp AT TIME ZONE 'UTC') FROM events"
    ).fetchone()
    lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
    if metric == "retention_week":
        last = hi.normalize() - pd.Timedelta(days=hi.weekday())
        return last - pd.Timedelta(weeks=WEEKS - 1), last + pd.Timedelta(weeks=1)
    if metric == "lifecycle_week":
        return lo.normalize() - pd.Timedelta(days=lo.weekday()), hi
    if metric == "churn_month":
        return lo.normalize().replace(day=1), hi
    return lo.normalize(), hi


def run_sql(metric: str, db: Path) -> Callable[[], Any]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")

    def go() -> Any:
        first, end = _first_period(con, metric)
        params: list[Any] = [first.to_pydatetime()]
        if "$2" in SQL[metric]:
            params.append(end.tz_localize("UTC").to_pydatetime())
        return con.execute(SQL[metric], params).df()

    return go


def run_pandas(metric: str, db: Path) -> Callable[[], Any]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    frame = con.execute(
        "SELECT user_id, timestamp AT TIME ZONE 'UTC' AS timestamp FROM events"
    ).df()
    lo = frame["timestamp"].min()

    def pairs(unit: str) -> pd.DataFrame:
        ts = frame["timestamp"]
        if unit == "week":
            first = lo.normalize() - pd.Timedelta(days=lo.weekday())
            idx = (ts - first).dt.days // 7
        elif unit == "month":
            idx = (ts.dt.year - lo.year) * 12 + ts.dt.month - lo.month
        else:
            idx = (ts - lo.normalize()).dt.days
        return pd.DataFrame({"user_id": frame["user_id"], "i": idx}).drop_duplicates()

    def retention() -> Any:
        p = pairs("week")
        last = int(p["i"].max())
        firsts = p.groupby("user_id")["i"].min().rename("c")
        firsts = firsts[firsts >= last - WEEKS + 1]
        joined = p.merge(firsts, left_on="user_id", right_index=True)
        return joined.groupby(["c", joined["i"] - joined["c"]]).size()

    def lifecycle() -> Any:
        p = pairs("week").sort_values(["user_id", "i"])
        g = p.groupby("user_id")["i"]
        prev, nxt = g.shift(1), g.shift(-1)
        kind = np.where(
            prev.isna(), "new", np.where(prev == p["i"] - 1, "returning", "resurrecting")
        )
        active = p.groupby([p["i"], kind]).size()
        gone = p[nxt.isna() | (nxt > p["i"] + 1)]
        return active, gone.groupby(gone["i"] + 1).size()

    def stickiness() -> Any:
        return pairs("day").groupby("user_id").size().value_counts().sort_index()

    def active_users() -> Any:
        p = pairs("day").sort_values("i")
        days, users = p["i"].to_numpy(), p["user_id"].to_numpy()
        out = []
        for d in range(int(days.max()) + 1):
            lo_, hi_ = np.searchsorted(days, [d - 6, d + 1])
            out.append(len(pd.unique(users[lo_:hi_])))
        return out

    def churn() -> Any:
        p = pairs("month").sort_values(["user_id", "i"])
        nxt = p.groupby("user_id")["i"].shift(-1)
        left = nxt.isna() | (nxt > p["i"] + 1)
        return p.groupby(p["i"] + 1).agg(active=("user_id", "size")), left.groupby(p["i"] + 1).sum()

    calls = {
        "retention_week": retention,
        "lifecycle_week": lifecycle,
        "stickiness_day": stickiness,
        "active_users_7d": active_users,
        "churn_month": churn,
    }
    return calls[metric]


def run_catalog(metric: str, home: Path) -> Callable[[], Any]:
    """The prodops call on the catalog dataset, its day-runs cache emptied first (cold start)."""
    import shutil

    from prodops.data.catalog import Catalog

    shutil.rmtree(home / "cache", ignore_errors=True)
    opened = Catalog(home=home).open(CATALOG_DATASET)
    table = opened.__enter__()  # open for the life of this worker process

    def call() -> Any:
        assert opened is not None  # the closure keeps the catalog connection open
        return call_metric(metric, table)

    return call


VARIANTS = {"prodops": run_prodops, "sql": run_sql, "pandas": run_pandas}
ALL_VARIANTS = [*VARIANTS, "catalog"]
TARGETS_S = {"active_users_7d": 2.0}


def worker(variant: str, metric: str, db: Path, runs: int) -> None:
    """Time one (variant, metric) in this process and print a JSON line."""
    started = time.perf_counter()
    make = run_catalog if variant == "catalog" else VARIANTS[variant]
    call = make(metric, db)  # pandas: loads the columns it needs into a frame
    setup_s = time.perf_counter() - started
    times = []
    cold = variant == "catalog"  # one more call: the first one fills the cache
    for _ in range(runs + cold):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    median = statistics.median(times[cold:])
    result = {"median_s": median, "setup_s": setup_s, "peak_mib": peak_rss_kib() / 1024}
    print(json.dumps({**result, "first_s": times[0], "times_s": times}))


def peak_rss_kib() -> int:
    """Peak RSS of this process: VmHWM, else ru_maxrss.

    Linux carries ``ru_maxrss`` over ``exec`` from the parent (which held the generated data),
    while VmHWM is the high-water mark of this process's own memory.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def measure(variant: str, metric: str, db: Path, runs: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", variant, metric, str(db), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return {"median_s": float("nan"), "setup_s": float("nan"), "peak_mib": float("nan")}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/prodops-bench"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--metrics", nargs="+", default=list(METRICS), choices=METRICS)
    parser.add_argument("--variants", nargs="+", default=ALL_VARIANTS, choices=ALL_VARIANTS)
    parser.add_argument("--worker", nargs=3, metavar=("VARIANT", "METRIC", "DB"))
    args = parser.parse_args(argv)
    if args.worker:
        variant, metric, db = args.worker
        worker(variant, metric, Path(db), args.runs)
        return 0
    if set(args.variants) & set(VARIANTS):
        print(
            "| rows | metric | prodops s | SQL s | pandas s (compute) | pandas s (+ load) "
            "| prodops/SQL | pandas/prodops (compute) | pandas/prodops (+ load) "
            "| prodops MiB | SQL MiB | pandas MiB |"
        )
        print(
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        )
    nan = {"median_s": float("nan"), "setup_s": float("nan"), "peak_mib": float("nan")}
    for rows in args.rows:
        db = prepare(rows, args.dir)
        for metric in args.metrics:
            if not set(args.variants) & set(VARIANTS):
                break
            res = {
                v: measure(v, metric, db, args.runs) if v in args.variants else nan
                for v in VARIANTS
            }
            p, s, pd_ = (res[v]["median_s"] for v in ("prodops", "sql", "pandas"))
            pd_all = pd_ + res["pandas"].get("setup_s", float("nan"))
            print(
                f"| {rows:,} | {metric} | {p:.2f} | {s:.2f} | {pd_:.2f} | {pd_all:.2f} "
                f"| {p / s:.2f}x | {pd_ / p:.1f}x | {pd_all / p:.1f}x "
                f"| {res['prodops']['peak_mib']:.0f} | {res['sql']['peak_mib']:.0f} "
                f"| {res['pandas']['peak_mib']:.0f} |",
                flush=True,
            )
    if "catalog" in args.variants:
        print_catalog(args)
    return 0


def print_catalog(args: argparse.Namespace) -> None:
    """The second table: each metric on an imported dataset, first call and warm calls."""
    print(
        "\nOn an imported dataset (catalog), in a fresh process: the first call, then the "
        f"median of {args.runs} more\n"
    )
    print("| rows | metric | first call s | warm median s | target s | met |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    for rows in args.rows:
        home = prepare_catalog(rows, args.dir)
        for metric in args.metrics:
            res = measure("catalog", metric, home, args.runs)
            target = TARGETS_S.get(metric)
            shown = f"{target:.1f}" if target else "-"
            met = "-" if target is None else ("yes" if res["median_s"] < target else "no")
            print(
                f"| {rows:,} | {metric} | {res.get('first_s', float('nan')):.2f} "
                f"| {res['median_s']:.2f} | {shown} | {met} |",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
