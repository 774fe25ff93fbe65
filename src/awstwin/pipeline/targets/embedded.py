"""The embedded stack started for this run (or `make up`'s, when it runs without Airflow), and the DAG
in a `dag.test()` child process here. Everything the run started stops when it concludes."""

from __future__ import annotations

import time
from contextlib import ExitStack

from awstwin.core.paths import DAGS_DIR
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.orchestration.early import EarlyDagRun
from awstwin.orchestration.environment import airflow_environment
from awstwin.pipeline.run import DAG_ID, PipelineRun
from awstwin.pipeline.targets.in_process import start_airflow, wait_for_airflow
from awstwin.pipeline.targets.on_endpoint import (
    CHECK_WAREHOUSE,
    provision_on_endpoint,
    raise_on_layout_problems,
)
from awstwin.stack.state import stack_for_run


class EmbeddedTarget:
    kind = "embedded"

    def __init__(self) -> None:
        self._exits = ExitStack()  # unwound by conclude: the stack's stop, then Airflow's
        self._airflow: EarlyDagRun | None = None
        self._stopping_at: float | None = None

    def prepare(self, run: PipelineRun) -> None:
        options, profile = run.options, run.profile
        env = airflow_environment(profile, options.home, DAGS_DIR, artifacts_dir=options.report_path.parent)
        self._airflow = start_airflow(run, env)  # Airflow gets ready while the stack starts
        self._exits.callback(self._airflow.cancel)
        self._exits.callback(self._record_stop, run)
        kind = "localstack" if profile.service_endpoints else "embedded"  # stack_for_run picks it
        run.say(f"starting the {kind} stack (profile {profile.name})")
        with run.stage("stack_start"):
            stack, reused = self._exits.enter_context(stack_for_run(profile, options.state_dir, echo=run.say))
        self._exits.callback(self._stopping, run)
        run.report.stack = "reused" if reused else "started"
        run.report.logs.update(endpoint=stack.endpoint_log, warehouse=stack.warehouse_log)
        with run.stage(CHECK_WAREHOUSE):
            raise_on_layout_problems(run)

    def provision(self, run: PipelineRun) -> None:
        provision_on_endpoint(run)

    def run_dag(self, run: PipelineRun) -> DagRunResult:
        assert self._airflow is not None, "prepare starts Airflow"
        process = wait_for_airflow(run, self._airflow)
        run.report.stages["airflow_start"] = round(process.startup_seconds or 0.0, 2)
        run.say(f"running DAG {DAG_ID} (Airflow log: {process.log})")
        return process.run(run.conf)

    def conclude(self, run: PipelineRun) -> None:
        self._exits.close()

    def _stopping(self, run: PipelineRun) -> None:  # just before the stack stops
        self._stopping_at = time.perf_counter()
        if run.report.stack == "started":
            run.say("stopping the stack")

    def _record_stop(self, run: PipelineRun) -> None:  # once the stack has stopped
        if self._stopping_at is not None:
            run.report.stages["stack_stop"] = round(time.perf_counter() - self._stopping_at, 2)
