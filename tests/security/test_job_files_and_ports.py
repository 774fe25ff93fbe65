"""A Glue Spark job run keeps to itself: every file it writes (zone Parquet, `_SUCCESS`, its run folder)
is private to the user, 0600/0700, as PutObject's files are, whatever the umask of the process that
started the endpoint; and its Spark driver listens on loopback only, never on the machine's address.

One real Spark run (about 15 s). The whole state tree after a real `make run` is checked by
tests/security/test_root_clone.py.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.security.listening import beyond_loopback

from awstwin.endpoint.server import EndpointServer

pytestmark = pytest.mark.spark  # a Glue Spark job run through the API

BUCKET = "private-files"
GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")
LISTENERS_MARK = "LISTENERS "

# Writes a partitioned zone with Spark itself (s3:// paths are the endpoint's files), with `_SUCCESS`
# turned on as a user's --conf may do, and reports what its own process tree (the JVM included)
# listens on, as `ss` sees it while the SparkContext is alive.
SCRIPT = """
import json, os, subprocess, sys
import psutil
from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession

args = getResolvedOptions(sys.argv, ["JOB_NAME", "bucket"])
spark = SparkSession.builder.getOrCreate()
df = spark.read.option("header", True).csv(f"s3://{args['bucket']}/raw/")
df.write.mode("overwrite").partitionBy("grp").parquet(f"s3://{args['bucket']}/curated/")
tree = {os.getpid(), *(child.pid for child in psutil.Process().children(recursive=True))}
lines = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
ours = [line for line in lines if any(f"pid={pid}," in line for pid in tree)]
print("LISTENERS " + json.dumps(ours), flush=True)
"""


def _wait(glue: Any, job: str, run_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in GOING:
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} of {job} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def job_run(endpoint: EndpointServer, aws: Callable[..., Any]) -> Iterator[dict[str, Any]]:
    """One finished run of SCRIPT, started while this (test) process's umask is the usual 022."""
    s3, glue = aws("s3"), aws("glue")
    s3.create_bucket(Bucket=BUCKET)
    rows = "id,grp,score\n" + "".join(f"{i},{'ab'[i % 2]},{i * 3}\n" for i in range(40))
    s3.put_object(Bucket=BUCKET, Key="raw/part.csv", Body=rows.encode())
    s3.put_object(Bucket=BUCKET, Key="scripts/private.py", Body=SCRIPT.encode())
    glue.create_job(
        Name="private-files",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/private.py"},
        DefaultArguments={
            "--bucket": BUCKET,
            "--conf": "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs=true",
        },
    )
    previous = os.umask(0o022)
    try:
        run_id = glue.start_job_run(JobName="private-files")["JobRunId"]
    finally:
        os.umask(previous)
    run = _wait(glue, "private-files", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    yield run
    glue.delete_job(JobName="private-files")


def _open_to_others(root: Path) -> list[str]:
    return [
        f"{oct(stat.S_IMODE(path.lstat().st_mode))} {path}"
        for path in [root, *root.rglob("*")]
        if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) & 0o077
    ]


def test_spark_output_and_the_run_folder_are_private(
    endpoint: EndpointServer, job_run: dict[str, Any]
) -> None:
    state = endpoint.endpoint.context.state_dir
    curated = state / "s3" / BUCKET / "curated"
    written = sorted(p.relative_to(curated).as_posix() for p in curated.rglob("*") if p.is_file())
    assert "_SUCCESS" in written and any(name.endswith(".parquet") for name in written), written
    run_folder = state / "glue" / "job-runs" / job_run["Id"]
    assert (run_folder / "logs").is_dir()
    assert _open_to_others(curated) == []  # written by the job's own processes: Python and Spark's JVM
    assert stat.S_IMODE(run_folder.stat().st_mode) == 0o700  # the endpoint's copy of script and logs
    uploaded = state / "s3" / BUCKET / "raw" / "part.csv"
    assert stat.S_IMODE(uploaded.stat().st_mode) == 0o600  # PutObject's, the mode Spark's files now match


def test_spark_listens_on_loopback_only(endpoint: EndpointServer, job_run: dict[str, Any]) -> None:
    output = (endpoint.endpoint.context.state_dir / "glue" / "job-runs" / job_run["Id"] / "logs").rglob("*")
    text = "\n".join(p.read_text(errors="replace") for p in output if p.is_file())
    reported = [line for line in text.splitlines() if line.startswith(LISTENERS_MARK)]
    assert reported, f"the script's report of its listeners is not in its output:\n{text[-3000:]}"
    listeners = json.loads(reported[-1][len(LISTENERS_MARK) :])
    assert listeners, "Spark's driver listens on at least one port (its RPC endpoint): none seen"
    assert beyond_loopback(listeners) == [], listeners
