"""The demo datasets: the files shipped in the repository's ``data/`` folder, imported on demand."""

from __future__ import annotations

from pathlib import Path

import prodops
from prodops.data.catalog import Catalog
from prodops.data.schema import Kind

DEMO_DATASETS: tuple[tuple[str, str, Kind], ...] = (
    ("demo-events", "demo-events.csv.gz", "events"),
    ("demo-subscriptions", "demo-subscriptions.csv.gz", "subscriptions"),
)


def demo_dir() -> Path:
    """The repository's ``data/`` folder, where the demo files ship."""
    return Path(prodops.__file__).resolve().parent.parent / "data"


def ensure_demo_datasets(catalog: Catalog, *, directory: Path | None = None) -> list[str]:
    """Import ``demo-events`` and ``demo-subscriptions`` from ``data/`` if absent; return new names.

    A demo file that is not there (a checkout without ``data/``) is skipped.
    """
    directory = directory or demo_dir()
    present = {info.name for info in catalog.list(include_broken=True)}
    added = []
    for name, filename, kind in DEMO_DATASETS:
        path = directory / filename
        if name in present or not path.is_file():
            continue
        catalog.import_file(path, name=name, kind=kind)
        added.append(name)
    return added
