"""The stages of one `make run`, in order: `STAGES` is the one list the runner walks.

Every stage is a function of the run (awstwin.pipeline.run.PipelineRun). Where the stacks differ
(prepare, provision, run_dag) the stage asks the run's target (awstwin.pipeline.targets); the rest is
the same on every stack. A stage marked `timed` has its seconds recorded in run_report.json `stages`
under its name, and an error in it fails the run naming it; a target times its own steps (stack_start,
check_warehouse, provision, airflow_wait, ...). After the last stage, or after a failure, the runner
calls the target's `conclude` (which stops what its `prepare` started).

Adding a stage is one entry in STAGES (and its function here, or in a module of its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from awstwin.data.preflight import PreflightRefused
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.pipeline import dataset, targets
from awstwin.pipeline.outcome import publish_report, read_outcome
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.run import PipelineRun, StageError, Target
from awstwin.pipeline.upload import upload_input


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[PipelineRun], None]
    timed: bool = False  # the runner times it under `name` and names it when it fails


def _target(run: PipelineRun) -> Target:
    if run.target is None:
        raise RuntimeError("no target chosen: the `target` stage has not run")
    return run.target


PREFLIGHT = "preflight"  # the stage that refuses unusable input: `make run` exits 2 when it fails


def prepare_data(run: PipelineRun) -> None:
    """The input: the user's CSV (DATA=) after the preflight (awstwin.data.preflight), timed as
    `preflight`, or the generated dataset (ROWS=, SEED=), timed as `prepare_data`. A file that cannot
    load is refused here, before anything starts; what the pipeline will drop or change is a warning."""
    options = run.options
    if options.data is not None:
        with run.stage(PREFLIGHT):
            try:
                data = dataset.from_file(options.data, options.encoding, options.state_dir / "upload")
            except PreflightRefused as exc:
                raise StageError(PREFLIGHT, str(exc)) from exc
    else:
        with run.stage("prepare_data"):
            data = dataset.synthetic(options.state_dir / "data", options.rows, options.seed)
    run.data = data
    run.report.dataset = data.summary()
    run.report.rows_raw = data.rows
    run.report.warnings = list(data.warnings)
    run.say(
        f"input: {data.source} ({data.rows} rows, sha256 {data.sha256[:12]}...), "
        f"ingest_date {options.ingest_date}, run {options.run}"
    )
    for warning in data.warnings:
        run.say(f"warning: {warning}")


def choose_target(run: PipelineRun) -> None:
    run.target = targets.choose(run)


def prepare(run: PipelineRun) -> None:
    _target(run).prepare(run)


def provision(run: PipelineRun) -> None:
    _target(run).provision(run)


def upload(run: PipelineRun) -> None:
    data = run.input
    uri = upload_input(run.profile, run.options.ingest_date, run.options.run, data)
    run.say(f"uploaded {data.path.name} to {uri}")


def record_dag(report: RunReport, result: DagRunResult) -> None:
    """The DAG run's seconds, run id, every task's state and seconds, and its log, in the report."""
    report.stages["dag_run"] = round(result.seconds, 2)
    report.run_id = result.run_id
    for task in result.tasks:
        if task.duration is not None and task.state not in ("upstream_failed", "skipped", "removed"):
            report.stages[f"task:{task.task_id}"] = round(task.duration, 2)
        report.tasks.append(
            {
                "task_id": task.task_id,
                "operator": task.operator,
                "state": task.state,
                "duration": task.duration,
            }
        )
    if result.log is not None:
        report.logs["airflow"] = str(result.log)


def run_dag(run: PipelineRun) -> None:
    dag = _target(run).run_dag(run)
    run.dag = dag
    record_dag(run.report, dag)
    if not dag.ok:  # the DAG's own failure is the cause: record it before anything else can fail
        task, message = dag.first_error() or ("<dag>", "the DAG run did not succeed")
        run.report.fail(task, message)


def read_counts(run: PipelineRun) -> None:
    """What the run left in the warehouse, read from the warehouse itself (never the DAG's claims)."""
    if run.dag is not None:
        read_outcome(run.profile, run.report, run.dag)


def reconcile(run: PipelineRun) -> None:
    """The verdict: success only when the DAG succeeded and raw = loaded + quarantined."""
    report, dag, rows = run.report, run.dag, run.input.rows
    if dag is None or not dag.ok:
        return
    accounted = (report.rows_loaded or 0) + (report.rows_quarantined or 0)
    if accounted != rows:
        report.fail(
            "reconciliation",
            f"raw {rows} rows != loaded {report.rows_loaded} + quarantined {report.rows_quarantined}",
        )
    else:
        report.status = "success"


def publish_run_report(run: PipelineRun) -> None:
    """The report's copies in s3://<bucket>/reports/<date>/ (awstwin.pipeline.outcome.publish_report)."""
    publish_report(run.profile, run.report)


STAGES: tuple[Stage, ...] = (
    Stage("prepare_data", prepare_data),  # times itself: `preflight` for DATA=, else `prepare_data`
    Stage("target", choose_target),  # which stack: embedded, `make up`'s Airflow, compose or AWS
    Stage("prepare", prepare),  # the target's: start or check the stack, its warehouse, Airflow
    Stage("provision", provision),  # the target's: infra/pipeline.yaml's resources
    Stage("upload", upload, timed=True),
    Stage("dag_run", run_dag),  # the target's DAG run, recorded in the report whatever its outcome
    Stage("read_counts", read_counts, timed=True),
    Stage("reconciliation", reconcile),
    Stage("publish_report", publish_run_report, timed=True),
)


def run_stages(run: PipelineRun, stages: tuple[Stage, ...] = STAGES) -> None:
    """Walk the stages in order; whatever happens, let the target conclude (stop what it started)."""
    try:
        for stage in stages:
            if stage.timed:
                with run.stage(stage.name):
                    stage.run(run)
            else:
                stage.run(run)
    finally:
        if run.target is not None:
            run.target.conclude(run)
