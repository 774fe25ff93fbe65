"""processes.stop_signals_held: a Ctrl-C that lands while a child is forked is not lost (Python
swallows a KeyboardInterrupt raised in its at-fork callbacks, and logging's lock stayed taken: the
run then hung), and the child starts with its stop signals as usual."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from awstwin.core import parent_death
from awstwin.core.parent_death import die_with_parent
from awstwin.core.processes import start_group, stop_signals_held

pytestmark = pytest.mark.skipif(not parent_death.supported(), reason="Linux signal masks and prctl")


def test_a_ctrl_c_while_held_interrupts_right_after() -> None:
    script = textwrap.dedent(
        """
        import os, signal
        from awstwin.core.processes import stop_signals_held
        try:
            with stop_signals_held():
                os.kill(os.getpid(), signal.SIGINT)
                print("held", flush=True)
            print("lost", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["held", "interrupted"], done.stderr


def test_the_child_starts_with_its_stop_signals_unblocked(tmp_path: Path) -> None:
    log = tmp_path / "status.log"
    with stop_signals_held():  # as start_group defers them while it forks
        started = start_group(
            "probe", ["grep", "SigBlk", "/proc/self/status"], log, preexec=die_with_parent()
        )
        assert started.process is not None
        started.process.wait(timeout=30)
    blocked = int(log.read_text().split()[1], 16)
    assert blocked & (1 << (signal.SIGINT - 1) | 1 << (signal.SIGTERM - 1)) == 0, log.read_text()


def test_a_ctrl_c_during_the_start_stops_the_child_it_started() -> None:
    """The child itself sends the Ctrl-C while it is being started (from its preexec_fn): start_group
    raises KeyboardInterrupt and leaves no child behind, though its caller never got the process."""
    script = textwrap.dedent(
        """
        import os, signal
        from pathlib import Path
        from awstwin.core.processes import start_group
        def preexec():
            os.kill(os.getppid(), signal.SIGINT)
        try:
            start_group("probe", ["sleep", "61.2345"], Path(os.devnull), preexec=preexec)
            print("lost", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["interrupted"], done.stderr
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and b"61.2345" in _cmdline(p)]
    assert left == [], "the child outlived an interrupted start"


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
