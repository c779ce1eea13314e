"""AppTest of the Quarterly Review page: build, preview, narrative, save, reopen, regenerate."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from prodops import qbr
from prodops.data.catalog import Catalog
from prodops.store.db import init_store, read_session, write_session
from qbr.data import HOSTILE

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "8_Quarterly_Review.py"


@pytest.fixture
def catalog(events: pd.DataFrame, subscriptions: pd.DataFrame) -> Catalog:
    catalog = Catalog()
    catalog.save("ev", events, kind="events")
    catalog.save("subs", subscriptions, kind="subscriptions")
    return catalog


@pytest.fixture
def app(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.chdir(ROOT)
    with mock.patch("prodops.ui.nav.render_sidebar"):
        yield AppTest.from_file(str(PAGE), default_timeout=90).run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def plain(message: str) -> str:
    """A message as the reader sees it (the page escapes Markdown in messages)."""
    return re.sub(r"\\(.)", r"\1", message).replace("\u2060", "")


def _cell(at: AppTest, number: str) -> str:
    (frame,) = [d.value for d in at.dataframe if "number" in d.value.columns]
    return str(frame.loc[frame["number"] == number, "this quarter"].iloc[0])


def test_build_save_reopen_edit_and_regenerate(
    app: AppTest, events: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    at = ok(app)
    assert at.selectbox(key="qbr_quarter").value == "2026-Q3"  # the last quarter the data covers
    assert at.selectbox(key="qbr_events").value == "ev"
    at.selectbox(key="qbr_quarter").set_value("2026-Q2")
    ok(at.button(key="qbr_build").click().run())
    expected = qbr.build_qbr(
        "2026-Q2",
        store=None,
        generated_at=dt.datetime.now(dt.UTC),
        events=qbr.Dataset.of_frame(events, "ev"),
        subscriptions=qbr.Dataset.of_frame(subscriptions, "subs"),
    )
    assert _cell(at, "MRR") == expected.headline("mrr").formatted()
    assert _cell(at, "DAU") == expected.headline("dau").formatted()
    assert [d.label for d in at.get("download_button")] == ["HTML", "PDF", "Markdown (zip)"]
    assert HOSTILE not in [m.value for m in at.markdown]  # no user text rendered as Markdown

    at.text_area(key="qbr_new_summary").input(HOSTILE)
    ok(at.button(key="FormSubmitter:qbr_narrative_new-Save QBR").click().run())
    assert at.radio(key="qbr_view").value == "Saved QBRs"
    assert "Saved the QBR of 2026-Q2 (revision 1)." in plain(at.success[0].value)
    engine = init_store()
    with read_session(engine) as s:
        (row,) = qbr.list_reports(session=s)
    assert row.summary == HOSTILE and row.events_dataset == "ev"
    assert at.text_area(key=f"qbr_saved_{row.id}_summary").value == HOSTILE

    # Someone else saves the narrative first: this browser's edit is refused, nothing lost.
    with write_session(engine) as s:
        qbr.update_narrative(
            session=s, report_id=int(row.id or 0), seen_version=1, values={"wins": "theirs"}
        )
    at.text_area(key=f"qbr_saved_{row.id}_wins").input("mine")
    ok_run = at.button(key=f"FormSubmitter:qbr_narrative_saved_{row.id}-Save QBR").click().run()
    assert "changed by someone else" in plain(ok_run.error[0].value)
    with read_session(engine) as s:
        assert qbr.get_report(session=s, report_id=int(row.id or 0)).wins == "theirs"

    # The dataset gains rows in May 2026; regenerating lists the numbers that changed.
    days = pd.date_range("2026-05-01 12:00", "2026-05-31 12:00", freq="D", tz="UTC")
    late = pd.DataFrame(
        [(f"late{n}", "open", d, "pro") for n in range(30) for d in days],
        columns=list(events.columns),
    )
    Catalog().delete("ev")
    Catalog().save("ev", pd.concat([events, late], ignore_index=True), kind="events")
    at = AppTest.from_file(str(PAGE), default_timeout=90)
    with mock.patch("prodops.ui.nav.render_sidebar"):
        at.run()
        at.radio(key="qbr_view").set_value("Saved QBRs").run()
        assert _cell(at, "DAU") == expected.headline("dau").formatted()  # the frozen number
        ok(at.button(key="qbr_regen").click().run())
    message = plain(at.success[0].value)
    assert "Saved revision 2 of 2026" in message and "DAU" in message and "MRR:" not in message
    assert _cell(at, "DAU") != expected.headline("dau").formatted()


def test_a_range_of_months_builds_saves_and_reopens(
    app: AppTest, subscriptions: pd.DataFrame
) -> None:
    at = ok(app)
    ok(at.radio(key="qbr_range").set_value("Months").run())
    first, last = at.selectbox(key="qbr_from").value, at.selectbox(key="qbr_to").value
    months = (int(last[:4]) * 12 + int(last[5:])) - (int(first[:4]) * 12 + int(first[5:])) + 1
    assert months == 6  # the default: the six months up to the last complete one
    at.selectbox(key="qbr_from").set_value("2026-03")
    at.selectbox(key="qbr_to").set_value("2026-08")
    at.selectbox(key="qbr_events").set_value("(none)")
    ok(at.button(key="qbr_build").click().run())
    expected = qbr.build_qbr(
        qbr.MonthRange(2026, 3, 6),
        store=None,
        generated_at=dt.datetime.now(dt.UTC),
        subscriptions=qbr.Dataset.of_frame(subscriptions, "subs"),
    )
    (frame,) = [d.value for d in at.dataframe if "number" in d.value.columns]
    assert list(frame.columns[1:3]) == ["this range", "vs previous range"]
    for key, label in (("mrr", "MRR"), ("nrr", "Net revenue retention"), ("arpa", "ARPA")):
        shown = frame.loc[frame["number"] == label, "this range"].iloc[0]
        assert shown == expected.headline(key).formatted()
    ok(at.button(key="FormSubmitter:qbr_narrative_new-Save QBR").click().run())
    assert "Saved the QBR of 2026-03+6 (revision 1)." in plain(at.success[0].value)
    assert at.selectbox(key="qbr_pick_saved").format_func(
        at.selectbox(key="qbr_pick_saved").value
    ) == ("Mar–Aug 2026 · revision 1")


def test_a_range_ending_before_it_starts_is_one_error_line(app: AppTest) -> None:
    at = ok(app)
    ok(at.radio(key="qbr_range").set_value("Months").run())
    at.selectbox(key="qbr_from").set_value("2026-08")
    at.selectbox(key="qbr_to").set_value("2026-03")
    at.button(key="qbr_build").click().run()
    assert not at.exception
    (error,) = at.error
    assert "the range ends (2026-03) before it starts (2026-08)" in plain(error.value)
