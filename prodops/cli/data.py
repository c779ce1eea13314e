"""``prodops import`` and ``prodops datasets``: getting files into the catalog, listing it,
renaming and deleting datasets (a broken one too)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodops.cli.output import FORMATS, add_format_option, write_frame, write_json
from prodops.cli.sources import MAPPING_FLAGS, add_file_arguments, add_mapping_arguments
from prodops.data.schema import KINDS, Kind
from prodops.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from prodops.data.catalog_import import AllRowsRejectedError


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops import`` and ``prodops datasets`` to *sub*."""
    imp = sub.add_parser(
        "import",
        help="import a file into the dataset catalog",
        description="Import a CSV, TSV, CSV.gz, Parquet, JSON lines or Excel file as a named "
        "dataset. Prints how many rows were read, accepted and rejected.",
    )
    imp.add_argument("file", metavar="FILE", help="the file to import")
    imp.add_argument("--name", required=True, help="dataset name")
    imp.add_argument("--kind", choices=KINDS, help="events or subscriptions (default: detect)")
    imp.add_argument(
        "--append", action="store_true", help="add the rows to an existing dataset of that name"
    )
    imp.add_argument(
        "--rejected-out",
        metavar="CSV",
        help="write the rejected rows (row, column, value, reason) to this CSV file",
    )
    add_file_arguments(imp)
    add_mapping_arguments(imp, None)
    imp.set_defaults(func=run_import)

    ds = sub.add_parser(
        "datasets",
        help="list, rename or delete the datasets of the catalog",
        description="Without a sub-command: list the datasets (a broken one with its problem).",
    )
    add_format_option(ds)
    ds.set_defaults(func=run_datasets)
    actions = ds.add_subparsers(dest="action", metavar="{list,rename,delete}")
    listing = actions.add_parser("list", help="list the datasets (the default)")
    listing.add_argument("--format", choices=FORMATS, default=argparse.SUPPRESS)
    listing.set_defaults(func=run_datasets)
    rename = actions.add_parser("rename", help="rename a dataset")
    rename.add_argument("name", metavar="OLD")
    rename.add_argument("new_name", metavar="NEW")
    rename.set_defaults(func=run_rename)
    delete = actions.add_parser("delete", help="delete a dataset and its rows")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(func=run_delete)


def _kind_from_flags(args: argparse.Namespace) -> Kind | None:
    if args.kind:
        result: Kind | None = args.kind
        return result
    for kind, flags in MAPPING_FLAGS.items():
        if any(getattr(args, flag, None) for flag, _ in flags):
            return kind
    return None


def run_import(args: argparse.Namespace) -> int:
    """Import FILE as dataset NAME and print the validation summary."""
    from prodops.cli.sources import check_plan_mapping, file_choices, mapping_overrides
    from prodops.data.catalog import Catalog
    from prodops.data.catalog_import import AllRowsRejectedError
    from prodops.data.inspection import apply_overrides, inspect_file

    path = Path(args.file)
    kind = _kind_from_flags(args)
    inspection = file_choices(inspect_file(path, kind=kind, sheet=args.sheet), args)
    for warning in inspection.warnings:
        print(f"note: {warning}")
    plan_kind = inspection.plan.mapping.kind
    plan = apply_overrides(inspection, mapping_overrides(args, plan_kind), day_first=args.day_first)
    check_plan_mapping(plan, inspection.columns, path=path)
    try:
        result = Catalog().import_file(path, name=args.name, plan=plan, append=args.append)
    except AllRowsRejectedError as error:
        raise _with_rejected_out(error, args.rejected_out) from error
    report, info = result.report, result.info
    print(report.summary())
    for note in report.notes:
        print(f"note: {note}")
    verb = "appended to" if args.append else "saved as"
    extra = f" ({result.duplicates} duplicate rows skipped)" if args.append else ""
    print(
        f"{result.added} rows {verb} dataset {info.name!r} ({info.kind}, {info.rows} rows, "
        f"{info.entities} {'users' if info.kind == 'events' else 'customers'}, "
        f"version {info.version}){extra}"
    )
    if report.rows_rejected:
        if args.rejected_out:
            _write_rejected(report.rejected, args.rejected_out)
            print(f"rejected rows written to {args.rejected_out}")
        else:
            shown = report.rejected.head(5)
            for row in shown.itertuples(index=False):
                print(f"  row {row.row}, column {row.column!r}: {row.reason} ({row.value!r})")
            if report.rows_rejected > len(shown):
                print(f"  ... {report.rows_rejected - len(shown)} more (see --rejected-out)")
    return 0


def _write_rejected(rejected: pd.DataFrame, out: str) -> None:
    from prodops.export import to_safe_csv

    Path(out).write_text(to_safe_csv(rejected), encoding="utf-8")


def _with_rejected_out(error: AllRowsRejectedError, out: str | None) -> InputError:
    """*error* with a fix that points at every rejected row: written to *out* (--rejected-out)
    now, or how to get them written."""
    if out:
        _write_rejected(error.report.rejected, out)
        where_all = f"Every rejected row is written to {out}."
    else:
        where_all = "See every rejected row with --rejected-out CSV."
    return InputError(error.what, where=error.where, fix=f"{error.fix} {where_all}")


def datasets_frame() -> pd.DataFrame:
    """The catalog as a table: name, kind, rows, entities, time range, source, imported, ..."""
    import pandas as pd

    from prodops.data.catalog import Catalog

    infos = Catalog().list(include_broken=True)
    columns = [
        "name", "kind", "rows", "entities", "time_min", "time_max", "source", "imported_at",
        "version", "live", "problem",
    ]  # fmt: skip
    rows = [{c: dataclasses.asdict(info)[c] for c in columns} for info in infos]
    frame = pd.DataFrame(rows, columns=columns)
    frame["problem"] = frame["problem"].map(lambda text: text or None).astype(object)
    for col in ("time_min", "time_max", "imported_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def run_datasets(args: argparse.Namespace) -> int:
    """Print the datasets of the catalog as a table, CSV or JSON."""
    frame = datasets_frame()
    # sys.stdout is passed explicitly: the default of write_* was bound at import time
    if args.format == "json":
        write_json({"datasets": frame.to_dict(orient="records")}, sys.stdout)
    else:
        write_frame(frame, args.format, sys.stdout)
    return 0


def run_rename(args: argparse.Namespace) -> int:
    """Rename dataset OLD to NEW."""
    from prodops.data.catalog import Catalog

    info = Catalog().rename(args.name, args.new_name)
    print(f"renamed dataset {args.name!r} to {info.name!r}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Delete dataset NAME and its rows."""
    from prodops.data.catalog import Catalog

    info = Catalog().delete(args.name)
    what = "live database table" if info.live else f"{info.kind}, {info.rows} rows"
    print(f"deleted dataset {info.name!r} ({what})")
    return 0
