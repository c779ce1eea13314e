"""`prodops critique ...` commands."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from prodops.cli import main
from prodops.critique import crud, framework, scoring
from prodops.critique.models import CritiqueSessionCreate
from prodops.store.db import init_store, write_session

JIRA = Path(__file__).parent / "data" / "jira.csv"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_import_twice_creates_then_leaves_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert json.loads(run(capsys, "critique", "import", str(JIRA), "--format", "json")[1]) == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert json.loads(run(capsys, "critique", "import", str(JIRA), "--format", "json")[1]) == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    status, out, _ = run(capsys, "critique", "items", "--format", "csv")
    assert status == 0
    assert pd.read_csv(io.StringIO(out))["key"].tolist() == ["PRJ-2", "PRJ-1", "PRJ-3"]


def test_import_with_a_mapping_override_and_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys,
        "critique",
        "import",
        str(JIRA),
        "--map",
        "owner=",
        "--map",
        "team=Assignee",
        "--dry-run",
        "--format",
        "json",
    )
    assert status == 0, err
    first = json.loads(out)["items"][0]
    assert (first["owner"], first["team"], first["tags"]) == ("", "Ann", "security, enterprise")
    assert run(capsys, "critique", "items", "--format", "json")[1].strip() == '{"items": []}'


def test_export_a_session_as_markdown_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "critique", "import", str(JIRA))
    with write_session(init_store()) as s:
        ids = [i.id or 0 for i in crud.list_items(session=s)]
        sid = (
            crud.create_session(
                session=s,
                session_in=CritiqueSessionCreate(
                    name="Q1 critique",
                    held_on=dt.date(2026, 11, 20),
                    framework=framework("ice").to_dict(),
                ),
                item_ids=ids,
            ).id
            or 0
        )
        scoring.submit_scores(
            session=s,
            session_id=sid,
            reviewer="Ann",
            scores={i: {"impact": 2 + n, "confidence": 5, "ease": 2} for n, i in enumerate(ids)},
        )
        scoring.record_decision(
            session=s,
            session_id=sid,
            item_id=ids[2],
            decision="approve",
            rationale="best ICE",
            decided_by="Lea",
        )
    status, out, _ = run(capsys, "critique", "export", "Q1 critique", "--format", "md")
    assert status == 0
    assert "| 1 | Usage\\-based billing (PRJ\\-3) | 40.0 | Approve | best ICE | Lea |" in out
    status, out, _ = run(capsys, "critique", "export", str(sid), "--format", "csv")
    frame = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert frame["overall_mean"].tolist() == [40.0, 30.0, 20.0]
    assert frame["decision"].tolist() == ["Approve", "", ""]
    exported = json.loads(run(capsys, "critique", "export", "Q1 critique", "--format", "json")[1])
    assert exported["reviewers"] == ["Ann"]
    assert [i["decision"] for i in exported["items"]] == ["Approve", "", ""]
    assert exported["items"][0]["impact_mean"] == 4.0
    status, out, _ = run(capsys, "critique", "sessions", "--format", "json")
    assert json.loads(out)["sessions"][0]["reviewers_submitted"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("critique", "export", "Q9"), "no critique session named 'Q9'"),
        (("critique", "import", "missing.csv"), "missing.csv: cannot read the file"),
        (("critique", "import", str(JIRA), "--map", "nonsense"), "is not FIELD=HEADER"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1
