"""Showing untrusted text (CSV headers, titles, notes, names) as inert Markdown.

The one escaping helper of the product: pages, exports and reports that must put user text into
Markdown call :func:`escape_markdown`; everything else shows it with ``st.text`` or
``st.dataframe`` (DESIGN.md, decision 6).
"""

from __future__ import annotations

import math
import re
from typing import Any

# Every character that starts Markdown, HTML, maths ($) or a table cell (|) in Streamlit's
# renderer, plus the characters of entities (&) and links (:). CommonMark reads a backslash before
# any ASCII punctuation as "this character, literally", so escaping more than needed is harmless.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&=:$])")
# GitHub-flavoured Markdown also links bare URLs and e-mail addresses *after* unescaping
# ("https\\://x\\.com" still becomes a link), so an invisible word joiner (U+2060) goes where
# the autolink rules look: after "http"/"https"/"www" before ":" / ".", and after "@".
_AUTOLINK = re.compile(r"(?i)(https?(?=:)|www(?=\.)|@)")
WORD_JOINER = "\u2060"
# Streamlit turns ":material/home:", ":streamlit:" and emoji shortcodes (":+1:", ":100:") into
# icons even when the colons are backslash-escaped; a word joiner after the opening colon keeps
# them text. Times ("10:00:00") are left alone: no shortcode starts with "00".
_SHORTCODE = re.compile(r":(?=(?:[A-Za-z+-][\w/+-]*|100|1234):)")


def escape_markdown(text: Any, *, one_line: bool = False) -> str:
    """Return *text* as inert Markdown: every special character backslash-escaped.

    Parameters
    ----------
    text
        Any value; ``None`` and NaN give ``""``.
    one_line
        Collapse newlines and runs of whitespace into single spaces (for table cells, headings).

    Examples
    --------
    >>> escape_markdown("**$5** [x](y)")
    '\\\\*\\\\*\\\\$5\\\\*\\\\* \\\\[x\\\\]\\\\(y\\\\)'
    >>> escape_markdown("# Big | bet\\n`x`", one_line=True)
    '\\\\# Big \\\\| bet \\\\`x\\\\`'
    >>> escape_markdown("www.x.org") == "www\\u2060\\\\.x\\\\.org"  # no autolink either
    True
    >>> escape_markdown(":material/home:") == "\\\\:\\u2060material/home\\\\:"  # no icon
    True
    >>> escape_markdown(None)
    ''
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    shown = " ".join(str(text).split()) if one_line else str(text)
    shown = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, shown)
    shown = _SHORTCODE.sub(":" + WORD_JOINER, shown)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", shown)
