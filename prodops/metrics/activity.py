"""Distinct (user, period index) pairs: the pre-aggregate every activity metric starts from.

Reducing events to these pairs inside the query (DESIGN.md, speed hint) is what keeps the
metrics fast: the raw events are scanned once and every later step works on far fewer rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from prodops.metrics.filters import event_predicate, predicate
from prodops.metrics.periods import Calendar, bound_rows


def active_pairs(
    table: ir.Table,
    cal: Calendar,
    *,
    event: str | None,
    where: Mapping[str, str] | None,
    lo: int | None = None,
    hi: int | None = None,
    min_events: int = 1,
) -> ir.Table:
    """Distinct ``user_id, idx`` where the user did *event* (matching *where*) in period idx.

    Only indices ``lo <= idx < hi`` are kept (``hi`` defaults to the end of the range). With
    ``min_events > 1`` a pair needs that many matching events in the period.
    """
    chosen = table.filter(predicate(table, where) & event_predicate(table, event))
    chosen, exact = bound_rows(cal, chosen, lo=lo, hi=hi)
    events = chosen.select(user_id=chosen.user_id, idx=cal.index(chosen.timestamp))
    # Bound the pairs, not the raw rows: a filter on the index would be pushed down and the
    # engine would compute the index twice per event.
    if min_events == 1:
        pairs = events.distinct()
    else:
        counted = events.group_by("user_id", "idx").aggregate(m=ibis._.count())
        pairs = counted.filter(counted.m >= min_events).select("user_id", "idx")
    if exact:
        return pairs
    keep = pairs.idx < (cal.n if hi is None else hi)
    if lo is not None:
        keep = keep & (pairs.idx >= lo)
    return pairs.filter(keep)
