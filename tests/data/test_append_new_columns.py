"""Appending next month's export whose JSON properties have a new key: columns are unioned by name.

Two PostHog-shaped CSV files (uuid, event, properties as JSON, timestamp, distinct_id,
elements_chain; see tests/data/test_real_exports.py); every expected value is worked by hand.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prodops.data.catalog import Catalog
from prodops.errors import ColumnError

Write = Callable[[str, bytes | str], Path]
Event = tuple[str, str, str, str, dict[str, Any]]

JANUARY: list[Event] = [
    ("0001", "$pageview", "alice", "2024-01-02T10:00:00Z", {"plan": "pro", "$browser": "Chrome"}),
    ("0002", "$pageview", "bob", "2024-01-03T11:00:00Z", {"plan": "free", "$browser": "Safari"}),
    ("0003", "$pageview", "carol", "2024-01-31T09:00:00Z", {"plan": "pro", "$browser": "Firefox"}),
]  # fmt: skip
# February's export overlaps January's last day (0003 again, unchanged) and has a new key, $os;
# dave's event has no $browser.
FEBRUARY: list[Event] = [
    JANUARY[2],
    ("0004", "$pageview", "alice", "2024-02-01T10:00:00Z",
     {"plan": "pro", "$browser": "Chrome", "$os": "Mac OS X"}),
    ("0005", "$pageview", "dave", "2024-02-02T12:00:00Z", {"plan": "free", "$os": "Windows"}),
]  # fmt: skip


def posthog_csv(write: Write, name: str, events: list[Event]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["uuid", "event", "properties", "timestamp", "distinct_id", "elements_chain"])
    for uuid, event, distinct_id, timestamp, props in events:
        writer.writerow(
            [f"018d{uuid}-0000-7000-8000-000000000000", event, json.dumps(props), timestamp,
             distinct_id, ""]
        )  # fmt: skip
    return write(name, out.getvalue())


def rows(catalog: Catalog, name: str) -> list[dict[str, Any]]:
    with catalog.open(name) as table:
        frame = table.order_by("timestamp").to_pandas()
    return [
        {k: (None if v != v else v) for k, v in rec.items()}  # NaN/None -> None
        for rec in frame[["user_id", "plan", "$browser", "$os"]].to_dict("records")
    ]


def test_a_new_json_key_becomes_a_column_empty_on_the_earlier_rows(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(posthog_csv(write_file, "jan.csv", JANUARY), name="events")
    result = catalog.import_file(
        posthog_csv(write_file, "feb.csv", FEBRUARY), name="events", append=True
    )
    # 0003 is already there (same values in every column both have): 2 rows added, 1 skipped
    assert (result.added, result.duplicates) == (2, 1)
    assert "1 new column added: '$os' (empty on the rows imported before)" in result.report.notes
    assert rows(catalog, "events") == [
        {"user_id": "alice", "plan": "pro", "$browser": "Chrome", "$os": None},
        {"user_id": "bob", "plan": "free", "$browser": "Safari", "$os": None},
        {"user_id": "carol", "plan": "pro", "$browser": "Firefox", "$os": None},
        {"user_id": "alice", "plan": "pro", "$browser": "Chrome", "$os": "Mac OS X"},
        {"user_id": "dave", "plan": "free", "$browser": None, "$os": "Windows"},
    ]
    info = catalog.get("events")
    assert (info.rows, info.entities, info.version) == (5, 4, 2)
    assert "$os" in info.property_columns
    # appending February again adds nothing and no column
    again = catalog.import_file(
        posthog_csv(write_file, "feb2.csv", FEBRUARY), name="events", append=True
    )
    assert (again.added, again.duplicates) == (0, 3)
    assert not any("new column" in note for note in again.report.notes)


def test_a_column_whose_type_changed_is_refused_and_nothing_is_appended(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(posthog_csv(write_file, "jan.csv", JANUARY), name="events")
    # plan became a number, and a new key arrives in the same file
    changed = [
        ("0006", "$pageview", "erin", "2024-02-03T10:00:00Z", {"plan": 3, "$os": "Linux"}),
        ("0007", "$pageview", "fred", "2024-02-04T10:00:00Z", {"plan": 4, "$os": "Linux"}),
    ]
    with pytest.raises(ColumnError) as raised:
        catalog.import_file(posthog_csv(write_file, "feb.csv", changed), name="events", append=True)
    message = str(raised.value)
    assert "column 'plan' of the new file is DOUBLE, but VARCHAR in 'events'" in message
    assert "\n" not in message
    info = catalog.get("events")
    assert (info.rows, info.version) == (3, 1)
    with catalog.open("events") as table:
        assert "$os" not in table.columns


def test_a_key_missing_from_the_new_file_is_empty_on_its_rows(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(posthog_csv(write_file, "jan.csv", JANUARY), name="events")
    later = [("0008", "$pageview", "gina", "2024-02-05T10:00:00Z", {"plan": "team"})]
    result = catalog.import_file(
        posthog_csv(write_file, "feb.csv", later), name="events", append=True
    )
    assert (result.added, result.duplicates) == (1, 0)
    assert not any("new column" in note for note in result.report.notes)
    with catalog.open("events") as table:
        frame = table.order_by("timestamp").to_pandas()
    assert frame["plan"].tolist() == ["pro", "free", "pro", "team"]
    assert frame["$browser"].isna().tolist() == [False, False, False, True]


def test_the_command_line_names_the_columns_an_append_added(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    from prodops.cli import main

    assert main(["import", str(posthog_csv(write_file, "jan.csv", JANUARY)), "--name", "ev"]) == 0
    feb = posthog_csv(write_file, "feb.csv", FEBRUARY)
    capsys.readouterr()
    assert main(["import", str(feb), "--name", "ev", "--append"]) == 0
    out = capsys.readouterr().out
    assert "note: 1 new column added: '$os' (empty on the rows imported before)" in out
    assert "2 rows appended to dataset 'ev'" in out and "(1 duplicate rows skipped)" in out
