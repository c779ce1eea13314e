"""Distinct (user, period index) pairs: the pre-aggregate every activity metric starts from.

Reducing events to these pairs inside the query (DESIGN.md, speed hint) is what keeps the
metrics fast: the raw events are scanned once and every later step works on far fewer rows.
The completeness of a metric's periods (DESIGN.md, "Completeness") is judged here too, once for
lifecycle, stickiness, active users and churn.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from prodops.metrics.breakdowns import LABEL, split_by
from prodops.metrics.completeness import complete_flags, events_data_end, instant
from prodops.metrics.filters import Filters, event_predicate, predicate
from prodops.metrics.periods import Calendar, DateLike, bound_rows, check_timezone


def active_pairs(
    table: ir.Table,
    cal: Calendar,
    *,
    event: str | None,
    where: Filters,
    lo: int | None = None,
    hi: int | None = None,
    min_events: int = 1,
    by_breakdown: bool = False,
) -> ir.Table:
    """Distinct ``user_id, idx`` where the user did *event* (matching *where*) in period idx.

    Only indices ``lo <= idx < hi`` are kept (``hi`` defaults to the end of the range). With
    ``min_events > 1`` a pair needs that many matching events in the period. With
    *by_breakdown* the pairs are ``bk, user_id, idx`` (*table* carries the label column of
    :func:`breakdown_table`): a user is active in a value's series through its events only.
    """
    chosen = table.filter(predicate(table, where) & event_predicate(table, event))
    chosen, exact = bound_rows(cal, chosen, lo=lo, hi=hi)
    keys = ["bk", "user_id"] if by_breakdown else ["user_id"]
    label = {"bk": chosen[LABEL]} if by_breakdown else {}
    events = chosen.select(**label, user_id=chosen.user_id, idx=cal.index(chosen.timestamp))
    # Bound the pairs, not the raw rows: a filter on the index would be pushed down and the
    # engine would compute the index twice per event.
    if min_events == 1:
        pairs = events.distinct()
    else:
        counted = events.group_by(*keys, "idx").aggregate(m=ibis._.count())
        pairs = counted.filter(counted.m >= min_events).select(*keys, "idx")
    if exact:
        return pairs
    keep = pairs.idx < (cal.n if hi is None else hi)
    if lo is not None:
        keep = keep & (pairs.idx >= lo)
    return pairs.filter(keep)


def breakdown_table(
    table: ir.Table,
    cal: Calendar,
    *,
    event: str | None,
    where: Filters,
    breakdown: str | None,
    limit: int | None,
) -> tuple[ir.Table, list[str | None]]:
    """*table* with each row's breakdown label (the top *limit* values by distinct users doing
    *event* matching *where*, the rest "other"), and the values in order; ``[None]`` and
    *table* unchanged without a breakdown."""
    if breakdown is None:
        return table, [None]
    scope = table.filter(predicate(table, where) & event_predicate(table, event))
    split = split_by(scope, breakdown, limit=limit, rows=cal.n, period=cal.period)
    return table.mutate(**{LABEL: split.label(table)}), split.values


def range_end(date_to: DateLike, as_of: DateLike, timezone: str) -> DateLike:
    """The range's end: ``date_to``, else ``as_of`` (the data end the caller declared), else None.

    None lets the calendar default to the last event. A bad ``as_of`` is refused here, by name.
    """
    if as_of is not None:
        instant(as_of, check_timezone(timezone))
    return date_to if date_to is not None else as_of


def period_completeness(
    table: ir.Table, cal: Calendar, *, as_of: DateLike
) -> tuple[list[bool], pd.Timestamp | None]:
    """Whether each period of *cal* is complete, and the data end it was judged against.

    The data end is ``as_of`` when given (naive values in the analysis zone, a date alone meaning
    the end of that day), else the dataset's last event, whatever the filters
    (:mod:`prodops.metrics.completeness`).
    """
    data_end = events_data_end(table, as_of=instant(as_of, cal.timezone))
    flags = complete_flags(
        cal.starts(), period=cal.period, data_end=data_end, period_count=cal.count
    )
    return flags, data_end
