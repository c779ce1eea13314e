"""Database URLs and their passwords: masking, stripping, and looking the password up again.

The password is never shown back, logged or stored: the catalog keeps the URL without it
(:func:`strip_password`), every message goes through :func:`mask_url` / :func:`mask_text`, and the
password is looked up again when needed (:func:`with_password`) in ``.streamlit/secrets.toml``
(``[connections.NAME] url = "..."``) or in the environment variable
``PRODOPS_DB_PASSWORD_<NAME>``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit, urlunsplit

from prodops import config
from prodops.errors import ParameterError

_URL = re.compile(r"[a-zA-Z][\w+.-]*://\S+")
# Databases kept in a file on the ProdOps server: refused unless the administrator names one
# directory that holds shared database files (PRODOPS_ALLOW_FILE_DB_DIR).
FILE_SCHEMES = frozenset({"duckdb", "sqlite"})
# Engines that run inside the ProdOps process and read any file it can: never accepted.
IN_PROCESS_SCHEMES = frozenset({"file", "datafusion", "polars", "pyspark", "flink"})
# libpq parameters that name files on the ProdOps server.
FILE_PARAMETERS = frozenset(
    {"passfile", "service", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir"}
)


def _userinfo(url: str) -> tuple[str, str, str | None, str] | None:
    """Split *url* into ``(scheme://, user, password, @host...)``; None without a user part.

    The user part ends at the last ``@`` before the query, so a password that was not
    percent-encoded (``p@ss:w/rd``) is still found whole; :func:`urllib.parse.urlsplit` and
    SQLAlchemy's ``make_url`` both cut such a password at its first ``@`` or ``/``. Nothing is
    decoded: ``%40`` stays as written.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or rest.startswith("/"):
        return None
    head = re.split(r"[?#]", rest, maxsplit=1)[0]
    at = head.rfind("@")
    if at < 0:
        return None
    user, colon, password = head[:at].partition(":")
    return f"{scheme}://", user, (password if colon else None), rest[at:]


def mask_url(url: str) -> str:
    """Return *url* with its whole password replaced by ``***`` (also ``password=`` parameters).

    Examples
    --------
    >>> mask_url("postgresql://ana:s3cret@db.example:5432/prod")
    'postgresql://ana:***@db.example:5432/prod'
    >>> mask_url("postgresql://ana:p@ss:w/rd@db.example:5432/prod")
    'postgresql://ana:***@db.example:5432/prod'
    """
    text = re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)
    split = _userinfo(text)
    if split is None or split[2] is None:
        return text
    prefix, user, _password, rest = split
    return f"{prefix}{user}:***{rest}"


def url_password(url: str) -> str | None:
    """The password of *url* as written (``p@ss`` in ``postgresql://ann:p@ss@host/db``)."""
    split = _userinfo(url) if "://" in url else None
    return split[2] if split else None


def mask_urls(text: str) -> str:
    """Return *text* with the password of every URL in it masked (see :func:`mask_url`).

    Examples
    --------
    >>> mask_urls("could not reach postgresql://ann:s3cret@db/app, retrying")
    'could not reach postgresql://ann:***@db/app, retrying'
    """
    return _URL.sub(lambda m: mask_url(m.group(0)), text)


def mask_text(text: str, url: str) -> str:
    """Return *text* (an error message) with the password of *url* and every URL in it masked."""
    password = url_password(url)
    if password and ("@" in password or "/" in password):
        # Drivers cut such a password at its first '@' or '/' and may quote the rest (a "port"):
        # no part of their message can be shown safely.
        return "the password in the URL is not percent-encoded (write @ as %40, / as %2F)"
    text = text.replace(url, mask_url(url))
    secrets = {s for s in (password, unquote(password or "")) if s}
    for secret in sorted(secrets, key=len, reverse=True):  # the longer form first
        text = text.replace(secret, "***")
    return mask_urls(text)


def strip_password(url: str) -> str:
    """Return *url* without its password (what the catalog stores)."""
    split = _userinfo(url)
    if split is not None and split[2] is not None and "/" in split[2] + split[1]:
        return f"{split[0]}{split[1]}{split[3]}"  # a password urlsplit cannot read: cut it out
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError:  # malformed host or port: cut the password out as written
        return f"{split[0]}{split[1]}{split[3]}" if split is not None else mask_url(url)
    if parts.password is None:
        return re.sub(r"(?i)[?&]password=[^&]*", "", url)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]  # host and port as written ([::1]:5432 keeps brackets)
    netloc = f"{quote(user)}@{host}" if user else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _env_name(name: str) -> str:
    return "PRODOPS_DB_PASSWORD_" + re.sub(r"[^0-9A-Za-z]+", "_", name).upper().strip("_")


def _secrets_files() -> list[Path]:
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def secret_connections() -> dict[str, str]:
    """Return ``{name: url}`` of the ``[connections.NAME]`` entries of secrets.toml."""
    found: dict[str, str] = {}
    for path in _secrets_files():
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        for name, entry in (data.get("connections") or {}).items():
            if isinstance(entry, Mapping) and isinstance(entry.get("url"), str):
                found.setdefault(str(name), str(entry["url"]))
    return found


def with_password(url: str, name: str | None) -> str:
    """Return *url* with a password from secrets.toml or ``PRODOPS_DB_PASSWORD_<NAME>``.

    The secrets entry is used when it names the same host, port and user.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError:  # malformed: connect() says what is wrong with it
        return url
    if parts.password is not None or not name:
        return url
    password = os.environ.get(_env_name(name))
    if password is None:
        secret = secret_connections().get(name)
        if secret:
            sp = urlsplit(secret)
            same = (sp.hostname, sp.port, sp.username) == (
                parts.hostname,
                parts.port,
                parts.username,
            )
            password = sp.password if same and sp.password else None
            password = unquote(password) if password else None
    if password is None:
        return url
    host = parts.netloc.rpartition("@")[2]  # host and port as written ([::1]:5432 keeps brackets)
    netloc = f"{quote(parts.username or '')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def url_scheme(url: str) -> str:
    """The database kind of *url*: ``postgresql+psycopg://...`` -> ``postgresql``.

    Read without parsing the rest of the URL, so a malformed host or port cannot raise here.

    Examples
    --------
    >>> url_scheme("postgresql+psycopg://ann@[::1/app"), url_scheme("events.csv")
    ('postgresql', '')
    """
    match = re.match(r"([A-Za-z][\w+.-]*):", url)
    return match.group(1).split("+")[0].lower() if match else ""


def host_port(url: str) -> str:
    """``host:port`` of *url* (a DuckDB URL: its file), for messages; never the password."""
    try:
        parts = urlsplit(mask_url(url))  # a password with '@' or '/' would shift host and port
    except ValueError:  # a malformed IPv6 host
        return "an unreadable host"
    if url_scheme(url) == "duckdb":
        return parts.path or parts.netloc or ":memory:"
    try:
        port = parts.port or (5432 if url_scheme(url) in ("postgres", "postgresql") else None)
    except ValueError:  # a port that is not a number
        port = None
    return f"{parts.hostname or 'localhost'}:{port}" if port else (parts.hostname or "localhost")


def check_url(url: str) -> SplitResult:
    """Return the parts of database *url*, or raise a one-line error saying what is wrong with it.

    The password is masked before parsing, so one written with ``@`` or ``/`` cannot shift the
    host and port, and no message ever shows it.

    Raises
    ------
    ParameterError
        Not a URL; an IPv6 host without its closing bracket; a port that is not a number from 1
        to 65535.

    Examples
    --------
    >>> check_url("postgresql://ann:s3cret@[::1]:5432/app").port
    5432
    >>> check_url("postgresql://ann@db:99999/app")
    Traceback (most recent call last):
    prodops.errors.ParameterError: postgresql://ann@db:99999/app: the port is not a number ...
    """
    shown = mask_url(url)
    if not url_scheme(url) or "://" not in url:
        raise ParameterError(
            f"{shown!r} is not a database URL",
            fix="Write it like postgresql://user@host:5432/dbname.",
        )
    try:
        parts = urlsplit(shown)
        port = parts.port
    except ValueError as error:
        if "port" in str(error).lower():
            raise ParameterError(
                "the port is not a number from 1 to 65535",
                where=shown,
                fix="Correct the port (PostgreSQL listens on 5432 unless told otherwise).",
            ) from None
        raise ParameterError(
            f"the URL cannot be read ({error})",
            where=shown,
            fix="Write an IPv6 host in brackets (postgresql://user@[::1]:5432/dbname) and "
            "percent-encode special characters of the user and password (@ as %40).",
        ) from None
    if port == 0:
        raise ParameterError(
            "the port is not a number from 1 to 65535",
            where=shown,
            fix="Correct the port (PostgreSQL listens on 5432 unless told otherwise).",
        )
    return parts


def check_parameters(url: str) -> dict[str, str]:
    """Return the query parameters of *url*; refuse those that name files on the server.

    Examples
    --------
    >>> check_parameters("postgresql://db/app?sslmode=require")
    {'sslmode': 'require'}
    >>> check_parameters("postgresql://db/app?passfile=/etc/passwd")
    Traceback (most recent call last):
    prodops.errors.ParameterError: postgresql://db/app?passfile=/etc/passwd: the parameter ...
    """
    params = dict(parse_qsl(check_url(url).query, keep_blank_values=True))
    for name in params:
        if name.lower() in FILE_PARAMETERS:
            raise ParameterError(
                f"the parameter {name!r} names a file on the ProdOps server",
                where=mask_url(url),
                fix="Leave it out; an administrator can set the matching PG* environment "
                "variable (e.g. PGSSLROOTCERT) for the server instead.",
            )
    return params


def _own_stores() -> list[Path]:
    """The product's own files: the data directory and a SQLite store outside it."""
    stores = [config.home().resolve()]
    store = config.store_url()
    if store.startswith("sqlite:///"):
        stores.append(Path(store.removeprefix("sqlite:///")).expanduser().resolve())
    return stores


def file_database_path(url: str) -> Path:
    """Return the database file *url* names, when file databases are allowed and it may be opened.

    Connections are for databases the team runs. A DuckDB or SQLite file is accepted only inside
    ``PRODOPS_ALLOW_FILE_DB_DIR`` (an administrator's setting), only when it already exists
    (nothing is ever created), and never one of ProdOps' own stores (the catalog, the OKR /
    critique store, anything in the data directory). Engines that run inside ProdOps and read
    any file (``file://``, DataFusion, Polars, Spark, Flink) are never accepted.

    Raises
    ------
    ParameterError
        Whatever of the above the URL breaks, and what to do instead.
    """
    scheme = url_scheme(url)
    parts = check_url(url)
    shown = mask_url(url)
    instead = "Import the file instead (Data page, or `prodops import FILE`)"
    if scheme in IN_PROCESS_SCHEMES:
        raise ParameterError(
            f"{scheme}:// URLs are not accepted: they run inside ProdOps and can read its files",
            where=shown,
            fix=f"{instead}, or connect a database server (postgresql://user@host:5432/db).",
        )
    allowed = config.allowed_file_db_dir()
    if allowed is None:
        raise ParameterError(
            f"{scheme} files are not accepted as connections (they live on the ProdOps server)",
            where=shown,
            fix=f"{instead}, or connect a database server. An administrator may allow one "
            "folder of shared database files with PRODOPS_ALLOW_FILE_DB_DIR.",
        )
    if parts.query:
        raise ParameterError(
            "a database file URL takes no parameters", where=shown, fix="Remove the ?... part."
        )
    pieces = [p for p in (parts.netloc, parts.path[bool(parts.netloc) :]) if p]
    if not pieces or pieces == [":memory:"]:
        raise ParameterError(
            "the URL names no database file", where=shown, fix=f"Write {scheme}:///path/file."
        )
    path = Path(*pieces).expanduser()
    try:
        path = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ParameterError(
            "no such database file (connections never create one)", where=shown
        ) from None
    if not path.is_file() or not path.is_relative_to(allowed):
        raise ParameterError(
            f"only database files inside {allowed} may be connected",
            where=shown,
            fix="Move the file there, or import it (Data page, or `prodops import FILE`).",
        )
    if any(path == own or path.is_relative_to(own) for own in _own_stores()):
        raise ParameterError(
            "ProdOps' own stores cannot be connected",
            where=shown,
            fix="Datasets in the catalog are already listed on the Data page.",
        )
    return path
