"""The dataset catalog: save, reopen after a restart, append without duplicates, rename, delete."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import ibis.expr.datatypes as dt
import pandas as pd
import pytest

from prodops import config
from prodops.data import catalog as catalog_module
from prodops.data.catalog import Catalog
from prodops.data.demo_datasets import ensure_demo_datasets
from prodops.errors import BackendError, ColumnError, InputError, NotFoundError

Write = Callable[[str, bytes | str], Path]

EVENTS = (
    "user_id,event,timestamp,plan\n"
    "u1,signup,2024-01-01T10:00:00Z,free\n"
    "u1,login,2024-01-02T10:00:00Z,free\n"
    "u2,signup,2024-01-03T10:00:00Z,pro\n"
)


def test_catalog_lives_in_the_data_directory() -> None:
    assert Catalog().path == config.catalog_path()
    assert Catalog().list() == []


def test_import_then_reopen_after_restart(write_file: Write) -> None:
    result = Catalog().import_file(write_file("e.csv", EVENTS), name="events")
    assert (result.added, result.duplicates, result.report.rows_rejected) == (3, 0, 0)
    info = Catalog().get("events")  # a new object: as after a restart
    assert (info.kind, info.rows, info.entities, info.version, info.live) == (
        "events", 3, 2, 1, False,
    )  # fmt: skip
    assert info.time_min == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert info.time_max == datetime(2024, 1, 3, 10, tzinfo=UTC)
    assert (info.source, info.property_columns) == ("e.csv", ("plan",))
    with Catalog().open("events") as table:
        assert table.schema()["timestamp"] == dt.Timestamp(timezone="UTC")
        assert table.count().execute() == 3
        assert sorted(table.user_id.execute()) == ["u1", "u1", "u2"]


def test_append_adds_only_rows_not_already_there_and_bumps_the_version(write_file: Write) -> None:
    catalog = Catalog()
    catalog.import_file(write_file("jan.csv", EVENTS), name="events")
    newer = EVENTS + "u3,signup,2024-01-04T10:00:00Z,free\nu3,signup,2024-01-04T10:00:00Z,free\n"
    result = catalog.import_file(write_file("feb.csv", newer), name="events", append=True)
    assert (result.added, result.duplicates) == (2, 3)
    info = catalog.get("events")
    assert (info.rows, info.entities, info.version, info.source) == (5, 3, 2, "feb.csv")
    again = catalog.import_file(write_file("feb2.csv", newer), name="events", append=True)
    assert (again.added, catalog.get("events").rows, catalog.get("events").version) == (0, 5, 3)


def test_append_with_other_columns_unions_them_by_name(write_file: Write) -> None:
    # country is new (empty on the 3 rows there); plan is missing (empty on the new row)
    catalog = Catalog()
    catalog.import_file(write_file("a.csv", EVENTS), name="events")
    other = "user_id,event,timestamp,country\nu9,x,2024-02-01,FR\n"
    result = catalog.import_file(write_file("b.csv", other), name="events", append=True)
    assert result.added == 1
    with catalog.open("events") as table:
        frame = table.order_by("timestamp").to_pandas()
    assert frame["country"].tolist()[3] == "FR" and frame["country"].isna().sum() == 3
    assert frame["plan"].isna().tolist() == [False, False, False, True]


def test_names_are_unique_and_missing_ones_get_a_suggestion(write_file: Write) -> None:
    catalog = Catalog()
    catalog.import_file(write_file("a.csv", EVENTS), name="events")
    with pytest.raises(InputError, match="already exists"):
        catalog.import_file(write_file("b.csv", EVENTS), name="events")
    with pytest.raises(NotFoundError, match="Did you mean 'events'"):
        catalog.get("event")
    with pytest.raises(NotFoundError):
        catalog.import_file(write_file("c.csv", EVENTS), name="nope", append=True)


def test_rename_and_delete(write_file: Write) -> None:
    catalog = Catalog()
    catalog.import_file(write_file("a.csv", EVENTS), name="events")
    catalog.import_file(write_file("b.csv", EVENTS), name="other")
    with pytest.raises(InputError, match="already exists"):
        catalog.rename("events", "other")
    assert catalog.rename("events", "product events").name == "product events"
    catalog.delete("other")
    assert [i.name for i in Catalog().list()] == ["product events"]
    with Catalog().open("product events") as table:
        assert table.count().execute() == 3


def test_save_a_canonical_frame() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "start": pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True),
            "end": pd.to_datetime(["2024-03-01", None], utc=True),
            "mrr": [10.0, 20.0],
            "plan": ["a", "b"],
        }
    )
    info = Catalog().save("subs", frame, kind="subscriptions", source="test")
    assert (info.rows, info.entities, info.property_columns) == (2, 2, ("plan",))
    assert info.time_max == datetime(2024, 3, 1, tzinfo=UTC)
    with pytest.raises(ColumnError, match="'mrr' is missing"):
        Catalog().save("bad", frame.drop(columns="mrr"), kind="subscriptions")


def test_demo_datasets_are_imported_once(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "demo-events.csv.gz").write_bytes(gzip.compress(EVENTS.encode()))
    subs = "customer_id,start,end,mrr,plan\nc1,2024-01-01T00:00:00Z,,29,pro\n"
    (folder / "demo-subscriptions.csv.gz").write_bytes(gzip.compress(subs.encode()))
    catalog = Catalog()
    assert ensure_demo_datasets(catalog, directory=folder) == ["demo-events", "demo-subscriptions"]
    assert ensure_demo_datasets(catalog, directory=folder) == []
    infos = {i.name: i for i in catalog.list()}
    assert (infos["demo-events"].rows, infos["demo-subscriptions"].kind) == (3, "subscriptions")


def test_a_catalog_held_by_another_process_gives_a_clear_busy_error(
    monkeypatch: pytest.MonkeyPatch, write_file: Write
) -> None:
    catalog = Catalog()
    catalog.import_file(write_file("a.csv", EVENTS), name="events")
    monkeypatch.setattr(catalog_module, "_LOCK_WAIT_S", 0.3)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(catalog.path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(BackendError, match=rf"catalog is busy: .*\(PID {holder.pid}\)"):
            catalog.list()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    assert [i.name for i in catalog.list()] == ["events"]


def test_a_damaged_catalog_file_gives_a_backend_error() -> None:
    config.catalog_path().write_bytes(b"this is not a DuckDB database" * 100)
    with pytest.raises(BackendError, match="cannot open the catalog"):
        Catalog().list()
