"""`make run` twice in one state folder: each run starts the embedded stack and stops it, so the second
run's endpoint is a new process that must find everything the first run's stack made (the
CloudFormation stack, and the secret, roles and log groups moto serves) as the first run left it.
The second provisioning creates nothing, and the Glue job reads the stack's secret (wait_for_glue_job).
"""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import server_folder

from awstwin.core.paths import STATE_DIR
from awstwin.core.ports import free_port
from awstwin.core.profile import load_profile
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.runner import RunOptions, run_pipeline

ROWS = 300


def _run(state: Path, ingest_date: str, lines: list[str]) -> RunReport:
    profile = load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )
    options = RunOptions(
        profile=profile,
        ingest_date=ingest_date,
        rows=ROWS,
        state_dir=state,
        airflow_home=state / "airflow",
        airflow_template=STATE_DIR / "airflow-template",
        report_path=state / "work" / ingest_date / "run_report.json",
    )
    return run_pipeline(options, progress=lines.append)


def test_a_second_run_in_the_same_state_folder_finds_the_first_runs_stack() -> None:
    with server_folder("awstwin-rerun-") as state:
        first_lines: list[str] = []
        first = _run(state, "2024-06-01", first_lines)
        assert first.status == "success", (first.error, first_lines[-5:])
        assert first.stack == "started"  # and stopped: the endpoint's process is gone

        second_lines: list[str] = []
        second = _run(state, "2024-06-02", second_lines)
        assert second.status == "success", (second.error, second_lines[-5:])
        assert second.stack == "started"
        assert any("0 resources created" in line for line in second_lines), second_lines
        assert second.rows_raw == ROWS and second.rows_loaded + second.rows_quarantined == ROWS
        moto_state = state / "emulator" / "moto"  # where the roles, the secret and the logs were kept
        assert (moto_state / "secretsmanager.pickle").exists()
        assert stat.S_IMODE(moto_state.stat().st_mode) == 0o700
