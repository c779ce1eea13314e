"""``prodops okr``: list OKRs, refresh metric-bound key results, export and import.

``prodops okr refresh`` is meant for a scheduled job: it prints one line per key result and exits
0 when every binding refreshed, 2 when any failed (the error is also stored on the key result).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from prodops.cli.output import add_format_option, write_frame, write_json


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops okr {list,refresh,export,import}`` to *sub*."""
    parser = sub.add_parser("okr", help="OKRs: list, refresh from metrics, export, import")
    commands = parser.add_subparsers(dest="okr_command", required=True)

    listing = commands.add_parser("list", help="objectives with progress, status and score")
    _add_period_options(listing)
    listing.add_argument("--team", help="only this team")
    listing.add_argument("--owner", help="only this owner")
    listing.add_argument("--archived", action="store_true", help="include archived objectives")
    add_format_option(listing)
    listing.set_defaults(func=run_list)

    refresh = commands.add_parser(
        "refresh", help="append a check-in to every metric-bound key result (exit 2 if any failed)"
    )
    _add_period_options(refresh)
    refresh.set_defaults(func=run_refresh)

    export = commands.add_parser("export", help="write all OKRs (archived too) as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), default="json")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(func=run_export)

    importing = commands.add_parser("import", help="add the OKRs of an export (CSV or JSON)")
    importing.add_argument("file", type=Path, help="a file written by 'prodops okr export'")
    importing.set_defaults(func=run_import)


def _add_period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", help="a period label such as 2026-Q4 (default: all)")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        help="the day to evaluate, YYYY-MM-DD (default: today, UTC)",
    )


def _as_of(args: argparse.Namespace) -> dt.date:
    return args.as_of or dt.datetime.now(dt.UTC).date()


def run_list(args: argparse.Namespace) -> int:
    """Print the objectives of the period as a table, CSV or JSON."""
    from prodops.okr.report import load_period, objectives_frame
    from prodops.store.db import init_store, read_session

    engine = init_store()
    with read_session(engine) as session:
        views = load_period(
            session=session,
            period=args.period,
            as_of=_as_of(args),
            team=args.team,
            owner=args.owner,
            include_archived=args.archived,
        )
    frame = objectives_frame(views)
    if args.format == "json":
        write_json({"okrs": frame.to_dict(orient="records")})
    else:
        write_frame(frame, args.format)
    return 0


def run_refresh(args: argparse.Namespace) -> int:
    """Refresh every bound key result; exit 2 when any binding failed."""
    from prodops.okr.binding import refresh_all
    from prodops.store.db import init_store

    outcomes = refresh_all(engine=init_store(), as_of=_as_of(args), period=args.period)
    if not outcomes:
        print("no metric-bound key results" + (f" in {args.period}" if args.period else ""))
    for outcome in outcomes:
        if outcome.error is None:
            print(
                f"refreshed key result {outcome.key_result_id} ({outcome.title}): {outcome.value:g}"
            )
        else:
            print(
                f"failed key result {outcome.key_result_id} ({outcome.title}): {outcome.error}",
                file=sys.stderr,
            )
    failed = sum(o.error is not None for o in outcomes)
    print(f"{len(outcomes) - failed} refreshed, {failed} failed")
    return 2 if failed else 0


def run_export(args: argparse.Namespace) -> int:
    """Write every objective, key result and check-in to --out (or standard output)."""
    from prodops.okr.transfer import export_okrs, to_csv, to_json, write_export
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        document = export_okrs(session=session)
    if args.out is None:
        sys.stdout.write(to_json(document) if args.format == "json" else to_csv(document))
        return 0
    write_export(document, args.out, fmt=args.format)
    counts = ", ".join(
        f"{len(document[k])} {k.replace('_', ' ')}"
        for k in ("objectives", "key_results", "check_ins")
    )
    print(f"wrote {counts} to {args.out}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Add the OKRs of an export file to the store (all or nothing)."""
    from prodops.okr.transfer import import_okrs, read_export
    from prodops.store.db import init_store, write_session

    document = read_export(args.file)
    with write_session(init_store()) as session:
        result = import_okrs(session=session, document=document)
    print(
        f"imported {result.objectives} objectives, {result.key_results} key results, "
        f"{result.check_ins} check-ins from {args.file}"
        + ("" if result.kept_ids else " (new ids: the store already held OKRs)")
    )
    return 0
