"""Where a command's data comes from: a file, a saved dataset, or a database table.

``prodops <metric> SOURCE | --dataset NAME | --db-url URL --table NAME`` plus mapping flags that
override detection (DESIGN.md, "The command line"). A file is imported into a temporary in-memory
DuckDB (validated like an import; rejected rows are counted on stderr), a dataset is opened from the
catalog, a database table is mapped and queried where it lives.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    START_COL,
    TIME_COL,
    USER_COL,
    Kind,
)
from prodops.errors import InputError, ParameterError

if TYPE_CHECKING:  # Ibis is imported by the functions that open a source, not at import
    import ibis.expr.types as ir

    from prodops.data.importer import ImportPlan, Inspection

# flag -> canonical column, per kind
MAPPING_FLAGS: dict[Kind, tuple[tuple[str, str], ...]] = {
    "events": (("user_col", USER_COL), ("event_col", EVENT_COL), ("time_col", TIME_COL)),
    "subscriptions": (
        ("customer_col", CUSTOMER_COL),
        ("start_col", START_COL),
        ("end_col", END_COL),
        ("mrr_col", MRR_COL),
    ),
}


def flag_names(kind: Kind) -> dict[str, str]:
    """Canonical column -> its mapping flag (``{"user_id": "--user-col", ...}``) for *kind*."""
    return {canonical: "--" + flag.replace("_", "-") for flag, canonical in MAPPING_FLAGS[kind]}


def check_plan_mapping(plan: ImportPlan, columns: Sequence[str], *, path: Path) -> None:
    """Raise the mapping's :class:`~prodops.errors.ColumnError` naming the flag that fixes it
    (and, for a workbook, its other sheets)."""
    from prodops.data.importer import with_sheet_hint
    from prodops.data.presets import check_mapping

    try:
        check_mapping(plan.mapping, columns, label=path.name, flags=flag_names(plan.mapping.kind))
    except InputError as error:
        raise with_sheet_hint(error, path, plan.file, path.name) from error


def add_mapping_arguments(parser: argparse.ArgumentParser, kind: Kind | None) -> None:
    """Add the column mapping flags of *kind* (both kinds when None) and the day/month choice."""
    group = parser.add_argument_group("column mapping (overrides detection)")
    kinds: tuple[Kind, ...] = (kind,) if kind else ("events", "subscriptions")
    for k in kinds:
        for flag, canonical in MAPPING_FLAGS[k]:
            group.add_argument(
                "--" + flag.replace("_", "-"),
                dest=flag,
                metavar="COL",
                help=f"source column holding {canonical!r} ({k})",
            )
    order = group.add_mutually_exclusive_group()
    order.add_argument(
        "--day-first",
        dest="day_first",
        action="store_const",
        const=True,
        help="dates like 03/04/2024 are day/month",
    )
    order.add_argument(
        "--month-first",
        dest="day_first",
        action="store_const",
        const=False,
        help="dates like 03/04/2024 are month/day",
    )


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of how a file is read: ``--sheet`` of an Excel workbook, JSON columns
    unpacked or not, ids merged into persons or not."""
    parser.add_argument(
        "--sheet",
        metavar="NAME",
        help="the sheet of an Excel workbook to read (default: the first that holds data)",
    )
    parser.add_argument(
        "--no-unpack",
        dest="unpack",
        action="store_false",
        help="keep JSON object columns (PostHog properties, ...) as text instead of one "
        "property column per key",
    )
    parser.add_argument(
        "--keep-raw-ids",
        action="store_true",
        help="keep user ids as exported: do not merge anonymous / device ids into persons "
        "(PostHog $identify and person_id, Amplitude device_id, Segment anonymousId)",
    )


def file_choices(inspection: Inspection, args: argparse.Namespace) -> Inspection:
    """The inspection with ``--no-unpack`` and ``--keep-raw-ids`` applied."""
    if not getattr(args, "unpack", True):
        inspection = inspection.with_unpacking([])
    if getattr(args, "keep_raw_ids", False):
        inspection = inspection.with_raw_ids(True)
    return inspection


def add_source_arguments(parser: argparse.ArgumentParser, kind: Kind) -> None:
    """Add SOURCE, ``--dataset``, ``--db-url``/``--table``, ``--sheet`` and the mapping flags of
    *kind*."""
    parser.add_argument(
        "source",
        nargs="?",
        metavar="SOURCE",
        help="a file: CSV, TSV, CSV.gz, Parquet, JSON lines or Excel (.xlsx)",
    )
    parser.add_argument("--dataset", metavar="NAME", help="a dataset saved in the catalog")
    parser.add_argument("--db-url", metavar="URL", help="a database URL (Ibis), with --table")
    parser.add_argument("--table", metavar="NAME", help="table, view or one SELECT (with --db-url)")
    add_file_arguments(parser)
    add_mapping_arguments(parser, kind)


def mapping_overrides(args: argparse.Namespace, kind: Kind) -> dict[str, str | None]:
    """Return ``{canonical: source column}`` for the mapping flags given on the command line."""
    found: dict[str, str | None] = {}
    for flag, canonical in MAPPING_FLAGS[kind]:
        value = getattr(args, flag, None)
        if value:
            found[canonical] = value
    return found


def _one_source(args: argparse.Namespace) -> str:
    given = [
        name
        for name, value in (("file", args.source), ("dataset", args.dataset), ("db", args.db_url))
        if value
    ]
    if len(given) != 1:
        raise ParameterError(
            "give exactly one source" + (f" (got {' and '.join(given)})" if given else ""),
            fix="Pass a FILE, or --dataset NAME, or --db-url URL --table NAME.",
        )
    if given[0] == "db" and not args.table:
        raise ParameterError("--db-url needs --table", fix="Add --table NAME (or one SELECT).")
    if args.table and given[0] != "db":
        raise ParameterError("--table only goes with --db-url", fix="Add --db-url URL.")
    if getattr(args, "sheet", None) and given[0] != "file":
        raise ParameterError("--sheet only goes with a file", fix="Pass an Excel FILE.")
    return given[0]


@contextlib.contextmanager
def open_source(
    args: argparse.Namespace,
    kind: Kind,
    *,
    columns: Collection[str] | None = None,
    preload_modules: Sequence[str] = (),
) -> Iterator[ir.Table]:
    """Yield the canonical Ibis table for the source given on the command line.

    *columns* names the property columns the command reads (default: all); a file then stores
    only those, and *preload_modules* are imported while it is read (:func:`open_file`).
    """
    which = _one_source(args)
    overrides = mapping_overrides(args, kind)
    if which == "dataset":
        with _open_dataset(args.dataset, kind) as table:
            yield table
    elif which == "db":
        with _open_database(args.db_url, args.table, kind, overrides) as table:
            yield table
    else:
        with open_file(
            Path(args.source),
            kind,
            overrides,
            day_first=getattr(args, "day_first", None),
            sheet=getattr(args, "sheet", None),
            args=args,
            columns=columns,
            preload_modules=preload_modules,
        ) as table:
            yield table


@contextlib.contextmanager
def _open_dataset(name: str, kind: Kind) -> Iterator[ir.Table]:
    from prodops.data.catalog import Catalog

    catalog = Catalog()
    info = catalog.get(name)
    if info.kind != kind:
        raise InputError(
            f"dataset {name!r} holds {info.kind}, not {kind}",
            fix=f"Pick a dataset of {kind} (see `prodops datasets`).",
        )
    with catalog.open(name) as table:
        yield table


@contextlib.contextmanager
def open_file(
    path: Path,
    kind: Kind,
    overrides: dict[str, str | None],
    *,
    day_first: bool | None = None,
    report_to: Any = None,
    sheet: str | None = None,
    args: argparse.Namespace | None = None,
    columns: Collection[str] | None = None,
    preload_modules: Sequence[str] = (),
) -> Iterator[ir.Table]:
    """Import *path* into a temporary in-memory DuckDB and yield its canonical table.

    Temporary files go to the data directory's temp folder and are removed afterwards. *args*
    carries ``--no-unpack`` and ``--keep-raw-ids`` (:func:`file_choices`). *columns* names the
    property columns to keep (default all): every row is checked as an import checks it, the
    rest are simply not stored, which spares DuckDB converting them (a third of reading a
    10-million-row export with three property columns). *preload_modules* (what the caller
    runs on the table) are imported, with Ibis, while DuckDB reads the file
    (:mod:`prodops.preload`): the read itself needs neither.
    """
    from prodops import duck, preload
    from prodops.data.importer import import_into
    from prodops.data.inspection import apply_overrides, inspect_file
    from prodops.data.tempfiles import workspace

    inspection = inspect_file(path, kind=kind, sheet=sheet)
    if args is not None:
        inspection = file_choices(inspection, args)
    plan = apply_overrides(inspection, overrides, day_first=day_first)
    check_plan_mapping(plan, inspection.columns, path=path)
    with workspace() as work:
        con = duck.connect(allowed_directories=[path.resolve().parent, work], lock=False)
        # Ibis and what the command runs next are imported while DuckDB reads the file
        loading = preload.in_background(["pandas", "prodops.engine", *preload_modules])
        try:
            report = import_into(  # no transaction here: the clean-file read may go first
                con, path, plan, table="source", workdir=work, columns=columns, strict_first=True
            )
        except BaseException:
            con.close()
            raise
        finally:
            loading.join()
        from prodops.data.datasets import canonical_types
        from prodops.engine import as_ibis

        backend = as_ibis(con)
        try:
            if report.rows_rejected:
                print(f"prodops: {report.summary()}", file=report_to or sys.stderr)
            yield canonical_types(backend.table("source"), kind)
        finally:
            backend.disconnect()


@contextlib.contextmanager
def _open_database(
    url: str, relation_text: str, kind: Kind, overrides: dict[str, str | None]
) -> Iterator[ir.Table]:
    from prodops.data import connect, live, relations

    relation = relations.check_relation(relation_text, dialect=relations.dialect_for(url))
    with connect.connection(connect.with_password(url, None)) as backend:
        _check_live_mapping(
            relations.relation_table(backend, relation), relation.label, kind, overrides
        )
        spec = live.plan_live(backend, relation, url=url, kind=kind, overrides=overrides)
        yield live.canonical_expr(relations.relation_table(backend, relation), spec)


def _check_live_mapping(
    table: ir.Table, label: str, kind: Kind, overrides: dict[str, str | None]
) -> None:
    """The mapping :func:`prodops.data.live.plan_live` will check, checked first with the
    errors naming the flags (``--user-col``) instead of the page's mapping."""
    from prodops.data.presets import ColumnMapping, check_mapping, detect_mapping
    from prodops.data.schema import REQUIRED_COLUMNS

    columns = list(table.columns)
    mapping = detect_mapping(columns, kind=kind)
    if mapping.preset == "stripe":  # as plan_live: a raw Stripe table maps nothing by itself
        mapping = ColumnMapping(kind=kind, columns={c: None for c in REQUIRED_COLUMNS[kind]})
    for canonical, source in overrides.items():
        if source:
            mapping = mapping.with_column(canonical, source, columns)
    check_mapping(mapping, columns, label=label, flags=flag_names(kind))
