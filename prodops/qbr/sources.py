"""Datasets of the catalog as QBR inputs: look them up by name and kind, or pick the default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from prodops.data.datasets import DatasetInfo
from prodops.errors import ParameterError
from prodops.qbr.build import Dataset


class CatalogLike(Protocol):
    """What the QBR needs of :class:`prodops.data.catalog.Catalog`."""

    def get(self, name: str) -> DatasetInfo: ...

    def list(self, *, include_broken: bool = False) -> list[DatasetInfo]: ...

    def open(self, name: str) -> Any: ...


def catalog_dataset(catalog: CatalogLike, name: str, *, kind: str) -> Dataset:
    """The dataset *name* of the catalog, which must be of *kind* (events / subscriptions).

    Raises :class:`prodops.errors.NotFoundError` (with a suggestion) for an unknown name and
    :class:`ParameterError` for a dataset of the other kind.
    """
    info = catalog.get(name)
    if info.kind != kind:
        raise ParameterError(
            f"dataset {name!r} holds {info.kind}, not {kind}",
            where=f"--{kind}-dataset",
            fix=f"Pick a dataset of {kind} ('prodops datasets' lists them with their kind).",
        )
    return Dataset(info.name, lambda: catalog.open(info.name), info.version)


def default_dataset_name(datasets: Sequence[DatasetInfo], kind: str) -> str | None:
    """The dataset of *kind* a QBR uses when none is named: the first one listed, else None.

    >>> import datetime as dt
    >>> info = DatasetInfo("1", "demo-events", "events", 1, 1, None, None, "", dt.datetime.now(),
    ...                    1, False, ())
    >>> default_dataset_name([info], "events"), default_dataset_name([info], "subscriptions")
    ('demo-events', None)
    """
    for info in datasets:
        if info.kind == kind and not info.problem:
            return info.name
    return None
