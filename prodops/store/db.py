"""The store's engine, sessions and schema upgrades (docs/adr/0005-store.md).

SQLite by default (a file in the data directory), PostgreSQL when ``PRODOPS_DATABASE_URL`` is set.
On SQLite every connection runs in WAL mode with a 30 s busy timeout and foreign keys on, and
SQLAlchemy (not the ``sqlite3`` driver) emits ``BEGIN``: ``BEGIN IMMEDIATE`` for
:func:`write_session`, so two read-modify-write sessions queue instead of losing an update or
failing with "database is locked" (DESIGN.md, known pitfalls).

Examples
--------
A store in a temporary directory, upgraded to the newest schema:

>>> import tempfile
>>> from prodops.store.db import current_revision, describe, init_store, read_session
>>> tmp = tempfile.TemporaryDirectory()
>>> engine = init_store(f"sqlite:///{tmp.name}/store.db")
>>> describe(engine)
'SQLite file .../store.db'
>>> current_revision(engine) is not None
True
>>> with read_session(engine) as session:
...     session.get_bind().dialect.name
'sqlite'
>>> engine.dispose()
>>> tmp.cleanup()
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session

from prodops import config
from prodops.data.db_urls import mask_url, mask_urls, url_password
from prodops.errors import BackendError
from prodops.store import guard
from prodops.store.access import SYSTEM, Actor

BUSY_TIMEOUT_S = 30
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Execution option read by the "begin" hook: "IMMEDIATE" takes SQLite's write lock at BEGIN.
_BEGIN_OPTION = "prodops_sqlite_begin"
# Any constant: serialises concurrent `init_store` runs on PostgreSQL (pg_advisory_xact_lock).
_PG_MIGRATION_LOCK = 727_006


def _normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs (the driver ProdOps ships with)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _unreadable(url: str, reason: str, fix: str) -> BackendError:
    return BackendError(
        f"the store URL cannot be read ({reason})",
        where=mask_url(url),
        fix=f"Correct PRODOPS_DATABASE_URL: {fix} (or unset it to use the SQLite file in the "
        "data directory).",
    )


def _parse(url: str) -> URL:
    """``make_url(url)``, checked; a URL it cannot use raises BackendError without the password.

    The store runs on SQLite or PostgreSQL; the port, when given, is a number from 1 to 65535.
    """
    password = url_password(url)
    if password is not None and ("@" in password or "/" in password):  # make_url would cut it
        raise _unreadable(
            url, "the password is not percent-encoded", "write @ as %40, / as %2F, : as %3A"
        )
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ValueError, sa.exc.ArgumentError) as error:
        reason = mask_urls(str(error).splitlines()[0] if str(error) else "malformed")[:120]
        raise _unreadable(
            url,
            reason,
            "write it like postgresql://user:password@host:5432/dbname (an IPv6 host in "
            "brackets, the password percent-encoded)",
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise _unreadable(
            url,
            f"{parsed.get_backend_name()!r} is not a supported store",
            "use postgresql://user:password@host:5432/dbname or sqlite:///path/prodops.sqlite",
        )
    if port is not None and not 1 <= port <= 65535:
        raise _unreadable(url, "the port is not a number from 1 to 65535", "correct the port")
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    """Install the documented pysqlite recipe: SQLAlchemy emits BEGIN, the driver does not."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver stops emitting BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


@functools.lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        _configure_sqlite(engine)
    else:
        connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    guard.install(engine)  # every write checked against the actor's role, and audited
    return engine


def get_engine(url: str | None = None) -> Engine:
    """Return the (cached, one per URL) engine of the store.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :func:`prodops.config.store_url` (SQLite in the data directory,
        or ``PRODOPS_DATABASE_URL``). ``postgresql://`` URLs use psycopg 3.
    """
    return _engine_for(_normalise_url(url or config.store_url()))


def describe(engine: Engine) -> str:
    """Return where the store lives, without the password ("postgresql at db:5432/okr")."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"{url.get_backend_name()} at {url.host or 'localhost'}:{url.port or ''}/{url.database}"


def backend_error(engine: Engine, error: Exception) -> BackendError:
    """Turn a driver error into a one-line :class:`BackendError` saying where and what to do.

    The message is the first line of the driver's own message: never the SQL statement or its
    parameters (SQLAlchemy appends them on the next lines).
    """
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    words = detail[0].lower() if detail else ""
    if isinstance(error, sa.exc.DataError | sa.exc.IntegrityError):
        fix = "A value does not fit the store (too long or out of range): change it."
    elif "disk is full" in words or "no space left" in words:
        fix = "Free some space on the disk that holds the store, then try again."
    elif "readonly database" in words or "read-only file system" in words:
        fix = (
            "The store's file is not writable: point PRODOPS_HOME at a folder you can write to,"
            " or set PRODOPS_DATABASE_URL."
        )
    elif isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
        fix = (
            "Check that the database is running and reachable, or correct PRODOPS_DATABASE_URL "
            "(unset it to use the SQLite file in the data directory)."
        )
    else:
        fix = (
            "Correct PRODOPS_DATABASE_URL (unset it to use the SQLite file in the data "
            "directory); if it persists, report it."
        )
    first = mask_urls(detail[0])[:200] if detail else type(error).__name__
    return BackendError(
        f"the OKR / critique store failed ({first})", where=describe(engine), fix=fix
    )


@contextmanager
def _session(engine: Engine, *, write: bool, actor: Actor | str | None = None) -> Iterator[Session]:
    bind = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}) if write else engine
    session = Session(bind, expire_on_commit=False)
    try:
        with guard.acting_as(actor):
            yield session
            if write:
                session.commit()
    except sa.exc.IntegrityError:  # a broken constraint is for the code that wrote to handle
        session.rollback()
        raise
    except sa.exc.DBAPIError as error:
        session.rollback()
        raise backend_error(engine, error) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def write_session(engine: Engine, *, actor: Actor | str | None = None) -> Any:
    """Return a context manager: a session whose transaction starts with ``BEGIN IMMEDIATE``.

    On SQLite the write lock is taken at the start, so a read-modify-write inside cannot interleave
    with another writer; it waits up to the busy timeout. Commits on success, rolls back on error.
    Database failures become :class:`prodops.errors.BackendError`.

    Every write inside is done as *actor* (an :class:`~prodops.store.access.Actor`, an identity,
    or None for ``PRODOPS_USER``): refused with :class:`~prodops.errors.PermissionDeniedError`
    when their role does not allow it, and recorded in the audit trail (:mod:`prodops.store.guard`).
    """
    return _session(engine, write=True, actor=actor)


def read_session(engine: Engine) -> Any:
    """Return a context manager: a session for reading (plain ``BEGIN``; rolled back at the end)."""
    return _session(engine, write=False)


def alembic_config(engine: Engine) -> Any:
    """Return an Alembic ``Config`` for the packaged migrations, bound to *engine*."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolation
    return cfg


def migrate(engine: Engine, *, revision: str = "head", downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the store's schema to *revision* in one locked transaction."""
    from alembic import command

    cfg = alembic_config(engine)
    try:
        with engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}).begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
            cfg.attributes["connection"] = connection
            with guard.acting_as(SYSTEM):  # a schema upgrade is ProdOps's own write
                (command.downgrade if downgrade else command.upgrade)(cfg, revision)
    except sa.exc.DBAPIError as error:
        raise backend_error(engine, error) from None
    finally:
        guard.forget(engine)


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except sa.exc.DBAPIError as error:
        raise backend_error(engine, error) from None


@functools.lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest schema revision of the packaged migrations (read without running them)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


@functools.lru_cache(maxsize=16)
def _init_once(url: str) -> Engine:
    engine = _engine_for(url)
    # A store already at head needs no migration run: Alembic's environment imports every
    # feature's tables (a CLI command that only records an audit entry would pay seconds for it).
    if current_revision(engine) != head_revision():
        migrate(engine)
    return engine


def init_store(url: str | None = None) -> Engine:
    """Upgrade the store to the newest schema (once per process and URL) and return its engine.

    The app, the CLI and ``prodops setup`` call it at start-up. A database that cannot be reached
    raises :class:`prodops.errors.BackendError` naming the host and what to do.
    """
    return _init_once(_normalise_url(url or config.store_url()))
