"""Glue jobs and job runs: definitions, lifecycle and run history, persisted across restarts.

The Jobs API (CreateJob ... BatchStopJobRun) as AWS Glue answers it; every run really runs its
script (`execution.py` drives a run, `runner.py` starts the process). Jobs and run history live in
`<state>/glue/jobs.json`, bookmarks in `<state>/glue/bookmarks.json` (`bookmarks.py`); a run that
was still going when the endpoint died comes back FAILED, with a message that says so.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.exceptions import (
    EntityNotFoundException,
)
from awstwin.endpoint.glue.jobs.bookmarks import BookmarkApi, BookmarkStore
from awstwin.endpoint.glue.jobs.definitions import JobDefinitionApi
from awstwin.endpoint.glue.jobs.execution import RunExecution
from awstwin.endpoint.glue.jobs.runner import JobRunner
from awstwin.endpoint.glue.jobs.runs import JobRunApi, _end_orphan
from awstwin.endpoint.glue.jobs.shared import ACTIVE_STATES, ENDPOINT_CLOSING, ENDPOINT_DIED, WAITING, Doc
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.persistence import StateFile

log = logging.getLogger(__name__)


class JobBackend(JobDefinitionApi, JobRunApi, BookmarkApi):
    """State (jobs and run history in one file), bookmarks, recovery after a restart, and shutdown."""

    def __init__(
        self, ctx: EndpointContext, catalog: CatalogBackend, tags: TagBackend, dataquality: Any = None
    ):
        self.ctx = ctx
        self.catalog = catalog
        self.tags = tags
        self.dataquality = dataquality  # receives the results a job's EvaluateDataQuality publishes
        self.bookmarks = BookmarkStore(ctx.state_dir)
        self._lock = threading.RLock()
        self._file = StateFile.under(ctx.state_dir, "glue", "jobs.json")
        state = self._file.load() or {}
        self._jobs: dict[str, Doc] = state.get("jobs", {})
        self._runs: dict[str, list[Doc]] = state.get("runs", {})  # job name -> runs, oldest first
        self._executions: dict[str, RunExecution] = {}
        self._closing = False
        # Seconds in one minute of a run's Timeout: 60, unless a test wants TIMEOUT sooner.
        self.seconds_per_timeout_minute = float(os.environ.get("AWSTWIN_GLUE_TIMEOUT_MINUTE_SECONDS", "60"))
        self._logs_client: Any = None
        self.runner = JobRunner(ctx, ctx.state_dir / "glue" / "job-runs", self._logs)
        self._recover()

    def _logs(self) -> Any:
        """One CloudWatch Logs client for every run (boto3 clients are thread-safe; creating them is not)."""
        with self._lock:
            if self._logs_client is None:
                self._logs_client = self.ctx.client("logs")
            return self._logs_client

    # -- state -----------------------------------------------------------------------------------
    def _save(self) -> None:
        with self._lock:
            self._file.save({"jobs": self._jobs, "runs": self._runs})

    def _job(self, name: str) -> Doc:
        job = self._jobs.get(name)
        if job is None:
            raise EntityNotFoundException(f"Job {name} not found; create it with CreateJob first")
        return job

    def _run(self, job_name: str, run_id: str) -> Doc:
        self._job(job_name)
        for run in self._runs.get(job_name, []):
            if run["Id"] == run_id:
                return run
        raise EntityNotFoundException(f"Job run {run_id} of job {job_name} not found")

    def _find_run(self, run_id: str) -> Doc | None:
        for runs in self._runs.values():
            for run in runs:
                if run["Id"] == run_id:
                    return run
        return None

    def resource_exists(self, kind: str, names: list[str]) -> bool:
        with self._lock:
            return kind == "job" and len(names) == 1 and names[0] in self._jobs

    def _arn(self, name: str) -> str:
        return self.tags.arn("job", name)

    def _recover(self) -> None:
        """Runs that were going when the endpoint died: end leftover processes, report FAILED."""
        changed = False
        for runs in self._runs.values():
            for run in runs:
                state = run.get("JobRunState")
                if state in ACTIVE_STATES or state == WAITING:
                    _end_orphan(run)
                    self._complete(run, "FAILED", ENDPOINT_DIED.format(state=state))
                    changed = True
        if changed:
            self._save()

    # -- shutdown --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every running job process; their runs end FAILED saying the endpoint shut down."""
        with self._lock:
            self._closing = True
            executions = list(self._executions.values())
            for run in (r for runs in self._runs.values() for r in runs):
                if run["JobRunState"] == WAITING:
                    self._complete(run, "FAILED", ENDPOINT_CLOSING.replace("RUNNING", "WAITING"))
        for execution in executions:
            execution.abort(ENDPOINT_CLOSING)
        for execution in executions:
            execution.join(timeout=30)
        self.runner.close()
        self._save()
