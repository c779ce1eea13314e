"""Live datasets: a connected relation renamed and cast to the canonical model (:func:`open_live`),
planned, checked and registered from a connection URL (:func:`register_database`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from prodops.data.connect import _query_error, connection
from prodops.data.db_urls import mask_url, strip_password, with_password
from prodops.data.presets import ColumnMapping, check_mapping, detect_mapping, property_name
from prodops.data.relations import (
    Relation,
    check_relation,
    dialect_for,
    preview_relation,
    relation_table,
)
from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    USER_COL,
    Kind,
)
from prodops.dialects import from_epoch_seconds

# --- canonical expression -------------------------------------------------------------------


@dataclass(frozen=True)
class LiveSpec:
    """What the catalog stores for a live dataset (no password anywhere)."""

    url: str
    relation: Relation
    mapping: ColumnMapping
    connection: str | None = None
    epoch_units: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": strip_password(self.url),
            "table": self.relation.table,
            "sql": self.relation.sql,
            "kind": self.mapping.kind,
            "columns": self.mapping.columns,
            "properties": list(self.mapping.properties),
            "connection": self.connection,
            "epoch_units": self.epoch_units,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LiveSpec:
        return cls(
            url=str(data["url"]),
            relation=Relation(table=data.get("table"), sql=data.get("sql")),
            mapping=ColumnMapping(
                kind=data["kind"],
                preset="database",
                columns=dict(data["columns"]),
                properties=tuple(data.get("properties") or ()),
            ),
            connection=data.get("connection"),
            epoch_units=dict(data.get("epoch_units") or {}),
        )


def _as_utc(column: ir.Value, unit: str | None) -> ir.TimestampValue:
    utc = dt.Timestamp(timezone="UTC")
    dtype = column.type()
    if dtype.is_timestamp() or dtype.is_date():
        return column.cast(utc)
    if dtype.is_numeric():
        seconds = column.cast(dt.float64) / (1000.0 if unit == "ms" else 1.0)
        return from_epoch_seconds(seconds)  # each engine's own function (prodops.dialects)
    return column.cast(utc)


def canonical_expr(table: ir.Table, spec: LiveSpec) -> ir.Table:
    """Rename and cast the columns of remote *table* to the canonical model (rows with an empty
    id or time are left out, as an import would reject them)."""
    cols = spec.mapping.columns
    units = spec.epoch_units
    canonical = REQUIRED_COLUMNS[spec.mapping.kind]
    if spec.mapping.kind == "events":
        values: dict[str, ir.Value] = {
            USER_COL: table[str(cols[USER_COL])].cast(dt.string),
            EVENT_COL: table[str(cols[EVENT_COL])].cast(dt.string),
            TIME_COL: _as_utc(table[str(cols[TIME_COL])], units.get(TIME_COL)),
        }
    else:
        end = cols.get(END_COL)
        values = {
            CUSTOMER_COL: table[str(cols[CUSTOMER_COL])].cast(dt.string),
            START_COL: _as_utc(table[str(cols[START_COL])], units.get(START_COL)),
            END_COL: _as_utc(table[end], units.get(END_COL))
            if end
            else ibis.null().cast(dt.Timestamp(timezone="UTC")),
            MRR_COL: table[str(cols[MRR_COL])].cast(dt.float64),
        }
    for prop in spec.mapping.properties:
        values[property_name(prop, canonical)] = table[prop].cast(dt.string)
    out = table.select(**values)
    first, time = canonical[0], canonical[1] if spec.mapping.kind == "subscriptions" else TIME_COL
    return out.filter(out[first].notnull(), out[time].notnull())


def _epoch_units(table: ir.Table, mapping: ColumnMapping, sample: pd.DataFrame) -> dict[str, str]:
    units: dict[str, str] = {}
    for canonical in (TIME_COL, START_COL, END_COL):
        source = mapping.columns.get(canonical)
        if source and table.schema()[source].is_numeric():
            values = pd.to_numeric(sample[source], errors="coerce").dropna().abs()
            units[canonical] = "ms" if len(values) and values.median() >= 1e11 else "s"
    return units


def plan_live(
    backend: Any,
    relation: Relation,
    *,
    url: str,
    kind: Kind | None = None,
    overrides: Mapping[str, str | None] | None = None,
    connection: str | None = None,
) -> LiveSpec:
    """Detect the mapping of a remote relation (with *overrides*) and check it."""
    table = relation_table(backend, relation)
    columns: Sequence[str] = list(table.columns)
    mapping = detect_mapping(columns, kind=kind)
    if mapping.preset == "stripe":  # a raw Stripe table needs an import, not a live mapping
        mapping = ColumnMapping(
            kind="subscriptions", columns={c: None for c in REQUIRED_COLUMNS["subscriptions"]}
        )
    for canonical, source in (overrides or {}).items():
        if source:
            mapping = mapping.with_column(canonical, source, columns)
    check_mapping(mapping, columns, label=relation.label)
    sample = preview_relation(backend, relation, rows=1000)
    return LiveSpec(
        url=url,
        relation=relation,
        mapping=mapping,
        connection=connection,
        epoch_units=_epoch_units(table, mapping, sample),
    )


def live_stats(table: ir.Table, kind: Kind) -> tuple[int, int, Any, Any]:
    """Return (rows, entities, time_min, time_max) of a canonical remote table (one query)."""
    entity = USER_COL if kind == "events" else CUSTOMER_COL
    time = TIME_COL if kind == "events" else START_COL
    last = (
        table[time].max()
        if kind == "events"
        else ibis.greatest(table[START_COL].max(), table[END_COL].max())
    )
    try:
        row = table.aggregate(
            rows=table.count(), entities=table[entity].nunique(), tmin=table[time].min(), tmax=last
        ).execute()
    except Exception as error:
        raise _query_error(error, "counting rows") from error
    first = row.iloc[0]

    def ts(value: Any) -> Any:
        return None if pd.isna(value) else pd.Timestamp(value).tz_convert("UTC").to_pydatetime()

    return int(first["rows"]), int(first["entities"]), ts(first["tmin"]), ts(first["tmax"])


def register_database(
    catalog: Any,
    *,
    name: str,
    url: str,
    relation_text: str,
    kind: Kind | None = None,
    overrides: Mapping[str, str | None] | None = None,
    connection_name: str | None = None,
    actor: Any = None,
) -> Any:
    """Register a table/view/SELECT of the database at *url* as the live dataset *name*.

    Returns the :class:`prodops.data.catalog.DatasetInfo`. The stored URL has no password.
    Connecting is an admin's write: *actor* (``PRODOPS_USER`` when None) is checked before the
    database is reached.
    """
    from prodops.data.catalog_audit import authorize

    actor = authorize(actor, "connecting databases")
    full_url = with_password(url, connection_name or name)
    relation = check_relation(relation_text, dialect=dialect_for(url))
    with connection(full_url) as backend:
        spec = plan_live(
            backend, relation, url=url, kind=kind, overrides=overrides, connection=connection_name
        )
        table = canonical_expr(relation_table(backend, relation), spec)
        stats = live_stats(table, spec.mapping.kind)
        props = [c for c in table.columns if c not in REQUIRED_COLUMNS[spec.mapping.kind]]
    return catalog.register_live(
        name,
        spec=spec.to_json(),
        kind=spec.mapping.kind,
        stats=stats,
        property_columns=props,
        source=f"{mask_url(strip_password(url))} {relation.label}",
        actor=actor,
    )


@contextlib.contextmanager
def open_live(spec_json: Mapping[str, Any], *, name: str) -> Iterator[ir.Table]:
    """Yield the canonical remote table of a live dataset (connection open inside the block)."""
    spec = LiveSpec.from_json(spec_json)
    url = with_password(spec.url, spec.connection or name)
    with connection(url) as backend:
        yield canonical_expr(relation_table(backend, spec.relation), spec)


__all__ = [
    "LiveSpec",
    "canonical_expr",
    "live_stats",
    "open_live",
    "plan_live",
    "register_database",
]
