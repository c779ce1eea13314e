"""Where ProdOps keeps its files, and the settings people can change by environment variable.

| variable | default | meaning |
| --- | --- | --- |
| ``PRODOPS_HOME`` | ``~/.prodops`` | data dir: catalog (DuckDB), OKR/critique store (SQLite) |
| ``PRODOPS_DATABASE_URL`` | SQLite in ``PRODOPS_HOME`` | SQLAlchemy URL of the OKR/critique store |
| ``PRODOPS_QUERY_TIMEOUT_S`` | ``30`` | timeout for queries on connected databases |
| ``PRODOPS_PREVIEW_ROWS`` | ``200`` | row limit of previews |
| ``PRODOPS_DUCKDB_MEMORY_LIMIT`` | 4GB, at most half the RAM | DuckDB's cap (then spills to disk) |
| ``PRODOPS_ALLOW_FILE_DB_DIR`` | unset | the one folder of DuckDB/SQLite files URLs may open |
| ``PRODOPS_MAX_IMPORT_ROWS`` | ``50000000`` | most rows one imported file may hold |
| ``PRODOPS_MAX_IMPORT_BYTES`` | ``20000000000`` | most bytes of one imported file, decompressed |
| ``PRODOPS_SETUP_ON_START`` | ``1`` | ``0``: the app's first start does not run ``prodops setup`` |
| ``PRODOPS_ADMINS`` | unset | e-mails of the first admins; set, roles are enforced (team mode) |
| ``PRODOPS_DEFAULT_ROLE`` | ``viewer`` | team mode: the role of someone with no role assigned |
| ``PRODOPS_USER`` | ``local`` | who the CLI and Python API act as (an e-mail in team mode) |

Temporary files (spooled uploads, transcoded copies) live in ``PRODOPS_HOME/tmp``
(:func:`tmp_dir`), never in the system's temporary folder, so a crash leaves nothing elsewhere and
the next import sweeps what a killed one left.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prodops.errors import ParameterError


def home() -> Path:
    """Return the data directory, creating it if needed.

    Raises
    ------
    ParameterError
        The path is a file, or the folder cannot be created (read-only or no permission).
    """
    path = Path(os.environ.get("PRODOPS_HOME") or Path.home() / ".prodops").expanduser()
    if path.is_dir():
        return path
    variable = "PRODOPS_HOME" if os.environ.get("PRODOPS_HOME") else "the data directory"
    if path.exists():
        raise ParameterError(
            f"{variable} {str(path)!r} is a file, not a folder",
            fix="Point PRODOPS_HOME at a folder (it is created if missing).",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ParameterError(
            f"{variable} {str(path)!r} cannot be created ({error.strerror or error})",
            fix="Point PRODOPS_HOME at a folder you can write to.",
        ) from error
    return path


def catalog_path() -> Path:
    """Return the DuckDB file that holds imported datasets."""
    return home() / "catalog.duckdb"


def store_url() -> str:
    """Return the SQLAlchemy URL of the OKR / critique store."""
    return os.environ.get("PRODOPS_DATABASE_URL") or f"sqlite:///{home() / 'prodops.sqlite'}"


def query_timeout_s() -> float:
    """Return the timeout, in seconds, for queries on connected databases
    (``PRODOPS_QUERY_TIMEOUT_S``, default 30; a positive number, fractions allowed)."""
    text = os.environ.get("PRODOPS_QUERY_TIMEOUT_S", "").strip()
    if not text:
        return 30.0
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 10**6:  # also refuses nan and inf
        raise ParameterError(
            f"PRODOPS_QUERY_TIMEOUT_S={text!r} is not a number of seconds",
            fix="Set it to a number such as 30 (or unset it for that default).",
        )
    return value


def preview_rows() -> int:
    """Return the row limit of previews (``PRODOPS_PREVIEW_ROWS``, default 200)."""
    return _positive_int("PRODOPS_PREVIEW_ROWS", 200)


def tmp_dir() -> Path:
    """Return the data directory's own temporary folder, creating it if needed."""
    path = home() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _positive_int(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip().replace("_", "")
    if not text:
        return default
    try:
        value = int(float(text)) if "e" in text.lower() else int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ParameterError(
            f"{variable}={os.environ[variable]!r} is not a positive whole number",
            fix=f"Set it to a number such as {default} (or unset it for that default).",
        )
    return value


def max_import_rows() -> int:
    """Return the most rows one imported file may hold (``PRODOPS_MAX_IMPORT_ROWS``).

    The default, 50 million, passes a 10-million-row export with room to spare.
    """
    return _positive_int("PRODOPS_MAX_IMPORT_ROWS", 50_000_000)


def max_import_bytes() -> int:
    """Return the most bytes one imported file may hold once decompressed
    (``PRODOPS_MAX_IMPORT_BYTES``; default 20 GB, forty times a 10-million-row CSV)."""
    return _positive_int("PRODOPS_MAX_IMPORT_BYTES", 20_000_000_000)


DEFAULT_DUCKDB_MEMORY = "4GB"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)\s*$", re.IGNORECASE)


def _ram_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def duckdb_memory_limit() -> str:
    """Return DuckDB's ``memory_limit`` (``PRODOPS_DUCKDB_MEMORY_LIMIT``; default 4 GB, at most
    half the RAM). Sizes read like ``"4GB"``, ``"512MiB"`` or ``"50%"`` (of the RAM).

    Examples
    --------
    >>> import os
    >>> os.environ["PRODOPS_DUCKDB_MEMORY_LIMIT"] = "1.5GB"
    >>> duckdb_memory_limit()
    '1.5GB'
    >>> os.environ["PRODOPS_DUCKDB_MEMORY_LIMIT"] = "lots"
    >>> duckdb_memory_limit()
    Traceback (most recent call last):
    prodops.errors.ParameterError: PRODOPS_DUCKDB_MEMORY_LIMIT='lots' is not a size. ...
    >>> del os.environ["PRODOPS_DUCKDB_MEMORY_LIMIT"]
    """
    text = os.environ.get("PRODOPS_DUCKDB_MEMORY_LIMIT", "").strip()
    ram = _ram_bytes()
    if not text:
        if ram is not None and ram // 2 < 4 * 1000**3:
            return f"{max(ram // 2 // 1000**2, 256)}MB"
        return DEFAULT_DUCKDB_MEMORY
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ParameterError(
            f"PRODOPS_DUCKDB_MEMORY_LIMIT={text!r} is not a size",
            fix="Write it like 4GB, 512MB or 50% (of the RAM), or unset it for the default.",
        )
    number, unit = float(match.group(1)), match.group(2).upper()
    if unit == "%":
        if number > 100 or ram is None:
            raise ParameterError(
                f"PRODOPS_DUCKDB_MEMORY_LIMIT={text!r} is not a usable share of the RAM",
                fix="Give a percentage up to 100%, or a size such as 4GB.",
            )
        return f"{max(int(ram * number / 100) // 1000**2, 64)}MB"
    return f"{match.group(1)}{unit.replace('IB', 'iB')}"


def allowed_file_db_dir() -> Path | None:
    """Return the one directory whose DuckDB / SQLite files may be connected by URL, or None.

    ``PRODOPS_ALLOW_FILE_DB_DIR`` is an administrator's setting: without it no file-based URL
    (``duckdb:///...``, ``sqlite:///...``, ``file:///...``) is accepted.
    """
    text = os.environ.get("PRODOPS_ALLOW_FILE_DB_DIR", "").strip()
    return Path(text).expanduser().resolve() if text else None


def setup_on_start() -> bool:
    """Whether the app's first start on an empty data directory sets it up like ``prodops setup``
    (demo datasets and examples); ``PRODOPS_SETUP_ON_START=0`` turns it off (tests do)."""
    return os.environ.get("PRODOPS_SETUP_ON_START", "1").strip().lower() not in {"0", "false", "no"}


def admins() -> frozenset[str]:
    """Return the first admins' e-mails (``PRODOPS_ADMINS``, comma- or space-separated, any case).

    >>> import os
    >>> os.environ["PRODOPS_ADMINS"] = "Ana@Example.com, bo@example.com"
    >>> sorted(admins())
    ['ana@example.com', 'bo@example.com']
    >>> del os.environ["PRODOPS_ADMINS"]
    >>> admins()
    frozenset()
    """
    text = os.environ.get("PRODOPS_ADMINS", "")
    return frozenset(part.strip().lower() for part in re.split(r"[,\s;]+", text) if part.strip())


def default_role() -> str:
    """Return the role of someone with no role assigned in team mode (``PRODOPS_DEFAULT_ROLE``:
    ``viewer``, the default, ``editor`` or ``admin``)."""
    text = os.environ.get("PRODOPS_DEFAULT_ROLE", "").strip().lower() or "viewer"
    if text not in {"viewer", "editor", "admin"}:
        raise ParameterError(
            f"PRODOPS_DEFAULT_ROLE={os.environ['PRODOPS_DEFAULT_ROLE']!r} is not a role",
            fix="Set it to viewer, editor or admin (or unset it for viewer).",
        )
    return text


def acting_user() -> str:
    """Return who the CLI and the Python API act as (``PRODOPS_USER``; default ``local``)."""
    return " ".join(os.environ.get("PRODOPS_USER", "").split())[:200] or "local"
