"""``prodops demo``: write the deterministic demo data set (small shipped files or large ones)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from prodops.errors import ParameterError


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops demo`` to *sub*."""
    parser = sub.add_parser(
        "demo",
        help="write demo events and subscriptions (deterministic)",
        description=(
            "Without --out: write demo-events.csv.gz and demo-subscriptions.csv.gz (20,000 users, "
            "12 months) into --out-dir. With --out: write one file of --kind, sized by --users or "
            "--rows (for benchmarks); a name ending in .gz is gzip'd."
        ),
    )
    parser.add_argument("--out-dir", type=Path, default=Path("data"), help="default: data")
    parser.add_argument("--out", type=Path, help="write one file (CSV, or .csv.gz) instead")
    parser.add_argument("--kind", choices=("events", "subscriptions"), default="events")
    parser.add_argument("--users", type=int, help="number of users (default 20000)")
    parser.add_argument("--rows", type=int, help="about this many rows instead of --users")
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the demo files asked for and print what was written."""
    from prodops.data import demo

    if args.users is not None and args.rows is not None:
        raise ParameterError("give --users or --rows, not both")
    for name in ("users", "rows"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ParameterError(f"--{name} must be at least 1, got {value}")
    if args.out is None:
        if args.users is not None or args.rows is not None:
            raise ParameterError("--users and --rows need --out FILE", fix="add --out FILE")
        for path in demo.write_demo_files(args.out_dir, seed=args.seed):
            print(path)
        return 0
    write = demo.write_events_csv if args.kind == "events" else demo.write_subscriptions_csv
    rows = write(args.out, users=args.users, rows=args.rows, months=args.months, seed=args.seed)
    print(f"{args.out}: {rows} {args.kind} rows", file=sys.stderr)
    return 0
