"""What a first start sets up, once: the demo datasets and the example rituals.

``prodops setup`` (run by every ``make run``) and the app's first start on an empty data directory
call :func:`prepare`. What it set up is recorded in ``setup.json`` in the data directory, so a
demo dataset or the examples that someone deleted stay deleted: :func:`prepare` imports a demo
dataset only if it never did before, and creates the examples only once, only into a store that
holds no objectives and no roadmap items (an existing team's store gets no examples).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from prodops.data.catalog import Catalog
>>> from prodops.store.db import init_store
>>> tmp = tempfile.TemporaryDirectory()
>>> home = Path(tmp.name)
>>> engine = init_store(f"sqlite:///{home}/store.db")
>>> report = prepare(home=home, catalog=Catalog(home), engine=engine, demo=False)
>>> report.examples
'created'
>>> prepare(home=home, catalog=Catalog(home), engine=engine, demo=False).examples
'already set up once'
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from prodops.data.catalog import Catalog
from prodops.data.demo_datasets import DEMO_DATASETS, demo_dir
from prodops.data.demo_rituals import ExampleCounts, create_examples
from prodops.data.example_removal import remove_examples
from prodops.errors import InputError
from prodops.store.access import SYSTEM, Actor
from prodops.store.db import read_session, write_session

MARKER = "setup.json"


@dataclass
class SetupReport:
    """What :func:`prepare` did: demo datasets imported now, and what became of the examples."""

    imported: list[str] = field(default_factory=list)
    examples: str = "skipped"


def read_marker(home: Path) -> dict[str, Any]:
    """The record of what was set up in data directory *home* (empty when none)."""
    path = home / MARKER
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(
            f"the set-up record cannot be read ({error})",
            where=str(path),
            fix="Delete the file; the next `prodops setup` writes it again.",
        ) from None
    return data if isinstance(data, dict) else {}


def write_marker(home: Path, data: dict[str, Any]) -> None:
    """Write the record atomically (a crash leaves the old one or the new one)."""
    path = home / MARKER
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)


def _store_is_empty(engine: Engine) -> bool:
    from prodops.critique import crud as critique_crud
    from prodops.okr import crud as okr_crud

    with read_session(engine) as session:
        return not okr_crud.list_objectives(
            session=session, include_archived=True
        ) and not critique_crud.list_items(session=session, include_archived=True)


def prepare(
    *,
    home: Path,
    catalog: Catalog,
    engine: Engine,
    demo: bool = True,
    examples: bool = True,
    directory: Path | None = None,
) -> SetupReport:
    """Import the demo datasets and create the examples, each only if never set up before.

    Parameters
    ----------
    home : Path
        The data directory (where ``setup.json`` lives).
    catalog, engine : Catalog, Engine
        Where datasets and the OKR / critique store live.
    demo, examples : bool
        False skips that part this time (``--no-demo``, ``--no-examples``; the command line also
        records ``--no-examples`` with :func:`decline_examples`).
    directory : Path, optional
        Where the demo files are (default: the repository's ``data/``).
    """
    marker = read_marker(home)
    report = SetupReport()
    if demo:
        done = set(marker.get("demo_datasets", []))
        present = {info.name for info in catalog.list(include_broken=True)}
        folder = directory or demo_dir()
        for name, filename, kind in DEMO_DATASETS:
            path = folder / filename
            if name not in done and name not in present and path.is_file():
                catalog.import_file(path, name=name, kind=kind, actor=SYSTEM)
                report.imported.append(name)
            if name in present or name in report.imported:
                done.add(name)
        marker["demo_datasets"] = sorted(done)
    if examples:
        if marker.get("examples"):
            report.examples = "already set up once"
        elif not _store_is_empty(engine):
            report.examples = "not created: the store already holds OKRs or roadmap items"
            marker["examples"] = "not created"
        else:
            with write_session(engine, actor=SYSTEM) as session:
                create_examples(session=session)
            report.examples = marker["examples"] = "created"
    write_marker(home, marker)
    return report


def remove(*, home: Path, engine: Engine, actor: Actor | str | None = None) -> ExampleCounts:
    """Delete the examples and record it, so no later set-up brings them back.

    Deleting is an admin's write: *actor* (``PRODOPS_USER`` when None) needs the admin role.
    """
    with write_session(engine, actor=actor) as session:
        removed = remove_examples(session=session)
    marker = read_marker(home)
    marker["examples"] = "removed"
    write_marker(home, marker)
    return removed


def decline_examples(home: Path) -> None:
    """Record that examples are not wanted here (``--no-examples``): no later set-up makes them."""
    marker = read_marker(home)
    marker.setdefault("examples", "declined")
    write_marker(home, marker)


def is_first_start(home: Path) -> bool:
    """True when nothing was ever set up in data directory *home* (no ``setup.json``)."""
    return not (home / MARKER).is_file()
