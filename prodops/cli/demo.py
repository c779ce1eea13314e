"""``prodops demo``: write the deterministic demo data set (small shipped files or large ones)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from prodops.errors import ParameterError

MAX_MONTHS = 120
SUFFIXES = (".csv", ".csv.gz")  # what the demo writes: CSV, gzip'd or not


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops demo`` to *sub*."""
    parser = sub.add_parser(
        "demo",
        help="write demo events and subscriptions (deterministic)",
        description=(
            "Without --out: write demo-events.csv.gz and demo-subscriptions.csv.gz (20,000 users, "
            "12 months) into --out-dir. With --out: write one file of --kind, sized by --users or "
            "--rows (for benchmarks); a name ending in .csv.gz is gzip'd. A file is replaced "
            "only once it is complete."
        ),
    )
    parser.add_argument("--out-dir", type=Path, default=Path("data"), help="default: data")
    parser.add_argument("--out", type=Path, help="write one file (.csv or .csv.gz) instead")
    parser.add_argument("--kind", choices=("events", "subscriptions"), default="events")
    parser.add_argument("--users", type=int, help="number of users (default 20000)")
    parser.add_argument("--rows", type=int, help="about this many rows instead of --users")
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    parser.add_argument("--seed", type=int, default=7, help="random seed, 0 or more (default 7)")
    parser.set_defaults(func=run)


def check_args(args: argparse.Namespace) -> None:
    """Refuse inconsistent or out-of-range options and unusable paths before any file is opened."""
    if args.users is not None and args.rows is not None:
        raise ParameterError("give --users or --rows, not both", fix="Drop one of them.")
    for name in ("users", "rows"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ParameterError(
                f"--{name} must be at least 1, got {value}", fix=f"Pass --{name} 1 or more."
            )
    if not 1 <= args.months <= MAX_MONTHS:
        raise ParameterError(
            f"--months must be between 1 and {MAX_MONTHS}, got {args.months}",
            fix="Pass --months 12 for a year of history.",
        )
    if args.seed < 0:
        raise ParameterError(
            f"--seed must be 0 or more, got {args.seed}", fix="Pass --seed 0 or a larger number."
        )
    if args.out is None:
        if args.users is not None or args.rows is not None:
            raise ParameterError("--users and --rows need --out FILE", fix="Add --out FILE.")
        _check_folder(args.out_dir, option="--out-dir", where=args.out_dir)
        return
    _check_file(args.out)


def _check_folder(path: Path, *, option: str, where: Path) -> None:
    """Folder *path* exists or can be made: no part of it is a file."""
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            raise ParameterError(
                f"{option} {str(part)!r} is a file, not a folder",
                where=str(where),
                fix="Give a path whose folders are folders; missing ones are created.",
            )


def _check_file(path: Path) -> None:
    """*path* names a CSV file (not a folder) whose folder exists or can be made."""
    if path.is_dir():
        raise ParameterError(
            "--out is a folder",
            where=str(path),
            fix=f"Give a file name, such as {str(path / 'events.csv.gz')!r}.",
        )
    if not path.name.lower().endswith(SUFFIXES):
        kind = f"{path.suffix!r} files" if path.suffix else "files without an extension"
        stem = path.name.split(".")[0] or "events"
        raise ParameterError(
            f"prodops demo writes CSV, not {kind}",
            where=str(path),
            fix=f"Name the file {stem}.csv, or {stem}.csv.gz to gzip it.",
        )
    _check_folder(path.parent, option="the folder", where=path)


def run(args: argparse.Namespace) -> int:
    """Write the demo files asked for and print what was written."""
    check_args(args)
    from prodops.data import demo

    if args.out is None:
        for path in demo.write_demo_files(args.out_dir, seed=args.seed):
            print(path)
        return 0
    write = demo.write_events_csv if args.kind == "events" else demo.write_subscriptions_csv
    rows = write(args.out, users=args.users, rows=args.rows, months=args.months, seed=args.seed)
    print(f"{args.out}: {rows} {args.kind} rows", file=sys.stderr)
    return 0
