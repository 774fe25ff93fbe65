"""AWS itself (`PROFILE=aws`): nothing is provisioned (CloudFormation owns the resources:
`make deploy PROFILE=aws`); the profile is made concrete from the caller's account, the stack's
outputs and its secret; the DAG runs here with `dag.test()` as locally, its `aws_default` connection
without endpoint_url (AWS itself, the standard credential chain) and `redshift_default` on the
Redshift Serverless workgroup's endpoint. The same DAG file and the same Glue script: only
connections and variables differ (`aws_run_environment`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg2

from awstwin.core.paths import DAGS_DIR, POSTGRES_INIT_DIR
from awstwin.core.profile import Profile
from awstwin.infra import account
from awstwin.infra.deploy import stale_job_files
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.orchestration.early import EarlyDagRun
from awstwin.orchestration.environment import airflow_environment
from awstwin.pipeline.run import DAG_ID, PipelineRun
from awstwin.pipeline.targets.in_process import start_airflow, wait_for_airflow
from awstwin.warehouse.sqlfiles import apply_to


def aws_run_environment(profile: Profile, home: Path) -> dict[str, str]:
    """Airflow's connections and variables for a run against AWS: `profile` is the concrete one
    (awstwin.infra.account.deployed_profile); the DAG folder is the one every profile uses."""
    if profile.is_local:
        raise ValueError(f"profile {profile.name} names a local endpoint; an AWS run takes the aws profile")
    return airflow_environment(profile, home, DAGS_DIR)


def apply_redshift_ddl(profile: Profile) -> None:
    """postgres_init/ (portable, idempotent) then postgres_init/redshift/ (sort keys) on Redshift."""
    params = {
        "host": profile.warehouse_host,
        "port": profile.warehouse_port,
        "user": profile.warehouse_user,
        "password": profile.warehouse_password,
        "dbname": profile.warehouse_db,
    }
    apply_to([POSTGRES_INIT_DIR, POSTGRES_INIT_DIR / "redshift"], params)


def check_warehouse_reachable(profile: Profile, timeout: int = 10) -> None:
    try:
        psycopg2.connect(
            host=profile.warehouse_host,
            port=profile.warehouse_port,
            dbname=profile.warehouse_db,
            user=profile.warehouse_user,
            password=profile.warehouse_password,
            connect_timeout=timeout,
        ).close()
    except psycopg2.OperationalError as exc:
        raise ConnectionError(
            f"cannot reach the warehouse {profile.warehouse_host}:{profile.warehouse_port} from this machine "
            f"({str(exc).strip()}). The DAG's warehouse checks run here: allow this machine with "
            "`make deploy PROFILE=aws WAREHOUSE_CLIENT_CIDR=auto`"
        ) from exc


class AwsTarget:
    kind = "aws"

    def __init__(self) -> None:
        self._airflow: EarlyDagRun | None = None

    def prepare(self, run: PipelineRun) -> None:
        options = run.options
        run.report.stack = self.kind
        with run.stage("aws_credentials"):
            who = account.caller(options.profile)
        run.say(f"AWS account {who.account_id} ({who.region}) as {who.arn}")
        with run.stage("stack_outputs"):
            profile, _ = account.deployed_profile(options.profile, who)
        run.say(f"stack {profile.stack_name}: bucket {profile.bucket}, warehouse {profile.warehouse_host}")
        with run.stage("job_files_check"):  # the job must run this checkout's script and rules
            stale = stale_job_files(options.profile, who, options.template, options.scripts_dir)
            if stale:
                raise account.AwsAccountError(
                    f"{'; '.join(stale)}: run `make deploy PROFILE=aws` to upload them"
                )
        run.options = dataclasses.replace(options, profile=profile)
        with run.stage("warehouse_connect"):
            check_warehouse_reachable(profile)
        with run.stage("warehouse_schema"):  # what the local stacks apply when they start
            apply_redshift_ddl(profile)
        self._airflow = start_airflow(run, aws_run_environment(profile, options.home), log_tag="aws-")

    def provision(self, run: PipelineRun) -> None:
        """Nothing: CloudFormation owns the resources on AWS (`make deploy PROFILE=aws`)."""

    def run_dag(self, run: PipelineRun) -> DagRunResult:
        assert self._airflow is not None, "prepare starts Airflow"
        process = wait_for_airflow(run, self._airflow)
        run.say(f"running DAG {DAG_ID} against AWS (Airflow log: {process.log})")
        return process.run(run.conf)

    def conclude(self, run: PipelineRun) -> None:
        if self._airflow is not None:
            self._airflow.cancel()
