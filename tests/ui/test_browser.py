"""The insight pages in a real browser: change controls, see the chart change, download, share.

Each test opens a page with the demo data (``app_page`` fixture), changes a control, checks that
the chart is redrawn (its pixels change) and the URL carries the control, downloads a file, and
opens the copied URL in a fresh browser context to get the same view. Screenshots of the whole
page are kept in ``test-artifacts/`` for the README.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
TALL = {"width": 1400, "height": 3000}
WAIT_MS = 120_000


@pytest.fixture
def console(app_page: Any) -> Iterator[list[str]]:
    """Console errors with their source URL, minus Streamlit's own base-path probes.

    Opening a page by its path (``/Retention``) makes Streamlit's client first try
    ``/Retention/_stcore/health`` and ``host-config`` (404) before it finds the server root;
    that is Streamlit's behaviour for deep links, not an error of the app.
    """
    errors: list[str] = []

    def record(msg: Any) -> None:
        url = str(msg.location.get("url", ""))
        if msg.type == "error" and not ("/_stcore/" in url and "404" in msg.text):
            errors.append(f"{msg.text} ({url})")

    app_page.on("console", record)
    app_page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield errors


def select(page: Any, label: str, option: str, *, param: str) -> None:
    """Pick *option* in the selectbox labelled *label*; wait for ``param`` in the URL and the rerun.

    The page writes its controls to the URL while it runs, so the URL changing proves the rerun
    started; then we wait for it to finish.
    """
    page.wait_for_app()
    for attempt in range(3):  # a rerun that lands while the list is open closes it
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=15_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    page.wait_for_url(re.compile(re.escape(param)), timeout=WAIT_MS)
    page.wait_for_app()


def charts(page: Any, count: int) -> Any:
    """The page's charts, once *count* of them are drawn."""
    found = page.get_by_test_id("stVegaLiteChart")
    expect(found).to_have_count(count, timeout=WAIT_MS)
    return found


def chart_pixels(page: Any, index: int = 0) -> bytes:
    chart = page.get_by_test_id("stVegaLiteChart").nth(index)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let vega finish drawing
    return bytes(chart.screenshot())


def download(page: Any, index: int) -> tuple[str, bytes]:
    """Click the *index*-th download button; return the file name and bytes."""
    button = page.get_by_test_id("stDownloadButton").nth(index)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def keep_screenshot(page: Any, artifact_path: Callable[[str], Path], name: str) -> None:
    """Screenshot the whole page: the viewport is grown to the content (it scrolls inside)."""
    page.set_viewport_size(TALL)
    page.wait_for_timeout(500)
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 80, 6000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifact_path(name)))
    page.set_viewport_size({"width": 1400, "height": 1000})


def wait_until_idle(page: Any) -> None:
    """As ``page.wait_for_app()`` of the ``app_page`` fixture, for pages of other contexts."""
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    page.wait_for_selector(idle, timeout=60_000, state="attached")
    page.wait_for_timeout(150)
    page.wait_for_selector(idle, timeout=60_000, state="attached")


@pytest.fixture
def fresh_page(browser: Any) -> Iterator[Callable[[str], Any]]:
    """Open a URL in a brand-new browser context (no shared session), as a colleague would."""
    contexts: list[Any] = []

    def open_(url: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        wait_until_idle(page)
        page.wait_for_app = lambda: wait_until_idle(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def expect_choice(page: Any, label: str, choice: str) -> None:
    """The selectbox labelled *label* shows *choice*."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    expect(combobox).to_have_value(choice, timeout=WAIT_MS)


# --- the pages -----------------------------------------------------------------------------------


def test_retention_in_the_browser(
    app_page: Any,
    console: list[str],
    fresh_page: Callable[[str], Any],
    artifact_path: Callable[[str], Path],
) -> None:
    page = app_page.goto_app("Retention?dataset=demo-events")
    charts(page, 2)  # heatmap and curves
    keep_screenshot(page, artifact_path, "retention-weekly.png")
    before = chart_pixels(page)
    select(page, "Period", "Day", param="period=day")
    assert chart_pixels(page) != before  # the heatmap was redrawn for daily cohorts
    name, data = download(page, 0)  # heatmap CSV
    assert name == "demo-events_retention_heatmap.csv"
    lines = data.decode().splitlines()
    assert lines[0] == "breakdown,cohort,size,offset,count,rate,complete"
    assert len(lines) == 1 + 8 * 8  # 8 daily cohorts x 8 offsets
    name, png = download(page, 1)
    assert name.endswith(".png") and png.startswith(b"\x89PNG")
    name, svg = download(page, 2)
    assert name.endswith(".svg") and b"<svg" in svg[:200]
    shared = fresh_page(page.url)
    charts(shared, 2)
    expect_choice(shared, "Period", "Day")
    assert download(shared, 0)[1] == data  # the same view, to the byte
    keep_screenshot(page, artifact_path, "retention-daily.png")
    assert console == []


# The marks of a chart: [mark class, aria-label, drawing attributes] for every rect, symbol and
# path Vega drew (the SVG renderer labels each mark with its tooltip fields).
MARKS_JS = """chart => [...chart.querySelectorAll('g.role-mark')].flatMap(group =>
    [...group.querySelectorAll(':scope > path, :scope > rect, :scope > g > path')].map(mark => [
        group.getAttribute('class'),
        mark.getAttribute('aria-label') || '',
        ['opacity', 'fill-opacity', 'stroke', 'stroke-opacity', 'stroke-dasharray', 'stroke-width']
            .map(name => name + '=' + mark.getAttribute(name)).join(' '),
    ]))"""
DATA_END_WEEK = date(2026, 10, 26)  # demo-events ends Saturday 31 Oct: this week is in progress


def cell_of(label: str) -> tuple[date, int] | None:
    """(cohort, offset) of a heatmap mark, from its label ("Cohort: 2026-09-07; ...; Week 1")."""
    cohort = re.search(r"Cohort: [^;]*?(\d{4}-\d{2}-\d{2})", label)
    offset = re.search(r"(?:Week|Period|Weeks since the start event):? (\d+)\b", label)
    if cohort is None or offset is None:
        return None
    return date.fromisoformat(cohort.group(1)), int(offset.group(1))


def number(label: str, name: str) -> float:
    found = re.search(rf"{name}: ([\d,.]+)", label)
    assert found is not None, (name, label)
    return float(found.group(1).replace(",", ""))


def test_retention_in_the_browser_draws_the_period_in_progress_apart(
    app_page: Any, console: list[str], artifact_path: Callable[[str], Path]
) -> None:
    page = app_page.goto_app("Retention?dataset=demo-events")
    heatmap, curves = charts(page, 2).all()
    heatmap.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # Heatmap: each cell's drawing (over every layer) by its period: complete or in progress.
    drawn: dict[tuple[date, int], list[str]] = {}
    users: dict[tuple[date, int], tuple[float, float]] = {}
    for group, label, style in heatmap.evaluate(MARKS_JS):
        cell = cell_of(label)
        if cell is None or "rect" not in group:
            continue
        drawn.setdefault(cell, []).append(f"{group} {style}")
        if "Users retained:" in label:
            users[cell] = (number(label, "Users retained"), number(label, "Users"))
    week = {cell: cell[0] + timedelta(weeks=cell[1]) for cell in drawn}
    in_progress = {str(sorted(d)) for c, d in drawn.items() if week[c] == DATA_END_WEEK}
    complete = {str(sorted(d)) for c, d in drawn.items() if week[c] < DATA_END_WEEK}
    assert len([c for c in drawn if week[c] == DATA_END_WEEK]) == 8  # the last diagonal
    assert complete and in_progress and not complete & in_progress, (complete, in_progress)
    # Curves: the weighted average at each offset is that of the complete cells only, so it does
    # not fall at its end; no average is drawn where no cell is complete yet.
    expected: dict[int, float] = {}
    for offset in range(8):
        cells = [users[c] for c in users if c[1] == offset and week[c] < DATA_END_WEEK]
        if sum(size for _, size in cells):
            expected[offset] = sum(n for n, _ in cells) / sum(size for _, size in cells)
    average = {
        int(number(label, "Week")): number(label, "Retained") / 100
        for group, label, _ in curves.evaluate(MARKS_JS)
        if "symbol" in group and "Weighted average" in label
    }
    assert set(average) == set(expected) == set(range(7))  # offset 7: only in-progress cells
    for offset, rate in expected.items():
        assert average[offset] == pytest.approx(rate, abs=0.0006), offset
    keep_screenshot(page, artifact_path, "retention-in-progress.png")
    assert console == []


def test_engagement_in_the_browser(
    app_page: Any,
    console: list[str],
    fresh_page: Callable[[str], Any],
    artifact_path: Callable[[str], Path],
) -> None:
    page = app_page.goto_app("Engagement?dataset=demo-events")
    charts(page, 5)
    keep_screenshot(page, artifact_path, "engagement.png")
    before = chart_pixels(page, 3)  # lifecycle bars
    select(page, "Lifecycle period", "Month", param="lc_period=month")
    assert chart_pixels(page, 3) != before
    buttons = page.get_by_test_id("stDownloadButton")
    name, data = download(page, buttons.count() - 6)  # lifecycle CSV
    assert name == "demo-events_engagement_lifecycle.csv"
    header = data.decode().splitlines()[0]
    assert header == "start,new,returning,resurrecting,dormant,pulse_ratio,complete"
    shared = fresh_page(page.url)
    charts(shared, 5)
    expect_choice(shared, "Lifecycle period", "Month")
    assert console == []


def test_revenue_in_the_browser(
    app_page: Any,
    console: list[str],
    fresh_page: Callable[[str], Any],
    artifact_path: Callable[[str], Path],
) -> None:
    page = app_page.goto_app("Revenue_and_Churn?dataset=demo-subscriptions")
    charts(page, 5)
    assert page.get_by_test_id("stMetric").count() == 8  # each rate with its formula
    keep_screenshot(page, artifact_path, "revenue.png")
    before = chart_pixels(page, 1)  # MRR movements
    select(page, "Period", "Quarter", param="rev_period=quarter")
    assert chart_pixels(page, 1) != before
    name, data = download(page, 0)
    assert name == "demo-subscriptions_revenue_mrr.csv"
    assert data.decode().splitlines()[0].startswith("period,mrr_start,new,expansion")
    shared = fresh_page(page.url)
    charts(shared, 5)
    expect_choice(shared, "Period", "Quarter")
    assert console == []


# Each tile's metric (label, value, change) and the caption in the same bordered tile.
TILES_JS = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(metric => {
    const tile = metric.closest('[data-testid="stVerticalBlock"]');
    const caption = tile && tile.querySelector('[data-testid="stCaptionContainer"]');
    const label = metric.querySelector('[data-testid="stMetricLabel"]');
    return [label ? label.innerText.trim() : '', caption ? caption.innerText.trim() : null];
})"""


def test_home_in_the_browser_names_each_tiles_period_and_links_an_insight(
    app_page: Any, console: list[str], artifact_path: Callable[[str], Path]
) -> None:
    page = app_page.goto_app("")
    expect(page.get_by_role("link", name="Open Retention").first).to_be_visible(timeout=WAIT_MS)
    # demo-events ends on Saturday 31 Oct 2026 23:50: the weekly tiles show the last complete
    # week (19-25 Oct), churn the last complete month (September); demo-subscriptions ends on
    # 31 Oct 21:59: MRR as of then, NRR and logo churn of September.
    assert page.evaluate(TILES_JS) == [
        ["Weekly active users", "19–25 Oct 2026 · change vs 12–18 Oct"],
        ["Week-1 retention", "cohort 12–18 Oct, back 19–25 Oct 2026 · change vs cohort 5–11 Oct"],
        ["User churn (month)", "September 2026 · change vs August 2026"],
        ["MRR", "as of 31 Oct 2026 21:59 · change vs 1 Oct 2026"],
        ["NRR", "September 2026 · change vs August 2026"],
        ["Logo churn", "September 2026 · change vs August 2026"],
        ["LTV", "end of September 2026 · churn of Apr–Sep 2026"],
    ]
    expect(page.get_by_text("Data up to 31 Oct 2026 23:50 UTC", exact=False)).to_be_visible()
    keep_screenshot(page, artifact_path, "home.png")
    page.get_by_role("link", name="Open Retention").first.click()
    page.wait_for_url(re.compile(r"/Retention\?.*periods=30"), timeout=WAIT_MS)
    page.wait_for_app()
    charts(page, 2)
    assert console == []
