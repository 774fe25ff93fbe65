"""The compose stack (docker-compose.yml, started by `make up` with a Docker engine): provision
infra/pipeline.yaml on its containers and trigger the DAG through its Airflow's REST API."""

from __future__ import annotations

from awstwin.orchestration.dagrun import DagRunResult
from awstwin.pipeline.run import DAG_ID, PipelineRun, StageError
from awstwin.stack import compose


class ComposeTarget:
    kind = "compose"

    def __init__(self) -> None:
        self._stack: compose.ComposeStack | None = None

    def _compose(self) -> compose.ComposeStack:
        if self._stack is None:
            raise RuntimeError("the compose target's prepare has not run")
        return self._stack

    def prepare(self, run: PipelineRun) -> None:
        self._stack = compose.ComposeStack(profile=run.profile)
        run.report.stack = self.kind
        with run.stage("stack_check"):
            if run.profile.glue_spark_master:
                raise compose.ComposeError(
                    f"GLUE_SPARK_MASTER={run.profile.glue_spark_master} is not for the compose stack: its "
                    "emulator runs Glue jobs on local[*] in its container. Leave it empty in "
                    f"profiles/{run.profile.name}.env, or run on a cluster with PROFILE=local "
                    "(README, Scale-out)"
                )
            if not compose.is_up():
                raise compose.ComposeError(
                    "the compose stack is not running: `make up` starts it (needs a Docker engine); "
                    "without Docker, run with PROFILE=local"
                )

    def provision(self, run: PipelineRun) -> None:
        options = run.options
        run.say(f"provisioning {options.template.name} on the compose stack")
        with run.stage("provision"):
            result = self._compose().provision(
                options.template, options.scripts_dir, **options.template_overrides
            )
        run.say(f"  {len(result.created)} resources created, {len(result.updated)} updated")

    def run_dag(self, run: PipelineRun) -> DagRunResult:
        stack = self._compose()
        run.say(f"running DAG {DAG_ID} in the compose stack's Airflow ({stack.airflow_url})")
        try:
            return stack.trigger_and_wait(DAG_ID, run.conf, echo=run.say)
        except (compose.ComposeError, OSError) as exc:
            raise StageError("dag_run", f"{type(exc).__name__}: {exc}") from exc

    def conclude(self, run: PipelineRun) -> None:
        """Nothing to stop: the compose stack is `make up`'s until `make down`."""
