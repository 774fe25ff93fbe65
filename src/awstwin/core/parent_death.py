"""Child processes that die with the process that started them (Linux's PR_SET_PDEATHSIG).

    subprocess.Popen(argv, preexec_fn=die_with_parent, start_new_session=True)

A child in its own process group (so a stop can kill the whole group) is out of reach of a signal sent
to its parent's group; if the parent is SIGKILLed nothing would ever stop it. `die_with_parent` asks
the kernel to send the child SIGTERM when its parent goes away.

The kernel's "parent" is the THREAD that forked the child: the child is signalled when that thread
exits, even if the process lives on. Start such children from a thread that outlives them (the
endpoint starts a Glue job run on the run's own thread, which waits for the process to end), never
from a short-lived request thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
# Files 0600 and folders 0700: what a run writes (S3 objects, zones, the warehouse, Airflow's home,
# logs, reports) holds data or secrets. Children get it with `Popen(umask=PRIVATE_UMASK)`; the
# program's own entry points set it for themselves with `keep_files_private()`.
PRIVATE_UMASK = 0o077


def _load_prctl() -> Callable[..., int] | None:
    # Resolved in the parent: loading a library after fork() in a threaded process can deadlock.
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):  # not Linux: children simply do not get the signal
        return None


_PRCTL = _load_prctl()


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` that makes the child receive `sig` when the thread that started it dies."""
    parent = os.getpid()

    def preexec() -> None:
        if _PRCTL is None:
            return
        _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return preexec


def keep_files_private() -> int:
    """Make every file this process and its children create private to the user (PRIVATE_UMASK); for
    a program's entry point, not for a library. Returns the umask it replaces."""
    return os.umask(PRIVATE_UMASK)


def supported() -> bool:
    """True where the kernel can signal a child when its parent dies (Linux)."""
    return _PRCTL is not None
