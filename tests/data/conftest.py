"""Helpers for the data tests: a corpus of small, awkward files written by the tests themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, bytes | str], Path]:
    """Return ``write(name, content)`` creating a file under a fresh directory."""
    folder = tmp_path / "files"
    folder.mkdir()

    def write(name: str, content: bytes | str) -> Path:
        path = folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write
