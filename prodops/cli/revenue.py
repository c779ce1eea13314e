"""``prodops revenue`` and ``prodops revenue-cohorts``: MRR movements and revenue retention.

A thin shell over :func:`prodops.metrics.revenue.revenue` and
:func:`prodops.metrics.revenue.revenue_cohorts`; JSON as in DESIGN.md ("The command line").
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from prodops.cli.output import add_format_option, write_frame, write_json
from prodops.cli.sources import add_source_arguments, open_source
from prodops.metrics.revenue import REVENUE_PERIODS, revenue, revenue_cohorts


def _add_range_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", choices=REVENUE_PERIODS, default="month", help="default: month")
    parser.add_argument("--date-from", metavar="DATE", help="first period (default: first start)")
    parser.add_argument(
        "--date-to", metavar="DATE", help="last period, counted in full (default: last change)"
    )
    parser.add_argument("--timezone", default="UTC", help="analysis time zone (default: UTC)")
    add_format_option(parser)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops revenue`` and ``prodops revenue-cohorts`` to *sub*."""
    parser = sub.add_parser(
        "revenue",
        help="MRR movements, churn, NRR/GRR, quick ratio, ARPA and LTV per period",
        description=(
            "Per period: MRR at start and end, new, expansion, contraction, churn, reactivation, "
            "customers, logo churn, gross and net MRR churn, GRR, NRR, quick ratio, ARPA, LTV. "
            "A customer's MRR at t is the sum of mrr of their subscriptions with start <= t < end."
        ),
    )
    add_source_arguments(parser, "subscriptions")
    _add_range_options(parser)
    parser.set_defaults(func=run_revenue)

    cohorts = sub.add_parser(
        "revenue-cohorts",
        help="revenue and logo retention of customers grouped by their first paying period",
    )
    add_source_arguments(cohorts, "subscriptions")
    _add_range_options(cohorts)
    cohorts.set_defaults(func=run_revenue_cohorts)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "period": args.period,
        "date_from": args.date_from,
        "date_to": args.date_to,
        "timezone": args.timezone,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def run_revenue(args: argparse.Namespace) -> int:
    """Print the revenue table (or CSV, or ``{"metric": "revenue", "periods": [...]}``)."""
    with open_source(args, "subscriptions") as table:
        frame = revenue(table, **_options(args))
    if args.format == "json":
        write_json({"metric": "revenue", "periods": _records(frame)}, sys.stdout)
    else:
        write_frame(frame, args.format, sys.stdout)
    return 0


def run_revenue_cohorts(args: argparse.Namespace) -> int:
    """Print revenue cohorts (or ``{"metric": "revenue_cohorts", "cohorts": [...]}``)."""
    with open_source(args, "subscriptions") as table:
        frame = revenue_cohorts(table, **_options(args))
    if args.format == "json":
        write_json({"metric": "revenue_cohorts", "cohorts": _records(frame)}, sys.stdout)
    else:
        write_frame(frame, args.format, sys.stdout)
    return 0
