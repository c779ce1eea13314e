"""The store suite runs twice: on a SQLite file and on a throwaway PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from prodops.store.db import get_engine, init_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty store database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("pg_sqlalchemy_url"))


@pytest.fixture
def bare_engine(store_url: str) -> Iterator[Engine]:
    """The engine of the empty database (no migrations run); disposed afterwards."""
    engine = get_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """The engine of a store upgraded to head; disposed afterwards."""
    engine = init_store(store_url)
    yield engine
    engine.dispose()
