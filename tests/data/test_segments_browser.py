"""A real browser: a PostHog export's JSON properties become a breakdown, one curve per value.

The file is shaped as PostHog exports it: ``properties`` is a JSON object per row, and anonymous
visitors are identified later by ``$identify`` events carrying ``$anon_distinct_id``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops.data.catalog import Catalog

NAME = "posthog browser"

# anon-1 browses on Mon 1 Jan and signs up as alice on 2 Jan; anon-3 becomes carol on 8 Jan;
# anon-2 never signs up; bob is known from the start. Persons: alice, bob, anon-2, carol.
EVENTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("$pageview", "anon-1", "2024-01-01T10:00:00Z", {"plan": "pro", "$browser": "Chrome"}),
    ("$identify", "alice", "2024-01-02T10:00:00Z", {"plan": "pro", "$anon_distinct_id": "anon-1"}),
    ("$pageview", "bob", "2024-01-02T11:00:00Z", {"plan": "free", "$browser": "Safari"}),
    ("$pageview", "anon-2", "2024-01-03T09:00:00Z", {"plan": "free", "$browser": "Safari"}),
    ("$pageview", "anon-3", "2024-01-08T09:00:00Z", {"plan": "pro", "$browser": "Firefox"}),
    ("$identify", "carol", "2024-01-08T09:05:00Z", {"plan": "pro", "$anon_distinct_id": "anon-3"}),
    ("$pageview", "alice", "2024-01-09T10:00:00Z", {"plan": "pro", "$browser": "Chrome"}),
    ("$pageview", "carol", "2024-01-15T09:00:00Z", {"plan": "pro", "$browser": "Firefox"}),
    ("$pageview", "bob", "2024-01-16T11:00:00Z", {"plan": "free", "$browser": "Safari"}),
]


def posthog_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["uuid", "event", "properties", "timestamp", "distinct_id", "elements_chain"])
    for n, (event, distinct_id, timestamp, props) in enumerate(EVENTS):
        uuid = f"018d{n:04d}-0000-7000-8000-000000000000"
        writer.writerow([uuid, event, json.dumps(props), timestamp, distinct_id, ""])
    return out.getvalue()


@pytest.fixture
def cleanup(demo_home: Path) -> Iterator[None]:
    """Leave the shared demo data directory as it was."""
    yield
    catalog = Catalog(demo_home)
    if NAME in catalog:
        catalog.delete(NAME)


@pytest.mark.browser
def test_a_json_property_breaks_retention_down_one_curve_per_value(
    app_page: Any,
    demo_home: Path,
    tmp_path: Path,
    artifact_path: Callable[[str], Path],
    cleanup: None,
) -> None:
    path = tmp_path / "posthog-events.csv"
    path.write_text(posthog_csv())
    page = app_page.goto_app("Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    page.wait_for_app()
    page.get_by_text("Detected: PostHog export of events").wait_for()
    name = page.get_by_label("Dataset name")
    name.fill(NAME)
    name.press("Enter")
    page.wait_for_app()
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_app()
    page.get_by_text("9 rows saved").wait_for()

    info = Catalog(demo_home).get(NAME)
    assert info.entities == 4  # persons: the anonymous visits of alice and carol are theirs
    assert "plan" in info.property_columns and "$browser" in info.property_columns

    query = f"Retention?dataset={NAME.replace(' ', '+')}&breakdown=plan"
    page = app_page.goto_app(query)
    chart = page.locator(".vega-embed").filter(has_text="Retention by value").first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(artifact_path("retention-by-json-property.png")), full_page=True)
    labels = [t.strip() for t in chart.locator("svg text").all_text_contents()]
    # One curve per value of the property that came out of the JSON column, each with its persons
    # (bob and anon-2 on free; alice and carol on pro, their anonymous visits merged into them).
    assert "free · 2 users" in labels and "pro · 2 users" in labels, labels
    assert chart.locator("svg path[aria-roledescription='line mark']").count() >= 2
