"""Every process a run starts ends with the run, however the run ends (kill -9 included).

    with guarded_run(lock_fd) as marker:   # children started in the block carry the marker
        ...

`guarded_run` puts `AWSTWIN_RUN_OWNER=<random token>` in this process's environment, so every process
the run starts inherits it, and their children in turn, whatever session or process group they move
to and whichever thread started them: the endpoint, the Redshift front, Postgres (pg_ctl detaches
it), Airflow's `dag.test()` child and its helpers (`airflow db migrate`), a Glue job's Python
driver, Spark JVM and Python workers. It also starts the guardian, `python -m awstwin.core.guardian`,
in a session of its own (Ctrl-C to the run's terminal does not reach it), holding the read end of a
pipe whose write end only the run holds. When the run ends, cleanly or killed, the pipe reaches
end-of-file and the guardian stops every process whose environment carries the token (SIGTERM, then
SIGKILL after a grace), found by walking /proc, then exits.

The guardian also holds the run lock's open file (awstwin.core.runlock): a killed run's lock stays
held until its leftovers are gone, so the next command never races them for ports and folders.
(Linux: /proc; elsewhere the guardian finds nothing and only the normal shutdown applies.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

MARKER_VARIABLE = "AWSTWIN_RUN_OWNER"
GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL: Postgres and the endpoint stop cleanly in that
SWEEP_SECONDS = 30.0  # a run's leftovers that keep spawning are swept again until this is spent
GUARDIAN_EXIT_SECONDS = GRACE_SECONDS + SWEEP_SECONDS


def marked(marker: str, exclude: frozenset[int] = frozenset()) -> list[int]:
    """Live processes whose environment has AWSTWIN_RUN_OWNER=`marker` (zombies are gone already)."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:80]
    except OSError:
        return "?"


def sweep(marker: str, grace: float = GRACE_SECONDS, budget: float = SWEEP_SECONDS) -> dict[int, str]:
    """Stop every process carrying `marker`: SIGTERM, wait up to `grace`, SIGKILL; again while new
    ones appear, within `budget` seconds. Returns the processes it signalled: {pid: command line}."""
    me = frozenset({os.getpid()})
    signalled: dict[int, str] = {}
    deadline = time.monotonic() + budget
    while (left := marked(marker, me)) and time.monotonic() < deadline:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in left:
                signalled.setdefault(pid, _name(pid))
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            wait_until = time.monotonic() + (grace if sig == signal.SIGTERM else 2.0)
            while (left := marked(marker, me)) and time.monotonic() < wait_until:
                time.sleep(0.1)
            if not left:
                break
    return signalled


@contextlib.contextmanager
def guarded_run(lock_fd: int | None = None) -> Iterator[str]:
    """Mark the processes started in the block and have the guardian stop them when this process ends
    (at the block's end, or at its death). Yields the marker."""
    marker = secrets.token_hex(8)
    previous = os.environ.get(MARKER_VARIABLE)
    os.environ[MARKER_VARIABLE] = marker
    read_end, write_end = os.pipe()  # both close-on-exec; the guardian gets the read end alone
    keep = (read_end,) + ((lock_fd,) if lock_fd is not None else ())
    env = {name: value for name, value in os.environ.items() if name != MARKER_VARIABLE}
    guardian = subprocess.Popen(
        [sys.executable, "-m", "awstwin.core.guardian", marker, str(read_end)],
        stdin=subprocess.DEVNULL,
        env=env,  # the guardian is not one of the run's processes: it must not sweep itself
        pass_fds=keep,
        start_new_session=True,
    )
    os.close(read_end)
    try:
        yield marker
    finally:
        if previous is None:
            os.environ.pop(MARKER_VARIABLE, None)
        else:
            os.environ[MARKER_VARIABLE] = previous
        os.close(write_end)  # the guardian sweeps now: leftovers of a clean end (if any) stop too
        with contextlib.suppress(subprocess.TimeoutExpired):
            guardian.wait(timeout=GUARDIAN_EXIT_SECONDS + 10)


def main(argv: list[str] | None = None) -> int:
    """`python -m awstwin.core.guardian <marker> <fd>`: wait for end-of-file on fd, then sweep."""
    marker, fd = (argv if argv is not None else sys.argv[1:])[:2]
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        while os.read(int(fd), 4096):
            pass
    stopped = sweep(marker)
    if stopped:
        with contextlib.suppress(OSError):  # the run's terminal or pipe may be gone with it
            for pid, command in sorted(stopped.items()):
                print(f"awstwin guardian: stopped leftover {pid}: {command}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
