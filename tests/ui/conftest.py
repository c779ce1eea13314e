"""Fixtures of the UI tests: a data directory with the demo datasets, and AppTest drivers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


@pytest.fixture(scope="session")
def demo_catalog_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with ``demo-events``, ``demo-subscriptions`` and a one-event dataset."""
    from prodops.data.catalog import Catalog
    from prodops.data.demo_datasets import ensure_demo_datasets

    home = tmp_path_factory.mktemp("ui-demo-home")
    catalog = Catalog(home)
    ensure_demo_datasets(catalog)
    one = pd.DataFrame(
        {
            "user_id": ["u1"],
            "event": ["signup"],
            "timestamp": pd.to_datetime(["2024-03-05 10:00"], utc=True),
            "plan": ["free"],
        }
    )
    catalog.save("one-event", one, kind="events")
    return home


@pytest.fixture
def demo_home_env(demo_catalog_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PRODOPS_HOME points at the demo data directory for this test."""
    monkeypatch.setenv("PRODOPS_HOME", str(demo_catalog_home))
    return demo_catalog_home


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """``open_page("pages/1_Retention.py", dataset="demo-events", **params)``: a page, run.

    The app starts at ``app.py`` (the entrypoint, as in ``streamlit run``) and switches to the
    page, so the sidebar's links resolve as they do in the browser.
    """

    def open_(path: str = "app.py", **params: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
        for key, value in params.items():
            at.query_params[key] = value
        if path != "app.py":
            at.switch_page(path)
        return at.run()

    return open_
