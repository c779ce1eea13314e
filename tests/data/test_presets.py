"""Known exports recognised from their headers, and the mapping to the canonical model."""

from __future__ import annotations

import pytest

from prodops.data.presets import ColumnMapping, check_mapping, detect_mapping
from prodops.errors import ColumnError, InputError


@pytest.mark.parametrize(
    ("headers", "preset", "columns"),
    [
        (
            ["uuid", "event", "properties", "timestamp", "distinct_id", "person_id"],
            "posthog",
            {"user_id": "distinct_id", "event": "event", "timestamp": "timestamp"},
        ),
        (
            ["event", "$distinct_id", "time", "$browser", "mp_country_code"],
            "mixpanel",
            {"user_id": "$distinct_id", "event": "event", "timestamp": "time"},
        ),
        (
            ["amplitude_id", "user_id", "event_type", "event_time", "platform"],
            "amplitude",
            {"user_id": "user_id", "event": "event_type", "timestamp": "event_time"},
        ),
        (
            ["amplitude_id", "event_type", "event_time"],
            "amplitude",
            {"user_id": "amplitude_id", "event": "event_type", "timestamp": "event_time"},
        ),
        (
            ["messageId", "anonymousId", "userId", "event", "timestamp", "context"],
            "segment",
            {"user_id": "userId", "event": "event", "timestamp": "timestamp"},
        ),
        (
            ["customer_id", "start_date", "end_date", "monthly_amount", "plan"],
            "dbt",
            {
                "customer_id": "customer_id",
                "start": "start_date",
                "end": "end_date",
                "mrr": "monthly_amount",
            },
        ),
    ],
)
def test_known_exports_are_recognised(
    headers: list[str], preset: str, columns: dict[str, str]
) -> None:
    mapping = detect_mapping(headers)
    assert mapping.preset == preset
    assert mapping.columns == columns
    assert set(mapping.properties) == set(headers) - set(columns.values())


def test_stripe_subscriptions_export_is_recognised() -> None:
    headers = [
        "id", "Customer ID", "Customer Email", "Plan", "Quantity", "Interval", "Amount",
        "Status", "Created (UTC)", "Start (UTC)", "Current Period Start (UTC)",
        "Current Period End (UTC)", "Canceled At (UTC)", "Ended At (UTC)", "Trial End (UTC)",
    ]  # fmt: skip
    mapping = detect_mapping(headers)
    assert (mapping.preset, mapping.kind) == ("stripe", "subscriptions")


def test_generic_names_are_matched_fuzzily_and_the_rest_kept_as_properties() -> None:
    mapping = detect_mapping(["User ID", "Event Name", "Occurred At", "Country"])
    assert (mapping.kind, mapping.preset) == ("events", "generic")
    assert mapping.columns == {
        "user_id": "User ID",
        "event": "Event Name",
        "timestamp": "Occurred At",
    }
    assert mapping.properties == ("Country",)


def test_generic_subscriptions_are_detected_by_their_amount_and_dates() -> None:
    mapping = detect_mapping(["account_id", "period_start", "period_end", "mrr", "plan"])
    assert mapping.kind == "subscriptions"
    assert mapping.columns == {
        "customer_id": "account_id",
        "start": "period_start",
        "end": "period_end",
        "mrr": "mrr",
    }


def test_asking_for_events_with_a_subscriptions_file_is_a_wrong_kind_error() -> None:
    with pytest.raises(InputError, match=r"looks like .*\(subscriptions\), not events"):
        detect_mapping(["customer_id", "start_date", "end_date", "monthly_amount"], kind="events")


def test_asking_for_subscriptions_with_an_events_file_is_a_wrong_kind_error() -> None:
    with pytest.raises(InputError, match=r"\(events\), not subscriptions"):
        detect_mapping(["user_id", "event", "timestamp"], kind="subscriptions")


def test_remapping_one_column_moves_the_old_one_to_properties() -> None:
    headers = ["user_id", "event", "timestamp", "account"]
    mapping = detect_mapping(headers).with_column("user_id", "account", headers)
    assert mapping.columns["user_id"] == "account"
    assert mapping.properties == ("user_id",)


def test_a_missing_timestamp_column_is_reported_with_a_suggestion() -> None:
    mapping = ColumnMapping(
        kind="events", columns={"user_id": "u", "event": "e", "timestamp": None}
    )
    with pytest.raises(ColumnError, match="no column for 'timestamp'"):
        check_mapping(mapping, ["u", "e", "plan"], label="x.csv")


def test_a_mapped_column_that_is_not_in_the_file_gets_did_you_mean() -> None:
    mapping = ColumnMapping(
        kind="events", columns={"user_id": "usr_id", "event": "event", "timestamp": "time"}
    )
    with pytest.raises(ColumnError, match="Did you mean 'user_id'"):
        check_mapping(mapping, ["user_id", "event", "time"])
