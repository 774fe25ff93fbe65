"""LocalStack 4.14.0 on the host (awstwin.stack.localstack_host): found Python, one-time install from
its own lock, started with docker-compose.yml's settings and ready hooks, loopback only, stopped with
everything it started, also when the process that started it is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import clients_for
from tests.containers.stacks import healthcheck
from tests.stack.localstack_support import installed_or_skip

from awstwin.core import processes
from awstwin.stack.localstack_host import install, toolchain
from awstwin.stack.localstack_host.server import LocalStackServer, compose_service, stop_recorded

BIN = Path(sys.executable).parent


# ---------------------------------------------------------------------------------------------------
# finding Python 3.13


def test_a_python_313_is_found_or_the_message_says_where_we_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pyenv shim on PATH that does not run (its version is not selected) is reported, not used."""
    shims = tmp_path / "bin"
    shims.mkdir()
    shim = shims / "python3.13"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(toolchain.OVERRIDE_VARIABLE, raising=False)
    monkeypatch.setattr(toolchain, "find_uv", lambda: None)
    with pytest.raises(toolchain.NoSuitablePython) as caught:
        toolchain.find_python()
    message = str(caught.value)
    assert f"PATH python3.13 ({shim}): does not run" in message
    assert "PATH python3: not found" in message
    assert "pyenv: no 3.13* version installed" in message
    assert "pyenv install 3.13" in message and "apt-get install python3.13" in message
    assert toolchain.OVERRIDE_VARIABLE in message


def test_the_override_variable_names_the_python_to_use(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        found = toolchain.find_python()
    except toolchain.NoSuitablePython as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv(toolchain.OVERRIDE_VARIABLE, str(found.path))
    again = toolchain.find_python()
    assert again.path == found.path and again.where.startswith(toolchain.OVERRIDE_VARIABLE)
    assert again.version.startswith("3.13.")
    monkeypatch.setenv(toolchain.OVERRIDE_VARIABLE, sys.executable)  # 3.11: not suitable, looked past
    assert toolchain.find_python().path == found.path


# ---------------------------------------------------------------------------------------------------
# the install


def test_the_lock_pins_every_package_with_hashes() -> None:
    lines = install.LOCK_FILE.read_text().splitlines()
    pins = [line.split(" ")[0] for line in lines if line and not line.startswith((" ", "#"))]
    assert "localstack-core==4.14.0" in pins and "awscli-local" in {p.split("==")[0] for p in pins}
    assert all("==" in pin for pin in pins), pins
    hashes = sum(1 for line in lines if line.strip().startswith("--hash=sha256:"))
    assert hashes >= len(pins)


@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_the_install_is_made_once_and_reused_until_the_lock_changes(tmp_path: Path) -> None:
    installation = installed_or_skip()
    marker = installation.venv / install.MARKER_NAME
    before = marker.stat().st_mtime_ns
    said: list[str] = []
    again = install.ensure_installed(echo=said.append)
    assert again == installation and said == [] and marker.stat().st_mtime_ns == before
    changed = tmp_path / "requirements.txt"
    changed.write_text(install.LOCK_FILE.read_text() + "# changed\n")
    assert install.installed(installation.venv, install.LOCK_FILE) == installation
    assert install.installed(installation.venv, changed) is None  # a new lock means a new install


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
@pytest.mark.slow  # an install attempt in a namespace without network
def test_a_registry_that_does_not_answer_is_said_so(tmp_path: Path) -> None:
    """In a network namespace with no network and an empty uv cache, the install fails saying the
    registry did not answer (the test tier skips on that instead of failing)."""
    if toolchain.find_uv() is None:
        pytest.skip("uv is not here; pip's messages are classified the same way")
    installed_or_skip()  # a Python 3.13 exists
    script = (
        "import json; from pathlib import Path\n"
        "from awstwin.stack.localstack_host.install import InstallError, ensure_installed\n"
        "try:\n"
        f"    ensure_installed(Path({str(tmp_path / 'venv')!r}), echo=lambda _: None)\n"
        "    print(json.dumps({'installed': True}))\n"
        "except InstallError as exc:\n"
        "    print(json.dumps({'unreachable': exc.registry_unreachable, 'message': str(exc)}))\n"
    )
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "empty-cache"), "UV_HTTP_TIMEOUT": "5"}
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result.get("unreachable") is True, result
    assert "the package registry did not answer" in result["message"]
    assert not (tmp_path / "venv" / install.MARKER_NAME).exists()


# ---------------------------------------------------------------------------------------------------
# the server


@pytest.fixture(scope="module")
def server() -> Iterator[LocalStackServer]:
    installation = installed_or_skip()
    state = Path(tempfile.mkdtemp(prefix="awstwin-localstack-host-"))
    started = LocalStackServer(state / "localstack", installation=installation, echo=print)
    started.start()
    yield started
    started.stop()
    shutil.rmtree(state, ignore_errors=True)


def _client(server: LocalStackServer, service: str) -> Any:
    return clients_for(server.url)(service)


@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_it_runs_the_compose_files_ready_hooks_through_its_own_init_mechanism(
    server: LocalStackServer,
) -> None:
    with urllib.request.urlopen(server.url + "/_localstack/init/ready", timeout=10) as response:
        ready = json.loads(response.read())
    assert ready["completed"] is True
    hooks = sorted(p.name for p in (install.PROJECT_DIR / "localstack" / "init" / "ready.d").glob("*.sh"))
    assert [(s["name"], s["state"]) for s in ready["scripts"]] == [(h, "SUCCESSFUL") for h in hooks]
    bucket = compose_service()["environment"]["BUCKET"]  # the hook creates the profile's bucket
    assert bucket in {b["Name"] for b in _client(server, "s3").list_buckets()["Buckets"]}
    if shutil.which("curl"):  # the compose file's own healthcheck, run here as Docker would run it
        healthcheck(compose_service(), {4566: server.port}, dict(os.environ), 30)


@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_it_serves_the_services_the_compose_file_names(server: LocalStackServer) -> None:
    services = compose_service()["environment"]["SERVICES"].split(",")
    assert sorted(services) == ["iam", "logs", "s3", "sts"]
    assert _client(server, "sts").get_caller_identity()["Account"] == "000000000000"
    _client(server, "iam").list_roles()
    logs = _client(server, "logs")
    logs.create_log_group(logGroupName="/awstwin/test")
    assert logs.describe_log_groups(logGroupNamePrefix="/awstwin/")["logGroups"]
    s3 = _client(server, "s3")
    s3.put_object(Bucket="awstwin-student-performance", Key="a/b.txt", Body=b"hello")
    assert s3.get_object(Bucket="awstwin-student-performance", Key="a/b.txt")["Body"].read() == b"hello"
    with urllib.request.urlopen(server.url + "/_localstack/health", timeout=10) as response:
        health = json.loads(response.read())
    assert health["version"] == "4.14.0"
    assert {health["services"][s] for s in services} == {"running"}


def _listening(pids: set[int]) -> list[str]:
    """Local addresses the given processes listen on (TCP and UDP), read with `ss`."""
    out = subprocess.run(["ss", "-H", "-ltunp"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        if any(f"pid={pid}," in line for pid in pids):
            found.append(line.split()[4])
    return found


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_it_listens_on_loopback_only(server: LocalStackServer) -> None:
    assert server.started is not None
    addresses = _listening(set(processes.session_members(server.started.pid)))
    assert f"127.0.0.1:{server.port}" in addresses
    assert all(a.startswith(("127.", "[::1]")) for a in addresses), addresses


@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_its_files_stay_in_its_state_folder(server: LocalStackServer) -> None:
    """Its caches and HOME are in the state folder; the init hooks are linked, read from the repo."""
    assert any((server.state_dir / "cache").iterdir())  # plux's entry-point cache
    link = server.filesystem_root / "etc" / "localstack" / "init" / "ready.d"
    assert link.is_symlink() and link.resolve() == (install.PROJECT_DIR / "localstack/init/ready.d").resolve()


@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_it_stops_with_everything_it_started(tmp_path: Path) -> None:
    installation = installed_or_skip()
    server = LocalStackServer(tmp_path / "ls", installation=installation, echo=lambda _: None)
    info = server.start(detached=True)
    assert stop_recorded(info) == [f"localstack (pid {info.pid})"]  # how `make down` stops it
    assert not processes.group_members(info.pid)
    assert stop_recorded(info) == []


@pytest.mark.network  # installs LocalStack from the registry on first use (installed_or_skip)
@pytest.mark.slow
def test_it_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    """SIGKILL the starter: the kernel sends LocalStack SIGTERM (PR_SET_PDEATHSIG) and it goes."""
    installed_or_skip()
    script = (
        "import sys, threading\nfrom pathlib import Path\n"
        "from awstwin.stack.localstack_host.server import LocalStackServer\n"
        f"s = LocalStackServer(Path({str(tmp_path / 'ls')!r}), echo=lambda _: None)\n"
        "info = s.start()\nprint(info.pid, s.port, flush=True)\nthreading.Event().wait()\n"
    )
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pid = 0
    try:
        assert starter.stdout is not None
        pid = int(starter.stdout.readline().split()[0])
        assert processes.alive(pid) and processes.is_ours(pid, "localstack.runtime.main")
        starter.send_signal(signal.SIGKILL)
        starter.wait()
        # its own shutdown, then the interpreter's final GC: 3-15 s idle, over 120 s twice in CI at
        # load 6-7 (nobody SIGKILLs it on this path); a deadline, not a measure of speed
        deadline = time.monotonic() + 600
        while processes.group_members(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not processes.group_members(pid)
    finally:
        starter.kill()
        starter.wait()
        if pid and processes.group_members(pid):
            processes.stop_group(pid)
