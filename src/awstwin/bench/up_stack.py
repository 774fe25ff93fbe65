"""`make up`'s embedded stack, for the bench's `pipeline_6607_up`: started, used and stopped the way a
user does it, `python -m awstwin up`, `python -m awstwin run` (as often as the bench asks) and
`python -m awstwin down`, each a process of its own.

They run in a checkout of the bench's own (`make_checkout`: a folder whose dags/, spark_jobs/,
profiles/, infra/ and postgres_init/ link to this checkout's, named by AWSTWIN_PROJECT_DIR), so the
stack's `.state/` (warehouse, Airflow's home, stack.json, the run lock) and `artifacts/` are the
bench's and never the user's. DOCKER_HOST names no engine, so `up` takes the embedded stack (Airflow
as a server: api-server, scheduler, dag-processor) whatever the machine has.

The stack's processes are no children of a run, nor of the bench: `StackProcesses` names them from
stack.json (the sessions its services lead, and the warehouse's postmaster) so a run's peak memory
counts them, and `down` is checked to leave none of them running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from awstwin.bench.process_tree import tree
from awstwin.core import processes
from awstwin.core.paths import PROJECT_DIR
from awstwin.stack.embedded import StackInfo
from awstwin.stack.state import read_record
from awstwin.warehouse import Warehouse

LINKED = ("dags", "spark_jobs", "profiles", "infra", "postgres_init")  # what a stack reads of a checkout
NO_DOCKER = "unix:///nonexistent/awstwin-bench-no-docker.sock"
UP_TIMEOUT = 900.0  # first start: initdb, Airflow's metadata migrated
DOWN_TIMEOUT = 180.0


class UpStackError(RuntimeError):
    """`up` or `down` failed, or `down` left processes running; the message says which and where."""


def make_checkout(folder: Path, source: Path = PROJECT_DIR) -> Path:
    """A checkout of the bench's own: `source`'s dags/, spark_jobs/, profiles/, infra/, postgres_init/
    linked, its own (empty) .state/ and artifacts/ to come."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        (folder / name).symlink_to(source / name, target_is_directory=True)
    return folder


@dataclass(frozen=True)
class StackProcesses:
    """A running `make up` stack's processes: the sessions its services lead (endpoint with its Spark
    drivers, Redshift front, Airflow's three with their task processes) and the postmaster's tree."""

    sessions: tuple[int, ...]
    roots: tuple[int, ...]

    @classmethod
    def of(cls, info: StackInfo) -> StackProcesses:
        sessions = [info.endpoint_pid]
        if info.front_pid:
            sessions.append(info.front_pid)
        if info.airflow is not None:
            sessions += list(info.airflow.pids.values())
        postmaster = Warehouse(info.warehouse_dir, port=info.backend_port, host=info.warehouse_host).pid
        return cls(tuple(sessions), (postmaster,) if postmaster else ())

    def running(self) -> list[int]:
        """Those of them still running (zombies do not count: they run nothing)."""
        return sorted(pid for pid in tree(self.roots, self.sessions) if _live(pid))


def _live(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class UpStack:
    """`make up`'s stack in `checkout` (made by `make_checkout`): `up()` once, `run_command()` for each
    run, `down()` at the end, which also checks that nothing it started still runs."""

    def __init__(self, checkout: Path, environ: dict[str, str] | None = None):
        self.checkout = checkout
        self.base_env = dict(os.environ if environ is None else environ)
        self.info: StackInfo | None = None
        self.processes: StackProcesses | None = None
        self.up_seconds: float | None = None

    @property
    def state_dir(self) -> Path:
        return self.checkout / ".state"

    @property
    def report_path(self) -> Path:
        return self.checkout / "artifacts" / "run_report.json"

    def env(self, **settings: str) -> dict[str, str]:
        """The environment of `python -m awstwin <command>` here: this checkout, the local profile, no
        Docker engine, no stack choice or port of the caller's."""
        env = {k: v for k, v in self.base_env.items() if k not in ("STACK", "AIRFLOW_UI_PORT", "DATA")}
        return {
            **env,
            "AWSTWIN_PROJECT_DIR": str(self.checkout),
            "PROFILE": "local",
            "DOCKER_HOST": NO_DOCKER,
            **settings,
        }

    def command(self, name: str) -> list[str]:
        return [sys.executable, "-m", "awstwin", name]

    def log(self, name: str) -> Path:
        return self.checkout / f"bench-{name}.log"

    def _call(self, name: str, timeout: float) -> None:
        log = self.log(name)
        with log.open("ab") as out:
            done = subprocess.run(
                self.command(name),
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            tail = processes.log_tail(log)
            raise UpStackError(f"`python -m awstwin {name}` exited {done.returncode}: {tail} (log: {log})")

    def up(self) -> StackInfo:
        """`python -m awstwin up`; the stack it recorded, with its Airflow."""
        began = time.perf_counter()
        self._call("up", UP_TIMEOUT)
        self.up_seconds = time.perf_counter() - began
        info = read_record(self.state_dir)
        if info is None or info.airflow is None:
            raise UpStackError(
                f"`up` recorded no stack with Airflow in {self.state_dir} (log: {self.log('up')})"
            )
        self.info, self.processes = info, StackProcesses.of(info)
        return info

    def down(self) -> None:
        """`python -m awstwin down`, then check that none of the stack's processes runs; any that do are
        killed and named in the error."""
        stack_processes, self.processes, self.info = self.processes, None, None
        if stack_processes is None:  # `up` did not finish (a timeout): whatever it recorded
            recorded = read_record(self.state_dir)
            stack_processes = StackProcesses.of(recorded) if recorded is not None else None
        try:
            self._call("down", DOWN_TIMEOUT)
        finally:
            left = stack_processes.running() if stack_processes is not None else []
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if left:
            raise UpStackError(f"`down` left processes running (killed now): pids {left}")
