"""`make emulator` (python -m awstwin.endpoint --port P --state-dir D) keeps everything across a restart.

The endpoint runs as its own process, as `make emulator` starts it. It is stopped with SIGTERM (what
Ctrl-C, `docker stop` and the stack send) and started again on the same state folder; the catalog
from a crawl, the crawler, a job with its finished run, an Athena query with its results, and the
S3 objects are all still there. A SIGKILLed endpoint takes its job runs with it (PR_SET_PDEATHSIG),
and the next start reports such a run FAILED.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.conformance.conftest import crawl_done, query_done, run_done

from awstwin.core.ports import free_port


class Emulator:
    """One `python -m awstwin.endpoint` process on a state folder."""

    def __init__(self, state: Path, log: Path):
        self.state, self.log, self.port = state, log, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "AWSTWIN_"))}
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "awstwin.endpoint",
                    "--port",
                    str(self.port),
                    "--state-dir",
                    str(state),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.started_in = self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.url}/_awstwin/health", timeout=1) as answer:
                    if json.load(answer)["persistent"]:
                        return time.monotonic() - start
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the endpoint did not answer in {timeout}s: {self.log.read_text()[-3000:]}")

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)

    def kill_leftovers(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[list[Emulator]]:
    started: list[Emulator] = []
    yield started
    for emulator in started:
        emulator.kill_leftovers()


def start(emulators: list[Emulator], state: Path) -> Emulator:
    emulator = Emulator(state, state.parent / "emulator.log")
    emulators.append(emulator)
    return emulator


def test_sigterm_and_restart_keep_catalog_jobs_runs_queries_and_objects(tmp_path, emulators):
    state = tmp_path / "state"
    first = start(emulators, state)
    s3, glue, athena = first.client("s3"), first.client("glue"), first.client("athena")
    s3.create_bucket(Bucket="kept")
    for day in ("2024-01-01", "2024-01-02"):
        s3.put_object(
            Bucket="kept", Key=f"raw/events/dt={day}/a.csv", Body=f"id,day\n1,{day}\n2,{day}\n".encode()
        )
    s3.put_object(Bucket="kept", Key="scripts/job.py", Body=b"print('the job ran')\n")
    glue.create_crawler(
        Name="raw", Role="r", DatabaseName="lake", Targets={"S3Targets": [{"Path": "s3://kept/raw/events/"}]}
    )
    glue.start_crawler(Name="raw")
    assert crawl_done(glue, "raw")["LastCrawl"]["Status"] == "SUCCEEDED"
    glue.create_job(
        Name="job", Role="r", Command={"Name": "pythonshell", "ScriptLocation": "s3://kept/scripts/job.py"}
    )
    run_id = glue.start_job_run(JobName="job", Arguments={"--day": "2024-01-02"})["JobRunId"]
    finished = run_done(glue, "job", run_id)
    assert finished["JobRunState"] == "SUCCEEDED", finished.get("ErrorMessage")
    query_id = athena.start_query_execution(
        QueryString="SELECT dt, count(*) AS n FROM events GROUP BY dt ORDER BY dt",
        QueryExecutionContext={"Database": "lake"},
        ResultConfiguration={"OutputLocation": "s3://kept/results/"},
    )["QueryExecutionId"]
    assert query_done(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    rows_before = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    table_before = glue.get_table(DatabaseName="lake", Name="events")["Table"]

    assert first.stop(signal.SIGTERM) == 0
    second = start(emulators, state)
    s3, glue, athena = second.client("s3"), second.client("glue"), second.client("athena")

    assert s3.get_object(Bucket="kept", Key="raw/events/dt=2024-01-02/a.csv")["Body"].read() == (
        b"id,day\n1,2024-01-02\n2,2024-01-02\n"
    )
    assert glue.get_table(DatabaseName="lake", Name="events")["Table"] == table_before
    partitions = glue.get_partitions(DatabaseName="lake", TableName="events", Expression="dt='2024-01-02'")
    assert [p["Values"] for p in partitions["Partitions"]] == [["2024-01-02"]]
    crawler = glue.get_crawler(Name="raw")["Crawler"]
    assert crawler["State"] == "READY" and crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue.get_job(JobName="job")["Job"]["Command"]["ScriptLocation"] == "s3://kept/scripts/job.py"
    kept_run = glue.get_job_run(JobName="job", RunId=run_id)["JobRun"]
    for field in ("JobRunState", "StartedOn", "CompletedOn", "ExecutionTime", "Arguments"):
        assert kept_run[field] == finished[field], field
    assert (
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
        == "SUCCEEDED"
    )
    assert athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"] == rows_before
    assert query_id in athena.list_query_executions()["QueryExecutionIds"]
    # and it still works: a new query over the kept table
    again = athena.start_query_execution(
        QueryString="SELECT count(*) FROM events",
        QueryExecutionContext={"Database": "lake"},
        ResultConfiguration={"OutputLocation": "s3://kept/results/"},
    )["QueryExecutionId"]
    assert query_done(athena, again)["Status"]["State"] == "SUCCEEDED"
    assert (
        athena.get_query_results(QueryExecutionId=again)["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"]
        == "4"
    )


SLEEPER = """
import os, time
print(f"pid {os.getpid()}", flush=True)
time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_sigkilled_emulator_takes_its_job_runs_with_it(tmp_path, emulators):
    state = tmp_path / "state"
    first = start(emulators, state)
    script = tmp_path / "sleeper.py"
    script.write_text(textwrap.dedent(SLEEPER))
    glue, logs = first.client("glue"), first.client("logs")
    glue.create_job(Name="sleeper", Role="r", Command={"Name": "pythonshell", "ScriptLocation": str(script)})
    run_id = glue.start_job_run(JobName="sleeper")["JobRunId"]

    def printed_pid() -> int | None:
        try:
            events = logs.get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return None
        return int(events[0]["message"].split()[1]) if events else None

    deadline = time.monotonic() + 60
    while (pid := printed_pid()) is None:
        assert time.monotonic() < deadline, "the job never printed its pid"
        time.sleep(0.2)
    assert alive(pid)
    first.stop(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the job run outlived its SIGKILLed endpoint")

    second = start(emulators, state)
    run = second.client("glue").get_job_run(JobName="sleeper", RunId=run_id)["JobRun"]
    assert run["JobRunState"] == "FAILED"
    assert "endpoint stopped while this run was RUNNING" in run["ErrorMessage"]
