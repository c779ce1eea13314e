"""`prodops insights ...`: the CLI contract (JSON shapes, exit status 2 with one line)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from prodops.cli import main
from prodops.critique import crud as critique_crud
from prodops.critique.models import RoadmapItemCreate
from prodops.research import crud, item_insight_ids
from prodops.store.db import init_store, read_session, write_session

DATA = Path(__file__).parent / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["insights", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_import_reports_counts_and_rejected_rows_and_reimport_updates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, _ = run(capsys, "import", str(DATA / "zendesk.csv"), "--format", "json")
    assert status == 0
    assert json.loads(out) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "rejected_rows": [{"row": 3, "reason": "id '101' repeats row 1"}],
    }
    changed = tmp_path / "zendesk.csv"
    changed.write_text((DATA / "zendesk.csv").read_text().replace("never finish", "time out"))
    status, out, err = run(capsys, "import", str(changed))
    assert status == 0 and "zendesk.csv, row 3: id '101' repeats row 1" in err
    assert out.split("\n")[1].split() == ["0", "1", "1", "1"]


def test_list_filters_by_tag_search_and_kind_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(DATA / "intercom.csv"))
    run(capsys, "import", str(DATA / "zendesk.csv"))
    status, out, _ = run(capsys, "list", "--tag", "export", "--format", "json")
    assert status == 0
    assert sorted(n["source_id"] for n in json.loads(out)["notes"]) == ["101", "ic-2"]
    _, out, _ = run(capsys, "list", "--search", "SAML insists", "--format", "json")
    assert [n["source_id"] for n in json.loads(out)["notes"]] == ["ic-1"]
    _, out, _ = run(
        capsys, "list", "--customer", "beta", "--date-from", "2026-04-01", "--format", "json"
    )
    assert [n["source_id"] for n in json.loads(out)["notes"]] == ["102"]


def test_duplicates_prints_pairs_of_source_ids_with_their_similarity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,text\n"
        "c1,We need single sign-on with Okta before the company-wide rollout\n"
        "c2,We need single sign-on with Okta befor the company-wide rolout\n"
        "c3,Invoices need the VAT number\n"
        "c4,Dark mode for the night shift\n"
        "c5,Slack alerts when churn goes up\n"
    )
    run(capsys, "import", str(path), "--source-kind", "sales_call")
    status, out, _ = run(capsys, "duplicates", "--format", "json")
    document = json.loads(out)
    assert status == 0 and list(document) == ["pairs"]
    assert [(p["a"], p["b"]) for p in document["pairs"]] == [("c1", "c2")]
    assert 0.5 <= document["pairs"][0]["similarity"] <= 1
    _, out, _ = run(capsys, "duplicates", "--threshold", "0.99", "--format", "json")
    assert json.loads(out) == {"pairs": []}
    status, _, err = run(capsys, "duplicates", "--threshold", "2")
    assert status == 2 and err.count("\n") == 1 and "not in (0, 1]" in err


def test_add_and_link_an_insight_to_a_roadmap_item(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(DATA / "intercom.csv"))
    engine = init_store()
    with write_session(engine) as s:
        item = critique_crud.create_item(
            session=s, item_in=RoadmapItemCreate(title="SSO", key="PRJ-7")
        )
    status, out, _ = run(
        capsys, "add", "Customers need SSO", "--note", "ic-1", "--by", "ann", "--format", "json"
    )
    assert status == 0 and json.loads(out)["notes"] == 1
    status, out, _ = run(capsys, "link", "customers need sso", "--item", "PRJ-7", "--by", "ann")
    assert status == 0 and "PRJ-7" in out
    with read_session(engine) as s:
        insight_ids = item_insight_ids(session=s, item_id=item.id or 0)
        assert len(insight_ids) == 1
        assert crud.get_insight(session=s, insight_id=insight_ids[0]).created_by == "ann"
    status, _, err = run(capsys, "link", "Customers need SSO", "--item", "PRJ-8")
    assert status == 2 and "Did you mean 'PRJ-7'?" in err and err.count("\n") == 1
    status, _, err = run(capsys, "link", "No such claim", "--key-result", "1")
    assert status == 2 and "no insight 'No such claim'" in err


def test_export_neutralises_formula_cells(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "evil.csv"
    path.write_text("id,text,company\ne1,\"=cmd|' /C calc'!A0\",@SUM(1)\ne2,+1-1,-Acme\n")
    status, _, _ = run(capsys, "import", str(path), "--source-kind", "review")
    assert status == 0
    status, out, _ = run(capsys, "export")
    rows = {r["source_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["e1"]["text"] == "'=cmd|' /C calc'!A0"
    assert rows["e1"]["customer_company"] == "'@SUM(1)"
    assert rows["e2"]["text"] == "'+1-1" and rows["e2"]["customer_company"] == "'-Acme"


def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "import", str(tmp_path / "missing.csv"))
    assert status == 2 and err.count("\n") == 1 and "no such file" in err
    shutil.copy(DATA / "generic.csv", tmp_path / "generic.csv")
    status, _, err = run(capsys, "import", str(tmp_path / "generic.csv"))
    assert status == 2 and "--source-kind" in err and err.count("\n") == 1
