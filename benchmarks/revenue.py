"""Benchmark: monthly MRR movements over 36 months of 1M subscription rows.

Compares ``prodops.metrics.revenue.revenue`` (Ibis on DuckDB) with a hand-written DuckDB SQL
version of the same definition and a plain pandas version. Each variant runs in its own
subprocess (so peak RSS, from ``ru_maxrss``, is its own): it loads the same Parquet file into an
in-memory DuckDB table (or a frame), runs the metric 3 times and reports the median. All three
must give the same totals. Target: prodops within 1.5x of the SQL and under 3 s.

Run: ``.venv/bin/python benchmarks/revenue.py [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
END = pd.Timestamp("2026-11-01", tz="UTC")
MONTHS = 36
DATE_FROM = (END - pd.DateOffset(months=MONTHS)).strftime("%Y-%m-%d")
DATE_TO = (END - pd.DateOffset(months=1)).strftime("%Y-%m-%d")
RUNS = 3

# The same definition written by hand: every subscription is a step +amount at start and -amount
# at end; a step at s moves the period with t0 < s <= t1; summing steps per customer and period
# and accumulating gives MRR(t1) (m1) and MRR(t0) (m1 - steps).
SQL = """
WITH bounds AS (
    SELECT i, (TIMESTAMP '{first}' + to_months(CAST(i AS INTEGER)))::TIMESTAMPTZ AS t
    FROM range(0, {n} + 1) r(i)
),
subs AS (
    SELECT customer_id, start, "end", CAST(round(mrr * 10000) AS BIGINT) AS amount
    FROM subscriptions
    WHERE start IS NOT NULL AND mrr > 0 AND ("end" IS NULL OR "end" > start)
),
steps AS (
    SELECT customer_id, start AS time, amount AS delta FROM subs
    UNION ALL
    SELECT customer_id, "end" AS time, -amount AS delta FROM subs WHERE "end" IS NOT NULL
),
indexed AS (
    SELECT *, date_diff('month', TIMESTAMP '{first}', date_trunc('month', time::TIMESTAMP)) AS k
    FROM steps
),
placed AS (
    SELECT s.customer_id, s.delta,
        CASE WHEN s.k < 0 THEN -1 WHEN s.time <= b.t THEN s.k - 1 ELSE s.k END AS i
    FROM indexed s LEFT JOIN bounds b ON s.k = b.i
),
per AS (SELECT customer_id, i, sum(delta) AS delta FROM placed WHERE i < {n} GROUP BY ALL),
acc AS (
    SELECT i, delta, m1, m1 - delta AS m0, first_i
    FROM (
        SELECT *, sum(delta) OVER (PARTITION BY customer_id ORDER BY i) AS m1,
            min(i) OVER (PARTITION BY customer_id ORDER BY i) AS first_i
        FROM per
    )
)
SELECT i,
    sum(CASE WHEN m0 = 0 AND m1 > 0 AND first_i = i THEN m1 ELSE 0 END) AS new,
    sum(CASE WHEN m0 > 0 AND m1 > m0 THEN m1 - m0 ELSE 0 END) AS expansion,
    sum(CASE WHEN m1 > 0 AND m1 < m0 THEN m0 - m1 ELSE 0 END) AS contraction,
    sum(CASE WHEN m0 > 0 AND m1 = 0 THEN m0 ELSE 0 END) AS churn,
    sum(CASE WHEN m0 = 0 AND m1 > 0 AND first_i < i THEN m1 ELSE 0 END) AS reactivation,
    count(*) FILTER (WHERE m0 > 0 AND m1 = 0) AS customers_churned,
    sum(m1) AS state_mrr
FROM acc GROUP BY i ORDER BY i
"""
MOVES = ["new", "expansion", "contraction", "churn", "reactivation"]


def _carry(frame: pd.DataFrame) -> pd.DataFrame:
    """MRR at start and end of each period from the state before the range and the movements."""
    state = float(frame.loc[frame["i"] == -1, "state_mrr"].sum())
    frame = frame[frame["i"] >= 0].set_index("i").reindex(range(MONTHS)).fillna(0)
    net = frame["new"] + frame["expansion"] + frame["reactivation"]
    net = net - frame["contraction"] - frame["churn"]
    frame["mrr_end"] = state + net.cumsum()
    frame["mrr_start"] = frame["mrr_end"] - net
    for col in [*MOVES, "mrr_start", "mrr_end"]:
        frame[col] = frame[col].astype("float64") / 10_000
    return frame.reset_index(drop=True)


def make_data(rows: int) -> Path:
    """Write the deterministic 1M-row subscriptions file once (benchmarks/out, not in git)."""
    from prodops.data.demo import generate_subscriptions_rows

    path = OUT / f"subscriptions-{rows}.parquet"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        frame = generate_subscriptions_rows(rows=rows, months=MONTHS, end=END, seed=7)
        frame.to_parquet(path, index=False)
    return path


def _load_duckdb(path: Path):  # type: ignore[no-untyped-def]
    from prodops.engine import duckdb_connect

    con = duckdb_connect(allowed_directories=[path.parent])
    con.con.execute("CREATE TABLE subscriptions AS SELECT * FROM read_parquet($1)", [str(path)])
    return con


def run_prodops(path: Path) -> pd.DataFrame:
    from prodops.metrics.revenue import revenue

    table = _load_duckdb(path).table("subscriptions")
    return timed(lambda: revenue(table, date_from=DATE_FROM, date_to=DATE_TO))


def run_sql(path: Path) -> pd.DataFrame:
    con = _load_duckdb(path).con
    sql = SQL.format(first=DATE_FROM, n=MONTHS)
    return timed(lambda: _carry(con.execute(sql).df()))


def run_pandas(path: Path) -> pd.DataFrame:
    subs = pd.read_parquet(path, columns=["customer_id", "start", "end", "mrr"])
    bounds = pd.date_range(DATE_FROM, periods=MONTHS + 1, freq="MS", tz="UTC")

    def compute() -> pd.DataFrame:
        s = subs[subs["start"].notna() & (subs["mrr"] > 0) & ~(subs["end"] <= subs["start"])]
        amount = (s["mrr"] * 10_000).round().astype("int64")
        ended = s["end"].notna()
        steps = pd.DataFrame(
            {
                "customer_id": pd.concat([s["customer_id"], s.loc[ended, "customer_id"]]),
                "time": pd.concat([s["start"], s.loc[ended, "end"]]),
                "delta": pd.concat([amount, -amount[ended]]),
            }
        )
        k = bounds.searchsorted(steps["time"], side="left")  # bounds[k-1] < time <= bounds[k]
        steps = steps[k <= MONTHS].assign(i=k[k <= MONTHS] - 1)
        per = steps.groupby(["customer_id", "i"], sort=True)["delta"].sum().reset_index()
        by_customer = per.groupby("customer_id", sort=False)
        per["m1"] = by_customer["delta"].cumsum()
        per["m0"] = per["m1"] - per["delta"]
        first = by_customer["i"].transform("min") == per["i"]
        m0, m1 = per["m0"], per["m1"]
        up = (m0 == 0) & (m1 > 0)
        cols = {
            "new": m1.where(up & first, 0),
            "expansion": (m1 - m0).where((m0 > 0) & (m1 > m0), 0),
            "contraction": (m0 - m1).where((m1 > 0) & (m1 < m0), 0),
            "churn": m0.where((m0 > 0) & (m1 == 0), 0),
            "reactivation": m1.where(up & ~first, 0),
            "customers_churned": ((m0 > 0) & (m1 == 0)).astype("int64"),
            "state_mrr": m1,
        }
        totals = pd.DataFrame(cols).groupby(per["i"]).sum().reset_index()
        return _carry(totals)

    return timed(compute)


_TIMES: list[float] = []
_CPU: list[float] = []


def timed(fn):  # type: ignore[no-untyped-def]
    result = None
    for _ in range(RUNS):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        _TIMES.append(time.perf_counter() - t0)
        _CPU.append(time.process_time() - c0)  # all threads; less sensitive to a busy machine
    return result


VARIANTS = {"prodops": run_prodops, "duckdb_sql": run_sql, "pandas": run_pandas}
CHECK = ["mrr_start", "new", "expansion", "contraction", "churn", "reactivation", "mrr_end"]


def child(variant: str, path: Path) -> None:
    """Run one variant; print its timings, peak RSS and totals as one JSON line."""
    frame = VARIANTS[variant](path)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = {c: round(float(frame[c].sum()), 2) for c in CHECK}
    totals["customers_churned"] = int(frame["customers_churned"].sum())
    print(
        json.dumps(
            {"median_s": statistics.median(_TIMES), "runs_s": _TIMES, "peak_mib": peak_mib,
             "cpu_s": statistics.median(_CPU),
             "periods": len(frame), "totals": totals}
        )
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=list(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path)
        return 0
    t0 = time.perf_counter()
    path = make_data(args.rows)
    print(f"data: {args.rows:,} subscription rows, {path} ({time.perf_counter() - t0:.1f} s)")
    results = {}
    for variant in VARIANTS:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", variant, "--path", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
    base = results["duckdb_sql"]["median_s"]
    print(f"monthly revenue movements, {MONTHS} months, median of {RUNS} runs")
    cpu_base = results["duckdb_sql"]["cpu_s"]
    print(f"{'variant':<12}{'median s':>10}{'vs SQL':>9}{'CPU s':>8}{'vs SQL':>9}{'peak MiB':>10}")
    for name, res in results.items():
        ratio, cpu_ratio = res["median_s"] / base, res["cpu_s"] / cpu_base
        print(
            f"{name:<12}{res['median_s']:>10.2f}{ratio:>8.2f}x{res['cpu_s']:>8.2f}"
            f"{cpu_ratio:>8.2f}x{res['peak_mib']:>10.0f}"
        )
    same = all(res["totals"] == results["duckdb_sql"]["totals"] for res in results.values())
    print("same totals in every variant:", same, results["prodops"]["totals"])
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
