"""Importing modules in a thread while DuckDB works.

DuckDB releases the GIL while it runs a query, so a command that reads a file can import what it
needs next (Ibis and its SQL compilers, a metric: about half a second) while the file is read,
instead of before. A failed import is left for the caller's own import to report.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable


def in_background(modules: Iterable[str]) -> threading.Thread:
    """Start a daemon thread importing *modules* in order; join it before using them (an
    import already under way in the thread is waited for by Python's import lock anyway)."""
    names = tuple(modules)

    def load() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # the caller imports it again and gets the error itself
                return

    thread = threading.Thread(target=load, name="prodops-preload", daemon=True)
    thread.start()
    return thread
