"""The `localstack` stack: docker-compose.yml's AWS services as processes on this machine, no Docker.

    with LocalStackStack(profile, state_dir) as stack:     # or .start(detached=True) for `make up`
        stack.info.aws_urls   # {"*": LocalStack, "glue"/"athena"/"secretsmanager": the emulator}

- compose's `localstack`: LocalStack 4.14.0 on the host (awstwin.stack.localstack_host) for S3, Logs,
  IAM and STS, on the profile's AWS_ENDPOINT_URL, with the service's environment and ready hooks;
- `emulator`: `python -m awstwin.endpoint` with the service's environment (its S3 and Logs are
  LocalStack's: AWSTWIN_EXTERNAL_S3_URL / _LOGS_URL), as far from LocalStack's port as compose
  publishes it (4566 -> 4567);
- `warehouse`: the embedded Postgres on the profile's warehouse port, postgres_init/ applied;
- `airflow-*`: for `make up` only, Airflow as a server (awstwin.stack.airflow_local), its AWS
  connection split as compose splits it (no endpoint_url; AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_GLUE, ...).

Which service answers which AWS API is compose's table (awstwin.stack.compose.AWS_SERVICE_CONTAINERS);
addresses inside the compose file (`http://localstack:4566`) become this machine's.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

from awstwin.pipeline.paths import POSTGRES_INIT_DIR, STATE_DIR
from awstwin.pipeline.profile import Profile
from awstwin.ports import port_is_free
from awstwin.procutil import die_with_parent
from awstwin.stack import airflow_local, compose, processes
from awstwin.stack.airflow_local import AirflowInfo, LocalAirflow
from awstwin.stack.embedded import ENDPOINT_MARKER, HEALTH_PATH, StackInfo
from awstwin.stack.localstack_host.server import LocalStackServer
from awstwin.stack.processes import ServiceError, Started

KIND = "localstack"
PROFILE_NAME = "localstack"
EMULATOR_START_TIMEOUT = 90.0


def stack_url(service_url: str, published: Mapping[str, str]) -> str:
    """An address inside the compose file (`http://localstack:4566`) as this machine reaches it."""
    for name, url in published.items():
        service_url = service_url.replace(f"http://{name}:{compose.AWS_CONTAINER_PORT}", url)
    return service_url


def emulator_url(localstack_url: str, config: Mapping[str, Any]) -> str:
    """The emulator's address beside LocalStack's: as far from it as compose publishes them (4566 and
    4567: the next port), so it is known before anything starts."""
    published = {
        name: urlparse(compose.published_url(config, name, compose.AWS_CONTAINER_PORT)).port or 0
        for name in (compose.AWS_DEFAULT_CONTAINER, "emulator")
    }
    localstack = urlparse(localstack_url)
    port = (localstack.port or 0) + published["emulator"] - published[compose.AWS_DEFAULT_CONTAINER]
    return f"http://127.0.0.1:{port}"


def split_urls(localstack_url: str, emulator: str) -> dict[str, str]:
    """boto3 service -> endpoint, as compose splits them ("*": every other service)."""
    urls = {"*": localstack_url}
    for service, container in compose.AWS_SERVICE_CONTAINERS.items():
        urls[service] = emulator if container == "emulator" else localstack_url
    return urls


def with_endpoints(profile: Profile, config: Mapping[str, Any] | None = None) -> Profile:
    """The profile as this stack serves it: AWS_ENDPOINT_URL is LocalStack, and Glue, Athena and Secrets
    Manager have the emulator's endpoint (Profile.service_endpoints), for every client and for Airflow."""
    config = config if config is not None else compose.resolved_config()
    urls = split_urls(profile.aws_endpoint_url.rstrip("/"), emulator_url(profile.aws_endpoint_url, config))
    pairs = tuple(sorted((s, u) for s, u in urls.items() if s != "*" and u != urls["*"]))
    return dataclasses.replace(profile, service_endpoints=pairs)


class LocalStackStack:
    """Start and stop LocalStack, the emulator, the warehouse (and Airflow) for one profile."""

    def __init__(self, profile: Profile, state_dir: Path = STATE_DIR, echo: Callable[[str], None] = print):
        if not profile.is_local:
            raise ServiceError(f"profile {profile.name} names no local endpoint (AWS_ENDPOINT_URL is empty)")
        self.profile = profile
        self.state_dir = state_dir
        self.echo = echo
        self.localstack: LocalStackServer | None = None
        self.emulator: Started | None = None
        self.warehouse: Any = None
        self.airflow: LocalAirflow | None = None
        self.info: StackInfo | None = None
        self._atexit = False

    # ---- addresses --------------------------------------------------------------------------------

    @property
    def localstack_port(self) -> int:
        port = urlparse(self.profile.aws_endpoint_url).port
        if not port:
            raise ServiceError(f"profile {self.profile.name}: AWS_ENDPOINT_URL names no port")
        return port

    # ---- pieces -----------------------------------------------------------------------------------

    def _start_emulator(self, config: Mapping[str, Any], port: int, detached: bool) -> Started:
        if not port_is_free("127.0.0.1", port):
            raise ServiceError(
                f"port {port} is taken: another program listens on 127.0.0.1:{port}, where the emulator "
                "(Glue, Athena) would answer. Stop it (`make down` if it is a stack `make up` started)"
            )
        service = config["services"]["emulator"]
        published = {"localstack": self.profile.aws_endpoint_url.rstrip("/")}
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSTWIN_"))},
            **{k: stack_url(str(v), published) for k, v in service["environment"].items()},
            "PYTHONUNBUFFERED": "1",
        }
        state = self.state_dir / "emulator"
        argv = [sys.executable, "-m", ENDPOINT_MARKER, "--port", str(port), "--state-dir", str(state)]
        started = processes.start_group(
            "emulator",
            argv,
            self.state_dir / "logs" / "emulator.log",
            env=env,
            preexec=None if detached else die_with_parent(),
        )
        self.emulator = started
        processes.wait_http(f"http://127.0.0.1:{port}{HEALTH_PATH}", started, EMULATOR_START_TIMEOUT)
        return started

    def _start_warehouse(self) -> Any:
        from awstwin.warehouse import Warehouse

        self.warehouse = Warehouse(
            self.state_dir / "warehouse",
            port=self.profile.warehouse_port,
            host=self.profile.warehouse_host,
            user=self.profile.warehouse_user,
            password=self.profile.warehouse_password,
            database=self.profile.warehouse_db,
        )
        self.warehouse.start()
        self.warehouse.apply_sql_dir(POSTGRES_INIT_DIR)
        return self.warehouse

    # ---- lifecycle --------------------------------------------------------------------------------

    def start(
        self, detached: bool = False, airflow_port: int | None = None, artifacts_dir: Path | None = None
    ) -> StackInfo:
        if not detached and not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        began = time.perf_counter()
        try:
            if airflow_port is not None:
                airflow_local.check_ui_port(airflow_port)
            config = compose.resolved_config()
            self.profile = with_endpoints(self.profile, config)
            self.localstack = LocalStackServer(
                self.state_dir / "localstack",
                port=self.localstack_port,
                service=config["services"][compose.AWS_DEFAULT_CONTAINER],
                echo=self.echo,
            )
            localstack = self.localstack.start(detached=detached)
            emulator_at = self.profile.endpoint_for("glue")
            emulator = self._start_emulator(config, urlparse(emulator_at).port or 0, detached)
            self.echo(f"  emulator  {emulator_at} Glue, Athena, Secrets Manager (pid {emulator.pid})")
            warehouse = self._start_warehouse()
            self.echo(
                f"  warehouse postgresql://{warehouse.host}:{warehouse.port}/{warehouse.database} "
                f"(pid {warehouse.pid}, log {warehouse.log_path})"
            )
            urls = split_urls(localstack.url, emulator_at)
            airflow = None
            if airflow_port is not None:
                airflow = self.start_airflow(airflow_port, artifacts_dir)
            self.echo(f"  stack ready in {time.perf_counter() - began:.1f} s")
        except BaseException:
            self.stop()
            raise
        self.info = StackInfo(
            kind=KIND,
            profile=self.profile.name,
            endpoint_url=emulator_at,
            endpoint_pid=emulator.pid,
            endpoint_log=str(emulator.log),
            endpoint_state_dir=str(self.state_dir / "emulator"),
            warehouse_dir=str(warehouse.data_dir),
            warehouse_host=warehouse.host,
            warehouse_port=warehouse.port,
            warehouse_log=str(warehouse.log_path),
            detached=detached,
            started_at=time.time(),
            airflow=airflow,
            localstack=localstack.to_dict(),
            aws_urls=urls,
        )
        return self.info

    def start_airflow(self, port: int, artifacts_dir: Path | None = None) -> AirflowInfo:
        """Airflow as a server whose AWS connection is split as compose splits it (with_endpoints)."""
        assert self.warehouse is not None, "the warehouse holds Airflow's metadata: start it first"
        if not self.profile.service_endpoints:
            self.profile = with_endpoints(self.profile)
        self.airflow = LocalAirflow(
            self.profile, self.state_dir, self.warehouse, port, artifacts_dir, echo=self.echo
        )
        info = self.airflow.start()
        self.echo(f"  airflow   {info.url} UI and REST API, scheduler (LocalExecutor), dag-processor")
        return info

    def stop(self) -> None:
        """Stop everything it started (Airflow first: its metadata is in the warehouse); safe twice."""
        errors = []
        with processes.signals_deferred():
            airflow, self.airflow = self.airflow, None
            emulator, self.emulator = self.emulator, None
            localstack, self.localstack = self.localstack, None
            warehouse, self.warehouse = self.warehouse, None
            for name, stop in (
                ("airflow", airflow.stop if airflow else None),
                ("emulator", (lambda: processes.stop_group(emulator)) if emulator else None),
                ("localstack", localstack.stop if localstack else None),
                ("warehouse", warehouse.stop if warehouse else None),
            ):
                if stop is None:
                    continue
                try:
                    stop()
                except Exception as exc:  # keep going: the others must stop too
                    errors.append(f"{name}: {exc}")
        if errors:
            print("awstwin: while stopping the localstack stack: " + "; ".join(errors), file=sys.stderr)

    def __enter__(self) -> LocalStackStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
