"""The one escaping helper for untrusted text (DESIGN.md, decision 6)."""

from __future__ import annotations

import pytest

from prodops.text import escape_markdown


def test_escape_markdown_defuses_links_images_and_maths() -> None:
    text = "![x](http://evil/a.png) **b** $5 <b>"
    escaped = escape_markdown(text)
    assert "\\!\\[x\\]\\(http\\:" in escaped
    assert "\\$5" in escaped and "\\<b\\>" in escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("![x](http://evil/p.png)", "\\!\\[x\\]\\(http\\://evil/p\\.png\\)"),
        ("<script>", "\\<script\\>"),
        ("=HYPERLINK(1)", "\\=HYPERLINK\\(1\\)"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_escape_markdown_makes_every_special_character_literal(
    raw: str | None, escaped: str
) -> None:
    assert escape_markdown(raw) == escaped


def test_one_line_collapses_newlines_so_a_title_cannot_start_a_heading() -> None:
    assert escape_markdown("line one\n## two", one_line=True) == "line one \\#\\# two"
    assert escape_markdown("line one\n## two") == "line one\n\\#\\# two"
