"""Local mode (no sign-in configured): the typed name survives reloads and new tabs."""

from __future__ import annotations

from typing import Any

import pytest

from prodops.ui.session import LOCAL_MODE_NOTE


def wait_for_app(page: Any) -> None:
    """Wait until Streamlit has finished running the script (see tests/conftest.py)."""
    done = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    page.wait_for_selector(done, state="attached", timeout=30_000)
    page.wait_for_timeout(150)
    page.wait_for_selector(done, state="attached", timeout=30_000)


def _use_name(page: Any, name: str) -> None:
    page.locator('.st-key-person_name:not([data-stale="true"]) input').fill(name)
    page.locator(".st-key-person_use_name button").click()
    page.wait_for_app()


@pytest.mark.browser
def test_the_typed_name_survives_a_reload_and_a_new_tab(app_page: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    page = app_page.goto_app("OKRs")
    expect(page.get_by_text(LOCAL_MODE_NOTE)).to_be_visible()
    _use_name(page, "Ana <b>Lima</b>")
    expect(page.get_by_text("Checking in as Ana <b>Lima</b>")).to_be_visible()

    page.reload()
    wait_for_app(page)
    expect(page.get_by_text("Checking in as Ana <b>Lima</b>")).to_be_visible()
    expect(page.locator(".st-key-person_name")).to_have_count(0)

    other = page.context.new_page()  # a new tab of the same browser, on another page
    other.goto(f"{app_url}/Roadmap_Critique")
    wait_for_app(other)
    expect(other.get_by_text("Reviewing as Ana <b>Lima</b>")).to_be_visible()

    # "Change name" forgets it, at once and in this browser too.
    page.locator(".st-key-person_change_name button").click()
    wait_for_app(page)
    expect(page.locator(".st-key-person_name input")).to_be_visible()
    page.reload()
    wait_for_app(page)
    expect(page.locator(".st-key-person_name input")).to_be_visible()
    assert page.console_errors == []
