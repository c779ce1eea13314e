"""Active users from the per-version runs cache of a catalog dataset (prodops.metrics.day_runs).

The cached path must give frames identical to the query without a cache, for every window,
range, zone, filter and breakdown; a new dataset version must not be served the old runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from metrics.helpers import Loader
from prodops.data.catalog import Catalog
from prodops.metrics import day_runs, memo
from prodops.metrics.engagement import active_users, dau_mau


def _events(seed: int, *, users: int = 60, rows: int = 1500, days: int = 70) -> pd.DataFrame:
    """Random events over *days* days from 2024-02-20 (US and EU DST changes inside)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-02-20", tz="UTC")
    seconds = rng.integers(0, days * 86_400, size=rows)
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in rng.integers(0, users, size=rows)],
            "event": rng.choice(["open", "buy", "share"], size=rows, p=[0.6, 0.3, 0.1]),
            "timestamp": (start + pd.to_timedelta(seconds, unit="s")).as_unit("us"),
            "plan": rng.choice(["free", "pro", "team", None], size=rows),  # type: ignore[arg-type]
            "country": rng.choice(["DE", "FR", "US"], size=rows),
        }
    )


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(home=tmp_path)


def _cache_files(catalog: Catalog) -> list[Path]:
    folder = catalog.path.parent / "cache" / "day_runs"
    return sorted(folder.glob("*.parquet")) if folder.exists() else []


CASES: list[dict[str, Any]] = [
    {"window_days": 1},
    {"window_days": 7},
    {"window_days": 30},
    {"window_days": 7, "date_from": "2024-03-20", "date_to": "2024-04-10"},
    {"window_days": 7, "timezone": "America/New_York"},
    {"window_days": 3, "timezone": "Asia/Kolkata", "date_from": "2024-03-01"},
    {"window_days": 7, "event": "buy"},
    {"window_days": 7, "where": [("plan", "=", "pro"), ("country", "!=", "FR")]},
    {"window_days": 7, "where": {"plan": "free"}, "as_of": "2024-04-15"},
    {"window_days": 7, "breakdown": "plan"},
    {"window_days": 30, "breakdown": "country", "breakdown_limit": 1},
    {"window_days": 7, "breakdown": "plan", "event": "open", "timezone": "Europe/Berlin"},
]


@pytest.mark.parametrize("options", CASES)
def test_cached_frames_equal_the_uncached_ones(catalog: Catalog, options: dict[str, Any]) -> None:
    events = _events(1)
    catalog.save("ev", events, kind="events")
    expected = active_users(events, **options)  # a plain frame: never cached
    with catalog.open("ev") as table:
        first = active_users(table, **options)  # computes and stores the runs
        assert len(_cache_files(catalog)) == 1
        second = active_users(table, **options)  # read back from the file
    pd.testing.assert_frame_equal(first, expected)
    pd.testing.assert_frame_equal(second, expected)
    assert first.attrs == expected.attrs


def test_one_stored_frame_serves_every_window_and_range(catalog: Catalog) -> None:
    events = _events(2)
    catalog.save("ev", events, kind="events")
    with catalog.open("ev") as table:
        for options in CASES[:4]:
            active_users(table, **options)
        dau_mau(table)
        assert len(_cache_files(catalog)) == 1
        pd.testing.assert_frame_equal(dau_mau(table), dau_mau(events))


def test_a_page_scope_reads_the_runs_once_for_every_window(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a memo scope (a page) DAU, WAU, MAU and DAU/MAU read the stored runs once; the
    frames are those of calls outside a scope."""
    events = _events(4)
    catalog.save("ev", events, kind="events")
    reads: list[int] = []
    runs = day_runs._runs

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return runs(*args, **kwargs)

    monkeypatch.setattr(day_runs, "_runs", counted)
    with catalog.open("ev") as table:
        alone = [active_users(table, window_days=d) for d in (1, 7, 30)] + [dau_mau(table)]
        assert len(reads) == 5  # dau_mau reads DAU's and MAU's runs: the same file twice
        reads.clear()
        with memo.scope():
            shared = [active_users(table, window_days=d) for d in (1, 7, 30)] + [dau_mau(table)]
        assert len(reads) == 1
    for a, b in zip(alone, shared, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_a_warm_call_reads_the_stored_runs(catalog: Catalog) -> None:
    catalog.save("ev", _events(3), kind="events")
    with catalog.open("ev") as table:
        before = active_users(table, window_days=7)
        (path,) = _cache_files(catalog)
        stored = pq.read_table(path).to_pandas()
        stored["n"] *= 2  # a doctored file shows whether the next call read it
        stored.to_parquet(path, index=False)
        after = active_users(table, window_days=7)
    assert after["users"].tolist() == [2 * u for u in before["users"]]


def test_filters_event_zone_and_breakdown_each_get_their_own_runs(catalog: Catalog) -> None:
    events = _events(4)
    catalog.save("ev", events, kind="events")
    variants: list[dict[str, Any]] = [
        {},
        {"where": {"plan": "pro"}},
        {"where": {"plan": "free"}},
        {"where": [("plan", "!=", "pro")]},
        {"event": "buy"},
        {"timezone": "Asia/Tokyo"},
        {"breakdown": "plan"},
        {"breakdown": "plan", "breakdown_limit": 2},
        {"breakdown": "country"},
    ]
    with catalog.open("ev") as table:
        for options in variants:  # twice: the second round reads only stored runs
            active_users(table, window_days=7, **options)
        for options in variants:
            got = active_users(table, window_days=7, **options)
            pd.testing.assert_frame_equal(got, active_users(events, window_days=7, **options))
    assert len(_cache_files(catalog)) == len(variants)


def test_a_new_version_is_not_served_the_old_runs(catalog: Catalog, tmp_path: Path) -> None:
    old = _events(5)
    catalog.save("ev", old, kind="events")
    with catalog.open("ev") as table:
        active_users(table, window_days=7)
    (old_file,) = _cache_files(catalog)
    added = _events(6, rows=400).assign(user_id=lambda f: "new-" + f["user_id"])
    csv = tmp_path / "more.csv"
    added.to_csv(csv, index=False)
    catalog.import_file(csv, name="ev", append=True)
    assert catalog.get("ev").version == 2
    with catalog.open("ev") as table:
        got = active_users(table, window_days=7)
    both = pd.concat([old, added], ignore_index=True)
    pd.testing.assert_frame_equal(got, active_users(both, window_days=7))
    files = _cache_files(catalog)
    assert len(files) == 1 and files[0] != old_file  # the old version's runs are gone
    assert "-v2-" in files[0].name


def test_deleted_datasets_lose_their_runs(catalog: Catalog) -> None:
    catalog.save("a", _events(7), kind="events")
    catalog.save("b", _events(8), kind="events")
    with catalog.open("a") as table:
        active_users(table, window_days=7)
    catalog.delete("a")
    with catalog.open("b") as table:
        active_users(table, window_days=7)
    (only,) = _cache_files(catalog)
    assert only.name.startswith(catalog.get("b").id)


def test_an_unwritable_cache_folder_only_means_computing_again(catalog: Catalog) -> None:
    events = _events(9)
    catalog.save("ev", events, kind="events")
    (catalog.path.parent / "cache").write_text("not a folder")
    with catalog.open("ev") as table:
        got = active_users(table, window_days=7)
    pd.testing.assert_frame_equal(got, active_users(events, window_days=7))


def test_tables_outside_the_catalog_are_not_cached(load: Loader) -> None:
    # In-memory DuckDB and PostgreSQL (and Spark, the warehouses): no catalog, no cache.
    events = _events(10)
    table = load(events)
    assert day_runs.catalog_dataset(table) is None
    for options in CASES[:8]:
        pd.testing.assert_frame_equal(
            active_users(table, **options), active_users(events, **options), check_dtype=False
        )


def test_window_counts_match_the_runs_by_hand() -> None:
    # One user active on days 10, 12 and 20 (gaps 2, 8, none); a 7-day range from day 10.
    runs = pd.DataFrame({"day": [10, 12, 20], "gap": [2, 8, 0], "n": [1, 1, 1]})
    got = day_runs.window_counts(runs, first_day=10, window=3)
    assert got.to_dict("list") == {"day": [0, 2, 10], "span": [2, 3, 3], "n": [1, 1, 1]}
