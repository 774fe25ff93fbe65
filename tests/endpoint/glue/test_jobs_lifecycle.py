"""Job runs with boto3: every state a run can end in, with small Python shell scripts that really run."""

from __future__ import annotations

import json
import os
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import clients_for

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")

ARGS_SCRIPT = """
import json, sys
import boto3
from awsglue.utils import getResolvedOptions
from shared_helpers import SHARED  # from --extra-py-files

args = getResolvedOptions(sys.argv, ["JOB_NAME", "JOB_RUN_ID", "job-bookmark-option", "a", "b"])
# boto3 reaches the endpoint through AWS_ENDPOINT_URL, as the runner sets it
role = boto3.client("glue").get_job(JobName=args["JOB_NAME"])["Job"]["Role"]
print(json.dumps({**args, "role": role, "shared": SHARED}))
print("a line for the error log", file=sys.stderr)
"""
FAILING_SCRIPT = """
print("before the failure")
def load(n):
    raise ValueError(f"boom {n}")
load(42)
"""
SLEEPING_SCRIPT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(f"pids {os.getpid()} {child.pid}", flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_run(
    glue: Any, job: str, run_id: str, until: Callable[[dict], bool] | None = None, timeout: float = 60
) -> dict:
    until = until or (lambda run: run["JobRunState"] not in GOING)
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if until(run):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} of {job} is still {run['JobRunState']} after {timeout}s")


def log_lines(logs: Any, group: str, stream: str) -> list[str]:
    return [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]]


def output_pids(logs: Any, run_id: str, timeout: float = 20) -> list[int]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            lines = [
                line for line in log_lines(logs, "/aws-glue/jobs/output", run_id) if line.startswith("pids ")
            ]
        except logs.exceptions.ResourceNotFoundException:  # the run's stream is not there yet
            lines = []
        if lines:
            return [int(p) for p in lines[0].split()[1:]]
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} printed no pids")


@pytest.fixture(scope="module")
def glue(aws: Callable[[str], Any]) -> Any:
    return aws("glue")


@pytest.fixture(scope="module")
def logs(aws: Callable[[str], Any]) -> Any:
    return aws("logs")


@pytest.fixture(scope="module")
def scripts(aws: Callable[[str], Any]) -> Callable[[str, str], str]:
    s3 = aws("s3")
    s3.create_bucket(Bucket="job-scripts")

    def upload(name: str, body: str) -> str:
        s3.put_object(Bucket="job-scripts", Key=f"lifecycle/{name}", Body=textwrap.dedent(body).encode())
        return f"s3://job-scripts/lifecycle/{name}"

    return upload


def shell_job(glue: Any, name: str, script: str, **extra: Any) -> str:
    glue.create_job(
        Name=name, Role=f"role-of-{name}", Command={"Name": "pythonshell", "ScriptLocation": script}, **extra
    )
    return name


def test_success_merges_arguments_and_logs_both_streams(
    glue: Any, logs: Any, scripts: Callable[[str, str], str]
) -> None:
    helper = scripts("shared_helpers.py", "SHARED = 'from an extra py file'\n")
    job = shell_job(
        glue,
        "life-args",
        scripts("args.py", ARGS_SCRIPT),
        DefaultArguments={"--a": "default-a", "--b": "default-b", "--extra-py-files": helper},
    )
    run_id = glue.start_job_run(JobName=job, Arguments={"--b": "run-b"})["JobRunId"]
    assert run_id.startswith("jr_") and len(run_id) == 67
    run = wait_run(glue, job, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["Arguments"] == {"--b": "run-b"} and run["Attempt"] == 0
    assert run["StartedOn"] <= run["CompletedOn"] and run["ExecutionTime"] >= 0
    assert run["LogGroupName"] == "/aws-glue/jobs" and "ErrorMessage" not in run
    printed = json.loads(log_lines(logs, "/aws-glue/jobs/output", run_id)[0])
    assert printed == {
        "JOB_NAME": job,
        "JOB_RUN_ID": run_id,
        "job-bookmark-option": "job-bookmark-disable",
        "a": "default-a",
        "b": "run-b",
        "role": "role-of-life-args",
        "shared": "from an extra py file",
    }
    assert "a line for the error log" in log_lines(logs, "/aws-glue/jobs/error", run_id)


def test_failure_reports_the_scripts_own_error(
    glue: Any, logs: Any, scripts: Callable[[str, str], str]
) -> None:
    job = shell_job(glue, "life-fail", scripts("fail.py", FAILING_SCRIPT))
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    run = wait_run(glue, job, run_id)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: boom 42"
    assert log_lines(logs, "/aws-glue/jobs/output", run_id) == ["before the failure"]
    assert any("Traceback" in line for line in log_lines(logs, "/aws-glue/jobs/error", run_id))


def test_a_missing_script_fails_the_run_naming_it(glue: Any) -> None:
    job = shell_job(glue, "life-noscript", "s3://job-scripts/lifecycle/not-there.py")
    run = wait_run(glue, job, glue.start_job_run(JobName=job)["JobRunId"])
    assert run["JobRunState"] == "FAILED" and "s3://job-scripts/lifecycle/not-there.py" in run["ErrorMessage"]


def test_a_local_script_path_runs_too(glue: Any, logs: Any, tmp_path: Path) -> None:
    script = tmp_path / "local.py"
    script.write_text("print('ran from a local path')\n")
    job = shell_job(glue, "life-local", str(script))
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    assert wait_run(glue, job, run_id)["JobRunState"] == "SUCCEEDED"
    assert log_lines(logs, "/aws-glue/jobs/output", run_id) == ["ran from a local path"]


@pytest.fixture()
def fast_minutes(endpoint: EndpointServer) -> Iterator[None]:
    """A Timeout minute of half a second, so TIMEOUT is reached quickly."""
    backend = endpoint.endpoint.glue.jobs
    backend.seconds_per_timeout_minute = 0.5
    yield
    backend.seconds_per_timeout_minute = 60.0


def test_timeout_kills_the_whole_process_group(
    fast_minutes: None, glue: Any, logs: Any, scripts: Callable[[str, str], str]
) -> None:
    job = shell_job(glue, "life-timeout", scripts("sleep-timeout.py", SLEEPING_SCRIPT), Timeout=2)
    run_id = glue.start_job_run(JobName=job, Timeout=4)["JobRunId"]  # the run's Timeout wins
    pids = output_pids(logs, run_id)
    run = wait_run(glue, job, run_id)
    assert run["JobRunState"] == "TIMEOUT" and run["Timeout"] == 4
    assert "Timeout (4 minutes)" in run["ErrorMessage"]
    assert not any(alive(pid) for pid in pids)


def test_stop_ends_the_run_and_its_processes(
    glue: Any, logs: Any, scripts: Callable[[str, str], str]
) -> None:
    job = shell_job(glue, "life-stop", scripts("sleep-stop.py", SLEEPING_SCRIPT))
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    pids = output_pids(logs, run_id)
    assert glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    stopped = glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": job, "JobRunId": run_id}]
    run = wait_run(glue, job, run_id)
    assert run["JobRunState"] == "STOPPED"
    assert not any(alive(pid) for pid in pids)
    again = glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])
    assert again["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"


def test_concurrency_limit_and_queued_runs(glue: Any, logs: Any, scripts: Callable[[str, str], str]) -> None:
    job = shell_job(glue, "life-limit", scripts("sleep-limit.py", SLEEPING_SCRIPT))
    first = glue.start_job_run(JobName=job)["JobRunId"]
    with pytest.raises(ClientError) as refused:
        glue.start_job_run(JobName=job)
    assert refused.value.response["Error"]["Code"] == "ConcurrentRunsExceededException"
    assert "MaxConcurrentRuns" in refused.value.response["Error"]["Message"]
    queued = glue.start_job_run(JobName=job, JobRunQueuingEnabled=True)["JobRunId"]
    assert glue.get_job_run(JobName=job, RunId=queued)["JobRun"]["JobRunState"] == "WAITING"
    glue.batch_stop_job_run(JobName=job, JobRunIds=[first])
    assert wait_run(glue, job, first)["JobRunState"] == "STOPPED"
    wait_run(glue, job, queued, until=lambda r: r["JobRunState"] == "RUNNING")
    glue.batch_stop_job_run(JobName=job, JobRunIds=[queued])
    assert wait_run(glue, job, queued)["JobRunState"] == "STOPPED"


def test_retries_and_run_history_newest_first(glue: Any, scripts: Callable[[str, str], str]) -> None:
    job = shell_job(glue, "life-retry", scripts("fail-retry.py", FAILING_SCRIPT), MaxRetries=1)
    first = glue.start_job_run(JobName=job)["JobRunId"]
    deadline = time.time() + 60
    while time.time() < deadline:
        runs = glue.get_job_runs(JobName=job)["JobRuns"]
        if len(runs) == 2 and all(r["JobRunState"] not in GOING for r in runs):
            break
        time.sleep(0.2)
    newest, oldest = runs
    assert oldest["Id"] == first and oldest["Attempt"] == 0 and oldest["JobRunState"] == "FAILED"
    assert newest["Attempt"] == 1 and newest["PreviousRunId"] == first and newest["JobRunState"] == "FAILED"
    page = glue.get_job_runs(JobName=job, MaxResults=1)
    assert [r["Id"] for r in page["JobRuns"]] == [newest["Id"]]
    assert [r["Id"] for r in glue.get_job_runs(JobName=job, NextToken=page["NextToken"])["JobRuns"]] == [
        first
    ]


def _server(state: Path) -> EndpointServer:
    return EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=state)).start()


def _client(server: EndpointServer, service: str) -> Any:
    return clients_for(server.url)(service)


def _start_sleeper(server: EndpointServer, tmp_path: Path, name: str) -> tuple[str, list[int]]:
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(SLEEPING_SCRIPT))
    glue = _client(server, "glue")
    shell_job(glue, name, str(script))
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    return run_id, output_pids(_client(server, "logs"), run_id)


def test_runs_survive_restarts_and_a_dead_endpoints_runs_come_back_failed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = _server(state)
    try:
        done_job = shell_job(_client(first, "glue"), "persist-done", str(tmp_path / "ok.py"))
        (tmp_path / "ok.py").write_text("print('ok')\n")
        done = _client(first, "glue").start_job_run(JobName=done_job)["JobRunId"]
        wait_run(_client(first, "glue"), done_job, done)
        running, pids = _start_sleeper(first, tmp_path, "persist-running")
        # A second endpoint on the same state folder is what a restart after a crash looks like.
        second = _server(state)
        try:
            glue = _client(second, "glue")
            assert glue.get_job_run(JobName=done_job, RunId=done)["JobRun"]["JobRunState"] == "SUCCEEDED"
            crashed = glue.get_job_run(JobName="persist-running", RunId=running)["JobRun"]
            assert crashed["JobRunState"] == "FAILED"
            assert "endpoint stopped while this run was RUNNING" in crashed["ErrorMessage"]
            deadline = time.time() + 10
            while any(alive(p) for p in pids) and time.time() < deadline:
                time.sleep(0.1)
            assert not any(alive(p) for p in pids)
        finally:
            second.stop()
    finally:
        first.stop()


def test_closing_the_endpoint_ends_its_runs(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = _server(state)
    try:
        running, pids = _start_sleeper(server, tmp_path, "close-running")
    finally:
        server.stop()
    assert not any(alive(p) for p in pids)
    again = _server(state)
    try:
        run = _client(again, "glue").get_job_run(JobName="close-running", RunId=running)["JobRun"]
        assert run["JobRunState"] == "FAILED" and "shut down" in run["ErrorMessage"]
    finally:
        again.stop()
