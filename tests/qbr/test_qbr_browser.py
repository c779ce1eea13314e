"""The Quarterly Review page in a real browser: build, write the narrative, save, export, reopen.

The app runs on the demo data directory (``prodops setup``), whose data ends on 31 Oct 2026: the
page proposes 2026-Q3, the last complete quarter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SUMMARY = "Retention held up; <b>not bold</b> [not a link](http://x.example)"


@pytest.mark.browser
def test_build_write_save_export_and_reopen(app_page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = app_page.goto_app("Quarterly_Review")
    page.get_by_role("button", name="Build").click()
    page.wait_for_app()
    expect(page.get_by_role("heading", name="Headline numbers")).to_be_visible(timeout=60_000)
    # The report renders section by section: on a busy machine the later ones take a while.
    expect(page.locator(".vega-embed").first).to_be_visible(timeout=60_000)
    # The report names what it covers (the quarter, the as-of instant and the dataset versions)
    # and renders every section, whatever other tests left in the shared store.
    expect(page.get_by_text("Q3 2026 · as of").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("demo-events (version").first).to_be_visible()
    expect(page.get_by_role("heading", name="Narrative")).to_be_visible(timeout=60_000)

    page.locator(".st-key-qbr_new_summary textarea").fill(SUMMARY)
    page.get_by_role("button", name="Save QBR").click()
    page.wait_for_app()
    expect(page.get_by_text("Saved the QBR of 2026-Q3 (revision 1).")).to_be_visible()
    reopened = page.locator('[class*="st-key-qbr_saved_"][class*="_summary"] textarea')
    expect(reopened).to_have_value(SUMMARY)

    with page.expect_download() as download:
        page.get_by_role("button", name="HTML").click()
    target = tmp_path / "qbr.html"
    download.value.save_as(target)
    document = target.read_text()
    assert "Quarterly business review · Q3 2026" in document
    assert "&lt;b&gt;not bold&lt;/b&gt;" in document and "<b>not bold" not in document

    page = app_page.goto_app("Quarterly_Review")  # a new session: the saved QBR is in the list
    page.get_by_text("Saved QBRs").click()
    page.wait_for_app()
    expect(page.locator('[class*="st-key-qbr_saved_"][class*="_summary"] textarea')).to_have_value(
        SUMMARY
    )
    assert app_page.console_errors == []
