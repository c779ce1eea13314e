"""Appending a file whose rows are not of the dataset's kind is refused, and the dataset is left
exactly as it was (rows, columns, version); so is an import whose every row is rejected.

The files are a few hand-written rows; the expected counts are worked by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prodops.data.catalog import Catalog
from prodops.data.catalog_import import AllRowsRejectedError
from prodops.errors import ColumnError, InputError

Write = Callable[[str, bytes | str], Path]

EVENTS = (
    "user_id,event,timestamp,plan\n"
    "u1,signup,2024-01-01T10:00:00Z,free\n"
    "u2,login,2024-01-02T10:00:00Z,pro\n"
    "u1,login,2024-01-03T10:00:00Z,free\n"
)
# customer_id "u1" is an id the events have too: the refusal may not rest on ids differing
SUBSCRIPTIONS = (
    "customer_id,start,end,mrr,plan,billing\n"
    "u1,2024-01-01T00:00:00Z,2024-03-01T00:00:00Z,49,pro,monthly\n"
    "c2,2024-01-15T00:00:00Z,,99,business,monthly\n"
)


def snapshot(catalog: Catalog, name: str) -> tuple[Any, ...]:
    """Everything an append could change: the record's counts and version, columns, rows."""
    info = catalog.get(name)
    with catalog.open(name) as table:
        columns = tuple(table.columns)
        frame = table.to_pandas()
    rows = sorted(map(repr, frame.astype(str).to_dict("records")))
    return info.rows, info.entities, info.version, info.property_columns, columns, rows


def test_appending_subscriptions_to_events_is_refused_and_changes_nothing(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("events.csv", EVENTS), name="web")
    before = snapshot(catalog, "web")
    with pytest.raises(InputError) as caught:
        catalog.import_file(write_file("subs.csv", SUBSCRIPTIONS), name="web", append=True)
    message = str(caught.value)
    assert caught.value.where == "subs.csv"
    assert "cannot append to 'web': the file is a subscriptions export" in message
    assert "'web' holds events (user_id, event, timestamp)" in message
    assert "Import it as its own dataset" in message
    assert snapshot(catalog, "web") == before
    assert before[2] == 1  # version


def test_appending_events_to_subscriptions_is_refused_and_changes_nothing(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("subs.csv", SUBSCRIPTIONS), name="billing")
    before = snapshot(catalog, "billing")
    with pytest.raises(InputError, match="the file is an events export") as caught:
        catalog.import_file(write_file("events.csv", EVENTS), name="billing", append=True)
    assert "'billing' holds subscriptions (customer_id, start, end, mrr)" in str(caught.value)
    assert snapshot(catalog, "billing") == before


def test_an_explicit_plan_of_the_other_kind_is_refused_too(
    tmp_path: Path, write_file: Write
) -> None:
    """The web app and the CLI pass the plan they inspected: the catalog checks it all the same."""
    from prodops.data.inspection import inspect_file

    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("events.csv", EVENTS), name="web")
    before = snapshot(catalog, "web")
    subs = write_file("subs.csv", SUBSCRIPTIONS)
    plan = inspect_file(subs).plan
    assert plan.mapping.kind == "subscriptions"
    with pytest.raises(InputError, match="cannot append to 'web'"):
        catalog.import_file(subs, name="web", plan=plan, append=True)
    assert snapshot(catalog, "web") == before


def test_an_events_file_without_the_event_column_is_refused(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("events.csv", EVENTS), name="web")
    before = snapshot(catalog, "web")
    partial = write_file("no_event.csv", "user_id,timestamp,plan\nu3,2024-01-04T10:00:00Z,pro\n")
    with pytest.raises(InputError, match="'event'"):
        catalog.import_file(partial, name="web", append=True)
    with pytest.raises(InputError, match="'event'"):
        catalog.import_file(partial, name="web", kind="events", append=True)
    assert snapshot(catalog, "web") == before


def test_rows_without_a_canonical_column_are_never_appended(
    tmp_path: Path, write_file: Write
) -> None:
    """The last guard, where rows are appended: columns are matched by name, so rows with no
    'event' column would otherwise be added with an empty event."""
    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("events.csv", EVENTS), name="web")
    before = snapshot(catalog, "web")
    with (
        pytest.raises(ColumnError, match="the file has no 'event' column") as caught,
        catalog._connect(read_only=False) as con,
    ):
        con.execute(
            "CREATE TABLE staging AS SELECT 'u3' AS user_id, "
            "TIMESTAMPTZ '2024-01-04 10:00:00+00' AS timestamp, 'pro' AS plan"
        )
        catalog._append_table(con, catalog._row(con, "web"), "staging", label="x.csv")
    assert caught.value.where == "x.csv"
    assert snapshot(catalog, "web") == before


def test_appending_more_of_the_same_kind_still_works(tmp_path: Path, write_file: Write) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("events.csv", EVENTS), name="web")
    more = write_file(
        "more.csv", "user_id,event,timestamp,plan\nu3,signup,2024-01-04T10:00:00Z,pro\n"
    )
    result = catalog.import_file(more, name="web", append=True)
    assert (result.added, result.duplicates) == (1, 0)
    info = catalog.get("web")
    assert (info.rows, info.entities, info.version) == (4, 3, 2)


ALL_EMPTY_USERS = (
    "user_id,event,timestamp\n,open,2026-01-01T00:00:00Z\n,open,2026-01-02T00:00:00Z\n"
)


def test_an_import_whose_every_row_is_rejected_creates_no_dataset(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    with pytest.raises(AllRowsRejectedError) as caught:
        catalog.import_file(write_file("empty_user.csv", ALL_EMPTY_USERS), name="allrej")
    error = caught.value
    assert error.where == "empty_user.csv"
    assert error.what == (
        "every row was rejected (2 of 2), so no dataset 'allrej' was created: "
        "row 1, column 'user_id': empty user id (''); row 2, column 'user_id': empty user id ('')"
    )
    assert error.report.rows_rejected == 2
    assert error.report.rejected["row"].tolist() == [1, 2]
    assert "allrej" not in catalog
    assert catalog.list() == []


def test_an_append_whose_every_row_is_rejected_changes_nothing(
    tmp_path: Path, write_file: Write
) -> None:
    catalog = Catalog(tmp_path)
    catalog.import_file(write_file("events.csv", EVENTS), name="web")
    before = snapshot(catalog, "web")
    with pytest.raises(AllRowsRejectedError, match="so 'web' was left unchanged"):
        catalog.import_file(write_file("empty_user.csv", ALL_EMPTY_USERS), name="web", append=True)
    assert snapshot(catalog, "web") == before


def test_the_message_names_three_rejected_rows_and_counts_the_rest(
    tmp_path: Path, write_file: Write
) -> None:
    rows = "".join(f",open,2026-01-0{day}T00:00:00Z\n" for day in range(1, 6))
    catalog = Catalog(tmp_path)
    with pytest.raises(AllRowsRejectedError) as caught:
        catalog.import_file(write_file("five.csv", "user_id,event,timestamp\n" + rows), name="x")
    what = caught.value.what
    assert what.startswith("every row was rejected (5 of 5)")
    assert "row 3, column 'user_id'" in what
    assert "row 4" not in what
    assert what.endswith("; ... 2 more")


def test_one_accepted_row_is_enough_to_save(tmp_path: Path, write_file: Write) -> None:
    catalog = Catalog(tmp_path)
    path = write_file("one.csv", ALL_EMPTY_USERS + "u1,open,2026-01-03T00:00:00Z\n")
    result = catalog.import_file(path, name="one")
    assert (result.added, result.report.rows_rejected) == (1, 2)
