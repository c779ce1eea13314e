"""`prodops team` and `prodops audit` act as PRODOPS_USER and obey the roles (issue 15)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from prodops.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_local_mode_everyone_is_an_admin_and_every_change_is_audited(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRODOPS_ADMINS", raising=False)
    monkeypatch.setenv("PRODOPS_USER", "ana")
    assert run(capsys, "team", "whoami")[1].startswith("ana: admin (local mode")
    assert run(capsys, "team", "set-role", "Bo@Example.com", "editor")[1] == (
        "bo@example.com is now an editor\n"
    )
    code, out, _ = run(capsys, "audit", "--format", "json")
    [entry] = json.loads(out)["entries"]
    assert (code, entry["actor"], entry["action"], entry["entity"]) == (
        0,
        "ana",
        "insert",
        "team_member",
    )
    assert json.loads(entry["after"])["role"] == "editor"


def test_team_mode_only_admins_assign_roles_and_read_the_trail(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_ADMINS", "lead@example.com")
    monkeypatch.setenv("PRODOPS_USER", "lead@example.com")
    assert run(capsys, "team", "set-role", "bo@example.com", "editor")[0] == 0
    monkeypatch.setenv("PRODOPS_USER", "bo@example.com")
    assert run(capsys, "team", "whoami")[1] == "bo@example.com: editor (team mode)\n"
    for argv in (("team", "set-role", "bo@example.com", "admin"), ("audit",)):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1 and "bo@example.com is an editor and cannot do this" in err
        assert "needs the admin role" in err and "Traceback" not in err
    monkeypatch.setenv("PRODOPS_USER", "=cmd|' /C calc'!A0")  # a hostile identity, a viewer
    assert "is a viewer" in run(capsys, "team", "remove", "bo@example.com")[2]
    monkeypatch.setenv("PRODOPS_USER", "lead@example.com")
    code, out, _ = run(capsys, "team", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["identity"], r["role"], r["from"]) for r in rows] == [
        ("lead@example.com", "admin", "PRODOPS_ADMINS"),
        ("bo@example.com", "editor", "assigned"),
    ]
    code, out, _ = run(capsys, "audit", "--who", "lead@example.com", "--since", "2026-01-01")
    assert code == 0 and "team_member" in out
    code, _, err = run(capsys, "audit", "--since", "yesterday")
    assert code == 2 and "--since: 'yesterday' is not a date" in err
