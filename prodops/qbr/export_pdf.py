"""The QBR as a PDF, laid out by WeasyPrint from the HTML export.

Charts stay vector (the inline SVG is drawn as paths and text, not pixels); every page carries
"Page n of N" and the contents list each section's page. WeasyPrint needs Pango (Debian:
``libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b``). The document is laid out with a URL fetcher
that refuses every URL, so nothing is fetched even if a reference slipped in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from prodops.errors import BackendError
from prodops.qbr.build import Report
from prodops.qbr.export_html import to_html


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"the QBR fetches nothing ({url[:40]})")


def to_pdf(
    report: Report, narrative: Mapping[str, str] | None = None, *, title: str | None = None
) -> bytes:
    """The QBR as PDF bytes (A4, page numbers, a table of contents with page references)."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango is missing
        raise BackendError(
            f"the PDF export needs WeasyPrint and Pango ({str(error).splitlines()[0][:120]})",
            fix="Install them: pip install weasyprint; apt-get install libpango-1.0-0"
            " libpangoft2-1.0-0 libharfbuzz0b.",
        ) from None
    document = to_html(report, narrative, title=title, for_pdf=True)
    pdf = weasyprint.HTML(string=document, url_fetcher=_no_fetch).write_pdf()
    return bytes(pdf or b"")
