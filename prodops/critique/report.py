"""Exports of a critique session: a CSV table and a Markdown summary to paste into a review doc.

Both are built from :class:`prodops.critique.summary.SessionSummary`. The CSV neutralises
formula cells (:func:`prodops.export.to_safe_csv`); the Markdown escapes every piece of user text
(:func:`escape_markdown`), so a title such as ``# [x](http://…)`` or ``a | b`` stays plain text.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from prodops.critique.rules import DECISION_LABELS, FLAG_LABELS, quadrant, value_effort
from prodops.critique.summary import TABLE_COLUMNS, SessionSummary
from prodops.export import to_safe_csv
from prodops.text import escape_markdown

# Backslash-escapable ASCII punctuation that Markdown (CommonMark / GFM) gives a meaning to.
# The session table as exported: every column but the internal item id.
CSV_COLUMNS = tuple(c for c in TABLE_COLUMNS if c != "item_id")


def _inline(text: Any) -> str:
    """*text* as one line of inert Markdown (a table cell, a list item)."""
    return escape_markdown(text, one_line=True)


def flag_labels(codes: str) -> str:
    """ "no_evidence, duplicate" -> "no evidence; possible duplicate"."""
    return "; ".join(FLAG_LABELS.get(c.strip(), c.strip()) for c in codes.split(",") if c.strip())


def export_frame(summary: SessionSummary) -> pd.DataFrame:
    """The session table as exported: readable flags and decisions, rounded scores."""
    table = summary.table
    extra = [c for c in table.columns if c.endswith("_mean") and c != "overall_mean"]
    out = table[[*CSV_COLUMNS, *extra]].copy()
    out["flags"] = out["flags"].map(flag_labels)
    out["decision"] = out["decision"].map(lambda d: DECISION_LABELS.get(d, d))
    score_cols = ["overall_mean", "overall_median", "spread", *extra]
    out[score_cols] = out[score_cols].astype("Float64").round(2)
    return out


def session_csv(summary: SessionSummary) -> str:
    """The session as CSV text, one row per item, best first (formula cells neutralised)."""
    return to_safe_csv(export_frame(summary))


def value_effort_frame(summary: SessionSummary) -> pd.DataFrame:
    """The frame behind the value-vs-effort chart: ``item_id, title, value, effort, quadrant,
    decision`` for every scored item."""
    points = value_effort(summary.framework, summary.aggregate)
    points["item_id"] = points["item"].astype("int64")
    table = summary.table[["item_id", "title", "decision"]]
    out = points.merge(table, on="item_id", how="left")
    out["quadrant"] = [quadrant(v, e) for v, e in zip(out["value"], out["effort"], strict=True)]
    return out[["item_id", "title", "value", "effort", "quadrant", "decision"]]


def _fmt(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.1f}"


def session_markdown(summary: SessionSummary, *, top_n: int = 3) -> str:
    """A Markdown summary: header, decisions, flags, top and bottom items (user text escaped)."""
    s = summary.session
    table = summary.table
    scored = table[table["rank"].notna()]
    lines = [
        f"# Roadmap critique: {_inline(s.name)}",
        "",
        f"- Date: {s.held_on.isoformat()}",
        f"- Framework: {_inline(summary.framework.name)}",
        f"- Reviewers who submitted: {_inline(', '.join(summary.reviewers)) or 'none'}",
        f"- Items: {len(table)} ({len(scored)} scored)",
        "",
        "## Decisions",
        "",
        "| Rank | Item | Score | Decision | Rationale | By |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in table.to_dict("records"):
        rank = "–" if pd.isna(row["rank"]) else str(int(row["rank"]))
        decision = DECISION_LABELS.get(row["decision"], "") or "undecided"
        lines.append(
            f"| {rank} | {_item(row)} | {_fmt(row['overall_mean'])} | {decision} | "
            f"{_inline(row['rationale'])} | {_inline(row['decided_by'])} |"
        )
    lines += ["", "## Flags", ""]
    flagged = [r for r in table.to_dict("records") if r["flags"]]
    lines += [f"- {_item(r)}: {flag_labels(r['flags'])}" for r in flagged] or ["- none"]
    for heading, rows in (
        ("Top items", scored.head(top_n)),
        ("Bottom items", scored.tail(top_n).iloc[::-1]),
    ):
        lines += ["", f"## {heading}", ""]
        lines += [
            f"{i}. {_item(r)}: {_fmt(r['overall_mean'])} (spread {_fmt(r['spread'])})"
            for i, r in enumerate(rows.to_dict("records"), start=1)
        ] or ["- no scores yet"]
    return "\n".join(lines) + "\n"


def _item(row: Mapping[Hashable, Any]) -> str:
    return f"{_inline(row['title'])} ({_inline(row['key'])})"
