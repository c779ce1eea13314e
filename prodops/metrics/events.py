"""Event names, property columns and their frequent values (for pickers and the CLI)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.data.schema import EVENT_COLUMNS, SUBSCRIPTION_COLUMNS
from prodops.engine import as_table
from prodops.metrics.filters import events_table


def event_counts(events: ir.Table | pd.DataFrame) -> pd.DataFrame:
    """Events and distinct users per event name, most frequent first (ties by name).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["open", "open", "buy"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01"] * 3, utc=True)})
    >>> event_counts(ev)
      event  events  users
    0  open       2      1
    1   buy       1      1
    """
    table = events_table(events)
    counted = table.group_by("event").aggregate(
        events=ibis._.count(), users=table.user_id.nunique()
    )
    frame = counted.to_pandas()
    frame = frame.sort_values(["events", "event"], ascending=[False, True], kind="stable")
    return pd.DataFrame(
        {
            "event": frame["event"].astype(object).to_numpy(),
            "events": frame["events"].astype("int64").to_numpy(),
            "users": frame["users"].astype("int64").to_numpy(),
        }
    )


def property_columns(events: ir.Table | pd.DataFrame) -> list[str]:
    """The columns of *events* other than ``user_id``, ``event`` and ``timestamp``."""
    table = events_table(events)
    return [c for c in table.columns if c not in EVENT_COLUMNS]


def property_values(events: ir.Table | pd.DataFrame, column: str, *, limit: int = 50) -> list[str]:
    """The *limit* most frequent non-null values of *column*, as text (ties by value).

    A column the table does not have gives ``[]`` (a picker then offers nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"plan": ["pro", "free", "pro", None, "team", "free", "pro"]})
    >>> property_values(ev, "plan", limit=2)
    ['pro', 'free']
    """
    table = as_table(events)  # any table: events or subscriptions
    if column not in table.columns:
        return []
    col = table[column]
    counted = (
        table.filter(col.notnull())
        .group_by(value=col.cast(dt.string))
        .aggregate(n=ibis._.count())
        .order_by([ibis.desc("n"), "value"])
        .limit(limit)
        .to_pandas()
    )
    return [str(v) for v in counted["value"]]


# --- which property columns segment users (filters and breakdowns) ---------------------------

# Rows read to judge the columns: enough for stable cardinalities, cheap on 10M-row tables.
SEGMENT_SAMPLE_ROWS = 100_000
# A column with more distinct values than this is not a breakdown; 25 values or fewer read well.
SEGMENT_MAX_VALUES = 200
SEGMENT_GOOD_VALUES = 25

_UUID_RE = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}|$)"
# `uuid`, `$insert_id`, `session_id`, `anonymousId`, `user_properties.account_id`, ...
_ID_NAME_RE = re.compile(r"(^|[._$])(u?uid|guid|id)$|_id$|[a-z]Id$|^\$?insert_id$|_key$|token$")
_TIME_NAME_RE = re.compile(r"(^|[._$])(created|updated|sent|received)(_at)?$|_at$|(^|_)timestamp$")


@dataclass(frozen=True)
class SegmentColumns:
    """Property columns split into those offered for filters/breakdowns and those hidden.

    Attributes
    ----------
    offered
        Columns that segment users, most useful first: few distinct values (2 to 25) and the most
        rows filled, then moderate cardinality, then the rest (numbers, single-valued columns).
    hidden
        Identifiers, UUIDs, timestamps, free text, JSON, empty and very high-cardinality columns,
        in table order; a picker shows them only behind a search.
    reasons
        Why each hidden column is hidden (one short phrase per column).
    """

    offered: list[str]
    hidden: list[str]
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _ColumnStats:
    name: str
    filled: int
    distinct: int
    is_text: bool
    is_number: bool
    uuids: int = 0
    datetimes: int = 0
    with_space: int = 0
    json_like: int = 0
    mean_length: float = 0.0


def segment_columns(
    events: ir.Table | pd.DataFrame, *, sample_rows: int = SEGMENT_SAMPLE_ROWS
) -> SegmentColumns:
    """Rank the property columns of *events* by how well they segment users.

    One aggregate over the first *sample_rows* rows measures each column (filled rows, distinct
    values and, for text, how many values look like UUIDs, date-times, JSON or prose). A column
    is hidden when its name or values say identifier, UUID or timestamp, when its values are
    free text or JSON, when it has no value, when more than 25 distinct text values make up over
    half its rows, or when it has more than ``SEGMENT_MAX_VALUES`` distinct values (numbers
    excepted: ``amount >= 100`` is a useful filter). The canonical
    columns (``user_id``, ``event``, ``timestamp``; ``customer_id``, ``start``, ``end``,
    ``mrr``) are never listed.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id": list("abcdef"), "event": ["open"] * 6,
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 6, utc=True),
    ...     "uuid": [f"018f2c3e-0000-7000-8000-00000000000{i}" for i in range(6)],
    ...     "country": ["DE", "FR", None, None, None, "DE"],
    ...     "plan": ["pro", "free", "pro", "free", "team", "pro"],
    ...     "created_at": ["2024-01-01T10:00:00"] * 6,
    ... })
    >>> cols = segment_columns(ev)
    >>> cols.offered, cols.hidden
    (['plan', 'country'], ['uuid', 'created_at'])
    >>> cols.reasons["uuid"]
    'identifier (UUID values)'
    """
    table = as_table(events)
    canonical = {*EVENT_COLUMNS, *SUBSCRIPTION_COLUMNS}
    names = [c for c in table.columns if c not in canonical]
    if not names:
        return SegmentColumns(offered=[], hidden=[], reasons={})
    stats = _column_stats(table, names, sample_rows=sample_rows)
    offered: list[_ColumnStats] = []
    hidden: list[str] = []
    reasons: dict[str, str] = {}
    for name in names:
        reason = _hidden_reason(stats[name], table[name].type())
        if reason is None:
            offered.append(stats[name])
        else:
            hidden.append(name)
            reasons[name] = reason
    offered.sort(key=_usefulness)
    return SegmentColumns(offered=[s.name for s in offered], hidden=hidden, reasons=reasons)


def _column_stats(
    table: ir.Table, names: list[str], *, sample_rows: int
) -> dict[str, _ColumnStats]:
    """Measure every column of *names* in one query over the first *sample_rows* rows.

    The values are grouped first (column, value, rows) and the patterns are tried once per
    distinct value, weighted by its rows: a segment column has a handful of values, so this
    costs a group-by instead of four regular expressions on every sampled row.
    """
    sample = table.limit(sample_rows)
    parts = [
        sample.select(c=ibis.literal(i, type=dt.int32), r=sample[name].cast(dt.string))
        for i, name in enumerate(names)
    ]
    values = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
    grouped = values.group_by(["c", "r"]).aggregate(k=values.count())
    text = grouped.r.strip()

    def rows_where(condition: ir.BooleanValue) -> ir.Scalar:
        return condition.ifelse(grouped.k, 0).sum()  # PostgreSQL: no bool->int

    filled = rows_where(grouped.r.notnull())
    found = (
        grouped.group_by("c")
        .aggregate(
            n=filled,
            d=grouped.r.count(),
            u=rows_where(text.re_search(_UUID_RE)),
            t=rows_where(text.re_search(_DATETIME_RE)),
            s=rows_where(text.re_search(r"\s")),
            j=rows_where(text.re_search(r"^[\[{]")),
            l=(text.length() * grouped.k).sum() / filled.nullif(0),
        )
        .to_pandas()
    )
    by_index = {int(row["c"]): row for _, row in found.iterrows()}

    def number(index: int, key: str) -> float:
        row = by_index.get(index)
        value = None if row is None else row.get(key)
        return 0.0 if value is None or pd.isna(value) else float(value)

    stats: dict[str, _ColumnStats] = {}
    for i, name in enumerate(names):
        dtype = table[name].type()
        is_text = dtype.is_string()
        stats[name] = _ColumnStats(
            name=name,
            filled=int(number(i, "n")),
            distinct=int(number(i, "d")),
            is_text=is_text,
            is_number=dtype.is_numeric() and not dtype.is_boolean(),
            uuids=int(number(i, "u")) if is_text else 0,
            datetimes=int(number(i, "t")) if is_text else 0,
            with_space=int(number(i, "s")) if is_text else 0,
            json_like=int(number(i, "j")) if is_text else 0,
            mean_length=number(i, "l") if is_text else 0.0,
        )
    return stats


def _hidden_reason(stats: _ColumnStats, dtype: dt.DataType) -> str | None:
    """Why the column does not segment users, or None when it does."""
    most = 0.9 * stats.filled  # "values look like X": nine in ten filled values at least
    if stats.filled == 0:
        return "no values"
    if dtype.is_temporal():
        return "timestamp"
    if stats.is_text and stats.uuids >= most:
        return "identifier (UUID values)"
    if stats.is_text and stats.datetimes >= most:
        return "timestamp (date-time values)"
    if _TIME_NAME_RE.search(stats.name) and stats.distinct > SEGMENT_GOOD_VALUES:
        return "timestamp (by its name)"
    unique_ish = stats.distinct > SEGMENT_GOOD_VALUES or 2 * stats.distinct > stats.filled
    if _ID_NAME_RE.search(stats.name) and unique_ish and stats.distinct > 1:
        return "identifier (by its name)"
    if stats.is_text and stats.json_like >= most:
        return "JSON text"
    long_text = stats.mean_length > 40 or stats.with_space >= max(most, 1) * 0.5
    if stats.is_text and long_text and stats.distinct > SEGMENT_GOOD_VALUES:
        return "free text"
    if stats.is_text and stats.distinct > SEGMENT_GOOD_VALUES and 2 * stats.distinct > stats.filled:
        return "nearly every value different"
    if stats.distinct > SEGMENT_MAX_VALUES and not stats.is_number:
        return f"too many distinct values ({stats.distinct:,} in the first rows)"
    return None


def _usefulness(stats: _ColumnStats) -> tuple[int, int, int, str]:
    """Sort key: few values first, then moderate, then numbers and single-valued columns."""
    if 2 <= stats.distinct <= SEGMENT_GOOD_VALUES:
        tier = 0
    elif 2 <= stats.distinct <= SEGMENT_MAX_VALUES:
        tier = 1
    else:
        tier = 2
    return (tier, -stats.filled, stats.distinct, stats.name)
