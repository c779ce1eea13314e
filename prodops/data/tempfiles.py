"""Temporary files of imports, in the data directory's own temp folder, and their sweeping.

Every import works in a fresh folder ``PRODOPS_HOME/tmp/import-<pid>-<random>`` (transcoded text,
an Excel sheet as Parquet) that is removed when the import ends. A process killed mid-import
cannot remove it, so each folder holds a lock for as long as its import runs (``flock`` on
``.lock``; the kernel releases it when the process dies) and :func:`sweep` removes every folder
whose lock is free. Imports sweep before they start, and so does ``prodops setup``; a folder in use
by a running import (in this process or another) is never touched.

Uploads spooled by the Data page live in ``PRODOPS_HOME/tmp/uploads`` (:func:`uploads_dir`); the
page writes them again if they are gone, so :func:`sweep` removes the ones older than a day.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from prodops import config

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back on whether the owner process lives
    fcntl = None  # type: ignore[assignment]

PREFIX = "import-"
LOCK_FILE = ".lock"
UPLOAD_MAX_AGE_S = 24 * 3600
FRESH_S = 60.0


def uploads_dir() -> Path:
    """The folder where the Data page spools uploads (inside :func:`prodops.config.tmp_dir`)."""
    path = config.tmp_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lock(path: Path) -> IO[bytes] | None:
    """Take the lock of folder *path*; return the open lock file, or None if it is held."""
    handle = (path / LOCK_FILE).open("ab")
    if fcntl is None:  # pragma: no cover
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _owner_alive(path: Path) -> bool:
    """Whether the process named in ``import-<pid>-...`` still runs (a folder without a lock)."""
    try:
        pid = int(path.name.removeprefix(PREFIX).split("-", 1)[0])
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _age_s(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def _stale(path: Path, now: float) -> bool:
    """A folder nobody uses: its lock is free and its owner is gone (or it is old: a reused pid).

    A folder seconds old without a lock may be between its creation and its lock: kept.
    """
    lock = path / LOCK_FILE
    if fcntl is None or not lock.exists():
        return not _owner_alive(path) or _age_s(path, now) > FRESH_S
    try:
        handle = _lock(path)
    except OSError:
        return False
    if handle is None:
        return False
    handle.close()
    return not _owner_alive(path) or _age_s(lock, now) > FRESH_S


def sweep(root: Path | None = None, *, now: float | None = None) -> int:
    """Remove what killed imports left in *root* (default :func:`prodops.config.tmp_dir`).

    Returns the number of folders and files removed. Folders of imports still running are kept.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with workspace(Path(tmp)) as running:
    ...         left = Path(tmp) / "import-999999999-abc"  # no such process
    ...         left.mkdir()
    ...         removed = sweep(Path(tmp))
    ...         kept = running.exists()
    >>> removed, kept, left.exists()
    (1, True, False)
    """
    root = root or config.tmp_dir()
    if not root.is_dir():
        return 0
    now = now if now is not None else time.time()
    removed = 0
    for path in root.glob(PREFIX + "*"):
        if path.is_dir() and _stale(path, now):
            shutil.rmtree(path, ignore_errors=True)
            removed += not path.exists()
    uploads = root / "uploads"
    limit = now - UPLOAD_MAX_AGE_S
    for path in uploads.glob("*") if uploads.is_dir() else ():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
                removed += 1
    return removed


@contextlib.contextmanager
def workspace(root: Path | None = None) -> Iterator[Path]:
    """A fresh folder for one import's temporary files, locked while in use, removed afterwards.

    Parameters
    ----------
    root : Path, optional
        Where to make it; default :func:`prodops.config.tmp_dir` (swept first).
    """
    root = root or config.tmp_dir()
    root.mkdir(parents=True, exist_ok=True)
    sweep(root)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root))
    handle = _lock(path)
    try:
        yield path
    finally:
        if handle is not None:
            handle.close()
        shutil.rmtree(path, ignore_errors=True)
