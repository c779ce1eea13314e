"""The QBR as Markdown, with its charts as PNG files in a folder next to it.

Untrusted text (titles, notes, item names, the narrative) goes through
:func:`prodops.text.escape_markdown`, so a link, an image, HTML or a formula written in a title
comes out as the literal characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prodops.qbr.build import SECTION_TITLES, Report, as_of_text
from prodops.qbr.charts import CHART_TITLES, EXPORT_WIDTH, report_charts, to_png
from prodops.qbr.headlines import format_value
from prodops.qbr.quarters import period_unit
from prodops.text import escape_markdown


def md(value: Any) -> str:
    r"""*value* as one line of inert Markdown.

    >>> print(md("[x](y) =SUM(A1)\n# no heading"))
    \[x\]\(y\) \=SUM\(A1\) \# no heading
    """
    return escape_markdown("" if value is None else value, one_line=True)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:,.4g}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _text(text: str) -> list[str]:
    lines = [escape_markdown(line) for line in text.strip().splitlines()]
    return ["  \n".join(lines) if lines else "_Not written yet._", ""]


def to_markdown(
    report: Report,
    narrative: Mapping[str, str] | None = None,
    *,
    charts_dir: str = "charts",
    title: str | None = None,
) -> tuple[str, dict[str, bytes]]:
    """The QBR as Markdown and its chart images: ``(text, {relative path: PNG bytes})``.

    The text refers to each chart as ``charts_dir/<name>.png``; :func:`write_markdown` writes both.
    """
    notes, story = report.notes, dict(narrative or {})
    heading = title or f"Quarterly business review · {report.period.title}"
    out = [
        f"# {md(heading)}",
        "",
        f"As of {md(as_of_text(report.generated_at))}, time zone {md(report.timezone)}.",
    ]
    for s in report.sources:
        out.append(
            f"- {md(s.kind)}: {md(s.name)} (version {md(s.version)}, data end {md(s.data_end)})"
        )
    out += ["", f"## {SECTION_TITLES['summary']}", "", *_text(story.get("summary", ""))]
    out += ["## Headline numbers", ""]
    rows = [
        [
            md(h.label),
            md(h.formatted()) if h.value is not None else f"– _{md(h.note)}_",
            md(h.change_text(h.previous)),
            md(h.change_text(h.year_ago)),
            md(h.formula),
        ]
        for h in report.headlines
    ]
    this = f"This {period_unit(report.period)}"
    out += _table(["Number", this, "vs previous", "vs a year before", "Formula"], rows)
    out += ["## Key charts", ""]
    files: dict[str, bytes] = {}
    for name, chart in report_charts(report, width=EXPORT_WIDTH).items():
        path = f"{charts_dir}/{name}.png"
        files[path] = to_png(chart)
        out += [f"![{CHART_TITLES[name]}]({path})", ""]
    out += [f"_{md(notes[k])}_\n" for k in ("revenue", "events") if notes.get(k)]
    out += ["## OKR results", ""]
    if not report.okrs:
        out += [f"_{md(notes.get('okrs'))}_", ""]
    for o in report.okrs:
        score = "–" if o.get("score") is None else f"{o['score']:.1f}"
        out += [
            f"### {md(o['title'])}",
            "",
            f"Score {score}, progress {_pct(o.get('progress'))}, status {md(o.get('status'))}.",
            "",
        ]
        krs = [
            [
                md(kr["title"]),
                _num(kr.get("start")),
                _num(kr.get("target")),
                _num(kr.get("final")),
                _pct(kr.get("progress")),
                md(kr.get("status")),
                md(" → ".join(f"{c:.0%}" for c in kr.get("confidence", [])) or "–"),
                md(kr.get("last_note")),
            ]
            for kr in o.get("key_results", [])
        ]
        if krs:
            out += _table(
                [
                    "Key result",
                    "Start",
                    "Target",
                    "Final",
                    "Progress",
                    "Status",
                    "Confidence",
                    "Last note",
                ],
                krs,
            )
    out += ["## Roadmap decisions", ""]
    if report.decisions:
        rows = [
            [
                md(d.get("session")),
                md(d.get("item")),
                md(d.get("decision")),
                md(d.get("rationale")),
                _num(d.get("score")),
                _num(d.get("spread")) + (" (disagreement)" if d.get("disagreement") else ""),
                md("; ".join(d.get("key_results", [])) or "–"),
            ]
            for d in report.decisions
        ]
        out += _table(
            ["Session", "Item", "Decision", "Rationale", "Mean score", "Spread", "Key results"],
            rows,
        )
    else:
        out += [f"_{md(notes.get('decisions'))}_", ""]
    out += ["## Customer evidence", ""]
    if report.evidence:
        rows = [
            [
                md(e.get("insight")),
                _num(e.get("notes")),
                _num(e.get("customers")),
                md(format_value(e.get("mrr"), "money")),
            ]
            for e in report.evidence
        ]
        out += _table(["Theme", "Notes", "Customers", "MRR behind it"], rows)
    else:
        out += [f"_{md(notes.get('evidence'))}_", ""]
    out += ["## Automatic insights", ""]
    out += [f"- **{md(i.get('title'))}**: {md(i.get('text'))}" for i in report.insights]
    out += [""] if report.insights else [f"_{md(notes.get('insights'))}_", ""]
    for name in ("wins", "misses", "focus"):
        out += [f"## {SECTION_TITLES[name]}", "", *_text(story.get(name, ""))]
    return "\n".join(out), files


def write_markdown(
    report: Report, path: Path, narrative: Mapping[str, str] | None = None
) -> list[Path]:
    """Write the Markdown to *path* and its charts to ``<stem>_charts/`` beside it; the paths."""
    folder = f"{path.stem}_charts"
    text, files = to_markdown(report, narrative, charts_dir=folder)
    written = [path]
    path.write_text(text, encoding="utf-8")
    for relative, data in files.items():
        target = path.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
