"""One job run's life on a thread: launch the script, watch it, and report how it ended.

STARTING (fetching the script, starting the process) -> RUNNING -> SUCCEEDED | FAILED (the script's
own error) | TIMEOUT (the run's Timeout passed: the process group is killed) | STOPPED (BatchStopJobRun:
the process group is killed). An endpoint that shuts down ends its runs as FAILED, saying so.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from awstwin.endpoint.glue.jobs.runner import JobProcess, JobRunner, RunSetupError, RunSpec

POLL_SECONDS = 0.2


class RunReporter(Protocol):
    def run_started(self, run_id: str, process: JobProcess) -> None: ...

    def run_ended(self, run_id: str, state: str, error: str | None) -> None: ...


class RunExecution(threading.Thread):
    def __init__(
        self,
        reporter: RunReporter,
        runner: JobRunner,
        spec: RunSpec,
        timeout_minutes: float,
        seconds_per_minute: float = 60.0,
    ):
        super().__init__(name=f"glue-run-{spec.run_id[:12]}", daemon=True)
        self.reporter = reporter
        self.runner = runner
        self.spec = spec
        self.timeout_minutes = timeout_minutes
        self.timeout_seconds = timeout_minutes * seconds_per_minute
        self._stop_requested = threading.Event()
        self._abort_reason: str | None = None

    def request_stop(self) -> None:
        """BatchStopJobRun: end the run as STOPPED."""
        self._stop_requested.set()

    def abort(self, reason: str) -> None:
        """The endpoint is going away: end the run as FAILED with `reason`."""
        self._abort_reason = reason
        self._stop_requested.set()

    def run(self) -> None:
        try:
            process = self.runner.launch(self.spec)
        except RunSetupError as exc:
            self.reporter.run_ended(self.spec.run_id, "FAILED", str(exc))
            return
        except Exception as exc:  # a bug of ours: the run must still end, and say why
            self.reporter.run_ended(
                self.spec.run_id, "FAILED", f"the local job runner could not start the script: {exc!r}"
            )
            return
        self.reporter.run_started(self.spec.run_id, process)
        state, error = self._watch(process)
        code, script_error = process.finish()
        if state is None:
            state, error = ("SUCCEEDED", None) if code == 0 else ("FAILED", script_error)
        self.reporter.run_ended(self.spec.run_id, state, error)

    def _watch(self, process: JobProcess) -> tuple[str | None, str | None]:
        """Wait for the process; kill it on stop, abort or timeout and say which."""
        deadline = process.started + self.timeout_seconds
        while process.poll() is None:
            if self._stop_requested.is_set():
                process.kill_group()
                if self._abort_reason is not None:
                    return "FAILED", self._abort_reason
                return "STOPPED", None
            if time.time() >= deadline:
                process.kill_group()
                return "TIMEOUT", (
                    f"Job run timed out: it ran longer than its Timeout ({self.timeout_minutes:g} minutes) "
                    "and was stopped"
                )
            self._stop_requested.wait(POLL_SECONDS)
        if self._abort_reason is not None:
            return "FAILED", self._abort_reason
        return None, None
