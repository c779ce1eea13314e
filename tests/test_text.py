"""The one escaping helper for untrusted text (DESIGN.md, decision 6)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prodops.text import WORD_JOINER, escape_markdown


def test_escape_markdown_defuses_links_images_and_maths() -> None:
    text = "![x](http://evil/a.png) **b** $5 <b>"
    escaped = escape_markdown(text)
    assert "\\!\\[x\\]\\(http\u2060\\:" in escaped
    assert "\\$5" in escaped and "\\<b\\>" in escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("![x](http://evil/p.png)", "\\!\\[x\\]\\(http\u2060\\://evil/p\\.png\\)"),
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


# GitHub-flavoured Markdown links bare URLs, "www." names and e-mail addresses found in the text
# *after* backslash escapes are resolved (checked in Streamlit 1.67 in chromium: an escaped
# "https\\://x\\.com" in st.subheader still became a link; with a word joiner it did not).
_AUTOLINKED = re.compile(r"(?i)(https?://|www\.|[\w.+-]@[\w-])")


def _as_rendered(escaped: str) -> str:
    """The text Markdown shows for *escaped*: escapes resolved, the word joiner invisible."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)


@pytest.mark.parametrize(
    "text",
    [
        "see https://evil.example/x",
        "HTTP://EVIL.EXAMPLE",
        "visit www.evil.example today",
        "write to ana@evil.example",
        "(https://evil.example)",
        "_www.evil.example_",
    ],
)
def test_escape_markdown_leaves_no_bare_url_or_address_to_autolink(text: str) -> None:
    shown = _as_rendered(escape_markdown(text))
    assert _AUTOLINKED.search(shown) is None
    assert shown.replace(WORD_JOINER, "") == text  # and it reads as typed


@given(st.text(st.characters(exclude_characters=WORD_JOINER), max_size=80))
def test_escaped_text_reads_as_typed(text: str) -> None:
    shown = _as_rendered(escape_markdown(text)).replace(WORD_JOINER, "")
    assert shown == text
    assert _AUTOLINKED.search(_as_rendered(escape_markdown(text))) is None


def test_maths_markup_and_javascript_links_stay_literal() -> None:
    assert escape_markdown("$x^2$") == "\\$x^2\\$"
    assert escape_markdown("[a](javascript:alert(1))") == ("\\[a\\]\\(javascript\\:alert\\(1\\)\\)")
