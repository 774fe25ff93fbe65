"""Waiting for a Glue job run to end, as the job tests of this folder do (one poll loop for all)."""

from __future__ import annotations

import time
from typing import Any

GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")


def wait_run(glue: Any, job: str, run_id: str, timeout: float = 600, poll: float = 0.25) -> dict:
    """The run's JobRun once its state is final; fails the test after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in GOING:
            return run
        time.sleep(poll)
    raise AssertionError(f"run {run_id} of {job} did not finish in {timeout}s")
