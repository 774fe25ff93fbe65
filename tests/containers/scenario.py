"""The end-to-end scenario every stack must pass, as the embedded e2e test runs it: a generated dataset
goes S3 -> crawler -> Athena check -> Glue Spark job -> warehouse, through the stock DAG, and the
warehouse, the catalog and S3 hold what a user would look for. Only how the stack is reached differs:
one endpoint for every AWS service (embedded), or S3 and Logs apart from Glue and Athena (compose).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psycopg2

from awstwin.core.paths import DAGS_DIR, SPARK_JOBS_DIR, STATE_DIR, TEMPLATE
from awstwin.core.profile import Profile
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import provision as provision_template
from awstwin.orchestration.dagrun import DagRunResult, run_dag
from awstwin.orchestration.environment import AWS_CONN_ID, airflow_environment
from awstwin.orchestration.home import prepare_home
from awstwin.pipeline import dataset
from awstwin.pipeline.counts import warehouse_counts

DAG_ID = "student_performance_etl"
# The DAG's first tasks, up to the Glue job; every task after them (zones, gates, publishing, dashboard)
# must succeed too, but for RESTORE, which runs only when something before the warehouse's commit failed.
TASKS = ["remove_stale_runs", "crawl_raw", "check_raw_rows", "start_glue_job", "wait_for_glue_job"]
RESTORE = "restore_zones"
ROWS = 180
SEED = 11
INGEST_DATE = "2024-06-03"
RUN = "20240603t000000_0001"  # the run's folder in every zone (the DAG's `run` param)
# boto3 service names whose endpoints botocore reads from AWS_ENDPOINT_URL_<SERVICE ID> variables.
SERVICE_ENDPOINT_VARIABLES = {"glue": "AWS_ENDPOINT_URL_GLUE", "athena": "AWS_ENDPOINT_URL_ATHENA"}


@dataclass
class StackUnderTest:
    """A running stack as this machine reaches it."""

    name: str
    profile: Profile  # resource names; the warehouse's host and port as seen from here
    aws_urls: dict[str, str]  # boto3 service -> endpoint URL; "*" for every other service
    job_warehouse_jdbc_url: str  # the warehouse as a Glue job (inside the stack) reaches it
    # How the DAG runs (default: a local `dag.test()` process) and how the template is provisioned
    # (default: the provisioner with this stack's clients); the compose stack brings its own.
    run_dag: Callable[[StackUnderTest, Mapping[str, Any], Path], DagRunResult] | None = None
    provision: Callable[[StackUnderTest, Path, Mapping[str, str]], Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.aws_urls.get(service, self.aws_urls["*"])

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url(service),
            region_name=self.profile.aws_region,
            # The profile's keys: the compose stack's emulator checks signatures against its generated ones.
            aws_access_key_id=self.profile.aws_access_key_id or "test",
            aws_secret_access_key=self.profile.aws_secret_access_key or "test",
        )

    def airflow_env(self, home: Path) -> dict[str, str]:
        """The profile's Airflow environment; with split endpoints, the AWS connection carries none and
        botocore's standard variables route each service (as docker-compose.yml does)."""
        env = airflow_environment(self.profile, home, DAGS_DIR)
        if len(set(self.aws_urls.values())) > 1:
            key = f"AIRFLOW_CONN_{AWS_CONN_ID.upper()}"
            connection = json.loads(env[key])
            connection["extra"].pop("endpoint_url", None)
            env[key] = json.dumps(connection)
            env["AWS_ENDPOINT_URL"] = self.url("*")
            for service, variable in SERVICE_ENDPOINT_VARIABLES.items():
                env[variable] = self.url(service)
        return env


def dag_test_run(stack: StackUnderTest, conf: Mapping[str, Any], workdir: Path) -> DagRunResult:
    """The DAG in a local `dag.test()` process (what `make run` does on the embedded stack)."""
    home = workdir / "airflow"
    env = stack.airflow_env(home)
    prepare_home(home, STATE_DIR / "airflow-template", env)
    return run_dag(
        DAG_ID, DAGS_DIR, conf, env, workdir / "airflow-run.log", timeout=1200, echo=lambda _: None
    )


def provision_with_clients(stack: StackUnderTest, scripts_dir: Path, overrides: Mapping[str, str]) -> Any:
    params = template_parameters(stack.profile, WarehouseJdbcUrl=stack.job_warehouse_jdbc_url, **overrides)
    return provision_template(stack.client, params, stack.profile.stack_name, TEMPLATE, scripts_dir)


@dataclass
class Outcome:
    data: dataset.Dataset
    dag: DagRunResult
    rows_loaded: int
    rows_quarantined: int


def run_scenario(
    stack: StackUnderTest,
    workdir: Path,
    ingest_date: str = INGEST_DATE,
    scripts_dir: Path = SPARK_JOBS_DIR,
    overrides: Mapping[str, str] | None = None,
) -> Outcome:
    """Provision infra/pipeline.yaml, upload a generated dataset, run the DAG, count the warehouse."""
    profile = stack.profile
    data = dataset.synthetic(workdir / "data", ROWS, SEED)
    (stack.provision or provision_with_clients)(stack, scripts_dir, dict(overrides or {}))
    key = profile.raw_key(ingest_date, RUN)
    stack.client("s3").upload_file(str(data.path), profile.bucket, key)
    conf = {"ingest_date": ingest_date, "expected_rows": data.rows, "run": RUN}
    runner = stack.run_dag or dag_test_run
    result = runner(stack, conf, workdir / f"run-{ingest_date}")
    loaded, quarantined = warehouse_counts(profile, ingest_date)
    return Outcome(data=data, dag=result, rows_loaded=loaded, rows_quarantined=quarantined)


def check_outcome(stack: StackUnderTest, outcome: Outcome) -> None:
    """What a user would check after the run, on any stack."""
    profile = stack.profile
    states = {t.task_id: t.state for t in outcome.dag.tasks}
    assert outcome.dag.ok, outcome.dag.first_error()
    assert set(TASKS) < set(states), states
    assert states.pop(RESTORE) == "skipped" and set(states.values()) == {"success"}, states
    assert outcome.rows_loaded + outcome.rows_quarantined == ROWS

    with (
        contextlib.closing(
            psycopg2.connect(
                host=profile.warehouse_host,
                port=profile.warehouse_port,
                dbname=profile.warehouse_db,
                user=profile.warehouse_user,
                password=profile.warehouse_password,
            )
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"SELECT COUNT(*), MIN(exam_score), MAX(attendance) FROM {profile.warehouse_table} "
            "WHERE ingest_date = %s",
            (INGEST_DATE,),
        )
        count, min_score, max_attendance = cursor.fetchone()
    assert count == outcome.rows_loaded > 0
    assert isinstance(min_score, int) and 0 <= min_score <= 100
    assert isinstance(max_attendance, int) and max_attendance <= 100

    glue = stack.client("glue")
    table = glue.get_table(DatabaseName=profile.glue_database, Name=profile.raw_table)["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["ingest_date"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["exam_score"] == "bigint" and columns["gender"] == "string"

    key = profile.raw_key(INGEST_DATE, RUN)
    body = stack.client("s3").get_object(Bucket=profile.bucket, Key=key)["Body"].read()
    assert body == outcome.data.path.read_bytes()
