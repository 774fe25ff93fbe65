"""LocalStack 4.14.0 as a process on this machine, started the way docker-compose.yml starts its
`localstack` service, and stopped with everything it started.

    server = LocalStackServer(state_dir=STATE_DIR / "localstack", port=4566)
    server.start()          # returns once its ready hooks have all run and its services answer
    ...                     # S3, Logs, IAM, STS on server.url
    server.stop()

What it takes from the compose file (as Compose resolves it): the service's environment (SERVICES,
EAGER_SERVICE_LOADING, BUCKET, ...; LOCALSTACK_AUTH_TOKEN passes through from this environment as in
compose) and its read-only mounts under /etc/localstack (localstack/init/ready.d), which become links
under LocalStack's FILESYSTEM_ROOT, so LocalStack's own init-hook mechanism runs the hooks at READY and
reports them on /_localstack/init/ready, exactly as in the container. What the host adds is
`HOST_SETTINGS` (each with its reason) and per start the loopback address, the port and the folders.

Safety: it listens on 127.0.0.1 only; every file it writes (its state, caches, temp files, HOME) is
under `state_dir`; it leads its own process group, so a stop ends it and anything it started; when not
detached the kernel also stops it when the process that started it dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from awstwin.core import processes
from awstwin.core.parent_death import die_with_parent
from awstwin.core.ports import free_port, port_is_free
from awstwin.core.processes import ServiceError, Started
from awstwin.stack import compose
from awstwin.stack.localstack_host.install import Installation, ensure_installed

SERVICE = "localstack"  # the service's name in docker-compose.yml
MARKER = "localstack.runtime.main"  # in its command line: `is_ours` checks a recorded pid with it
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 120.0
START_ATTEMPTS = 2
GATEWAY_MISSED = "gave up waiting for gateway server to start"
SHUTDOWN_TIMEOUT_SECONDS = 10.0  # SIGTERM until the gateway closes
SHUTDOWN_GRACE_SECONDS = 1.0  # then, before SIGKILL
READY_PATH = "/_localstack/init/ready"
HEALTH_PATH = "/_localstack/health"
CONTAINER_CONFIG_DIR = "/etc/localstack/"  # mounts under it are configuration (init hooks)

# What the host needs that the container does not, and why (settings of LocalStack's config.py):
HOST_SETTINGS: dict[str, str] = {
    "OVERRIDE_IN_DOCKER": "0",  # this machine type has /.dockerenv: it would take container paths
    "LOCALSTACK_CLI": "0",  # the runtime, not the CLI's directory layout
    "GATEWAY_SERVER": "hypercorn",  # the default server binds 0.0.0.0 whatever GATEWAY_LISTEN says
    "PERSISTENCE": "0",  # like the compose stack: state lives as long as the process
    "DNS_ADDRESS": "0",  # no DNS server (it would listen on 0.0.0.0:53)
    "DISABLE_EVENTS": "1",  # no analytics events sent anywhere
    "SKIP_SSL_CERT_DOWNLOAD": "1",  # no certificate download at start: a self-signed one is made
    "DISABLE_DEPRECATION_NOTICE": "1",  # awslocal's banner in every hook's output
    "PYTHONUNBUFFERED": "1",
}


@dataclass
class LocalStackInfo:
    """A running LocalStack: recorded by `make up` so that `make down` can stop it."""

    url: str
    pid: int
    log: str
    state_dir: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compose_service(name: str = SERVICE) -> dict[str, Any]:
    """The service as Compose resolves docker-compose.yml (its environment interpolated from ours)."""
    try:
        return dict(compose.resolved_config()["services"][name])
    except compose.ComposeError as exc:
        raise ServiceError(f"cannot read docker-compose.yml's {name} service: {exc}") from exc


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _get_json(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.loads(response.read()) if response.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None


def healthy(url: str) -> bool:
    """True when a LocalStack answers its health page at `url`."""
    return _get_json(url.rstrip("/") + HEALTH_PATH) is not None


class GatewayStartMissed(ServiceError):
    """LocalStack's ready monitor gives its gateway 15 s to open its port (runtime.py), counted from
    before the server starts; on a loaded 2-core machine that can pass, and then its ready hooks never
    run although it serves. A second start (caches warm) makes it."""


class LocalStackServer:
    def __init__(
        self,
        state_dir: Path,
        port: int | None = None,
        installation: Installation | None = None,
        service: Mapping[str, Any] | None = None,
        echo: Callable[[str], None] = print,
    ):
        self.state_dir = state_dir.resolve()
        self.port = port or free_port(HOST)
        self.installation = installation
        self.service = dict(service) if service is not None else None
        self.echo = echo
        self.started: Started | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def filesystem_root(self) -> Path:
        return self.state_dir / "fs"

    @property
    def log(self) -> Path:
        return self.state_dir / "localstack.log"

    # ---- what it runs with ----------------------------------------------------------------------

    def environment(self, installation: Installation, service: Mapping[str, Any]) -> dict[str, str]:
        """The compose service's environment, then the host's settings, then this start's own."""
        folders = {name: self.state_dir / name for name in ("home", "cache")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        inherited = {
            key: os.environ[key] for key in ("LANG", "LC_ALL", "TZ", "JAVA_HOME") if key in os.environ
        }
        compose_env = {k: str(v) for k, v in (service.get("environment") or {}).items() if v is not None}
        return {
            **inherited,
            **compose_env,
            **HOST_SETTINGS,
            "PATH": f"{installation.bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "VIRTUAL_ENV": str(installation.venv),
            "GATEWAY_LISTEN": f"{HOST}:{self.port}",
            "LOCALSTACK_HOST": f"{HOST}:{self.port}",  # URLs it returns; awslocal in the hooks reads it too
            "FILESYSTEM_ROOT": str(self.filesystem_root),
            "HOME": str(folders["home"]),
            "XDG_CACHE_HOME": str(folders["cache"]),
        }

    def mount_configuration(self, service: Mapping[str, Any]) -> list[Path]:
        """The service's bind mounts under /etc/localstack (its init hooks) as links under
        FILESYSTEM_ROOT, where LocalStack on the host looks for them."""
        linked = []
        for mount in service.get("volumes") or []:
            target = str(mount.get("target", ""))
            if mount.get("type") != "bind" or not target.startswith(CONTAINER_CONFIG_DIR):
                continue
            link = self.filesystem_root / target.lstrip("/")
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(Path(mount["source"]), target_is_directory=True)
            linked.append(link)
        return linked

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self, detached: bool = False) -> LocalStackInfo:
        """Start it and wait until its ready hooks have run and its services answer; on failure stop
        it and raise ServiceError with the tail of its log."""
        if not port_is_free(HOST, self.port):
            raise ServiceError(
                f"port {self.port} is taken: another program listens on {HOST}:{self.port}. Stop it "
                "(`make down` if it is a stack started by `make up`), or choose another port"
            )
        installation = self.installation or ensure_installed(echo=self.echo)
        service = self.service if self.service is not None else compose_service()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.mount_configuration(service)
        argv = [str(installation.python), "-m", MARKER]
        env = self.environment(installation, service)
        began = time.monotonic()
        for attempt in range(1, START_ATTEMPTS + 1):
            self.started = processes.start_group(
                "LocalStack", argv, self.log, env=env, preexec=None if detached else die_with_parent()
            )
            try:
                self.wait_ready(service)
                break
            except GatewayStartMissed:
                self.stop()
                if attempt == START_ATTEMPTS:
                    raise
                self.echo("  localstack missed its own gateway-start window (a busy machine): starting again")
            except BaseException:
                self.stop()
                raise
        self.echo(
            f"  localstack {self.url} (LocalStack 4.14.0 on Python {installation.python_version}, "
            f"pid {self.info().pid}, ready in {time.monotonic() - began:.1f} s, log {self.log})"
        )
        return self.info()

    def info(self) -> LocalStackInfo:
        """What to record of the running server (`make down` stops it from that)."""
        assert self.started is not None, "not started"
        return LocalStackInfo(self.url, self.started.pid, str(self.log), str(self.state_dir))

    def wait_ready(self, service: Mapping[str, Any], timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Ready as the compose healthcheck says (every init hook ran, none failed) and every service of
        SERVICES running (a service that failed to load reports "error" while the gateway answers)."""
        assert self.started is not None
        wanted = [s.strip() for s in str((service.get("environment") or {}).get("SERVICES", "")).split(",")]
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        log_start = self.log.stat().st_size if self.log.exists() else 0
        while time.monotonic() < deadline:
            if GATEWAY_MISSED in _read_from(self.log, log_start):
                raise GatewayStartMissed(f"LocalStack gave up waiting for its gateway on {self.url}")
            if not self.started.running():
                raise ServiceError(
                    f"LocalStack exited before it was ready; last lines of {self.log}:\n"
                    f"{processes.log_tail(self.log)}"
                )
            ready = _get_json(self.url + READY_PATH)
            health = _get_json(self.url + HEALTH_PATH)
            if ready is not None and health is not None:
                failed = [s["name"] for s in ready.get("scripts", []) if s.get("state") == "ERROR"]
                if failed:
                    raise ServiceError(
                        f"LocalStack's ready hook(s) {', '.join(failed)} failed; their output is in "
                        f"{self.log}:\n{processes.log_tail(self.log)}"
                    )
                states = health.get("services", {})
                broken = {s: states.get(s) for s in wanted if s and states.get(s) == "error"}
                if broken:
                    raise ServiceError(
                        f"LocalStack could not load {', '.join(broken)}; last lines of {self.log}:\n"
                        f"{processes.log_tail(self.log)}"
                    )
                if ready.get("completed") and all(states.get(s) == "running" for s in wanted if s):
                    return
                last = f"init {ready}, services { ({s: states.get(s) for s in wanted if s}) }"
            time.sleep(0.25)
        raise ServiceError(
            f"LocalStack was not ready within {timeout:.0f} s ({last}); last lines of {self.log}:\n"
            f"{processes.log_tail(self.log)}"
        )

    def stop(self) -> None:
        """Stop it and everything in its process group; safe to call twice."""
        started, self.started = self.started, None
        if started is not None:
            stop_gracefully(started, self.port)


def stop_gracefully(started: Started | int, port: int) -> None:
    """SIGTERM, and once its gateway has closed (its shutdown hooks have run; with PERSISTENCE=0 there is
    nothing left to save) a short grace, then the whole group goes (`processes.stop_group`): after its
    shutdown LocalStack spends 3-15 s in the interpreter's final garbage collection, for nothing."""
    pid = started if isinstance(started, int) else started.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_SECONDS
    while time.monotonic() < deadline and processes.alive(pid) and not port_is_free(HOST, port):
        time.sleep(0.1)
    processes.stop_group(started, timeout=SHUTDOWN_GRACE_SECONDS)


def stop_recorded(info: LocalStackInfo | Mapping[str, Any]) -> list[str]:
    """Stop a LocalStack another process started (`make down`); returns what was stopped."""
    info = info if isinstance(info, LocalStackInfo) else LocalStackInfo(**info)
    port = int(info.url.rsplit(":", 1)[1])
    if processes.alive(info.pid) and processes.is_ours(info.pid, MARKER):
        stop_gracefully(info.pid, port)
        return [f"localstack (pid {info.pid})"]
    if processes.group_members(info.pid):
        processes.stop_group(info.pid)
        return [f"localstack's leftover processes (group {info.pid})"]
    return []
