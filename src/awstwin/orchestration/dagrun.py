"""Run a DAG once, in a child process, and say truthfully how every task ended.

The child (`awstwin.orchestration.dag_test`) runs `dag.test()` and writes each task instance's state
from the metadata database plus each failed task's own error. This side streams the child's output
to a log file, prints a line as each task starts and ends, and turns the result into a `DagRunResult`
whose `ok` is true only when every task succeeded, whatever the run's exit code says.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awstwin.core.parent_death import PRIVATE_UMASK
from awstwin.core.processes import group_members, log_tail, signals_deferred, stop_group, wait_until
from awstwin.orchestration.markers import PROGRESS_MARK, READY_MARK

OK_STATES = ("success", "skipped")
STOP_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    operator: str
    state: str
    duration: float | None
    error: str | None = None


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str | None
    state: str
    tasks: list[TaskResult] = field(default_factory=list)
    import_errors: dict[str, str] = field(default_factory=dict)
    other_errors: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    seconds: float = 0.0  # from handing over the conf to the end of the run
    returned: dict[str, Any] = field(default_factory=dict)  # task_id -> its return value (XCom)

    @property
    def ok(self) -> bool:
        return bool(self.tasks) and all(t.state in OK_STATES for t in self.tasks) and not self.other_errors

    @property
    def failed(self) -> list[TaskResult]:
        """Tasks that failed themselves (not the ones skipped because an upstream task failed)."""
        return [t for t in self.tasks if t.state == "failed"]

    def first_error(self) -> tuple[str, str] | None:
        """(task, message) of the failure a user should read first."""
        for task in self.failed:
            return task.task_id, task.error or f"task {task.task_id} failed (see {self.log})"
        for name, message in {**self.import_errors, **self.other_errors}.items():
            return name, message
        for task in self.tasks:
            if task.state not in OK_STATES:
                return task.task_id, f"task ended {task.state}"
        if not self.tasks:
            return "<dag>", f"the DAG run produced no task instances (see {self.log})"
        return None


def _parse(raw: Mapping[str, Any], log: Path, seconds: float) -> DagRunResult:
    errors: dict[str, str] = dict(raw.get("errors") or {})
    tasks = [
        TaskResult(
            task_id=t["task_id"],
            operator=t.get("operator") or "",
            state=t.get("state") or "none",
            duration=t.get("duration"),
            error=errors.pop(t["task_id"], None) if t.get("state") == "failed" else None,
        )
        for t in raw.get("tasks") or []
    ]
    known = {t.task_id for t in tasks}
    return DagRunResult(
        dag_id=raw.get("dag_id", ""),
        run_id=raw.get("run_id"),
        state=raw.get("state", "failed"),
        tasks=tasks,
        import_errors=dict(raw.get("import_errors") or {}),
        other_errors={k: v for k, v in errors.items() if k not in known},
        log=log,
        seconds=seconds,
        returned=dict(raw.get("returned") or {}),
    )


def _progress_line(line: str, started: dict[str, float]) -> str | None:
    if not line.startswith(PROGRESS_MARK):
        return None
    event = json.loads(line[len(PROGRESS_MARK) :])
    task, kind = event["task_id"], event["event"]
    if kind == "running":
        started[task] = time.perf_counter()
        return f"  [airflow] {task} running"
    took = time.perf_counter() - started.get(task, time.perf_counter())
    if kind == "success":
        return f"  [airflow] {task} succeeded ({took:.1f} s)"
    return f"  [airflow] {task} FAILED ({took:.1f} s): {event.get('error', '')}"


class DagRunProcess:
    """A `dag_test --wait` child: started early (it loads the DAG and warms Airflow up meanwhile),
    given the run's conf when the caller is ready, stopped for sure in every case."""

    def __init__(
        self,
        dag_id: str,
        dags_folder: Path,
        env: Mapping[str, str],
        log: Path,
        echo: Callable[[str], None] = print,
    ):
        self.dag_id = dag_id
        self.log = log
        self.echo = echo
        self.started = time.perf_counter()
        self.ready = threading.Event()
        self.startup_seconds: float | None = None  # from start to READY
        self._task_started: dict[str, float] = {}
        log.parent.mkdir(parents=True, exist_ok=True)
        fd, result_name = tempfile.mkstemp(prefix="dagrun-", suffix=".json", dir=log.parent)
        os.close(fd)
        self.result_path = Path(result_name)
        argv = [
            sys.executable,
            "-m",
            "awstwin.orchestration.dag_test",
            "--dag-id",
            dag_id,
            "--dags-folder",
            str(dags_folder),
            "--result",
            str(self.result_path),
            "--wait",
        ]
        self.process = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=PRIVATE_UMASK,  # Airflow's home, task logs and artifacts: private like the rest
            text=True,
            errors="replace",
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name="airflow-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("w") as out:
            for line in self.process.stdout:
                out.write(line)
                out.flush()
                if line.startswith(READY_MARK):
                    self.startup_seconds = time.perf_counter() - self.started
                    self.ready.set()
                    continue
                progress = _progress_line(line, self._task_started)
                if progress:
                    self.echo(progress)
        self.ready.set()  # the child ended (maybe early): nobody waits forever

    def run(self, conf: Mapping[str, Any], timeout: float = 3600.0) -> DagRunResult:
        """Hand over the conf and wait for the run to end (at most `timeout` seconds)."""
        run_started = time.perf_counter()
        watchdog = threading.Timer(timeout, stop_group, args=(self.process.pid,))
        watchdog.daemon = True
        watchdog.start()
        try:
            assert self.process.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # the child already ended: its result says why
                self.process.stdin.write(json.dumps(dict(conf)) + "\n")
                self.process.stdin.close()
            wait_until(lambda seconds: _exited(self.process, seconds))
            self._reader.join(timeout=30)
        finally:
            watchdog.cancel()
            self.stop()
        seconds = time.perf_counter() - run_started
        return self._result(seconds, seconds >= timeout, timeout)

    def stop(self) -> None:
        """Stop the child and anything it started; safe to call at any time, and twice."""
        with signals_deferred():
            if self.process.stdin is not None and not self.process.stdin.closed:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
            if self.process.poll() is None or group_members(self.process.pid):
                # Airflow's task runner turns SIGTERM into a task failure and carries on: give it
                # a moment to record that, then SIGKILL.
                stop_group(self.process.pid, timeout=STOP_GRACE_SECONDS)

    def _result(self, seconds: float, timed_out: bool, timeout: float) -> DagRunResult:
        try:
            raw = json.loads(self.result_path.read_text() or "null")
        except (OSError, json.JSONDecodeError):
            raw = None
        finally:
            self.result_path.unlink(missing_ok=True)
        if not raw:
            reason = (
                f"stopped after {timeout:.0f} s (timeout)"
                if timed_out
                else f"Airflow exited {self.process.returncode} without a result:\n{log_tail(self.log)}"
            )
            return DagRunResult(
                dag_id=self.dag_id,
                run_id=None,
                state="failed",
                other_errors={"<airflow>": reason},
                log=self.log,
                seconds=seconds,
            )
        return _parse(raw, self.log, seconds)


def _exited(process: subprocess.Popen[str], seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def run_dag(
    dag_id: str,
    dags_folder: Path,
    conf: Mapping[str, Any],
    env: Mapping[str, str],
    log: Path,
    timeout: float = 3600.0,
    echo: Callable[[str], None] = print,
) -> DagRunResult:
    """Run `dag_id` once with `conf`; every line of Airflow's output goes to `log`."""
    return DagRunProcess(dag_id, dags_folder, env, log, echo).run(conf, timeout)
