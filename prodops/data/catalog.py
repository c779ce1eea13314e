"""The dataset catalog: named, versioned canonical tables in one DuckDB file (docs/adr/0002).

The file (:func:`prodops.config.catalog_path`) holds a metadata table ``prodops_datasets`` and one
table per imported dataset (canonical columns, timestamps as ``TIMESTAMPTZ`` in UTC, properties as
text). Live datasets (a table in a connected database) have a metadata row only; their rows stay
where they are and metrics run there.

The file is never held open between operations, so the app and the command line can share it:
reads open it read-only, writes open it read-write for the duration of one operation. When another
process is writing, a clear :class:`~prodops.errors.BackendError` says which one.

Every write is one transaction: an import that fails (bad rows, a size cap, a crash, a kill)
leaves neither a dataset nor a table behind. Tables no dataset refers to (left by versions that
wrote outside a transaction) are dropped by every write and by ``prodops setup`` (:meth:`sweep`).
A dataset whose record or table cannot be used is listed as broken, with the reason, by
``list(include_broken=True)`` (the Data page, ``prodops datasets``) and can be deleted; the other
pages simply do not offer it.

The records it returns and the checks and casts it applies are in :mod:`prodops.data.datasets`.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from prodops import config
from prodops.data import catalog_audit, tempfiles
from prodops.data.catalog_files import (
    META,
    TABLE_PREFIX,
    drop_orphans,
    ensure_meta,
    has_meta,
    open_catalog,
    process_lock,
    tables_of,
)
from prodops.data.catalog_import import import_file_into
from prodops.data.catalog_rows import _refuse_bad_rows, append_rows
from prodops.data.datasets import (
    DatasetInfo,
    ImportResult,
    broken_info,
    canonical_select,
    canonical_types,
    check_name,
    dataset_info,
    table_problem,
    table_properties,
    table_stats,
)
from prodops.data.importer import ImportPlan
from prodops.data.schema import REQUIRED_COLUMNS, Kind
from prodops.db_errors import database_errors
from prodops.duck import quote_ident
from prodops.errors import ColumnError, InputError, NotFoundError, did_you_mean
from prodops.store.access import Actor

if TYPE_CHECKING:  # Ibis is imported when a dataset is opened: importing and listing need none
    import ibis.expr.types as ir

_LOCK_WAIT_S = 3.0  # how long to wait for another process that holds the file for writing


class Catalog:
    """Named datasets in a DuckDB file under the data directory.

    Parameters
    ----------
    home : Path, optional
        Data directory; default :func:`prodops.config.home` (``PRODOPS_HOME``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "events.csv"
    >>> _ = path.write_text("user_id,event,timestamp\\n"
    ...                     "a,open,2026-10-01 10:00:00\\nb,open,2026-10-05 09:00:00\\n")
    >>> catalog = Catalog(home=Path(tmp.name))
    >>> result = catalog.import_file(path, name="events")
    >>> result.added, [info.name for info in catalog.list()]
    (2, ['events'])
    >>> with catalog.open("events") as events:
    ...     events.count().execute()
    2
    >>> tmp.cleanup()
    """

    def __init__(self, home: Path | None = None) -> None:
        self.path = (Path(home) / "catalog.duckdb") if home is not None else config.catalog_path()
        self.tmp = self.path.parent / "tmp"

    # --- connections ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(
        self, *, read_only: bool, allowed: Sequence[Path] = (), lock: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file; a read-write connection is one transaction (rolled back on error).

        *lock* False leaves the configuration unlocked for :func:`prodops.engine.as_ibis`.
        """
        with process_lock(self.path):
            if read_only and not self.path.exists():
                with self._connect(read_only=False):
                    pass
            con = self._open(read_only=read_only, allowed=allowed, lock=lock)
            try:
                if read_only:
                    yield con
                    return
                ensure_meta(con)
                drop_orphans(con)
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    with contextlib.suppress(duckdb.Error):
                        con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()

    def _open(
        self, *, read_only: bool, allowed: Sequence[Path], lock: bool = True
    ) -> duckdb.DuckDBPyConnection:
        return open_catalog(
            self.path, read_only=read_only, allowed=allowed, wait_s=_LOCK_WAIT_S, lock=lock
        )

    def sweep(self) -> tuple[int, int]:
        """Remove what crashed imports left: (orphan tables dropped, temporary folders removed).

        Run by ``prodops setup``; every write drops orphan tables and every import sweeps the
        temporary folders too.
        """
        with process_lock(self.path):
            tables = 0
            if self.path.exists():
                con = self._open(read_only=False, allowed=())
                try:
                    ensure_meta(con)
                    tables = drop_orphans(con)
                finally:
                    con.close()
        return tables, tempfiles.sweep(self.tmp)

    # --- reading ----------------------------------------------------------------------------

    def _rows(
        self, con: duckdb.DuckDBPyConnection, where: str = "", params: Any = None
    ) -> list[dict[str, Any]]:
        cur = con.execute(f"SELECT * FROM {META} {where} ORDER BY lower(name)", params or [])
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def list(self, *, include_broken: bool = False) -> list[DatasetInfo]:
        """Return every usable dataset, sorted by name.

        Parameters
        ----------
        include_broken : bool
            Also return the datasets that cannot be used (``info.problem`` says why), so that
            they can be shown and deleted.
        """
        if not self.path.exists():
            return []
        with self._connect(read_only=True) as con:
            if not has_meta(con):
                return []
            tables = tables_of(con)
            infos = [self._info(r, tables) for r in self._rows(con)]
        return infos if include_broken else [i for i in infos if not i.problem]

    @staticmethod
    def _info(row: dict[str, Any], tables: set[str]) -> DatasetInfo:
        """The record of *row*, or a broken one saying what is wrong (never raises)."""
        try:
            info = dataset_info(row)
        except Exception as error:  # any unreadable value: the listing must survive it
            return broken_info(row, f"its record cannot be read ({type(error).__name__})")
        problem = table_problem(info, table=row["table_name"], tables=tables)
        return broken_info(row, problem) if problem else info

    def _usable(self, con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
        """The row of dataset *name*; :class:`InputError` if it is broken."""
        row = self._row(con, name)
        info = self._info(row, tables_of(con))
        if info.problem:
            raise InputError(
                f"dataset {name!r} cannot be used: {info.problem}",
                fix=f"Delete it (`prodops datasets delete {name!r}` or the Data page) and "
                "import its file again.",
            )
        return row

    def _row(self, con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
        rows = self._rows(con, "WHERE name = ?", [name]) if has_meta(con) else []
        if not rows:
            names = [r["name"] for r in self._rows(con)] if has_meta(con) else []
            raise NotFoundError(
                f"no dataset named {name!r}",
                fix=(did_you_mean(name, names) or "See `prodops datasets` for the names.")
                if names
                else "The catalog is empty: import a file first (`prodops import FILE --name N`).",
            )
        return rows[0]

    def get(self, name: str) -> DatasetInfo:
        """Return the dataset called *name* (:class:`NotFoundError` with a suggestion if absent,
        :class:`InputError` if it is broken)."""
        with self._connect(read_only=True) as con:
            return dataset_info(self._usable(con, name))

    def __contains__(self, name: object) -> bool:
        listed = self.list(include_broken=True)
        return isinstance(name, str) and any(info.name == name for info in listed)

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[ir.Table]:
        """Yield the canonical Ibis table of dataset *name* (backend open inside the block).

        For a live dataset the table is an expression on the connected database, so metrics run
        there (:mod:`prodops.data.connect`).
        """
        with self._connect(read_only=True, lock=False) as con:
            row = self._usable(con, name)
            if not row["live"]:
                from prodops.engine import as_ibis

                backend = as_ibis(con)
                with database_errors("computing on the dataset"):  # out of memory, ...
                    yield canonical_types(backend.table(row["table_name"]), row["kind"])
                return
        from prodops.data.live import open_live

        with open_live(json.loads(row["live_spec"]), name=name) as table:
            yield table

    # --- writing ----------------------------------------------------------------------------

    def import_file(
        self,
        path: str | Path,
        *,
        name: str,
        plan: ImportPlan | None = None,
        kind: Kind | None = None,
        label: str | None = None,
        append: bool = False,
        actor: Actor | str | None = None,
    ) -> ImportResult:
        """Import the file at *path* as dataset *name* (or append it to *name*).

        Parameters
        ----------
        path : str or Path
            The file; read by DuckDB from disk.
        name : str
            Dataset name. Without *append* it must be new.
        plan : ImportPlan, optional
            The (edited) plan from :func:`prodops.data.inspection.inspect_file`; guessed if None.
        kind : {"events", "subscriptions"}, optional
            Used when *plan* is None.
        label : str, optional
            The file's name as people know it (an upload's original name).
        append : bool
            Add the rows to the existing dataset *name*. Columns are matched by name: new ones
            are added (empty on the rows already there, and named in ``report.notes``), a
            column whose type changed is refused; rows already there (same values in the
            columns both have) are not added again. A file of the other kind (subscriptions
            appended to events, or the reverse) is refused.
        actor : Actor or str, optional
            Who imports (``PRODOPS_USER`` when None); an admin's write, audited.

        Raises
        ------
        InputError
            Among others: a file whose every row is rejected
            (:class:`~prodops.data.catalog_import.AllRowsRejectedError`, with the report), an
            append of a file of the other kind or without a canonical column
            (:mod:`prodops.data.append_checks`). Nothing is saved; the dataset is unchanged.
        """
        who = catalog_audit.authorize(actor, "importing datasets")
        warming = catalog_audit.prepare_in_background()  # overlaps DuckDB's read of the file
        result = import_file_into(
            self,
            path,
            name=name,
            plan=plan,
            kind=kind,
            label=label,
            append=append,
            table_prefix=TABLE_PREFIX,
        )
        warming.join()
        after = {**catalog_audit.summary(result.info), "file": label or Path(path).name}
        catalog_audit.record(who, "append" if append else "import", name=name, after=after)
        return result

    def save(
        self,
        name: str,
        data: ir.Table | pd.DataFrame,
        *,
        kind: Kind,
        source: str = "python",
        actor: Actor | str | None = None,
    ) -> DatasetInfo:
        """Save canonical *data* (an Ibis table or a pandas frame) as the new dataset *name*.

        The rows are checked as an import checks them (:func:`prodops.data.row_checks.
        canonical_checks`): missing ids or times, times outside the supported range, an end
        before its start, an mrr that is not a finite amount in [0, 1e12]. Any failing row refuses
        the whole frame with an :class:`InputError` naming the first one; nothing is saved.
        """
        name = check_name(name)
        who = catalog_audit.authorize(actor, "saving datasets")
        frame = data if isinstance(data, pd.DataFrame) else data.to_pyarrow()
        columns = list(frame.column_names if hasattr(frame, "column_names") else frame.columns)
        missing = [c for c in REQUIRED_COLUMNS[kind] if c not in columns]
        if missing:
            raise ColumnError(
                f"canonical column {missing[0]!r} is missing",
                fix=f"Give the {kind} columns {', '.join(REQUIRED_COLUMNS[kind])}. "
                + did_you_mean(missing[0], columns),
            )
        table = f"{TABLE_PREFIX}{uuid.uuid4().hex[:16]}"
        with self._connect(read_only=False) as con:
            if self._rows(con, "WHERE name = ?", [name]):
                raise InputError(
                    f"a dataset named {name!r} already exists", fix="Choose another name."
                )
            con.register("prodops_incoming", frame)
            select = canonical_select(kind, columns)
            try:
                con.execute(
                    f"CREATE TABLE {quote_ident(table)} AS SELECT {select} FROM prodops_incoming"
                )
            except duckdb.Error as error:
                raise InputError(
                    f"the data cannot be read as {kind} ({str(error).splitlines()[0][:200]})",
                    where=name,
                    fix="Give text ids, UTC timestamps and a numeric mrr.",
                ) from error
            finally:
                con.unregister("prodops_incoming")
            _refuse_bad_rows(con, table, kind, name)
            info = dataset_info(self._insert(con, name=name, kind=kind, table=table, source=source))
        catalog_audit.record(who, "save", name=name, after=catalog_audit.summary(info))
        return info

    def rename(self, name: str, new_name: str, *, actor: Actor | str | None = None) -> DatasetInfo:
        """Rename dataset *name* to *new_name* (which must be free); an admin's write."""
        new_name = check_name(new_name)
        who = catalog_audit.authorize(actor, "renaming datasets")
        with self._connect(read_only=False) as con:
            row = self._row(con, name)
            if new_name != name and self._rows(con, "WHERE name = ?", [new_name]):
                raise InputError(
                    f"a dataset named {new_name!r} already exists", fix="Choose another name."
                )
            con.execute(f"UPDATE {META} SET name = ? WHERE id = ?", [new_name, row["id"]])
            info = self._info({**row, "name": new_name}, tables_of(con))
        catalog_audit.record(
            who, "rename", name=name, before={"name": name}, after={"name": new_name}
        )
        return info

    def delete(self, name: str, *, actor: Actor | str | None = None) -> DatasetInfo:
        """Delete dataset *name* and its rows (a live dataset's database is not touched).

        A broken dataset can be deleted too. Returns what was deleted. An admin's write, logged.
        """
        who = catalog_audit.authorize(actor, "deleting datasets")
        with self._connect(read_only=False) as con:
            row = self._row(con, name)
            info = self._info(row, tables_of(con))
            if row["table_name"]:
                con.execute(f"DROP TABLE IF EXISTS {quote_ident(row['table_name'])}")
            con.execute(f"DELETE FROM {META} WHERE id = ?", [row["id"]])
        catalog_audit.record(who, "delete", name=name, before=catalog_audit.summary(info))
        return info

    def register_live(
        self,
        name: str,
        *,
        spec: dict[str, Any],
        kind: Kind,
        stats: tuple[int, int, datetime | None, datetime | None],
        property_columns: Sequence[str],
        source: str,
        actor: Actor | str | None = None,
    ) -> DatasetInfo:
        """Record a table of a connected database as the live dataset *name*.

        *spec* (see :mod:`prodops.data.connect`) holds the URL without its password, the table
        or SELECT, and the column mapping; it is stored as JSON. Connecting is an admin's write.
        """
        name = check_name(name)
        who = catalog_audit.authorize(actor, "connecting databases")
        with self._connect(read_only=False) as con:
            if self._rows(con, "WHERE name = ?", [name]):
                raise InputError(
                    f"a dataset named {name!r} already exists", fix="Choose another name."
                )
            rows, entities, tmin, tmax = stats
            con.execute(
                f"INSERT INTO {META} VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 1, true, ?, ?)",
                [
                    uuid.uuid4().hex[:16], name, kind, rows, entities, tmin, tmax, source,
                    datetime.now(UTC), json.dumps(list(property_columns)), json.dumps(spec),
                ],
            )  # fmt: skip
            info = dataset_info(self._row(con, name))
        after = {**catalog_audit.summary(info), "connection": spec.get("url", "")}
        catalog_audit.record(who, "connect", entity="connection", name=name, after=after)
        return info

    # --- helpers ----------------------------------------------------------------------------

    def _insert(
        self, con: duckdb.DuckDBPyConnection, *, name: str, kind: str, table: str, source: str
    ) -> dict[str, Any]:
        rows, entities, tmin, tmax = table_stats(con, table, kind)
        props = table_properties(con, table, kind)
        con.execute(
            f"INSERT INTO {META} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, false, ?, NULL)",
            [
                uuid.uuid4().hex[:16], name, kind, table, rows, entities, tmin, tmax, source,
                datetime.now(UTC), json.dumps(props),
            ],
        )  # fmt: skip
        return self._row(con, name)

    def _refresh(
        self, con: duckdb.DuckDBPyConnection, row: dict[str, Any], *, source: str
    ) -> dict[str, Any]:
        rows, entities, tmin, tmax = table_stats(con, row["table_name"], row["kind"])
        props = table_properties(con, row["table_name"], row["kind"])
        con.execute(
            f"UPDATE {META} SET rows = ?, entities = ?, time_min = ?, time_max = ?, source = ?, "
            "imported_at = ?, version = version + 1, property_columns = ? WHERE id = ?",
            [rows, entities, tmin, tmax, source, datetime.now(UTC), json.dumps(props), row["id"]],
        )
        return self._row(con, row["name"])

    def _append_table(
        self,
        con: duckdb.DuckDBPyConnection,
        row: dict[str, Any],
        staging: str,
        *,
        label: str | None = None,
    ) -> tuple[int, Sequence[str]]:
        """Insert the rows of *staging* not already in the dataset; return (rows added, columns
        added).

        Columns are matched by name (case-insensitively, as DuckDB does): a column only the new
        file has is added to the dataset (NULL on the rows already there); one only the dataset
        has is NULL on the new rows. A column whose type differs is refused. A new row is a
        duplicate when a row already there has the same values in the columns both have
        (multiset difference), so re-appending an overlapping export adds nothing twice. Rows
        without every canonical column of the dataset's kind are refused (*label*: their file).
        """
        return append_rows(con, row, staging, label=label)


__all__ = [
    "Catalog",
    "DatasetInfo",
    "ImportResult",
    "canonical_types",
    "check_name",
]
