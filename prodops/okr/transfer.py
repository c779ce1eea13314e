"""Export and import all OKRs (objectives, key results, check-ins) as JSON or CSV, losslessly.

JSON: ``{"format": "prodops-okrs", "format_version": 1, "objectives": [...], "key_results": [...],
"check_ins": [...]}`` with every stored field (ids, versions, archived flags, UTC timestamps with
their offset, dates as ``YYYY-MM-DD``). CSV: one table with a ``record`` column (``objective``,
``key_result``, ``check_in``) and the union of those fields; an empty cell is a missing value.
Text cells a spreadsheet would run as a formula (and cells starting with ``'``) get a leading ``'``
on export, removed again on import, so the round trip is exact (DESIGN.md decision 6).

Import into an empty store keeps the ids; into a store that already holds OKRs it gives new ids
and keeps the links (key result -> objective, check-in -> key result, parent objective).

Examples
--------
Copy the OKRs of one store into another through a CSV file:

>>> import datetime as dt
>>> import tempfile
>>> from pathlib import Path
>>> from prodops.okr.crud import create_objective
>>> from prodops.okr.models import ObjectiveCreate
>>> from prodops.store.db import init_store, read_session, write_session
>>> tmp = tempfile.TemporaryDirectory()
>>> source = init_store(f"sqlite:///{tmp.name}/source.db")
>>> target = init_store(f"sqlite:///{tmp.name}/target.db")
>>> with write_session(source) as session:
...     _ = create_objective(session=session, objective_in=ObjectiveCreate(
...         title="=Grow", period="2026-Q4",
...         period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 12, 31)))
>>> with read_session(source) as session:
...     document = export_okrs(session=session)
>>> write_export(document, Path(tmp.name) / "okrs.csv")
>>> "'=Grow" in (Path(tmp.name) / "okrs.csv").read_text()
True
>>> with write_session(target) as session:
...     import_okrs(session=session, document=read_export(Path(tmp.name) / "okrs.csv"))
ImportResult(objectives=1, key_results=0, check_ins=0, kept_ids=True)
>>> with read_session(target) as session:
...     export_okrs(session=session)["objectives"][0]["title"]
'=Grow'
>>> source.dispose()
>>> target.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from prodops.errors import InputError, UnreadableFileError
from prodops.numbers import parse_number
from prodops.okr import rules
from prodops.okr.models import CheckIn, KeyResult, Objective, text_limits

FORMAT = "prodops-okrs"
FORMAT_VERSION = 1
# (document key, CSV record name, model), in insertion order (parents first).
ENTITIES: tuple[tuple[str, str, type[SQLModel]], ...] = (
    ("objectives", "objective", Objective),
    ("key_results", "key_result", KeyResult),
    ("check_ins", "check_in", CheckIn),
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class ImportResult:
    """How many rows an import added, and whether the original ids were kept."""

    objectives: int
    key_results: int
    check_ins: int
    kept_ids: bool


def _columns(model: type[SQLModel]) -> list[sa.Column[Any]]:
    return list(model.__table__.columns)  # type: ignore[attr-defined]


def _kind(column: sa.Column[Any]) -> str:
    """One of int, float, bool, date, datetime, str (what a cell holds)."""
    type_: Any = column.type
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    return "datetime" if isinstance(type_, sa.DateTime) else str(type_.python_type.__name__)


def _encode(value: Any) -> Any:
    """A field value as JSON holds it (dates and times as ISO 8601 text)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _decode(value: Any, column: sa.Column[Any], where: str) -> Any:
    """A JSON / CSV value back to the field's Python type; InputError naming *where* if bad."""
    kind = _kind(column)
    if value is None:
        if column.nullable:
            return None
        if kind == "str":
            return ""  # an empty CSV cell of a text field that cannot be missing
        raise InputError(f"{column.name} is required", where=where, fix="Fill it in.")
    try:
        if kind == "datetime":
            parsed = dt.datetime.fromisoformat(str(value))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        if kind == "date":
            return dt.date.fromisoformat(str(value))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            return {"true": True, "false": False}[str(value).strip().lower()]
        if kind == "int":
            return int(value)
        if kind == "float":  # a hand-edited CSV may hold "58,5": read as people type numbers
            return parse_number(value, field=f"{where}, {column.name}")
        return str(value)
    except (ValueError, KeyError, TypeError):
        raise InputError(
            f"{column.name} {value!r} is not a valid {kind}", where=where, fix="Correct the value."
        ) from None


# --- Export ---------------------------------------------------------------------------------------


def export_okrs(*, session: Session) -> dict[str, Any]:
    """Return every objective, key result and check-in (archived ones too) as a JSON document."""
    document: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION}
    for key, _record, model in ENTITIES:
        table: Any = model
        rows = session.exec(select(model).order_by(col(table.id))).all()
        document[key] = [
            {c.name: _encode(getattr(row, c.name)) for c in _columns(model)} for row in rows
        ]
    return document


def to_json(document: Mapping[str, Any]) -> str:
    """Return *document* as indented JSON text."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def csv_fields() -> list[str]:
    """Return the CSV header: ``record`` then the union of all fields, in first-seen order."""
    fields = ["record", "id"]
    for _key, _record, model in ENTITIES:
        fields += [c.name for c in _columns(model) if c.name not in fields]
    return fields


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value  # neutralised for spreadsheets; import removes the quote
    return str(value)


def to_csv(document: Mapping[str, Any]) -> str:
    """Return *document* as one CSV table with a ``record`` column."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_fields(), lineterminator="\n")
    writer.writeheader()
    for key, record, _model in ENTITIES:
        for row in document.get(key, []):
            writer.writerow({"record": record, **{k: _csv_cell(v) for k, v in row.items()}})
    return out.getvalue()


def write_export(document: Mapping[str, Any], path: Path, *, fmt: str | None = None) -> None:
    """Write *document* to *path* as ``json`` or ``csv`` (default: from the file's suffix)."""
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in ("json", "csv"):
        raise InputError(f"unknown export format {fmt!r}", where=str(path), fix="Use csv or json.")
    path.write_text(to_json(document) if fmt == "json" else to_csv(document), encoding="utf-8")


# --- Import ---------------------------------------------------------------------------------------


def from_csv(text: str, *, source: str = "CSV") -> dict[str, Any]:
    """Parse the CSV written by :func:`to_csv` into a document (cells still text)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "record" not in reader.fieldnames:
        raise UnreadableFileError(
            "this is not a ProdOps OKR export (no 'record' column)",
            where=source,
            fix="Export the OKRs with 'prodops okr export' or the page's export button.",
        )
    records = {record: key for key, record, _model in ENTITIES}
    document: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION}
    document.update({key: [] for key, _r, _m in ENTITIES})
    for number, row in enumerate(reader, start=2):
        key = records.get(row.pop("record") or "")
        if key is None:
            raise InputError("unknown record kind", where=f"{source} line {number}")
        cells = {k: _csv_value(v) for k, v in row.items() if k is not None}
        document[key].append(cells)
    return document


def _csv_value(cell: str | None) -> str | None:
    if cell is None or cell == "":
        return None
    return cell[1:] if cell.startswith("'") else cell


def read_export(path: Path) -> dict[str, Any]:
    """Read a JSON or CSV export from *path* (by content: JSON starts with ``{``)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableFileError(f"cannot read the file ({error})", where=str(path)) from None
    return parse_export(text, source=str(path))


def parse_export(text: str, *, source: str = "upload") -> dict[str, Any]:
    """Parse export text (JSON or CSV) into a document."""
    if not text.lstrip().startswith("{"):
        return from_csv(text, source=source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFileError(
            f"invalid JSON at line {error.lineno} ({error.msg})", where=source
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UnreadableFileError(
            "this is not a ProdOps OKR export (format is not 'prodops-okrs')",
            where=source,
            fix="Export the OKRs with 'prodops okr export' or the page's export button.",
        )
    return document


def _rows(document: Mapping[str, Any], key: str, model: type[SQLModel]) -> list[dict[str, Any]]:
    columns = _columns(model)
    rows = []
    for index, raw in enumerate(document.get(key) or [], start=1):
        where = f"{key} #{index}"
        if not isinstance(raw, Mapping):
            raise InputError("not an object", where=where)
        rows.append({c.name: _decode(raw.get(c.name), c, where) for c in columns})
    return rows


def _parents_first(objectives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order objectives so that every parent comes before its children (absent parents: none)."""
    ids = {o["id"] for o in objectives}
    objectives = [
        {**o, "parent_id": o["parent_id"] if o["parent_id"] in ids else None} for o in objectives
    ]
    done: set[int] = set()
    ordered: list[dict[str, Any]] = []
    pending = list(objectives)
    while pending:
        ready = [o for o in pending if o["parent_id"] not in ids or o["parent_id"] in done]
        if not ready:
            raise InputError("the parent links of the objectives form a cycle", where="objectives")
        ordered += ready
        done.update(o["id"] for o in ready)
        pending = [o for o in pending if o["id"] not in done]
    return ordered


def _validate(
    objectives: list[dict[str, Any]], krs: list[dict[str, Any]], check_ins: list[dict[str, Any]]
) -> None:
    """Apply the store's rules to every row, and check that every link points inside the file."""
    for rows, model, label in (
        (objectives, Objective, "objective"),
        (krs, KeyResult, "key result"),
        (check_ins, CheckIn, "check-in"),
    ):
        for row in rows:
            for name, limit in text_limits(model).items():
                field = f"{label} {row['id']} {name.replace('_', ' ')}"
                rules.validate_length(row[name], field=field, limit=limit)
    for o in objectives:
        rules.validate_title(o["title"], field=f"objective {o['id']} title")
        rules.validate_period(period_start=o["period_start"], period_end=o["period_end"])
    _check_links(krs, "objective_id", {o["id"] for o in objectives}, "key result")
    for k in krs:
        rules.validate_key_result_values(
            start=k["start_value"], target=k["target_value"], weight=k["weight"]
        )
    _check_links(check_ins, "key_result_id", {k["id"] for k in krs}, "check-in")
    for c in check_ins:
        rules.validate_confidence(c["confidence"])


def _check_links(rows: Iterable[dict[str, Any]], field: str, ids: set[int], label: str) -> None:
    for row in rows:
        if row[field] not in ids:
            raise InputError(
                f"{label} {row['id']} points to {field} {row[field]}, which is not in the file",
                where="import",
                fix="Export and import all OKRs together.",
            )


def _store_is_empty(session: Session) -> bool:
    return all(
        session.exec(select(sa.func.count()).select_from(model)).one() == 0
        for _k, _r, model in ENTITIES
    )


def import_okrs(*, session: Session, document: Mapping[str, Any]) -> ImportResult:
    """Add the OKRs of an export to the store (in the caller's write session).

    Everything is validated before anything is written; a bad row raises InputError /
    ParameterError naming it, and the caller's transaction rolls back.
    """
    objectives = _parents_first(_rows(document, "objectives", Objective))
    krs = _rows(document, "key_results", KeyResult)
    check_ins = _rows(document, "check_ins", CheckIn)
    _validate(objectives, krs, check_ins)
    keep = _store_is_empty(session)
    objective_ids = _insert(session, Objective, objectives, keep, {"parent_id": {}})
    kr_ids = _insert(session, KeyResult, krs, keep, {"objective_id": objective_ids})
    _insert(session, CheckIn, check_ins, keep, {"key_result_id": kr_ids})
    if keep and session.get_bind().dialect.name == "postgresql":
        for _key, _record, model in ENTITIES:
            _reset_sequence(session, model)
    return ImportResult(len(objectives), len(krs), len(check_ins), kept_ids=keep)


def _insert(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    keep: bool,
    links: dict[str, dict[int, int]],
) -> dict[int, int]:
    """Insert *rows*; return old id -> new id. *links* maps foreign keys through earlier maps."""
    new_ids: dict[int, int] = {}
    self_link = links.get("parent_id")
    for row in rows:
        values = dict(row)
        for field, mapping in links.items():
            if values[field] is not None and not keep:
                mapping = new_ids if mapping is self_link else mapping
                values[field] = mapping.get(values[field])
        if not keep:
            values.pop("id")
        instance = model(**values)
        session.add(instance)
        session.flush()
        new_ids[row["id"]] = instance.id  # type: ignore[attr-defined]
    return new_ids


def _reset_sequence(session: Session, model: type[SQLModel]) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequence past the largest id."""
    table = model.__tablename__
    session.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )
    )
