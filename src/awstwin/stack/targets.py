"""Where `make run` runs the DAG: the embedded stack, the compose stack, or AWS itself.

One rule, from the profile: a profile without an endpoint (aws.env) runs against AWS; the compose
profile runs in the compose stack; any other profile on the embedded stack, or, for the localstack
profile, on the `localstack` stack (LocalStack + the emulator as local processes: the runner's own
path, with the profile's endpoints split by awstwin.stack.state.stack_profile). `make run` without a
PROFILE uses the compose profile while `make up`'s compose stack is running, and the localstack
profile while `make up STACK=localstack` left its stack recorded (`profile_name`).

The embedded path is the runner's own (`dag.test()` in a child process), except while `make up`'s
embedded stack runs with its Airflow server. For the others this module runs the stages that differ
and hands the finished DAG run back to the runner's `_conclude` (counts, verdict, report), so every
target writes the same artifacts/run_report.json:
- embedded with `make up`'s Airflow: provision infra/pipeline.yaml and upload the input on that stack,
  trigger the DAG through the Airflow server's REST API (the run shows in its UI) and wait for it.
- compose: provision infra/pipeline.yaml on the stack's containers, upload the input to its S3,
  trigger the DAG through Airflow's REST API in the stack and wait for it.
- aws: nothing is provisioned (CloudFormation owns the resources: `make deploy PROFILE=aws`); the
  profile is made concrete from the caller's account, the stack's outputs and its secret; the DAG
  runs in-process with `dag.test()` as locally, its `aws_default` connection without endpoint_url
  (AWS itself, the standard credential chain) and `redshift_default` on the Redshift Serverless
  workgroup's endpoint. The same DAG file and the same Glue script: only connections and variables
  differ (`aws_run_environment`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awstwin.pipeline.paths import DAGS_DIR
from awstwin.pipeline.profile import Profile
from awstwin.stack import compose

if TYPE_CHECKING:
    from awstwin.pipeline.dataset import Dataset
    from awstwin.pipeline.report import RunReport
    from awstwin.pipeline.runner import RunOptions
    from awstwin.stack.embedded import StackInfo

EMBEDDED, COMPOSE, AWS, LOCALSTACK = "embedded", "compose", "aws", "localstack"
DEFAULT_PROFILE = "local"
RUN_TIMEOUT = 3600.0  # a DAG run in `make up`'s Airflow
POLL_SECONDS = 1.0


def target_for(profile: Profile) -> str:
    """Which stack a profile's run goes to (the rule in the module's docstring)."""
    if not profile.is_local:
        return AWS
    if profile.name == compose.PROFILE_NAME:
        return COMPOSE
    return EMBEDDED


def profile_name(requested: str | None) -> str:
    """The profile `make run` uses: PROFILE as given, except that the default (local) becomes the
    compose profile while the compose stack `make up` started is running."""
    name = requested or DEFAULT_PROFILE
    if name != DEFAULT_PROFILE:
        return name
    from awstwin.stack.state import read_record

    recorded = read_record()
    if recorded is not None and recorded.kind == LOCALSTACK:  # `make up STACK=localstack` left it
        return recorded.profile
    if compose.docker_available()[0] and compose.is_up():
        return compose.PROFILE_NAME
    return name


def run_elsewhere(options: RunOptions, report: RunReport, echo: Callable[[str], None], data: Dataset) -> bool:
    """Run on the compose stack or on AWS when the profile says so, or in the Airflow server of a
    running `make up` embedded stack; False: the runner's own embedded path's turn."""
    target = target_for(options.profile)
    if target == EMBEDDED:
        stack = up_stack_with_airflow(options, echo)
        if stack is None:
            return False
        run_on_up_airflow(options, report, echo, data, stack)
        return True
    {COMPOSE: run_on_compose, AWS: run_on_aws}[target](options, report, echo, data)
    return True


def _conf(options: RunOptions, data: Dataset) -> dict[str, Any]:
    return {"ingest_date": options.ingest_date, "expected_rows": data.rows}  # as the embedded run's


def _echo_upload(echo: Callable[[str], None], data: Dataset, uri: str, replaced: int) -> None:
    more = f" (replacing {replaced} earlier object(s))" if replaced else ""
    echo(f"uploaded {data.path.name} to {uri}{more}")


# ---------------------------------------------------------------------------------------------------
# the embedded stack `make up` started, with its Airflow server


def up_stack_with_airflow(options: RunOptions, echo: Callable[[str], None]) -> StackInfo | None:
    """The running `make up` stack of this profile and state folder when its Airflow answers."""
    from awstwin.stack import airflow_local
    from awstwin.stack.state import running_stack

    info = running_stack(options.profile, options.state_dir)
    if info is None or info.airflow is None:
        return None
    if not airflow_local.healthy(info.airflow):
        logs = ", ".join(info.airflow.logs.values())
        echo(
            f"the `make up` stack's Airflow at {info.airflow.url} does not answer (logs: {logs}); running "
            "the DAG in-process instead (not shown in its UI). `make up` starts that Airflow again"
        )
        return None
    return info


def _apply_warehouse_ddl(profile: Profile, stack: StackInfo) -> None:
    """postgres_init/ again (idempotent), as every start of the stack applies it."""
    from awstwin.pipeline.paths import POSTGRES_INIT_DIR
    from awstwin.warehouse import Warehouse

    Warehouse(
        stack.warehouse_dir,
        port=stack.backend_port,
        host=stack.warehouse_host,
        user=profile.warehouse_user,
        password=profile.warehouse_password,
        database=profile.warehouse_db,
    ).apply_sql_dir(POSTGRES_INIT_DIR)


def run_on_up_airflow(
    options: RunOptions, report: RunReport, echo: Callable[[str], None], data: Dataset, stack: StackInfo
) -> None:
    from awstwin.infra.parameters import template_parameters
    from awstwin.infra.provision import provision
    from awstwin.pipeline import aws, runner
    from awstwin.pipeline.layout import layout_problems
    from awstwin.pipeline.outcome import DASHBOARD_TASK
    from awstwin.stack.airflow_rest import AirflowRestError, DagRunWatch, glue_causes

    airflow = stack.airflow
    assert airflow is not None
    profile = options.profile
    report.stack = "reused"
    report.logs.update(stack.logs)
    echo(f"  using the stack `make up` started (endpoint {stack.endpoint_url}, Airflow {airflow.url})")
    with runner._stage(report, "check_warehouse"):  # a table kept from an earlier layout fails here
        _apply_warehouse_ddl(profile, stack)  # a table dropped since `make up` is there again
        problems = layout_problems(profile)
        if problems:
            raise runner.StageError("check_warehouse", "; ".join(problems))
    echo(f"provisioning {options.template.name} on {profile.aws_endpoint_url}")
    with runner._stage(report, "provision"):
        params = template_parameters(profile, **options.template_overrides)
        result = provision(
            lambda service: aws.client(profile, service),
            params,
            profile.stack_name,
            options.template,
            options.scripts_dir,
        )
    echo(f"  {len(result.created)} resources created, {len(result.updated)} updated")
    with runner._stage(report, "upload"):
        uri, replaced = runner._upload(options, data)
    _echo_upload(echo, data, uri, replaced)
    echo(f"running DAG {runner.DAG_ID} in the stack's Airflow (UI: {airflow.url}/dags/{runner.DAG_ID})")
    watch = DagRunWatch(airflow.api(), glue_causes(lambda: aws.client(profile, "glue")), echo)
    try:
        dag = watch.run(
            runner.DAG_ID, _conf(options, data), RUN_TIMEOUT, POLL_SECONDS, returned_from=(DASHBOARD_TASK,)
        )
    except (AirflowRestError, OSError, ValueError) as exc:
        raise runner.StageError("dag_run", f"{type(exc).__name__}: {exc}") from exc
    dag.log = Path(airflow.home) / "logs" / f"dag_id={runner.DAG_ID}" / f"run_id={dag.run_id}"
    echo(f"  the run in the UI: {airflow.url}/dags/{runner.DAG_ID}/runs/{dag.run_id}")
    runner._conclude(options, report, dag, data)


# ---------------------------------------------------------------------------------------------------
# compose


def run_on_compose(
    options: RunOptions, report: RunReport, echo: Callable[[str], None], data: Dataset
) -> None:
    from awstwin.pipeline import runner

    stack = compose.ComposeStack(profile=options.profile)
    report.stack = COMPOSE
    with runner._stage(report, "stack_check"):
        if not compose.is_up():
            raise compose.ComposeError(
                "the compose stack is not running: `make up` starts it (needs a Docker engine); "
                "without Docker, run with PROFILE=local"
            )
    echo(f"provisioning {options.template.name} on the compose stack")
    with runner._stage(report, "provision"):
        result = stack.provision(options.template, options.scripts_dir, **options.template_overrides)
    echo(f"  {len(result.created)} resources created, {len(result.updated)} updated")
    with runner._stage(report, "upload"):
        uri, replaced = runner._upload(options, data)
    _echo_upload(echo, data, uri, replaced)
    echo(f"running DAG {runner.DAG_ID} in the compose stack's Airflow ({stack.airflow_url})")
    try:
        dag = stack.trigger_and_wait(runner.DAG_ID, _conf(options, data), echo=echo)
    except (compose.ComposeError, OSError) as exc:
        raise runner.StageError("dag_run", f"{type(exc).__name__}: {exc}") from exc
    runner._conclude(options, report, dag, data)


# ---------------------------------------------------------------------------------------------------
# AWS


def aws_run_environment(profile: Profile, home: Path) -> dict[str, str]:
    """Airflow's connections and variables for a run against AWS: `profile` is the concrete one
    (awstwin.infra.account.deployed_profile); the DAG folder is the one every profile uses."""
    from awstwin.orchestration.environment import airflow_environment

    if profile.is_local:
        raise ValueError(f"profile {profile.name} names a local endpoint; an AWS run takes the aws profile")
    return airflow_environment(profile, home, DAGS_DIR)


def _apply_redshift_ddl(profile: Profile) -> None:
    """postgres_init/ (portable, idempotent) then postgres_init/redshift/ (sort keys) on Redshift."""
    from awstwin.pipeline.paths import POSTGRES_INIT_DIR
    from awstwin.warehouse.sqlfiles import apply_to

    params = {
        "host": profile.warehouse_host,
        "port": profile.warehouse_port,
        "user": profile.warehouse_user,
        "password": profile.warehouse_password,
        "dbname": profile.warehouse_db,
    }
    apply_to([POSTGRES_INIT_DIR, POSTGRES_INIT_DIR / "redshift"], params)


def check_warehouse_reachable(profile: Profile, timeout: int = 10) -> None:
    import psycopg2

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


def run_on_aws(options: RunOptions, report: RunReport, echo: Callable[[str], None], data: Dataset) -> None:
    from awstwin.infra import account
    from awstwin.infra.deploy import stale_job_files
    from awstwin.orchestration.early import EarlyDagRun
    from awstwin.pipeline import runner
    from awstwin.stack.processes import wait_until

    report.stack = AWS
    with runner._stage(report, "aws_credentials"):
        who = account.caller(options.profile)
    echo(f"AWS account {who.account_id} ({who.region}) as {who.arn}")
    with runner._stage(report, "stack_outputs"):
        profile, _ = account.deployed_profile(options.profile, who)
    echo(f"stack {profile.stack_name}: bucket {profile.bucket}, warehouse {profile.warehouse_host}")
    with runner._stage(report, "job_files_check"):  # the job must run this checkout's script and rules
        stale = stale_job_files(options.profile, who, options.template, options.scripts_dir)
        if stale:
            raise account.AwsAccountError(f"{'; '.join(stale)}: run `make deploy PROFILE=aws` to upload them")
    options = dataclasses.replace(options, profile=profile)
    with runner._stage(report, "warehouse_connect"):
        check_warehouse_reachable(profile)
    with runner._stage(report, "warehouse_schema"):  # what the local stacks apply when they start
        _apply_redshift_ddl(profile)

    logs = options.state_dir / "logs"
    airflow = EarlyDagRun(
        runner.DAG_ID,
        DAGS_DIR,
        options.home,
        options.airflow_template,
        aws_run_environment(profile, options.home),
        logs / f"airflow-{runner.DAG_ID}-aws-{options.ingest_date}-{int(time.time())}.log",
        logs / "airflow-migrate.log",
        echo,
    )
    with contextlib.ExitStack() as exits:
        exits.callback(airflow.cancel)
        with runner._stage(report, "upload"):
            uri, replaced = runner._upload(options, data)
        _echo_upload(echo, data, uri, replaced)
        with runner._stage(report, "airflow_wait"):
            process = airflow.wait()
            wait_until(process.ready.wait)
        report.stages["airflow_init"] = round(airflow.prepare_seconds, 2)
        echo(f"running DAG {runner.DAG_ID} against AWS (Airflow log: {process.log})")
        dag = process.run(_conf(options, data))
    runner._conclude(options, report, dag, data)
