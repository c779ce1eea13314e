"""AppTest of the roadmap-critique page: import, session, two reviewers, the lead decides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops.critique import crud
from prodops.critique import summary as summaries
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "5_Roadmap_Critique.py"
JIRA = Path(__file__).parent / "data" / "jira.csv"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.chdir(ROOT)
    # st.page_link resolves paths against the entry script; with a page as the entry script
    # (AppTest.from_file) the menu's links cannot resolve, so the menu is stubbed here.
    with mock.patch("prodops.ui.nav.render_sidebar") as sidebar:
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.run()
        assert sidebar.called
        yield at


def no_errors(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def set_name(at: AppTest, name: str) -> None:
    if any(b.key == "person_change_name" for b in at.button):
        at.button(key="person_change_name").click().run()
    at.text_input(key="person_name").input(name)
    at.button(key="person_use_name").click().run()
    assert f"Reviewing as {name}" in [t.value for t in at.text]


def ranked_table(at: AppTest) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "overall_median" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def score_all(at: AppTest, sid: int, values: dict[int, int]) -> None:
    """Score every item: all criteria at the item's value (effort left at 3)."""
    for item_id, value in values.items():
        for criterion in ("customer_value", "alignment", "evidence", "confidence"):
            at.slider(key=f"critique_score_{sid}_{item_id}_{criterion}").set_value(value)
        at.text_input(key=f"critique_comment_{sid}_{item_id}").input(f"c{value}")
        no_errors(at.button(key=f"critique_save_{sid}_{item_id}").click().run())
        assert any("Score saved" in s.value for s in at.success)
    no_errors(at.button(key=f"critique_submit_{sid}").click().run())
    assert any("Scores submitted" in s.value for s in at.success)


def test_whole_session_flow(app: AppTest) -> None:
    at = no_errors(app)
    set_name(at, "Ann")
    at.file_uploader(key="critique_upload").set_value((JIRA.name, JIRA.read_bytes(), "text/csv"))
    no_errors(at.run())
    assert at.selectbox(key="critique_preset").value == "jira"
    assert at.selectbox(key="critique_map_jira_effort").value == "Custom field (Story Points)"
    no_errors(at.button(key="critique_import").click().run())
    assert any("3 new, 0 updated" in s.value for s in at.success)
    # importing the same file again updates nothing and duplicates nothing
    no_errors(at.button(key="critique_import").click().run())
    assert any("0 new, 0 updated, 3 unchanged" in s.value for s in at.success)

    no_errors(at.radio(key="critique_view").set_value("Critique sessions").run())
    at.text_input(key="critique_new_name").input("Q1 critique")
    at.text_input(key="critique_new_people").input("Ann, Bob")
    no_errors(at.button(key="critique_create").click().run())
    assert at.selectbox(key="critique_session_pick").value == 1
    assert "Scores are hidden until you submit yours." in [i.value for i in at.info]

    # items in title order: Dark mode (2), Single sign-on (1), Usage-based billing (3)
    score_all(at, 1, {2: 5, 1: 3, 3: 1})
    # revealed after submitting: Ann now sees the results (her own scores so far)
    assert "Scores are hidden until you submit yours." not in [i.value for i in at.info]
    assert ranked_table(at)["reviewers"].tolist() == [1, 1, 1]
    set_name(at, "Bob")
    assert "Scores are hidden until you submit yours." in [i.value for i in at.info]
    score_all(at, 1, {2: 5, 1: 1, 3: 1})

    set_name(at, "Lea")  # the lead is not a participant: sees the results at once
    ranked = ranked_table(at)
    assert ranked["key"].tolist() == ["PRJ-2", "PRJ-1", "PRJ-3"]
    assert ranked["reviewers"].tolist() == [2, 2, 2]
    # Dark mode: 4 criteria at 5 (1.0), effort 3 (0.5): 4.5 / 5 = 90 for both reviewers
    assert ranked["overall_mean"].tolist()[0] == 90.0
    assert ranked.loc[2, "flags"] == "no linked key result; no evidence"

    no_errors(at.selectbox(key="critique_detail_1").set_value(1).run())
    assert at.selectbox(key="critique_dec_1_1_None").value == "approve"  # no decision yet
    at.selectbox(key="critique_dec_1_1_None").set_value("needs_evidence")
    at.text_area(key="critique_rationale_1_1").input("Show the enterprise demand first")
    no_errors(at.button(key="critique_record_1").click().run())
    ranked = ranked_table(at)
    assert ranked.set_index("key").loc["PRJ-1", "decision"] == "Needs evidence"
    # The form starts at the decision in force, in words; the rationale box is empty again.
    form = at.selectbox(key="critique_dec_1_1_needs_evidence")
    assert (form.value, form.format_func(form.value)) == ("needs_evidence", "Needs evidence")
    assert at.text_area(key="critique_rationale_1_1").value == ""
    assert "Current decision: Needs evidence (Lea): Show the enterprise demand first" in [
        t.value for t in at.text
    ]
    assert [b.label for b in at.get("download_button")] == [
        "Download CSV",
        "Download Markdown summary",
    ]
    with read_session(init_store()) as s:
        summary = summaries.summarise_session(session=s, session_id=1)
    row = summary.table.set_index("key").loc["PRJ-1"]
    assert (row["decision"], row["rationale"], row["decided_by"]) == (
        "needs_evidence",
        "Show the enterprise demand first",
        "Lea",
    )


def test_bad_upload_shows_one_clear_error(app: AppTest) -> None:
    app.file_uploader(key="critique_upload").set_value(
        ("r.csv", b"Issue key,Summary\nA-1,\n", "text/csv")
    )
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "r\\.csv, row 2\\: this row has no title\\. Fill the 'Summary' cell or delete the row\\."
    ]


def test_item_form_evidence_and_a_rice_session_refusing_zero_effort(app: AppTest) -> None:
    at = no_errors(app)
    set_name(at, "Ann")
    at.text_input(key="critique_item_title").input("Dark mode")
    at.text_input(key="critique_item_tags").input("ui, web")
    no_errors(at.button(key="critique_add_item").click().run())
    assert any("Added 'Dark mode'" in s.value for s in at.success)
    with read_session(init_store()) as s:
        item = crud.list_items(session=s)[0]
    assert (item.key, item.tags, item.evidence_count) == ("title:dark mode", ["ui", "web"], 0)
    at.text_input(key=f"critique_ev_link_{item.id}_1").input("https://research/42")
    at.text_input(key=f"critique_ev_note_{item.id}_1").input("**12** interviews")
    at.text_input(key=f"critique_ed_{item.id}_1_owner").input("Ann")
    no_errors(at.button(key=f"critique_save_item_{item.id}").click().run())
    with read_session(init_store()) as s:
        item = crud.get_item(session=s, item_id=item.id or 0)
    assert item.evidence == [{"link": "https://research/42", "note": "**12** interviews"}]
    assert (item.owner, item.version) == ("Ann", 3)  # the field edit, then the evidence

    # someone else edits the item while this form is open: the edit is refused, nothing lost
    at.text_input(key=f"critique_ed_{item.id}_3_team").input("Web")
    with write_session(init_store()) as s:
        crud.update_item(session=s, item_id=item.id or 0, seen_version=3, item_in={"team": "Core"})
    at.button(key=f"critique_save_item_{item.id}").click().run()
    assert "changed by someone else" in at.error[0].value
    assert "team is now 'Core'" in at.error[0].value
    with read_session(init_store()) as s:
        assert crud.get_item(session=s, item_id=item.id or 0).team == "Core"

    no_errors(at.radio(key="critique_view").set_value("Critique sessions").run())
    no_errors(at.selectbox(key="critique_new_kind").set_value("rice").run())
    at.text_input(key="critique_new_name").input("RICE review")
    no_errors(at.button(key="critique_create").click().run())
    at.number_input(key=f"critique_score_1_{item.id}_reach").set_value(500.0)
    at.select_slider(key=f"critique_score_1_{item.id}_impact").set_value(2.0)
    at.number_input(key=f"critique_score_1_{item.id}_effort").set_value(0.0)
    at.button(key=f"critique_save_1_{item.id}").click().run()
    assert [e.value for e in at.error] == [
        "RICE effort must be above 0 \\(got 0\\)\\. Enter the effort in person\\-months\\."
    ]
    at.number_input(key=f"critique_score_1_{item.id}_effort").set_value(2.0)
    no_errors(at.button(key=f"critique_save_1_{item.id}").click().run())
    no_errors(at.button(key="critique_submit_1").click().run())
    # 500 x 2 x 50 % / 2 = 250
    assert ranked_table(at)["overall_mean"].tolist() == [250.0]


def test_item_linked_to_a_key_result_shows_its_progress_and_status(app: AppTest) -> None:
    import datetime as dt

    from prodops.critique.models import RoadmapItemCreate
    from prodops.okr.models import CheckIn, KeyResult, Objective

    with write_session(init_store()) as s:
        objective = Objective(
            title="Win enterprise",
            period="2026-Q4",
            period_start=dt.date(2026, 10, 1),
            period_end=dt.date(2026, 12, 31),
        )
        s.add(objective)
        s.flush()
        kr = KeyResult(
            objective_id=objective.id or 0, title="10 SSO deals", start_value=0, target_value=10
        )
        s.add(kr)
        s.flush()
        s.add(CheckIn(key_result_id=kr.id or 0, value=5, confidence=0.9))
        item = crud.create_item(session=s, item_in=RoadmapItemCreate(title="SSO", key="PRJ-1"))
    at = no_errors(app.run())
    set_name(at, "Lea")
    at.multiselect(key=f"critique_ev_krs_{item.id}_1").set_value([kr.id])
    no_errors(at.button(key=f"critique_save_item_{item.id}").click().run())
    with read_session(init_store()) as s:
        assert crud.linked_key_result_ids(session=s, item_ids=[item.id or 0]) == {item.id: [kr.id]}
    no_errors(at.radio(key="critique_view").set_value("Critique sessions").run())
    at.text_input(key="critique_new_name").input("Q4")
    at.text_input(key="critique_new_people").input("Ann")  # Lea leads: sees results at once
    no_errors(at.button(key="critique_create").click().run())
    links = [d.value for d in at.dataframe if "key_result" in d.value.columns]
    assert links[0][["key_result", "objective", "progress"]].to_dict("records") == [
        {"key_result": "10 SSO deals", "objective": "Win enterprise", "progress": 0.5}
    ]
    assert links[0].loc[0, "status"] in {"On track", "At risk", "Off track"}  # words
    assert "no linked key result" not in ranked_table(at).loc[0, "flags"]


def test_an_item_is_archived_and_restored_from_the_page(app: AppTest) -> None:
    from prodops.critique.models import RoadmapItemCreate

    with write_session(init_store()) as s:
        kept = crud.create_item(session=s, item_in=RoadmapItemCreate(title="Audit log"))
        item = crud.create_item(session=s, item_in=RoadmapItemCreate(title="Dark mode"))
    at = no_errors(app.run())
    no_errors(at.selectbox(key="critique_edit_item").set_value(item.id).run())
    no_errors(at.button(key=f"critique_archive_{item.id}").click().run())
    assert "Archived 'Dark mode'." in [s.value.replace("\\", "") for s in at.success]
    assert at.dataframe[0].value["title"].tolist() == ["Audit log"]
    with read_session(init_store()) as s:
        assert [i.title for i in crud.list_items(session=s)] == [kept.title]
    no_errors(at.toggle(key="critique_show_archived").set_value(True).run())
    shown = at.dataframe[0].value
    assert shown[["title", "archived"]].values.tolist() == [
        ["Audit log", False],
        ["Dark mode", True],
    ]
    no_errors(at.selectbox(key="critique_edit_item").set_value(item.id).run())
    no_errors(at.button(key=f"critique_archive_{item.id}").click().run())
    with read_session(init_store()) as s:
        assert not crud.get_item(session=s, item_id=item.id).archived


def test_sessions_and_decisions_read_as_words(app: AppTest) -> None:
    import datetime as dt

    from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate

    with write_session(init_store()) as s:
        item = crud.create_item(session=s, item_in=RoadmapItemCreate(title="SSO"))
        crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name="Q4", held_on=dt.date(2026, 11, 2)),
            item_ids=[item.id],
        )
    at = no_errors(app.run())
    no_errors(at.radio(key="critique_view").set_value("Critique sessions").run())
    picker = at.selectbox(key="critique_session_pick")
    assert picker.format_func(picker.value) == "Q4 · 2026-11-02 · open for scoring"
    decision = "approve_with_changes"
    from prodops.critique.charts import build_value_effort_chart

    frame = pd.DataFrame({"title": ["SSO"], "value": [60.0], "effort": [20.0],
                          "decision": [decision]})  # fmt: skip
    spec = build_value_effort_chart(frame).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert data[0]["decision"] == "Approve with changes"


# --- Text people typed is shown as typed (issue 17, item 9) -----------------------------------

HOSTILE = (
    "$x^2$ **bold** [link](javascript:alert(1)) <b>b</b> https://evil.example "
    "www.evil.example :material/home: :streamlit: :red[red]"
)
RENDERED = ("$x^2$", "**bold**", "[link](", "<b>", "https://", "www.", ":material/", ":streamlit:")


def unescape(text: str) -> str:
    """What a reader sees: Markdown backslash escapes and word joiners removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text.replace("\u2060", ""))


def shown_texts(at: AppTest) -> list[str]:
    """Every string the page hands to Streamlit's Markdown renderer (labels, help, messages)."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "subheader"):
        texts += [str(e.value) for e in at.get(kind)]
    for kind in ("expander", "slider", "number_input", "select_slider", "selectbox", "radio",
                 "text_input", "button", "multiselect"):  # fmt: skip
        for e in at.get(kind):
            texts += [str(getattr(e, "label", "") or ""), str(getattr(e, "help", "") or "")]
    return texts


def test_titles_criteria_and_help_are_shown_as_typed_not_as_markdown(app: AppTest) -> None:
    import datetime as dt

    from prodops.critique import Criterion, custom_rubric
    from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate

    rubric = custom_rubric(
        "Hostile rubric",
        [
            Criterion(key="value", label=HOSTILE, help=HOSTILE),
            Criterion(key="effort", label="Effort", lower_is_better=True),
        ],
    )
    with write_session(init_store()) as s:
        item = crud.create_item(
            session=s, item_in=RoadmapItemCreate(title=HOSTILE, key="K-1", description=HOSTILE)
        )
        crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(
                name=HOSTILE,
                held_on=dt.date(2026, 3, 2),
                framework=rubric.to_dict(),
                participants=["Ann"],
            ),
            item_ids=[item.id or 0],
        )
    at = no_errors(app.run())
    set_name(at, "Ann")
    no_errors(at.radio(key="critique_view").set_value("Critique sessions").run())
    no_errors(at.button(key=f"critique_save_1_{item.id}").click().run())  # flashes the title

    texts = shown_texts(at)
    assert [t for t in texts if any(r in t for r in RENDERED)] == []
    # ... and the text is all there, as typed, once the escapes are read
    seen = [unescape(t) for t in texts]
    assert f"{HOSTILE} (K-1) · scored" in seen  # the item's expander
    assert seen.count(HOSTILE) >= 2  # the criterion's label and its help
    assert f"Score saved for {HOSTILE!r}." in seen
    assert HOSTILE in [t.value for t in at.text]  # the description, with st.text
