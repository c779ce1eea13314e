"""The OKR page in a real browser: an objective with two key results, a check-in, a metric refresh.

The app runs on the demo data directory (``prodops setup``); the metric-bound key result reads
``demo-events`` (WAU on the last day of 2026-Q3, thousands of users against a target of 100).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

TITLE = "Browser-made objective"


def _live(key: str) -> str:
    """The element of widget *key* (not a stale copy left from the previous run)."""
    return f'.st-key-{key}:not([data-stale="true"])'


def _fill(page: Any, key: str, text: str) -> None:
    page.locator(f"{_live(key)} input, {_live(key)} textarea").first.fill(text)


def _commit(page: Any) -> None:
    """Leave the text box: outside a form the app reruns with its value; wait for that run."""
    page.keyboard.press("Tab")
    page.wait_for_app()


def _click(page: Any, key: str) -> None:
    page.locator(f"{_live(key)} button").first.click()
    page.wait_for_app()


def _choose(page: Any, key: str, option: str) -> None:
    box = page.locator(_live(key)).get_by_role("combobox")
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(option)  # the list filters to the option; a popover survives no scrolling
    page.get_by_role("option", name=option).first.click()
    page.wait_for_app()


def _card(page: Any) -> Any:
    return page.locator('[class*="st-key-okr_card_"]').filter(has_text=TITLE)


def _status(card: Any) -> Any:
    return card.locator(".stMarkdownBadge").first  # the objective's status badge


def _metric(card: Any, label: str) -> Any:
    metric = card.locator('[data-testid="stMetric"]').filter(has_text=label)
    return metric.locator('[data-testid="stMetricValue"]')


@pytest.mark.browser
def test_objective_with_two_key_results_check_in_and_metric_refresh(
    app_page: Any, artifact_path: Any
) -> None:
    from playwright.sync_api import expect

    missing: list[str] = []  # Streamlit probes <page>/_stcore/... first, then the root: 404s
    app_page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page = app_page.goto_app("OKRs")
    _fill(page, "person_name", "Browser Tester")
    _click(page, "person_use_name")
    expect(page.get_by_text("Checking in as Browser Tester")).to_be_visible()

    add_tab = page.get_by_role("tab", name="Add objectives and key results")
    add_tab.click()
    _fill(page, "okr_new_obj_title", TITLE)
    _fill(page, "okr_new_obj_team", "growth")
    _fill(page, "okr_new_obj_period", "2026-Q3")
    _click(page, "okr_new_obj_submit")
    expect(page.get_by_text(f"Objective '{TITLE}' created.")).to_be_visible()
    _choose(page, "okr_period", "2026-Q3")

    add_tab.click()  # the key-result form offers the objectives of 2026-Q3: ours only
    expect(page.locator(_live("okr_new_kr_objective")).get_by_role("combobox")).to_have_value(
        re.compile(TITLE)
    )
    for title, target in (("Activation", "10"), ("Weekly active users", "100")):
        # the new-key-result controls are not a form (their unit note follows the choices)
        for key, text in (("title", title), ("start", "0"), ("target", target)):
            _fill(page, f"okr_new_kr_{key}", text)
            _commit(page)
        if title == "Weekly active users":
            _choose(page, "okr_new_kr_metric", "active_users")
            for key, text in (("dataset", "demo-events"), ("params", '{"window_days": 7}')):
                _fill(page, f"okr_new_kr_{key}", text)
                _commit(page)
            expect(
                page.get_by_text("weekly active users is a count, stored as it is")
            ).to_be_visible()
        _click(page, "okr_new_kr_submit")
        expect(page.get_by_text(f"Key result '{title}' added.")).to_be_visible()

    page.get_by_role("tab", name="Board").click()
    card = _card(page)
    expect(_metric(card, "Progress")).to_have_text("0%")
    expect(_status(card)).to_have_text("Off track")  # the quarter is over, nothing done

    card.get_by_text("Check in, history, edit").click()
    chart = card.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_be_visible()
    page.wait_for_timeout(500)  # let Vega draw
    before = chart.screenshot()
    card.locator('[class*="st-key-okr_ci_"][class*="_value"] input').fill("9")
    card.locator('[class*="st-key-okr_ci_"][class*="_confidence"] input').fill("0.9")
    card.locator('[class*="st-key-okr_ci_"][class*="_submit"] button').click()
    page.wait_for_app()
    expect(page.get_by_text("Checked in 9 on 'Activation'.")).to_be_visible()
    card = _card(page)
    # the check-in form is empty again: the browser keeps none of what was typed
    for field in ("_value", "_confidence"):
        expect(card.locator(f'[class*="st-key-okr_ci_"][class*="{field}"] input')).to_have_value("")
    expect(_metric(card, "Progress")).to_have_text("45%")  # (0.9 + 0) / 2
    expect(_status(card)).to_have_text("Off track")  # WAU: no check-in yet

    chart = card.locator('[data-testid="stVegaLiteChart"]').first  # the expander stays open
    expect(chart).to_be_visible()
    page.wait_for_timeout(500)
    assert chart.screenshot() != before  # the new check-in is drawn

    _click(page, "okr_refresh_all")
    expect(page.get_by_text("Refreshed 1 key result(s) from their metrics.")).to_be_visible()
    card = _card(page)
    expect(_metric(card, "Progress")).to_have_text("95%")  # WAU >> 100 counts as 1: (0.9 + 1) / 2
    expect(_status(card)).to_have_text("On track")
    page.screenshot(path=str(artifact_path("okr-browser-final.png")), full_page=True)
    assert all("/_stcore/" in url for url in missing), missing
    assert page.console_errors == []  # the fixture leaves out only Streamlit's 404 probes


@pytest.mark.browser
def test_an_objective_title_with_a_url_and_markdown_shows_as_typed(app_page: Any) -> None:
    from playwright.sync_api import expect

    typed = "Ship https://evil.example/x, www.evil.example and **bold** $x^2$ to ana@evil.example"
    page = app_page.goto_app("OKRs")
    page.get_by_role("tab", name="Add objectives and key results").click()
    _fill(page, "okr_new_obj_title", typed)
    _fill(page, "okr_new_obj_period", "2031-Q1")
    _click(page, "okr_new_obj_submit")
    # the period list offers 2031-Q1 once the run that created the objective has finished
    expect(page.get_by_text(re.compile(r"^Objective .* created\.$")).first).to_be_visible()
    _choose(page, "okr_period", "2031-Q1")
    page.get_by_role("tab", name="Board").click()
    card = page.locator('[class*="st-key-okr_card_"]').filter(has_text="Ship")
    heading = card.locator("h3").first
    expect(heading).to_be_visible()
    # the word joiners that stop the autolinks are invisible; the text reads as typed
    assert heading.inner_text().replace("\u2060", "") == typed
    assert card.locator("a").count() == 0  # no link, no mailto
    assert card.locator("strong, .katex").count() == 0  # no bold, no maths


@pytest.mark.browser
def test_a_created_objective_leaves_a_blank_form_so_a_second_click_makes_no_duplicate(
    app_page: Any,
) -> None:
    from playwright.sync_api import expect

    page = app_page.goto_app("OKRs")
    page.get_by_role("tab", name="Add objectives and key results").click()
    _fill(page, "okr_new_obj_title", "Made once")
    _fill(page, "okr_new_obj_owner", "ana")
    _click(page, "okr_new_obj_submit")
    expect(page.get_by_text("Objective 'Made once' created.")).to_be_visible()
    # the browser shows the blank values, not what was typed (a dropped value is re-sent)
    for key in ("okr_new_obj_title", "okr_new_obj_owner"):
        expect(page.locator(f"{_live(key)} input")).to_have_value("")
    expect(page.locator(_live("okr_new_kr_objective")).get_by_role("combobox")).to_have_value(
        re.compile("Made once")
    )
    _click(page, "okr_new_obj_submit")  # the second click of a double click
    expect(page.get_by_text("title: a title is required. Type a short title.")).to_be_visible()
