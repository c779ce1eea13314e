"""Answers a block of work asks for more than once: the data end and the time span of a table.

Every metric of a page asks its table for the data end and the first and last timestamp (one
query each, a few milliseconds to run and as many to compile). Within :func:`scope` the answer
of :func:`once` is kept by what was asked of which query: the pages open a scope around one open
of a dataset (:func:`prodops.ui.cache.reading`), where the data cannot change (the catalog is
read-only and locked for the block). Outside a scope nothing is kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import ibis.expr.types as ir

T = TypeVar("T")
_KEPT: ContextVar[dict[tuple[str, Any], Any] | None] = ContextVar("prodops_memo", default=None)


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """Keep the answers of :func:`once` until the block ends (the data must not change)."""
    if _KEPT.get() is not None:  # an enclosing scope keeps them already
        yield
        return
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def once(question: str, expr: ir.Expr, answer: Callable[[], T]) -> T:
    """``answer()``, asked once per *question* about the query *expr* within a :func:`scope`.

    Queries are told apart by their operation graph (structural: the same table, filters and
    columns are the same query), so two metrics filtering the same way share the answer.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.table({"timestamp": "timestamp('UTC')"}, name="events")
    >>> asked = []
    >>> def ask():
    ...     asked.append(1)
    ...     return len(asked)
    >>> with scope():
    ...     first, again = once("end", t, ask), once("end", t.select("timestamp"), ask)
    >>> first, again, once("end", t, ask)  # a new query; outside the scope: asked anew
    (1, 2, 3)
    """
    kept = _KEPT.get()
    if kept is None:
        return answer()
    key = (question, expr.op())
    if key not in kept:
        kept[key] = answer()
    found: T = kept[key]
    return found
