"""Streamlit AppTest of pages/6_Data.py: empty catalog, saved datasets, upload, rename, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from prodops.data.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/6_Data.py"
CSV = (
    b"user,action,at,account\n"
    b"u1,signup,2024-01-01T10:00:00Z,a1\n"
    b"u2,login,2024-01-02T10:00:00Z,a1\n"
    b"u3,,2024-01-03T10:00:00Z,a2\n"
)


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Data page, reached from the entrypoint as in ``streamlit run app.py``."""
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    return at


def _texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_empty_catalog(page: AppTest) -> None:
    page.run()
    assert not page.exception
    assert page.title[0].value == "Data"
    assert any("catalog is empty" in i.value for i in page.info)


def test_saved_datasets_are_listed(page: AppTest, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(CSV)
    Catalog().import_file(path, name="=events")
    page.run()
    assert not page.exception
    table = page.dataframe[0].value
    assert table["Dataset"].tolist() == ["'=events"]  # formula cells neutralised
    assert table["Rows"].tolist() == [2]
    assert table["Users / customers"].tolist() == [2]


def test_upload_correct_a_mapping_and_import(page: AppTest) -> None:
    page.run()
    page.file_uploader[0].set_value(("events.csv", CSV, "text/csv")).run()
    assert not page.exception
    assert "Detected: generic export of events" in _texts(page)
    user = _widget(page, "selectbox", "map_user_id_")
    assert user.value == "user"
    user.set_value("account").run()
    _widget(page, "text_input", "name_").input("by account")
    _widget(page, "button", "import_").click().run()
    assert not page.exception
    info = Catalog().get("by account")
    assert (info.rows, info.entities, info.property_columns) == (2, 1, ("user",))
    assert [m.value for m in page.metric] == ["3", "2", "1"]
    assert page.download_button[0].label == "Download rejected rows (CSV)"
    assert page.dataframe[-1].value["Dataset"].tolist() == ["by account"]


def test_ambiguous_dates_need_a_day_month_choice(page: AppTest) -> None:
    page.run()
    csv = b"user_id,event,timestamp\nu1,x,03/04/2024\nu2,y,05/06/2024\n"
    page.file_uploader[0].set_value(("d.csv", csv, "text/csv")).run()
    importer = _widget(page, "button", "import_")
    assert importer.disabled
    _widget(page, "radio", "dm_timestamp_").set_value("month first (12/31)").run()
    _widget(page, "button", "import_").click().run()
    assert str(Catalog().get("d").time_min.date()) == "2024-03-04"  # type: ignore[union-attr]


def test_an_unusable_upload_shows_one_error(page: AppTest) -> None:
    page.run()
    page.file_uploader[0].set_value(("empty.csv", b"a,b\n", "text/csv")).run()
    assert not page.exception
    assert [e.value for e in page.error] == [
        "empty\\.csv\\: the file has a header but no data rows\\. Export the data again with "
        "its rows\\."
    ]


def test_rename_and_delete_with_confirmation(page: AppTest, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(CSV)
    Catalog().import_file(path, name="events")
    page.run()
    page.text_input(key="rename_events").input("renamed").run()
    page.button(key="data_rename").click().run()
    assert [d.name for d in Catalog().list()] == ["renamed"]
    assert page.button(key="data_delete").disabled
    page.checkbox(key="data_sure").check().run()
    page.button(key="data_delete").click().run()
    assert not page.exception
    assert Catalog().list() == []


def _widget(at: AppTest, kind: str, prefix: str) -> Any:
    """The widget of type *kind* whose key starts with *prefix* (keys carry the upload id)."""
    return next(w for w in getattr(at, kind) if w.key and str(w.key).startswith(prefix))


def test_with_the_demo_datasets(page: AppTest) -> None:
    from prodops.data.demo_datasets import ensure_demo_datasets

    assert ensure_demo_datasets(Catalog()) == ["demo-events", "demo-subscriptions"]
    page.run()
    assert not page.exception
    table = page.dataframe[0].value
    assert table["Dataset"].tolist() == ["demo-events", "demo-subscriptions"]
    assert table["Kind"].tolist() == ["events", "subscriptions"]
    assert table.loc[0, "Users / customers"] == 20000


def test_append_through_the_page_skips_rows_already_there(page: AppTest, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(CSV)
    Catalog().import_file(path, name="events")
    newer = CSV + b"u4,login,2024-01-04T10:00:00Z,a3\n"
    page.run()
    page.file_uploader[0].set_value(("newer.csv", newer, "text/csv")).run()
    _widget(page, "radio", "mode_").set_value("Append to an existing dataset").run()
    assert _widget(page, "selectbox", "append_").value == "events"
    _widget(page, "button", "import_").click().run()
    assert not page.exception
    info = Catalog().get("events")
    assert (info.rows, info.version) == (3, 2)
    assert page.success[0].value == "1 rows saved"


def test_connect_a_database_and_register_a_live_dataset(
    page: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(tmp_path))  # file databases: opt-in

    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE visits AS SELECT * FROM (VALUES ('u1', 'view', TIMESTAMP '2024-01-01 10:00'),"
        " ('u2', 'view', TIMESTAMP '2024-01-02 10:00')) AS t(user_id, event, ts)"
    )
    con.close()
    page.run()
    page.text_input(key="db_url").input(f"duckdb://{db}").run()
    assert not page.exception
    assert page.selectbox(key="db_table").value == "visits"
    assert page.selectbox(key="db_map_timestamp").value == "ts"
    page.text_input(key="db_name").input("warehouse visits").run()
    page.button(key="db_register").click().run()
    assert not page.exception
    info = Catalog().get("warehouse visits")
    assert (info.live, info.rows, info.entities) == (True, 2, 2)


def test_naive_times_can_be_read_in_a_chosen_zone(page: AppTest) -> None:
    page.run()
    csv = b"user_id,event,timestamp\nu1,x,2024-07-01 12:00:00\n"
    page.file_uploader[0].set_value(("paris.csv", csv, "text/csv")).run()
    _widget(page, "text_input", "tz_").input("Europe/Paris").run()
    _widget(page, "button", "import_").click().run()
    assert not page.exception
    assert str(Catalog().get("paris").time_min) == "2024-07-01 10:00:00+00:00"
