"""Importing a file into the catalog: the body of :meth:`prodops.data.catalog.Catalog.import_file`.

The catalog is passed in (any object with the :class:`CatalogWriter` methods), so this module does
not import :mod:`prodops.data.catalog`.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import duckdb

from prodops.data import tempfiles
from prodops.data.append_checks import refuse_other_kind
from prodops.data.catalog_rows import _added_note
from prodops.data.datasets import ImportResult, check_name, dataset_info
from prodops.data.importer import ImportPlan, import_into
from prodops.data.inspection import inspect_file
from prodops.data.rejects import ValidationReport
from prodops.data.schema import Kind
from prodops.duck import quote_ident
from prodops.errors import BackendError, InputError

SHOWN_REJECTS = 3  # rejected rows named in the message of an import that kept none


class AllRowsRejectedError(InputError):
    """An import whose every row was rejected; nothing was saved.

    ``report`` is the import's :class:`~prodops.data.rejects.ValidationReport` (its ``rejected``
    rows, for a caller that shows or writes them all).
    """

    def __init__(
        self,
        what: str,
        *,
        report: ValidationReport,
        where: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(what, where=where, fix=fix)
        self.report = report


def refuse_all_rejected(report: ValidationReport, *, name: str, append: bool) -> None:
    """Raise :class:`AllRowsRejectedError` when *report* accepted no row, naming the first
    :data:`SHOWN_REJECTS` rejected rows (as ``prodops import`` lists them).

    An empty dataset, or an append that adds nothing but a version, helps no one: the file or
    its mapping is wrong, so the import is refused as ``prodops insights import`` refuses one.
    """
    if report.rows_accepted or not report.rows_rejected:
        return
    first = report.rejected.head(SHOWN_REJECTS).to_dict("records")
    shown = "; ".join(_rejected_text(r) for r in first)
    more = report.rows_rejected - len(first)
    listed = shown + (f"; ... {more} more" if more > 0 else "")
    outcome = f"{name!r} was left unchanged" if append else f"no dataset {name!r} was created"
    raise AllRowsRejectedError(
        f"every row was rejected ({report.rows_rejected} of {report.rows_read}), so {outcome}: "
        f"{listed}",
        report=report,
        where=report.label,
        fix="Correct those rows, or the column mapping if the columns were matched wrongly, "
        "and import the file again.",
    )


def _rejected_text(rejected: Mapping[Hashable, Any]) -> str:
    """``row 2, column 'user_id': empty user id ('')`` (no column for a malformed line)."""
    column = f", column {rejected['column']!r}" if rejected["column"] else ""
    return f"row {rejected['row']}{column}: {rejected['reason']} ({rejected['value']!r})"


class CatalogWriter(Protocol):
    """What :func:`import_file_into` uses of a :class:`prodops.data.catalog.Catalog`."""

    tmp: Path

    def _connect(
        self, *, read_only: bool, allowed: Sequence[Path] = ()
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def _rows(
        self, con: duckdb.DuckDBPyConnection, where: str = "", params: Any = None
    ) -> list[dict[str, Any]]: ...

    def _row(self, con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]: ...

    def _append_table(
        self,
        con: duckdb.DuckDBPyConnection,
        row: dict[str, Any],
        staging: str,
        *,
        label: str | None = None,
    ) -> tuple[int, Sequence[str]]: ...

    def _refresh(
        self, con: duckdb.DuckDBPyConnection, row: dict[str, Any], *, source: str
    ) -> dict[str, Any]: ...

    def _insert(
        self, con: duckdb.DuckDBPyConnection, *, name: str, kind: str, table: str, source: str
    ) -> dict[str, Any]: ...


def import_file_into(
    catalog: CatalogWriter,
    path: str | Path,
    *,
    name: str,
    plan: ImportPlan | None,
    kind: Kind | None,
    label: str | None,
    append: bool,
    table_prefix: str,
) -> ImportResult:
    """Import the file at *path* into *catalog* as dataset *name* (or append it to *name*);
    see :meth:`prodops.data.catalog.Catalog.import_file`. New tables are named *table_prefix*
    and a random suffix."""
    path = Path(path)
    label = label or path.name
    name = check_name(name)
    if plan is None:
        plan = inspect_file(path, label=label, kind=kind).plan
    table = f"{table_prefix}{uuid.uuid4().hex[:16]}"
    with (
        tempfiles.workspace(catalog.tmp) as work,
        catalog._connect(read_only=False, allowed=[path.resolve().parent, work]) as con,
    ):
        existing = catalog._rows(con, "WHERE name = ?", [name])
        if existing and not append:
            raise InputError(
                f"a dataset named {name!r} already exists",
                fix="Choose another name, delete it first, or append to it (--append).",
            )
        if append and not existing:
            catalog._row(con, name)  # NotFoundError with suggestions
        if existing and existing[0]["live"]:
            raise InputError(
                f"{name!r} is a live database table", fix="Append to an imported dataset."
            )
        if append:  # before reading the whole file: a file of the other kind is refused
            refuse_other_kind(
                name=name,
                dataset_kind=existing[0]["kind"],
                file_kind=plan.mapping.kind,
                label=label,
            )
        report = import_into(con, path, plan, table=table, workdir=work, label=label)
        refuse_all_rejected(report, name=name, append=append)
        try:
            if append:
                added, columns = catalog._append_table(con, existing[0], table, label=label)
                con.execute(f"DROP TABLE {quote_ident(table)}")
                row = catalog._refresh(con, existing[0], source=label)
                if columns:
                    report = replace(report, notes=(*report.notes, _added_note(columns)))
            else:
                added = report.rows_accepted
                row = catalog._insert(
                    con, name=name, kind=plan.mapping.kind, table=table, source=label
                )
        except duckdb.Error as error:
            raise BackendError(
                f"saving {name!r} failed ({str(error).splitlines()[0][:200]})"
            ) from error
        # built before the commit: a record that cannot be read is never saved
        return ImportResult(
            info=dataset_info(row),
            report=report,
            added=added,
            duplicates=report.rows_accepted - added,
        )
