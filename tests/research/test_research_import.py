"""Reading customer-voice exports: presets, rejected rows with their numbers, re-imports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from prodops.errors import ColumnError, InputError
from prodops.research.importers import (
    default_mapping,
    detect_preset,
    import_file,
    read_note_file,
    to_notes,
)
from prodops.research.search import search_notes
from prodops.store.db import init_store, read_session

DATA = Path(__file__).parent / "data"


@pytest.fixture
def store() -> Engine:
    return init_store()


@pytest.mark.parametrize(
    ("name", "preset", "kind"),
    [
        ("intercom.csv", "intercom", "support_ticket"),
        ("zendesk.csv", "zendesk", "support_ticket"),
        ("productboard.csv", "productboard", "interview"),
        ("dovetail.jsonl", "dovetail", "interview"),
        ("nps.csv", "nps", "nps_comment"),
    ],
)
def test_known_exports_are_recognised_with_their_kind(name: str, preset: str, kind: str) -> None:
    file = read_note_file(DATA / name)
    assert detect_preset(file.headers) == preset
    notes = to_notes(
        file.frame, default_mapping(file.headers), source_kind=None, preset=preset, label=name
    )
    assert set(notes.rows["source_kind"]) == {kind}


def test_intercom_rows_keep_customer_date_link_tags_and_reject_bad_rows_by_number() -> None:
    file = read_note_file(DATA / "intercom.csv")
    notes = to_notes(file.frame, default_mapping(file.headers), source_kind=None, preset="intercom")
    first = notes.rows.iloc[0].to_dict()
    assert first["text"] == "SSO: We need SAML single sign-on, our IT insists"
    assert (first["customer_id"], first["customer_email"], first["customer_company"]) == (
        "u000027",
        "ann@acme.io",
        "Acme",
    )
    assert first["noted_on"] == dt.date(2026, 3, 2)
    assert first["tags"] == ["sso", "security"]
    assert first["link"] == "https://app.intercom.com/a/ic-1"
    # ic-3 has a title only ("Empty"): kept as its text; ic-4's date is unreadable: row 4.
    assert list(notes.rows["source_id"]) == ["ic-1", "ic-2", "ic-3"]
    assert notes.rejected.to_dict("records") == [
        {"row": 4, "reason": "date 'not a date' cannot be read"}
    ]


def test_zendesk_tags_split_on_spaces_and_a_repeated_id_is_rejected() -> None:
    file = read_note_file(DATA / "zendesk.csv")
    notes = to_notes(file.frame, default_mapping(file.headers), source_kind=None, preset="zendesk")
    assert notes.rows.iloc[1]["tags"] == ["billing", "invoices"]
    assert notes.rejected.to_dict("records") == [{"row": 3, "reason": "id '101' repeats row 1"}]


def test_nps_scores_out_of_range_are_rejected_and_a_bare_score_is_kept() -> None:
    file = read_note_file(DATA / "nps.csv")
    notes = to_notes(
        file.frame,
        default_mapping(file.headers),
        source_kind=None,
        preset="nps",
        property_cols=["Plan"],
    )
    assert notes.rows[["source_id", "score"]].values.tolist() == [["r1", 10], ["r2", 3], ["r3", 8]]
    assert notes.rows.iloc[0]["properties"] == {"Plan": "pro"}
    assert notes.rejected.to_dict("records") == [
        {"row": 4, "reason": "score '11' is not a whole number from 0 to 10"}
    ]


def test_a_generic_file_needs_a_text_column_and_a_kind() -> None:
    file = read_note_file(DATA / "generic.csv")
    mapping = default_mapping(file.headers)
    assert mapping["text"] == "quote" and mapping["source_id"] == "ref"
    with pytest.raises(ColumnError, match="--source-kind"):
        to_notes(file.frame, mapping, source_kind=None, label="generic.csv")
    with pytest.raises(ColumnError, match="text"):
        to_notes(file.frame, {**mapping, "text": None}, source_kind="interview")
    with pytest.raises(ColumnError, match="Did you mean 'quote'"):
        to_notes(file.frame, {**mapping, "text": "qoute"}, source_kind="interview")


def test_a_malformed_line_is_reported_with_its_row_and_the_rows_after_it_keep_theirs(
    store: Engine,
) -> None:
    outcome = import_file(
        store,
        DATA / "generic.csv",
        actor="ann",
        source_kind="sales_call",
        mapping={"noted_on": "when", "customer_id": "account", "customer_company": None},
    )
    assert outcome.rejected.to_dict("records") == [{"row": 2, "reason": "too many fields"}]
    assert (outcome.counts.created, outcome.source) == (2, "file:generic.csv")
    with read_session(store) as s:
        found = search_notes(session=s)
    assert sorted(found["source_id"]) == ["g1", "g3"]
    assert set(found["customer_id"]) == {"u000031", "u000033"}
    assert set(found["source_kind"]) == {"sales_call"}


def test_importing_the_same_export_twice_updates_instead_of_duplicating(store: Engine) -> None:
    first = import_file(store, DATA / "intercom.csv", actor="ann")
    again = import_file(store, DATA / "intercom.csv", actor="bob")
    assert (first.counts.created, again.counts.created, again.counts.unchanged) == (3, 0, 3)
    with read_session(store) as s:
        assert len(search_notes(session=s)) == 3


def test_a_file_with_no_importable_row_says_so(tmp_path: Path, store: Engine) -> None:
    path = tmp_path / "empty-notes.csv"
    path.write_text("id,text\n1,\n2,\n")
    with pytest.raises(InputError, match=r"no row could be imported \(row 1: the note text"):
        import_file(store, path, actor="ann", source_kind="review")
