"""``prodops team`` (who has which role) and ``prodops audit`` (who changed what, when).

The CLI acts as ``PRODOPS_USER`` and obeys the same roles as the pages (docs/adr/0015): listing
roles is open to everyone, ``team set-role`` / ``team remove`` and reading the audit trail are an
admin's; anyone else is refused with one line and exit status 2.

Examples: ``prodops team set-role bo@example.com editor``, ``prodops team whoami``,
``prodops audit --who bo@example.com --since 2026-11-01 --format csv > audit.csv`` (formula
cells neutralised).
"""

from __future__ import annotations

import argparse
from typing import Any

from prodops.cli.output import add_format_option, write_frame, write_json

ROLES = ("viewer", "editor", "admin")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops team`` and ``prodops audit`` to *sub*."""
    team = sub.add_parser("team", help="roles: list them, assign one (admins), who am I")
    commands = team.add_subparsers(dest="team_command", required=True)
    listing = commands.add_parser(
        "list", help="the roles admins assigned, and the configured admins"
    )
    add_format_option(listing)
    listing.set_defaults(func=run_list)
    whoami = commands.add_parser("whoami", help="who the CLI acts as (PRODOPS_USER) and their role")
    whoami.set_defaults(func=run_whoami)
    assign = commands.add_parser("set-role", help="give someone a role (admins only)")
    assign.add_argument("identity", help="their e-mail (the identity they sign in with)")
    assign.add_argument("role", choices=ROLES)
    assign.set_defaults(func=run_set_role)
    remove = commands.add_parser(
        "remove", help="forget someone's assigned role (admins only; they get the default role)"
    )
    remove.add_argument("identity")
    remove.set_defaults(func=run_remove)

    audit = sub.add_parser("audit", help="the audit trail: who changed what, when (admins only)")
    audit.add_argument("--who", metavar="IDENTITY", help="only this person's writes")
    audit.add_argument(
        "--entity", metavar="WHAT", help="only this kind (key_result, check_in, dataset, ...)"
    )
    audit.add_argument("--since", metavar="DATE", help="from this day (UTC), such as 2026-11-01")
    audit.add_argument("--until", metavar="DATE", help="before this day (UTC)")
    audit.add_argument(
        "--limit", type=int, default=1000, help="at most this many, newest first (0: all)"
    )
    add_format_option(audit)
    audit.set_defaults(func=run_audit)


def run_list(args: argparse.Namespace) -> int:
    """Print the configured admins and the assigned roles."""
    import pandas as pd

    from prodops import config
    from prodops.store import audit
    from prodops.store.db import init_store, read_session

    with read_session(init_store()) as session:
        members = audit.list_members(session=session)
    records = [
        {"identity": a, "role": "admin", "from": "PRODOPS_ADMINS", "updated_by": ""}
        for a in sorted(config.admins())
    ] + [
        {"identity": m.identity, "role": m.role, "from": "assigned", "updated_by": m.updated_by}
        for m in members
    ]
    if args.format == "json":
        write_json({"team_mode": bool(config.admins()), "members": records})
        return 0
    write_frame(
        pd.DataFrame(records, columns=["identity", "role", "from", "updated_by"]), args.format
    )
    return 0


def run_whoami(args: argparse.Namespace) -> int:
    """Print who the CLI acts as and their role."""
    from prodops.store.access import as_actor, team_mode
    from prodops.store.db import init_store, read_session
    from prodops.store.guard import role_of

    actor = as_actor(None)
    with read_session(init_store()) as session:
        role = role_of(session, actor)
    mode = "team mode" if team_mode() else "local mode (no PRODOPS_ADMINS: everyone is an admin)"
    print(f"{actor.identity}: {role.value} ({mode})")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    """Assign a role as PRODOPS_USER (refused unless an admin)."""
    from prodops.store import audit
    from prodops.store.access import article
    from prodops.store.db import init_store, write_session

    with write_session(init_store(), actor=None) as session:
        member = audit.set_role(session=session, identity=args.identity, role=args.role)
    print(f"{member.identity} is now {article(member.role)}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Forget an assigned role as PRODOPS_USER (refused unless an admin)."""
    from prodops.store import audit
    from prodops.store.db import init_store, write_session

    with write_session(init_store(), actor=None) as session:
        audit.remove_member(session=session, identity=args.identity)
    print(f"{args.identity}: assigned role removed")
    return 0


def _day(text: str | None, flag: str) -> Any:
    if not text:
        return None
    import datetime as dt

    from prodops.errors import ParameterError

    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ParameterError(
            f"{text!r} is not a date", where=flag, fix="Write it like 2026-11-01."
        ) from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def run_audit(args: argparse.Namespace) -> int:
    """Print the audit trail as PRODOPS_USER (refused unless an admin)."""
    from prodops.errors import ParameterError
    from prodops.store import audit
    from prodops.store.db import init_store, read_session

    if args.limit < 0:
        raise ParameterError("--limit must be 0 (all) or more", where="--limit")
    where = audit.AuditFilter(
        actor=args.who,
        entity=args.entity,
        since=_day(args.since, "--since"),
        until=_day(args.until, "--until"),
    )
    with read_session(init_store()) as session:
        entries = audit.browse(session=session, actor=None, where=where, limit=args.limit or None)
    frame = audit.entries_frame(entries)
    if args.format == "json":
        write_json({"entries": frame.to_dict("records")})
        return 0
    write_frame(frame, args.format)
    return 0
