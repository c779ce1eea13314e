"""``prodops okr``: list OKRs, check in, refresh metric-bound key results, export and import.

``prodops okr refresh`` is meant for a scheduled job: it prints one line per key result (with the
complete period its value describes) and exits 0 when every binding refreshed, 2 when any failed
(the error is also stored on the key result). ``prodops okr check-in KR VALUE`` reads the value
as a person types it (``58,5`` is 58.5; an ambiguous ``1,234`` is refused, exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from prodops.cli.output import add_format_option, record_id, write_frame, write_json


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops okr {list,refresh,export,import}`` to *sub*."""
    parser = sub.add_parser(
        "okr", help="OKRs: list, check in, refresh from metrics, export, import"
    )
    commands = parser.add_subparsers(dest="okr_command", required=True)

    listing = commands.add_parser("list", help="objectives with progress, status and score")
    _add_period_options(listing)
    listing.add_argument("--team", help="only this team")
    listing.add_argument("--owner", help="only this owner")
    listing.add_argument("--archived", action="store_true", help="include archived objectives")
    add_format_option(listing)
    listing.set_defaults(func=run_list)

    check_in = commands.add_parser("check-in", help="append a check-in to a key result")
    check_in.add_argument("key_result", type=record_id, metavar="KR", help="the key result's id")
    check_in.add_argument(
        "value", metavar="VALUE", help="58.5, 58,5 or 1,234.5 (write -- before a negative one)"
    )
    check_in.add_argument("--confidence", help="0-1, how sure you are to reach the target")
    check_in.add_argument("--note", default="", help="what changed")
    check_in.add_argument("--author", required=True, help="your name (shown with the check-in)")
    check_in.set_defaults(func=run_check_in)

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
    from prodops.okr.report import load_period, objectives_frame, period_summary
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
    summary = period_summary(views)
    if args.format == "json":
        keys = ("objectives", "without_key_results", "progress", "status")
        write_json(
            {"okrs": frame.to_dict(orient="records"), "summary": {k: summary[k] for k in keys}}
        )
        return 0
    write_frame(frame, args.format)
    if args.format == "table" and summary["objectives"]:
        print(_summary_line(summary))
    return 0


def _summary_line(summary: dict[str, Any]) -> str:
    """The period's progress in one line; objectives without key results are left out of it."""
    progress = summary["progress"]
    measured = int(summary["objectives"]) - int(summary["without_key_results"])
    line = (
        "progress: none yet"
        if progress is None
        else f"progress: {float(progress):.0%} over {measured} objective(s) with key results"
    )
    if summary["without_key_results"]:
        line += f"; {summary['without_key_results']} with no key results yet, left out"
    return line


def run_refresh(args: argparse.Namespace) -> int:
    """Refresh every bound key result; exit 2 when any binding failed."""
    from prodops.okr.binding import refresh_all
    from prodops.store.db import init_store

    if args.period:  # a typo must not pass as "nothing to refresh" in a scheduled job
        from prodops.okr.rules import period_bounds

        period_bounds(args.period)
    outcomes = refresh_all(engine=init_store(), as_of=_as_of(args), period=args.period)
    if not outcomes:
        print("no metric-bound key results" + (f" in {args.period}" if args.period else ""))
    for outcome in outcomes:
        if outcome.error is None:
            period = f" ({outcome.period})" if outcome.period else ""
            print(
                f"refreshed key result {outcome.key_result_id} ({outcome.title}): "
                f"{outcome.value:g}{period}"
            )
        else:
            print(
                f"failed key result {outcome.key_result_id} ({outcome.title}): {outcome.error}",
                file=sys.stderr,
            )
    failed = sum(o.error is not None for o in outcomes)
    print(f"{len(outcomes) - failed} refreshed, {failed} failed")
    return 2 if failed else 0


def run_check_in(args: argparse.Namespace) -> int:
    """Append a check-in; the value and confidence are read as people type numbers."""
    from prodops.errors import ParameterError
    from prodops.numbers import parse_number, typical_size
    from prodops.okr import crud
    from prodops.okr.models import CheckInCreate
    from prodops.store.db import init_store, read_session, write_session

    engine = init_store()
    with read_session(engine) as session:
        kr = crud.get_key_result(session=session, key_result_id=args.key_result)
    value = parse_number(
        args.value, field="value", typical=typical_size(kr.start_value, kr.target_value)
    )
    confidence = (
        None
        if args.confidence is None
        else parse_number(args.confidence, field="confidence", typical=1.0)
    )
    author = args.author.strip()
    if not author:  # a check-in is read with its author's name beside it
        raise ParameterError(
            "--author is empty", fix="Give your name, as the check-in shows it: --author Ana."
        )
    with write_session(engine) as session:
        crud.add_check_in(
            session=session,
            check_in_in=CheckInCreate(
                key_result_id=args.key_result,
                value=value,
                confidence=confidence,
                note=args.note,
                author=author,
            ),
        )
    unit = f" {kr.unit}" if kr.unit else ""
    print(f"checked in {value:g}{unit} on key result {args.key_result} ({kr.title})")
    return 0


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
