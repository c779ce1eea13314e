"""Imports killed at random points leave nothing behind (issue 17, item 7).

A child process (forked with ProdOps already imported, so that a kill lands inside the import and
not in interpreter start-up) runs ``prodops import``: half the time a new dataset from a cp1252
file (transcoded into a temporary folder first), half the time ``--append`` of a file to an
existing dataset. It is killed with SIGKILL after a random delay (seeded). Right after each kill,
before anything could sweep, the catalog file must hold no table that no dataset refers to. At the
end the catalog lists the datasets that were there plus those whose import committed (with all of
a file's rows: a kill may land after the commit), and once the start-up sweep ran (``prodops
setup``) no temporary file is left anywhere: not in the data directory's temp folder, the system
temp folder or the working directory.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from prodops import config
from prodops.cli import main
from prodops.data.catalog import META, Catalog

KILLS = 10
ROWS = 80_000
SEED = 17

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks a child and SIGKILLs it")


def _events(rows: int, *, word: str) -> str:
    lines = [
        f"u{i % 5000},{word},2024-0{1 + i % 9}-1{i % 10}T10:00:00Z,plan{i % 3}" for i in range(rows)
    ]
    return "user_id,event,timestamp,plan\n" + "\n".join(lines) + "\n"


def _child(argv: list[str], scratch: str) -> None:
    """Run ``prodops`` in the forked child with its own working and system temp folders."""
    os.chdir(scratch)
    tempfile.tempdir = scratch
    os._exit(main(argv))


def _peek(path: Path) -> tuple[set[str], set[str]]:
    """(dataset tables in the file, tables the datasets refer to), read-only: nothing swept."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        used = {r[0] for r in con.execute(f"SELECT table_name FROM {META}").fetchall()}
    finally:
        con.close()
    return tables - {META}, used


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_killed_imports_leave_no_dataset_table_or_temporary_file(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    files = tmp_path / "files"
    files.mkdir()
    new = files / "new.csv"
    new.write_bytes(_events(ROWS, word="ouvert é").encode("cp1252"))
    grow = files / "grow.csv"
    grow.write_text(_events(ROWS, word="open"))
    catalog = Catalog()
    catalog.import_file(grow, name="grow")
    expected = {"grow"}
    maybe: set[str] = set()  # killed, perhaps after their commit
    grow_rows = catalog.get("grow").rows

    context = multiprocessing.get_context("fork")
    started = time.monotonic()
    child = context.Process(
        target=_child, args=(["import", str(new), "--name", "calibrate"], str(scratch))
    )
    child.start()
    child.join(timeout=120)
    window = time.monotonic() - started  # one whole import, in a child
    assert child.exitcode == 0
    expected.add("calibrate")

    rng = random.Random(SEED)
    killed = finished = 0
    left: set[str] = set()  # temporary folders seen right after a kill
    for attempt in range(KILLS):
        if attempt % 2:
            argv = ["import", str(grow), "--name", "grow", "--append"]
        else:
            argv = ["import", str(new), "--name", f"new{attempt}"]
        child = context.Process(target=_child, args=(argv, str(scratch)), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.02, 0.9) * window)
        if child.exitcode is None:
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(timeout=60)
        if child.exitcode == 0:
            finished += 1
            expected.add(argv[3])
            window *= 0.7  # the calibration ran slow: aim earlier
        else:
            assert child.exitcode == -signal.SIGKILL
            killed += 1
            maybe.add(argv[3])
        tables, used = _peek(config.catalog_path())
        assert tables == used, f"orphan tables after kill {attempt}: {sorted(tables - used)}"
        left |= {p.name for p in config.tmp_dir().glob("import-*")}

    assert killed >= KILLS // 2, (killed, finished)
    infos = Catalog().list(include_broken=True)
    assert expected <= {i.name for i in infos} <= expected | maybe
    assert not [i.problem for i in infos if i.problem]
    assert {i.rows for i in infos if i.name != "grow"} == {ROWS}  # whole files only
    assert Catalog().get("grow").rows == grow_rows  # appending the same rows adds none
    with Catalog().open("grow") as table:
        assert table.count().execute() == grow_rows

    assert main(["setup", "--no-demo"]) == 0  # the start-up sweep
    assert _files(config.tmp_dir()) == []
    assert _files(scratch) == []
    kept = {"catalog.duckdb", "catalog.duckdb.wal", "tmp", "setup.json"}  # and the store's files
    assert [p.name for p in config.home().iterdir() if not p.name.startswith("prodops.sqlite")
            and p.name not in kept] == []  # fmt: skip
    print(f"\n{KILLS} runs: {killed} killed, {finished} finished; {len(left)} temp folders swept")
