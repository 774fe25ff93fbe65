"""The same end-to-end scenario on every stack (tests/containers/scenario.py): the embedded stack, the
compose file's services run as local processes (its wiring, with no engine), and LocalStack + Postgres +
the emulator image in containers via testcontainers, which is skipped with the engine's own answer when
no Docker engine is there (`pytest -rs` shows it). One DAG run per stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from tests.containers import stacks
from tests.containers.scenario import (
    INGEST_DATE,
    RESTORE,
    RUN,
    TASKS,
    Outcome,
    StackUnderTest,
    check_outcome,
    run_scenario,
)

STACKS: dict[str, Callable[[], AbstractContextManager[StackUnderTest]]] = {
    "embedded": stacks.embedded,
    "compose-processes": stacks.compose_processes,
    "localstack": stacks.localstack,
    "containers": stacks.containers,
}


RAISING_SCRIPT = """
import sys

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "ingest_date"])
raise ValueError(f"boom: this script refuses ingest_date {args['ingest_date']}")
"""
BAD_DATE = "2024-06-04"


# The containers need a Docker engine: that stack is marked `docker` (the others run as local processes).
STACK_PARAMS = [
    pytest.param(name, marks=pytest.mark.docker) if name == "containers" else name for name in STACKS
]


@pytest.fixture(scope="module", params=STACK_PARAMS)
def stack_and_work(request: pytest.FixtureRequest) -> Iterator[tuple[StackUnderTest, Path]]:
    with STACKS[request.param]() as stack, stacks.state_folder(f"awstwin-scenario-{stack.name}-") as work:
        yield stack, work


@pytest.fixture(scope="module")
def ran(stack_and_work: tuple[StackUnderTest, Path]) -> tuple[StackUnderTest, Outcome]:
    stack, work = stack_and_work
    return stack, run_scenario(stack, work)


@pytest.fixture(scope="module")
def failed(stack_and_work: tuple[StackUnderTest, Path], ran: object) -> tuple[StackUnderTest, Outcome]:
    """A second run on the same stack whose Glue script raises."""
    stack, work = stack_and_work
    scripts = work / "raising-scripts"
    scripts.mkdir()
    (scripts / "raising_etl.py").write_text(RAISING_SCRIPT)
    outcome = run_scenario(
        stack, work, BAD_DATE, scripts_dir=scripts, overrides={"GlueScriptKey": "scripts/raising_etl.py"}
    )
    return stack, outcome


def test_the_pipeline_runs_and_the_warehouse_holds_the_rows(ran: tuple[StackUnderTest, Outcome]) -> None:
    stack, outcome = ran
    check_outcome(stack, outcome)


def test_every_task_reports_its_duration(ran: tuple[StackUnderTest, Outcome]) -> None:
    _, outcome = ran
    assert outcome.dag.run_id
    for task in outcome.dag.tasks:
        assert task.operator, task
        if task.task_id == RESTORE:  # skipped: nothing failed
            assert task.state == "skipped", task
            continue
        assert task.duration is not None and task.duration > 0, task


def test_the_glue_job_ran_where_the_stack_runs_it(ran: tuple[StackUnderTest, Outcome]) -> None:
    """The job run the DAG started is SUCCEEDED in that stack's Glue, and its driver output is in that
    stack's CloudWatch Logs (LocalStack's part in compose: the emulator only writes there)."""
    stack, _ = ran
    job = stack.profile.glue_job
    runs = stack.client("glue").get_job_runs(JobName=job)["JobRuns"]
    assert runs and runs[0]["JobRunState"] == "SUCCEEDED", runs[:1]
    streams = stack.client("logs").describe_log_streams(logGroupName="/aws-glue/jobs/output")["logStreams"]
    assert runs[0]["Id"] in {s["logStreamName"] for s in streams}


def test_in_the_compose_wiring_s3_objects_live_in_localstacks_part(
    ran: tuple[StackUnderTest, Outcome],
) -> None:
    """The emulator is only a client of S3 there: the raw file is in the S3 server's files, and the
    emulator keeps no S3 objects of its own."""
    stack, outcome = ran
    if stack.name == "localstack":  # LocalStack keeps objects in its own process: ask it, not a folder
        key = stack.profile.raw_key(INGEST_DATE, RUN)
        s3 = stack.client("s3")
        assert s3.meta.endpoint_url == stack.aws_urls["*"] != stack.url("glue")
        body = s3.get_object(Bucket=stack.profile.bucket, Key=key)["Body"].read()
        assert body == outcome.data.path.read_bytes()
        assert not (stack.notes["state"] / "emulator" / "s3").exists()
        return
    if stack.name != "compose-processes":
        pytest.skip("only the compose wiring on local processes has its services' folders here")
    state: Path = stack.notes["state"]
    key = stack.profile.raw_key(INGEST_DATE, RUN)
    assert (state / "s3" / "s3" / stack.profile.bucket / key).read_bytes() == outcome.data.path.read_bytes()
    assert not (state / "emulator" / "s3").exists()


def test_a_raising_glue_script_fails_the_run_with_its_own_error(
    failed: tuple[StackUnderTest, Outcome],
) -> None:
    stack, outcome = failed
    states = {t.task_id: t.state for t in outcome.dag.tasks}
    assert states["start_glue_job"] == "success"
    assert states["wait_for_glue_job"] == "failed"
    after = {task: state for task, state in states.items() if task not in (*TASKS, RESTORE)}
    assert after and set(after.values()) == {"upstream_failed"}, after
    assert states[RESTORE] == "success"  # it runs after any failure; nothing was published to undo
    assert not outcome.dag.ok
    task, message = outcome.dag.first_error()
    assert task == "wait_for_glue_job"
    assert f"Glue job {stack.profile.glue_job} run jr_" in message and "FAILED" in message
    assert f"ValueError: boom: this script refuses ingest_date {BAD_DATE}" in message
    assert outcome.rows_loaded == 0


def test_airflow_refuses_a_wrong_password_and_says_what_to_set(ran: tuple[StackUnderTest, Outcome]) -> None:
    stack, _ = ran
    if stack.name == "localstack":  # Airflow as a server, as `make up STACK=localstack` starts it
        from awstwin.stack.airflow_rest import AirflowRestError

        with pytest.raises(AirflowRestError, match="refused user 'admin'.*password"):
            stack.notes["airflow"].api(password="not-the-password").token()
        return
    if stack.name != "compose-processes":
        pytest.skip("only the compose stack serves Airflow's REST API")
    from awstwin.stack.compose import AirflowApi, ComposeError

    api = AirflowApi(stack.notes["compose"].airflow_url, "admin", "not-the-password")
    with pytest.raises(ComposeError, match="AIRFLOW_ADMIN_PASSWORD"):
        api.token()
