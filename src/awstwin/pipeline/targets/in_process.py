"""The DAG in a `dag.test()` child process on this machine (the embedded and AWS targets).

Airflow's start-up (its metadata database, importing Airflow, parsing the DAG) does not depend on the
stack, so it starts early, on a thread, while the target starts the stack, provisions and uploads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from awstwin.core.paths import DAGS_DIR
from awstwin.core.processes import wait_until
from awstwin.orchestration.dagrun import DagRunProcess
from awstwin.orchestration.early import EarlyDagRun
from awstwin.pipeline.run import DAG_ID, PipelineRun


def start_airflow(run: PipelineRun, env: Mapping[str, str], log_tag: str = "") -> EarlyDagRun:
    """Start preparing Airflow now; the run's Airflow log is named after the DAG, `log_tag` and the date."""
    options = run.options
    logs = options.state_dir / "logs"
    return EarlyDagRun(
        DAG_ID,
        DAGS_DIR,
        options.home,
        options.airflow_template,
        env,
        logs / f"airflow-{DAG_ID}-{log_tag}{options.ingest_date}-{int(time.time())}.log",
        logs / "airflow-migrate.log",
        run.say,
    )


def wait_for_airflow(run: PipelineRun, airflow: EarlyDagRun) -> DagRunProcess:
    """The DAG-run process once it is ready for the conf (the wait, if any, is the airflow_wait stage)."""
    with run.stage("airflow_wait"):
        process = airflow.wait()
        wait_until(process.ready.wait)
    run.report.stages["airflow_init"] = round(airflow.prepare_seconds, 2)
    return process
