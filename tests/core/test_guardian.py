"""guardian: whatever a run starts ends with it, however the run ends and wherever the process went
(its own session, a daemon whose parent exited, a child of a thread that is gone)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from awstwin.core.guardian import GUARDIAN_EXIT_SECONDS, guarded_run, marked
from awstwin.core.runlock import run_lock

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="the guardian walks /proc")

# A run that starts three kinds of leftovers, prints the marker, then waits to be killed (or, with
# `clean`, ends its block at once). One leftover ignores SIGTERM, so only SIGKILL ends it.
RUN = textwrap.dedent(
    """
    import subprocess, sys, threading
    from pathlib import Path
    from awstwin.core.guardian import guarded_run
    from awstwin.core.runlock import run_lock

    sleep = [sys.executable, "-c", "import time; time.sleep(300)"]
    stubborn = ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
    with run_lock(Path(sys.argv[1]), "make run (guardian test)") as lock, guarded_run(lock.fd) as marker:
        subprocess.Popen(sleep, start_new_session=True)  # a service in its own session
        subprocess.run(["sh", "-c", "setsid sh -c 'sleep 300' >/dev/null 2>&1 &"])  # a daemon, like pg_ctl's
        threading.Thread(target=lambda: subprocess.Popen(stubborn, start_new_session=True)).start()
        print(marker, flush=True)
        if sys.argv[2] != "clean":
            sys.stdin.read()
    print("done", flush=True)
    """
)


def _wait_for(count: int, marker: str) -> None:
    deadline = time.monotonic() + 30
    while len(marked(marker)) < count:
        assert time.monotonic() < deadline, f"the run's {count} processes never showed"
        time.sleep(0.05)


def _all_gone(marker: str) -> list[int]:
    deadline = time.monotonic() + GUARDIAN_EXIT_SECONDS + 15
    while (left := marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _start(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], str]:
    run = subprocess.Popen(
        [sys.executable, "-c", RUN, str(tmp_path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None
    return run, run.stdout.readline().strip()


def test_a_sigkilled_run_leaves_no_process_and_its_lock_waits_for_the_sweep(tmp_path: Path) -> None:
    run, marker = _start(tmp_path, "killed")
    _wait_for(3, marker)
    left_before = marked(marker)
    run.kill()
    run.wait()
    # The next command waits while the guardian still stops the stubborn one, then takes over.
    with run_lock(tmp_path, "make run (next)") as lock:
        assert marked(marker) == [], "the lock was free while the killed run's processes still ran"
        assert lock.took_over is not None and f"pid {run.pid}" in lock.took_over
    assert _all_gone(marker) == [], f"left of {left_before}"


def test_a_clean_end_stops_leftovers_before_it_returns(tmp_path: Path) -> None:
    run, marker = _start(tmp_path, "clean")
    assert run.stdout is not None and run.stdout.readline().strip() == "done"
    assert marked(marker) == []
    assert run.wait() == 0


def test_the_marker_is_only_in_the_runs_children(tmp_path: Path) -> None:
    before = os.environ.get("AWSTWIN_RUN_OWNER")
    with guarded_run() as marker:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            _wait_for(1, marker)
            assert marked(marker) == [child.pid]  # not this process, not the guardian
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait()
    assert os.environ.get("AWSTWIN_RUN_OWNER") == before
