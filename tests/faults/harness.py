"""The fault suite's tools: `make run` in a child process of its own (so it can be killed, or sent
Ctrl-C as a terminal sends it to `make run`'s process group), on a state dir and free ports of its own,
and a walk of /proc for whatever of it is left.

Every process of a run carries the run's state dir in its environment (`FAULT_STATE`, set here for
the run's process and inherited by all it starts, whatever session it moves to) or in its command
line, so `leftovers` finds them without trusting the code under test (the guardian has a marker of
its own).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awstwin.core.guardian import GUARDIAN_EXIT_SECONDS
from awstwin.core.paths import STATE_DIR
from awstwin.core.ports import free_port
from awstwin.core.profile import Profile, load_profile

FAULT_STATE = "AWSTWIN_FAULT_STATE"
# How long the run's processes may outlive it: its guardian's grace and sweep, and a loaded machine.
LEFTOVER_SECONDS = GUARDIAN_EXIT_SECONDS + 30

# `make run`'s own code path (runner.run_and_report) with the suite's options instead of the
# environment's: a state dir and free ports of its own, the checkout's migrated Airflow template.
RUN_SCRIPT = """
import json, sys
from pathlib import Path
from awstwin.core.profile import load_profile
from awstwin.pipeline.run import RunOptions
from awstwin.pipeline.runner import run_and_report

spec = json.loads(sys.argv[1])
state = Path(spec["state"])
options = RunOptions(
    profile=load_profile("local", spec["profile"]),
    ingest_date=spec["date"],
    state_dir=state,
    airflow_home=state / "airflow",
    airflow_template=Path(spec["template"]),
    report_path=Path(spec["report"]),
    rows=spec["rows"],
    seed=spec["seed"],
)
sys.exit(run_and_report(options, "make run (fault suite)"))
"""


def suite_profile() -> Profile:
    return load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )


@dataclass
class Run:
    """One `make run` in a child process, its output kept line by line."""

    state: Path
    profile: Profile
    name: str
    date: str
    rows: int
    seed: int
    prefix: list[str] = field(default_factory=list)  # e.g. ["unshare", "-m", ...]
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def report_path(self) -> Path:
        return self.state / "work" / self.name / "run_report.json"

    @property
    def log(self) -> Path:
        return self.state / "work" / self.name / "output.log"

    def start(self) -> Run:
        spec = {
            "state": str(self.state),
            "profile": {
                "aws_endpoint_url": self.profile.aws_endpoint_url,
                "warehouse_port": self.profile.warehouse_port,
            },
            "template": str(STATE_DIR / "airflow-template"),
            "report": str(self.report_path),
            "date": self.date,
            "rows": self.rows,
            "seed": self.seed,
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [*self.prefix, sys.executable, "-c", RUN_SCRIPT, json.dumps(spec)],
            env={**os.environ, FAULT_STATE: str(self.state)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as `make run` has in a terminal
        )
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with self.log.open("w") as out:
            for line in self.process.stdout:
                out.write(line)
                out.flush()
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # the end
            self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 600) -> str:
        """The first output line matching `pattern` (a regex), waiting for it."""
        found = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if found.search(line):
                        return line
                seen = len(self.lines)
                assert self.process is not None
                if self.process.poll() is not None and self.lines and self.lines[-1] == "":
                    raise AssertionError(f"the run ended before {pattern!r}; its output:\n{self.tail()}")
                left = deadline - time.monotonic()
                assert left > 0, f"no line {pattern!r} in time; output:\n{self.tail()}"
                self._changed.wait(min(left, 1.0))

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.lines[-lines:])

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the run's process group, as the terminal sends it."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()

    def wait(self, timeout: float = 900) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def report(self) -> dict[str, Any]:
        return json.loads(self.report_path.read_text())


def _proc_text(pid: str, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def processes_of(state: Path) -> dict[int, str]:
    """Live processes carrying `state` in their environment or command line: {pid: command line}."""
    marker, found = str(state), {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        stat = _proc_text(entry.name, "stat")
        if not stat or stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
            continue
        cmdline = _proc_text(entry.name, "cmdline")
        if marker in cmdline or f"{FAULT_STATE}={marker}" in _proc_text(entry.name, "environ"):
            found[int(entry.name)] = cmdline
    return found


def leftovers(state: Path, seconds: float = LEFTOVER_SECONDS) -> dict[int, str]:
    """What of the run is still running `seconds` after it ended (empty: nothing)."""
    deadline = time.monotonic() + seconds
    while (left := processes_of(state)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def process_matching(state: Path, needle: str) -> int:
    """The pid of the run's process whose command line contains `needle`."""
    for pid, cmdline in processes_of(state).items():
        if needle in cmdline:
            return pid
    raise AssertionError(f"no process of the run runs {needle!r}: {processes_of(state)}")
