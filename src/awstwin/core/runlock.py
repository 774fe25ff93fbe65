"""One run at a time per checkout: an OS lock (fcntl.flock) on `<state dir>/run.lock`.

    with run_lock(state_dir, "make run") as lock:   # raises LockHeld naming the holder
        ...

The kernel releases a flock when the last descriptor of its open file goes away, so a holder that is
killed (kill -9 included) never leaves the checkout locked. The file also says who holds it (pid,
since when, which command), for the message a second command prints. A clean release empties it, so
a lock taken over a file that still names someone means that holder died without releasing it: the
new holder reports that as `lock.took_over`.

The run's guardian (awstwin.core.guardian) shares the lock's open file: after a killed run the lock
stays held until the guardian has stopped what the run left, and a command started meanwhile waits
for that (`STALE_WAIT_SECONDS`) instead of racing the leftovers for ports and folders.

A process that already holds the lock of a state dir may take it again (nested: `make run`'s launch
and the runner both take it); only the outermost release lets it go.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from awstwin.core.processes import alive

LOCK_NAME = "run.lock"
STALE_WAIT_SECONDS = 60.0  # a dead holder's guardian stops its leftovers in seconds


class LockHeld(RuntimeError):
    """Another live command holds the checkout's lock; the message names it and what to do."""

    def __init__(self, message: str, holder: dict[str, object]):
        super().__init__(message)
        self.holder = holder


@dataclass
class HeldLock:
    path: Path
    fd: int
    holder: dict[str, object]
    took_over: str | None = None  # a note when the previous holder died holding it
    depth: int = 1


_held: dict[Path, HeldLock] = {}


def lock_path(state_dir: Path) -> Path:
    return Path(state_dir).resolve() / LOCK_NAME


def describe(holder: dict[str, object]) -> str:
    """`pid 123, since 2026-12-07 05:41:08 UTC (2 min ago), command `make run``."""
    since = ""
    started = holder.get("started_at")
    if isinstance(started, int | float):
        moment = datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        ago = max(0, int(time.time() - started))
        since = f", since {moment} ({ago // 60} min {ago % 60} s ago)"
    return f"pid {holder.get('pid')}{since}, command `{holder.get('command')}`"


def read_holder(path: Path) -> dict[str, object] | None:
    """What the lock file says about its holder (None when empty or unreadable)."""
    try:
        text = path.read_text().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def holder_of(state_dir: Path) -> dict[str, object] | None:
    """The live holder of the state dir's lock, without taking it (None when it is free or ours)."""
    path = lock_path(state_dir)
    if path in _held or not path.exists():
        return None
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return read_holder(path) or {"pid": "?", "command": "?"}
    finally:
        os.close(fd)  # closing drops the probe's lock too
    return None


def _held_message(path: Path, holder: dict[str, object], command: str) -> str:
    return (
        f"{command} refused: another command holds this checkout's lock ({path}): "
        f"{describe(holder)}. It leaves artifacts/run_report.json to that run. Wait for it to end, "
        f"or stop it (Ctrl-C in its terminal, or `kill {holder.get('pid')}`): the lock is released "
        "when it ends, however it ends."
    )


def _acquire(fd: int, path: Path, command: str) -> None:
    """Take the flock, waiting only while the holder is dead and its guardian is cleaning up."""
    deadline = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = read_holder(path) or {}
            pid = holder.get("pid")
            if isinstance(pid, int) and alive(pid):
                raise LockHeld(_held_message(path, holder, command), holder) from None
            # The holder is gone (or the file is being written): its guardian still holds the lock
            # while it stops the leftovers. Wait for that, within reason.
            deadline = deadline or time.monotonic() + STALE_WAIT_SECONDS
            if time.monotonic() > deadline:
                raise LockHeld(
                    f"{command} refused: the lock {path} is still held {STALE_WAIT_SECONDS:.0f} s after its "
                    f"holder ({describe(holder)}) ended; find the process that has it open "
                    f"(`fuser -v {path}`) and stop it",
                    holder,
                ) from None
            time.sleep(0.2)


@contextlib.contextmanager
def run_lock(state_dir: Path, command: str | None = None) -> Iterator[HeldLock]:
    """Hold the state dir's run lock for the block; raise LockHeld when a live command holds it."""
    path = lock_path(state_dir)
    held = _held.get(path)
    if held is not None:  # this process holds it already (an outer command)
        held.depth += 1
        try:
            yield held
        finally:
            held.depth -= 1
        return
    command = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, path, command)
    except BaseException:
        os.close(fd)
        raise
    previous = read_holder(path)
    took_over = None
    if previous and previous.get("pid") != os.getpid():
        took_over = (
            f"took over the run lock from a command that ended without releasing it (killed?): "
            f"{describe(previous)}; its processes were stopped by its guardian"
        )
    holder: dict[str, object] = {"pid": os.getpid(), "started_at": time.time(), "command": command}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
    held = HeldLock(path, fd, holder, took_over)
    _held[path] = held
    try:
        yield held
    finally:
        del _held[path]
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # a clean release: the next holder finds no one named
        os.close(fd)
