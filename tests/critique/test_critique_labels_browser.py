"""A real browser: titles, criteria and help typed with Markdown show as typed (issue 17, item 9).

AppTest sees the strings handed to Streamlit; only a browser shows what its renderer made of
them: no KaTeX maths, no bold, no links (typed or autolinked), no icons from ``:material/...:``
or ``:streamlit:`` shortcodes.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = (
    "$x^2$ **bold** [link](https://evil.example/a) https://auto.example www.auto.example "
    "ann@mail.example :material/home: :streamlit:"
)
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _seed(home: Path) -> None:
    from prodops.critique import Criterion, crud, custom_rubric
    from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
    from prodops.store.db import init_store, write_session

    rubric = custom_rubric(
        "Hostile rubric",
        [
            Criterion(key="value", label=HOSTILE, help=HOSTILE),
            Criterion(key="effort", label="Effort", lower_is_better=True),
        ],
    )
    engine = init_store(f"sqlite:///{home / 'prodops.sqlite'}")
    with write_session(engine) as s:
        item = crud.create_item(session=s, item_in=RoadmapItemCreate(title=HOSTILE, key="K-1"))
        crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(
                name="Labels",
                held_on=dt.date(2026, 3, 2),
                framework=rubric.to_dict(),
                participants=["Ann"],
            ),
            item_ids=[item.id or 0],
        )
    engine.dispose()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[str]:
    """The app on a free port, over a store holding an item and a rubric typed with Markdown."""
    home = tmp_path_factory.mktemp("hostile-home")
    _seed(home)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "PRODOPS_HOME": str(home)}
    env.pop("PRODOPS_DATABASE_URL", None)
    log = (home / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
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
            raise RuntimeError(f"streamlit did not start; see {home / 'streamlit.log'}")
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


def _settle(page: Any) -> None:
    page.wait_for_selector(READY, state="attached", timeout=30_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(READY, state="attached", timeout=30_000)


@pytest.mark.browser
def test_labels_typed_with_markdown_render_as_plain_text(browser: Any, hostile_app: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{hostile_app}/Roadmap_Critique")
        _settle(page)
        page.get_by_label("Your name (shown with your scores and decisions)").fill("Ann")
        page.get_by_role("button", name="Use this name").click()
        _settle(page)
        page.get_by_text("Critique sessions").click()
        _settle(page)
        summary = page.locator("summary", has_text="(K-1)")
        expander = page.get_by_test_id("stExpander").filter(has=summary)
        summary.click()
        _settle(page)
        slider = expander.get_by_test_id("stSlider").first
        slider.get_by_test_id("stTooltipIcon").hover()
        tooltip = page.get_by_test_id("stTooltipContent")
        tooltip.wait_for(timeout=10_000)

        for part, where in ((summary, "title"), (slider, "criterion"),
                            (tooltip, "help")):  # fmt: skip
            label = part.get_by_test_id("stMarkdownContainer").first  # the text, not the chrome
            html = label.inner_html()
            text = label.inner_text().replace("\u2060", "")
            assert "katex" not in html and "<strong" not in html, where
            assert "<a " not in html and "<img" not in html, where
            assert "material-symbols" not in html and "stIconMaterial" not in html, where
            for piece in ("$x^2$", "**bold**", "https://auto.example", ":material/home:",
                          ":streamlit:", "ann@mail.example"):  # fmt: skip
                assert piece in text, (where, piece, text)
    finally:
        context.close()
