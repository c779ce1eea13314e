"""HTML, PDF and Markdown exports: self-contained, numbers as text, vector charts, inert text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from sqlalchemy.engine import Engine

from prodops.qbr import Dataset, Report, build_qbr
from prodops.qbr.export_html import to_html
from prodops.qbr.export_md import to_markdown, write_markdown
from prodops.qbr.export_pdf import to_pdf
from qbr.data import HOSTILE, NOW

NARRATIVE = {
    "summary": f"Title: {HOSTILE}\n![img](http://evil.example/a.png)",
    "wins": "More users",
}
# A resource the document would fetch: src/href/url()/@import pointing at the web.
RESOURCE = re.compile(
    r"""(?i)(\b(src|href|xlink:href|srcset)\s*=\s*["']?\s*(https?:)?//|url\(|@import)"""
)


@pytest.fixture
def report(events: pd.DataFrame, subscriptions: pd.DataFrame, store: Engine) -> Report:
    return build_qbr(
        "2026-Q2",
        store=store,
        generated_at=NOW,
        events=Dataset.of_frame(events, "ev", 1),
        subscriptions=Dataset.of_frame(subscriptions, "subs", 1),
    )


def test_html_is_self_contained_with_inline_svg_charts_and_inert_text(report: Report) -> None:
    document = to_html(report, NARRATIVE)
    assert RESOURCE.findall(document) == []
    assert "<script" not in document.lower() and "<img" not in document.lower()
    assert document.count("<svg") >= 3 + 10  # three key charts and the trends
    assert "@media print" in document
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert document.count(escaped) >= 5  # objective, notes, item, rationale, narrative
    assert "=HYPERLINK(&quot;http://evil.example/x&quot;)" in document  # text, not a formula
    assert report.headline("mrr").formatted() in document
    # Without user text there is no web address at all (the SVG namespaces are dropped too).
    plain = to_html(Report.from_dict({**report.to_dict(), "okrs": [], "decisions": []}))
    assert "http" not in plain


def test_pdf_has_the_numbers_as_text_page_numbers_contents_and_vector_charts(
    report: Report,
) -> None:
    data = to_pdf(report, NARRATIVE)
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    squashed = text.replace("\n", " ")
    for headline in report.headlines:
        assert headline.formatted() in squashed, headline.label
    pages = len(reader.pages)
    assert pages >= 2 and f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert re.search(r"Key charts \.+ \d", text)  # the contents give the page
    assert "MRR change" in text  # a chart's axis title: charts are drawn as text and paths
    kinds = {
        str(x.get_object().get("/Subtype"))
        for page in reader.pages
        for x in (page["/Resources"].get("/XObject") or {}).values()
    }
    assert "/Form" in kinds and "/Image" not in kinds  # vector, no pixels
    assert "<script>" in squashed  # user text printed literally, never interpreted


def test_markdown_escapes_user_text_and_writes_png_charts(report: Report, tmp_path: Path) -> None:
    text, files = to_markdown(report, NARRATIVE, charts_dir="q_charts")
    assert sorted(files) == [
        "q_charts/lifecycle.png",
        "q_charts/mrr_movements.png",
        "q_charts/retention.png",
    ]
    assert all(data.startswith(b"\x89PNG") for data in files.values())
    assert "![MRR movements](q_charts/mrr_movements.png)" in text
    as_of = re.search(r"As of (.+?), time zone", text)
    # to the minute, as people read it (the colon is Markdown-escaped: it renders as ":")
    assert as_of is not None
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4} \d\d\\?:\d\d UTC", as_of.group(1))
    assert "<script>" not in text and "](http" not in text and "![img]" not in text
    assert "\\<script\\>" in text and "\\=HYPERLINK\\(" in text and "\\[click\\]" in text
    written = write_markdown(report, tmp_path / "qbr.md", NARRATIVE)
    assert [p.name for p in written] == [
        "qbr.md",
        "mrr_movements.png",
        "retention.png",
        "lifecycle.png",
    ]
    assert (tmp_path / "qbr_charts" / "retention.png").exists()
    assert "](qbr_charts/retention.png)" in (tmp_path / "qbr.md").read_text()
