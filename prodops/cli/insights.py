"""`prodops insights ...`: the customer insight repository from the command line.

Examples::

    prodops insights import intercom.csv                  # preset detected from the headers
    prodops insights import calls.csv --source-kind sales_call --text-col Summary --id-col Ref
    prodops insights list --tag sso --search okta --format json
    prodops insights duplicates --threshold 0.6 --format json
    prodops insights add "Customers need SSO with Okta" --note ic-1 --note ic-7
    prodops insights link "Customers need SSO with Okta" --item PRJ-12
    prodops insights export --format csv > notes.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodops.cli.output import add_format_option, record_id, write_frame, write_json
from prodops.errors import NotFoundError, ParameterError
from prodops.store import MAX_ID

if TYPE_CHECKING:
    from sqlmodel import Session

# Mapping flags: CLI option -> note field (prodops.research.importers.FIELDS).
COLUMN_FLAGS = {
    "id_col": "source_id",
    "text_col": "text",
    "title_col": "title",
    "customer_col": "customer_id",
    "email_col": "customer_email",
    "company_col": "customer_company",
    "date_col": "noted_on",
    "link_col": "link",
    "tags_col": "tags",
    "score_col": "score",
    "kind_col": "source_kind",
}


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops insights`` and its commands to *sub* (configured when chosen)."""
    from prodops.cli import defer

    parser = sub.add_parser(
        "insights", help="customer insight: import notes, search, duplicates, link"
    )
    defer(parser, _add_commands)


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", help="who is acting (default: PRODOPS_USER, else your login)")


def _add_commands(parser: argparse.ArgumentParser) -> None:
    # The kinds and presets come from prodops.research, which imports pandas and SQLModel.
    from prodops.research.importers import PRESETS
    from prodops.research.models import SOURCE_KINDS

    commands = parser.add_subparsers(dest="insights_command", required=True)

    imp = commands.add_parser("import", help="import notes (re-importing updates by source id)")
    imp.add_argument("file", type=Path, help="CSV / JSON lines / Excel / Parquet export")
    imp.add_argument("--source-kind", choices=SOURCE_KINDS, help="kind of every note")
    imp.add_argument("--preset", choices=list(PRESETS), help="default: detected from the headers")
    for flag, field in COLUMN_FLAGS.items():
        imp.add_argument("--" + flag.replace("_", "-"), metavar="COLUMN", help=f"column: {field}")
    imp.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="COLUMN",
        help="keep a column as a customer property (plan, segment); repeatable",
    )
    _by(imp)
    add_format_option(imp)
    imp.set_defaults(func=run_import)

    lst = commands.add_parser("list", help="search notes")
    lst.add_argument("--search", default="", help="words that must all appear")
    lst.add_argument("--tag")
    lst.add_argument("--source-kind", choices=SOURCE_KINDS)
    lst.add_argument("--customer", help="part of the customer's id, e-mail or company")
    lst.add_argument("--date-from", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    lst.add_argument("--date-to", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    lst.add_argument("--limit", type=int, default=500, help="most notes shown (default 500)")
    add_format_option(lst)
    lst.set_defaults(func=run_list)

    dup = commands.add_parser("duplicates", help="near-duplicate notes, by source id")
    dup.add_argument("--threshold", type=float, help="similarity in (0, 1] (default 0.5)")
    add_format_option(dup)
    dup.set_defaults(func=run_duplicates)

    add = commands.add_parser("add", help="add an insight (a claim), optionally with its notes")
    add.add_argument("claim")
    add.add_argument("--tag", action="append", default=[])
    add.add_argument("--note", action="append", default=[], metavar="SOURCE_ID")
    _by(add)
    add_format_option(add)
    add.set_defaults(func=run_add)

    link = commands.add_parser("link", help="link an insight to a roadmap item or key result")
    link.add_argument("insight", help="insight id or claim")
    target = link.add_mutually_exclusive_group(required=True)
    target.add_argument("--item", metavar="KEY", help="roadmap item key")
    target.add_argument("--key-result", type=record_id, metavar="ID", help="key result id")
    _by(link)
    link.set_defaults(func=run_link)

    export = commands.add_parser("export", help="every note with its insight, as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.set_defaults(func=run_export)


def actor(args: argparse.Namespace) -> str:
    """Who is acting: ``--by``, else ``PRODOPS_USER``, else the login name."""
    name = getattr(args, "by", None) or os.environ.get("PRODOPS_USER")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "cli"
    return " ".join(str(name).split())[:200]


def run_import(args: argparse.Namespace) -> int:
    import pandas as pd

    from prodops.research.importers import import_file
    from prodops.store.db import init_store

    mapping = {
        field: getattr(args, flag) for flag, field in COLUMN_FLAGS.items() if getattr(args, flag)
    }
    outcome = import_file(
        init_store(),
        args.file,
        actor=actor(args),
        preset=args.preset,
        source_kind=args.source_kind,
        mapping=mapping,
        property_cols=args.property,
    )
    counts = {
        "created": outcome.counts.created,
        "updated": outcome.counts.updated,
        "unchanged": outcome.counts.unchanged,
        "rejected": len(outcome.rejected),
    }
    if args.format == "json":
        write_json({**counts, "rejected_rows": outcome.rejected.to_dict("records")})
        return 0
    write_frame(pd.DataFrame([counts]), args.format)
    for row in outcome.rejected.to_dict("records"):
        print(f"{args.file.name}, row {row['row']}: {row['reason']}", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from prodops.research.search import note_export_frame, search_notes
    from prodops.store.db import init_store, read_session

    if args.limit < 1:
        raise ParameterError(f"--limit {args.limit} is not positive", fix="Use 1 or more.")
    with read_session(init_store()) as session:
        notes = search_notes(
            session=session,
            text=args.search,
            tag=args.tag,
            source_kind=args.source_kind,
            customer=args.customer,
            date_from=args.date_from,
            date_to=args.date_to,
            limit=args.limit,
        )
    columns = ["source_id", "source_kind", "noted_on", "customer_id", "customer_company"]
    columns += ["tags", "insight", "text"]
    if args.format == "json":
        write_json({"notes": notes[[*columns, "source", "score", "link"]].to_dict("records")})
        return 0
    shown = note_export_frame(notes)[columns]
    if args.format == "table":
        shown = shown.assign(text=shown["text"].str.replace(r"\s+", " ", regex=True).str[:80])
    write_frame(shown, args.format)
    return 0


def run_duplicates(args: argparse.Namespace) -> int:
    from prodops.research.dedup import DEFAULT_THRESHOLD
    from prodops.research.review import note_duplicates
    from prodops.store.db import init_store, read_session

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    with read_session(init_store()) as session:
        pairs = note_duplicates(session=session, threshold=threshold)
    if args.format == "json":
        write_json({"pairs": pairs[["a", "b", "similarity"]].to_dict("records")})
        return 0
    shown = pairs[["a", "b", "similarity", "a_text", "b_text"]]
    if args.format == "table":
        shown = shown.assign(
            a_text=shown["a_text"].str.replace(r"\s+", " ", regex=True).str[:50],
            b_text=shown["b_text"].str.replace(r"\s+", " ", regex=True).str[:50],
        )
    write_frame(shown, args.format)
    return 0


def _note_id(session: Session, source_id: str) -> int:
    from sqlmodel import col, select

    from prodops.research.models import ResearchNote

    found = session.exec(select(ResearchNote).where(col(ResearchNote.source_id) == source_id)).all()
    if not found:
        raise NotFoundError(
            f"no note has source id {source_id!r}", fix="See prodops insights list."
        )
    if len(found) > 1:
        sources = ", ".join(sorted(n.source for n in found))
        raise ParameterError(
            f"source id {source_id!r} is in several sources ({sources})",
            fix="Assign the note on the Customer insights page.",
        )
    return int(found[0].id or 0)


def run_add(args: argparse.Namespace) -> int:
    from prodops.research import crud, insight_crud
    from prodops.research.models import ResearchInsightCreate
    from prodops.store.db import init_store, write_session

    who = actor(args)
    with write_session(init_store()) as session:
        insight = insight_crud.create_insight(
            session=session,
            insight_in=ResearchInsightCreate(claim=args.claim, tags=args.tag),
            actor=who,
        )
        assert insight.id is not None
        for source_id in args.note:
            note = crud.get_note(session=session, note_id=_note_id(session, source_id))
            insight_crud.assign_note(
                session=session,
                note_id=int(note.id or 0),
                insight_id=insight.id,
                seen_version=note.version,
                actor=who,
            )
    result = {"id": insight.id, "claim": insight.claim, "notes": len(args.note)}
    if args.format == "json":
        write_json(result)
    else:
        import pandas as pd

        write_frame(pd.DataFrame([result]), args.format)
    return 0


def _insight_id(session: Session, ref: str) -> int:
    from prodops.errors import did_you_mean
    from prodops.research import crud, insight_crud

    if ref.isdigit() and int(ref) <= MAX_ID:
        return int(crud.get_insight(session=session, insight_id=int(ref)).id or 0)
    insights = insight_crud.list_insights(session=session, include_merged=True)
    matches = [i for i in insights if i.claim.strip().lower() == ref.strip().lower()]
    if not matches:
        raise NotFoundError(
            f"no insight {ref!r}",
            fix=did_you_mean(ref, [i.claim for i in insights]) or "Give its id or exact claim.",
        )
    return int(matches[0].id or 0)


def run_link(args: argparse.Namespace) -> int:
    from prodops.research import insight_crud
    from prodops.store.db import init_store, write_session

    with write_session(init_store()) as session:
        insight_id = _insight_id(session, args.insight)
        if args.item is not None:
            item_id = insight_crud.item_id_for_key(session=session, key=args.item)
            insight_crud.link_item(
                session=session, insight_id=insight_id, item_id=item_id, actor=actor(args)
            )
            print(f"insight {insight_id} is now evidence for roadmap item {args.item}")
        else:
            insight_crud.link_key_result(
                session=session,
                insight_id=insight_id,
                key_result_id=args.key_result,
                actor=actor(args),
            )
            print(f"insight {insight_id} is now linked to key result {args.key_result}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from prodops.research.search import note_export_frame, search_notes
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        notes = search_notes(session=session, limit=None)
    if args.format == "json":
        write_json({"notes": notes.drop(columns=["version"]).to_dict("records")})
    else:
        write_frame(note_export_frame(notes), "csv")
    return 0
