"""Checking the events table and turning ``column = value`` filters into Ibis predicates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ibis
import ibis.expr.types as ir
import pandas as pd

from prodops.data.schema import EVENT_COL, EVENT_COLUMNS
from prodops.engine import as_table
from prodops.errors import ColumnError, InputError, did_you_mean

Where = Mapping[str, str] | None


def events_table(events: ir.Table | pd.DataFrame) -> ir.Table:
    """Return *events* as an Ibis table after checking it has the canonical event columns."""
    if isinstance(events, pd.DataFrame):
        # An all-empty property column has no type; DuckDB refuses NULL-typed columns.
        empty = [c for c in events.columns if events[c].dtype == object and events[c].isna().all()]
        if empty:
            events = events.astype({c: "string" for c in empty})
    table = as_table(events)
    require_columns(table, EVENT_COLUMNS, role="events column")
    return table


def require_columns(table: ir.Table, names: Iterable[str], *, role: str = "column") -> None:
    """Raise ColumnError (with close names) for the first of *names* that *table* lacks."""
    present = list(table.columns)
    for name in names:
        if name not in present:
            raise ColumnError(
                f"{role} {name!r} not found",
                fix=did_you_mean(name, present) or f"Columns are: {', '.join(present)}.",
            )


def predicate(table: ir.Table, where: Where, *, role: str = "filter") -> ir.BooleanValue:
    """Return the conjunction of ``column == value`` for *where* (True when empty)."""
    condition: ir.BooleanValue = ibis.literal(True)
    if not where:
        return condition
    require_columns(table, where, role=f"{role} column")
    for name, value in where.items():
        column = table[name]
        if not column.type().is_string():
            column = column.cast("string")
        condition = condition & (column == ibis.literal(str(value)))
    return condition


def event_predicate(table: ir.Table, event: str | None) -> ir.BooleanValue:
    """``event == name`` (True for "any event" when *event* is None)."""
    if event is None:
        return ibis.literal(True)
    return table[EVENT_COL] == ibis.literal(str(event))


def check_event_names(table: ir.Table, names: Iterable[str | None]) -> None:
    """Raise InputError, suggesting close names, for an event name that never occurs."""
    wanted = [n for n in names if n is not None]
    if not wanted:
        return
    chosen = table.filter(table[EVENT_COL].isin(wanted))
    found = chosen.select(EVENT_COL).distinct().to_pandas()[EVENT_COL]
    present = {str(v) for v in found}
    for name in wanted:
        if name not in present:
            known = table.select(EVENT_COL).distinct().limit(10_000).to_pandas()[EVENT_COL]
            known_names = sorted(str(v) for v in known if v is not None)
            raise InputError(
                f"event {name!r} does not occur in the data",
                fix=did_you_mean(name, known_names)
                or f"Events are: {', '.join(known_names[:20])}.",
            )
