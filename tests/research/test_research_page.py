"""AppTest of the Customer insights page: name, add notes, search, insight, merge, duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from prodops.critique import crud as critique_crud
from prodops.critique.models import RoadmapItemCreate
from prodops.research import crud, evidence_counts, insight_crud
from prodops.research.importers import import_file
from prodops.research.models import ResearchInsightCreate
from prodops.store.db import init_store, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "7_Customer_Insights.py"
DATA = Path(__file__).parent / "data"
EVIL = "![x](https://evil.example/pixel.png) <img src=x onerror=alert(1)> **bold** =1+1"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.chdir(ROOT)
    with (
        mock.patch("prodops.ui.nav.render_sidebar"),
        mock.patch("prodops.ui.examples.ensure_set_up"),
    ):
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.run()
        yield at


def no_errors(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def set_name(at: AppTest, name: str) -> None:
    at.text_input(key="person_name").input(name)
    at.button(key="person_use_name").click().run()
    assert f"Working as {name}" in [t.value for t in at.text]


def markdown_text(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.caption, *at.success, *at.info])


def test_typing_a_note_then_searching_for_it(app: AppTest) -> None:
    no_errors(app)
    set_name(app, "Ann")
    app.text_area(key="insights_note_text").input("We need SSO with Okta before rollout")
    app.text_input(key="insights_note_customer").input("u000027")
    app.text_input(key="insights_note_tags").input("SSO, security")
    app.button[[b.label for b in app.button].index("Add note")].click().run()
    no_errors(app)
    app.text_input(key="insights_search").input("okta").run()
    table = next(d.value for d in app.dataframe if "text" in d.value.columns)
    assert table["text"].tolist() == ["We need SSO with Okta before rollout"]
    assert table["tags"].tolist() == ["sso, security"]
    with read_session(init_store()) as s:
        (note,) = crud.list_notes(session=s)
    assert (note.created_by, note.customer_id, note.source) == ("Ann", "u000027", "manual")


def test_untrusted_note_text_is_never_rendered_as_markdown(app: AppTest, tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(f'id,text,company\ne1,"{EVIL}",Acme\ne2,"{EVIL} again",Acme\n')
    engine = init_store()
    import_file(engine, path, actor="bot", source_kind="review")
    with write_session(engine) as s:
        insight = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim=EVIL), actor="bot"
        )
        note = crud.get_note_by_source(session=s, source="file:evil.csv", source_id="e1")
        assert note is not None and note.id is not None and insight.id is not None
        insight_crud.assign_note(
            session=s, note_id=note.id, insight_id=insight.id, seen_version=1, actor="b"
        )
    set_name(app, "Ann")
    for view in ("Notes", "Insights", "Duplicates", "NPS"):
        app.radio(key="insights_view").set_value(view).run()
        no_errors(app)
        assert "evil.example" not in markdown_text(app) and "<img" not in markdown_text(app)
    app.radio(key="insights_view").set_value("Insights").run()
    assert EVIL in [t.value.split("  ·  ")[0] for t in app.text]  # shown as plain text


def test_an_insight_merge_and_undo_on_the_page(app: AppTest) -> None:
    engine = init_store()
    import_file(engine, DATA / "intercom.csv", actor="bot")
    with write_session(engine) as s:
        a = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim="SSO"), actor="b"
        )
        b = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim="SAML login"), actor="b"
        )
        item = critique_crud.create_item(
            session=s, item_in=RoadmapItemCreate(title="Single sign-on", key="PRJ-1")
        )
        note = crud.get_note_by_source(session=s, source="intercom", source_id="ic-1")
        assert note is not None and note.id is not None and b.id is not None
        insight_crud.assign_note(
            session=s, note_id=note.id, insight_id=b.id, seen_version=1, actor="b"
        )
        insight_crud.link_item(session=s, insight_id=a.id or 0, item_id=item.id or 0, actor="b")
    set_name(app, "Ann")
    app.radio(key="insights_view").set_value("Insights").run()
    app.selectbox(key="insights_pick").set_value(b.id).run()
    app.selectbox(key=f"insights_merge_into_{b.id}").set_value(a.id).run()
    app.button(key=f"insights_merge_{b.id}").click().run()
    no_errors(app)
    with read_session(engine) as s:
        assert crud.get_insight(session=s, insight_id=b.id).merged_into_id == a.id
        assert evidence_counts(session=s, item_ids=[item.id or 0]) == {item.id: 1}
    app.selectbox(key="insights_pick").set_value(b.id).run()
    app.button(key=f"insights_unmerge_{b.id}").click().run()
    no_errors(app)
    with read_session(engine) as s:
        assert crud.get_insight(session=s, insight_id=b.id).merged_into_id is None
        assert evidence_counts(session=s, item_ids=[item.id or 0]) == {item.id: 0}


def test_duplicates_view_marks_a_pair(app: AppTest, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,text\n"
        "c1,We need single sign-on with Okta before the company-wide rollout\n"
        "c2,We need single sign-on with Okta befor the company-wide rolout\n"
        "c3,Invoices need the VAT number\n"
        "c4,Dark mode for the night shift\n"
    )
    engine = init_store()
    import_file(engine, path, actor="bot", source_kind="sales_call")
    set_name(app, "Ann")
    app.radio(key="insights_view").set_value("Duplicates").run()
    no_errors(app)
    pairs = next(d.value for d in app.dataframe if "similarity" in d.value.columns)
    assert pairs[["a", "b"]].values.tolist() == [["c1", "c2"]]
    app.button(key="dup_mark").click().run()
    no_errors(app)
    with read_session(engine) as s:
        c1 = crud.get_note_by_source(session=s, source="file:calls.csv", source_id="c1")
        c2 = crud.get_note_by_source(session=s, source="file:calls.csv", source_id="c2")
        assert c1 is not None and c2 is not None and c2.duplicate_of_id == c1.id
    assert "0 pairs of near-duplicate notes" in [c.value for c in app.caption]


def test_nps_view_shows_the_score(app: AppTest) -> None:
    import_file(init_store(), DATA / "nps.csv", actor="bot", property_cols=["Plan"])
    set_name(app, "Ann")
    app.radio(key="insights_view").set_value("NPS").run()
    no_errors(app)
    # r1 = 10 (promoter), r2 = 3 (detractor), r3 = 8 (passive): (1 - 1) / 3 -> 0.
    assert [m.value for m in app.metric] == ["+0"]


def test_every_view_runs_on_the_demo_notes(app: AppTest, prodops_home: Path) -> None:
    from prodops.data.demo_research import demo_customers, demo_notes, install_demo_notes
    from prodops.data.demo_rituals import create_examples

    engine = init_store()
    with write_session(engine) as s:
        create_examples(session=s)
    install_demo_notes(engine, home=prodops_home)
    set_name(app, "Ann")
    for view in ("Notes", "Insights", "Duplicates", "NPS"):
        app.radio(key="insights_view").set_value(view).run()
        no_errors(app)
    app.radio(key="insights_view").set_value("Insights").run()
    insights = next(d.value for d in app.dataframe if "claim" in d.value.columns)
    # 70 % of each theme's notes (planted duplicates aside) are filed under its insight.
    notes = demo_notes(demo_customers())
    originals = notes[(notes["theme"] != "") & ~notes["planted"]].groupby("theme").size()
    assert len(insights) == 10
    assert insights["notes"].sum() == sum(int(n * 0.7) for n in originals)
    app.radio(key="insights_view").set_value("Notes").run()
    app.text_input(key="insights_tag").input("sso").run()
    notes = next(d.value for d in app.dataframe if "text" in d.value.columns)
    assert len(notes) > 10 and all("sso" in t for t in notes["tags"])


def test_a_typed_note_is_offered_the_insight_it_probably_belongs_to(app: AppTest) -> None:
    engine = init_store()
    with write_session(engine) as s:
        for claim in ("Customers need SSO with Okta", "Exports time out", "Dark mode"):
            insight_crud.create_insight(
                session=s, insight_in=ResearchInsightCreate(claim=claim), actor="a"
            )
    set_name(app, "Ann")
    app.text_area(key="insights_note_text").input("Our IT wants Okta single sign-on (SSO)")
    app.button[[b.label for b in app.button].index("Add note")].click().run()
    no_errors(app)
    offered = [b for b in app.button if b.key and b.key.startswith("insights_file_")]
    assert offered, "no insight suggested"
    offered[0].click().run()
    no_errors(app)
    with read_session(engine) as s:
        (note,) = crud.list_notes(session=s)
        assert note.insight_id is not None
        assert crud.get_insight(session=s, insight_id=note.insight_id).claim == (
            "Customers need SSO with Okta"
        )
