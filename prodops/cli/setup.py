"""``prodops setup``: prepare the data directory (demo datasets, store migrations, leftovers).

``make run`` calls it before starting the app, so a newcomer sees data and charts on first start.
It is idempotent, and it sets things up once: a demo dataset or the examples (an OKR quarter and a
roadmap critique) that someone deleted stay deleted (:mod:`prodops.data.first_start`). It also
removes what a killed import may have left: tables no dataset refers to and temporary folders
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
    parser.add_argument(
        "--no-examples",
        action="store_true",
        help="do not create the example OKRs and roadmap critique (and never later)",
    )
    parser.add_argument(
        "--remove-examples",
        action="store_true",
        help="delete the example OKRs and roadmap critique; later runs do not bring them back",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the demo datasets if absent, upgrade the OKR / critique store to head, and sweep
    what crashed imports left."""
    from prodops.data import first_start
    from prodops.data.catalog import Catalog
    from prodops.store.db import init_store

    print(f"data directory: {config.home()}")
    engine = init_store()
    print("store: up to date")
    catalog = Catalog()
    tables, folders = catalog.sweep()
    if tables or folders:
        print(f"leftovers of crashed imports removed: {tables} tables, {folders} temporary folders")
    if args.remove_examples:
        removed = first_start.remove(home=config.home(), engine=engine)
        print(
            f"examples removed: {removed.objectives} objectives, {removed.items} roadmap items, "
            f"{removed.sessions} critique sessions"
        )
        return 0
    if args.no_examples:
        first_start.decline_examples(config.home())
    report = first_start.prepare(
        home=config.home(),
        catalog=catalog,
        engine=engine,
        demo=not args.no_demo,
        examples=not args.no_examples,
    )
    if not args.no_demo:
        added = report.imported
        print("demo datasets: " + (", ".join(added) + " imported" if added else "already set up"))
    print(f"examples: {report.examples}")
    if not args.no_demo:
        from prodops.data.demo_research import install_demo_notes

        print(f"customer notes: {install_demo_notes(engine, home=config.home())}")
    return 0
