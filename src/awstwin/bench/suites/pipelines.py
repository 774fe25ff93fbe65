"""Whole pipeline runs (`make run`'s code, PROFILE=local: the embedded stack), each in a new process
whose tree (endpoint, Spark, Postgres, Airflow) is sampled for its peak resident memory.

- `pipeline_6607_cold`: the real file in a new state folder every run (Postgres initdb, Airflow's
  database migrated, nothing compiled or cached by an earlier run);
- `pipeline_6607_warm`: the real file in one state folder that an unrecorded run has warmed;
- `pipeline_6607_up`: the real file through `make up`'s stack, as a user runs it: `python -m awstwin
  up` once (in a checkout of the bench's own, awstwin.bench.up_stack: the embedded stack with Airflow
  as a server), one unrecorded run, then each measured run a `python -m awstwin run` (the DAG
  triggered over Airflow's REST API, in the warm scheduler; the Glue job on the endpoint's warm Spark
  driver), and `python -m awstwin down` at the end, checked to leave nothing running. Its baseline is
  `make run` in the warm state folder (as `pipeline_6607_warm`), A B A B: the ratio says whether a run
  through `make up` is slower than one without (the issue: it must not be). The baseline runs in a
  network namespace of its own, since `make up`'s stack holds the fixed ports; the peak RSS of a run
  through `make up` counts the stack's processes (they are not the run's children);
- `pipeline_1m`: 1,000,000 generated rows in a new state folder (one run: it takes minutes);
- `pipeline_1m_cluster` (`--big`): the same with the Glue job on a standalone Spark cluster on this
  machine (`stack/spark_cluster.py`: a master and one worker of 2 cores and 2 GB, started for the run
  and stopped after it) through GLUE_SPARK_MASTER, instead of `local[*]` in a warm driver;
- `pipeline_10m` (`--big`): 10,000,000 generated rows in a new state folder, one run.
Except `pipeline_6607_up`, no baseline: there is nothing a user would run instead of the whole
pipeline, so these report seconds and goals, and where the time went (the report's slowest stages and
DAG tasks) and the peak RSS. Fixed ports: the bench runs in a private network namespace (runner.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from awstwin.bench.harness import Comparison, Goal, Sample
from awstwin.bench.options import Options
from awstwin.bench.process_tree import PeakRss
from awstwin.bench.up_stack import StackProcesses, UpStack, make_checkout
from awstwin.core import processes
from awstwin.core.config import GLUE_SPARK_MASTER_ENV
from awstwin.core.paths import ARTIFACTS_DIR
from awstwin.data import schema
from awstwin.stack import spark_cluster

RUN = """
import dataclasses, sys
from pathlib import Path
from awstwin.pipeline.runner import options_from_env, run_pipeline

state, report = Path(sys.argv[1]), Path(sys.argv[2])
options = dataclasses.replace(
    options_from_env(), state_dir=state, airflow_template=state / "airflow-template", report_path=report
)
sys.exit(0 if run_pipeline(options).status == "success" else 1)
"""
TOP_STAGES = 5
INGEST_DATE = "2000-01-01"


def _real_file() -> Path | None:
    for real in (os.environ.get("AWSTWIN_REAL_DATASET"), f"/work/shared/data/{schema.CSV_FILE_NAME}"):
        if real and Path(real).exists():
            return Path(real)
    return None


def own_network_available() -> bool:
    """Whether a run can be given a network namespace of its own (root, `unshare` and `ip` present)."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None and shutil.which("ip") is not None


def in_own_network(argv: list[str]) -> list[str]:
    """`argv` in a new network namespace with only its loopback up: its stack's fixed ports (4566,
    5439) are its own while `make up`'s stack holds them in the bench's namespace."""
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', *argv]


def run_once(
    state: Path, rows: int, data: Path | None, spark_master: str | None = None, own_network: bool = False
) -> Sample:
    """One pipeline run in `state`: wall seconds, peak RSS of its tree, its slowest stages and tasks;
    its Glue job on the Spark cluster at `spark_master` when given (the endpoint's GLUE_SPARK_MASTER
    setting); `own_network`: in a network namespace of its own (see `in_own_network`)."""
    report = state / "bench_report.json"
    env = {**os.environ, "PROFILE": "local", "ROWS": str(rows), "INGEST_DATE": INGEST_DATE}
    env.pop(GLUE_SPARK_MASTER_ENV, None)
    if spark_master:
        env[GLUE_SPARK_MASTER_ENV] = spark_master
    env.pop("DATA", None)
    if data is not None:
        env["DATA"] = str(data)
    argv = [sys.executable, "-c", RUN, str(state), str(report)]
    log = state.parent / f"{state.name}.log"
    return measured(
        in_own_network(argv) if own_network else argv, env, report, log, f"pipeline run ({rows} rows)"
    )


def run_up(stack: UpStack, data: Path | None, rows: int) -> Sample:
    """One `python -m awstwin run` on `make up`'s stack (started by the first call): its wall seconds,
    the peak RSS of the run's tree and the stack's processes, its slowest stages and tasks."""
    if stack.info is None:
        stack.up()
    assert stack.processes is not None
    settings = {"ROWS": str(rows), "INGEST_DATE": INGEST_DATE, **({"DATA": str(data)} if data else {})}
    stack.report_path.unlink(missing_ok=True)
    sample = measured(
        stack.command("run"),
        stack.env(**settings),
        stack.report_path,
        stack.log("run"),
        f"pipeline run through `make up` ({rows} rows)",
        stack.processes,
    )
    if stack.up_seconds is not None:
        sample.metrics["make_up_s"] = round(stack.up_seconds, 1)
    return sample


def measured(
    argv: list[str],
    env: dict[str, str],
    report: Path,
    log: Path,
    what: str,
    stack: StackProcesses | None = None,
) -> Sample:
    """Run `argv` (a whole pipeline run writing `report`), sampling the peak RSS of its tree and of
    `stack`'s processes; its Sample, or an error with its log's tail when the run did not succeed."""
    began = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        also, sessions = (stack.roots, stack.sessions) if stack is not None else ((), ())
        with PeakRss(process.pid, interval=0.5, also=also, sessions=sessions) as peak:
            code = process.wait()
    seconds = time.perf_counter() - began
    found = json.loads(report.read_text()) if report.exists() else {}
    if code != 0 or found.get("status") != "success":
        tail = processes.log_tail(log)
        kept = ARTIFACTS_DIR / "bench-logs" / f"{log.parent.name}-{log.name}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, kept)
        raise RuntimeError(f"{what} failed: {found.get('error') or tail} (its log: {kept})")
    return Sample(seconds, {"peak_rss_mb": round(peak.peak_mb), **where_time_went(found)})


def where_time_went(report: dict) -> dict:
    """The run report's total, its slowest stages and its slowest DAG tasks (seconds)."""
    stages = sorted(report.get("stages", {}).items(), key=lambda item: -item[1])
    tasks = sorted(
        ((t["task_id"], round(t.get("duration") or 0.0, 2)) for t in report.get("tasks", [])),
        key=lambda item: -item[1],
    )
    return {
        "report_total_s": report.get("total_seconds", 0.0),
        "top_stages": dict(stages[:TOP_STAGES]),
        "top_tasks": dict(tasks[:TOP_STAGES]),
    }


def comparisons(options: Options) -> Iterator[Comparison]:
    names = (
        "pipeline_6607_cold",
        "pipeline_6607_warm",
        "pipeline_6607_up",
        "pipeline_1m",
        "pipeline_1m_cluster",
        "pipeline_10m",
    )
    if not options.wants_any(*names):
        return
    real = _real_file()
    rows = 6607
    folder = Path(tempfile.mkdtemp(prefix="awstwin-bench-pipeline-"))
    folder.chmod(0o755)
    try:
        counter = iter(range(1_000))
        warm_state = folder / "warm"
        warm_state.mkdir()

        def cold() -> Sample:
            """A new state folder; the first cold run's folder is kept as the warm runs' folder."""
            index = next(counter)
            if index == 0:
                return run_once(warm_state, rows, real)
            state = folder / f"cold-{index}"
            state.mkdir()
            try:
                return run_once(state, rows, real)
            finally:
                shutil.rmtree(state, ignore_errors=True)

        def fresh(rows: int, spark_master: str | None = None) -> Sample:
            state = folder / f"rows-{rows}-{next(counter)}"
            state.mkdir()
            try:
                return run_once(state, rows, None, spark_master)
            finally:
                shutil.rmtree(state, ignore_errors=True)

        def on_cluster(rows: int) -> Sample:
            with spark_cluster.running(folder / f"spark-cluster-{next(counter)}") as cluster:
                sample = fresh(rows, cluster.master_url)
                apps = [app["name"] for app in cluster.state()["completedapps"]]
            if not apps:  # the Glue job's run is an application of the cluster's, or it ran elsewhere
                raise RuntimeError(f"the pipeline's Glue job did not run on {cluster.master_url}")
            sample.metrics["cluster_apps"] = apps
            return sample

        wants_cold = options.wants("pipeline_6607_cold")
        if wants_cold:
            yield Comparison(
                "pipeline_6607_cold",
                cold,
                goals=[Goal("seconds", "<=", 30.0), Goal("peak_rss_mb", "<=", 4000)],
                max_runs=options.pipeline_runs,
                note="a new state folder every run",
            )
        if options.wants("pipeline_6607_warm"):
            yield Comparison(
                "pipeline_6607_warm",
                lambda: run_once(warm_state, rows, real),
                goals=[Goal("seconds", "<=", 15.0)],
                warmup=not wants_cold,  # else the first cold run warmed its folder
                max_runs=options.pipeline_runs,
                note="one state folder, warmed by an earlier run",
            )
        if options.wants("pipeline_6607_up"):
            yield from up_comparison(folder, warm_state, rows, real, options)
        if options.wants("pipeline_1m"):
            yield Comparison(
                "pipeline_1m",
                lambda rows=1_000_000: fresh(rows),
                goals=[Goal("seconds", "<=", 60.0)],
                max_runs=1,
                note="1,000,000 generated rows, a new state folder, one run",
            )
        if options.wants("pipeline_1m_cluster"):
            yield Comparison(
                "pipeline_1m_cluster",
                lambda rows=1_000_000: on_cluster(rows),
                goals=[Goal("seconds", "<=", 60.0)],
                max_runs=1,
                note="1,000,000 generated rows, the Glue job on a standalone Spark cluster (a 2-core worker)",
            )
        if options.wants("pipeline_10m"):
            yield Comparison(
                "pipeline_10m",
                lambda rows=10_000_000: fresh(rows),
                goals=[Goal("seconds", "<=", 480.0), Goal("peak_rss_mb", "<=", 4000)],
                max_runs=1,
                note="10,000,000 generated rows, a new state folder, one run",
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def up_comparison(
    folder: Path, warm_state: Path, rows: int, data: Path | None, options: Options
) -> Iterator[Comparison]:
    """`pipeline_6607_up`: runs through `make up`'s stack against `make run` in the warm state folder,
    A B A B, after one unrecorded run of each (the first also starts the stack); `down` once measured.

    The baseline runs in a network namespace of its own: `make up`'s stack holds the fixed ports in
    the bench's. Where no namespace can be made, the runs through `make up` are measured alone."""
    stack = UpStack(make_checkout(folder / "up-checkout"))
    baseline = own_network_available()
    try:
        yield Comparison(
            "pipeline_6607_up",
            lambda: run_up(stack, data, rows),
            baseline_name="`make run`, warm state folder" if baseline else None,
            baseline=(lambda: run_once(warm_state, rows, data, own_network=True)) if baseline else None,
            goals=[Goal("seconds", "<=", 15.0), Goal("ratio", "<=", 1.0), Goal("peak_rss_mb", "<=", 4000)],
            warmup=True,
            max_runs=options.pipeline_runs,
            note=(
                "`python -m awstwin run` on the stack `python -m awstwin up` started (its Airflow warm: "
                "one unrecorded run first), against `make run` in the warm state folder"
                + ("" if baseline else " (not measured here: no network namespace of its own for it)")
                + "; peak RSS counts the stack's processes"
            ),
        )
    finally:
        stack.down()
