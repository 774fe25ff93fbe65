"""Glue job runs on a warm Spark driver: the JVM is shared, everything else is the run's own.

Glue keeps warm pools of drivers so that a job run does not pay a JVM's start; its documentation
promises every run its own job arguments and its own isolated environment:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html and
https://docs.aws.amazon.com/glue/latest/dg/add-job.html ("each job run ... in an isolated environment").
Each test runs a first job that leaves things behind in the JVM, then a second that must not see them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.endpoint.glue.jobruns import wait_run

from awstwin.core import processes
from awstwin.core.ports import free_port
from awstwin.endpoint.glue.jobs import classdata, sparkconf

pytestmark = pytest.mark.spark

BUCKET = "warm-jobs"

# Reports what the run sees (as one JSON line on stdout), then leaves as much behind as it can.
PROBE = """
import json, os, sys
from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "marker", "mode"])
sc = SparkContext.getOrCreate()
spark = GlueContext(sc).spark_session
import helper  # --extra-py-files: a module of the same name, another version per run

version_in_worker = F.udf(lambda _: __import__("helper").VERSION)
seen = {
    "jvm": sc._jvm.java.lang.ProcessHandle.current().pid(),
    "jvm_options": [
        str(o) for o in sc._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
        if str(o).startswith("-XX:")
    ],
    "class_archives": sorted(
        {line.split()[-1] for line in open(f"/proc/{sc._jvm.java.lang.ProcessHandle.current().pid()}/maps")
         if "/spark-classes-" in line}
    ),
    "marker": args["marker"],
    "helper": helper.VERSION,
    "helper_in_udf": spark.range(1).select(version_in_worker("id")).first()[0],
    "views": sorted(t.name for t in spark.catalog.listTables()),
    "global_views": sorted(t.name for t in spark.catalog.listTables("global_temp")),
    "partitions": spark.conf.get("spark.sql.shuffle.partitions"),
    "hadoop": sc._jsc.hadoopConfiguration().get("awstwin.test.leftover"),
    "persisted": len(sc._jsc.getPersistentRDDs()),
    "modules": sorted(m for m in sys.modules if m.startswith("left_by_")),
}
print("SEEN " + json.dumps(seen), flush=True)
print(f"stderr of {args['marker']}", file=sys.stderr, flush=True)

spark.range(5).createOrReplaceTempView("leftover_view")
spark.range(5).createOrReplaceGlobalTempView("leftover_global")
spark.range(100).cache().count()
sc.parallelize(range(10)).persist().count()
spark.conf.set("spark.sql.shuffle.partitions", "7")
sc._jsc.hadoopConfiguration().set("awstwin.test.leftover", args["marker"])
sys.modules["left_by_" + args["marker"]] = sys
mode = args["mode"]
if mode == "sys_exit":
    sys.exit(3)
if mode == "os_exit":
    os._exit(4)
if mode == "raise":
    raise RuntimeError("the run broke on purpose")
if mode == "jvm_exit":
    sc._jvm.java.lang.System.exit(1)
if mode == "spark_stop":
    spark.stop()
if mode == "hang":
    import time
    spark.range(1).foreach(lambda _: time.sleep(600))
"""


def stream(aws: Callable[[str], Any], group: str, run_id: str) -> list[str]:
    """The run's lines in `group`; none yet while its stream (or the group) is not made: the runner
    makes them with its first lines, and GetLogEvents says ResourceNotFoundException before, as on AWS."""
    logs = aws("logs")
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=run_id)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def seen(aws: Callable[[str], Any], run_id: str) -> dict[str, Any]:
    lines = [line for line in stream(aws, "/aws-glue/jobs/output", run_id) if line.startswith("SEEN ")]
    assert len(lines) == 1, lines
    return json.loads(lines[0][len("SEEN ") :])


class Jobs:
    """Creates probe jobs and runs them; each run gets its own helper module version."""

    def __init__(self, aws: Callable[[str], Any]):
        self.aws = aws
        self.glue = aws("glue")
        self.s3 = aws("s3")
        self.s3.put_object(Bucket=BUCKET, Key="scripts/probe.py", Body=textwrap.dedent(PROBE).encode())
        self.created: set[str] = set()

    def job(self, name: str, conf: str | None = None) -> str:
        if name not in self.created:
            arguments = {"--mode": "plain"}
            if conf:
                arguments["--conf"] = conf
            self.glue.create_job(
                Name=name,
                Role="glue-role",
                GlueVersion="5.0",
                Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/probe.py"},
                DefaultArguments=arguments,
            )
            self.created.add(name)
        return name

    def run(
        self, name: str, marker: str, mode: str = "plain", conf: str | None = None, wait: bool = True
    ) -> Any:
        self.job(name, conf)
        key = f"libs/{marker}/helper.py"
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=f"VERSION = {marker!r}\n".encode())
        run_id = self.glue.start_job_run(
            JobName=name,
            Arguments={"--marker": marker, "--mode": mode, "--extra-py-files": f"s3://{BUCKET}/{key}"},
        )["JobRunId"]
        if not wait:
            return run_id
        return run_id, wait_run(self.glue, name, run_id)


@pytest.fixture(scope="module")
def jobs(aws: Callable[[str], Any]) -> Jobs:
    aws("s3").create_bucket(Bucket=BUCKET)
    return Jobs(aws)


def succeeded(run: dict) -> None:
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")


def test_a_second_run_shares_the_jvm_and_nothing_else(jobs: Jobs, aws: Callable[[str], Any]) -> None:
    first_id, first = jobs.run("warm-probe", "first")
    second_id, second = jobs.run("warm-probe", "second")
    succeeded(first)
    succeeded(second)
    before, after = seen(aws, first_id), seen(aws, second_id)
    assert after["jvm"] == before["jvm"], "the second run attaches to the first run's warm JVM"
    # the driver's JVM has the options of $AWSTWIN_SPARK_JAVA_OPTIONS (tests/conftest.py sets them)
    assert set(os.environ[sparkconf.JAVA_OPTIONS_ENV].split()) <= set(before["jvm_options"])
    # ... and maps the Spark class archive (tests/conftest.py has it built: classdata.py)
    assert before["class_archives"] == [str(classdata.archive())]
    assert after == {
        "jvm": before["jvm"],
        "jvm_options": before["jvm_options"],
        "class_archives": before["class_archives"],
        "marker": "second",  # its own job arguments
        "helper": "second",  # its own --extra-py-files in the driver
        "helper_in_udf": "second",  # ... and in its Python UDF workers
        "views": [],  # no temporary view of the first run
        "global_views": [],  # no global temporary view either
        "partitions": "4",  # the local Glue default again, not the 7 the first run set
        "hadoop": None,  # the Hadoop configuration as the driver started
        "persisted": 0,  # cached tables and persisted RDDs dropped
        "modules": [],  # a process of its own: sys.modules is the run's
    }
    # the run's own scratch folders (in its spark-defaults.conf) are not settings it asked for
    errors = stream(aws, "/aws-glue/jobs/error", second_id)
    assert not any("keeps its JVM settings" in line for line in errors), errors
    # stdout and stderr go to the run's own log streams
    assert not any(
        "first" in line for line in stream(aws, "/aws-glue/jobs/output", second_id) if "SEEN" not in line
    )
    assert "stderr of second" in stream(aws, "/aws-glue/jobs/error", second_id)
    assert "stderr of first" not in stream(aws, "/aws-glue/jobs/error", second_id)
    assert any("warm Spark driver" in line for line in stream(aws, "/aws-glue/jobs/error", second_id))


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("sys_exit", "exit code 3"),
        ("os_exit", "exit code 4"),
        ("raise", "RuntimeError: the run broke on purpose"),
    ],
)
def test_a_crashing_run_never_takes_the_next(
    jobs: Jobs, aws: Callable[[str], Any], mode: str, message: str
) -> None:
    crashed_id, crashed = jobs.run("warm-probe", f"crash-{mode}", mode=mode)
    assert crashed["JobRunState"] == "FAILED"
    assert message in crashed["ErrorMessage"]
    next_id, following = jobs.run("warm-probe", f"after-{mode}")
    succeeded(following)
    after = seen(aws, next_id)
    assert after["jvm"] == seen(aws, crashed_id)["jvm"], "the driver survives a script's crash"
    assert after["views"] == [] and after["partitions"] == "4" and after["hadoop"] is None


def test_a_jvm_that_dies_is_replaced(jobs: Jobs, aws: Callable[[str], Any]) -> None:
    died_id, died = jobs.run("warm-probe", "jvm-exit", mode="jvm_exit")
    assert died["JobRunState"] == "FAILED"
    next_id, following = jobs.run("warm-probe", "after-jvm-exit")
    succeeded(following)
    gone = seen(aws, died_id)["jvm"]
    assert seen(aws, next_id)["jvm"] != gone
    assert not processes.alive(gone)


def test_spark_stop_in_a_script_keeps_the_driver_warm(jobs: Jobs, aws: Callable[[str], Any]) -> None:
    stopped_id, stopped = jobs.run("warm-probe", "stops", mode="spark_stop")
    succeeded(stopped)
    next_id, following = jobs.run("warm-probe", "after-stop")
    succeeded(following)
    assert seen(aws, next_id)["jvm"] == seen(aws, stopped_id)["jvm"]


def test_a_stopped_run_ends_its_driver_and_the_next_gets_a_new_one(
    jobs: Jobs, aws: Callable[[str], Any]
) -> None:
    run_id = jobs.run("warm-probe", "hangs", mode="hang", wait=False)
    glue = aws("glue")
    deadline = time.time() + 600
    try:
        while not any(line.startswith("SEEN ") for line in stream(aws, "/aws-glue/jobs/output", run_id)):
            assert time.time() < deadline, "the hanging run never started"
            time.sleep(0.5)
    except BaseException:
        glue.batch_stop_job_run(JobName="warm-probe", JobRunIds=[run_id])  # never left to the next test
        raise
    glue.batch_stop_job_run(JobName="warm-probe", JobRunIds=[run_id])
    assert wait_run(glue, "warm-probe", run_id)["JobRunState"] == "STOPPED"
    hung = seen(aws, run_id)["jvm"]
    next_id, following = jobs.run("warm-probe", "after-hang")
    succeeded(following)
    assert seen(aws, next_id)["jvm"] != hung, "its Spark job may still run: that JVM is not reused"
    assert not processes.alive(hung)


def test_session_settings_per_job_and_jvm_settings_per_driver(jobs: Jobs, aws: Callable[[str], Any]) -> None:
    base_id, base = jobs.run("warm-probe", "base")
    tuned_id, tuned = jobs.run("warm-sql-conf", "tuned", conf="spark.sql.shuffle.partitions=11")
    other_id, other = jobs.run("warm-jvm-conf", "other-jvm", conf="spark.driver.memory=1100m")
    for run in (base, tuned, other):
        succeeded(run)
    jvm = seen(aws, base_id)["jvm"]
    assert seen(aws, tuned_id)["jvm"] == jvm and seen(aws, tuned_id)["partitions"] == "11"
    assert seen(aws, other_id)["jvm"] != jvm, "a setting only a new JVM can take gets a driver of its own"
    assert seen(aws, other_id)["partitions"] == "4"


# -- the driver's life with the endpoint ------------------------------------------------------------
@pytest.fixture
def endpoint_process(tmp_path: Path) -> Iterator[tuple[str, processes.Started]]:
    port = free_port()
    env = {**os.environ, "AWSTWIN_GLUE_PREWARM": "1"}
    argv = [
        sys.executable,
        "-m",
        "awstwin.endpoint",
        "--port",
        str(port),
        "--state-dir",
        str(tmp_path / "state"),
    ]
    started = processes.start_group("endpoint", argv, tmp_path / "endpoint.log", env=env)
    try:
        processes.wait_http(f"http://127.0.0.1:{port}/_awstwin/health", started, 120)
        yield f"http://127.0.0.1:{port}", started
    finally:
        processes.stop_group(started)


def _jvm_children(endpoint_pid: int) -> list[int]:
    """Warm drivers: Java processes whose parent is the endpoint."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == endpoint_pid and b"java" in command and b"pyspark-shell" in command:
            found.append(int(entry.name))
    return found


def test_prewarmed_driver_serves_the_first_run_and_dies_with_the_endpoint(
    endpoint_process: tuple[str, processes.Started],
) -> None:
    url, started = endpoint_process

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )

    client("s3").create_bucket(Bucket=BUCKET)
    jobs = Jobs(client)
    jobs.job("prewarmed")  # CreateJob with AWSTWIN_GLUE_PREWARM=1 starts a driver right away
    deadline = time.time() + 300
    while not _jvm_children(started.pid):
        assert time.time() < deadline, "no warm driver was started at CreateJob"
        time.sleep(0.5)
    [driver] = _jvm_children(started.pid)
    run_id, run = jobs.run("prewarmed", "first")
    succeeded(run)
    assert seen(client, run_id)["jvm"] == driver, "the first run used the prewarmed driver"

    os.kill(started.pid, signal.SIGKILL)  # no cleanup at all: the driver's stdin pipe closes
    deadline = time.time() + 60
    while processes.alive(driver):
        assert time.time() < deadline, f"warm driver {driver} outlived its endpoint"
        time.sleep(0.2)
