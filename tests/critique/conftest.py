"""Fixtures of the roadmap-critique tests: a migrated store on SQLite (a file) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from prodops.store.db import init_store


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("pg_sqlalchemy_url"))


@pytest.fixture
def engine(store_url: str) -> Engine:
    """The store at *store_url*, upgraded to the newest revision."""
    return init_store(store_url)
