"""A Glue job's plain Spark `s3://` I/O when S3 is another server (the compose and `localstack` stacks):
the endpoint runs in its external-S3 mode and the job's Spark reads and writes that server's objects
through S3RestFileSystem (glue_runtime/java), over its REST API. Two S3 servers: LocalStack 4.14.0 on
this machine (skipped only where no Python 3.13 exists) and a second awstwin endpoint over HTTP.

Each is one real StartJobRun of a real Spark process: CSV in, partitioned Parquet out, read back."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from tests.conftest import REAL_DATASET

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

# Glue Spark jobs against LocalStack's S3, installed from the registry on first use.
pytestmark = [pytest.mark.spark, pytest.mark.network]

BUCKET = "remote-s3-jobs"
GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")
SCRIPT = """
import json
import sys

from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
spark = SparkSession.builder.getOrCreate()
raw = spark.read.option("header", True).csv(args["source"])
raw.write.mode("overwrite").partitionBy("Gender").parquet(args["target"])
again = spark.read.parquet(args["target"].replace("s3://", "s3a://"))
by_gender = {r["Gender"]: r["count"] for r in again.groupBy("Gender").count().collect()}
print("RESULT " + json.dumps({"read": raw.count(), "back": again.count(), "by_gender": by_gender}))
"""


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@contextmanager
def awstwin_s3() -> Iterator[str]:
    """A second awstwin endpoint, serving S3 (and Logs) over HTTP from its own folder."""
    with tempfile.TemporaryDirectory(prefix="awstwin-remote-s3-") as state:
        server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=Path(state))).start()
        try:
            yield server.url
        finally:
            server.stop()


@contextmanager
def localstack_s3() -> Iterator[str]:
    from tests.stack.localstack_support import installed_or_skip

    from awstwin.stack.localstack_host.server import LocalStackServer

    installation = installed_or_skip()
    with tempfile.TemporaryDirectory(prefix="awstwin-remote-localstack-") as state:
        server = LocalStackServer(Path(state) / "localstack", installation=installation, echo=print)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


S3_SERVERS: dict[str, Callable[[], Any]] = {"localstack": localstack_s3, "awstwin-endpoint": awstwin_s3}


@pytest.fixture(scope="module", params=list(S3_SERVERS))
def remote(request: pytest.FixtureRequest) -> Iterator[tuple[str, EndpointServer]]:
    """(S3 server URL, an emulator whose S3 and Logs are that server), as in docker-compose.yml."""
    with (
        S3_SERVERS[request.param]() as s3_url,
        tempfile.TemporaryDirectory(prefix="awstwin-emulator-") as state,
    ):
        settings = EndpointSettings(
            host="127.0.0.1", port=0, state_dir=Path(state), external_s3_url=s3_url, external_logs_url=s3_url
        )
        emulator = EndpointServer(settings).start()
        try:
            yield s3_url, emulator
        finally:
            emulator.stop()


def dataset() -> bytes:
    if REAL_DATASET.exists():
        return REAL_DATASET.read_bytes()
    from awstwin.data import generator

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "students.csv"
        generator.generate(path, crlf=True)
        return path.read_bytes()


def test_a_glue_job_reads_csv_and_writes_partitioned_parquet_in_that_s3(
    remote: tuple[str, EndpointServer],
) -> None:
    s3_url, emulator = remote
    s3, glue = client(s3_url, "s3"), client(emulator.url, "glue")
    data = dataset()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="raw/ingest_date=2024-06-01/students.csv", Body=data)
    s3.put_object(Bucket=BUCKET, Key="scripts/plain.py", Body=textwrap.dedent(SCRIPT).encode())
    glue.create_job(
        Name="plain-spark",
        Role="glue-role",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/plain.py"},
    )
    run_id = glue.start_job_run(
        JobName="plain-spark",
        Arguments={"--source": f"s3://{BUCKET}/raw/", "--target": f"s3://{BUCKET}/curated/"},
    )["JobRunId"]
    deadline = time.monotonic() + 900
    while (run := glue.get_job_run(JobName="plain-spark", RunId=run_id)["JobRun"])["JobRunState"] in GOING:
        assert time.monotonic() < deadline, run
        time.sleep(0.5)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")

    expected = {}
    for row in rows:
        expected[row["Gender"]] = expected.get(row["Gender"], 0) + 1
    logs = client(s3_url, "logs")  # the run's driver output is in that server's CloudWatch Logs
    events = logs.get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"]
    lines = [e["message"] for e in events if e["message"].startswith("RESULT ")]
    assert lines, [e["message"] for e in events][-20:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result == {"read": len(rows), "back": len(rows), "by_gender": expected}

    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="curated/")
    keys = sorted(o["Key"] for o in listing.get("Contents", []))
    assert keys and all(k.endswith(".parquet") for k in keys), keys  # no _temporary, _SUCCESS, staging
    assert {k.split("/")[1] for k in keys} == {f"Gender={g}" for g in expected}
    total = 0
    for key in keys:
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))
        total += table.num_rows
    assert total == len(rows)
