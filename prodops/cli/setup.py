"""``prodops setup``: prepare the data directory (demo datasets, store migrations, leftovers).

``make run`` calls it before starting the app, so a newcomer sees data and charts on first start.
It is idempotent: datasets already in the catalog are left as they are. It also removes what a
killed import may have left: tables no dataset refers to and temporary folders
(:meth:`prodops.data.catalog.Catalog.sweep`).
"""

from __future__ import annotations

import argparse
from typing import Any

from prodops import config


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``prodops setup`` to *sub*."""
    parser = sub.add_parser(
        "setup",
        help="prepare the data directory: import the demo datasets, upgrade the store, remove "
        "what crashed imports left",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--no-demo", action="store_true", help="do not import the demo datasets")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the demo datasets if absent, upgrade the OKR / critique store to head, and sweep
    what crashed imports left."""
    from prodops.data.catalog import Catalog, ensure_demo_datasets
    from prodops.store.db import init_store

    print(f"data directory: {config.home()}")
    init_store()
    print("store: up to date")
    catalog = Catalog()
    tables, folders = catalog.sweep()
    if tables or folders:
        print(f"leftovers of crashed imports removed: {tables} tables, {folders} temporary folders")
    if not args.no_demo:
        added = ensure_demo_datasets(catalog)
        print("demo datasets: " + (", ".join(added) + " imported" if added else "already there"))
    return 0
