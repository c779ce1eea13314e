"""Benchmark importing an events CSV into the catalog against DuckDB's own ``read_csv``.

Usage: ``python benchmarks/ingest.py [--rows 10000000] [--out benchmarks/out] [--repeat 1]``

The deterministic demo generator (:func:`prodops.data.demo.write_events_csv`) writes the CSV once
(kept in ``--out``). Each side then runs in its own process, started by a small wrapper process that
reads ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it ends, so the peak RSS is that
side's alone:

- ``prodops``: ``Catalog.import_file`` into a fresh data directory: sniffing, the preview and
  guesses, parsing and validating every row in SQL, the rejected-rows report, the dataset table
  and its catalog entry (rows, users, time range);
- ``duckdb``: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` into a fresh DuckDB file.

Prints a markdown table with time, peak RSS and the ratio prodops / duckdb. Targets: ratio at most
1.1 (issue 16), peak RSS under 3 GB. ``benchmarks/raw_file.py`` measures the same import as whole
processes (start-up included).

``--case posthog`` (issue 12): a PostHog-shaped CSV (``uuid``, ``event``, ``properties`` holding a
JSON object of 11 keys, ``timestamp``, ``distinct_id``, ``elements_chain``), written by DuckDB.
The prodops side imports it as usual (JSON keys unpacked into typed columns, ``$identify`` ids
merged); the DuckDB side is the query a person would write by hand: ``read_csv`` with the JSON
unpacked by one ``json_extract_string`` with every key's path (one parse per row, the fastest
form) and typed casts. Target: within 2x.
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
from typing import Any

SIDES = ("prodops", "duckdb")
HERE = Path(__file__).resolve()


def prepare(rows: int, out: Path) -> Path:
    """Return the events CSV with *rows* demo rows, generating it once."""
    from prodops.data.demo import write_events_csv

    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"events-{rows}.csv"
    if not csv.exists():
        started = time.perf_counter()
        tmp = csv.with_suffix(".tmp.csv")
        written = write_events_csv(tmp, rows=rows)
        tmp.rename(csv)
        print(
            f"generated {written:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
    return csv


# (key, SQL of its value in the generator, type in the hand-written query)
POSTHOG_KEYS: tuple[tuple[str, str, str], ...] = (
    ("$browser", "['Chrome','Safari','Firefox','Edge','Opera'][i % 5 + 1]", "VARCHAR"),
    ("$os", "['Mac OS X','Windows','iOS','Android'][i % 4 + 1]", "VARCHAR"),
    ("$device_type", "['Desktop','Mobile','Tablet'][i % 3 + 1]", "VARCHAR"),
    ("$current_url", "'https://app.example.com/p/' || (i % 100000)", "VARCHAR"),
    ("$pathname", "'/p/' || (i % 50)", "VARCHAR"),
    ("plan", "['free','pro','team'][i % 3 + 1]", "VARCHAR"),
    ("country", "'C' || (i % 20)", "VARCHAR"),
    ("$screen_width", "1024 + (i % 7) * 128", "DOUBLE"),
    ("$lib", "'web'", "VARCHAR"),
    ("$is_first_event", "i % 97 = 0", "BOOLEAN"),
    ("$session_id", "md5(CAST(i // 20 AS VARCHAR))", "VARCHAR"),
)


def prepare_posthog(rows: int, out: Path) -> Path:
    """Return the PostHog-shaped CSV with *rows* rows, written once by DuckDB."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"posthog-{rows}.csv"
    if csv.exists():
        return csv
    started = time.perf_counter()
    props = ", ".join(f"'{key}', {sql}" for key, sql, _ in POSTHOG_KEYS)
    tmp = csv.with_suffix(".tmp.csv")
    con = duckdb.connect()
    con.execute(
        f"""COPY (
          SELECT uuid() AS uuid,
                 ['$pageview','$autocapture','signup','$identify'][i % 4 + 1] AS event,
                 CAST(json_object({props}) AS VARCHAR) AS properties,
                 strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%S.%fZ')
                   AS timestamp,
                 'user-' || (i % 200000) AS distinct_id,
                 '' AS elements_chain
          FROM range({int(rows)}) AS r(i)
        ) TO '{tmp}' (HEADER, DELIMITER ',')"""
    )
    con.close()
    tmp.rename(csv)
    print(
        f"generated {rows:,} PostHog rows in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )
    return csv


def hand_written_posthog(csv: Path) -> str:
    """The hand-written DuckDB query of the PostHog case: read_csv + JSON unpacked, typed."""
    paths = ", ".join("'$.\"" + key + "\"'" for key, _, _ in POSTHOG_KEYS)
    items = ", ".join(
        (f"j[{i}]" if kind == "VARCHAR" else f"TRY_CAST(j[{i}] AS {kind})") + f' AS "{key}"'
        for i, (key, _, kind) in enumerate(POSTHOG_KEYS, start=1)
    )
    return (
        "CREATE TABLE t AS SELECT distinct_id AS user_id, event, "
        "CAST(timestamp AS TIMESTAMPTZ) AS timestamp, uuid, elements_chain, "
        f"{items} FROM (SELECT *, json_extract_string(properties, [{paths}]) AS j "
        f"FROM read_csv('{csv}', all_varchar = true))"
    )


def run_side(side: str, csv: Path) -> dict[str, float]:
    """The measured work of one side, in this process: wall and CPU seconds (all threads), rows.

    Libraries are imported and the store (where the import's audit entry goes) is migrated
    before the clock starts (a running app has done both at start-up); the store is a throwaway
    one in the side's own directory.
    """
    import duckdb

    workdir = Path(tempfile.mkdtemp(prefix=f"prodops-bench-{side}-"))
    os.environ["PRODOPS_HOME"] = str(workdir)
    from prodops.data.catalog import Catalog
    from prodops.store.db import init_store

    if side == "prodops":
        init_store()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        if side == "prodops":
            result = Catalog(workdir).import_file(csv, name="bench", kind="events")
            rows = result.info.rows
        else:
            con = duckdb.connect(str(workdir / "plain.duckdb"))
            con.execute("SET enable_progress_bar = false")
            if csv.name.startswith("posthog-"):
                con.execute(hand_written_posthog(csv))
            else:
                con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
            found = con.execute("SELECT count(*) FROM t").fetchone()
            rows = int(found[0]) if found else 0
            con.close()
        return {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu,
            "rows": float(rows),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(side: str, csv: Path) -> dict[str, float]:
    """Run *side* in a child process; add the child's peak RSS (bytes on Linux: KiB x 1024)."""
    proc = subprocess.run(
        [sys.executable, str(HERE), "--child", side, "--csv", str(csv)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["peak_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024.0
    return result


def wrapped(side: str, csv: Path, *, script: Path = HERE) -> dict[str, Any]:
    """Run *script*'s ``--measure`` (:func:`measure`) in a fresh wrapper process, so
    RUSAGE_CHILDREN is this side's (``benchmarks/raw_file.py`` uses it too)."""
    proc = subprocess.run(
        [sys.executable, str(script), "--measure", side, "--csv", str(csv)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def table(rows: int, results: dict[str, list[dict[str, float]]], case: str = "events") -> str:
    """The markdown table: median wall and CPU time, largest peak RSS, ratios to DuckDB."""
    seconds = {s: statistics.median(r["seconds"] for r in results[s]) for s in SIDES}
    cpu = {s: statistics.median(r["cpu_seconds"] for r in results[s]) for s in SIDES}
    rss = {s: max(r["peak_rss"] for r in results[s]) / 2**30 for s in SIDES}
    lines = [
        f"Import of a {rows:,}-row {case} CSV ({len(results['prodops'])} run(s), median)",
        "",
        "| side | time (s) | CPU (s) | peak RSS (GiB) | time ratio | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    duckdb_label = "DuckDB read_csv + JSON by hand" if case == "posthog" else "DuckDB read_csv"
    for side, label in (("prodops", "prodops import (catalog)"), ("duckdb", duckdb_label)):
        lines.append(
            f"| {label} | {seconds[side]:.2f} | {cpu[side]:.2f} | {rss[side]:.2f} | "
            f"{seconds[side] / seconds['duckdb']:.2f} | {cpu[side] / cpu['duckdb']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the events CSV")
    parser.add_argument("--out", type=Path, default=HERE.parent / "out", help="where the CSV goes")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side")
    parser.add_argument(
        "--case",
        choices=("events", "posthog"),
        default="events",
        help="events: the demo events CSV; posthog: a PostHog export with a properties JSON column",
    )
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_side(args.child, args.csv)))
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, args.csv)))
        return 0
    csv = (
        prepare_posthog(args.rows, args.out)
        if args.case == "posthog"
        else prepare(args.rows, args.out)
    )
    results: dict[str, list[dict[str, float]]] = {s: [] for s in SIDES}
    for _ in range(args.repeat):
        for side in SIDES:
            results[side].append(wrapped(side, csv))
    counts = {s: int(results[s][0]["rows"]) for s in SIDES}
    if counts["prodops"] != counts["duckdb"]:
        print(f"row counts differ: {counts}", file=sys.stderr)
    print(table(args.rows, results, args.case))
    return 0


if __name__ == "__main__":
    sys.exit(main())
