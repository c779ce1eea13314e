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
mrr_at AS (
    SELECT s.customer_id, b.i, sum(s.amount) AS amount
    FROM subs s JOIN bounds b ON s.start <= b.t AND (s."end" IS NULL OR b.t < s."end")
    GROUP BY ALL
),
pairs AS (
    SELECT coalesce(a0.customer_id, a1.customer_id) AS customer_id,
           coalesce(a0.i, a1.i - 1) AS i,
           coalesce(a0.amount, 0) AS m0, coalesce(a1.amount, 0) AS m1
    FROM mrr_at a0 FULL OUTER JOIN mrr_at a1 ON a0.customer_id = a1.customer_id AND a0.i = a1.i - 1
),
firsts AS (SELECT customer_id, min(start) AS first_start FROM subs GROUP BY ALL),
moves AS (
    SELECT p.*, f.first_start >= b.t AS never_before
    FROM pairs p JOIN firsts f USING (customer_id) JOIN bounds b USING (i)
    WHERE p.i >= 0 AND p.i < {n}
)
SELECT i,
    sum(m0) AS mrr_start,
    sum(CASE WHEN m0 = 0 AND never_before THEN m1 ELSE 0 END) AS new,
    sum(CASE WHEN m0 > 0 AND m1 > m0 THEN m1 - m0 ELSE 0 END) AS expansion,
    sum(CASE WHEN m1 > 0 AND m1 < m0 THEN m0 - m1 ELSE 0 END) AS contraction,
    sum(CASE WHEN m0 > 0 AND m1 = 0 THEN m0 ELSE 0 END) AS churn,
    sum(CASE WHEN m0 = 0 AND NOT never_before THEN m1 ELSE 0 END) AS reactivation,
    sum(m1) AS mrr_end,
    count(*) FILTER (WHERE m0 > 0) AS customers_start,
    count(*) FILTER (WHERE m1 > 0) AS customers_end,
    count(*) FILTER (WHERE m0 > 0 AND m1 = 0) AS customers_churned
FROM moves GROUP BY i ORDER BY i
"""


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
    con.con.execute(
        "CREATE TABLE subscriptions AS SELECT * FROM read_parquet($1)", [str(path)]
    )
    return con


def run_prodops(path: Path) -> pd.DataFrame:
    from prodops.metrics.revenue import revenue

    table = _load_duckdb(path).table("subscriptions")
    return timed(lambda: revenue(table, date_from=DATE_FROM, date_to=DATE_TO))


def run_sql(path: Path) -> pd.DataFrame:
    con = _load_duckdb(path).con
    sql = SQL.format(first=DATE_FROM, n=MONTHS)

    def query() -> pd.DataFrame:
        frame = con.execute(sql).df()
        money = ["mrr_start", "new", "expansion", "contraction", "churn", "reactivation"]
        for col in [*money, "mrr_end"]:
            frame[col] = frame[col].astype("float64") / 10_000
        return frame

    return timed(query)


def run_pandas(path: Path) -> pd.DataFrame:
    subs = pd.read_parquet(path, columns=["customer_id", "start", "end", "mrr"])

    def compute() -> pd.DataFrame:
        s = subs[subs["start"].notna() & (subs["mrr"] > 0) & ~(subs["end"] <= subs["start"])]
        customer = s["customer_id"].astype("category").cat.codes.to_numpy()
        amount = (s["mrr"] * 10_000).round().astype("int64").to_numpy()
        first = pd.Series(s["start"].to_numpy()).groupby(customer).min()
        starts, ends = s["start"].to_numpy(), s["end"].to_numpy()
        bounds = pd.date_range(DATE_FROM, periods=MONTHS + 1, freq="MS", tz="UTC")
        at = []
        for t in bounds.to_numpy():
            active = (starts <= t) & ~(ends <= t)
            at.append(pd.Series(amount[active]).groupby(customer[active]).sum())
        rows = []
        for i in range(MONTHS):
            both = pd.concat([at[i].rename("m0"), at[i + 1].rename("m1")], axis=1).fillna(0)
            m0, m1 = both["m0"], both["m1"]
            never = first.reindex(both.index).to_numpy() >= bounds[i].to_datetime64()
            rows.append(
                {
                    "mrr_start": m0.sum() / 10_000,
                    "new": m1[(m0 == 0) & never].sum() / 10_000,
                    "expansion": (m1 - m0)[(m0 > 0) & (m1 > m0)].sum() / 10_000,
                    "contraction": (m0 - m1)[(m1 > 0) & (m1 < m0)].sum() / 10_000,
                    "churn": m0[(m0 > 0) & (m1 == 0)].sum() / 10_000,
                    "reactivation": m1[(m0 == 0) & ~never].sum() / 10_000,
                    "mrr_end": m1.sum() / 10_000,
                    "customers_churned": int(((m0 > 0) & (m1 == 0)).sum()),
                }
            )
        return pd.DataFrame(rows)

    return timed(compute)


_TIMES: list[float] = []


def timed(fn):  # type: ignore[no-untyped-def]
    result = None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = fn()
        _TIMES.append(time.perf_counter() - t0)
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
    print(f"{'variant':<12}{'median s':>10}{'vs SQL':>9}{'peak RSS MiB':>14}")
    for name, res in results.items():
        ratio = res["median_s"] / base
        print(f"{name:<12}{res['median_s']:>10.2f}{ratio:>8.2f}x{res['peak_mib']:>14.0f}")
    same = all(res["totals"] == results["duckdb_sql"]["totals"] for res in results.values())
    print("same totals in every variant:", same, results["prodops"]["totals"])
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
