"""The Data page with real export shapes: JSON columns unpacked, persons merged, subscriptions
files in German (AppTest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from data.test_languages import GERMAN
from data.test_real_exports import posthog_csv
from streamlit.testing.v1 import AppTest

from prodops.data.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/6_Data.py"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    return at


def _widget(at: AppTest, kind: str, prefix: str) -> Any:
    return next(w for w in getattr(at, kind) if w.key and str(w.key).startswith(prefix))


def _texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_posthog_upload_shows_the_unpacked_columns_and_merges_persons(
    page: AppTest, write_file: Any
) -> None:
    data = posthog_csv(write_file).read_bytes()
    page.run()
    page.file_uploader[0].set_value(("posthog.csv", data, "text/csv")).run()
    assert not page.exception
    texts = _texts(page)
    assert "Detected: posthog export of events" in texts
    assert "Unpacked from JSON: 6 property columns" in texts
    assert any(t.startswith("People: persons from $identify events") for t in texts)
    assert _widget(page, "multiselect", "unpack_").value == ["properties"]
    keys = next(d.value for d in page.dataframe if "key" in d.value.columns)
    assert keys["column"].tolist()[:2] == ["$browser", "plan"]
    _widget(page, "text_input", "name_").input("ph")
    _widget(page, "button", "import_").click().run()
    assert not page.exception
    info = Catalog().get("ph")
    assert info.entities == 4  # alice, bob, anon-2, carol (anon-1 and anon-3 merged)
    assert "plan" in info.property_columns and "properties" not in info.property_columns
    assert any(t.startswith("people: 2 ids merged into persons") for t in _texts(page))


def test_raw_ids_and_json_left_as_text_on_request(page: AppTest, write_file: Any) -> None:
    data = posthog_csv(write_file).read_bytes()
    page.run()
    page.file_uploader[0].set_value(("posthog.csv", data, "text/csv")).run()
    _widget(page, "multiselect", "unpack_").set_value([]).run()
    _widget(page, "checkbox", "raw_ids_").check().run()
    assert not page.exception
    assert not any(t.startswith("Unpacked from JSON") for t in _texts(page))
    _widget(page, "text_input", "name_").input("raw")
    _widget(page, "button", "import_").click().run()
    info = Catalog().get("raw")
    assert info.entities == 6
    assert "properties" in info.property_columns


def test_a_german_subscriptions_file_has_no_timestamp_format(page: AppTest) -> None:
    page.run()
    page.file_uploader[0].set_value(("abos.csv", GERMAN.encode("cp1252"), "text/csv")).run()
    assert not page.exception
    formats = [w.label for w in page.selectbox if str(w.key).startswith("fmt_")]
    assert formats == ["Format of start", "Format of end"]
    _widget(page, "text_input", "name_").input("abos")
    _widget(page, "button", "import_").click().run()
    assert not page.exception
    info = Catalog().get("abos")
    assert (info.kind, info.rows, info.entities) == ("subscriptions", 3, 3)
