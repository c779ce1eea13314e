"""The alignment tree as a graph: objective -> key results -> roadmap items that serve them.

:func:`alignment_dot` returns Graphviz DOT text (the page draws it with ``st.graphviz_chart``);
every label is people's text, so it is escaped for DOT's quoted strings and never read as an
HTML-like label. Objectives nest under their parent objective; a roadmap item linked to several
key results has one node with an edge from each.

Examples
--------
>>> import datetime as dt
>>> from prodops.okr.report import ObjectiveView
>>> view = ObjectiveView(id=1, title='Grow "fast"', description="", owner="", team="",
...     period="2026-Q4", period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 12, 31),
...     parent_id=None, archived=False, version=1, expected=0.5, progress=None, status=None,
...     score=None, reading=None, key_results=())
>>> print(alignment_dot([view], {}))
digraph alignment {
  rankdir=LR;
  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11];
  "o1" [label="Grow \\"fast\\"\\nno key results yet", fillcolor="#e8e8e8"];
}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prodops.okr import rules
from prodops.okr.report import NO_KEY_RESULTS, ObjectiveView, alignment_tree

STATUS_FILL = {"on_track": "#d4edda", "at_risk": "#fff3cd", "off_track": "#f8d7da"}
NEUTRAL_FILL = "#e8e8e8"
ITEM_FILL = "#e3ecfa"


def dot_text(text: str) -> str:
    """*text* as the inside of a DOT quoted string (backslashes, quotes, line breaks escaped).

    >>> dot_text('a "b" \\\\ c')
    'a \\\\"b\\\\" \\\\\\\\ c'
    """
    cleaned = " ".join(text.split())
    return cleaned.replace("\\", "\\\\").replace('"', '\\"')


def _status_text(status: str | None, progress: float | None) -> str:
    if status is None or progress is None:
        return NO_KEY_RESULTS
    return f"{rules.STATUS_LABELS[status]} · {progress:.0%}"


def alignment_dot(
    views: Sequence[ObjectiveView], items_by_key_result: Mapping[int, Sequence[tuple[int, str]]]
) -> str:
    """DOT text of the period's alignment: objectives (nested under parents), their active key
    results, and the roadmap items (id, title) linked to each key result."""
    lines = [
        "digraph alignment {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11];',
    ]
    items: dict[int, str] = {}
    edges: list[str] = []
    for _depth, view in alignment_tree(views):
        fill = STATUS_FILL.get(view.status or "", NEUTRAL_FILL)
        label = f"{dot_text(view.title)}\\n{_status_text(view.status, view.progress)}"
        lines.append(f'  "o{view.id}" [label="{label}", fillcolor="{fill}"];')
        if view.parent_id is not None and any(v.id == view.parent_id for v in views):
            edges.append(f'  "o{view.parent_id}" -> "o{view.id}";')
        for kr in view.key_results:
            if kr.archived:
                continue
            kr_label = f"{dot_text(kr.title)}\\n{_status_text(kr.status, kr.progress)}"
            kr_fill = STATUS_FILL.get(kr.status, NEUTRAL_FILL)
            lines.append(f'  "k{kr.id}" [label="{kr_label}", shape=note, fillcolor="{kr_fill}"];')
            edges.append(f'  "o{view.id}" -> "k{kr.id}";')
            for item_id, title in items_by_key_result.get(kr.id, ()):
                items[item_id] = title
                edges.append(f'  "k{kr.id}" -> "i{item_id}";')
    for item_id, title in items.items():
        lines.append(
            f'  "i{item_id}" [label="{dot_text(title)}", shape=component, fillcolor="{ITEM_FILL}"];'
        )
    return "\n".join([*lines, *edges, "}"])
