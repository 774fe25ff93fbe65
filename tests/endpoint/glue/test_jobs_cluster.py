"""Glue Spark jobs on an existing Spark cluster (AWSTWIN_GLUE_SPARK_MASTER) instead of `local[*]`:
a real standalone master and worker (the `spark_cluster` fixture), a real job through StartJobRun that
reads CSV from the endpoint's S3 and writes Parquet back, run by the cluster's executors; and a master
that does not answer failing the run at once, saying which master and what to do.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.conftest import clients_for
from tests.endpoint.glue.jobruns import wait_run

from awstwin.core.config import EndpointSettings
from awstwin.core.ports import free_port
from awstwin.endpoint.server import EndpointServer
from awstwin.stack.spark_cluster import SparkCluster

pytestmark = [pytest.mark.spark, pytest.mark.slow]

BUCKET = "cluster-jobs"
ROWS = 5000

# GlueContext and DynamicFrame over s3:// paths; the Map function runs in the executors' Python
# workers and needs both the clean-room awsglue and the run's --extra-py-files there.
SCRIPT = """
import os
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import Map
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "bucket"])
sc = SparkContext()
print(f"master={sc.master}")
glue_context = GlueContext(sc)
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
frame = glue_context.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [f"s3://{args['bucket']}/in/"]},
    format="csv",
    format_options={"withHeader": True},
)


def under_executor():  # an ancestor of this Python worker is a cluster executor's JVM
    pid = os.getppid()
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            if b"CoarseGrainedExecutorBackend" in handle.read():
                return True
        with open(f"/proc/{pid}/stat") as handle:
            pid = int(handle.read().rsplit(")", 1)[1].split()[1])
    return False


def enrich(record):
    import cluster_helper  # from --extra-py-files, imported in the executor's Python worker

    record["score"] = cluster_helper.doubled(int(record["value"]))
    record["on_executor"] = under_executor()
    return record


mapped = Map.apply(frame=frame, f=enrich)
glue_context.write_dynamic_frame.from_options(
    frame=mapped,
    connection_type="s3",
    connection_options={"path": f"s3://{args['bucket']}/out/"},
    format="parquet",
)
print(f"wrote {mapped.count()} rows")
job.commit()
"""

HELPER = """
def doubled(value):
    return value * 2
"""


@contextmanager
def _endpoint(tmp_path_factory: pytest.TempPathFactory, master: str) -> Iterator[EndpointServer]:
    state = tmp_path_factory.mktemp("cluster-endpoint")
    settings = EndpointSettings(host="127.0.0.1", port=0, state_dir=state, glue_spark_master=master)
    server = EndpointServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def on_cluster(
    tmp_path_factory: pytest.TempPathFactory, spark_cluster: SparkCluster
) -> Iterator[Callable[[str], Any]]:
    """boto3 clients of an endpoint whose Glue Spark jobs run on the module's cluster."""
    with _endpoint(tmp_path_factory, spark_cluster.master_url) as server:
        yield clients_for(server.url)


def _put_inputs(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    lines = ["id,value"] + [f"{i},{i % 97}" for i in range(ROWS)]
    s3.put_object(Bucket=BUCKET, Key="in/data.csv", Body="\n".join(lines).encode())
    s3.put_object(Bucket=BUCKET, Key="scripts/cluster_job.py", Body=textwrap.dedent(SCRIPT).encode())
    s3.put_object(Bucket=BUCKET, Key="scripts/lib/cluster_helper.py", Body=HELPER.encode())


def _create_job(glue: Any, name: str, arguments: dict[str, str]) -> None:
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/cluster_job.py"},
        DefaultArguments={"--bucket": BUCKET, **arguments},
    )


def _parquet_rows(s3: Any) -> list[dict]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="out/")["Contents"]
    rows: list[dict] = []
    for item in listed:
        if item["Key"].endswith(".parquet"):
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


def test_a_glue_job_runs_on_the_cluster_and_writes_parquet_to_s3(
    on_cluster: Callable[[str], Any], spark_cluster: SparkCluster
) -> None:
    _put_inputs(on_cluster)
    glue = on_cluster("glue")
    _create_job(glue, "on-cluster", {"--extra-py-files": f"s3://{BUCKET}/scripts/lib/cluster_helper.py"})
    run_id = glue.start_job_run(JobName="on-cluster")["JobRunId"]
    run = wait_run(glue, "on-cluster", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")

    rows = _parquet_rows(on_cluster("s3"))
    assert len(rows) == ROWS
    assert sorted(int(row["id"]) for row in rows) == list(range(ROWS))
    assert all(row["score"] == 2 * int(row["value"]) for row in rows)

    # The work ran on the cluster: the master lists the run's application as completed, and the
    # worker's work folder holds that application's executor folder.
    state = spark_cluster.state()
    apps = [app for app in state["completedapps"] if app["name"] == "on-cluster"]
    assert len(apps) == 1, state
    app_id = apps[0]["id"]
    app_folder = spark_cluster.work_dir() / app_id
    assert app_folder.is_dir() and any(app_folder.iterdir()), f"no executor folder in {app_folder}"
    # The Map function ran in Python workers under a cluster executor, not under the run's driver.
    assert all(row["on_executor"] for row in rows)


@pytest.fixture(scope="module")
def nobody_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Callable[[str], Any], str]]:
    """An endpoint whose Spark master is a free port of 127.0.0.1: nothing answers there."""
    master = f"spark://127.0.0.1:{free_port()}"
    with _endpoint(tmp_path_factory, master) as server:
        yield clients_for(server.url), master


def test_a_master_that_does_not_answer_fails_the_run_at_once_naming_it(
    nobody_home: tuple[Callable[[str], Any], str],
) -> None:
    aws, master = nobody_home
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("s3").put_object(Bucket=BUCKET, Key="scripts/cluster_job.py", Body=SCRIPT.encode())
    glue = aws("glue")
    _create_job(glue, "no-master", {})
    run_id = glue.start_job_run(JobName="no-master")["JobRunId"]
    run = wait_run(glue, "no-master", run_id, timeout=60)
    assert run["JobRunState"] == "FAILED"
    message = run["ErrorMessage"]
    assert master in message and "does not answer" in message, message
    assert "AWSTWIN_GLUE_SPARK_MASTER" in message and "local[*]" in message, message
