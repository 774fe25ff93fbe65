"""Whole pipeline runs (`make run`'s code, PROFILE=local: the embedded stack), each in a new process
whose tree (endpoint, Spark, Postgres, Airflow) is sampled for its peak resident memory.

- `pipeline_6607_cold`: the real file in a new state folder every run (Postgres initdb, Airflow's
  database migrated, nothing compiled or cached by an earlier run);
- `pipeline_6607_warm`: the real file in one state folder that an unrecorded run has warmed;
- `pipeline_1m`: 1,000,000 generated rows in a new state folder (one run: it takes minutes);
- `pipeline_1m_cluster` (`--big`): the same with the Glue job on a standalone Spark cluster on this
  machine (`stack/spark_cluster.py`: a master and one worker of 2 cores and 2 GB, started for the run
  and stopped after it) through GLUE_SPARK_MASTER, instead of `local[*]` in a warm driver;
- `pipeline_10m` (`--big`): 10,000,000 generated rows in a new state folder, one run;
- `pipeline_6607_up`: a run through `make up`'s warm Airflow: not measured by this bench yet.
No baseline: there is nothing a user would run instead of the whole pipeline, so these report
seconds and goals, and where the time went (the report's slowest stages) and the peak RSS.
Fixed ports: the bench runs in a private network namespace (see runner.py).
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


def _real_file() -> Path | None:
    for real in (os.environ.get("AWSTWIN_REAL_DATASET"), f"/work/shared/data/{schema.CSV_FILE_NAME}"):
        if real and Path(real).exists():
            return Path(real)
    return None


def run_once(state: Path, rows: int, data: Path | None, spark_master: str | None = None) -> Sample:
    """One pipeline run in `state`: wall seconds, peak RSS of its tree, its slowest stages; its Glue
    job on the Spark cluster at `spark_master` when given (the endpoint's GLUE_SPARK_MASTER setting)."""
    report = state / "bench_report.json"
    env = {**os.environ, "PROFILE": "local", "ROWS": str(rows), "INGEST_DATE": "2000-01-01"}
    env.pop(GLUE_SPARK_MASTER_ENV, None)
    if spark_master:
        env[GLUE_SPARK_MASTER_ENV] = spark_master
    env.pop("DATA", None)
    if data is not None:
        env["DATA"] = str(data)
    log = state.parent / f"{state.name}.log"
    began = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", RUN, str(state), str(report)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        with PeakRss(process.pid, interval=0.5) as peak:
            code = process.wait()
    seconds = time.perf_counter() - began
    found = json.loads(report.read_text()) if report.exists() else {}
    if code != 0 or found.get("status") != "success":
        tail = log.read_text(errors="replace")[-1500:]
        kept = ARTIFACTS_DIR / "bench-logs" / f"{state.parent.name}-{log.name}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, kept)
        raise RuntimeError(
            f"pipeline run ({rows} rows) failed: {found.get('error') or tail} (its log: {kept})"
        )
    stages = sorted(found.get("stages", {}).items(), key=lambda item: -item[1])
    return Sample(
        seconds,
        {
            "peak_rss_mb": round(peak.peak_mb),
            "report_total_s": found.get("total_seconds", 0.0),
            "top_stages": dict(stages[:TOP_STAGES]),
        },
    )


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
            yield Comparison(
                "pipeline_6607_up",
                lambda: Sample(0.0),
                skipped="not measured yet: a run through `make up` (warm Airflow) is not in this bench",
            )
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
