"""Job runs per GlueVersion, Python shell without Spark, and continuous logging: real runs.

- versions, Spark and Python: https://docs.aws.amazon.com/glue/latest/dg/release-notes.html and
  https://docs.aws.amazon.com/glue/latest/dg/migrating-version-60.html (Spark 4.1, Python 3.13)
- end of life (no runs on 0.9, 1.0, 2.0): https://docs.aws.amazon.com/glue/latest/dg/glue-version-support-policy.html
- AWS's answer to a version it cannot run: InvalidInputException "Given GlueVersion [4.0] is not
  valid." (StartJobRun, seen in https://github.com/aws-samples/cql-replicator/issues/160)
- Spark 4.0 turned ANSI mode on (Spark's SQL migration guide, "Upgrading from Spark SQL 3.5 to 4.0")
- continuous logging: https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html
  (Glue 4.0 and earlier; 5.0 logs in real time: monitor-continuous-logging.html)
"""

from __future__ import annotations

import sys
import textwrap
import time
import uuid
from typing import Any

import pytest

from awstwin.endpoint.glue.jobs import interpreters, versions
from awstwin.endpoint.glue.jobs.logs import ContinuousLogging

GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")
BUCKET = "version-jobs"


@pytest.fixture(scope="module")
def glue(aws):
    aws("s3").create_bucket(Bucket=BUCKET)
    return aws("glue")


@pytest.fixture(scope="module")
def logs(aws):
    return aws("logs")


def job(glue: Any, aws: Any, script: str, command: str = "pythonshell", **fields: Any) -> str:
    name = f"v-{uuid.uuid4().hex[:8]}"
    key = f"{name}.py"
    aws("s3").put_object(Bucket=BUCKET, Key=key, Body=textwrap.dedent(script).encode())
    command_doc = {"Name": command, "ScriptLocation": f"s3://{BUCKET}/{key}"}
    if "PythonVersion" in fields:
        command_doc["PythonVersion"] = fields.pop("PythonVersion")
    glue.create_job(Name=name, Role="r", Command=command_doc, **fields)
    return name


def run(glue: Any, name: str, **kwargs: Any) -> dict:
    run_id = glue.start_job_run(JobName=name, **kwargs)["JobRunId"]
    deadline = time.monotonic() + 300
    while (found := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] in GOING:
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    return found


def lines(logs: Any, group: str, stream: str) -> list[str]:
    return [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]]


@pytest.mark.parametrize(
    ("version", "command"),
    [("9.9", "glueetl"), ("2.0", "glueetl"), ("0.9", "glueetl"), ("5.0", "pythonshell")],
)
def test_a_version_aws_cannot_run_is_refused_by_start_job_run(glue, aws, version, command):
    name = job(glue, aws, "print('never')", command=command, GlueVersion=version)
    with pytest.raises(glue.exceptions.InvalidInputException) as raised:
        glue.start_job_run(JobName=name)
    assert raised.value.response["Error"]["Message"] == f"Given GlueVersion [{version}] is not valid."
    assert glue.get_job_runs(JobName=name)["JobRuns"] == []


def test_python_shell_jobs_cannot_import_pyspark_but_have_awsglue_utils(glue, aws, logs):
    script = """
    import sys
    from awsglue.utils import getResolvedOptions
    print(getResolvedOptions(sys.argv, ["JOB_NAME"])["JOB_NAME"])
    import pyspark
    """
    name = job(glue, aws, script, GlueVersion="3.0", PythonVersion="3.9")
    found = run(glue, name)
    assert found["JobRunState"] == "FAILED"
    assert "ModuleNotFoundError: No module named 'pyspark'" in found["ErrorMessage"]
    assert lines(logs, "/aws-glue/jobs/output", found["Id"]) == [name]


def test_python_shell_runs_on_its_python_or_says_which_it_runs_on(glue, aws, logs):
    name = job(glue, aws, "import sys; print(sys.version_info[:2])", GlueVersion="3.0", PythonVersion="3.9")
    found = run(glue, name)
    assert found["JobRunState"] == "SUCCEEDED", found.get("ErrorMessage")
    printed = lines(logs, "/aws-glue/jobs/output", found["Id"])
    notes = [line for line in lines(logs, "/aws-glue/jobs/error", found["Id"]) if "GlueRunner" in line]
    if printed == ["(3, 9)"]:
        assert notes == []
    else:  # no Python 3.9 with boto3 here: the endpoint's own, and the run's log says so
        assert printed == [str(sys.version_info[:2])]
        assert "AWS runs this job on Python 3.9" in notes[0] and "AWSTWIN_PYTHON_3_9" in notes[0]


def test_interpreter_choice(monkeypatch):
    monkeypatch.setattr(interpreters, "candidates", lambda version: ["/opt/py/bin/python"])
    monkeypatch.setattr(interpreters, "probe", lambda path, modules: "3.13")
    assert interpreters.choose("3.13", "spark") == interpreters.Interpreter("/opt/py/bin/python", "3.13")
    monkeypatch.setattr(interpreters, "probe", lambda path, modules: None)  # no pyspark there
    chosen = interpreters.choose("3.13", "spark")
    assert chosen.path == sys.executable and "pyspark" in (chosen.note or "")


def test_versions_table():
    assert versions.for_run(None, "glueetl") is versions.DEFAULT
    assert versions.python_for(versions.VERSIONS["6.0"], "glueetl", None) == "3.13"
    assert versions.python_for(versions.VERSIONS["4.0"], "glueetl", None) == "3.10"
    assert versions.python_for(versions.VERSIONS["3.0"], "pythonshell", "3.9") == "3.9"
    assert versions.VERSIONS["6.0"].ansi and not versions.VERSIONS["5.1"].ansi


CAST_SCRIPT = """
from pyspark.sql import SparkSession
from awsglue.context import GlueContext
glue_context = GlueContext(SparkSession.builder.getOrCreate().sparkContext)
print(glue_context.spark_session.sql("SELECT CAST('abc' AS INT) AS v").collect()[0]["v"])
"""


@pytest.mark.spark
@pytest.mark.parametrize(("version", "state"), [("5.1", "SUCCEEDED"), ("6.0", "FAILED")])
def test_a_bad_cast_is_null_on_spark_3_and_an_error_on_glue_6(glue, aws, logs, version, state):
    name = job(glue, aws, CAST_SCRIPT, command="glueetl", GlueVersion=version)
    found = run(glue, name)
    assert found["JobRunState"] == state, found.get("ErrorMessage")
    if state == "SUCCEEDED":
        assert lines(logs, "/aws-glue/jobs/output", found["Id"]) == ["None"]
    else:
        assert "CAST_INVALID_INPUT" in found["ErrorMessage"]


NOISY = """
import sys
print("the driver speaks")
print("24/01/01 10:00:00 INFO BlockManagerInfo: Added broadcast_0_piece0 in memory", file=sys.stderr)
print("24/01/01 10:00:01 WARN GlueLogger: something worth seeing", file=sys.stderr)
"""


def test_continuous_logging_writes_logs_v2_only_when_asked(glue, aws, logs):
    quiet = job(glue, aws, NOISY, GlueVersion="3.0")
    found = run(glue, quiet)
    assert found["JobRunState"] == "SUCCEEDED"
    assert logs.describe_log_streams(logGroupName="/aws-glue/jobs/error", logStreamNamePrefix=found["Id"])[
        "logStreams"
    ]
    groups = [
        g["logGroupName"]
        for g in logs.describe_log_groups(logGroupNamePrefix="/aws-glue/jobs/logs-v2")["logGroups"]
    ]
    if groups:
        streams = logs.describe_log_streams(
            logGroupName="/aws-glue/jobs/logs-v2", logStreamNamePrefix=found["Id"]
        )
        assert streams["logStreams"] == []

    loud = job(
        glue,
        aws,
        NOISY,
        GlueVersion="4.0",
        command="glueetl",
        DefaultArguments={"--enable-continuous-cloudwatch-log": "true"},
    )
    found = run(glue, loud)
    assert found["JobRunState"] == "SUCCEEDED", found.get("ErrorMessage")
    driver = lines(logs, "/aws-glue/jobs/logs-v2", found["Id"])
    assert "the driver speaks" in driver and any("something worth seeing" in line for line in driver)
    assert not any("BlockManagerInfo" in line for line in driver)  # the standard filter
    assert any("BlockManagerInfo" in line for line in lines(logs, "/aws-glue/jobs/error", found["Id"]))
    assert lines(logs, "/aws-glue/jobs/output", found["Id"]) == ["the driver speaks"]


def test_continuous_logging_group_prefix_and_no_filter(glue, aws, logs):
    group = f"/custom/glue-{uuid.uuid4().hex[:6]}"
    name = job(
        glue,
        aws,
        NOISY,
        GlueVersion="3.0",
        DefaultArguments={
            "--enable-continuous-cloudwatch-log": "true",
            "--continuous-log-logGroup": group,
            "--continuous-log-logStreamPrefix": "etl/",
            "--enable-continuous-log-filter": "false",
        },
    )
    found = run(glue, name)
    assert found["JobRunState"] == "SUCCEEDED", found.get("ErrorMessage")
    driver = lines(logs, group, f"etl/{found['Id']}")
    assert any("BlockManagerInfo" in line for line in driver) and "the driver speaks" in driver


def test_glue_5_has_no_logs_v2_even_when_asked(glue, aws, logs):
    name = job(
        glue,
        aws,
        "print('five')",
        command="glueetl",
        GlueVersion="5.0",
        DefaultArguments={"--enable-continuous-cloudwatch-log": "true"},
    )
    found = run(glue, name)
    assert found["JobRunState"] == "SUCCEEDED", found.get("ErrorMessage")
    assert lines(logs, "/aws-glue/jobs/output", found["Id"]) == ["five"]
    assert (
        ContinuousLogging.of_run({"--enable-continuous-cloudwatch-log": "true"}, found["Id"], False) is None
    )
    try:
        streams = logs.describe_log_streams(
            logGroupName="/aws-glue/jobs/logs-v2", logStreamNamePrefix=found["Id"]
        )
    except logs.exceptions.ResourceNotFoundException:
        return
    assert streams["logStreams"] == []
