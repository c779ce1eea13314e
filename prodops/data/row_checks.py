"""Row checks in SQL: the canonical select list of each kind and the conditions that reject a row
(:func:`range_checks`, :func:`canonical_checks`), each a :data:`Check`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from prodops.data.presets import ColumnMapping
from prodops.data.quotes import UNTERMINATED_REASON, runs_over_sql
from prodops.data.reader import RawSource, text_expr
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    MRR_MAX,
    START_COL,
    TIME_COL,
    TIME_MAX,
    TIME_MIN,
    USER_COL,
    Kind,
)
from prodops.data.stitch import People, user_sql
from prodops.data.timeparse import TimeGuess, time_sql
from prodops.engine import quote_ident

OUTSIDE_RANGE = f"outside the supported range {TIME_MIN} .. {TIME_MAX}"
Check = tuple[str, str, str]
"""(SQL condition, canonical column, reason): a row for which the condition holds is rejected."""


def _blank(expr: str) -> str:
    # trim() only for values that start with a blank: it copies every string it touches
    return f"({expr} IS NULL OR {expr} = '' OR (ascii({expr}) <= 32 AND trim({expr}) = ''))"


def _amount_sql(expr: str, decimal: str) -> str:
    if decimal == ",":
        return f"TRY_CAST(replace(replace(trim({expr}), '.', ''), ',', '.') AS DOUBLE)"
    return f"TRY_CAST(trim({expr}) AS DOUBLE)"


def _instant(text: str) -> str:
    return f"TIMESTAMPTZ '{text} 00:00:00+00'"


def open_end_sql(end: str) -> str:
    """SQL for the end column *end* with ends at or after :data:`TIME_MAX` read as open (null)."""
    return f"CASE WHEN {end} < {_instant(TIME_MAX)} THEN {end} END"


def reserved_names(taken: Iterable[str], bases: Sequence[str]) -> dict[str, str]:
    """Return a name for each helper column in *bases* that none of *taken* has.

    Names are compared case-insensitively (DuckDB's identifiers are); a taken base gets a
    numbered suffix.

    Examples
    --------
    >>> reserved_names(["user_id", "_prodops_reason"], ["_prodops_reason", "_prodops_row"])
    {'_prodops_reason': '_prodops_reason_2', '_prodops_row': '_prodops_row'}
    """
    used = {t.lower() for t in taken}
    names: dict[str, str] = {}
    for base in bases:
        name, suffix = base, 2
        while name.lower() in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name.lower())
        names[base] = name
    return names


def range_checks(kind: Kind) -> list[Check]:
    """The checks on canonical values: supported time range, end after start, mrr amounts.

    Conditions use the canonical column names (``timestamp``; ``start``, ``end``, ``mrr``).
    """
    low, high = _instant(TIME_MIN), _instant(TIME_MAX)
    if kind == "events":
        ts = quote_ident(TIME_COL)
        return [(f"({ts} < {low} OR {ts} >= {high})", TIME_COL, f"timestamp {OUTSIDE_RANGE}")]
    s, e, mrr = quote_ident(START_COL), quote_ident(END_COL), quote_ident(MRR_COL)
    return [
        (f"({s} < {low} OR {s} >= {high})", START_COL, f"start date {OUTSIDE_RANGE}"),
        (f"{e} < {low}", END_COL, f"end date {OUTSIDE_RANGE}"),
        (f"{e} < {s}", END_COL, "end before start"),
        (f"(isnan({mrr}) OR isinf({mrr}))", MRR_COL, "mrr is not a finite number"),
        (f"{mrr} < 0", MRR_COL, "negative mrr"),
        (f"{mrr} > {MRR_MAX!r}", MRR_COL, f"mrr above {MRR_MAX:,.0f} (the supported maximum)"),
    ]


def canonical_checks(kind: Kind) -> list[Check]:
    """Every check of a canonical row (no raw text at hand): missing values, then ranges.

    Used where rows arrive already typed (:meth:`prodops.data.catalog.Catalog.save`).
    """
    if kind == "events":
        present = [
            (_blank(USER_COL), USER_COL, "empty user id"),
            (_blank(EVENT_COL), EVENT_COL, "empty event name"),
            (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "empty timestamp"),
        ]
    else:
        present = [
            (_blank(CUSTOMER_COL), CUSTOMER_COL, "empty customer id"),
            (f"{quote_ident(START_COL)} IS NULL", START_COL, "empty start date"),
            (f"{quote_ident(MRR_COL)} IS NULL", MRR_COL, "empty mrr"),
        ]
    return present + range_checks(kind)


def _events_sql(
    source: RawSource,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    raw: dict[str, str],
    people: People,
) -> tuple[list[str], list[Check]]:
    """Return (converted select items, checks); *raw* names the helper column of each raw text."""
    cols = mapping.columns
    user, event, time = (cols[USER_COL], cols[EVENT_COL], cols[TIME_COL])
    assert user and event and time  # checked by check_mapping
    raw_time = quote_ident(raw[TIME_COL])
    alias = people.column if people.column in source.columns else None
    device = text_expr(source, alias) if alias and people.mode == "alias" else None
    items = [
        f"{user_sql(people, text_expr(source, user), device)} AS {USER_COL}",
        f"{text_expr(source, event)} AS {EVENT_COL}",
        f"{text_expr(source, time)} AS {raw_time}",
        f"{time_sql(text_expr(source, time), times[TIME_COL])} AS {quote_ident(TIME_COL)}",
    ]
    checks = [
        (_blank(USER_COL), USER_COL, "empty user id"),
        (_blank(EVENT_COL), EVENT_COL, "empty event name"),
        (_blank(raw_time), TIME_COL, "empty timestamp"),
        (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "unparseable timestamp"),
    ]
    return items, checks + range_checks("events")


def _subscriptions_sql(
    source: RawSource,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    decimal: str,
    raw: dict[str, str],
) -> tuple[list[str], list[Check]]:
    cols = mapping.columns
    customer, start, end, mrr = (
        cols[CUSTOMER_COL],
        cols[START_COL],
        cols.get(END_COL),
        cols[MRR_COL],
    )
    assert customer and start and mrr  # checked by check_mapping
    end_text = text_expr(source, end) if end else "CAST(NULL AS VARCHAR)"
    end_guess = times.get(END_COL, times[START_COL])
    raw_start, raw_end, raw_mrr = (quote_ident(raw[c]) for c in (START_COL, END_COL, MRR_COL))
    items = [
        f"{text_expr(source, customer)} AS {CUSTOMER_COL}",
        f"{text_expr(source, start)} AS {raw_start}",
        f"{time_sql(text_expr(source, start), times[START_COL])} AS {quote_ident(START_COL)}",
        f"{end_text} AS {raw_end}",
        f"{time_sql(end_text, end_guess) if end else 'CAST(NULL AS TIMESTAMPTZ)'}"
        f" AS {quote_ident(END_COL)}",
        f"{text_expr(source, mrr)} AS {raw_mrr}",
        f"{_amount_sql(text_expr(source, mrr), decimal)} AS {MRR_COL}",
    ]
    checks = [
        (_blank(CUSTOMER_COL), CUSTOMER_COL, "empty customer id"),
        (_blank(raw_start), START_COL, "empty start date"),
        (f"{quote_ident(START_COL)} IS NULL", START_COL, "unparseable start date"),
        (
            f"NOT {_blank(raw_end)} AND {quote_ident(END_COL)} IS NULL",
            END_COL,
            "unparseable end date",
        ),
        (_blank(raw_mrr), MRR_COL, "empty mrr"),
        (f"{MRR_COL} IS NULL", MRR_COL, "non-numeric mrr"),
    ]
    return items, checks + range_checks("subscriptions")


def _quote_checks(
    source: RawSource, kind: Kind, props: Mapping[str, str], raw: Mapping[str, str]
) -> list[Check]:
    """One check per text column of a CSV: its value swallowed the next row (open quote)."""
    assert source.csv_file is not None
    delimiter = source.csv_file[1].delimiter
    if kind == "events":
        named = {USER_COL: USER_COL, EVENT_COL: EVENT_COL, TIME_COL: raw[TIME_COL]}
    else:
        named = {CUSTOMER_COL: CUSTOMER_COL, **{c: raw[c] for c in (START_COL, END_COL, MRR_COL)}}
    named |= {stored: stored for stored in props.values()}
    return [
        (
            runs_over_sql(quote_ident(name), delimiter=delimiter, columns=len(source.columns)),
            column,
            UNTERMINATED_REASON,
        )
        for column, name in named.items()
    ]
