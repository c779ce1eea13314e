"""The QBR as one self-contained HTML document (charts inline as SVG, print stylesheet).

Nothing is fetched: no script, no web font, no image or stylesheet by URL, so the file opens
offline and as a mail attachment. Every piece of untrusted text (titles, notes, item names,
dataset names, the narrative) goes through :func:`html.escape`. The same document, with
``for_pdf=True``, is what WeasyPrint lays out for the PDF (page numbers and the table of
contents' page references come from its CSS).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prodops.qbr.build import SECTION_TITLES, Report, as_of_text
from prodops.qbr.charts import EXPORT_WIDTH, build_trend_chart, report_charts, to_svg
from prodops.qbr.headlines import Headline, format_value
from prodops.qbr.quarters import period_unit

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 10.5pt;
       color: #1f2933; max-width: 60em; margin: 2em auto; line-height: 1.4; }
h1 { font-size: 20pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; border-bottom: 1px solid #cbd2d9; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 11.5pt; margin-bottom: 0.3em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 0.25em 0.4em; text-align: left;
         vertical-align: top; }
th { background: #f5f7fa; }
td.num { text-align: right; white-space: nowrap; }
.meta, .formula, .note { color: #52606d; font-size: 9pt; }
.note { font-style: italic; }
.chart { margin: 0.8em 0; page-break-inside: avoid; break-inside: avoid; }
.text { white-space: pre-wrap; }
nav.toc ol { padding-left: 1.2em; }
nav.toc a { color: inherit; text-decoration: none; }
@media print {
  body { margin: 0; max-width: none; }
  section { break-inside: auto; }
  tr, .chart { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

PDF_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
        @bottom-center { content: "Page " counter(page) " of " counter(pages);
                         font-size: 8pt; color: #52606d; } }
nav.toc a::after { content: leader('.') target-counter(attr(href), page); }
"""

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", SECTION_TITLES["summary"]),
    ("numbers", "Headline numbers"),
    ("charts", "Key charts"),
    ("okrs", "OKR results"),
    ("decisions", "Roadmap decisions"),
    ("evidence", "Customer evidence"),
    ("insights", "Automatic insights"),
    ("wins", SECTION_TITLES["wins"]),
    ("misses", SECTION_TITLES["misses"]),
    ("focus", SECTION_TITLES["focus"]),
)


def esc(value: Any) -> str:
    """*value* as inert HTML text (``None`` is empty).

    >>> esc('<script>alert(1)</script> & =HYPERLINK("x")')
    '&lt;script&gt;alert(1)&lt;/script&gt; &amp; =HYPERLINK(&quot;x&quot;)'
    """
    return "" if value is None else html.escape(str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.4g}"


def _change(headline: Headline, other: float | None) -> str:
    change, before = esc(headline.change_text(other)), esc(headline.formatted(other))
    return f'{change}<div class="formula">{before}</div>'


def _headlines(headlines: Sequence[Headline], *, trends: bool, unit: str = "quarter") -> str:
    rows = []
    for h in headlines:
        shown = (
            esc(h.formatted())
            if h.value is not None
            else f'– <span class="note">{esc(h.note)}</span>'
        )
        trend = (
            to_svg(build_trend_chart(h))
            if trends and any(v is not None for _, v in h.trend)
            else ""
        )
        rows.append(
            [
                f'<strong>{esc(h.label)}</strong><div class="formula">{esc(h.formula)}</div>',
                shown,
                _change(h, h.previous),
                _change(h, h.year_ago),
                trend,
            ]
        )
    headers = ["Number", f"This {unit}", f"vs previous {unit}", "vs a year before", "Trend"]
    return _table(headers, rows, {1, 2, 3})


def _okrs(objectives: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for o in objectives:
        score = "–" if o.get("score") is None else f"{o['score']:.1f}"
        parts.append(
            f'<h3>{esc(o["title"])}</h3><p class="meta">Owner {esc(o.get("owner") or "–")}'
            f" · score {esc(score)} · progress {esc(_percent(o.get('progress')))}"
            f" · status {esc(o.get('status'))}</p>"
        )
        rows = [
            [
                esc(kr["title"]) + (f" ({esc(kr['unit'])})" if kr.get("unit") else ""),
                esc(_number(kr.get("start"))),
                esc(_number(kr.get("target"))),
                esc(_number(kr.get("final"))),
                esc(_percent(kr.get("progress"))),
                esc(kr.get("status")),
                esc(" → ".join(f"{c:.0%}" for c in kr.get("confidence", [])) or "–"),
                esc(kr.get("last_note") or "")
                + (
                    f' <span class="meta">({esc(kr["last_author"])})</span>'
                    if kr.get("last_author")
                    else ""
                ),
            ]
            for kr in o.get("key_results", [])
        ]
        if rows:
            headers = [
                "Key result",
                "Start",
                "Target",
                "Final",
                "Progress",
                "Status",
                "Confidence",
                "Last check-in note",
            ]
            parts.append(_table(headers, rows, {1, 2, 3, 4}))
    return "".join(parts)


def _decisions(decisions: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            esc(d.get("session")) + f'<div class="meta">{esc(d.get("held_on"))}</div>',
            (f"{esc(d['key'])} · " if d.get("key") else "") + esc(d.get("item")),
            f"<strong>{esc(d.get('decision'))}</strong><div>{esc(d.get('rationale'))}</div>"
            + (f'<div class="meta">{esc(d["decided_by"])}</div>' if d.get("decided_by") else ""),
            esc(_number(d.get("score"))),
            esc(_number(d.get("spread"))) + (" ⚠ disagreement" if d.get("disagreement") else ""),
            esc("; ".join(d.get("key_results", [])) or "–"),
        ]
        for d in decisions
    ]
    headers = ["Session", "Item", "Decision", "Mean score", "Spread", "Linked key results"]
    return _table(headers, rows, {3})


def _evidence(evidence: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            esc(e.get("insight")),
            esc(_number(e.get("notes"))),
            esc(_number(e.get("customers"))),
            esc(format_value(e.get("mrr"), "money")),
        ]
        for e in evidence
    ]
    return _table(["Theme", "Notes", "Customers", "MRR behind it"], rows, {1, 2, 3})


def _insights(insights: Sequence[Mapping[str, Any]]) -> str:
    items = "".join(
        f"<li><strong>{esc(i.get('title'))}</strong>: {esc(i.get('text'))}</li>" for i in insights
    )
    return f"<ul>{items}</ul>"


def _note(text: str | None) -> str:
    return f'<p class="note">{esc(text)}</p>' if text else ""


def _body(report: Report, narrative: Mapping[str, str], *, trends: bool) -> dict[str, str]:
    notes = report.notes
    charts = report_charts(report, width=EXPORT_WIDTH)
    chart_html = "".join(f'<div class="chart">{to_svg(c)}</div>' for c in charts.values())
    chart_notes = _note(notes.get("revenue")) + _note(notes.get("events"))
    body = {
        "numbers": _headlines(report.headlines, trends=trends, unit=period_unit(report.period)),
        "charts": chart_html + chart_notes,
        "okrs": _okrs(report.okrs) if report.okrs else _note(notes.get("okrs")),
        "decisions": _decisions(report.decisions)
        if report.decisions
        else _note(notes.get("decisions")),
        "evidence": _evidence(report.evidence) if report.evidence else _note(notes.get("evidence")),
        "insights": _insights(report.insights) if report.insights else _note(notes.get("insights")),
    }
    for name in SECTION_TITLES:
        text = (narrative.get(name) or "").strip()
        body[name] = f'<div class="text">{esc(text)}</div>' if text else _note("Not written yet.")
    return body


def _meta(report: Report) -> str:
    parts = [f"As of {esc(as_of_text(report.generated_at))}", f"time zone {esc(report.timezone)}"]
    for s in report.sources:
        version = "" if s.version is None else f", version {s.version}"
        end = "" if s.data_end is None else f", data end {s.data_end}"
        parts.append(f"{esc(s.kind)}: {esc(s.name)}{esc(version)}{esc(end)}")
    if not report.sources:
        parts.append("no dataset chosen")
    return " · ".join(parts)


def to_html(
    report: Report,
    narrative: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    for_pdf: bool = False,
    trends: bool = True,
) -> str:
    """The QBR as a self-contained HTML document.

    Parameters
    ----------
    report
        The built or reopened report.
    narrative
        Section -> text (summary, wins, misses, focus); shown as plain text.
    title
        The heading (default "Quarterly business review · Q3 2026").
    for_pdf
        Add the paged-media CSS (page numbers, the contents' page references).
    trends
        Draw the small trend chart beside each number.
    """
    heading = title or f"Quarterly business review · {report.period.title}"
    body = _body(report, narrative or {}, trends=trends)
    toc = "".join(f'<li><a href="#{key}">{esc(name)}</a></li>' for key, name in SECTIONS)
    sections = "".join(
        f'<section id="{key}"><h2>{esc(name)}</h2>{body[key]}</section>' for key, name in SECTIONS
    )
    css = CSS + (PDF_CSS if for_pdf else "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(heading)}</title><style>{css}</style></head><body>"
        f'<h1>{esc(heading)}</h1><p class="meta">{_meta(report)}</p>'
        f'<nav class="toc"><h2>Contents</h2><ol>{toc}</ol></nav>{sections}</body></html>\n'
    )
