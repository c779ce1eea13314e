"""`prodops retention|lifecycle|stickiness|active-users|churn SOURCE ...`: the events metrics.

A thin shell over :mod:`prodops.metrics` with the options and JSON shapes of DESIGN.md's CLI
table. Output goes to the *current* ``sys.stdout`` (passed explicitly: the writers' default
stream is bound when :mod:`prodops.cli.output` is imported). Errors are raised as
:class:`prodops.errors.ProdOpsError`; the dispatcher prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pandas as pd

from prodops.cli.output import add_format_option, write_frame, write_json
from prodops.cli.sources import add_source_arguments, open_source
from prodops.errors import ParameterError
from prodops.metrics import (
    active_users,
    churn,
    lifecycle,
    retention,
    retention_average,
    stickiness,
)
from prodops.metrics.periods import PERIODS, WEEK_STARTS
from prodops.metrics.retention import COHORTS


def parse_where(items: Sequence[str] | None, *, flag: str = "--where") -> dict[str, str] | None:
    """Turn repeated ``COL=VAL`` options into a filter dict (None when none were given)."""
    if not items:
        return None
    where: dict[str, str] = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column:
            raise ParameterError(
                f"{flag} {item!r} is not COL=VAL", fix=f"Write it like {flag} plan=pro."
            )
        where[column.strip()] = value
    return where


def _parser(
    sub: argparse._SubParsersAction[Any], name: str, help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    add_source_arguments(parser, "events")
    return parser


def _add_range(parser: argparse.ArgumentParser, *, week_start: bool = True) -> None:
    parser.add_argument("--date-from", metavar="DATE", help="first day (read in --timezone)")
    parser.add_argument("--date-to", metavar="DATE", help="last day (default: the last event)")
    parser.add_argument("--timezone", default="UTC", help="IANA time zone (default UTC)")
    if week_start:
        parser.add_argument("--week-start", choices=WEEK_STARTS, default="monday")


def _add_period(parser: argparse.ArgumentParser, default: str, *, count: bool) -> None:
    parser.add_argument("--period", choices=PERIODS, default=default, help=f"(default {default})")
    if count:
        parser.add_argument(
            "--period-count", type=int, default=1, metavar="N", help="units per period"
        )


def _add_where(
    parser: argparse.ArgumentParser, flag: str = "--where", what: str = "events"
) -> None:
    parser.add_argument(
        flag, action="append", metavar="COL=VAL", help=f"keep {what} with COL=VAL (repeatable)"
    )


def _range(args: argparse.Namespace) -> dict[str, Any]:
    out = {"date_from": args.date_from, "date_to": args.date_to, "timezone": args.timezone}
    if hasattr(args, "week_start"):
        out["week_start"] = args.week_start
    return out


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the events metric commands to *sub*."""
    p = _parser(sub, "retention", "cohort retention matrix")
    _add_period(p, "week", count=True)
    p.add_argument("--periods", type=int, metavar="N", help="number of cohorts ending at --date-to")
    p.add_argument("--cohort", choices=COHORTS, default="first_time")
    p.add_argument("--cumulative", action="store_true", help="count returns on or after")
    p.add_argument(
        "--min-occurrences", type=int, default=1, metavar="N", help="return events needed"
    )
    p.add_argument("--start-event", metavar="NAME", help="start event (default: any)")
    p.add_argument("--return-event", metavar="NAME", help="return event (default: any)")
    _add_where(p)
    _add_where(p, "--start-where", "start events")
    _add_where(p, "--return-where", "return events")
    _add_range(p)
    p.add_argument("--breakdown", metavar="COL", help="one matrix per value of this column")
    add_format_option(p)
    p.set_defaults(func=_retention)

    p = _parser(sub, "lifecycle", "new, returning, resurrecting and dormant users per period")
    _add_period(p, "week", count=False)
    p.add_argument("--event", metavar="NAME", help="the event that makes a user active")
    _add_where(p)
    _add_range(p)
    add_format_option(p)
    p.set_defaults(func=_lifecycle)

    p = _parser(sub, "stickiness", "users by number of active periods")
    _add_period(p, "day", count=True)
    p.add_argument("--event", metavar="NAME", help="the event that counts")
    _add_where(p)
    p.add_argument(
        "--min-events", type=int, default=1, metavar="N", help="events needed per period"
    )
    p.add_argument("--cumulative", action="store_true", help="active in at least n periods")
    _add_range(p)
    add_format_option(p)
    p.set_defaults(func=_stickiness)

    p = _parser(sub, "active-users", "users active in the window of days ending on each day")
    p.add_argument(
        "--window-days", type=int, default=1, metavar="N", help="1 = DAU, 7 = WAU, 30 = MAU"
    )
    p.add_argument("--event", metavar="NAME", help="the event that counts")
    _add_where(p)
    _add_range(p, week_start=False)
    add_format_option(p)
    p.set_defaults(func=_active_users)

    p = _parser(sub, "churn", "users active in the previous period and not in this one")
    _add_period(p, "month", count=False)
    p.add_argument("--event", metavar="NAME", help="the event that counts")
    _add_where(p)
    _add_range(p)
    add_format_option(p)
    p.set_defaults(func=_churn)


def _run(args: argparse.Namespace, compute: Callable[[Any], pd.DataFrame]) -> pd.DataFrame:
    with open_source(args, "events") as table:
        return compute(table)


def _write(
    args: argparse.Namespace,
    frame: pd.DataFrame,
    document: Callable[[pd.DataFrame], dict[str, Any]],
) -> int:
    """Print *frame* in ``--format``; for ``json``, the document *document* makes of it."""
    if args.format == "json":
        write_json(document(frame), sys.stdout)
    else:
        write_frame(frame, args.format, sys.stdout)
    return 0


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).isoformat()


def _float(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _label(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def _retention(args: argparse.Namespace) -> int:
    frame = _run(
        args,
        lambda table: retention(
            table,
            period=args.period,
            period_count=args.period_count,
            periods=args.periods,
            cohort=args.cohort,
            cumulative=args.cumulative,
            min_occurrences=args.min_occurrences,
            start_event=args.start_event,
            return_event=args.return_event,
            where=parse_where(args.where),
            start_where=parse_where(args.start_where, flag="--start-where"),
            return_where=parse_where(args.return_where, flag="--return-where"),
            breakdown=args.breakdown,
            **_range(args),
        ),
    )
    if args.format == "json":
        write_json(retention_json(frame, period=args.period, breakdown=args.breakdown), sys.stdout)
    elif args.format == "csv":
        write_frame(frame, "csv", sys.stdout)
    else:
        write_frame(retention_wide(frame), "table", sys.stdout)
    return 0


def retention_json(frame: pd.DataFrame, *, period: str, breakdown: str | None) -> dict[str, Any]:
    """The JSON document of ``prodops retention --format json``."""
    cohorts = []
    for (bk, cohort), rows in frame.groupby(["breakdown", "cohort"], dropna=False, sort=False):
        rows = rows.sort_values("offset")
        cohorts.append(
            {
                "cohort": _iso(cohort),
                "breakdown": _label(bk),
                "size": int(rows["size"].iloc[0]),
                "counts": [None if pd.isna(c) else int(c) for c in rows["count"]],
                "rates": [None if pd.isna(r) else float(r) for r in rows["rate"]],
            }
        )
    overall = retention_average(frame.assign(breakdown=None))
    doc: dict[str, Any] = {
        "metric": "retention",
        "period": period,
        "cohorts": cohorts,
        "average": [None if pd.isna(r) else float(r) for r in overall["rate"]],
    }
    if breakdown is not None:
        per_value = retention_average(frame)
        doc["breakdown_averages"] = [
            {
                "breakdown": _label(bk),
                "average": [_float(r) for r in rows["rate"]],
            }
            for bk, rows in per_value.groupby("breakdown", dropna=False, sort=False)
        ]
    return doc


def retention_wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (breakdown, cohort) with the size and the rate at each offset (for tables)."""
    rows = []
    for (bk, cohort), part in frame.groupby(["breakdown", "cohort"], dropna=False, sort=False):
        part = part.sort_values("offset")
        row: dict[str, Any] = {"cohort": cohort, "size": int(part["size"].iloc[0])}
        if frame["breakdown"].notna().any():
            row = {"breakdown": _label(bk), **row}
        for offset, rate in zip(part["offset"], part["rate"], strict=True):
            row[str(offset)] = None if pd.isna(rate) else round(float(rate), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def _lifecycle(args: argparse.Namespace) -> int:
    frame = _run(
        args,
        lambda table: lifecycle(
            table,
            period=args.period,
            event=args.event,
            where=parse_where(args.where),
            **_range(args),
        ),
    )
    return _write(args, frame, _lifecycle_json)


def _lifecycle_json(frame: pd.DataFrame) -> dict[str, Any]:
    buckets = [
        {
            "start": _iso(row["start"]),
            **{k: int(row[k]) for k in ("new", "returning", "resurrecting", "dormant")},
            "pulse_ratio": _float(row["pulse_ratio"]),
        }
        for row in frame.to_dict("records")
    ]
    return {"metric": "lifecycle", "buckets": buckets}


def _stickiness(args: argparse.Namespace) -> int:
    frame = _run(
        args,
        lambda table: stickiness(
            table,
            period=args.period,
            period_count=args.period_count,
            event=args.event,
            where=parse_where(args.where),
            min_events=args.min_events,
            cumulative=args.cumulative,
            **_range(args),
        ),
    )
    return _write(args, frame, _stickiness_json)


def _stickiness_json(frame: pd.DataFrame) -> dict[str, Any]:
    total = int(frame["buckets_total"].iloc[0]) if len(frame) else 0
    histogram = [
        {"active_periods": int(n), "users": int(u)}
        for n, u in zip(frame["active_periods"], frame["users"], strict=True)
    ]
    return {"metric": "stickiness", "buckets_total": total, "histogram": histogram}


def _active_users(args: argparse.Namespace) -> int:
    frame = _run(
        args,
        lambda table: active_users(
            table,
            window_days=args.window_days,
            event=args.event,
            where=parse_where(args.where),
            **_range(args),
        ),
    )
    shown = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))
    return _write(args, shown, partial(_active_users_json, window_days=args.window_days))


def _active_users_json(shown: pd.DataFrame, *, window_days: int) -> dict[str, Any]:
    series = [
        {"date": d, "users": int(u)} for d, u in zip(shown["date"], shown["users"], strict=True)
    ]
    return {"metric": "active_users", "window_days": window_days, "series": series}


def _churn(args: argparse.Namespace) -> int:
    frame = _run(
        args,
        lambda table: churn(
            table,
            period=args.period,
            event=args.event,
            where=parse_where(args.where),
            **_range(args),
        ),
    )
    return _write(args, frame, _churn_json)


def _churn_json(frame: pd.DataFrame) -> dict[str, Any]:
    periods = [
        {
            "period": _iso(row["period"]),
            "active_start": int(row["active_start"]),
            "churned": int(row["churned"]),
            "churn_rate": _float(row["churn_rate"]),
        }
        for row in frame.to_dict("records")
    ]
    return {"metric": "churn", "periods": periods}
