"""One Spark session in local mode for the whole test run (starting one costs seconds).

Spark writes nothing into the repository: its warehouse, Derby home and scratch space live in a
temporary folder of the session. Test tables are views over in-memory frames
(``con.create_view(name, ibis.memtable(df))``; ``create_table`` writes a warehouse folder and
fails when rerun; DESIGN.md, pitfalls). Without pyspark or Java the suite skips with a reason,
and fails instead when ``PRODOPS_REQUIRE_SPARK=1`` (set by ``.ci/run``): in CI nothing may skip.
"""

from __future__ import annotations

import importlib
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest
from metrics.helpers import SCHEMA

_names = itertools.count()


def _unavailable(reason: str) -> None:
    if os.environ.get("PRODOPS_REQUIRE_SPARK") == "1":
        pytest.fail(f"{reason} (PRODOPS_REQUIRE_SPARK=1, so this may not skip)")
    pytest.skip(reason)


def require_spark(*, connect: bool = False) -> None:
    """Skip (or fail in CI) without pyspark, its Spark Connect client, or Java."""
    modules = ("pyspark", "grpc", "google.rpc") if connect else ("pyspark",)
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            _unavailable(f"{module} is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _unavailable("Java is not installed (Spark needs a JRE, e.g. openjdk-17-jre-headless)")


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Ibis's pyspark backend over a local-mode SparkSession (2 threads, small shuffles)."""
    require_spark()
    from pyspark.sql import SparkSession

    home = Path(tmp_path_factory.mktemp("spark"))
    java_options = f"-Dderby.system.home={home / 'derby'} -Djava.io.tmpdir={home / 'tmp'}"
    (home / "tmp").mkdir()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("prodops-tests")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.local.dir", str(home / "tmp"))
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # tiny test tables: two shuffle partitions instead of 200 keep each query well under 1 s
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield ibis.pyspark.connect(session)
    finally:
        session.stop()


Viewer = Callable[..., ibis.Table]


@pytest.fixture(scope="session")
def spark_view(spark: Any) -> Viewer:
    """Register a frame as a temporary Spark view and return it as an Ibis table."""

    def make(frame: pd.DataFrame, schema: dict[str, str] | None = None) -> ibis.Table:
        name = f"t_{next(_names)}"
        return spark.create_view(name, ibis.memtable(frame, schema=schema or SCHEMA))

    return make
