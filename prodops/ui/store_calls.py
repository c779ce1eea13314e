"""Calling store CRUD functions from a page (shared by the OKR and critique pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from prodops.store.db import read_session

T = TypeVar("T")


def read(engine: Engine, action: Callable[..., T], **kwargs: Any) -> T:
    """Run a read-only CRUD *action* in its own session and return its result."""
    with read_session(engine) as session:
        return action(session=session, **kwargs)
