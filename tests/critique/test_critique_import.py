"""Reading Jira, Linear, Productboard and generic roadmap exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodops.critique.roadmap_import import (
    apply_mapping,
    default_mapping,
    detect_preset,
    read_roadmap,
)
from prodops.errors import ColumnError, InputError, UnreadableFileError

DATA = Path(__file__).parent / "data"


def test_jira_export_with_bom_and_repeated_labels_columns() -> None:
    file = read_roadmap(DATA / "jira.csv")
    assert file.headers[0] == "Summary"  # the BOM is gone
    assert file.groups["Labels"] == ("Labels", "Labels.1", "Labels.2")
    assert detect_preset(file.headers) == "jira"
    mapping = default_mapping(file)
    assert mapping["effort"] == "Custom field (Story Points)"
    assert mapping["parent"] == "Epic Link"
    items = apply_mapping(file, mapping)
    assert items["key"].tolist() == ["PRJ-1", "PRJ-2", "PRJ-3"]
    assert items["tags"].tolist() == [
        ["security", "enterprise"],
        ["ui"],
        ["billing", "pricing", "revenue"],
    ]
    assert items["target_period"].tolist() == ["2026.1, 2026.2", "2026.1", ""]
    assert items["effort"].tolist()[:2] == [8.0, 3.0]
    assert items["effort"].isna().tolist() == [False, False, True]
    assert items.loc[0, "description"] == "SAML and OIDC, for big customers"
    assert items.loc[0, "owner"] == "Ann"


def test_jira_original_estimate_in_seconds_becomes_days() -> None:
    text = "Issue key,Summary,Original Estimate\nA-1,One,57600\nA-2,Two,14400\n"
    file = read_roadmap(text.encode())
    items = apply_mapping(file, default_mapping(file))
    assert items["effort"].tolist() == [2.0, 0.5]  # 8-hour days


def test_linear_export_with_semicolons() -> None:
    file = read_roadmap(DATA / "linear.csv")
    assert detect_preset(file.headers) == "linear"
    items = apply_mapping(file, default_mapping(file))
    assert items[["key", "title", "team", "target_period", "parent"]].to_dict("records")[0] == {
        "key": "ENG-12",
        "title": "Faster search",
        "team": "Core",
        "target_period": "Cycle 7",
        "parent": "Search v2",
    }
    assert items["tags"].tolist() == [["perf", "search"], ["integrations"]]
    assert items.loc[0, "effort"] == 5.0


def test_productboard_export_with_tabs() -> None:
    file = read_roadmap(DATA / "productboard.tsv")
    assert detect_preset(file.headers) == "productboard"
    items = apply_mapping(file, default_mapping(file))
    assert items.loc[0, ["key", "title", "owner", "target_period"]].tolist() == [
        "PB-1",
        "CSV export",
        "cy@example.com",
        "Q1 2027",
    ]


def test_generic_file_without_keys_gets_title_keys_and_edited_mapping_wins() -> None:
    file = read_roadmap(b"Name,Quarter,Size\nDark  Mode,2026-Q1,3\nSSO,2026-Q2,\n")
    assert detect_preset(file.headers) == "generic"
    mapping = default_mapping(file)
    assert mapping["title"] == "Name" and mapping["target_period"] == "Quarter"
    assert mapping["effort"] == "Size"
    items = apply_mapping(file, mapping)
    assert items["key"].tolist() == ["title:dark mode", "title:sso"]
    mapping["effort"] = None
    assert apply_mapping(file, mapping)["effort"].isna().all()


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (b"", UnreadableFileError, "empty"),
        (b"\x00\x01\x02binary", UnreadableFileError, "not a text file"),
        (b"Issue key,Summary\nA-1,\n", InputError, "row 2: this row has no title"),
        (b"Issue key,Summary\nA-1,x\nA-1,y\n", InputError, r"appears twice \(rows 2 and 3\)"),
        (
            b"Issue key,Summary,Story Points\nA-1,x,lots\n",
            InputError,
            "row 2, column 'Story Points'",
        ),
        (b"Foo,Bar\n1,2\n", ColumnError, "no column is mapped to the title"),
    ],
)
def test_bad_files_fail_with_a_clear_message(text: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        file = read_roadmap(text, name="r.csv")
        apply_mapping(file, default_mapping(file))


def test_a_mapped_column_that_is_not_in_the_file_suggests_a_close_one() -> None:
    file = read_roadmap(b"Issue key,Summary\nA-1,x\n")
    with pytest.raises(ColumnError, match="Did you mean 'Summary'"):
        apply_mapping(file, {"title": "Sumary"})
