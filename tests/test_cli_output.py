"""How the CLI writes frames: missing values are blank in tables and empty in CSV."""

from __future__ import annotations

import io

import pandas as pd

from prodops.cli.output import write_frame, write_json


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01", "2024-01-08"]).tz_localize("UTC"),
            "count": pd.array([3, None], dtype="Int64"),
            "rate": [0.5, float("nan")],
            "label": ["a", None],
        }
    )


def test_tables_print_every_kind_of_missing_value_as_a_blank() -> None:
    out = io.StringIO()
    write_frame(_frame(), "table", out)
    lines = out.getvalue().splitlines()
    assert lines[1].split() == ["2024-01-01T00:00:00+00:00", "3", "0.5", "a"]
    assert lines[2].split() == ["2024-01-08T00:00:00+00:00"]
    assert "None" not in out.getvalue() and "<NA>" not in out.getvalue()


def test_csv_leaves_missing_values_empty_and_timestamps_in_iso_8601() -> None:
    out = io.StringIO()
    write_frame(_frame(), "csv", out)
    assert out.getvalue().splitlines() == [
        "cohort,count,rate,label",
        "2024-01-01T00:00:00+00:00,3,0.5,a",
        "2024-01-08T00:00:00+00:00,,,",
    ]


def test_an_empty_frame_says_so() -> None:
    out = io.StringIO()
    write_frame(_frame().iloc[0:0], "table", out)
    assert out.getvalue() == "(no rows)\n"


def test_json_writes_null_for_missing_and_iso_timestamps() -> None:
    out = io.StringIO()
    write_json({"t": pd.Timestamp("2024-01-01", tz="UTC"), "x": float("nan"), "n": pd.NA}, out)
    assert out.getvalue() == '{"t": "2024-01-01T00:00:00+00:00", "x": null, "n": null}\n'
