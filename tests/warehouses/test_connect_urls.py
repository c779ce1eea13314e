"""Warehouse and Spark Connect URLs: accepted, password rules kept, one clear line when not."""

from __future__ import annotations

import importlib.util
from typing import Any

import ibis
import pytest

from prodops.data import connect as connect_module
from prodops.data.connect import (
    connection,
    databricks_options,
    mask_url,
    spark_remote,
    strip_password,
    with_password,
)
from prodops.data.relations import check_relation, dialect_for
from prodops.errors import BackendError, InputError, ParameterError


def test_spark_connect_takes_the_token_from_the_connections_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = strip_password("sc://ana:t0ken@spark.internal:15002/;use_ssl=true")
    assert stored == "sc://ana@spark.internal:15002/;use_ssl=true"  # what the catalog keeps
    monkeypatch.setenv("PRODOPS_DB_PASSWORD_CLUSTER", "t0ken")
    full = with_password(stored, "cluster")
    assert mask_url(full) == "sc://ana:***@spark.internal:15002/;use_ssl=true"
    assert spark_remote(full) == "sc://spark.internal:15002/;use_ssl=true;user_id=ana;token=t0ken"


def test_spark_connect_defaults_to_port_15002_and_needs_no_user() -> None:
    assert spark_remote("sc://10.0.0.7") == "sc://10.0.0.7:15002"
    assert spark_remote("sc://spark:443/;use_ssl=true") == "sc://spark:443/;use_ssl=true"


def test_a_token_written_as_a_parameter_is_refused_without_showing_it() -> None:
    with pytest.raises(ParameterError, match="not accepted as a ;token= parameter") as caught:
        spark_remote("sc://spark:15002/;token=s3cret")
    assert "\n" not in str(caught.value)


def test_databricks_url_maps_to_ibis_options_with_the_token_as_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = "databricks://token@adb-1.azuredatabricks.net/main/web?http_path=/sql/1.0/wh/abc"
    monkeypatch.setenv("PRODOPS_DB_PASSWORD_LAKE", "dapi-s3cret")
    options = databricks_options(with_password(stored, "lake"))
    assert options == {
        "server_hostname": "adb-1.azuredatabricks.net",
        "http_path": "/sql/1.0/wh/abc",
        "access_token": "dapi-s3cret",
        "catalog": "main",
        "schema": "web",
    }


def test_databricks_url_without_http_path_says_what_to_write() -> None:
    with pytest.raises(ParameterError, match="http_path") as caught:
        databricks_options("databricks://token:dapi-s3cret@adb-1.azuredatabricks.net/main")
    assert "dapi-s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "module", "package"),
    [
        ("snowflake://ana:s3cret@acct/db/schema?warehouse=wh", "snowflake.connector", "snowflake"),
        ("bigquery://my-project/analytics", "google.cloud.bigquery", "bigquery"),
        ("trino://ana:s3cret@trino:8080/hive/web", "trino", "trino"),
        ("clickhouse://ana:s3cret@ch:8123/web", "clickhouse_connect", "clickhouse"),
        ("databricks://token:s3cret@h/c/s?http_path=/x", "databricks.sql", "databricks"),
        ("sc://ana:s3cret@spark:15002", "grpc", "prodops[spark]"),
        ("mysql://ana:s3cret@127.0.0.1:3306/web", "MySQLdb", "ibis-framework[mysql]"),
    ],
)
def test_a_missing_client_library_names_the_package_to_install(
    url: str, module: str, package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == module else real(name, *args)

    monkeypatch.setattr(connect_module.importlib.util, "find_spec", find_spec)
    with pytest.raises(BackendError) as caught, connection(url):
        pass
    text = str(caught.value)
    assert "client is not installed" in text and package in text
    assert "\n" not in text and "s3cret" not in text


def test_warehouse_urls_go_to_ibis_with_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(connect_module, "_check_driver", lambda url: None)
    monkeypatch.setattr(ibis, "connect", lambda url: seen.append(url) or ibis.duckdb.connect())
    with connection("trino://ana:s3cret@trino:8080/hive/web"):
        pass
    assert seen == ["trino://ana:s3cret@trino:8080/hive/web"]


def test_in_process_spark_is_still_refused() -> None:
    with pytest.raises(ParameterError, match="not accepted"), connection("pyspark://"):
        pass


def test_queries_are_read_with_the_warehouses_dialect() -> None:
    assert dialect_for("sc://spark:15002") == "spark"
    assert dialect_for("databricks://token@h/c/s") == "databricks"
    assert dialect_for("bigquery://project/dataset") == "bigquery"
    relation = check_relation("SELECT `user id`, ts FROM web.events", dialect="spark")
    assert relation.sql is not None


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM parquet.`/etc/passwd`",
        "SELECT * FROM csv.`s3://bucket/x.csv`",
        "parquet.events",
        "SELECT reflect('java.lang.Runtime', 'getRuntime')",
        "SELECT java_method('java.lang.System', 'getenv', 'HOME')",
    ],
)
def test_spark_queries_may_not_read_files_or_call_java(text: str) -> None:
    with pytest.raises(InputError) as caught:
        check_relation(text, dialect="spark")
    assert "\n" not in str(caught.value)


def test_a_table_named_like_a_spark_file_format_is_a_table_elsewhere() -> None:
    """Only Spark reads ``parquet.x`` as a file: on PostgreSQL it is schema ``parquet``."""
    assert check_relation("parquet.events", dialect="postgres").table == "parquet.events"
