"""CSV and Markdown exports of a session, and the value-vs-effort chart spec."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from prodops.critique import crud, framework, scoring
from prodops.critique import summary as summaries
from prodops.critique.charts import build_value_effort_chart
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.critique.report import (
    session_csv,
    session_markdown,
    value_effort_frame,
)
from prodops.critique.summary import SessionSummary
from prodops.store.db import init_store, read_session, write_session

GOOD = {"customer_value": 5, "alignment": 5, "evidence": 5, "confidence": 5, "effort": 1}  # 100
MID = {"customer_value": 5, "alignment": 3, "evidence": 2, "confidence": 4, "effort": 3}  # 60
LOW = {"customer_value": 1, "alignment": 1, "evidence": 1, "confidence": 1, "effort": 5}  # 0


@pytest.fixture
def summary(tmp_path: Path) -> SessionSummary:
    engine = init_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    titles = ['=HYPERLINK("http://x")', "# Big | bet `now`", "Dark mode"]
    with write_session(engine) as s:
        ids = [
            int(
                crud.create_item(session=s, item_in=RoadmapItemCreate(title=t, key=f"K-{n}")).id
                or 0
            )
            for n, t in enumerate(titles, start=1)
        ]
        sid = int(
            crud.create_session(
                session=s,
                session_in=CritiqueSessionCreate(
                    name="Q1 [critique]",
                    held_on=dt.date(2026, 11, 20),
                    framework=framework("rubric").to_dict(),
                ),
                item_ids=ids,
            ).id
            or 0
        )
        scoring.submit_scores(
            session=s,
            session_id=sid,
            reviewer="Ann",
            scores={ids[0]: MID, ids[1]: GOOD, ids[2]: LOW},
        )
        scoring.submit_scores(
            session=s,
            session_id=sid,
            reviewer="Bob",
            scores={ids[0]: MID, ids[1]: GOOD, ids[2]: GOOD},
        )
        scoring.record_decision(
            session=s,
            session_id=sid,
            item_id=ids[1],
            decision="approve",
            rationale="Clear | win\n# yes",
            decided_by="Lead",
        )
        scoring.record_decision(
            session=s,
            session_id=sid,
            item_id=ids[2],
            decision="reject",
            rationale="Not now",
            decided_by="Lead",
        )
    with read_session(engine) as s:
        return summaries.summarise_session(session=s, session_id=sid)


def test_csv_export_is_ranked_readable_and_formula_safe(summary: SessionSummary) -> None:
    frame = pd.read_csv(io.StringIO(session_csv(summary)), keep_default_na=False)
    assert frame["key"].tolist() == ["K-2", "K-1", "K-3"]  # 100, 60, 50
    assert frame["overall_mean"].tolist() == [100.0, 60.0, 50.0]
    assert frame["spread"].tolist() == [0.0, 0.0, 100.0]
    assert frame["title"].tolist()[1] == '\'=HYPERLINK("http://x")'
    assert frame["decision"].tolist() == ["Approve", "", "Reject"]
    assert frame.loc[2, "flags"] == "no linked key result; no evidence; reviewers disagree"
    assert frame.loc[0, "rationale"] == "Clear | win\n# yes"
    assert frame.loc[0, "effort_mean"] == 1.0


def test_markdown_summary_escapes_user_text(summary: SessionSummary) -> None:
    text = session_markdown(summary, top_n=1)
    assert text.startswith("# Roadmap critique: Q1 \\[critique\\]\n")
    assert (
        "| 1 | \\# Big \\| bet \\`now\\` (K\\-2) | 100.0 | Approve | Clear \\| win \\# yes | Lead |"
        in text
    )
    # (a word joiner after "http" keeps Markdown renderers from linking the bare URL)
    assert '| 2 | \\=HYPERLINK\\("http\u2060\\://x"\\) (K\\-1) | 60.0 | undecided |  |  |' in text
    assert "- Dark mode (K\\-3): no linked key result; no evidence; reviewers disagree" in text
    top = text.split("## Top items")[1].split("##")[0]
    bottom = text.split("## Bottom items")[1]
    assert "1. \\# Big \\| bet \\`now\\` (K\\-2): 100.0 (spread 0.0)" in top
    assert "1. Dark mode (K\\-3): 50.0 (spread 100.0)" in bottom
    # no user-controlled line can start a heading or a table row of its own
    assert all(not line.startswith("# ") for line in text.splitlines()[1:])


def test_value_effort_frame_and_chart_spec(summary: SessionSummary) -> None:
    frame = value_effort_frame(summary).set_index("title")
    assert frame.loc["# Big | bet `now`", ["value", "effort"]].tolist() == [100.0, 0.0]
    assert frame.loc["# Big | bet `now`", "quadrant"] == "quick win"
    # Dark mode: value criteria means 3, 3, 3 -> 0.5 -> 50; effort mean 3 -> 50
    assert frame.loc["Dark mode", ["value", "effort"]].tolist() == [50.0, 50.0]
    spec = build_value_effort_chart(value_effort_frame(summary)).to_dict()
    points, vertical, horizontal, *labels = spec["layer"]
    assert points["mark"]["type"] == "circle"
    assert points["encoding"]["x"]["field"] == "effort"
    assert points["encoding"]["y"]["field"] == "value"
    assert points["encoding"]["x"]["scale"]["domain"] == [0, 100]
    assert points["encoding"]["color"]["scale"]["domain"][-1] == "Undecided"
    assert vertical["mark"]["type"] == "rule" and vertical["encoding"]["x"]["field"] == "at"
    assert horizontal["encoding"]["y"]["field"] == "at"
    datasets = spec["datasets"]
    rows = datasets[points["data"]["name"]]
    assert sorted(r["decision"] for r in rows) == ["Approve", "Reject", "Undecided"]
    label_rows = [r for layer in labels for r in datasets[layer["data"]["name"]]]
    assert sorted(r["label"] for r in label_rows) == [
        "Big bets",
        "Fill-ins",
        "Money pits",
        "Quick wins",
    ]


def test_chart_refuses_a_frame_without_value_and_effort() -> None:
    from prodops.errors import ColumnError

    with pytest.raises(ColumnError, match="value"):
        build_value_effort_chart(pd.DataFrame({"title": ["x"]}))
