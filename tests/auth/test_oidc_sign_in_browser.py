"""Sign-in through a real OIDC provider: Streamlit's ``st.login`` against ``oidc-provider-mock``.

The provider runs on 127.0.0.1 (its own process); the app is started with an ``[auth]`` section
pointing at it (``--secrets.files``, so the checkout's own secrets are never touched). A browser
signs in on the provider's page, sees the signed-in name, checks in on a key result, and the store
holds that check-in authored by the identity.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops.errors import PermissionDeniedError
from prodops.okr import crud as okr_crud
from prodops.okr.models import CheckInCreate, KeyResultCreate, ObjectiveCreate
from prodops.store import audit
from prodops.store.access import SYSTEM
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]
SUB = "ana.lima@example.com"
NAME = "Ana Lima"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{url} did not come up; see {log}")
        time.sleep(0.2)


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def signed_in_app(tmp_path: Path, prodops_home: Path) -> Iterator[tuple[str, Path]]:
    """The OIDC provider and the app configured against it; yields (app URL, data directory)."""
    yield from _provider_and_app(tmp_path, prodops_home)


@pytest.fixture
def team_app(
    tmp_path: Path, prodops_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """Like :func:`signed_in_app` in team mode: Ana, who signs in, is not an admin (a viewer)."""
    monkeypatch.setenv("PRODOPS_ADMINS", "lead@example.com")
    yield from _provider_and_app(tmp_path, prodops_home)


def _provider_and_app(tmp_path: Path, prodops_home: Path) -> Iterator[tuple[str, Path]]:
    pytest.importorskip("oidc_provider_mock")
    env = {**os.environ, "PRODOPS_HOME": str(prodops_home), "PRODOPS_SETUP_ON_START": "0"}
    env.pop("PRODOPS_DATABASE_URL", None)
    idp_port, app_port = _free_port(), _free_port()
    claims = json.dumps({"sub": SUB, "email": SUB, "name": NAME})
    idp_log = tmp_path / "oidc.log"
    idp = _start(
        [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(idp_port),
            "--user-claims",
            claims,
        ],
        {**env, "AUTHLIB_INSECURE_TRANSPORT": "1"},
        idp_log,
    )
    idp_url = f"http://127.0.0.1:{idp_port}"
    app_url = f"http://127.0.0.1:{app_port}"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{"s" * 40}"\n'
        'client_id = "prodops-test"\n'
        'client_secret = "prodops-test-secret"\n'
        f'server_metadata_url = "{idp_url}/.well-known/openid-configuration"\n'
    )
    app_log = tmp_path / "streamlit.log"
    app = _start(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(app_port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--secrets.files",
            str(secrets),
        ],
        env,
        app_log,
    )
    try:
        _wait_for(f"{idp_url}/.well-known/openid-configuration", idp, idp_log)
        _wait_for(f"{app_url}/_stcore/health", app, app_log)
        yield app_url, prodops_home
    finally:
        _stop(app)
        _stop(idp)


@pytest.mark.browser
def test_sign_in_through_the_provider_then_check_in_as_that_identity(
    browser: Any, signed_in_app: tuple[str, Path]
) -> None:
    from playwright.sync_api import expect

    app_url, home = signed_in_app
    engine = init_store(f"sqlite:///{home / 'prodops.sqlite'}")
    # The page opens on today's quarter, or on the newest one with objectives when it is empty.
    quarter, start, end = "2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    with write_session(engine) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title="Signed-in objective", period=quarter, period_start=start, period_end=end
            ),
        )
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id, title="Deals", start_value=0, target_value=10
            ),
        )

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    done = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    try:
        page.goto(f"{app_url}/OKRs")
        page.wait_for_selector(done, state="attached", timeout=30_000)
        expect(page.get_by_text("Sign in to check in, score and decide")).to_be_visible()
        page.locator(".st-key-person_sign_in button").click()
        # The provider's own page: authorise the predefined user.
        page.get_by_role("button", name=SUB).click()
        page.wait_for_url(f"{app_url}/**", timeout=30_000)
        page.goto(f"{app_url}/OKRs")
        page.wait_for_selector(done, state="attached", timeout=30_000)
        expect(page.get_by_text(f"Checking in as {NAME} (signed in)")).to_be_visible()

        card = page.locator('[class*="st-key-okr_card_"]').filter(has_text="Signed-in objective")
        card.get_by_text("Check in, history, edit").click()
        card.locator('[class*="st-key-okr_ci_"][class*="_value"] input').fill("4")
        card.locator('[class*="st-key-okr_ci_"][class*="_submit"] button').click()
        page.wait_for_selector(done, state="attached", timeout=30_000)
        expect(page.get_by_text("Checked in 4 on 'Deals'.")).to_be_visible()
    finally:
        page.screenshot(path=str(ROOT / "test-artifacts" / "oidc-sign-in.png"), full_page=True)
        context.close()
    with read_session(engine) as session:
        [check_in] = okr_crud.history(session=session, key_result_id=kr.id)
    assert (check_in.value, check_in.author) == (4.0, NAME)
    engine.dispose()


def _objective_with_key_result(engine: Any, title: str) -> int:
    quarter, start, end = "2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    with write_session(engine, actor=SYSTEM) as session:
        objective = okr_crud.create_objective(
            session=session,
            objective_in=ObjectiveCreate(
                title=title, period=quarter, period_start=start, period_end=end
            ),
        )
        kr = okr_crud.create_key_result(
            session=session,
            key_result_in=KeyResultCreate(
                objective_id=objective.id, title="Deals", start_value=0, target_value=10
            ),
        )
    return kr.id or 0


@pytest.mark.browser
def test_a_signed_in_viewer_sees_no_edit_controls_and_a_forged_edit_is_refused(
    browser: Any, team_app: tuple[str, Path]
) -> None:
    from playwright.sync_api import expect

    app_url, home = team_app
    engine = init_store(f"sqlite:///{home / 'prodops.sqlite'}")
    kr_id = _objective_with_key_result(engine, "Team objective")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    done = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    try:
        page.goto(f"{app_url}/OKRs")
        page.wait_for_selector(done, state="attached", timeout=30_000)
        page.locator(".st-key-person_sign_in button").click()
        page.get_by_role("button", name=SUB).click()
        page.wait_for_url(f"{app_url}/**", timeout=30_000)
        page.goto(f"{app_url}/OKRs")
        page.wait_for_selector(done, state="attached", timeout=30_000)
        expect(page.get_by_text(f"Checking in as {NAME} (signed in)")).to_be_visible()
        expect(page.get_by_text("Editing needs the editor role").first).to_be_visible()
        card = page.locator('[class*="st-key-okr_card_"]').filter(has_text="Team objective")
        expect(card).to_be_visible()
        card.get_by_text("History", exact=True).click()
        page.wait_for_selector(done, state="attached", timeout=30_000)
        expect(card.get_by_text("Check in, history, edit")).to_have_count(0)
        expect(page.locator('[class*="st-key-okr_ci_"]')).to_have_count(0)
        expect(page.get_by_role("button", name="Refresh from metrics")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("^Archive"))).to_have_count(0)
        page.goto(f"{app_url}/Team")
        page.wait_for_selector(done, state="attached", timeout=30_000)
        expect(page.get_by_text("Your role: viewer.")).to_be_visible()
        expect(page.get_by_text("Only admins can read the audit trail.")).to_be_visible()
        expect(page.get_by_role("button", name="Set role")).to_have_count(0)
    finally:
        page.screenshot(path=str(ROOT / "test-artifacts" / "oidc-viewer.png"), full_page=True)
        context.close()
    # A forged edit: the viewer's identity calling the API (the pages hide the form, the core
    # refuses anyway), and the CLI acting as that identity.
    with (
        pytest.raises(PermissionDeniedError, match="is a viewer"),
        write_session(engine, actor=SUB) as session,
    ):
        okr_crud.add_check_in(
            session=session, check_in_in=CheckInCreate(key_result_id=kr_id, value=9)
        )
    cli = subprocess.run(
        [sys.executable, "-m", "prodops", "okr", "check-in", str(kr_id), "9", "--author", NAME],
        env={**os.environ, "PRODOPS_HOME": str(home), "PRODOPS_USER": SUB},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 2 and cli.stdout == ""
    assert cli.stderr.count("\n") == 1 and f"{SUB} is a viewer" in cli.stderr
    with read_session(engine) as session:
        assert okr_crud.history(session=session, key_result_id=kr_id) == []
        assert audit.list_entries(session=session, where=audit.AuditFilter(actor=SUB)) == []
    engine.dispose()
