"""The S3 servers the bench compares, each started the way its users start it, on a free port.

- awstwin: `python -m awstwin.endpoint` (its own process, as every stack runs it);
- moto: `python -m moto.server` from the same venv (moto[server] is a dependency);
- LocalStack 4.14.0 on the host (the `localstack` stack's install, `.venv-localstack/`), S3 only.
Every one is stopped with its whole process group when its `with` block ends.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

from awstwin.bench.process_tree import cpu_seconds
from awstwin.core import processes
from awstwin.core.ports import free_port

HOST = "127.0.0.1"
READY_TIMEOUT = 120.0


class Unavailable(RuntimeError):
    """A baseline that cannot run on this machine; the message says why (the comparison is skipped)."""


@dataclass
class Server:
    name: str
    url: str
    started: processes.Started
    seconds_to_ready: float
    cpu_to_ready: float = 0.0  # CPU seconds the server used until then (what an idle core would take)

    def pid(self) -> int:
        return self.started.pid


def s3_client(url: str, **config: object):  # noqa: ANN201
    """The same boto3 client for every server: path-style, test credentials, few retries."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}, **config),
    )


def wait_first_answer(url: str, started: processes.Started, timeout: float = READY_TIMEOUT) -> float:
    """Seconds until `ListBuckets` answers (what a client waits for), polling every 10 ms."""
    client = s3_client(url, connect_timeout=1, read_timeout=5)
    began = time.perf_counter()
    while True:
        try:
            client.list_buckets()
            return time.perf_counter() - began
        except Exception:  # noqa: BLE001 - not up yet: connection refused, 5xx while it loads
            if not started.running():
                raise Unavailable(
                    f"{started.name} exited before answering; last lines of {started.log}:\n"
                    f"{processes.log_tail(started.log)}"
                ) from None
            if time.perf_counter() - began > timeout:
                raise Unavailable(f"{started.name} did not answer within {timeout:.0f} s") from None
            time.sleep(0.01)


@contextlib.contextmanager
def _folder(prefix: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _serve(name: str, argv: Callable[[int, Path], list[str]], env: dict[str, str] | None = None):  # noqa: ANN202
    @contextlib.contextmanager
    def serve() -> Iterator[Server]:
        with _folder(f"awstwin-bench-{name}-") as folder:
            port = free_port(HOST)
            began = time.perf_counter()
            started = processes.start_group(name, argv(port, folder), folder / "server.log", env=env)
            try:
                wait_first_answer(f"http://{HOST}:{port}", started)
                ready = time.perf_counter() - began
                yield Server(name, f"http://{HOST}:{port}", started, ready, cpu_seconds(started.pid))
            finally:
                processes.stop_group(started)

    return serve


def _endpoint_argv(port: int, folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "awstwin.endpoint",
        "--port",
        str(port),
        "--state-dir",
        str(folder / "state"),
    ]


def _moto_argv(port: int, folder: Path) -> list[str]:
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


awstwin_endpoint = _serve("awstwin", _endpoint_argv)
moto_server = _serve("moto", _moto_argv)


def moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


@contextlib.contextmanager
def localstack_server() -> Iterator[Server]:
    """LocalStack 4.14.0 on the host (the `localstack` stack's install and host settings), S3 only,
    ready at its first ListBuckets answer; Unavailable when it cannot be installed or started."""
    reason = localstack_unavailable()
    if reason is not None:
        raise Unavailable(reason)
    with _localstack_process() as (url, started, seconds):
        yield Server("localstack", url, started, seconds, cpu_seconds(started.pid))


@contextlib.contextmanager
def _localstack_process() -> Iterator[tuple[str, processes.Started, float]]:
    from awstwin.stack.localstack_host.install import ensure_installed
    from awstwin.stack.localstack_host.server import MARKER, LocalStackServer

    installation = ensure_installed(echo=lambda _line: None)
    service = {"environment": {"SERVICES": "s3", "EAGER_SERVICE_LOADING": "1"}}
    with _folder("awstwin-bench-localstack-") as folder:
        server = LocalStackServer(folder, installation=installation, service=service, echo=lambda _l: None)
        env = server.environment(installation, service)
        argv = [str(installation.python), "-m", MARKER]
        started = processes.start_group("localstack", argv, folder / "localstack.log", env=env)
        try:
            seconds = wait_first_answer(server.url, started)
            yield server.url, started, seconds
        finally:
            processes.stop_group(started)


def localstack_unavailable() -> str | None:
    """Why LocalStack cannot run here (installing it first if needed), or None when it can."""
    from awstwin.stack.localstack_host.install import InstallError, ensure_installed
    from awstwin.stack.localstack_host.toolchain import NoSuitablePython

    try:
        ensure_installed(echo=lambda line: print(f"  {line}", flush=True))
    except (InstallError, NoSuitablePython) as exc:
        return f"LocalStack 4.14.0 cannot be installed here: {exc}"
    return None


def localstack_cold_start() -> tuple[float, float]:
    """(seconds, CPU seconds) from starting LocalStack (S3 only, installed beforehand) to its first
    ListBuckets answer."""
    with _localstack_process() as (_url, started, seconds):
        return seconds, cpu_seconds(started.pid)
