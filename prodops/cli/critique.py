"""`prodops critique ...`: import a roadmap export, list items and sessions, export a session.

Examples::

    prodops critique import jira.csv                  # preset detected from the headers
    prodops critique import roadmap.csv --map title=Name --map key=Ref
    prodops critique items --format csv
    prodops critique sessions
    prodops critique export "Q1 critique" --format md > q1.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodops.cli.output import add_format_option, write_frame, write_json
from prodops.errors import ParameterError

if TYPE_CHECKING:
    from prodops.critique.roadmap_import import RoadmapFile


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops critique`` and its commands to *sub* (configured when chosen)."""
    from prodops.cli import defer

    parser = sub.add_parser("critique", help="roadmap critique: import items, export sessions")
    defer(parser, _add_commands)


def _add_commands(parser: argparse.ArgumentParser) -> None:
    # The presets and fields come from prodops.critique, which imports pandas.
    from prodops.critique.roadmap_import import FIELDS, PRESETS

    commands = parser.add_subparsers(dest="critique_command", required=True)

    imp = commands.add_parser("import", help="import a roadmap CSV (re-import updates by key)")
    imp.add_argument("file", type=Path, help="CSV export of Jira, Linear, Productboard, or any")
    imp.add_argument("--preset", choices=list(PRESETS), help="default: detected from headers")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help=f"override the mapping (fields: {', '.join(FIELDS)}; empty HEADER unmaps)",
    )
    imp.add_argument("--dry-run", action="store_true", help="show the items, import nothing")
    add_format_option(imp)
    imp.set_defaults(func=run_import)

    items = commands.add_parser("items", help="list roadmap items")
    add_format_option(items)
    items.set_defaults(func=run_items)

    sessions = commands.add_parser("sessions", help="list critique sessions")
    add_format_option(sessions)
    sessions.set_defaults(func=run_sessions)

    export = commands.add_parser("export", help="export a session as CSV or Markdown")
    export.add_argument("session", help="session id or name")
    export.add_argument("--format", choices=("csv", "md", "json"), default="md")
    export.set_defaults(func=run_export)


def _mapping(args: argparse.Namespace, file: RoadmapFile) -> dict[str, str | None]:
    from prodops.critique.roadmap_import import FIELDS, default_mapping

    mapping = default_mapping(file, args.preset)
    for entry in args.map:
        field, sep, header = entry.partition("=")
        if not sep or field.strip() not in FIELDS:
            raise ParameterError(
                f"--map {entry!r} is not FIELD=HEADER", fix=f"Use one of {', '.join(FIELDS)}."
            )
        mapping[field.strip()] = header.strip() or None
    return mapping


def run_import(args: argparse.Namespace) -> int:
    import pandas as pd

    from prodops.critique import crud
    from prodops.critique.roadmap_import import apply_mapping, read_roadmap
    from prodops.export import neutralise_formulas
    from prodops.store.db import init_store, write_session

    file = read_roadmap(args.file)
    items = apply_mapping(file, _mapping(args, file))
    if args.dry_run:
        shown = items.assign(tags=items["tags"].map(", ".join))
        if args.format == "json":
            write_json({"items": shown.to_dict("records")}, sys.stdout)
        else:
            write_frame(neutralise_formulas(shown), args.format, sys.stdout)
        return 0
    with write_session(init_store()) as session:
        result = crud.import_items(session=session, frame=items)
    counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    if args.format == "json":
        write_json(counts, sys.stdout)
    else:
        write_frame(pd.DataFrame([counts]), args.format, sys.stdout)
    return 0


def run_items(args: argparse.Namespace) -> int:
    import pandas as pd

    from prodops.critique import crud
    from prodops.export import neutralise_formulas
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        items = crud.list_items(session=session)
    frame = pd.DataFrame(
        [
            {
                "id": i.id,
                "key": i.key,
                "title": i.title,
                "owner": i.owner,
                "team": i.team,
                "target_period": i.target_period,
                "status": i.status,
                "effort": i.effort,
                "evidence": i.evidence_count,
                "version": i.version,
            }
            for i in items
        ],
        columns=[
            "id",
            "key",
            "title",
            "owner",
            "team",
            "target_period",
            "status",
            "effort",
            "evidence",
            "version",
        ],
    )
    if args.format == "json":
        write_json({"items": frame.to_dict("records")}, sys.stdout)
    else:
        write_frame(neutralise_formulas(frame), args.format, sys.stdout)
    return 0


def run_sessions(args: argparse.Namespace) -> int:
    import pandas as pd

    from prodops.critique import crud, scoring
    from prodops.export import neutralise_formulas
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "date": s.held_on.isoformat(),
                "framework": s.framework.get("name", ""),
                "participants": ", ".join(s.participants),
                "status": s.status,
                "reviewers_submitted": len(
                    scoring.submitted_reviewers(session=session, session_id=s.id or 0)
                ),
            }
            for s in crud.list_sessions(session=session)
        ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "name",
            "date",
            "framework",
            "participants",
            "status",
            "reviewers_submitted",
        ],
    )
    if args.format == "json":
        write_json({"sessions": frame.to_dict("records")}, sys.stdout)
    else:
        write_frame(neutralise_formulas(frame), args.format, sys.stdout)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from prodops.critique import crud
    from prodops.critique import summary as summaries
    from prodops.critique.report import export_frame, session_csv, session_markdown
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        found = crud.find_session(session=session, ref=args.session)
        summary = summaries.summarise_session(session=session, session_id=found.id or 0)
    if args.format == "csv":
        sys.stdout.write(session_csv(summary))
    elif args.format == "json":
        frame = export_frame(summary).astype(object)
        write_json(
            {
                "session": found.name,
                "date": found.held_on.isoformat(),
                "reviewers": summary.reviewers,
                "items": frame.where(frame.notna(), None).to_dict("records"),
            },
            sys.stdout,  # not the default: it is bound when output.py is imported
        )
    else:
        sys.stdout.write(session_markdown(summary))
    return 0
