"""Which property columns are offered for filters and breakdowns, and which are hidden (why)."""

from __future__ import annotations

import itertools

import ibis
import pandas as pd
import pytest

from prodops.engine import duckdb_connect
from prodops.metrics.events import SEGMENT_MAX_VALUES, segment_columns

_names = itertools.count()


def posthog_like(rows: int = 60) -> pd.DataFrame:
    """A PostHog export after unpacking: ids, UUIDs, timestamps, a URL, an elements chain."""
    plans = ["free", "pro", "team"]
    return pd.DataFrame(
        {
            "user_id": [f"u{i % 20}" for i in range(rows)],
            "event": ["$pageview"] * rows,
            "timestamp": pd.date_range("2024-01-01", periods=rows, freq="h", tz="UTC"),
            "uuid": [f"018f2c3e-{i:04x}-7000-8000-{i:012x}" for i in range(rows)],
            "$insert_id": [f"ins{i}" for i in range(rows)],
            "$session_id": [f"s{i // 2}" for i in range(rows)],
            "created_at": [f"2024-01-01 {i % 24:02d}:00:00" for i in range(rows)],
            "elements_chain": [
                f'a.btn:nth-child="{i}"href="/p/{i}" text="Open item {i}"' for i in range(rows)
            ],
            "$current_url": [f"https://app.example.com/p/{i}" for i in range(rows)],
            "plan": [plans[i % 3] for i in range(rows)],
            "$browser": ["Chrome" if i % 4 else "Safari" for i in range(rows)],
            "country": [None if i % 2 else ["DE", "FR", "US", "GB"][i % 4] for i in range(rows)],
            "seats": [float(i) for i in range(rows)],
            "feedback": [f"it was fine, thanks {i}" for i in range(rows)],
            "blank": pd.Series([None] * rows, dtype="string"),
            "$set": ['{"plan": "pro"}'] * rows,
        }
    )


@pytest.fixture(params=["duckdb", "postgres"])
def load(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    con = duckdb_connect() if request.param == "duckdb" else request.getfixturevalue("pg_ibis")

    def make(events: pd.DataFrame) -> ibis.Table:
        return con.create_table(f"segments_{next(_names)}", events)

    return make


def test_segmenting_columns_come_first_ordered_by_cardinality_and_fill(load) -> None:  # type: ignore[no-untyped-def]
    columns = segment_columns(load(posthog_like()))
    # plan (3 values, all rows) and $browser (2 values, all rows) before country (half filled);
    # seats is a number with 60 values: offered (range filters), but after the breakdowns.
    assert columns.offered == ["$browser", "plan", "country", "seats"]


def test_identifiers_timestamps_text_and_json_are_hidden_with_a_reason(load) -> None:  # type: ignore[no-untyped-def]
    columns = segment_columns(load(posthog_like()))
    assert columns.reasons == {
        "uuid": "identifier (UUID values)",
        "$insert_id": "identifier (by its name)",
        "$session_id": "identifier (by its name)",
        "created_at": "timestamp (date-time values)",
        "elements_chain": "free text",
        "$current_url": "nearly every value different",
        "feedback": "free text",
        "blank": "no values",
        "$set": "JSON text",
    }
    assert columns.hidden == list(columns.reasons)  # table order
    assert "user_id" not in columns.offered + columns.hidden


def test_a_high_cardinality_text_column_is_hidden_and_a_low_one_named_id_is_offered() -> None:
    values = SEGMENT_MAX_VALUES + 1  # each three times: not "nearly unique", but too many
    rows = 3 * values
    frame = pd.DataFrame(
        {
            "user_id": ["a"] * rows,
            "event": ["e"] * rows,
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC"),
            "referrer": [f"site{i % values}" for i in range(rows)],
            "plan_id": [f"p{i % 3}" for i in range(rows)],
        }
    )
    columns = segment_columns(frame)
    assert columns.offered == ["plan_id"]
    assert columns.reasons == {
        "referrer": f"too many distinct values ({values:,} in the first rows)"
    }


def test_a_table_with_only_the_canonical_columns_offers_nothing() -> None:
    frame = pd.DataFrame(
        {"user_id": ["a"], "event": ["e"], "timestamp": pd.to_datetime(["2024-01-01"], utc=True)}
    )
    columns = segment_columns(frame)
    assert (columns.offered, columns.hidden, columns.reasons) == ([], [], {})


def test_the_measures_over_distinct_values_are_those_of_every_row(load) -> None:  # type: ignore[no-untyped-def]
    """The patterns run once per distinct value, weighted by its rows: counts and the mean
    length are those of every sampled row (values that differ only by spaces included)."""
    from prodops.metrics.events import _column_stats

    rows = 40
    frame = posthog_like(rows).assign(
        plan=[[" pro", "pro", "pro ", None][i % 4] for i in range(rows)],
        note=[["a b", "{x", "2024-01-01 10:00:00", ""][i % 4] for i in range(rows)],
    )
    names = ["plan", "note", "uuid", "seats", "blank"]
    stats = _column_stats(load(frame), names, sample_rows=1_000)
    for name in names:
        values = frame[name]
        filled = values.dropna()
        assert (stats[name].filled, stats[name].distinct) == (len(filled), filled.nunique())
    text = frame["plan"].dropna().str.strip()
    assert stats["plan"].mean_length == pytest.approx(text.str.len().mean())
    assert stats["plan"].with_space == 0  # stripped before the patterns, as before
    note = frame["note"]
    assert (stats["note"].with_space, stats["note"].json_like) == (20, 10)  # "a b", the time
    assert stats["note"].datetimes == 10
    assert stats["uuid"].uuids == rows
    assert (stats["seats"].is_number, stats["seats"].uuids) == (True, 0)
    assert stats["blank"].filled == 0 and note.notna().all()
