"""Install LocalStack 4.14.0 once into the project's own ignored environment, from its own lock.

    installation = ensure_installed(echo=print)   # seconds when installed; a few minutes the first time

The environment is `.venv-localstack/` at the checkout's root (AWSTWIN_LOCALSTACK_VENV overrides it),
made with the Python 3.13 `toolchain.find_python` finds, filled with exactly the pinned, hashed
packages of localstack/host/requirements.txt (uv when there is one, else pip). A marker file records
the lock's hash: the install is reused while the lock is unchanged, redone when it changes, and two
processes installing at once take turns (a file lock). Like `.venv`, `make clean` keeps it.

A registry that does not answer fails the install with `InstallError.registry_unreachable` set, so a
caller (the test tier) can say so instead of failing.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from awstwin.core.filelock import exclusive
from awstwin.core.paths import PROJECT_DIR
from awstwin.stack.localstack_host.toolchain import FoundPython, find_python, find_uv, version_of

LOCALSTACK_VERSION = "4.14.0"
LOCK_FILE = PROJECT_DIR / "localstack" / "host" / "requirements.txt"
VENV_VARIABLE = "AWSTWIN_LOCALSTACK_VENV"
MARKER_NAME = ".awstwin-installed.json"
NETWORK_TIMEOUT_SECONDS = 60
HEARTBEAT_SECONDS = 15.0
# What uv and pip print when the package registry does not answer (DNS, refused, timed out, offline).
UNREACHABLE_MARKERS = (
    "dns error",
    "failed to lookup address",
    "error sending request",
    "connection refused",
    "network is unreachable",
    "temporary failure in name resolution",
    "name or service not known",
    "timed out",
    "newconnectionerror",
    "max retries exceeded",
    "failed to establish a new connection",
    "offline mode",
)


class InstallError(RuntimeError):
    """The install failed; `registry_unreachable` when the package registry did not answer."""

    def __init__(self, message: str, registry_unreachable: bool = False):
        super().__init__(message)
        self.registry_unreachable = registry_unreachable


@dataclass(frozen=True)
class Installation:
    venv: Path
    python_version: str

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.venv / "bin"


def venv_dir() -> Path:
    configured = os.environ.get(VENV_VARIABLE)
    return Path(configured).resolve() if configured else PROJECT_DIR / ".venv-localstack"


def lock_digest(lock: Path = LOCK_FILE) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()


def installed(venv: Path | None = None, lock: Path = LOCK_FILE) -> Installation | None:
    """The finished install when its marker matches the lock and its Python still runs, else None."""
    venv = venv or venv_dir()
    try:
        marker = json.loads((venv / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None
    if marker.get("lock_sha256") != lock_digest(lock):
        return None
    version = version_of(venv / "bin" / "python")
    if version is None or version != marker.get("python_version"):
        return None
    return Installation(venv=venv, python_version=version)


def ensure_installed(
    venv: Path | None = None, lock: Path = LOCK_FILE, echo: Callable[[str], None] = print
) -> Installation:
    """The install, made now if it is missing or stale (see the module's docstring)."""
    venv = venv or venv_dir()
    found = installed(venv, lock)
    if found is not None:
        return found
    with exclusive(venv.parent / f"{venv.name}.lock"):  # one installer per environment
        found = installed(venv, lock)  # another process may have finished it while we waited
        if found is not None:
            return found
        python = find_python()
        return _install(python, venv, lock, echo)


def _install(python: FoundPython, venv: Path, lock: Path, echo: Callable[[str], None]) -> Installation:
    uv = find_uv()
    packages = sum(1 for line in lock.read_text().splitlines() if "==" in line and not line.startswith("#"))
    how = "uv" if uv else "pip (2.5-4 minutes; with uv it takes seconds)"
    echo(
        f"installing LocalStack {LOCALSTACK_VERSION} ({packages} pinned packages from "
        f"{_shown(lock)}) into {_shown(venv)} with Python {python.version} ({python.where}) using {how}; "
        "once, reused until the lock changes"
    )
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    env = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_HTTP_TIMEOUT": str(NETWORK_TIMEOUT_SECONDS),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "VIRTUAL_ENV": str(venv),
    }
    env.pop("PYTHONPATH", None)
    if uv is not None:
        steps = [
            [str(uv), "venv", "--quiet", "--python", str(python.path), str(venv)],
            [str(uv), "pip", "sync", "--compile-bytecode", "--require-hashes"]
            + ["--python", str(venv / "bin" / "python"), str(lock)],
        ]
    else:
        steps = [
            [str(python.path), "-m", "venv", str(venv)],
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--require-hashes",
                "--progress-bar",
                "off",
                "--timeout",
                str(NETWORK_TIMEOUT_SECONDS),
                "--retries",
                "2",
                "-r",
                str(lock),
            ],
        ]
    for argv in steps:
        _run_step(argv, env, packages, started, echo)
    version = version_of(venv / "bin" / "python") or python.version
    marker = {
        "lock_sha256": lock_digest(lock),
        "python_version": version,
        "python": str(python.path),
        "installer": "uv" if uv else "pip",
        "seconds": round(time.monotonic() - started, 1),
    }
    (venv / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")
    echo(f"installed LocalStack {LOCALSTACK_VERSION} in {marker['seconds']} s")
    return Installation(venv=venv, python_version=version)


def _run_step(
    argv: list[str], env: dict[str, str], packages: int, started: float, echo: Callable[[str], None]
) -> None:
    """Run one installer command, echoing its progress (a line per package, and a heartbeat while it
    unpacks and compiles in silence); raise InstallError with its last lines when it fails."""
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None
    seen = 0
    output: list[str] = []
    quiet_since = time.monotonic()
    for line in _lines(process, HEARTBEAT_SECONDS):
        elapsed = time.monotonic() - started
        if line is None:  # nothing said for a while
            if time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                echo(f"  still installing ({elapsed:.0f} s)")
                quiet_since = time.monotonic()
            continue
        quiet_since = time.monotonic()
        output.append(line)
        if line.startswith("Collecting "):  # pip: one per package it fetches
            seen += 1
            name = line[len("Collecting ") :].split(" (from", 1)[0]
            echo(f"  [{seen} of {packages} pins, {elapsed:.0f} s] {name}")
        elif line.startswith(("Resolved ", "Prepared ", "Installed ", "Successfully installed", "error")):
            echo(f"  {line[:160]} ({elapsed:.0f} s)")
    code = process.wait()
    if code != 0:
        text = "\n".join(output[-30:])
        unreachable = any(marker in text.lower() for marker in UNREACHABLE_MARKERS)
        why = "the package registry did not answer" if unreachable else f"exit {code}"
        raise InstallError(
            f"installing LocalStack {LOCALSTACK_VERSION} failed ({why}): `{' '.join(argv[:4])} ...`\n{text}",
            registry_unreachable=unreachable,
        )


def _lines(process: subprocess.Popen[bytes], timeout: float) -> Iterator[str | None]:
    """The process's output lines; None whenever `timeout` seconds pass without one."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    pending = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            yield None
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            if pending:
                yield pending.decode(errors="replace").rstrip()
            return
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield raw.decode(errors="replace").rstrip()


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)
