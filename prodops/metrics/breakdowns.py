"""Breakdowns: one series or matrix per value of a property column, the largest values first.

A breakdown keeps the ``breakdown_limit`` values with the most users (default 5) and puts the
rest together under ``"other"``, so a column with many values still reads as one comparison.
A value's series is the metric computed as if filtered on ``column = value``; ``"other"`` is
the metric filtered on ``column IN (the rest)`` (a user with events of two of the rest counts
once there). A missing value (NULL) is a value of its own (``None``) and competes like any other.

Size: distinct users among the events the metric reads (after the global filters; for
retention, the users with a matching start event), over all the data. Ties go by value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.errors import ParameterError
from prodops.metrics.filters import require_columns
from prodops.metrics.limits import check_cells

OTHER = "other"
DEFAULT_BREAKDOWN_LIMIT = 5
LABEL = "_bk"  # the column holding a row's breakdown label inside a metric's query


@dataclass(frozen=True)
class Breakdown:
    """The values a breakdown shows, in order (largest first, then ``other``)."""

    column: str
    values: list[str | None]
    kept: list[str | None]  # the top values themselves (``values`` minus ``other``)
    other: str | None  # the label of the rest, None when there is no rest

    def label(self, table: ir.Table) -> ir.StringValue:
        """The expression giving each row of *table* its breakdown label."""
        text = table[self.column].cast(dt.string)
        if self.other is None:
            return text
        named = [v for v in self.kept if v is not None]
        if None in self.kept:
            return ibis.cases(
                (text.isnull(), ibis.null("string")),
                (text.isin(named), text),
                else_=ibis.literal(self.other),
            )
        return ibis.cases((text.isin(named).fill_null(False), text), else_=ibis.literal(self.other))


def check_limit(limit: int | None) -> int | None:
    """*limit* as a positive int (None: every value)."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ParameterError(
            f"breakdown_limit {limit!r} is not a whole number >= 1",
            fix="Give how many values to show, e.g. 5 (the rest are grouped as 'other').",
        )
    return limit


def check_breakdown(table: ir.Table, column: str | None, limit: int | None) -> None:
    """Refuse, before any query, a breakdown column *table* lacks or a bad *limit*."""
    if column is not None:
        require_columns(table, [column], role="breakdown column")
        check_limit(limit)


def top_values(
    scope: ir.Table,
    column: str,
    *,
    limit: int | None,
    counts: ir.BooleanValue | None = None,
) -> Breakdown:
    """The breakdown of *scope* by *column*: the *limit* values with most distinct users.

    *counts* marks the rows whose users make a value's size (default: every row); a value with
    rows but no such user still exists (size 0).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = ibis.memtable(pd.DataFrame({
    ...     "user_id": ["a", "b", "c", "d", "e", "f"],
    ...     "plan": ["pro", "pro", "pro", "team", "team", "free"]}))
    >>> top_values(ev, "plan", limit=2).values
    ['pro', 'team', 'other']
    >>> top_values(ev, "plan", limit=5).values
    ['pro', 'team', 'free']
    """
    require_columns(scope, [column], role="breakdown column")
    limit = check_limit(limit)
    text = scope[column].cast(dt.string)
    flag = ibis.literal(True) if counts is None else counts
    marked = scope.select(v=text, u=scope.user_id, f=flag)
    sized = marked.group_by("v").aggregate(n=marked.u.nunique(where=marked.f))
    ranked = sized.order_by([ibis.desc("n"), sized.v.isnull(), "v"])
    if limit is not None:
        ranked = ranked.limit(limit + 1)
    found = ranked.to_pandas()
    values: list[str | None] = [None if v is None or v != v else str(v) for v in found["v"]]
    if limit is None or len(values) <= limit:
        return Breakdown(column, values, values, None)
    kept = values[:limit]
    other = OTHER if OTHER not in kept else f"{OTHER} ({column})"
    return Breakdown(column, [*kept, other], kept, other)


def split_by(
    scope: ir.Table,
    column: str,
    *,
    limit: int | None,
    counts: ir.BooleanValue | None = None,
    rows: int,
    columns: int = 1,
    period: str,
) -> Breakdown:
    """:func:`top_values`, after checking that *rows* x *columns* cells per value fit the cap
    (:func:`prodops.metrics.limits.check_cells`; without a limit the values are counted before
    they are fetched: a column of e-mails would otherwise come back whole)."""
    if limit is None:
        distinct = scope.select(v=scope[column].cast(dt.string)).distinct()
        found = int(distinct.count().to_pandas())
        check_cells(rows=rows, columns=columns, period=period, matrices=found)
    split = top_values(scope, column, limit=limit, counts=counts)
    check_cells(rows=rows, columns=columns, period=period, matrices=len(split.values))
    return split


def rows_of(frame: pd.DataFrame, value: str | None) -> pd.DataFrame:
    """The rows of *frame* (with a ``bk`` column) whose label is *value* (None: missing)."""
    if value is None:
        return frame[frame["bk"].isna()]
    return frame[frame["bk"] == value]


def stack(parts: list[tuple[str | None, pd.DataFrame]], *, empty: pd.DataFrame) -> pd.DataFrame:
    """One frame of the per-value frames, with a leading ``breakdown`` column (object); with no
    value (nothing matched), the columns of *empty* and no row."""
    if not parts:
        parts = [(None, empty.iloc[:0])]
    framed = []
    for value, part in parts:
        part = part.copy()
        part.insert(0, "breakdown", pd.Series([value] * len(part), index=part.index, dtype=object))
        framed.append(part)
    return pd.concat(framed, ignore_index=True)


def per_value(
    counted: pd.DataFrame,
    build: Callable[[pd.DataFrame], pd.DataFrame],
    *,
    values: Sequence[str | None] | None,
) -> pd.DataFrame:
    """A series metric's frame from the database's counts: *build* applied to all of *counted*
    without a breakdown (*values* None), else to each value's rows, :func:`stack`-ed."""
    if values is None:
        return build(counted)
    parts = [(v, build(rows_of(counted, v))) for v in values]
    return stack(parts, empty=build(counted.iloc[:0]))
