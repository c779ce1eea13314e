"""Database URL masking keeps no part of a password (issue 17, item 8)."""

from __future__ import annotations

import pytest

from prodops.data.db_urls import host_port, mask_text, mask_url, strip_password
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
