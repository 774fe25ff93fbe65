"""The `localstack` stack: docker-compose.yml's AWS services as processes on this machine, no Docker.

    with LocalStackStack(profile, state_dir) as stack:     # or .start(detached=True) for `make up`
        stack.info.aws_urls   # {"*": LocalStack, "glue"/"athena"/"secretsmanager": the emulator}

It is the embedded stack (awstwin.stack.embedded: the warehouse behind its Redshift front, Airflow's
server for `make up`) with compose's split of the AWS services:
- compose's `localstack`: LocalStack 4.14.0 on the host (awstwin.stack.localstack_host) for S3, Logs,
  IAM and STS, on the profile's AWS_ENDPOINT_URL, with the service's environment and ready hooks;
- `emulator`: `python -m awstwin.endpoint` with the service's environment (its S3 and Logs are
  LocalStack's: AWSTWIN_EXTERNAL_S3_URL / _LOGS_URL), as far from LocalStack's port as compose
  publishes it (4566 -> 4567).
Which service answers which AWS API is compose's table (awstwin.stack.compose.AWS_SERVICE_CONTAINERS);
clients and Airflow get it through the profile (`with_endpoints`: Profile.service_endpoints), and
addresses inside the compose file (`http://localstack:4566`) become this machine's.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from awstwin.core import processes
from awstwin.core.parent_death import die_with_parent
from awstwin.core.paths import STATE_DIR
from awstwin.core.ports import port_is_free
from awstwin.core.processes import ServiceError, Started
from awstwin.core.profile import Profile
from awstwin.stack import compose
from awstwin.stack.embedded import ENDPOINT_MARKER, HEALTH_PATH, EmbeddedStack, StackInfo
from awstwin.stack.localstack_host.server import LocalStackServer

KIND = PROFILE_NAME = "localstack"
EMULATOR = "emulator"  # its service in docker-compose.yml
EMULATOR_START_TIMEOUT = 90.0


def stack_url(value: str, published: Mapping[str, str]) -> str:
    """An address inside the compose file (`http://localstack:4566`) as this machine reaches it."""
    for name, url in published.items():
        value = value.replace(f"http://{name}:{compose.AWS_CONTAINER_PORT}", url)
    return value


def emulator_url(localstack_url: str, config: Mapping[str, Any]) -> str:
    """The emulator's address beside LocalStack's: as far from it as compose publishes them (4566 and
    4567: the next port), so it is known before anything starts."""
    published = {
        name: urlparse(compose.published_url(config, name, compose.AWS_CONTAINER_PORT)).port or 0
        for name in (compose.AWS_DEFAULT_CONTAINER, EMULATOR)
    }
    offset = published[EMULATOR] - published[compose.AWS_DEFAULT_CONTAINER]
    port = (urlparse(localstack_url).port or 0) + offset
    return f"http://127.0.0.1:{port}"


def split_urls(localstack_url: str, emulator: str) -> dict[str, str]:
    """boto3 service -> endpoint, as compose splits them ("*": every other service)."""
    urls = {"*": localstack_url}
    for service, container in compose.AWS_SERVICE_CONTAINERS.items():
        urls[service] = emulator if container == EMULATOR else localstack_url
    return urls


def with_endpoints(profile: Profile, config: Mapping[str, Any] | None = None) -> Profile:
    """The profile as this stack serves it: AWS_ENDPOINT_URL is LocalStack, and Glue, Athena and Secrets
    Manager have the emulator's endpoint (Profile.service_endpoints), for every client and for Airflow."""
    config = config if config is not None else compose.resolved_config()
    urls = split_urls(profile.aws_endpoint_url.rstrip("/"), emulator_url(profile.aws_endpoint_url, config))
    pairs = tuple(sorted((s, u) for s, u in urls.items() if s != "*" and u != urls["*"]))
    return dataclasses.replace(profile, service_endpoints=pairs)


class LocalStackStack(EmbeddedStack):
    """The embedded stack whose AWS endpoint is LocalStack plus the emulator (see the module)."""

    def __init__(self, profile: Profile, state_dir: Path = STATE_DIR, echo: Callable[[str], None] = print):
        super().__init__(profile, state_dir, echo=echo)
        self.config = compose.resolved_config()
        self.profile = profile if profile.service_endpoints else with_endpoints(profile, self.config)
        self.localstack: LocalStackServer | None = None

    def _start_endpoint(self, detached: bool) -> Started:
        """LocalStack, then the emulator (it reads and writes LocalStack's S3 from its start)."""
        self.localstack = LocalStackServer(
            self.state_dir / "localstack",
            port=urlparse(self.profile.aws_endpoint_url).port,
            service=self.config["services"][compose.AWS_DEFAULT_CONTAINER],
            echo=self.echo,
        )
        self.localstack.start(detached=detached)
        port = urlparse(self.profile.endpoint_for("glue")).port or 0
        if not port_is_free("127.0.0.1", port):
            raise ServiceError(
                f"port {port} is taken: another program listens on 127.0.0.1:{port}, where the emulator "
                "(Glue, Athena) answers beside LocalStack. Stop it (`make down` if `make up` started it)"
            )
        service = self.config["services"][EMULATOR]
        published = {compose.AWS_DEFAULT_CONTAINER: self.localstack.url}
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSTWIN_"))},
            **{k: stack_url(str(v), published) for k, v in (service.get("environment") or {}).items()},
            # compose's `redshift:5439` is this stack's Redshift front, on the profile's warehouse port.
            "AWSTWIN_WAREHOUSE_ENDPOINT": f"{self.profile.warehouse_host}:{self.profile.warehouse_port}",
            "PYTHONUNBUFFERED": "1",
            **self.profile.endpoint_environment(),  # GLUE_SPARK_MASTER
        }
        state = self.state_dir / "emulator"
        argv = [sys.executable, "-m", ENDPOINT_MARKER, "--port", str(port), "--state-dir", str(state)]
        log = self.state_dir / "logs" / "emulator.log"
        started = processes.start_group(
            "emulator", argv, log, env=env, preexec=None if detached else die_with_parent()
        )
        self.endpoint = started
        processes.wait_http(f"http://127.0.0.1:{port}{HEALTH_PATH}", started, EMULATOR_START_TIMEOUT)
        return started

    def _endpoint_line(self, endpoint: Started) -> str:
        return (
            f"  emulator  {self.profile.endpoint_for('glue')} Glue, Athena, Secrets Manager, Redshift "
            f"(pid {endpoint.pid}, log {endpoint.log})"
        )

    def start(
        self, detached: bool = False, airflow_port: int | None = None, artifacts_dir: Path | None = None
    ) -> StackInfo:
        info = super().start(detached, airflow_port, artifacts_dir)
        assert self.localstack is not None
        self.info = dataclasses.replace(
            info,
            kind=KIND,
            endpoint_url=self.profile.endpoint_for("glue"),
            localstack=self.localstack.info().to_dict(),
            aws_urls=split_urls(self.localstack.url, self.profile.endpoint_for("glue")),
        )
        return self.info

    def stop(self) -> None:
        """Everything the embedded stack stops, then LocalStack; safe to call twice."""
        try:
            super().stop()
        finally:
            localstack, self.localstack = self.localstack, None
            if localstack is not None:
                with processes.signals_deferred():
                    localstack.stop()
