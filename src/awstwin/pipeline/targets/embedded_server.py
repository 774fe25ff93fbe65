"""`make up`'s embedded stack with its Airflow server: the DAG is triggered through the server's REST
API, so the run shows in its UI. Nothing is started or stopped here: the stack is `make up`'s."""

from __future__ import annotations

from pathlib import Path

from awstwin.core import aws
from awstwin.core.paths import POSTGRES_INIT_DIR
from awstwin.core.profile import Profile
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.pipeline.outcome import DASHBOARD_TASK
from awstwin.pipeline.run import DAG_ID, PipelineRun, StageError
from awstwin.pipeline.targets.on_endpoint import (
    CHECK_WAREHOUSE,
    provision_on_endpoint,
    raise_on_layout_problems,
)
from awstwin.stack import airflow_local
from awstwin.stack.airflow_rest import AirflowRestError, DagRunWatch, glue_causes
from awstwin.stack.embedded import StackInfo
from awstwin.stack.state import running_stack
from awstwin.warehouse import Warehouse

RUN_TIMEOUT = 3600.0  # a DAG run in `make up`'s Airflow
POLL_SECONDS = 1.0


def up_stack_with_airflow(run: PipelineRun) -> StackInfo | None:
    """The running `make up` stack of this profile and state folder when its Airflow answers."""
    info = running_stack(run.profile, run.options.state_dir)
    if info is None or info.airflow is None:
        return None
    if not airflow_local.healthy(info.airflow):
        logs = ", ".join(info.airflow.logs.values())
        run.say(
            f"the `make up` stack's Airflow at {info.airflow.url} does not answer (logs: {logs}); running "
            "the DAG in-process instead (not shown in its UI). `make up` starts that Airflow again"
        )
        return None
    return info


def apply_warehouse_ddl(profile: Profile, stack: StackInfo) -> None:
    """postgres_init/ again (idempotent), as every start of the stack applies it."""
    Warehouse(
        stack.warehouse_dir,
        port=stack.backend_port,
        host=stack.warehouse_host,
        user=profile.warehouse_user,
        password=profile.warehouse_password,
        database=profile.warehouse_db,
    ).apply_sql_dir(POSTGRES_INIT_DIR)


class EmbeddedServerTarget:
    kind = "embedded"

    def __init__(self, stack: StackInfo):
        if stack.airflow is None:
            raise ValueError("EmbeddedServerTarget needs a `make up` stack with its Airflow server")
        self.stack = stack
        self.airflow = stack.airflow

    def prepare(self, run: PipelineRun) -> None:
        run.report.stack = "reused"
        run.report.logs.update(self.stack.logs)
        endpoint, url = self.stack.endpoint_url, self.airflow.url
        run.say(f"  using the stack `make up` started (endpoint {endpoint}, Airflow {url})")
        with run.stage(CHECK_WAREHOUSE):
            apply_warehouse_ddl(run.profile, self.stack)  # a table dropped since `make up` is there again
            raise_on_layout_problems(run)

    def provision(self, run: PipelineRun) -> None:
        provision_on_endpoint(run)

    def run_dag(self, run: PipelineRun) -> DagRunResult:
        url, profile = self.airflow.url, run.profile
        run.say(f"running DAG {DAG_ID} in the stack's Airflow (UI: {url}/dags/{DAG_ID})")
        watch = DagRunWatch(self.airflow.api(), glue_causes(lambda: aws.client(profile, "glue")), run.say)
        try:
            dag = watch.run(DAG_ID, run.conf, RUN_TIMEOUT, POLL_SECONDS, returned_from=(DASHBOARD_TASK,))
        except (AirflowRestError, OSError, ValueError) as exc:
            raise StageError("dag_run", f"{type(exc).__name__}: {exc}") from exc
        dag.log = Path(self.airflow.home) / "logs" / f"dag_id={DAG_ID}" / f"run_id={dag.run_id}"
        run.say(f"  the run in the UI: {url}/dags/{DAG_ID}/runs/{dag.run_id}")
        return dag

    def conclude(self, run: PipelineRun) -> None:
        """Nothing to stop: the stack and its Airflow are `make up`'s until `make down`."""
