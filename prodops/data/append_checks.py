"""What an append must pass before it touches a dataset: the file holds the dataset's kind of rows.

Appending matches columns by name and adds the ones the dataset lacks, so a subscriptions export
appended to events would otherwise "fit": its rows would land with no user, event or time, and its
columns would be added to the dataset. Both checks refuse such a file with an
:class:`~prodops.errors.InputError` before anything is written (the catalog's transaction is then
rolled back, so the dataset keeps its rows, columns and version).
"""

from __future__ import annotations

from collections.abc import Collection

from prodops.data.schema import REQUIRED_COLUMNS, Kind
from prodops.errors import ColumnError, InputError


def _columns(kind: Kind) -> str:
    """``"user_id, event, timestamp"``: the canonical columns of *kind*, for a message."""
    return ", ".join(REQUIRED_COLUMNS[kind])


def _article(kind: Kind) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def _fix(kind: Kind) -> str:
    return (
        f"Import it as its own dataset (another name, without --append), or map its columns to "
        f"the {kind} columns {_columns(kind)} (--kind {kind} with the --*-col flags, or the "
        f"mapping on the Data page)."
    )


def refuse_other_kind(*, name: str, dataset_kind: Kind, file_kind: Kind, label: str) -> None:
    """Raise :class:`InputError` when the file was read as *file_kind* but dataset *name* holds
    *dataset_kind* rows.

    Examples
    --------
    >>> refuse_other_kind(name="web", dataset_kind="events", file_kind="events", label="a.csv")
    >>> try:
    ...     refuse_other_kind(
    ...         name="web", dataset_kind="events", file_kind="subscriptions", label="subs.csv"
    ...     )
    ... except InputError as error:
    ...     print(error.what)
    cannot append to 'web': the file is a subscriptions export (customer_id, start, end, mrr), \
but 'web' holds events (user_id, event, timestamp)
    """
    if file_kind == dataset_kind:
        return
    raise InputError(
        f"cannot append to {name!r}: the file is {_article(file_kind)} {file_kind} export "
        f"({_columns(file_kind)}), "
        f"but {name!r} holds {dataset_kind} ({_columns(dataset_kind)})",
        where=label,
        fix=_fix(dataset_kind),
    )


def refuse_missing_columns(
    *, name: str, dataset_kind: Kind, columns: Collection[str], label: str | None = None
) -> None:
    """Raise :class:`ColumnError` when the rows to append (their *columns*) lack a canonical
    column of dataset *name* (case-insensitively, as appending matches columns).

    Examples
    --------
    >>> try:
    ...     refuse_missing_columns(
    ...         name="web", dataset_kind="events", columns=["user_id", "timestamp"], label="a.csv"
    ...     )
    ... except ColumnError as error:
    ...     print(error.what)
    cannot append to 'web': the file has no 'event' column, which every events row needs
    """
    have = {c.lower() for c in columns}
    missing = [c for c in REQUIRED_COLUMNS[dataset_kind] if c.lower() not in have]
    if not missing:
        return
    names = " or ".join(repr(c) for c in missing)
    noun = "column" if len(missing) == 1 else "columns"
    raise ColumnError(
        f"cannot append to {name!r}: the file has no {names} {noun}, "
        f"which every {dataset_kind} row needs",
        where=label,
        fix=_fix(dataset_kind),
    )
