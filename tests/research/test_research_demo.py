"""The demo notes `prodops setup` adds: once, tied to demo customers, planted duplicates found."""

from __future__ import annotations

from pathlib import Path

from prodops.critique import crud as critique_crud
from prodops.data.demo_research import demo_customers, demo_notes, install_demo_notes
from prodops.data.demo_rituals import create_examples
from prodops.research import evidence_counts
from prodops.research.dedup import near_duplicates
from prodops.research.review import note_duplicates
from prodops.research.search import search_notes
from prodops.store.db import init_store, read_session, write_session


def test_every_planted_near_duplicate_is_found_at_the_default_threshold() -> None:
    notes = demo_notes(demo_customers())
    found = near_duplicates(notes["text"].tolist(), ids=notes["source_id"].tolist())
    pairs = {frozenset(p) for p in zip(found["a"], found["b"], strict=True)}
    ids = notes["source_id"].tolist()
    planted = [i for i, flag in enumerate(notes["planted"]) if flag]
    assert len(planted) == 20
    # A planted note is the previous note again (typos or reordered sentences).
    assert all(frozenset((ids[i - 1], ids[i])) in pairs for i in planted)


def test_setup_adds_the_notes_once_and_links_them_to_the_example_items(
    prodops_home: Path,
) -> None:
    engine = init_store()
    with write_session(engine) as s:
        create_examples(session=s)
    assert install_demo_notes(engine, home=prodops_home) == "237 notes added"
    assert install_demo_notes(engine, home=prodops_home) == "already set up once"
    customers = set(demo_customers()["customer_id"])
    with read_session(engine) as s:
        notes = search_notes(session=s, limit=None)
        items = {i.key: i.id or 0 for i in critique_crud.list_items(session=s)}
        counts = evidence_counts(session=s, item_ids=list(items.values()))
        assert len(note_duplicates(session=s)) > 0
    assert len(notes) == 237 and set(notes["customer_id"]) <= customers
    assert notes["score"].notna().sum() == 70
    by_key = {key: counts[item_id] for key, item_id in items.items()}
    assert by_key["example:pricing"] == 0  # its decision says: no customer evidence yet
    assert all(by_key[f"example:{k}"] > 0 for k in ("onboarding", "digest", "slack", "dark-mode"))
