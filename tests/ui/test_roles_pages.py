"""Pages hide what a role cannot do (issue 15): AppTest of every page with edit controls.

Team mode (``PRODOPS_ADMINS=lead@example.com``, an assigned editor, everyone else a viewer) without
sign-in: the identity is the name typed in the browser (``st.session_state["person"]``). The core
refuses a viewer's writes anyway (tests/store/test_roles.py); here the controls are not drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from prodops.critique import crud as critique_crud
from prodops.critique.models import CritiqueSessionCreate, RoadmapItemCreate
from prodops.okr import crud as okr_crud
from prodops.okr.models import KeyResultCreate, ObjectiveCreate
from prodops.store import audit
from prodops.store.access import SYSTEM
from prodops.store.db import init_store, write_session

ROOT = Path(__file__).resolve().parents[2]
LEAD, EDITOR, VIEWER = "lead@example.com", "ed@example.com", "vi@example.com"


@pytest.fixture(autouse=True)
def team(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PRODOPS_ADMINS", LEAD)
    engine = init_store()
    with write_session(engine, actor=SYSTEM) as s:
        audit.set_role(session=s, identity=EDITOR, role="editor")
        objective = okr_crud.create_objective(
            session=s,
            objective_in=ObjectiveCreate(
                title="Grow",
                period="2026-Q4",
                period_start=dt.date(2026, 10, 1),
                period_end=dt.date(2026, 12, 31),
            ),
        )
        okr_crud.create_key_result(
            session=s,
            key_result_in=KeyResultCreate(
                objective_id=objective.id or 0, title="Deals", start_value=0, target_value=10
            ),
        )
        item = critique_crud.create_item(session=s, item_in=RoadmapItemCreate(title="SSO"))
        critique_crud.create_session(
            session=s,
            session_in=CritiqueSessionCreate(name="Q4 review", held_on=dt.date(2026, 11, 2)),
            item_ids=[item.id],
        )


def run(page: str, person: str, before: Callable[[AppTest], None] | None = None) -> AppTest:
    with mock.patch("prodops.ui.nav.render_sidebar"):
        at = AppTest.from_file(str(ROOT / page), default_timeout=60)
        at.session_state["person"] = person
        if before is not None:
            before(at)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def keys(at: AppTest) -> set[str]:
    found: set[str] = set()
    for kind in ("button", "text_input", "number_input", "text_area", "selectbox", "checkbox"):
        found |= {str(w.key) for w in getattr(at, kind) if w.key}
    return found


def captions(at: AppTest) -> str:
    return " ".join(str(c.value) for c in [*at.caption, *at.info, *at.markdown])


def test_okrs_a_viewer_reads_an_editor_edits_only_an_admin_deletes() -> None:
    viewer, editor = keys(run("pages/4_OKRs.py", VIEWER)), keys(run("pages/4_OKRs.py", EDITOR))
    editing = {"okr_new_obj_title", "okr_refresh_all"}
    assert editing <= editor and not editing & viewer
    assert any(k.startswith("okr_ci_") for k in editor)
    assert not any(k.startswith(("okr_ci_", "okr_edit_", "okr_archive_")) for k in viewer)
    assert "Editing needs the editor role" in captions(run("pages/4_OKRs.py", VIEWER))


def test_critique_a_viewer_cannot_add_score_or_decide() -> None:
    page = "pages/5_Roadmap_Critique.py"
    viewer, editor = keys(run(page, VIEWER)), keys(run(page, EDITOR))
    assert "critique_add_item" in editor and "critique_add_item" not in viewer
    assert "critique_edit_item" in editor and "critique_edit_item" not in viewer

    def sessions(at: AppTest) -> None:
        at.session_state["critique_view"] = "Critique sessions"

    viewer, editor = keys(run(page, VIEWER, sessions)), keys(run(page, EDITOR, sessions))
    assert "critique_create" in editor and "critique_create" not in viewer
    assert any(k.startswith("critique_save_") for k in editor)
    assert not any(k.startswith(("critique_save_", "critique_submit_")) for k in viewer)


def test_data_only_an_admin_imports_renames_deletes_and_connects() -> None:
    for person in (VIEWER, EDITOR):
        at = run("pages/6_Data.py", person)
        assert [s.value for s in at.subheader] == ["Catalog"]
        assert "data_delete" not in keys(at)
        assert "for admins" in captions(at)
    admin = run("pages/6_Data.py", LEAD)
    assert [s.value for s in admin.subheader] == ["Upload a file", "Catalog", "Connect a database"]


def test_team_page_admins_assign_roles_and_read_the_trail() -> None:
    viewer = run("pages/9_Team.py", VIEWER)
    assert "Only admins can read the audit trail." in captions(viewer)
    assert "team_identity" not in keys(viewer) and not viewer.dataframe[1:]
    admin = run("pages/9_Team.py", LEAD)
    assert "Your role: admin." in [t.value for t in admin.text]
    trail = admin.dataframe[1].value
    assert {"team_member", "objective", "key_result", "roadmap_item"} <= set(trail["entity"])
    admin.text_input(key="team_identity").input(VIEWER)
    admin.selectbox(key="team_role").select("editor")
    form_submit = [b for b in admin.button if b.label == "Set role"]
    form_submit[0].click().run()
    assert not admin.exception and not admin.error
    roles = admin.dataframe[0].value
    assert roles.set_index("identity").loc[VIEWER, "role"] == "editor"
    assert roles.set_index("identity").loc[VIEWER, "set by"] == LEAD
    assert "okr_new_obj_title" in keys(run("pages/4_OKRs.py", VIEWER))  # promoted at once
