"""Where ProdOps keeps its files, and the settings people can change by environment variable.

| variable | default | meaning |
| --- | --- | --- |
| ``PRODOPS_HOME`` | ``~/.prodops`` | data dir: catalog (DuckDB), OKR/critique store (SQLite) |
| ``PRODOPS_DATABASE_URL`` | SQLite in ``PRODOPS_HOME`` | SQLAlchemy URL of the OKR/critique store |
| ``PRODOPS_QUERY_TIMEOUT_S`` | ``30`` | timeout for queries on connected databases |
| ``PRODOPS_PREVIEW_ROWS`` | ``200`` | row limit of previews |
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """Return the data directory, creating it if needed."""
    path = Path(os.environ.get("PRODOPS_HOME") or Path.home() / ".prodops").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def catalog_path() -> Path:
    """Return the DuckDB file that holds imported datasets."""
    return home() / "catalog.duckdb"


def store_url() -> str:
    """Return the SQLAlchemy URL of the OKR / critique store."""
    return os.environ.get("PRODOPS_DATABASE_URL") or f"sqlite:///{home() / 'prodops.sqlite'}"


def query_timeout_s() -> float:
    """Return the timeout, in seconds, for queries on connected databases."""
    return float(os.environ.get("PRODOPS_QUERY_TIMEOUT_S", "30"))


def preview_rows() -> int:
    """Return the row limit of previews."""
    return int(os.environ.get("PRODOPS_PREVIEW_ROWS", "200"))
