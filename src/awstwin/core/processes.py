"""Child processes that can always be stopped: each in its own process group, logs in a file.

A service runs in a new session, so stopping it is one `killpg` for the service and everything it
started (a Glue job's Spark JVM, its Python workers). `stop_group` asks with SIGTERM, then insists
with SIGKILL; `is_ours` checks a recorded pid still runs what we started before anything is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from awstwin.core.parent_death import PRIVATE_UMASK


class ServiceError(RuntimeError):
    """A service did not start or answer; the message carries the tail of its log."""


@dataclass(frozen=True)
class Started:
    name: str
    pid: int  # also the process group id: the service leads its own group
    log: Path
    process: subprocess.Popen[bytes] | None = None  # set when this process started it

    def running(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return alive(self.pid)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP while stopping things, then act on them: a second Ctrl-C must not
    cut a shutdown in half and leave a process behind. Only the main thread can install handlers;
    elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    watched = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum)) for sig in watched}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in received[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                if signum == signal.SIGINT:
                    raise KeyboardInterrupt
                raise SystemExit(128 + signum)


def wait_until(done: Callable[[float], bool], slice_seconds: float = 0.25) -> None:
    """Block until `done(timeout)` returns True, in short slices.

    A signal the kernel hands to another thread does not interrupt a blocking wait in the main
    thread (Python runs the handler only when the main thread next runs bytecode); waiting in slices
    lets Ctrl-C and SIGTERM act within a fraction of a second whatever thread they landed on.
    """
    while not done(slice_seconds):
        pass


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start_group(
    name: str,
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> Started:
    """Start `argv` as the leader of a new process group, stdout and stderr appended to `log`."""
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    log.touch(mode=0o600)
    process = None
    try:
        with log.open("ab") as out, stop_signals_held(preexec is not None):
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
                preexec_fn=preexec,  # only prctl(), before exec
                umask=PRIVATE_UMASK,  # a service's files (state, logs, secrets) are its user's alone
            )
    except BaseException:  # a Ctrl-C deferred during the start: the caller never gets the process
        if process is not None:
            stop_group(process.pid, timeout=5.0)
            process.wait()
        raise
    return Started(name=name, pid=process.pid, log=log, process=process)


@contextmanager
def stop_signals_held(hold: bool = True) -> Iterator[None]:
    """Defer Ctrl-C, SIGTERM and SIGHUP while this process starts a child with a `preexec_fn`.

    Python runs its os.register_at_fork callbacks (logging's lock handling) around such a fork and
    swallows any exception raised in them: a Ctrl-C that Python handles there (it may land on any
    thread and be handled at the next callback) is lost, logging's lock can stay taken, and the run
    carried on, or hung, as if never interrupted. Deferred here (a handler that only records), the
    signal acts as usual once the child has started."""
    if not hold:
        yield
        return
    with signals_deferred():
        yield


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _state(pid) not in ("Z", "X", "")


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def is_ours(pid: int, marker: str) -> bool:
    """True when `pid` runs a command line containing `marker` (never kill a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmdline


def _members(field: int, ident: int) -> list[int]:
    """Live (non-zombie) processes whose /proc stat `field` (2: process group, 3: session) is `ident`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[field]) == ident and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, read from /proc."""
    return _members(2, pgid)


def session_members(sid: int) -> list[int]:
    """Live processes of a session: a service started by `start_group` leads one, and processes that
    moved to a process group of their own (Airflow's task runners do) are still in it."""
    return _members(3, sid)


def stop_group(started: Started | int, timeout: float = 10.0) -> None:
    """SIGTERM the whole group, wait up to `timeout`, then SIGKILL whatever is left; reap our child."""
    pgid = started if isinstance(started, int) else started.pid
    process = None if isinstance(started, int) else started.process
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process is not None:
                process.poll()
            if not group_members(pgid):
                break
            time.sleep(0.05)
        else:
            continue
        break
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def stop_sessions(leaders: Sequence[Started | int], timeout: float = 10.0) -> None:
    """Stop several services at once with everything in their sessions, including processes in
    process groups of their own: SIGTERM all, wait up to `timeout` for all, then SIGKILL what is left."""
    sids = [leader if isinstance(leader, int) else leader.pid for leader in leaders]
    children = [leader.process for leader in leaders if isinstance(leader, Started) and leader.process]

    def left() -> list[int]:
        for child in children:
            child.poll()  # reap our own children, or they stay zombies that count as gone anyway
        return [pid for sid in sids for pid in session_members(sid)]

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        for sid in sids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(sid, sig)
        for pid in left():  # members outside the leader's group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while left() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not left():
            break
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def wait_http(url: str, started: Started, timeout: float) -> None:
    """Poll `url` until it answers 200; fail early, with the log's tail, if the process dies."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if not started.running():
            raise ServiceError(
                f"{started.name} exited before answering {url}; last lines of {started.log}:\n"
                f"{log_tail(started.log)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        time.sleep(0.1)
    raise ServiceError(
        f"{started.name} did not answer {url} within {timeout:.0f} s ({last_error}); "
        f"last lines of {started.log}:\n{log_tail(started.log)}"
    )
