"""``prodops qbr``: write the quarterly business review as HTML, PDF or Markdown; list the saved.

``prodops qbr --quarter 2026-Q3 --format pdf --out q3.pdf`` (or any run of whole months:
``--from 2026-05 --to 2026-10``, saved as ``2026-05+6``) builds the QBR from the catalog's
datasets (``--events-dataset`` / ``--subscriptions-dataset``, default: the first of each kind)
and the store's OKRs and critique sessions; ``--save`` also keeps it as a snapshot, ``--saved``
writes the latest saved snapshot instead (its frozen numbers and narrative). ``prodops qbr list``
prints the saved snapshots. An unknown quarter, range or dataset, or both a quarter and a range
(or neither), exits 2 with one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prodops.cli.output import add_format_option, write_frame, write_json

FORMATS = ("html", "pdf", "md")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops qbr`` and ``prodops qbr list`` to *sub*."""
    parser = sub.add_parser(
        "qbr", help="quarterly business review: write it as HTML, PDF or Markdown; list saved ones"
    )
    parser.add_argument("--quarter", help="the quarter, such as 2026-Q3")
    parser.add_argument(
        "--from",
        dest="range_from",
        metavar="MONTH",
        help="instead of --quarter: the first month, such as 2026-05 (or its first day)",
    )
    parser.add_argument(
        "--to",
        dest="range_to",
        metavar="MONTH",
        help="with --from: the last month, such as 2026-10 (or its last day)",
    )
    parser.add_argument("--events-dataset", metavar="NAME", help="events dataset (default: first)")
    parser.add_argument(
        "--subscriptions-dataset", metavar="NAME", help="subscriptions dataset (default: first)"
    )
    parser.add_argument("--no-events", action="store_true", help="leave the events sections out")
    parser.add_argument(
        "--no-subscriptions", action="store_true", help="leave the revenue sections out"
    )
    parser.add_argument("--timezone", default="UTC", help="analysis time zone (default UTC)")
    parser.add_argument("--format", dest="out_format", choices=FORMATS, help="html, pdf or md")
    parser.add_argument("--out", type=Path, help="file to write")
    parser.add_argument("--save", action="store_true", help="also save it as a snapshot")
    parser.add_argument(
        "--saved", action="store_true", help="write the latest saved snapshot of the quarter"
    )
    parser.set_defaults(func=run_export)
    commands = parser.add_subparsers(dest="qbr_command", required=False)
    listing = commands.add_parser("list", help="the saved QBRs, newest first")
    add_format_option(listing)
    listing.set_defaults(func=run_list)


def _require(args: argparse.Namespace) -> None:
    from prodops.errors import ParameterError

    if not args.out_format:
        raise ParameterError(
            "--format is required",
            fix="Example: prodops qbr --quarter 2026-Q3 --format pdf --out q3.pdf",
        )
    if args.out is None:
        raise ParameterError("--out is required", fix="Name the file to write, such as q3.pdf.")
    suffix = args.out.suffix.lower()
    owner = next((fmt for fmt, ends in _SUFFIXES.items() if suffix in ends), None)
    if owner is not None and owner != args.out_format:
        raise ParameterError(
            f"--format {args.out_format} would write {args.out_format} into a {suffix} file",
            where=str(args.out),
            fix=f"Use --format {owner}, or name the file {args.out.stem}"
            f"{_SUFFIXES[args.out_format][0]}.",
        )


# The file endings of each export format (the first is the one to suggest).
_SUFFIXES = {"pdf": (".pdf",), "html": (".html", ".htm"), "md": (".md", ".markdown")}


def run_export(args: argparse.Namespace) -> int:
    """Build (or reopen) the QBR of the quarter or range and write it in the chosen format."""
    quarter = period_of(args)
    _require(args)
    import datetime as dt

    from prodops import qbr
    from prodops.store.db import init_store, read_session, write_session

    engine = init_store()
    narrative: dict[str, str] = {}
    if args.saved:
        with read_session(engine) as session:
            row = qbr.find_report(session=session, quarter=quarter.label)
            report, narrative = qbr.report_of(row), qbr.narrative_of(row)
    else:
        report = qbr.build_qbr(
            quarter,
            store=engine,
            generated_at=dt.datetime.now(dt.UTC),
            timezone=args.timezone,
            **_datasets(args),
        )
        if args.save:
            with write_session(engine) as session:
                row = qbr.save_report(session=session, report=report)
                print(f"saved {row.quarter} revision {row.revision} (id {row.id})")
    written = _write(report, narrative, args.out_format, args.out)
    shown = ", ".join(f"{s.kind}: {s.name}" for s in report.sources) or "no dataset"
    print(f"wrote {', '.join(str(p) for p in written)} ({shown})")
    return 0


def period_of(args: argparse.Namespace) -> Any:
    """The period of ``--quarter``, or of ``--from`` and ``--to``: exactly one of the two."""
    from prodops import qbr
    from prodops.errors import ParameterError

    example = "Example: --quarter 2026-Q3, or --from 2026-05 --to 2026-10."
    ranged = args.range_from is not None or args.range_to is not None
    if args.quarter and ranged:
        raise ParameterError(
            "give either --quarter or --from/--to, not both", where="qbr", fix=example
        )
    if args.quarter:
        return qbr.parse_quarter(args.quarter)
    if not ranged:
        raise ParameterError("--quarter or --from/--to is required", where="qbr", fix=example)
    if args.range_from is None or args.range_to is None:
        given, missing = ("--from", "--to") if args.range_to is None else ("--to", "--from")
        raise ParameterError(f"{given} needs {missing}", where="qbr", fix=example)
    return qbr.month_range(args.range_from, args.range_to)


def _datasets(args: argparse.Namespace) -> dict[str, Any]:
    from prodops.data.catalog import Catalog
    from prodops.qbr.sources import catalog_dataset, default_dataset_name

    catalog = Catalog()
    listed = catalog.list()
    chosen: dict[str, Any] = {}
    for kind, name, skip in (
        ("events", args.events_dataset, args.no_events),
        ("subscriptions", args.subscriptions_dataset, args.no_subscriptions),
    ):
        if skip:
            continue
        name = name or default_dataset_name(listed, kind)
        if name is not None:
            chosen[kind] = catalog_dataset(catalog, name, kind=kind)
    return chosen


def _write(report: Any, narrative: dict[str, str], fmt: str, out: Path) -> list[Path]:
    from prodops.errors import InputError

    if not out.parent.is_dir():
        raise InputError(
            f"the folder {out.parent} does not exist", where="--out", fix="Create it first."
        )
    if fmt == "md":
        from prodops.qbr.export_md import write_markdown

        return write_markdown(report, out, narrative)
    if fmt == "pdf":
        from prodops.qbr.export_pdf import to_pdf

        out.write_bytes(to_pdf(report, narrative))
    else:
        from prodops.qbr.export_html import to_html

        out.write_text(to_html(report, narrative), encoding="utf-8")
    return [out]


def run_list(args: argparse.Namespace) -> int:
    """Print the saved QBRs as a table, CSV or JSON."""
    import pandas as pd

    from prodops import qbr
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        rows = qbr.list_reports(session=session)
        records = [
            {
                "id": r.id,
                "quarter": r.quarter,
                "title": qbr.parse_period(r.quarter).title,
                "revision": r.revision,
                "as_of": r.generated_at,
                "events_dataset": r.events_dataset,
                "events_version": r.events_version,
                "subscriptions_dataset": r.subscriptions_dataset,
                "subscriptions_version": r.subscriptions_version,
                "updated_at": r.updated_at,
            }
            for r in rows
        ]
    if args.format == "json":
        write_json({"qbrs": records})
        return 0
    columns = [
        "id",
        "quarter",
        "title",
        "revision",
        "as_of",
        "events_dataset",
        "events_version",
        "subscriptions_dataset",
        "subscriptions_version",
        "updated_at",
    ]
    write_frame(pd.DataFrame(records, columns=columns), args.format)
    return 0
