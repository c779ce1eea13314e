"""``prodops qbr``: files in three formats, snapshots listed, bad input as one line and status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from prodops.cli import main
from prodops.data.catalog import Catalog


@pytest.fixture
def catalog(events: pd.DataFrame, subscriptions: pd.DataFrame) -> Catalog:
    catalog = Catalog()
    catalog.save("ev", events, kind="events")
    catalog.save("subs", subscriptions, kind="subscriptions")
    return catalog


def test_writes_html_saves_a_snapshot_and_lists_it(
    catalog: Catalog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q2.html"
    assert (
        main(["qbr", "--quarter", "2026-Q2", "--format", "html", "--out", str(out), "--save"]) == 0
    )
    printed = capsys.readouterr().out
    assert "saved 2026-Q2 revision 1" in printed and "subscriptions: subs, events: ev" in printed
    document = out.read_text()
    assert "Quarterly business review · Q2 2026" in document and "<svg" in document
    assert main(["qbr", "list", "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)["qbrs"]
    assert (listed["quarter"], listed["revision"], listed["events_dataset"]) == ("2026-Q2", 1, "ev")
    # --saved writes the snapshot: the same document
    again = tmp_path / "again.html"
    assert (
        main(["qbr", "--quarter", "2026-Q2", "--saved", "--format", "html", "--out", str(again)])
        == 0
    )
    assert again.read_text() == document


def test_markdown_and_sections_without_a_dataset(
    catalog: Catalog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q2.md"
    args = ["qbr", "--quarter", "2026-Q2", "--no-events", "--format", "md", "--out", str(out)]
    assert main(args) == 0
    text = out.read_text()
    assert "no events dataset chosen" in text and "No events data\\: no retention" in text
    assert sorted(p.name for p in (tmp_path / "q2_charts").iterdir()) == ["mrr_movements.png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026-Q5"], "prodops qbr: quarter: '2026-Q5' is not a quarter."),
        (["--quarter", "2026-Q2", "--events-dataset", "evx"], "no dataset named 'evx'"),
        (["--quarter", "2026-Q2", "--events-dataset", "subs"], "holds subscriptions, not events"),
        (["--quarter", "2026-Q1", "--saved"], "no saved QBR for 2026-Q1"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    catalog: Catalog,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "x.html"
    assert main(["qbr", *args, "--format", "html", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
