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
from urllib.parse import quote, unquote, urlsplit, urlunsplit

_URL = re.compile(r"[a-zA-Z][\w+.-]*://\S+")


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
    return _URL.sub(lambda m: mask_url(m.group(0)), text)


def strip_password(url: str) -> str:
    """Return *url* without its password (what the catalog stores)."""
    split = _userinfo(url)
    if split is not None and split[2] is not None and "/" in split[2] + split[1]:
        return f"{split[0]}{split[1]}{split[3]}"  # a password urlsplit cannot read: cut it out
    parts = urlsplit(url)
    if parts.password is None:
        return re.sub(r"(?i)[?&]password=[^&]*", "", url)
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{quote(user)}@{host}" if user else host
    if parts.port:
        netloc += f":{parts.port}"
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
    parts = urlsplit(url)
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
    netloc = f"{quote(parts.username or '')}:{quote(password, safe='')}@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def url_scheme(url: str) -> str:
    """The database kind of *url*: ``postgresql+psycopg://...`` -> ``postgresql``."""
    return urlsplit(url).scheme.split("+")[0].lower()


def host_port(url: str) -> str:
    """``host:port`` of *url* (a DuckDB URL: its file), for messages; never the password."""
    parts = urlsplit(mask_url(url))  # a password with '@' or '/' would shift host and port
    if url_scheme(url) == "duckdb":
        return parts.path or parts.netloc or ":memory:"
    try:
        port = parts.port or (5432 if url_scheme(url) in ("postgres", "postgresql") else None)
    except ValueError:  # a port that is not a number
        port = None
    return f"{parts.hostname or 'localhost'}:{port}" if port else (parts.hostname or "localhost")
