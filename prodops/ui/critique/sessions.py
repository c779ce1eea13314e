"""Critique sessions on the page: create, pick, score (hidden until submitted), results, decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from prodops.critique import (
    DECISION_LABELS,
    DECISIONS,
    DISAGREEMENT_POINTS,
    DISAGREEMENT_RELATIVE,
    DUPLICATE_SIMILARITY,
    HIGH_EFFORT,
    KINDS,
    LOW_CONFIDENCE,
    SESSION_STATUS_LABELS,
    Criterion,
    Framework,
    ScoresHiddenError,
    crud,
    framework,
    rubric_from_rows,
    scoring,
)
from prodops.critique import summary as summaries
from prodops.critique.charts import build_value_effort_chart
from prodops.critique.models import CritiqueSession, CritiqueSessionCreate
from prodops.critique.report import (
    export_frame,
    flag_labels,
    session_csv,
    session_markdown,
    value_effort_frame,
)
from prodops.critique.summary import SessionSummary
from prodops.errors import ProdOpsError
from prodops.okr import STATUS_LABELS
from prodops.text import escape_markdown
from prodops.ui.downloads import file_stem
from prodops.ui.session import flash, read, show_error, write

PICK_KEY = "critique_session_pick"
KIND_LABELS = {"rubric": "Weighted rubric", "rice": "RICE", "ice": "ICE", "wsjf": "WSJF"}
RICE_IMPACT = [0.25, 0.5, 1.0, 2.0, 3.0]
FLAGS_HELP = (
    f"Flags: no linked key result; no evidence; high effort (at least {HIGH_EFFORT:.0%} of its "
    f"scale) with low confidence (below {LOW_CONFIDENCE:.0%}); reviewers disagree (spread above "
    f"{DISAGREEMENT_POINTS:g} points on a rubric, above {DISAGREEMENT_RELATIVE:.0%} of the median "
    f"otherwise); possible duplicate (title similarity at least {DUPLICATE_SIMILARITY:g})."
)


# --- Creating and picking a session ---------------------------------------------------------------


def _rubric_editor() -> Framework:
    """The default rubric as an editable table (weights, criteria, "lower is better")."""
    rows = pd.DataFrame(
        [
            {"criterion": c.label, "weight": c.weight, "lower_is_better": c.lower_is_better}
            for c in framework("rubric").criteria
        ]
    )
    st.caption("Criteria are scored 1-5; weights set their share of the 0-100 score.")
    edited = st.data_editor(rows, num_rows="dynamic", hide_index=True, key="critique_rubric")
    return rubric_from_rows(edited.to_dict("records"))


def render_new_session(engine: Engine) -> None:
    """Name, date, framework (or an edited rubric), participants and items of a new session."""
    items = read(engine, crud.list_items)
    if not items:
        st.info("Add or import roadmap items first.")
        return
    kind: str = st.selectbox(
        "Framework", list[str](KINDS), format_func=lambda k: KIND_LABELS[k], key="critique_new_kind"
    )
    try:
        fw = _rubric_editor() if kind == "rubric" else framework(kind)
    except ProdOpsError as error:
        show_error(error)
        return
    by_id = {i.id or 0: i for i in items}
    with st.form("critique_new_session"):
        left, right = st.columns([3, 1])
        name = left.text_input("Session name", key="critique_new_name")
        held_on = right.date_input("Date", key="critique_new_date")
        people = st.text_input(
            "Participants (comma-separated; their scores stay hidden from each other until each "
            "submits)",
            key="critique_new_people",
        )
        chosen = st.multiselect(
            "Items",
            list(by_id),
            default=list(by_id),
            format_func=lambda i: f"{by_id[i].title} ({by_id[i].key})",
            key="critique_new_items",
        )
        if not st.form_submit_button("Create session", key="critique_create", type="primary"):
            return
    session_in = CritiqueSessionCreate(
        name=name,
        held_on=held_on if isinstance(held_on, dt.date) else dt.date.today(),
        framework=fw.to_dict(),
        participants=[p for p in people.split(",") if p.strip()],
    )
    row = write(engine, crud.create_session, session_in=session_in, item_ids=chosen)
    if row is not None:
        st.session_state[PICK_KEY] = row.id  # the picker is drawn below: not instantiated yet
        flash(f"Session {row.name!r} created.")
        st.rerun()


def pick_session(engine: Engine) -> CritiqueSession | None:
    sessions = read(engine, crud.list_sessions)
    if not sessions:
        st.info("No critique session yet: create one above.")
        return None
    by_id = {s.id or 0: s for s in sessions}
    if st.session_state.get(PICK_KEY) not in by_id:
        st.session_state[PICK_KEY] = next(iter(by_id))
    chosen = st.selectbox(
        "Session",
        list(by_id),
        format_func=lambda i: (
            f"{by_id[i].name} · {by_id[i].held_on} · {SESSION_STATUS_LABELS[by_id[i].status]}"
        ),
        key=PICK_KEY,
    )
    return by_id[chosen]


def render_session_header(engine: Engine, crit: CritiqueSession) -> None:
    fw = crud.session_framework(crit)
    left, right = st.columns([4, 1])
    participants = ", ".join(crit.participants) or "anyone"
    left.text(f"{fw.name} · participants: {participants} · {SESSION_STATUS_LABELS[crit.status]}")
    label = "Close session" if crit.status == "open" else "Reopen session"
    if right.button(label, key=f"critique_toggle_{crit.id}"):
        status = "closed" if crit.status == "open" else "open"
        done = write(
            engine,
            crud.set_session_status,
            session_id=crit.id or 0,
            seen_version=crit.version,
            status=status,
        )
        if done is not None:
            flash(f"Session {status}.")
            st.rerun()


# --- Scoring --------------------------------------------------------------------------------------


def _criterion_input(fw: Framework, c: Criterion, key: str, current: float | None) -> Any:
    label = escape_markdown(c.label)
    help_text = escape_markdown(c.help) or None
    if fw.kind == "rice" and c.key == "impact":
        value = current if current in RICE_IMPACT else 1.0
        return st.select_slider(label, RICE_IMPACT, value=value, key=key, help=help_text)
    if c.high is None:
        start = float(current) if current is not None else max(float(c.low), 1.0)
        return st.number_input(label, min_value=float(c.low), value=start, key=key, help=help_text)
    low, high = int(c.low), int(c.high)
    step = 10 if high - low >= 50 else 1
    middle = low + ((high - low) // 2 // step) * step
    start_int = int(current) if current is not None else middle
    return st.slider(label, low, high, value=start_int, step=step, key=key, help=help_text)


def render_scoring(engine: Engine, crit: CritiqueSession, reviewer: str) -> None:
    """One form per item (the reviewer's own scores only), then "Submit my scores"."""
    sid = crit.id or 0
    fw = crud.session_framework(crit)
    items = read(engine, crud.session_items, session_id=sid)
    visible = read(engine, scoring.visible_scores, session_id=sid, reviewer=reviewer)
    mine = {s.item_id: s for s in visible if s.reviewer == reviewer}
    submitted = reviewer in read(engine, scoring.submitted_reviewers, session_id=sid)
    st.subheader("Your scores")
    if crit.status != "open":
        st.info("This session is closed: scores can no longer change.")
        return
    st.caption(f"{len(mine)} of {len(items)} items scored" + (" · submitted" if submitted else ""))
    for item in items:
        own = mine.get(item.id or 0)
        mark = " · scored" if own else ""
        with st.expander(escape_markdown(f"{item.title} ({item.key})") + mark):
            if item.description:
                st.text(item.description)
            with st.form(f"critique_score_form_{sid}_{item.id}"):
                values = {
                    c.key: _criterion_input(
                        fw,
                        c,
                        f"critique_score_{sid}_{item.id}_{c.key}",
                        own.criterion_scores.get(c.key) if own else None,
                    )
                    for c in fw.criteria
                }
                comment = st.text_input(
                    "Comment",
                    value=own.comment if own else "",
                    key=f"critique_comment_{sid}_{item.id}",
                )
                if st.form_submit_button("Save score", key=f"critique_save_{sid}_{item.id}"):
                    saved = write(
                        engine,
                        scoring.save_score,
                        session_id=sid,
                        item_id=item.id or 0,
                        reviewer=reviewer,
                        values=values,
                        comment=comment,
                    )
                    if saved is not None:
                        flash(f"Score saved for {item.title!r}.")
                        st.rerun()
    label = "Submit my scores again" if submitted else "Submit my scores"
    if st.button(label, key=f"critique_submit_{sid}", type="primary"):
        _submit(engine, sid, reviewer)


def _submit(engine: Engine, sid: int, reviewer: str) -> None:
    if write(engine, scoring.submit_scores, session_id=sid, reviewer=reviewer) is not None:
        flash("Scores submitted: everyone's scores are now visible to you.")
        st.rerun()


# --- Results --------------------------------------------------------------------------------------


def results_hidden(crit: CritiqueSession, reviewer: str | None, submitted: list[str]) -> bool:
    """A participant (anyone, when none are listed) sees results only after submitting; once a
    session is closed, scoring is over and everyone sees them."""
    if crit.status == "closed":
        return False
    if reviewer is None:
        return True
    participant = not crit.participants or reviewer in crit.participants
    return participant and reviewer not in submitted


def ranked_table(summary: SessionSummary) -> pd.DataFrame:
    """The ranked table as shown: readable flags and decisions."""
    out = export_frame(summary)
    return out.drop(columns=["rationale", "decided_by"])


def render_results(
    engine: Engine, crit: CritiqueSession, reviewer: str | None
) -> SessionSummary | None:
    """Ranked table with flags, the scores everyone gave, and the value-vs-effort chart."""
    sid = crit.id or 0
    submitted = read(engine, scoring.submitted_reviewers, session_id=sid)
    st.subheader("Results")
    if results_hidden(crit, reviewer, submitted):
        st.info("Scores are hidden until you submit yours.")
        return None
    try:  # the core refuses others' scores to a reviewer who has not submitted
        summary = read(engine, summaries.summarise_session, session_id=sid, viewer=reviewer)
        scores = read(engine, scoring.submitted_scores, session_id=sid, viewer=reviewer)
    except ScoresHiddenError:
        st.info("Scores are hidden until you submit yours.")
        return None
    st.caption(f"{len(submitted)} reviewer(s) submitted. Spread = max - min of their scores.")
    st.caption(FLAGS_HELP)
    st.dataframe(ranked_table(summary), hide_index=True, key=f"critique_ranked_{sid}")
    points = value_effort_frame(summary)
    if len(points):
        st.altair_chart(build_value_effort_chart(points), width="stretch")
    titles = {r["item_id"]: r["title"] for r in summary.table.to_dict("records")}
    rows = [
        {
            "reviewer": s.reviewer,
            "item": titles.get(s.item_id, ""),
            **s.criterion_scores,
            "score": summary.framework.score(s.criterion_scores),
            "comment": s.comment,
        }
        for s in scores
    ]
    if rows:
        with st.expander("Every reviewer's scores"):
            st.dataframe(pd.DataFrame(rows), hide_index=True)
    return summary


def render_item_detail(
    engine: Engine, crit: CritiqueSession, summary: SessionSummary, reviewer: str | None
) -> None:
    """One item: description, evidence, linked key results with status, trajectory, decision."""
    sid = crit.id or 0
    records = {r["item_id"]: r for r in summary.table.to_dict("records")}
    item_id = st.selectbox(
        "Item detail",
        list(records),
        format_func=lambda i: f"{records[i]['title']} ({records[i]['key']})",
        key=f"critique_detail_{sid}",
    )
    if item_id is None:
        return
    row = records[item_id]
    item = read(engine, crud.get_item, item_id=item_id)
    if item.description:
        st.text(item.description)
    st.text(f"Flags: {flag_labels(row['flags']) or 'none'}")
    if item.evidence:
        st.dataframe(pd.DataFrame(item.evidence), hide_index=True)
    links = read(engine, summaries.linked_key_results, item_id=item_id, as_of=dt.date.today())
    st.caption("Linked key results")
    if len(links):
        shown = links.assign(status=links["status"].map(lambda v: STATUS_LABELS.get(v, v)))
        st.dataframe(shown.drop(columns=["key_result_id"]), hide_index=True)
    else:
        st.text("none")
    st.caption("Trajectory across sessions")
    st.dataframe(read(engine, summaries.item_trajectory, item_id=item_id), hide_index=True)
    if reviewer is None:
        return
    current = row["decision"] or None
    if current:
        st.text(
            f"Current decision: {DECISION_LABELS[current]} ({row['decided_by']}): "
            f"{row['rationale']}"
        )
    # Keyed by item and current decision: the form starts at the decision in force.
    with st.form(f"critique_decision_{sid}_{item_id}", clear_on_submit=True):
        decision = st.selectbox(
            "Decision",
            list[str](DECISIONS),
            index=DECISIONS.index(current) if current in DECISIONS else 0,
            format_func=lambda d: DECISION_LABELS[d],
            key=f"critique_dec_{sid}_{item_id}_{current}",
        )
        rationale = st.text_area("Rationale", key=f"critique_rationale_{sid}_{item_id}")
        if st.form_submit_button("Record decision", key=f"critique_record_{sid}", type="primary"):
            done = write(
                engine,
                scoring.record_decision,
                session_id=sid,
                item_id=item_id,
                decision=decision,
                rationale=rationale,
                decided_by=reviewer,
            )
            if done is not None:
                st.session_state.pop(f"critique_rationale_{sid}_{item_id}", None)  # a fresh form
                flash(f"Decision recorded for {row['title']!r}.")
                st.rerun()


def render_downloads(summary: SessionSummary) -> None:
    stem = file_stem("critique", summary.session.name, summary.session.held_on.isoformat())
    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        data=session_csv(summary),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="critique_download_csv",
        on_click="ignore",
    )
    right.download_button(
        "Download Markdown summary",
        data=session_markdown(summary),
        file_name=f"{stem}.md",
        mime="text/markdown",
        key="critique_download_md",
        on_click="ignore",
    )
