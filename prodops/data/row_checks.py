"""Row checks in SQL: the canonical select list of each kind, the conditions that reject a row
(:func:`range_checks`, :func:`canonical_checks`), each a :data:`Check`, and the one ``CREATE TABLE
... AS SELECT`` that converts and tags every row of a file with them (:func:`tagging_sql`).

The timestamp column of events may come already parsed by DuckDB's reader (``TIMESTAMPTZ``, see
:func:`prodops.data.timeparse.native_type`); its checks are then on the parsed value, and the rows
whose value did not parse are checked again as text (:mod:`prodops.data.validate`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from prodops.data.presets import ColumnMapping, property_names
from prodops.data.quotes import UNTERMINATED_REASON, may_hold_quotes, runs_over_sql
from prodops.data.reader import RawSource, text_expr
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    MRR_MAX,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    TIME_MAX,
    TIME_MIN,
    USER_COL,
    Kind,
)
from prodops.data.stitch import People, alias_sql, user_sql
from prodops.data.timeparse import TimeGuess, native_type, sql_literal, time_sql
from prodops.data.unpack import Unpacking, extract_items
from prodops.duck import quote_ident

OUTSIDE_RANGE = f"outside the supported range {TIME_MIN} .. {TIME_MAX}"
Check = tuple[str, str, str]
"""(SQL condition, canonical column, reason): a row for which the condition holds is rejected."""


def _blank(expr: str) -> str:
    # trim() (spaces only) just for values that start with a blank: it copies every string it
    # touches. "< '!'" is "the first byte is at most a space", as ascii() <= 32 but without
    # decoding a character: a tenth of the cost on a clean column
    return f"({expr} IS NULL OR {expr} = '' OR ({expr} < '!' AND trim({expr}) = ''))"


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
    ]
    if typed_time(source, mapping, times):  # parsed by the reader: empty is NULL, no raw text
        items += [
            f"CAST(NULL AS VARCHAR) AS {raw_time}",
            f"{quote_ident(time)} AS {quote_ident(TIME_COL)}",
        ]
        empty = (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "empty timestamp")
        return items, [*_present(), empty, *range_checks("events")]
    items += [
        f"{text_expr(source, time)} AS {raw_time}",
        f"{time_sql(text_expr(source, time), times[TIME_COL])} AS {quote_ident(TIME_COL)}",
    ]
    checks = [
        *_present(),
        (_blank(raw_time), TIME_COL, "empty timestamp"),
        (f"{quote_ident(TIME_COL)} IS NULL", TIME_COL, "unparseable timestamp"),
    ]
    return items, checks + range_checks("events")


def _present() -> list[Check]:
    return [
        (_blank(USER_COL), USER_COL, "empty user id"),
        (_blank(EVENT_COL), EVENT_COL, "empty event name"),
    ]


def typed_time(source: RawSource, mapping: ColumnMapping, times: Mapping[str, TimeGuess]) -> bool:
    """Whether the events' timestamp column of *source* is read parsed (a typed scan of it)."""
    column, guess = mapping.columns.get(TIME_COL), times.get(TIME_COL)
    if mapping.kind != "events" or not column or guess is None or column not in source.columns:
        return False
    kind = native_type(guess)
    return kind is not None and source.types[source.columns.index(column)] == kind


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
    source: RawSource,
    kind: Kind,
    props: Mapping[str, str],
    raw: Mapping[str, str],
    *,
    typed: bool = False,
) -> list[Check]:
    """One check per text column of a CSV: its value swallowed the next row (open quote)."""
    assert source.csv_file is not None
    delimiter = source.csv_file[1].delimiter
    if kind == "events":  # a parsed timestamp cannot hold a swallowed row: it would not parse
        named = {USER_COL: USER_COL, EVENT_COL: EVENT_COL}
        if not typed:
            named[TIME_COL] = raw[TIME_COL]
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


# DuckDB's pseudo-column: a property column of that name would hide it.
DUCKDB_ROWID = "rowid"
NO_UNPACKING = Unpacking()
NO_PEOPLE = People()


_HELPERS = ("_prodops_reason", "_prodops_column", "_prodops_value")
_RAW = {c: f"_prodops_raw_{c}" for c in (TIME_COL, START_COL, END_COL, MRR_COL)}


_JSON_LIST = "_prodops_json"
_JSON_BAD = "_prodops_bad_json"
ALIAS_HELPER = "_prodops_alias"


def tagging_sql(
    source: RawSource,
    relation: str,
    mapping: ColumnMapping,
    times: Mapping[str, TimeGuess],
    *,
    table: str,
    decimal: str,
    read_limit: int | None,
    unpack: Unpacking = NO_UNPACKING,
    people: People = NO_PEOPLE,
    keep: Collection[str] | None = None,
) -> tuple[str, dict[str, str]]:
    """The ``CREATE TABLE`` that converts and tags every row; returns (SQL, helper names).

    Layers: extract (every JSON column's keys in one list per row, :mod:`prodops.data.unpack`;
    at most *read_limit* rows read when given), convert (canonical values, raw texts,
    properties, unpacked keys), tag (the first failing check's reason), then the table: helper
    texts dropped, the reason's column and raw value kept for the report, ends far in the future
    read as open. The helper ``alias`` (when *people* merges ids) stays for
    :func:`prodops.data.stitch.stitch`. With *keep*, the property columns (as stored) not in it
    are checked but not stored (all are stored when *keep* names one the table would not have).
    """
    canonical = REQUIRED_COLUMNS[mapping.kind]
    mapped = {c for c in mapping.columns.values() if c}
    with_keys = {k.source for k in unpack.keys}  # a column of empty objects stays as it is
    sources = [
        c for c in unpack.sources if c in source.columns and c not in mapped and c in with_keys
    ]
    props = property_names(
        [p for p in mapping.properties if p not in sources], (*canonical, DUCKDB_ROWID)
    )
    bases = [*_HELPERS, *_RAW.values(), ALIAS_HELPER]
    bases += [f"{_JSON_LIST}_{i}" for i in range(len(sources))]
    bases += [f"{_JSON_BAD}_{i}" for i in range(len(sources))]
    key_names = [k.name for k in unpack.keys]
    names = reserved_names([*canonical, *props.values(), *source.columns, *key_names], bases)
    taken = [*canonical, DUCKDB_ROWID, *props.values(), *names.values()]
    keys = _final_keys(unpack, sources, taken=taken)
    raw = {c: names[h] for c, h in _RAW.items()}
    if mapping.kind == "events":
        items, checks = _events_sql(source, mapping, times, raw, people)
    else:
        items, checks = _subscriptions_sql(source, mapping, times, decimal, raw)
    for prop, stored in props.items():
        items.append(f"{text_expr(source, prop)} AS {quote_ident(stored)}")
    raw_of = {c: quote_ident(raw[c]) for c in (TIME_COL, START_COL, END_COL, MRR_COL)}
    lists = {s: names[f"{_JSON_LIST}_{i}"] for i, s in enumerate(sources)}
    json_layer, key_items = extract_items(keys, {s: text_expr(source, s) for s in sources}, lists)
    items += key_items
    helpers = [raw_of[c] for c in raw_of if c in canonical]
    json_checks: list[Check] = []
    for i, json_col in enumerate(sources):
        flag = quote_ident(names[f"{_JSON_BAD}_{i}"])
        text = text_expr(source, json_col)
        items.append(
            f"CASE WHEN {quote_ident(lists[json_col])} IS NULL AND NOT {_blank(text)} "
            f"THEN {text} END AS {flag}"
        )
        helpers.append(flag)
        raw_of[json_col] = flag
        json_checks.append((f"{flag} IS NOT NULL", json_col, "not a JSON object"))
    alias = _alias_item(source, mapping, people)
    if alias is not None:
        items.append(f"{alias} AS {quote_ident(names[ALIAS_HELPER])}")
    checks = json_checks + checks
    if _may_hold_quotes(source):  # first: a swallowed row explains any other problem
        quoted = {**props, **{s: names[f"{_JSON_BAD}_{i}"] for i, s in enumerate(sources)}}
        typed = typed_time(source, mapping, times)
        checks = _quote_checks(source, mapping.kind, quoted, raw, typed=typed) + checks
    reason_col, column_col, value_col = (quote_ident(names[h]) for h in _HELPERS)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(r)}" for c, _, r in checks) + " END"
    shared = {r for _, _, r in checks if sum(1 for _, _, other in checks if other == r) > 1}

    def which(cond: str, r: str) -> str:  # a reason shared by several checks: the one that held
        return f"{reason_col} = {sql_literal(r)}" + (f" AND {cond}" if r in shared else "")

    # the first branch takes every accepted row: DuckDB then evaluates no other branch for them
    column = f"CASE WHEN {reason_col} IS NULL THEN NULL " + " ".join(
        f"WHEN {which(c, r)} THEN {sql_literal(mapping.columns.get(col) or col)}"
        for c, col, r in checks
    )
    value = f"CASE WHEN {reason_col} IS NULL THEN NULL " + " ".join(
        f"WHEN {which(c, r)} "
        f"THEN coalesce(CAST({raw_of.get(col, quote_ident(col))} AS VARCHAR), '')"
        for c, col, r in checks
    )
    open_end = (
        f" REPLACE ({open_end_sql(quote_ident(END_COL))} AS {quote_ident(END_COL)})"
        if mapping.kind == "subscriptions"
        else ""
    )
    stored_names = [*props.values(), *(k.name for k in keys.keys)]
    if keep is not None and set(keep) <= set(stored_names):  # DuckDB then skips the others
        helpers += [quote_ident(name) for name in stored_names if name not in keep]
    base = _limited(relation, read_limit)
    if json_layer:
        base = f"(SELECT *, {', '.join(json_layer)} FROM {base})"
    sql = (
        f"CREATE TABLE {quote_ident(table)} AS "
        f"SELECT * EXCLUDE ({', '.join(helpers)}){open_end}, {column} END AS {column_col}, "
        f"{value} END AS {value_col} "
        f"FROM (SELECT *, {reason} AS {reason_col} FROM (SELECT {', '.join(items)} "
        f"FROM {base}))"
    )
    found = dict(zip(("reason", "column", "value"), (names[h] for h in _HELPERS), strict=True))
    if alias is not None:
        found["alias"] = names[ALIAS_HELPER]
    return sql, found


def _may_hold_quotes(source: RawSource) -> bool:
    """Whether *source* is delimited text in which a value may run over a line end."""
    if source.csv_file is None:
        return False
    path, guess = source.csv_file
    return may_hold_quotes(path, compression=guess.compression, quote=guess.quote)


def _final_keys(unpack: Unpacking, sources: Sequence[str], *, taken: Iterable[str]) -> Unpacking:
    """The unpacking of *sources* only, each key's name made free of *taken* (``_2`` suffix)."""
    keys = [k for k in unpack.keys if k.source in sources]
    free = reserved_names(taken, [k.name for k in keys])
    renamed = tuple(replace(k, name=free[k.name]) for k in keys)
    return Unpacking(sources=tuple(sources), keys=renamed, left_out=unpack.left_out)


def _alias_item(source: RawSource, mapping: ColumnMapping, people: People) -> str | None:
    """SQL of the helper the merge of ids reads, or None when ids are not merged."""
    if mapping.kind != "events" or not people.merges or people.column not in source.columns:
        return None
    event = mapping.columns.get(EVENT_COL)
    assert people.column is not None and event is not None
    return alias_sql(people, text_expr(source, people.column), text_expr(source, event))


def _limited(relation: str, rows: int | None) -> str:
    return relation if rows is None else f"(SELECT * FROM {relation} LIMIT {int(rows)})"
