"""The Data page's "Connect a database" section with bad URLs and risky logins (issue 17).

A malformed URL (port 99999, an unclosed IPv6 bracket), a file URL or a refused SELECT shows one
clean message, never a traceback (item 11, items 2-3); a superuser login gets a warning with the
SQL of a read-only role (item 2).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/6_Data.py"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    return at.run()


def connect_to(page: AppTest, url: str) -> AppTest:
    page.text_input(key="db_url").input(url).run()
    assert not page.exception, [e.value for e in page.exception]
    return page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://ann:s3cret@127.0.0.1:99999/test", "the port is not a number"),
        ("postgresql://ann:s3cret@[::1/test", "the URL cannot be read \\(Invalid IPv6 URL\\)"),
        ("file:///etc/passwd.csv", "file\\:// URLs are not accepted"),
        ("duckdb:///tmp/prodops-page-new.duckdb", "duckdb files are not accepted"),
        ("sqlite:///{home}/prodops.sqlite", "sqlite files are not accepted"),
    ],
)
def test_a_bad_or_refused_url_shows_one_clean_error(
    page: AppTest, url: str, message: str, prodops_home: Path
) -> None:
    connect_to(page, url.format(home=prodops_home))
    errors = [e.value for e in page.error]
    assert len(errors) == 1 and message in errors[0], errors
    assert "\n" not in errors[0] and "s3cret" not in errors[0]
    assert not Path("/tmp/prodops-page-new.duckdb").exists()


@pytest.fixture
def pg_table(postgres_url: str) -> Iterator[str]:
    schema = f"prodops_page_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
        con.execute(f'CREATE TABLE "{schema}".events (user_id text, event text, ts timestamptz)')
        con.execute(f"INSERT INTO \"{schema}\".events VALUES ('u1', 'a', '2024-01-01')")
    try:
        yield f"{postgres_url}/{schema}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_superuser_login_is_warned_and_a_file_reading_select_refused(
    page: AppTest, pg_table: str
) -> None:
    connect_to(page, pg_table)
    warnings = [w.value for w in page.warning]
    assert len(warnings) == 1 and "is a superuser" in warnings[0]
    sql = [c.value for c in page.code]
    assert len(sql) == 1 and "GRANT SELECT ON ALL TABLES IN SCHEMA" in sql[0]
    assert page.selectbox(key="db_table").value == "events"

    page.radio(key="db_mode").set_value("One SELECT").run()
    page.text_area(key="db_sql").input("SELECT pg_read_file('/etc/passwd') AS f").run()
    assert not page.exception
    errors = [e.value for e in page.error]
    assert len(errors) == 1 and "pg\\_read\\_file\\(\\)" in errors[0]
    assert not [d for d in page.dataframe if "f" in d.value.columns]  # nothing previewed
