"""Database URL masking keeps no part of a password (issue 17, item 8)."""

from __future__ import annotations

import pytest

from prodops.data.db_urls import (
    check_url,
    host_port,
    mask_text,
    mask_url,
    mask_urls,
    strip_password,
    url_scheme,
    with_password,
)
from prodops.errors import BackendError
from prodops.store import db

RAW = "postgresql://ann:p@ss:w/rd@db.internal:5432/app"
ENCODED = "postgresql://ann:p%40ss@host/db"
PIECES = ("p@ss", "ss", "w/rd", "%40")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (RAW, "postgresql://ann:***@db.internal:5432/app"),
        (ENCODED, "postgresql://ann:***@host/db"),
        (
            "postgresql://ann:a:b@h:1/d?sslmode=require",
            "postgresql://ann:***@h:1/d?sslmode=require",
        ),
        ("postgresql://ann@h/d", "postgresql://ann@h/d"),
        ("duckdb:///tmp/a@b.duckdb", "duckdb:///tmp/a@b.duckdb"),
    ],
)
def test_mask_url_replaces_the_whole_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def _leaks(text: str) -> list[str]:
    """The pieces of the passwords of RAW and ENCODED in *text*'s URLs and quoted words."""
    words = [w for w in text.replace("'", " ").split() if "://" in w or "@" in w or ":" in w]
    return [p for p in PIECES for w in words if p in w.split("://")[-1]]


@pytest.mark.parametrize(("url", "password"), [(RAW, "p@ss:w/rd"), (ENCODED, "p%40ss")])
def test_no_message_shows_a_piece_of_the_password(url: str, password: str) -> None:
    message = mask_text(f"could not connect to {url}: bad password {password}", url)
    for text in (mask_url(url), strip_password(url), host_port(url), message):
        assert _leaks(text) == [], text
        assert password not in text
    assert "w/rd" not in message and "p@ss" not in message
    assert mask_url(url).startswith("postgresql://ann:***@")
    assert strip_password(url).startswith("postgresql://ann@")
    assert host_port(url) in ("db.internal:5432", "host:5432")


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (RAW, "postgresql+psycopg://ann:***@db.internal:5432/app"),
        (
            "postgresql://ann:p@ss@db.internal:5432/app",
            "postgresql+psycopg://ann:***@db.internal:5432/app",
        ),
    ],
)
def test_the_store_names_an_unreadable_database_url_without_its_password(
    url: str, where: str
) -> None:
    with pytest.raises(BackendError) as caught:
        db.get_engine(url)
    message = str(caught.value)
    assert message.startswith(where + ": the store URL cannot be read")
    assert _leaks(message) == []
    assert "p@ss" not in message and "w/rd" not in message and "'w'" not in message


def test_the_store_describes_a_percent_encoded_url_without_its_password() -> None:
    text = db.describe(db.get_engine(ENCODED))
    assert text == "postgresql at host:/db"


# --- malformed URLs: one clear line, never a traceback (issue 17, item 11) -------------------


@pytest.mark.parametrize(
    "url",
    ["postgresql://ann:s3cret@[::1/app", "postgresql://ann:s3cret@db:99999/app", "nonsense"],
)
def test_helpers_never_raise_on_a_malformed_url_and_never_show_its_password(url: str) -> None:
    assert url_scheme(url) in ("postgresql", "")
    for text in (mask_url(url), strip_password(url), with_password(url, "x"), host_port(url)):
        assert "s3cret" not in text or text == url == with_password(url, "x")


def test_with_password_leaves_a_malformed_url_for_connect_to_explain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRODOPS_DB_PASSWORD_X", "pw")
    assert with_password("postgresql://ann@[::1/app", "x") == "postgresql://ann@[::1/app"
    assert with_password("postgresql://ann@[::1]/app", "x") == "postgresql://ann:pw@[::1]/app"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://ann@db:99999/app", "the port is not a number from 1 to 65535"),
        ("postgresql://ann@db:0/app", "the port is not a number from 1 to 65535"),
        ("postgresql://ann:s3cret@[::1/app", "invalid literal"),
        ("mysql://ann@db/app", "'mysql' is not a supported store"),
        ("http://example.com", "'http' is not a supported store"),
        ("postgresql://ann:p@ss@db/app", "the password is not percent-encoded"),
        ("nonsense", "Could not parse"),
    ],
)
def test_the_store_says_what_is_wrong_with_its_url(url: str, reason: str) -> None:
    with pytest.raises(BackendError) as caught:
        db.get_engine(url)
    message = str(caught.value)
    assert f"the store URL cannot be read ({reason}" in message
    assert "PRODOPS_DATABASE_URL" in message and "\n" not in message
    assert "s3cret" not in message and "p@ss" not in message


def test_mask_urls_masks_every_url_in_a_message() -> None:
    text = "a postgresql://ann:one@h/d and mysql://bob:two@k/e."
    assert mask_urls(text) == "a postgresql://ann:***@h/d and mysql://bob:***@k/e."


def test_check_url_reads_host_and_port_of_a_password_with_at_and_slash() -> None:
    parts = check_url(RAW)
    assert (parts.hostname, parts.port, parts.username) == ("db.internal", 5432, "ann")
