"""Real export shapes: properties unpacked from JSON, and people stitched across anonymous ids.

Each fixture is written here in the shape the tool exports (PostHog CSV, Amplitude and Segment
JSON lines); every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from prodops.data.catalog import Catalog
from prodops.data.importer import Inspection, import_into, scratch_connection, workspace
from prodops.data.inspection import inspect_file
from prodops.data.validate import ValidationReport
from prodops.metrics.retention import retention

Write = Callable[[str, bytes | str], Path]


def load(inspection: Inspection, path: Path) -> tuple[ValidationReport, pd.DataFrame]:
    with workspace() as work, scratch_connection(path, work) as con:
        report = import_into(con, path, inspection.plan, table="t", workdir=work)
        frame = con.execute("SELECT * FROM t ORDER BY rowid").df()
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE t)").fetchall())
    frame.attrs["types"] = types
    return report, frame


# --- PostHog ------------------------------------------------------------------------------------

# (uuid, event, distinct_id, timestamp, properties). Weeks start on Monday 1, 8 and 15 January.
# anon-1 browses on 1 Jan and signs up as alice on 2 Jan ($identify); anon-3 becomes carol on
# 8 Jan; anon-2 never signs up; bob is identified from the start.
POSTHOG_EVENTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("0001", "$pageview", "anon-1", "2024-01-01T10:00:00Z", {"plan": "pro", "$browser": "Chrome"}),
    ("0002", "$identify", "alice", "2024-01-02T10:00:00Z",
     {"plan": "pro", "$browser": "Chrome", "$anon_distinct_id": "anon-1", "$set": {"seats": 5}}),
    ("0003", "$pageview", "bob", "2024-01-02T11:00:00Z", {"plan": "free", "$browser": "Safari"}),
    ("0004", "$pageview", "anon-2", "2024-01-03T09:00:00Z", {"plan": "free", "$browser": "Safari"}),
    ("0005", "$pageview", "anon-3", "2024-01-08T09:00:00Z", {"plan": "pro", "$browser": "Firefox"}),
    ("0006", "$identify", "carol", "2024-01-08T09:05:00Z",
     {"plan": "pro", "$browser": "Firefox", "$anon_distinct_id": "anon-3"}),
    ("0007", "$pageview", "alice", "2024-01-09T10:00:00Z",
     {"plan": "pro", "$browser": "Chrome", "$screen_width": 1440, "$is_first": False}),
    ("0008", "$pageview", "carol", "2024-01-15T09:00:00Z", {"plan": "pro", "$browser": "Firefox"}),
    ("0009", "$pageview", "bob", "2024-01-16T11:00:00Z", {"plan": "free", "$browser": "Safari"}),
]  # fmt: skip


def posthog_csv(write: Write, *, person_ids: dict[str, str] | None = None) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["uuid", "event", "properties", "timestamp", "distinct_id", "elements_chain"]
    writer.writerow(header + (["person_id"] if person_ids is not None else []))
    for uuid, event, distinct_id, timestamp, props in POSTHOG_EVENTS:
        row = [f"018d{uuid}-0000-7000-8000-000000000000", event, json.dumps(props), timestamp,
               distinct_id, ""]  # fmt: skip
        if person_ids is not None:
            row.append(person_ids.get(distinct_id, ""))
        writer.writerow(row)
    return write("posthog-events.csv", out.getvalue())


def test_posthog_properties_become_typed_columns(write_file: Write) -> None:
    path = posthog_csv(write_file)
    inspection = inspect_file(path)
    assert inspection.json_columns == ("properties",)
    report, frame = load(inspection, path)
    assert report.rows_accepted == 9
    assert list(frame.columns) == [
        "user_id", "event", "timestamp", "uuid", "elements_chain",
        # keys of `properties`, most frequent first: plan and $browser (9 rows), the link of
        # $identify (2), then once each, by name; $set.seats is nested
        "$browser", "plan", "$anon_distinct_id", "$is_first", "$screen_width", "$set.seats",
    ]  # fmt: skip
    types = frame.attrs["types"]
    assert (types["plan"], types["$screen_width"], types["$is_first"]) == (
        "VARCHAR", "DOUBLE", "BOOLEAN",
    )  # fmt: skip
    assert frame["$screen_width"].dropna().tolist() == [1440.0]
    assert frame["$set.seats"].dropna().tolist() == [5.0]
    assert frame["plan"].tolist() == [
        "pro",
        "pro",
        "free",
        "free",
        "pro",
        "pro",
        "pro",
        "pro",
        "free",
    ]
    assert "unpacked 6 JSON keys from 'properties' into property columns" in report.notes


def test_posthog_identify_merges_anonymous_ids_into_the_person(write_file: Write) -> None:
    path = posthog_csv(write_file)
    report, frame = load(inspect_file(path), path)
    # anon-1 -> alice and anon-3 -> carol: six ids, four persons
    assert report.ids_merged == 2
    assert frame["user_id"].tolist() == [
        "alice", "alice", "bob", "anon-2", "carol", "carol", "alice", "carol", "bob",
    ]  # fmt: skip
    assert any(n.startswith("people: 2 ids merged into persons") for n in report.notes)


def test_raw_ids_are_kept_on_request(write_file: Write) -> None:
    path = posthog_csv(write_file)
    report, frame = load(inspect_file(path).with_raw_ids(True), path)
    assert report.ids_merged == 0
    assert frame["user_id"].tolist()[:2] == ["anon-1", "alice"]


def test_a_posthog_person_id_column_is_used_when_present(write_file: Write) -> None:
    # PostHog knew both anonymous ids' persons already
    persons = {"anon-1": "p-alice", "alice": "p-alice", "bob": "p-bob", "anon-3": "p-carol",
               "carol": "p-carol"}  # fmt: skip
    path = posthog_csv(write_file, person_ids=persons)
    inspection = inspect_file(path)
    assert (inspection.plan.people.mode, inspection.plan.people.column) == ("person", "person_id")
    report, frame = load(inspection, path)
    # anon-2 has no person: it keeps its id. Seven ids (anon-1, alice, bob, anon-2, anon-3,
    # carol) -> p-alice, p-bob, anon-2, p-carol: 6 ids, 4 persons
    assert report.ids_merged == 2
    assert frame["user_id"].tolist() == [
        "p-alice", "p-alice", "p-bob", "anon-2", "p-carol", "p-carol", "p-alice", "p-carol",
        "p-bob",
    ]  # fmt: skip


def test_retention_by_a_plan_from_json_with_persons_merged(write_file: Write) -> None:
    path = posthog_csv(write_file)
    Catalog().import_file(path, name="posthog")
    with Catalog().open("posthog") as table:
        result = retention(
            table, period="week", periods=3, breakdown="plan",
            date_from="2024-01-01", date_to="2024-01-21",
        )  # fmt: skip
    cells = {
        (r.breakdown, r.cohort.strftime("%m-%d"), r.offset): (r.size, r.count)
        for r in result.itertuples()
    }
    # pro: alice (first seen as anon-1 in week 1, back in week 2), carol (week 2, back week 3)
    assert cells[("pro", "01-01", 0)] == (1, 1)
    assert cells[("pro", "01-01", 1)] == (1, 1)
    assert cells[("pro", "01-01", 2)] == (1, 0)
    assert cells[("pro", "01-08", 0)] == (1, 1)
    assert cells[("pro", "01-08", 1)] == (1, 1)
    # free: bob and anon-2 in week 1; bob back in week 3 only
    assert [cells[("free", "01-01", k)] for k in range(3)] == [(2, 2), (2, 0), (2, 1)]


# --- Amplitude ----------------------------------------------------------------------------------


def amplitude_jsonl(write: Write) -> Path:
    def line(kind: str, time: str, user: str | None, device: str, **props: Any) -> str:
        return json.dumps(
            {
                "amplitude_id": 100 + int(device[1:]),
                "event_type": kind,
                "event_time": time,
                "user_id": user,
                "device_id": device,
                "event_properties": props.get("ev", {}),
                "user_properties": props.get("up", {}),
                "groups": props.get("groups", {}),
            }
        )

    lines = [
        # d1 is anonymous, then signs up as u-ann on the same device
        line("session_start", "2024-01-01 09:00:00.000000", None, "d1",
             ev={"screen": "home"}, up={"plan": "free"}),
        line("sign_up", "2024-01-01 09:10:00.000000", "u-ann", "d1",
             ev={"method": "google", "plan": "trial"}, up={"plan": "pro"},
             groups={"company": "acme"}),
        # d2 never signs up: kept under its device id, not rejected as "empty user id"
        line("session_start", "2024-01-02 08:00:00.000000", None, "d2",
             ev={"screen": "pricing"}, up={"plan": "free"}),
        line("session_start", "2024-01-03 08:00:00.000000", "u-ann", "d1",
             ev={"screen": "home"}, up={"plan": "pro"}),
    ]  # fmt: skip
    return write("amplitude.jsonl", "\n".join(lines) + "\n")


def test_amplitude_properties_collide_into_prefixed_names(write_file: Write) -> None:
    path = amplitude_jsonl(write_file)
    inspection = inspect_file(path)
    assert inspection.plan.mapping.preset == "amplitude"
    report, frame = load(inspection, path)
    assert (report.rows_accepted, report.rows_rejected) == (4, 0)
    props = [c for c in frame.columns if c not in ("user_id", "event", "timestamp")]
    # event_properties first (screen 3 rows; method, plan 1), then user_properties (its plan
    # is taken: prefixed), then groups
    assert props == [
        "amplitude_id", "device_id",
        "screen", "method", "plan", "user_properties.plan", "company",
    ]  # fmt: skip
    assert frame["plan"].fillna("").tolist() == ["", "trial", "", ""]
    assert frame["user_properties.plan"].tolist() == ["free", "pro", "free", "pro"]
    assert frame["company"].fillna("").tolist() == ["", "acme", "", ""]


def test_amplitude_device_ids_are_stitched_to_the_user(write_file: Write) -> None:
    path = amplitude_jsonl(write_file)
    report, frame = load(inspect_file(path), path)
    # ids after the fallback: d1, u-ann, d2 -> d1 belongs to u-ann: one id merged
    assert report.ids_merged == 1
    assert frame["user_id"].tolist() == ["u-ann", "u-ann", "d2", "u-ann"]
    raw_report, raw = load(inspect_file(path).with_raw_ids(True), path)
    assert raw["user_id"].tolist() == ["d1", "u-ann", "d2", "u-ann"]
    assert raw_report.rows_rejected == 0


# --- Segment ------------------------------------------------------------------------------------


def segment_jsonl(write: Write) -> Path:
    def track(name: str, time: str, user: str | None, anon: str, **props: Any) -> str:
        return json.dumps(
            {
                "type": "track",
                "event": name,
                "userId": user,
                "anonymousId": anon,
                "messageId": f"ajs-{time}",
                "timestamp": time,
                "properties": props,
                "context": {
                    "library": {"name": "analytics.js", "version": "5.2.0"},
                    "locale": "de-DE",
                },
            }
        )

    lines = [
        track("Pricing Viewed", "2024-02-01T10:00:00.000Z", None, "a-1", plan="pro"),
        track("Signed Up", "2024-02-01T10:05:00.000Z", "s-1", "a-1", plan="pro", amount=49.5),
        track("Pricing Viewed", "2024-02-02T10:00:00.000Z", None, "a-2", plan="team"),
    ]
    return write("segment-tracks.jsonl", "\n".join(lines) + "\n")


def test_segment_track_calls_unpack_properties_and_context(write_file: Write) -> None:
    path = segment_jsonl(write_file)
    inspection = inspect_file(path)
    assert inspection.plan.mapping.preset == "segment"
    # the reader lifts `properties` to columns already (as for Mixpanel); `context` is unpacked
    assert inspection.json_columns == ("context",)
    report, frame = load(inspection, path)
    assert report.ids_merged == 1  # a-1 signed up as s-1; a-2 stays anonymous
    assert frame["user_id"].tolist() == ["s-1", "s-1", "a-2"]
    assert frame["plan"].tolist() == ["pro", "pro", "team"]
    assert frame["amount"].fillna("").tolist() == ["", "49.5", ""]
    assert frame["library.name"].tolist() == ["analytics.js"] * 3
    assert frame["locale"].tolist() == ["de-DE"] * 3


# --- generic JSON columns, the cap, values that are not JSON ------------------------------------


def test_a_generic_json_column_is_offered_and_can_be_turned_off(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        'user,action,time,meta\nu1,open,2024-01-01,"{""plan"": ""pro"", ""n"": 2}"\n'
        'u2,open,2024-01-02,"{""plan"": ""free""}"\n',
    )
    inspection = inspect_file(path)
    assert inspection.json_columns == ("meta",)
    _, frame = load(inspection, path)
    assert (frame["plan"].tolist(), frame["n"].tolist()[0]) == (["pro", "free"], 2.0)
    off = inspection.with_unpacking([])
    _, kept = load(off, path)
    assert list(kept.columns) == ["user_id", "event", "timestamp", "meta"]
    assert json.loads(kept["meta"][0]) == {"plan": "pro", "n": 2}


def test_only_the_most_frequent_keys_are_kept_and_the_report_says_so(
    write_file: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("prodops.data.unpack.MAX_KEYS", 3)
    # k0 in 4 rows, k1 in 3, k2 in 2, k3 and k4 in 1: k3 and k4 are left out
    rows = [{"k0": 1, "k1": 1, "k2": 1, "k3": 1}, {"k0": 1, "k1": 1, "k2": 1, "k4": 1},
            {"k0": 1, "k1": 1}, {"k0": 1}]  # fmt: skip
    body = "".join(
        f'u{i},open,2024-01-0{i + 1},"{json.dumps(r).replace(chr(34), chr(34) * 2)}"\n'
        for i, r in enumerate(rows)
    )
    path = write_file("e.csv", "user_id,event,timestamp,properties\n" + body)
    inspection = inspect_file(path)
    assert [k.name for k in inspection.plan.unpack.keys] == ["k0", "k1", "k2"]
    report, frame = load(inspection, path)
    assert "k3" not in frame.columns
    assert report.notes[-1] == (
        "kept the 3 most frequent JSON keys; 2 rarer keys were left out (at most 3)"
    )


def test_a_value_that_is_not_json_is_rejected_with_its_row(write_file: Write) -> None:
    path = write_file(
        "e.csv",
        'user_id,event,timestamp,properties\nu1,open,2024-01-01,"{""plan"": ""pro""}"\n'
        + "u2,open,2024-01-02,{}\n" * 3
        + "u3,open,2024-01-03,plan=pro\n",
    )
    inspection = inspect_file(path)
    # the sample of 2,000 rows sees 'plan=pro' too: not every value is an object
    assert inspection.json_columns == ()
    sampled = inspection.sample.head(4)
    plan = inspect_file(write_file("head.csv", sampled.frame().to_csv(index=False))).plan
    assert plan.unpack.sources == ("properties",)  # the first four rows alone are objects
    with workspace() as work, scratch_connection(path, work) as con:
        report = import_into(con, path, plan, table="t", workdir=work)
    assert report.rejected.values.tolist() == [[5, "properties", "plan=pro", "not a JSON object"]]


def test_a_json_column_of_empty_objects_is_kept_as_it_is(write_file: Write) -> None:
    path = write_file("e.csv", 'user_id,event,timestamp,groups\nu1,open,2024-01-01,"{}"\n')
    inspection = inspect_file(path)
    assert inspection.json_columns == ("groups",) and inspection.plan.unpack.keys == ()
    _, frame = load(inspection, path)
    assert frame["groups"].tolist() == ["{}"]


def test_json_keys_named_like_internal_columns_get_free_names(write_file: Write) -> None:
    doc = json.dumps({"rowid": 7, "_prodops_reason": "x", "Plan": "a", "plan": "b"})
    quoted = doc.replace('"', '""')
    path = write_file(
        "e.csv", f'user_id,event,timestamp,properties\nu1,open,2024-01-01,"{quoted}"\n'
    )
    report, frame = load(inspect_file(path), path)
    assert report.rows_accepted == 1
    # "plan" after "Plan" (case-insensitively the same name): prefixed with its column
    assert list(frame.columns)[3:] == ["Plan", "_prodops_reason", "properties.plan", "rowid_2"]
    assert frame["rowid_2"].tolist() == [7.0]
