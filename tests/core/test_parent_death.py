"""parent_death.die_with_parent: a child in its own session still dies with the one that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from awstwin.core import parent_death

pytestmark = pytest.mark.skipif(not parent_death.supported(), reason="PR_SET_PDEATHSIG is Linux-only")


def gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().split(")")[-1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_sigkilled_parent_takes_its_child_along():
    """The middle process starts a sleeper in a new session, prints its pid, and is SIGKILLed."""
    middle = textwrap.dedent(
        """
        import subprocess, sys, time
        from awstwin.core.parent_death import die_with_parent
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"],
            start_new_session=True, preexec_fn=die_with_parent(),
        )
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", middle], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert not gone(child, timeout=0.3)
    parent.kill()
    parent.wait()
    assert gone(child), "the child outlived its SIGKILLed parent"


def test_without_it_the_child_survives():
    """The control: without die_with_parent the same child outlives its parent."""
    middle = textwrap.dedent(
        """
        import subprocess, sys, time
        argv = [sys.executable, "-c", "import time; time.sleep(60)"]
        child = subprocess.Popen(argv, start_new_session=True)
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", middle], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    try:
        assert not gone(child, timeout=1)
    finally:
        os.kill(child, signal.SIGKILL)
