"""``sc://`` URLs end to end: a local Spark Connect server, ProdOps connecting as a client.

The server runs in a child process (pyspark's ``remote("local")`` starts one in a JVM of its own,
which must not share this process with the local-mode session of the other Spark tests), with
the child's working folder in a temporary directory so nothing is written into the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from spark.conftest import require_spark

CHILD = """
import json, sys
import ibis
from pyspark.sql import SparkSession
from metrics.helpers import SCHEMA, frame
from prodops.data.connect import connection
from prodops.metrics import retention

server = SparkSession.builder.remote("local[2]").getOrCreate()  # listens on localhost:15002
events = frame([
    ("a", "x", "2024-03-10T04:30"),  # March 9, 23:30 in New York (EST)
    ("a", "x", "2024-03-10T05:30"),  # March 10, 00:30 EST
    ("b", "x", "2024-03-10T23:30"),  # March 10, 19:30 EDT
    ("b", "x", "2024-03-11T03:30"),  # March 10, 23:30 EDT (UTC: March 11)
])
with connection("sc://localhost:15002") as backend:
    name = type(backend).__module__
    table = backend.create_view("events", ibis.memtable(events, schema=SCHEMA))
    result = retention(table, period="day", timezone="America/New_York",
                       date_from="2024-03-09", date_to="2024-03-11")
counts = result.pivot(index="cohort", columns="offset", values="count")
print(json.dumps({
    "backend": name,
    "days": [str(c.date()) for c in counts.index],
    "counts": [[None if v != v or v is None else int(v) for v in row] for row in
               counts.astype("float64").to_numpy().tolist()],
}))
"""


def test_an_sc_url_runs_a_metric_on_a_spark_connect_server(tmp_path: Path) -> None:
    require_spark(connect=True)
    tests = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")]),
    }
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    # Files, not pipes: the server's JVM may outlive the child for a moment and hold a pipe open.
    with out.open("w") as stdout, err.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=stderr,
            timeout=240,
            check=False,
        )
    assert done.returncode == 0, err.read_text()[-3000:]
    result = json.loads(out.read_text().strip().splitlines()[-1])
    assert result["backend"].startswith("ibis.backends.pyspark")
    assert result["days"] == ["2024-03-09", "2024-03-10", "2024-03-11"]
    assert result["counts"] == [[1, 1, 0], [1, 0, None], [0, None, None]]
    assert not (tests.parent / "spark-warehouse").exists()  # the server wrote in tmp_path
