"""DuckDB runs bounded on every connection the product opens (issue 17, item 1).

A memory limit from configuration, work beyond it spilled to a folder of the data directory (one
per connection, removed when it closes), no file access beyond what the caller allows, and the
configuration locked so no SQL can lift any of it.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from prodops import config
from prodops.data.catalog import Catalog
from prodops.engine import as_table, duckdb_connect
from prodops.errors import ParameterError


def setting(con: duckdb.DuckDBPyConnection, name: str) -> object:
    row = con.execute("SELECT current_setting($1)", [name]).fetchone()
    assert row is not None
    return row[0]


def duckdb_says(memory_limit: str) -> object:
    """How DuckDB itself shows *memory_limit* (it rounds sizes to MiB)."""
    return setting(duckdb.connect(config={"memory_limit": memory_limit}), "memory_limit")


def test_every_connection_path_has_the_configured_limit_spill_folder_and_locks(
    monkeypatch: pytest.MonkeyPatch, prodops_home: Path
) -> None:
    monkeypatch.setenv("PRODOPS_DUCKDB_MEMORY_LIMIT", "300MB")
    frame = pd.DataFrame(
        {"user_id": ["u1"], "event": ["a"], "timestamp": pd.to_datetime(["2024-01-01"], utc=True)}
    )
    catalog = Catalog()
    catalog.save("tiny", frame, kind="events")
    plain, from_frame = duckdb_connect(), as_table(frame)._find_backend()
    with catalog.open("tiny") as table:
        cons = [plain.con, from_frame.con, table._find_backend().con]
        spills = [Path(str(setting(con, "temp_directory"))) for con in cons]
        for con in cons:
            assert setting(con, "memory_limit") == duckdb_says("300MB")
            assert setting(con, "enable_external_access") is False
            for statement in (
                "SET memory_limit = '100GB'",
                "SET temp_directory = '/tmp'",
                "SET enable_external_access = true",
            ):
                with pytest.raises(duckdb.InvalidInputException, match="locked"):
                    con.execute(statement)
    assert len(set(spills)) == 3  # one folder per connection
    for spill in spills:
        assert spill.parent == prodops_home / "tmp"
        assert spill.name.startswith(f"duckdb-spill-{os.getpid()}-")


def test_work_beyond_the_limit_spills_to_the_data_directory_and_is_removed(
    prodops_home: Path,
) -> None:
    backend = duckdb_connect(memory_limit="64MB")
    con = backend.con
    # ~200 MB of rows held by a 64 MB connection, then sorted: only possible by spilling.
    con.execute("CREATE TEMP TABLE big AS SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i)")
    sorted_rows = "SELECT h, lag(h) OVER (ORDER BY h) AS before FROM big"
    assert con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE before > h) FROM ({sorted_rows})"
    ).fetchone() == (3_000_000, 0)
    spill = Path(str(setting(con, "temp_directory")))
    rows = con.execute("SELECT path FROM duckdb_temporary_files()").fetchall()
    files = [Path(str(path)) for (path,) in rows]
    assert files and all(f.parent == spill for f in files)
    assert spill.parent == prodops_home / "tmp"
    backend.disconnect()
    assert not spill.exists()  # DuckDB removes the folder it created


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2GB", "2GB"), ("512MiB", "512MiB"), ("1.5gb", "1.5GB"), (" 750 MB ", "750MB")],
)
def test_the_memory_limit_reads_sizes(
    value: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_DUCKDB_MEMORY_LIMIT", value)
    assert config.duckdb_memory_limit() == expected


def test_the_memory_limit_reads_a_share_of_the_ram_and_defaults_to_4gb_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    monkeypatch.setenv("PRODOPS_DUCKDB_MEMORY_LIMIT", "25%")
    assert config.duckdb_memory_limit() == f"{ram // 4 // 1000**2}MB"
    monkeypatch.delenv("PRODOPS_DUCKDB_MEMORY_LIMIT")
    default = config.duckdb_memory_limit()
    assert default == ("4GB" if ram // 2 >= 4 * 1000**3 else f"{ram // 2 // 1000**2}MB")


@pytest.mark.parametrize("value", ["lots", "0GB", "-1GB", "4 parsecs", "150%"])
def test_a_bad_memory_limit_is_one_clear_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(ParameterError, match="PRODOPS_DUCKDB_MEMORY_LIMIT") as caught:
        duckdb_connect()
    assert "\n" not in str(caught.value)
