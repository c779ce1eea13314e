"""CSV exports neutralise formula cells and headers (issue 17, item 6)."""

from __future__ import annotations

import io

import pandas as pd

from prodops.cli.output import write_frame
from prodops.export import neutralise_formulas, to_safe_csv

FRAME = pd.DataFrame(
    {
        '=HYPERLINK("x")': ["=1+1", "+1", "-x", "@a", "\tx", "ok", "-50", "-1+cmd|' /C calc'!A0"],
        "amount": [-5, -1.5, 0, 1, 2, 3, 4, 5],
        -1: ["a", "b", "c", "d", "e", "f", "g", "h"],
    }
)
EXPECTED = (
    '"\'=HYPERLINK(""x"")",amount,-1\n'
    "'=1+1,-5.0,a\n"
    "+1,-1.5,b\n"  # a number written as text runs nothing: kept as the file holds it
    "'-x,0.0,c\n"
    "'@a,1.0,d\n"
    "'\tx,2.0,e\n"
    "ok,3.0,f\n"
    "-50,4.0,g\n"
    "'-1+cmd|' /C calc'!A0,5.0,h\n"
)


def test_to_safe_csv_neutralises_cells_and_headers_but_not_numbers() -> None:
    assert to_safe_csv(FRAME) == EXPECTED


def test_the_cli_csv_writer_is_the_safe_writer() -> None:
    out = io.StringIO()
    write_frame(FRAME, "csv", out)
    assert out.getvalue() == EXPECTED


def test_neutralise_formulas_leaves_the_input_and_safe_text_alone() -> None:
    frame = pd.DataFrame({"plan": pd.Categorical(["=x", "pro"]), "note": ["'=x", None]})
    out = neutralise_formulas(frame)
    assert out["plan"].tolist() == ["'=x", "pro"]
    assert out["note"][0] == "'=x"  # already neutral: not quoted twice
    assert pd.isna(out["note"][1])
    assert frame["plan"].tolist() == ["=x", "pro"]
