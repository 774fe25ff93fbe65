"""`make run`: the whole pipeline, end to end, on the embedded stack (or on a running `make up` stack).

Environment: DATA (a CSV path; else a generated dataset of ROWS rows, default 6607, with SEED),
INGEST_DATE (default today, UTC), PROFILE (default local).

Stages: start the stack (or reuse `make up`'s) while Airflow's metadata DB is prepared, provision
infra/pipeline.yaml, upload the CSV to s3://<bucket>/raw/student_performance/ingest_date=<date>/,
run the DAG, read the counts from the warehouse, write artifacts/run_report.json, stop what was
started. The exit code is the truth: 0 only when every task succeeded and raw = loaded + quarantined.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import provision
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.orchestration.early import EarlyDagRun
from awstwin.orchestration.environment import airflow_environment
from awstwin.pipeline import aws, dataset
from awstwin.pipeline.layout import layout_problems
from awstwin.pipeline.outcome import publish_report, read_outcome
from awstwin.pipeline.paths import DAGS_DIR, REPORT_PATH, SPARK_JOBS_DIR, STATE_DIR, TEMPLATE
from awstwin.pipeline.profile import Profile, load_profile
from awstwin.pipeline.report import RunReport
from awstwin.stack.processes import wait_until
from awstwin.stack.state import stack_for_run, stack_profile
from awstwin.stack.targets import profile_name, run_elsewhere

DAG_ID = "student_performance_etl"
DEFAULT_ROWS = 6607
DEFAULT_SEED = 42


class StageError(RuntimeError):
    """A setup stage failed; `stage` names it for the report."""

    def __init__(self, stage: str, message: str):
        super().__init__(message)
        self.stage = stage


@dataclass
class RunOptions:
    profile: Profile
    ingest_date: str
    data: Path | None = None
    rows: int = DEFAULT_ROWS
    seed: int = DEFAULT_SEED
    state_dir: Path = STATE_DIR
    airflow_home: Path | None = None  # default: <state_dir>/airflow
    airflow_template: Path = STATE_DIR / "airflow-template"  # migrated once, copied into new homes
    report_path: Path = REPORT_PATH
    template: Path = TEMPLATE
    scripts_dir: Path = SPARK_JOBS_DIR
    template_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.airflow_home or self.state_dir / "airflow"


class Progress:
    """Progress lines with the seconds since the run started."""

    def __init__(self, out: Callable[[str], None] | None = None):
        self.started = time.perf_counter()
        self.out = out or (lambda line: print(line, flush=True))

    def __call__(self, message: str) -> None:
        self.out(f"[{time.perf_counter() - self.started:6.1f}s] {message}")


def options_from_env(environ: dict[str, str] | None = None) -> RunOptions:
    env = dict(os.environ if environ is None else environ)
    today = datetime.now(UTC).date().isoformat()
    ingest = env.get("INGEST_DATE") or today
    try:
        ingest = date.fromisoformat(ingest).isoformat()
    except ValueError:
        raise ValueError(f"INGEST_DATE={ingest!r} is not a date: use YYYY-MM-DD") from None
    data = env.get("DATA") or None
    return RunOptions(
        profile=load_profile(profile_name(env.get("PROFILE"))),
        ingest_date=ingest,
        data=Path(data) if data else None,
        rows=int(env.get("ROWS") or DEFAULT_ROWS),
        seed=int(env.get("SEED") or DEFAULT_SEED),
    )


def _upload(options: RunOptions, data: dataset.Dataset) -> tuple[str, int]:
    """Make the ingest date's raw partition hold exactly this file: a re-run replaces the date's
    earlier upload instead of adding to it. Returns (the object's URI, objects replaced)."""
    profile = options.profile
    s3 = aws.client(profile, "s3")
    key = profile.raw_key(options.ingest_date, data.path.name)
    prefix = key.rsplit("/", 1)[0] + "/"
    replaced = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=profile.bucket, Prefix=prefix):
        stale = [{"Key": item["Key"]} for item in page.get("Contents", []) if item["Key"] != key]
        if stale:
            s3.delete_objects(Bucket=profile.bucket, Delete={"Objects": stale, "Quiet": True})
            replaced += len(stale)
    s3.upload_file(str(data.path), profile.bucket, key)
    return f"s3://{profile.bucket}/{key}", replaced


def _record_dag(report: RunReport, result: DagRunResult) -> None:
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


def run_pipeline(options: RunOptions, progress: Callable[[str], None] | None = None) -> RunReport:
    """Run every stage and return the report (also written to `options.report_path`)."""
    echo = progress or Progress()
    started = time.perf_counter()
    options = dataclasses.replace(options, profile=stack_profile(options.profile))
    profile = options.profile
    report = RunReport(profile=profile.name, ingest_date=options.ingest_date)
    try:
        _run_stages(options, report, echo)
    except StageError as exc:
        report.fail(exc.stage, str(exc))
    except KeyboardInterrupt:
        report.fail("interrupted", "stopped by the user (Ctrl-C)")
        raise
    except SystemExit as exc:
        report.fail("interrupted", f"stopped by a signal (exit {exc.code})")
        raise
    finally:
        report.total_seconds = round(time.perf_counter() - started, 2)
        report.write(options.report_path)
    return report


@contextmanager
def _stage(report: RunReport, name: str) -> Iterator[None]:
    """Time a stage and turn any error in it into a StageError naming the stage."""
    with report.stage(name):
        try:
            yield
        except StageError:
            raise
        except Exception as exc:
            raise StageError(name, f"{type(exc).__name__}: {exc}") from exc


def _run_stages(options: RunOptions, report: RunReport, echo: Callable[[str], None]) -> None:
    profile = options.profile
    with _stage(report, "prepare_data"):
        if options.data is not None:
            data = dataset.from_file(options.data)
        else:
            data = dataset.synthetic(options.state_dir / "data", options.rows, options.seed)
    report.dataset = data.summary()
    report.rows_raw = data.rows
    echo(
        f"input: {data.source} ({data.rows} rows, sha256 {data.sha256[:12]}...), "
        f"ingest_date {options.ingest_date}"
    )
    if run_elsewhere(options, report, echo, data):  # the compose stack or AWS: awstwin.stack.targets
        return

    logs = options.state_dir / "logs"
    airflow = EarlyDagRun(
        DAG_ID,
        DAGS_DIR,
        options.home,
        options.airflow_template,
        airflow_environment(profile, options.home, DAGS_DIR, artifacts_dir=options.report_path.parent),
        logs / f"airflow-{DAG_ID}-{options.ingest_date}-{int(time.time())}.log",
        logs / "airflow-migrate.log",
        echo,
    )

    kind = "localstack" if profile.service_endpoints else "embedded"
    echo(f"starting the {kind} stack (profile {profile.name})")
    stopping: dict[str, float] = {}

    def stopped() -> None:  # runs after the stack's own exit
        if "at" in stopping:
            report.stages["stack_stop"] = round(time.perf_counter() - stopping["at"], 2)

    def stopping_now() -> None:  # runs just before the stack's own exit
        stopping["at"] = time.perf_counter()
        if report.stack == "started":
            echo("stopping the stack")

    with ExitStack() as exits:
        exits.callback(airflow.cancel)
        exits.callback(stopped)
        with _stage(report, "stack_start"):
            stack, reused = exits.enter_context(stack_for_run(profile, options.state_dir, echo=echo))
        exits.callback(stopping_now)
        report.stack = "reused" if reused else "started"
        report.logs.update(endpoint=stack.endpoint_log, warehouse=stack.warehouse_log)
        _run_on_stack(options, report, echo, data, airflow)


def _run_on_stack(
    options: RunOptions,
    report: RunReport,
    echo: Callable[[str], None],
    data: dataset.Dataset,
    airflow: EarlyDagRun,
) -> None:
    profile = options.profile
    with _stage(report, "check_warehouse"):  # a table kept from an earlier layout fails here, not mid-run
        problems = layout_problems(profile)
        if problems:
            raise StageError("check_warehouse", "; ".join(problems))
    echo(f"provisioning {options.template.name} on {profile.aws_endpoint_url or 'AWS'}")
    with _stage(report, "provision"):
        params = template_parameters(profile, **options.template_overrides)
        result = provision(
            lambda service: aws.client(profile, service),
            params,
            profile.stack_name,
            options.template,
            options.scripts_dir,
        )
    echo(
        f"  {len(result.created)} resources created, {len(result.updated)} updated; "
        f"script {', '.join(result.scripts)}"
    )

    with _stage(report, "upload"):
        uri, replaced = _upload(options, data)
    echo(
        f"uploaded {data.path.name} to {uri}"
        + (f" (replacing {replaced} earlier object(s))" if replaced else "")
    )

    with _stage(report, "airflow_wait"):  # time the run waited for Airflow's start-up, if any
        process = airflow.wait()
        wait_until(process.ready.wait)
    report.stages["airflow_init"] = round(airflow.prepare_seconds, 2)
    report.stages["airflow_start"] = round(process.startup_seconds or 0.0, 2)

    echo(f"running DAG {DAG_ID} (Airflow log: {process.log})")
    conf = {"ingest_date": options.ingest_date, "expected_rows": data.rows}
    dag = process.run(conf)
    _conclude(options, report, dag, data)


def _conclude(options: RunOptions, report: RunReport, dag: DagRunResult, data: dataset.Dataset) -> None:
    """Record a finished DAG run, read what it left in the warehouse, judge the run (every target)."""
    profile = options.profile
    _record_dag(report, dag)
    if not dag.ok:  # the DAG's own failure is the cause: record it before anything else can fail
        task, message = dag.first_error() or ("<dag>", "the DAG run did not succeed")
        report.fail(task, message)

    with _stage(report, "read_counts"):
        read_outcome(profile, report, dag)

    accounted = (report.rows_loaded or 0) + (report.rows_quarantined or 0)
    if dag.ok and accounted != data.rows:
        report.fail(
            "reconciliation",
            f"raw {data.rows} rows != loaded {report.rows_loaded} + quarantined {report.rows_quarantined}",
        )
    elif dag.ok:
        report.status = "success"
    with _stage(report, "publish_report"):  # reports/<date>/run_report.json, next to the dashboard
        publish_report(profile, report)


def _raise_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """`python -m awstwin run`: exit 0 on success, 1 when the pipeline failed, 2 on bad input."""
    if argv:
        print(
            "usage: python -m awstwin run   (settings via DATA, ROWS, SEED, INGEST_DATE, PROFILE)",
            file=sys.stderr,
        )
        return 2
    try:
        options = options_from_env()
    except ValueError as exc:
        print(f"awstwin run: {exc}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_on_signal)
    progress = Progress()
    progress(f"awstwin run: profile {options.profile.name}, report {options.report_path}")
    try:
        report = run_pipeline(options, progress)
    except KeyboardInterrupt:
        print("\nawstwin run: interrupted; the stack was stopped", file=sys.stderr)
        return 130
    print()
    print(report.summary())
    print(f"report       {options.report_path}")
    if report.status != "success":
        error = report.error or {"task": "?", "message": "unknown"}
        print(f"\nawstwin run FAILED: task {error['task']} failed: {error['message']}", file=sys.stderr)
        for name, path in report.logs.items():
            print(f"  {name} log: {path}", file=sys.stderr)
        return 1
    return 0
