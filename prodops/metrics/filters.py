"""Checking the events table and turning filters into Ibis predicates (DESIGN.md, "Filters").

A filter is a list of conditions ``(column, operator, value)``. Operators: ``=``, ``!=``,
contains ``~``, ``>``, ``>=``, ``<``, ``<=``, is set ``?``, is not set ``!?``. How they combine
(the rule PMs expect):

- several ``=`` conditions on one column are OR (``plan IN ('pro', 'team')``), and so are several
  ``~`` conditions on one column (contains any of them);
- every other condition, and conditions on different columns, are AND (``country != 'DE' AND
  country != 'FR'`` keeps neither; ``amount >= 10 AND amount < 100`` is a range).

Values and types:

- on a numeric column, ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=`` compare as numbers and a value
  that is not a number is refused; on a boolean column ``=`` and ``!=`` take true/false;
- on a text column (imported files keep properties as text), ``>``, ``>=``, ``<``, ``<=`` with a
  number compare as numbers with the values that are numbers (``amount>=100`` keeps "150", not
  "20" nor "n/a"); with any other value they use the text order; ``=`` and ``!=`` compare text;
- ``~`` is a case-insensitive substring test;
- a missing value (NULL) matches no ``=``, ``~`` or comparison, but does match ``!=`` ("not DE"
  keeps the users without a country);
- is set (``?``) means neither NULL nor the empty text ``''``; is not set (``!?``) is its
  opposite. ``plan=`` (an empty value) matches the empty text only.

Today's ``{"column": "value"}`` mappings (OKR bindings stored as JSON) still work: each item is
one ``=`` condition; a list of values is several (OR).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.data.schema import EVENT_COL, EVENT_COLUMNS
from prodops.engine import as_table
from prodops.errors import ColumnError, InputError, ParameterError, did_you_mean

# Longest first: parsing takes the longest operator at the first operator character.
OPERATORS: tuple[str, ...] = ("!?", "!=", ">=", "<=", "=", "~", ">", "<", "?")
UNARY: tuple[str, ...] = ("?", "!?")
OPERATOR_LABELS: dict[str, str] = {
    "=": "is",
    "!=": "is not",
    "~": "contains",
    ">": ">",
    ">=": ">=",
    "<": "<",
    "<=": "<=",
    "?": "is set",
    "!?": "is not set",
}
_OPERATOR_CHARS = frozenset("=!~<>?")
_SYNTAX = "COL=VAL, COL!=VAL, 'COL~TEXT', 'COL>=NUM' (also >, <, <=), 'COL?' or 'COL!?'"
# A decimal number written as text (what a comparison with a number reads in a text column).
NUMBER_RE = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


@dataclass(frozen=True)
class Condition:
    """One filter condition: ``column operator value`` (no value for ``?`` and ``!?``).

    >>> str(Condition("amount", ">=", "100")), str(Condition("plan", "?"))
    ('amount>=100', 'plan?')
    """

    column: str
    op: str = "="
    value: str | None = None

    def __str__(self) -> str:
        return f"{self.column}{self.op}{'' if self.value is None else self.value}"


ConditionLike = Condition | tuple[str, str] | tuple[str, str, Any]
Filters = Mapping[str, Any] | Sequence[ConditionLike] | None
Where = Filters  # the name the metric modules used when a filter was a mapping


def parse_condition(text: str, *, flag: str = "--where") -> Condition:
    """Read one CLI condition: ``plan=pro``, ``country!=DE``, ``amount>=100``, ``email~@acme``,
    ``plan?``, ``plan!?``.

    Raises ParameterError (one line, naming *flag*) for text that is not a condition.

    >>> parse_condition("amount>=100")
    Condition(column='amount', op='>=', value='100')
    >>> parse_condition("plan!?")
    Condition(column='plan', op='!?', value=None)
    >>> parse_condition("email~@acme.com").value
    '@acme.com'
    """
    at = next((i for i, ch in enumerate(text) if ch in _OPERATOR_CHARS), None)
    column = text[:at].strip() if at is not None else text.strip()
    if at is None or not column:
        raise ParameterError(f"{flag} {text!r} is not a condition", fix=f"Write {_SYNTAX}.")
    op = next(o for o in OPERATORS if text.startswith(o, at))
    value = text[at + len(op) :]
    if op in UNARY:
        if value.strip():
            raise ParameterError(
                f"{flag} {text!r}: {op!r} takes no value",
                fix=f"Write {column}{op} alone, or {column}={value.strip()}.",
            )
        return Condition(column, op)
    if op == "~" and not value:
        raise ParameterError(f"{flag} {text!r}: contains needs a text", fix=f"Write {column}~TEXT.")
    return Condition(column, op, value)


def conditions(where: Filters) -> list[Condition]:
    """The conditions of *where*: a mapping ``{column: value or [values]}``, or a sequence of
    :class:`Condition` or ``(column, op[, value])`` tuples.

    >>> conditions({"plan": ["pro", "team"], "country": "DE"})
    [Condition(column='plan', op='=', value='pro'), Condition(column='plan', op='=', value='team'),
     Condition(column='country', op='=', value='DE')]
    >>> conditions([("plan", "?"), ("amount", "<", 5)])
    [Condition(column='plan', op='?', value=None), Condition(column='amount', op='<', value='5')]
    """
    if not where:
        return []
    if isinstance(where, Mapping):
        found: list[Condition] = []
        for column, value in where.items():
            values = value if isinstance(value, list | tuple) else [value]
            found += [Condition(str(column), "=", _text(v)) for v in values]
        return found
    return [_condition(item) for item in where]


def _condition(item: Any) -> Condition:
    if isinstance(item, Condition):
        cond = item
    elif isinstance(item, str):
        return parse_condition(item, flag="filter")
    elif isinstance(item, list | tuple) and len(item) in (2, 3):
        value = _text(item[2]) if len(item) == 3 and item[2] is not None else None
        cond = Condition(str(item[0]), str(item[1]), value)
    else:
        raise ParameterError(f"filter {item!r} is not (column, operator, value)")
    if cond.op not in OPERATORS:
        raise ParameterError(
            f"filter {cond}: unknown operator {cond.op!r}",
            fix=f"Use one of {' '.join(OPERATORS)}.",
        )
    if cond.op in UNARY and cond.value is not None:
        return Condition(cond.column, cond.op)
    if cond.op not in UNARY and cond.value is None:
        raise ParameterError(f"filter {cond}: {cond.op!r} needs a value")
    return cond


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(where: Filters) -> str:
    """The filters in words, for a caption or a key result's source.

    >>> describe([("plan", "=", "pro"), ("plan", "=", "team"), ("country", "!=", "DE")])
    'plan is pro or team; country is not DE'
    >>> describe(None)
    'no filter'
    """
    parts: list[str] = []
    for column, group in _by_column(conditions(where)).items():
        for op in dict.fromkeys(c.op for c in group):
            values = [c.value for c in group if c.op == op]
            joiner = " or " if op in ("=", "~") else f" and {OPERATOR_LABELS[op]} "
            shown = "" if op in UNARY else " " + joiner.join(str(v) for v in values)
            parts.append(f"{column} {OPERATOR_LABELS[op]}{shown}")
    return "; ".join(parts) or "no filter"


def _by_column(conds: list[Condition]) -> dict[str, list[Condition]]:
    grouped: dict[str, list[Condition]] = {}
    for cond in conds:
        grouped.setdefault(cond.column, []).append(cond)
    return grouped


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


def predicate(table: ir.Table, where: Filters, *, role: str = "filter") -> ir.BooleanValue:
    """The Ibis predicate of *where* on *table* (True when there is no condition).

    Never NULL: a row is kept or not. Raises ColumnError for a column *table* lacks and
    ParameterError for a value the column's type cannot take (``amount>=abc``).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"plan": ["pro", "team", "free", None], "amount": [5.0, 120.0, 0, None]})
    >>> t = ibis.memtable(ev)
    >>> keep = predicate(t, [("plan", "=", "pro"), ("plan", "=", "team"), ("amount", ">=", "100")])
    >>> t.filter(keep).to_pandas()["plan"].tolist()
    ['team']
    >>> t.filter(predicate(t, [("plan", "!=", "pro")])).to_pandas()["plan"].fillna("-").tolist()
    ['team', 'free', '-']
    """
    condition: ir.BooleanValue = ibis.literal(True)
    grouped = _by_column(conditions(where))
    require_columns(table, grouped, role=f"{role} column")
    for name, group in grouped.items():
        column = table[name]
        for op in ("=", "~"):  # several values of one of these are OR
            values = [c.value for c in group if c.op == op]
            if values:
                condition = condition & _any_of(column, op, values, name)
        for cond in group:
            if cond.op not in ("=", "~"):
                condition = condition & _one(column, cond)
    return condition


def _any_of(column: ir.Value, op: str, values: list[str | None], name: str) -> ir.BooleanValue:
    texts = [v or "" for v in values]
    if op == "=":
        pairs = [_operands(column, Condition(name, "=", v)) for v in texts]
        return pairs[0][0].isin([right for _, right in pairs]).fill_null(False)
    lowered = _as_text(column).lower()
    found: ir.BooleanValue = ibis.literal(False)
    for text in texts:
        found = found | lowered.contains(text.lower()).fill_null(False)
    return found


def _one(column: ir.Value, cond: Condition) -> ir.BooleanValue:
    if cond.op in UNARY:
        is_set = column.notnull()
        if column.type().is_string():
            is_set = is_set & (column != "").fill_null(False)
        return is_set if cond.op == "?" else ~is_set
    left, value = _operands(column, cond)
    if cond.op == "!=":
        return column.isnull() | (left != value).fill_null(True)
    compare = {
        ">": left > value,
        ">=": left >= value,
        "<": left < value,
        "<=": left <= value,
    }[cond.op]
    return compare.fill_null(False)


def _operands(column: ir.Value, cond: Condition) -> tuple[Any, Any]:
    """What *cond* compares: *column* and a number on a numeric column, *column* and a bool on
    a boolean one (``=``, ``!=``), otherwise *column* as text and the value as text."""
    text = cond.value or ""
    kind = column.type()
    if kind.is_numeric():
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isnan(number) or math.isinf(number):
            raise ParameterError(
                f"filter {cond}: {text!r} is not a number ({cond.column} is numeric)",
                fix=f"Write a number, e.g. {cond.column}{cond.op}100.",
            )
        return column, ibis.literal(number, type=dt.float64)
    if kind.is_boolean() and cond.op in ("=", "!="):
        low = text.strip().lower()
        if low not in _TRUE | _FALSE:
            raise ParameterError(
                f"filter {cond}: {text!r} is not true or false ({cond.column} is a yes/no column)",
                fix=f"Write {cond.column}{cond.op}true or {cond.column}{cond.op}false.",
            )
        return column, ibis.literal(low in _TRUE)
    if cond.op in (">", ">=", "<", "<=") and re.fullmatch(NUMBER_RE, text):
        words = _as_text(column)
        # The CASE casts only the values that are numbers (PostgreSQL would fail on the others).
        number = ibis.cases((words.re_search(NUMBER_RE), words.strip().cast(dt.float64)))
        return number, ibis.literal(float(text), type=dt.float64)
    return _as_text(column), ibis.literal(text, type=dt.string)


def _as_text(column: ir.Value) -> ir.StringValue:
    return column if column.type().is_string() else column.cast(dt.string)


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
