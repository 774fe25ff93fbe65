"""The compose healthchecks run here as Docker would run them (the Airflow services' and the warehouse's
run against real processes in tests/containers, compose-processes): the emulator's against a real
endpoint, LocalStack's against the answers its init endpoint gives (`/_localstack/init/ready`, as
documented: `completed` plus each script's state), each also where it must fail."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from awstwin.core.ports import free_port


def _argv(service: dict[str, Any], container_port: int, local_port: int) -> list[str]:
    test = [
        part.replace("$$", "$").replace(f"127.0.0.1:{container_port}", f"127.0.0.1:{local_port}")
        for part in service["healthcheck"]["test"]
    ]
    return test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]


def _passes(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0


def test_the_emulator_healthcheck_passes_on_a_running_endpoint_only(
    services: dict[str, Any], endpoint: Any
) -> None:
    assert _passes(_argv(services["emulator"], 4566, endpoint.port))
    assert not _passes(_argv(services["emulator"], 4566, free_port()))


class _InitReady(BaseHTTPRequestHandler):
    body: dict[str, Any] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != "/_localstack/init/ready":
            self.send_error(404)
            return
        raw = json.dumps(type(self).body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def init_ready() -> Iterator[tuple[int, type[_InitReady]]]:
    handler = type("Handler", (_InitReady,), {"body": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def _script(state: str) -> dict[str, str]:
    return {"stage": "READY", "name": "10-create-bucket.sh", "state": state}


@pytest.mark.parametrize(
    ("body", "healthy"),
    [
        ({"completed": True, "scripts": [_script("SUCCESSFUL")]}, True),
        ({"completed": False, "scripts": [_script("RUNNING")]}, False),
        ({"completed": True, "scripts": [_script("ERROR")]}, False),
    ],
    ids=["hooks-done", "hooks-running", "a-hook-failed"],
)
def test_the_localstack_healthcheck_waits_for_the_ready_hooks(
    services: dict[str, Any], init_ready: tuple[int, type[_InitReady]], body: dict[str, Any], healthy: bool
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed here (the LocalStack image has it)")
    port, handler = init_ready
    handler.body = body
    assert _passes(_argv(services["localstack"], 4566, port)) is healthy


def test_the_localstack_healthcheck_fails_when_nothing_answers(services: dict[str, Any]) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed here (the LocalStack image has it)")
    assert not _passes(_argv(services["localstack"], 4566, free_port()))
