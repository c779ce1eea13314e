"""Benchmark a raw events file end to end, as whole processes, against hand-written DuckDB.

Usage: ``python benchmarks/raw_file.py [--rows 10000000] [--out benchmarks/out] [--repeat 3]``

The deterministic demo generator writes the CSV once (:func:`ingest.prepare`, kept in ``--out``).
Each side is then one whole process (interpreter start, imports, reading the file, the answer),
started by a small wrapper process that reads ``resource.getrusage(RUSAGE_CHILDREN)`` after it
ends, so the peak RSS and CPU time are that side's alone. Sides run interleaved, ``--repeat``
times each; the table shows medians (the machine is shared: compare ratios, not seconds).

- ``prodops retention``: ``prodops retention FILE --period week --periods 12 --format json``:
  sniffing, the preview and guesses, reading and validating every row, the metric, the JSON;
- ``hand-written``: what a person would write with DuckDB alone: ``read_csv`` of the file into a
  table, then the weekly retention SQL of ``benchmarks/metrics.py`` (first-time cohorts of the
  12 weeks ending at the data end, 12 offsets). The two answers are compared cell by cell;
- ``hand-written, one pass`` (for information): the same answer in one query straight over
  ``read_csv`` (DuckDB reads only the two columns it needs);
- ``prodops import``: ``prodops import FILE --name bench`` into a fresh ``PRODOPS_HOME`` whose
  store was migrated beforehand (untimed: a first run's one-off); each process still opens the
  store at start-up, for the import's audit entry;
- ``DuckDB read_csv``: ``CREATE TABLE t AS SELECT * FROM read_csv(FILE)`` into a fresh DuckDB
  file (as ``benchmarks/ingest.py`` does, but as a whole process).

Targets (issue 16): retention within 1.15x of the hand-written query; import within 1.1x of
``read_csv``. ``--ingest`` also runs ``benchmarks/ingest.py``'s in-process import comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SIDES = ("retention", "hand", "hand_one_pass", "import", "read_csv")
LABELS = {
    "retention": "prodops retention FILE",
    "hand": "hand-written: read_csv into a table + SQL",
    "hand_one_pass": "hand-written, one pass over read_csv",
    "import": "prodops import FILE",
    "read_csv": "DuckDB read_csv into a table",
}
BASELINE = {"retention": "hand", "hand_one_pass": "hand", "import": "read_csv"}
WEEKS = 12

# benchmarks/metrics.py's weekly retention ($1: start of the first week, $2: end of the last)
WEEK = "CAST(floor((epoch(timestamp) - epoch($1::TIMESTAMP)) / 604800) AS BIGINT)"
RETENTION_SQL = f"""
    WITH pairs AS (SELECT DISTINCT user_id, {WEEK} AS w FROM events
                   WHERE timestamp < $2::TIMESTAMPTZ),
         firsts AS (SELECT user_id, min(w) AS c FROM pairs GROUP BY user_id HAVING min(w) >= 0)
    SELECT f.c, p.w - f.c AS k, count(*) AS n
    FROM firsts f JOIN pairs p USING (user_id) WHERE p.w >= f.c GROUP BY ALL"""
BOUNDS_SQL = f"""
    SELECT date_trunc('week', max(timestamp) AT TIME ZONE 'UTC') - INTERVAL {WEEKS - 1} WEEK,
           date_trunc('week', max(timestamp) AT TIME ZONE 'UTC') + INTERVAL 1 WEEK FROM events"""
ONE_PASS_SQL = f"""
    WITH pairs AS (SELECT DISTINCT user_id, date_trunc('week', timestamp AT TIME ZONE 'UTC') AS w
                   FROM read_csv($1)),
         last AS (SELECT max(w) AS w FROM pairs),
         firsts AS (SELECT user_id, min(w) AS c FROM pairs GROUP BY user_id)
    SELECT datediff('week', last.w, f.c) + {WEEKS - 1} AS c, datediff('week', f.c, p.w) AS k,
           count(*) AS n
    FROM firsts f JOIN pairs p USING (user_id), last
    WHERE f.c > last.w - INTERVAL {WEEKS} WEEK AND p.w >= f.c GROUP BY ALL"""


def hand_written(csv: Path, *, one_pass: bool) -> list[tuple[int, int, int]]:
    """The hand-written answer: (cohort index 0..11, offset, users), DuckDB alone."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if one_pass:
        rows = con.execute(ONE_PASS_SQL, [str(csv)]).fetchall()
    else:
        con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?)", [str(csv)])
        first, end = con.execute(BOUNDS_SQL).fetchone() or (None, None)
        rows = con.execute(RETENTION_SQL, [first, end]).fetchall()
    return sorted((int(c), int(k), int(n)) for c, k, n in rows)


def command(side: str, csv: Path, home: Path) -> list[str]:
    """The command line of one side."""
    if side == "retention":
        periods = ["--period", "week", "--periods", str(WEEKS), "--format", "json"]
        return [*_prodops(), "retention", str(csv), *periods]
    if side == "import":
        return [*_prodops(), "import", str(csv), "--name", "bench", "--kind", "events"]
    return [sys.executable, str(HERE), "--child", side, "--csv", str(csv), "--home", str(home)]


def _prodops() -> list[str]:
    script = Path(sys.executable).with_name("prodops")  # the console script of the venv
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from prodops.cli import main; sys.exit(main())"]


def run_child(side: str, csv: Path, home: Path) -> None:
    """The DuckDB-only sides, in this process; prints what they found."""
    if side == "read_csv":
        import duckdb

        con = duckdb.connect(str(home / "plain.duckdb"))
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
        found = con.execute("SELECT count(*) FROM t").fetchone()
        con.close()
        print(json.dumps({"rows": found[0] if found else 0}))
        return
    print(json.dumps(hand_written(csv, one_pass=side == "hand_one_pass")))


def measure(side: str, csv: Path) -> dict[str, object]:
    """Run *side* as a child of this (fresh) process: wall time, CPU time, peak RSS, output."""
    home = Path(tempfile.mkdtemp(prefix=f"prodops-raw-{side}-"))
    args = command(side, csv, home)
    env = {**os.environ, "PRODOPS_HOME": str(home)}
    if side == "import":  # a store migrated once, as anyone's is after the first run (untimed)
        init = "from prodops.store.db import init_store; init_store()"
        subprocess.run([sys.executable, "-c", init], check=True, env=env)
    try:
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss": usage.ru_maxrss * 1024.0,
        "stdout": done.stdout,
    }


def same_answer(prodops_json: str, hand_json: str) -> bool:
    """Whether prodops' retention document holds the hand-written counts in every cell it
    reports (cells it leaves null lie after the data end, where the SQL has no row)."""
    doc = json.loads(prodops_json)
    hand = {(c, k): n for c, k, n in json.loads(hand_json)}
    cohorts = doc["cohorts"]
    if len(cohorts) != WEEKS:
        return False
    return all(
        count is None or count == hand.get((i, k), 0)
        for i, cohort in enumerate(cohorts)
        for k, count in enumerate(cohort["counts"])
    )


def report(rows: int, results: dict[str, list[dict[str, object]]]) -> str:
    """The markdown table: medians of time and CPU, largest peak RSS, ratio to the baseline."""

    def median(side: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in results[side])  # type: ignore[arg-type]

    load = os.getloadavg()
    lines = [
        f"Raw {rows:,}-row events CSV, whole processes ({len(results['hand'])} run(s) each, "
        f"median; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})",
        "",
        "| side | time (s) | CPU (s) | peak RSS (GiB) | time ratio | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for side in SIDES:
        if not results[side]:
            continue
        base = BASELINE.get(side)
        ratio = cpu_ratio = ""
        if base:
            ratio = f"{median(side, 'seconds') / median(base, 'seconds'):.2f}"
            cpu_ratio = f"{median(side, 'cpu_seconds') / median(base, 'cpu_seconds'):.2f}"
        peak = max(float(r["peak_rss"]) for r in results[side]) / 2**30  # type: ignore[arg-type]
        lines.append(
            f"| {LABELS[side]} | {median(side, 'seconds'):.2f} | "
            f"{median(side, 'cpu_seconds'):.2f} | {peak:.2f} | {ratio} | {cpu_ratio} |"
        )
    if results["retention"] and results["hand"]:
        same = same_answer(
            str(results["retention"][0]["stdout"]), str(results["hand"][0]["stdout"])
        )
        lines += ["", f"retention answers identical to the hand-written query: {same}"]
    return "\n".join(lines)


def compile_package() -> None:
    """Write prodops's bytecode first, as ``pip install`` does for an installed package: an
    editable checkout run where PYTHONDONTWRITEBYTECODE is set (this machine's environment) would
    otherwise compile some 40 modules in every ``prodops`` process (0.07-0.1 s), a cost no
    installed copy pays."""
    import compileall

    compileall.compile_dir(HERE.parents[1] / "prodops", quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the events CSV")
    parser.add_argument("--out", type=Path, default=HERE.parent / "out", help="where the CSV goes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (interleaved)")
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--ingest", action="store_true", help="also run benchmarks/ingest.py")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.csv, args.home)
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, args.csv)))
        return 0
    sys.path.insert(0, str(HERE.parent))  # benchmarks/ is a folder of scripts, not a package
    import ingest

    csv = ingest.prepare(args.rows, args.out)
    compile_package()
    sides = [s for s in SIDES if s in args.sides]
    if "retention" in sides and "hand" not in sides:
        sides.append("hand")
    if "import" in sides and "read_csv" not in sides:
        sides.append("read_csv")
    results: dict[str, list[dict[str, object]]] = {s: [] for s in SIDES}
    for _ in range(args.repeat):
        for side in sides:
            results[side].append(ingest.wrapped(side, csv, script=HERE))
    print(report(args.rows, results))
    if args.ingest:
        inproc: dict[str, list[dict[str, float]]] = {s: [] for s in ingest.SIDES}
        for _ in range(args.repeat):
            for side in ingest.SIDES:
                inproc[side].append(ingest.wrapped(side, csv))
        print()
        print(ingest.table(args.rows, inproc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
