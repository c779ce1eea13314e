"""The insight store on SQLite and PostgreSQL: notes, re-imports, insights, merges, links."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from prodops.critique import crud as critique_crud
from prodops.critique.models import RoadmapItemCreate
from prodops.errors import NotFoundError, ParameterError, StaleEditError
from prodops.research import crud, evidence_counts, insight_crud, item_demand, quarter_evidence
from prodops.research.models import ResearchInsightCreate, ResearchNoteCreate
from prodops.research.search import search_notes
from prodops.store.db import read_session, write_session
from prodops.store.versioning import edit_log


def note(text: str, **fields: object) -> ResearchNoteCreate:
    return ResearchNoteCreate(text=text, source_kind=fields.pop("kind", "interview"), **fields)  # type: ignore[arg-type]


def rows(*records: dict[str, object]) -> pd.DataFrame:
    base = {
        "customer_id": "",
        "customer_email": "",
        "customer_company": "",
        "noted_on": None,
        "link": "",
        "tags": [],
        "score": None,
        "source_kind": "support_ticket",
        "properties": {},
    }
    return pd.DataFrame([{**base, **r} for r in records])


def test_a_note_records_who_wrote_it_and_when(engine: Engine) -> None:
    with write_session(engine) as s:
        made = crud.create_note(
            session=s, note_in=note("Need SSO", tags=["SSO", " sso "]), actor="ann"
        )
    assert made.created_by == made.updated_by == "ann"
    assert made.tags == ["sso"]
    assert made.source == "manual" and made.source_id.startswith("manual-")
    assert made.created_at.tzinfo is not None


def test_a_note_needs_text_and_a_known_kind(engine: Engine) -> None:
    with write_session(engine) as s, pytest.raises(ParameterError, match="note text is empty"):
        crud.create_note(session=s, note_in=note("  "), actor="ann")
    with write_session(engine) as s, pytest.raises(ParameterError, match="support_ticket"):
        crud.create_note(session=s, note_in=note("x", kind="support ticket"), actor="ann")


def test_reimporting_an_export_updates_by_source_id_instead_of_duplicating(
    engine: Engine,
) -> None:
    first = rows({"source_id": "T1", "text": "Export is slow"}, {"source_id": "T2", "text": "SSO"})
    with write_session(engine) as s:
        counts = crud.import_notes(session=s, rows=first, source="zendesk", actor="bot")
    assert (counts.created, counts.updated, counts.unchanged) == (2, 0, 0)
    again = rows(
        {"source_id": "T1", "text": "Export is very slow"},
        {"source_id": "T2", "text": "SSO"},
        {"source_id": "T3", "text": "Dark mode"},
    )
    with write_session(engine) as s:
        counts = crud.import_notes(session=s, rows=again, source="zendesk", actor="ann")
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    with read_session(engine) as s:
        found = search_notes(session=s)
        t1 = crud.get_note_by_source(session=s, source="zendesk", source_id="T1")
    assert sorted(found["source_id"]) == ["T1", "T2", "T3"]
    assert t1 is not None and t1.text == "Export is very slow"
    assert (t1.version, t1.created_by, t1.updated_by) == (2, "bot", "ann")


def test_a_stale_note_edit_is_refused_and_logged_edits_name_who(engine: Engine) -> None:
    with write_session(engine) as s:
        made = crud.create_note(session=s, note_in=note("Need SSO"), actor="ann")
    assert made.id is not None
    with write_session(engine) as s:
        crud.update_note(
            session=s, note_id=made.id, seen_version=1, values={"text": "Need SAML"}, actor="bob"
        )
    with write_session(engine) as s, pytest.raises(StaleEditError, match="text is now"):
        crud.update_note(
            session=s, note_id=made.id, seen_version=1, values={"text": "Okta"}, actor="cy"
        )
    with read_session(engine) as s:
        current = crud.get_note(session=s, note_id=made.id)
        log = edit_log(session=s, entity="research_note", entity_id=made.id)
    assert (current.text, current.updated_by, current.version) == ("Need SAML", "bob", 2)
    assert [entry.version for entry in log] == [2]


def _insight_with_notes(engine: Engine, claim: str, customers: list[str]) -> int:
    with write_session(engine) as s:
        insight = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim=claim), actor="ann"
        )
        assert insight.id is not None
        for customer in customers:
            made = crud.create_note(
                session=s,
                note_in=note(f"{claim} ({customer})", customer_id=customer),
                actor="ann",
            )
            assert made.id is not None
            insight_crud.assign_note(
                session=s, note_id=made.id, insight_id=insight.id, seen_version=1, actor="ann"
            )
        return insight.id


def test_merging_keeps_provenance_adds_counts_up_and_can_be_undone(engine: Engine) -> None:
    a = _insight_with_notes(engine, "SSO with Okta", ["c1", "c2"])
    b = _insight_with_notes(engine, "Okta login", ["c3"])
    with write_session(engine) as s:
        merged = insight_crud.merge_insights(
            session=s, insight_id=b, into_id=a, seen_version=1, actor="x"
        )
    assert (merged.status, merged.merged_into_id) == ("merged", a)
    with read_session(engine) as s:
        assert len(insight_crud.insight_note_ids(session=s, insight_id=a)) == 3
        assert len(insight_crud.insight_note_ids(session=s, insight_id=b)) == 1  # still its own
        assert [i.id for i in insight_crud.list_insights(session=s)] == [a]
        assert len(insight_crud.list_insights(session=s, include_merged=True)) == 2
    with write_session(engine) as s:
        insight_crud.unmerge_insight(session=s, insight_id=b, seen_version=2, actor="x")
    with read_session(engine) as s:
        assert len(insight_crud.insight_note_ids(session=s, insight_id=a)) == 2
        assert crud.get_insight(session=s, insight_id=b).status == "open"
    with write_session(engine) as s, pytest.raises(ParameterError, match="itself"):
        insight_crud.merge_insights(session=s, insight_id=a, into_id=a, seen_version=1, actor="x")


def test_a_duplicate_note_joins_its_originals_insight_and_can_be_unmarked(engine: Engine) -> None:
    a = _insight_with_notes(engine, "SSO", ["c1"])
    with write_session(engine) as s:
        original = insight_crud.insight_note_ids(session=s, insight_id=a)[0]
        dup = crud.create_note(session=s, note_in=note("sso pls", customer_id="c2"), actor="a")
        assert dup.id is not None
        marked = crud.mark_duplicate(
            session=s, note_id=dup.id, of_note_id=original, seen_version=1, actor="a"
        )
    assert (marked.duplicate_of_id, marked.insight_id) == (original, a)
    with write_session(engine) as s:
        back = crud.unmark_duplicate(session=s, note_id=dup.id, seen_version=2, actor="a")
    assert back.duplicate_of_id is None


def _item(engine: Engine, key: str) -> int:
    with write_session(engine) as s:
        item = critique_crud.create_item(
            session=s, item_in=RoadmapItemCreate(title=f"Item {key}", key=key)
        )
        assert item.id is not None
        return item.id


def test_links_feed_the_evidence_count_and_revenue_weighted_demand(engine: Engine) -> None:
    item = _item(engine, "PRJ-1")
    bare = _item(engine, "PRJ-2")
    a = _insight_with_notes(engine, "SSO with Okta", ["c1", "c1", "c2", "nobody"])
    b = _insight_with_notes(engine, "Okta login", ["c3"])
    with write_session(engine) as s:
        assert insight_crud.item_id_for_key(session=s, key="PRJ-1") == item
        insight_crud.link_item(session=s, insight_id=a, item_id=item, actor="ann")
        insight_crud.link_item(session=s, insight_id=a, item_id=item, actor="ann")  # no-op
        insight_crud.merge_insights(session=s, insight_id=b, into_id=a, seen_version=1, actor="ann")
    with read_session(engine) as s:
        assert evidence_counts(session=s, item_ids=[item, bare]) == {item: 5, bare: 0}
        assert insight_crud.linked_items(session=s, insight_id=b) == []
        subs = pd.DataFrame(
            {
                "customer_id": ["c1", "c1", "c2", "c3", "c3"],
                "start": ["2026-01-01", "2026-02-01", "2026-01-01", "2025-01-01", "2026-01-01"],
                "end": [None, None, "2026-02-15", "2025-06-01", None],
                "mrr": [100.0, 50.0, 80.0, 999.0, 20.0],
                "plan": ["pro", "addon", "pro", "old", "starter"],
            }
        )
        demand = item_demand(session=s, item_id=item, subscriptions=subs, as_of=dt.date(2026, 3, 1))
    # By hand on 2026-03-01: c1 = 100 + 50, c2 ended 2026-02-15 -> 0 (listed, not subscribed),
    # c3 = 20 (the 2025 subscription is over), nobody has none.
    assert demand.mrr == 170.0
    got = demand.customers.set_index("customer")[["notes", "mrr", "subscribed"]]
    assert got.to_dict("index") == {
        "c1": {"notes": 2, "mrr": 150.0, "subscribed": True},
        "c3": {"notes": 1, "mrr": 20.0, "subscribed": True},
        "c2": {"notes": 1, "mrr": 0.0, "subscribed": False},
        "nobody": {"notes": 1, "mrr": 0.0, "subscribed": False},
    }
    assert demand.plan_mix.set_index("plan")["mrr"].to_dict() == {
        "pro": 150.0,
        "starter": 20.0,
        "(none)": 0.0,
    }


def test_linking_unknown_items_and_key_results_names_the_fix(engine: Engine) -> None:
    _item(engine, "PRJ-10")
    a = _insight_with_notes(engine, "SSO", ["c1"])
    with read_session(engine) as s, pytest.raises(NotFoundError, match="PRJ-10"):
        insight_crud.item_id_for_key(session=s, key="PRJ-1O")
    with write_session(engine) as s, pytest.raises(NotFoundError, match="key result 99"):
        insight_crud.link_key_result(session=s, insight_id=a, key_result_id=99, actor="ann")


def test_quarter_evidence_counts_notes_customers_and_mrr_in_the_range(engine: Engine) -> None:
    with write_session(engine) as s:
        a = insight_crud.create_insight(
            session=s, insight_in=ResearchInsightCreate(claim="SSO"), actor="a"
        )
        for i, (customer, day) in enumerate(
            [("c1", "2026-07-02"), ("c1", "2026-08-01"), ("c2", "2026-09-30"), ("c3", "2026-10-01")]
        ):
            made = crud.create_note(
                session=s,
                note_in=note(f"n{i}", customer_id=customer, noted_on=dt.date.fromisoformat(day)),
                actor="a",
            )
            assert made.id is not None and a.id is not None
            insight_crud.assign_note(
                session=s, note_id=made.id, insight_id=a.id, seen_version=1, actor="a"
            )
    subs = pd.DataFrame(
        {
            "customer_id": ["c1", "c3"],
            "start": ["2026-01-01"] * 2,
            "end": [None] * 2,
            "mrr": [40, 7],
        }
    )
    got = quarter_evidence(
        engine, date_from=dt.date(2026, 7, 1), date_to=dt.date(2026, 9, 30), subscriptions=subs
    )
    assert got.to_dict("records") == [{"insight": "SSO", "notes": 3, "customers": 2, "mrr": 40.0}]
    empty = quarter_evidence(engine, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 3, 31))
    assert list(empty.columns) == ["insight", "notes", "customers", "mrr"] and empty.empty


def test_the_critique_no_evidence_flag_clears_once_an_insight_with_notes_is_linked(
    engine: Engine,
) -> None:
    from prodops.critique import summary as summaries
    from prodops.critique.models import CritiqueSessionCreate

    item = _item(engine, "PRJ-20")
    with write_session(engine) as s:
        crit = critique_crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name="Q1", held_on=dt.date(2026, 11, 20)),
            item_ids=[item],
        )
    with read_session(engine) as s:
        before = summaries.summarise_session(session=s, session_id=crit.id or 0)
    assert "no_evidence" in before.table.loc[0, "flags"]
    insight = _insight_with_notes(engine, "SSO", ["c1"])
    with write_session(engine) as s:
        insight_crud.link_item(session=s, insight_id=insight, item_id=item, actor="ann")
    with read_session(engine) as s:
        after = summaries.summarise_session(session=s, session_id=crit.id or 0)
    assert "no_evidence" not in after.table.loc[0, "flags"]


def test_search_filters_by_words_tag_kind_customer_property_and_dates(engine: Engine) -> None:
    records = [
        ("n1", "Okta SSO please", ["sso"], "interview", "c1", "Acme", "2026-01-10", "pro"),
        (
            "n2",
            "SSO with Azure AD",
            ["sso", "security"],
            "sales_call",
            "c2",
            "Beta",
            "2026-02-10",
            "starter",
        ),
        ("n3", "Export 50% faster_now", ["export"], "interview", "c1", "Acme", "2026-03-10", "pro"),
        ("n4", "Dark mode", [], "review", "c3", "Gamma", None, "pro"),
    ]
    frame = rows(
        *[
            {
                "source_id": sid,
                "text": text,
                "tags": tags,
                "source_kind": kind,
                "customer_id": customer,
                "customer_company": company,
                "noted_on": dt.date.fromisoformat(day) if day else None,
                "properties": {"plan": plan},
            }
            for sid, text, tags, kind, customer, company, day, plan in records
        ]
    )
    with write_session(engine) as s:
        crud.import_notes(session=s, rows=frame, source="file:x.csv", actor="bot")

    def ids(**filters: object) -> list[str]:
        with read_session(engine) as s:
            return sorted(search_notes(session=s, **filters)["source_id"])  # type: ignore[arg-type]

    assert ids(text="sso") == ["n1", "n2"]
    assert ids(text="SSO azure") == ["n2"]
    assert ids(tag="SSO") == ["n1", "n2"] and ids(tag="security") == ["n2"]
    assert ids(tag="ss") == []  # a tag matches whole, not in part
    assert ids(text="50%") == ["n3"] and ids(text="%") == ["n3"] and ids(text="_now") == ["n3"]
    assert ids(source_kind="interview") == ["n1", "n3"]
    assert ids(customer="acm") == ["n1", "n3"]
    assert ids(properties={"plan": "pro"}) == ["n1", "n3", "n4"]
    assert ids(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 3, 10)) == ["n2", "n3"]
    with read_session(engine) as s:
        newest_first = search_notes(session=s)["source_id"].tolist()
    assert newest_first == ["n3", "n2", "n1", "n4"]  # undated notes last


def test_demand_can_match_customers_by_email_or_domain() -> None:
    from prodops.research import customer_demand

    notes = pd.DataFrame(
        {
            "customer_id": ["", "", ""],
            "customer_email": ["Ann@Acme.io", "bob@acme.io", "cy@beta.io"],
            "customer_company": ["Acme", "Acme", "Beta"],
        }
    )
    subs = pd.DataFrame(
        {
            "customer_id": ["a1", "b1"],
            "email": ["billing@acme.io", "ann@acme.io"],
            "start": ["2026-01-01", "2026-01-01"],
            "end": [None, None],
            "mrr": [100.0, 10.0],
        }
    )
    by_email = customer_demand(
        notes, subs, as_of=dt.date(2026, 2, 1), match_by="email", email_col="email"
    )
    assert by_email.set_index("customer")["mrr"].to_dict() == {
        "ann@acme.io": 10.0,
        "bob@acme.io": 0.0,
        "cy@beta.io": 0.0,
    }
    by_domain = customer_demand(
        notes, subs, as_of=dt.date(2026, 2, 1), match_by="domain", email_col="email"
    )
    # acme.io: both subscriptions (100 + 10), asked twice; beta.io has none.
    assert by_domain[["customer", "notes", "mrr"]].values.tolist() == [
        ["acme.io", 2, 110.0],
        ["beta.io", 1, 0.0],
    ]
    with pytest.raises(ParameterError, match="e-mail column"):
        customer_demand(notes, subs, as_of=dt.date(2026, 2, 1), match_by="domain")
