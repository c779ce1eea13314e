"""Shared fixtures: a throwaway data directory per test, PostgreSQL schemas, the app + a browser.

PostgreSQL tests read ``PRODOPS_TEST_POSTGRES_URL``; browser tests need Debian's chromium. Both skip
with a reason when absent, and fail instead when ``PRODOPS_REQUIRE_POSTGRES=1`` /
``PRODOPS_REQUIRE_BROWSER=1`` (set by ``.ci/run``): in CI nothing may skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from prodops.store.db import get_engine, init_store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def _unavailable(flag: str, reason: str) -> None:
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason} ({flag}=1, so this may not skip)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def prodops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point PRODOPS_HOME at a fresh directory so no test touches a real data directory."""
    home = tmp_path / "prodops-home"
    home.mkdir()
    monkeypatch.setenv("PRODOPS_HOME", str(home))
    monkeypatch.delenv("PRODOPS_DATABASE_URL", raising=False)
    monkeypatch.setenv("PRODOPS_SETUP_ON_START", "0")  # pages start empty unless a test sets up
    return home


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the test PostgreSQL server (``PRODOPS_TEST_POSTGRES_URL``)."""
    url = os.environ.get("PRODOPS_TEST_POSTGRES_URL")
    if not url:
        _unavailable("PRODOPS_REQUIRE_POSTGRES", "PRODOPS_TEST_POSTGRES_URL is not set")
    assert url is not None
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as error:
        _unavailable("PRODOPS_REQUIRE_POSTGRES", f"PostgreSQL at {url} is unreachable: {error}")
    return url


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema on the test server, dropped afterwards."""
    import psycopg

    name = f"prodops_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def pg_ibis(postgres_url: str, pg_schema: str) -> Iterator[Any]:
    """An Ibis PostgreSQL backend whose tables go to the fresh schema."""
    import ibis

    con = ibis.connect(postgres_url)
    con.raw_sql(f'SET search_path TO "{pg_schema}"')
    try:
        yield con
    finally:
        con.disconnect()


@pytest.fixture
def pg_sqlalchemy_url(postgres_url: str, pg_schema: str) -> str:
    """A SQLAlchemy URL whose connections use the fresh schema (``search_path``)."""
    base = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{pg_schema}"


# --- The app in a real browser -------------------------------------------------------------------


# --- The store: each store test runs on a SQLite file and on a throwaway PostgreSQL schema ---


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty store database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("pg_sqlalchemy_url"))


@pytest.fixture
def bare_engine(store_url: str) -> Iterator[Engine]:
    """The engine of the empty database (no migrations run); disposed afterwards."""
    engine = get_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """The engine of a store upgraded to head; disposed afterwards."""
    engine = init_store(store_url)
    yield engine
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory prepared by ``prodops setup`` (demo datasets imported), shared."""
    home = tmp_path_factory.mktemp("demo-home")
    env = {**os.environ, "PRODOPS_HOME": str(home)}
    env.pop("PRODOPS_DATABASE_URL", None)
    # No examples: the tests that use this directory add their own OKRs and critiques.
    subprocess.run(
        [sys.executable, "-m", "prodops", "setup", "--no-examples"], check=True, env=env, cwd=ROOT
    )
    return home


@pytest.fixture(scope="session")
def app_url(demo_home: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free localhost port with the demo data directory."""
    port = _free_port()
    env = {**os.environ, "PRODOPS_HOME": str(demo_home)}
    env.pop("PRODOPS_DATABASE_URL", None)
    log = (demo_home / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"streamlit did not start; see {demo_home / 'streamlit.log'}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (Playwright cannot download browsers here)."""
    executable = shutil.which("chromium")
    if not executable:
        _unavailable("PRODOPS_REQUIRE_BROWSER", "Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("PRODOPS_REQUIRE_BROWSER", "playwright is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def wait_for_app(page: Any, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished running the script (as Streamlit's own e2e tests do)."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]',
        state="attached",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(150)  # let the last delta paint
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]',
        state="attached",
        timeout=timeout_ms,
    )


@pytest.fixture
def app_page(browser: Any, app_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; ``page.goto_app(path)`` opens a page and waits for it.

    Browser console errors are collected in ``page.console_errors``; a screenshot of the final
    state is kept in ``test-artifacts/<test name>.png``.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []

    def on_console(msg: Any) -> None:
        # Streamlit's frontend first probes <page>/_stcore/{health,host-config} and gets 404s
        # before falling back to the root; those are not errors of the app.
        url = (msg.location or {}).get("url", "")
        if msg.type == "error" and not ("/_stcore/" in url and "404" in msg.text):
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors

    def goto_app(path: str = "") -> Any:
        page.goto(f"{app_url}/{path.lstrip('/')}")
        wait_for_app(page)
        return page

    page.goto_app = goto_app
    page.wait_for_app = lambda: wait_for_app(page)
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        finally:
            context.close()


@pytest.fixture
def artifact_path() -> Callable[[str], Path]:
    """Return a function giving a path under ``test-artifacts/`` for a file a test keeps."""

    def make(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        return ARTIFACTS / name

    return make
