"""The embedded stack: the local AWS endpoint (a child process) and the warehouse (a local Postgres),
and for `make up` also Airflow as a server (awstwin.stack.airflow_local: UI, scheduler, DAG processor).

    with EmbeddedStack(profile) as stack:      # started here, stopped here, whatever happens
        ...

The endpoint runs as `python -m awstwin.endpoint` in its own process group, so stopping it also stops
whatever it started (Glue job runs: Spark JVMs, Python workers); when this process dies without
cleaning up (SIGKILL), the kernel sends the endpoint SIGTERM (PR_SET_PDEATHSIG) unless the stack was
started detached for `make up`. The warehouse is `awstwin.warehouse.Warehouse` on a private port,
with postgres_init/ applied at every start (the DDL is idempotent), behind the Redshift front
(`python -m awstwin.redshift`, a child process like the endpoint) on the profile's warehouse port;
postgres_init/redshift/ is applied through the front, as it is to Redshift.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

from awstwin.core import processes
from awstwin.core.parent_death import die_with_parent
from awstwin.core.paths import POSTGRES_INIT_DIR, STATE_DIR
from awstwin.core.ports import port_is_free
from awstwin.core.processes import ServiceError, Started
from awstwin.core.profile import Profile
from awstwin.stack import airflow_local
from awstwin.stack.airflow_local import AirflowInfo, LocalAirflow
from awstwin.stack.localstack_host.server import stop_recorded as stop_localstack
from awstwin.warehouse import Warehouse
from awstwin.warehouse.sqlfiles import apply_to

ENDPOINT_MARKER = "awstwin.endpoint"
FRONT_MARKER = "awstwin.redshift"
HEALTH_PATH = "/_awstwin/health"
ENDPOINT_START_TIMEOUT = 60.0
FRONT_START_TIMEOUT = 30.0


@dataclass
class StackInfo:
    """What a running stack is: recorded in .state/stack.json by `make up`, read by run/down/logs."""

    kind: str
    profile: str
    endpoint_url: str
    endpoint_pid: int
    endpoint_log: str
    endpoint_state_dir: str
    warehouse_dir: str
    warehouse_host: str
    warehouse_port: int
    warehouse_log: str
    detached: bool
    started_at: float
    airflow: AirflowInfo | None = None  # Airflow as a server: `make up` starts it, `make run` uses it
    # The Redshift front serves warehouse_port; Postgres itself listens on postgres_port.
    front_pid: int | None = None
    front_log: str | None = None
    postgres_port: int | None = None
    # The `localstack` stack (kind "localstack", awstwin.stack.localstack_stack): LocalStack's process
    # (url, pid, log, state_dir), and where each AWS service answers ("*": LocalStack). The endpoint
    # fields above are then the emulator's (Glue, Athena, Secrets Manager).
    localstack: dict[str, Any] | None = None
    aws_urls: dict[str, str] | None = None

    @property
    def backend_port(self) -> int:
        """Where Postgres itself listens (records made before the front: the warehouse port)."""
        return self.postgres_port or self.warehouse_port

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackInfo:
        fields = json.loads(text)
        if fields.get("airflow") is not None:
            fields["airflow"] = AirflowInfo(**fields["airflow"])
        return cls(**fields)

    @property
    def logs(self) -> dict[str, str]:
        """Every log of the stack's services by a short name (`make logs` follows them)."""
        found = {"endpoint": self.endpoint_log, "warehouse": self.warehouse_log}
        if self.localstack is not None:
            found["localstack"] = str(self.localstack["log"])
        if self.front_log:
            found["redshift-front"] = self.front_log
        if self.airflow is not None:
            found.update({f"airflow-{name}": path for name, path in self.airflow.logs.items()})
        return found


def endpoint_port(profile: Profile) -> int:
    parsed = urlparse(profile.aws_endpoint_url)
    if not parsed.port:
        raise ServiceError(
            f"profile {profile.name}: AWS_ENDPOINT_URL {profile.aws_endpoint_url!r} names no port"
        )
    return parsed.port


def endpoint_healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=2) as response:
            return response.status == 200 and json.loads(response.read()).get("status") == "running"
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


class EmbeddedStack:
    """Start and stop the endpoint and the warehouse for one profile."""

    def __init__(self, profile: Profile, state_dir: Path = STATE_DIR, echo=print):
        if not profile.is_local:
            raise ServiceError(f"profile {profile.name} names no local endpoint (AWS_ENDPOINT_URL is empty)")
        self.profile = profile
        self.state_dir = state_dir
        self.echo = echo
        self.endpoint: Started | None = None
        self.warehouse = None
        self.front: Started | None = None
        self.airflow: LocalAirflow | None = None
        self.info: StackInfo | None = None
        self._atexit = False

    # ---- pieces ---------------------------------------------------------------------------------

    def _start_endpoint(self, detached: bool) -> Started:
        port = endpoint_port(self.profile)
        host = urlparse(self.profile.aws_endpoint_url).hostname or "127.0.0.1"
        if not port_is_free(host, port):
            raise ServiceError(
                f"port {port} is taken: another program listens on {host}:{port}. Stop it (`make down` if "
                "it is a stack started by `make up`), or give the profile's AWS_ENDPOINT_URL another port"
            )
        state = self.state_dir / "emulator"
        argv = [sys.executable, "-m", ENDPOINT_MARKER, "--port", str(port), "--state-dir", str(state)]
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "AWS_ACCESS_KEY_ID": self.profile.aws_access_key_id or "test",
            "AWS_SECRET_ACCESS_KEY": self.profile.aws_secret_access_key or "test",
            "AWS_DEFAULT_REGION": self.profile.aws_region,
            # Redshift Serverless and the Data API run on the Redshift front started below.
            "AWSTWIN_WAREHOUSE_ENDPOINT": f"{self.profile.warehouse_host}:{self.profile.warehouse_port}",
            **self.profile.endpoint_environment(),  # GLUE_SPARK_MASTER
        }
        log = self.state_dir / "logs" / "endpoint.log"
        started = processes.start_group(
            "local endpoint", argv, log, env=env, preexec=None if detached else die_with_parent()
        )
        self.endpoint = started
        processes.wait_http(
            self.profile.aws_endpoint_url.rstrip("/") + HEALTH_PATH, started, ENDPOINT_START_TIMEOUT
        )
        return started

    def _endpoint_line(self, endpoint: Started) -> str:
        return f"  endpoint  {self.profile.aws_endpoint_url} (pid {endpoint.pid}, log {endpoint.log})"

    def _start_warehouse(self):  # -> awstwin.warehouse.Warehouse
        warehouse = Warehouse(
            self.state_dir / "warehouse",
            port=0,  # private: clients reach it through the Redshift front on the profile's port
            host=self.profile.warehouse_host,
            user=self.profile.warehouse_user,
            password=self.profile.warehouse_password,
            database=self.profile.warehouse_db,
        )
        self.warehouse = warehouse
        if os.geteuid() == 0:  # say how Postgres runs before it does (it refuses root)
            self.echo(f"  warehouse {warehouse.runtime.identity.description}")
        warehouse.start()
        warehouse.apply_sql_dir(POSTGRES_INIT_DIR)
        return warehouse

    def _start_front(self, warehouse, detached: bool) -> Started:  # noqa: ANN001 - a started Warehouse
        """The Redshift front on the profile's warehouse port, in front of `warehouse`."""
        import psycopg2

        host, port = self.profile.warehouse_host, self.profile.warehouse_port
        if not port_is_free(host, port):
            raise ServiceError(
                f"port {port} is taken: another program listens on {host}:{port}. Stop it (`make down` if "
                "it is a stack started by `make up`), or give the profile's WAREHOUSE_PORT another port"
            )
        argv = [
            sys.executable,
            "-m",
            FRONT_MARKER,
            "--host",
            host,
            "--port",
            str(port),
            "--backend-host",
            warehouse.host,
            "--backend-port",
            str(warehouse.port),
        ]
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "AWSTWIN_WAREHOUSE_USER": warehouse.user,
            "AWSTWIN_WAREHOUSE_PASSWORD": warehouse.password,
            "AWS_ENDPOINT_URL": self.profile.aws_endpoint_url,
            "AWS_ACCESS_KEY_ID": self.profile.aws_access_key_id or "test",
            "AWS_SECRET_ACCESS_KEY": self.profile.aws_secret_access_key or "test",
            "AWS_DEFAULT_REGION": self.profile.aws_region,
        }
        log = self.state_dir / "logs" / "redshift-front.log"
        started = processes.start_group(
            "Redshift front", argv, log, env=env, preexec=None if detached else die_with_parent()
        )
        self.front = started
        deadline = time.monotonic() + FRONT_START_TIMEOUT
        while True:
            try:
                psycopg2.connect(
                    host=host,
                    port=port,
                    user=warehouse.user,
                    password=warehouse.password,
                    dbname=warehouse.database,
                    connect_timeout=3,
                ).close()
                return started
            except psycopg2.OperationalError as error:
                if not started.running() or time.monotonic() > deadline:
                    raise ServiceError(
                        f"the Redshift front did not answer on {host}:{port} ({error}); last lines of "
                        f"{log}:\n{processes.log_tail(log)}"
                    ) from error
                time.sleep(0.1)

    def _apply_redshift_ddl(self, warehouse) -> None:  # noqa: ANN001 - a started Warehouse
        """postgres_init/redshift/ (sort keys and the like) through the front, as deploys apply it."""
        params = {
            **warehouse.connection_params(),
            "host": self.profile.warehouse_host,
            "port": self.profile.warehouse_port,
        }
        apply_to([POSTGRES_INIT_DIR / "redshift"], params, timeout=120)

    def start_airflow(self, port: int, artifacts_dir: Path | None = None) -> AirflowInfo:
        """Airflow as a server on the started warehouse, its UI and REST API on 127.0.0.1:`port`."""
        assert self.warehouse is not None, "the warehouse holds Airflow's metadata: start it first"
        self.airflow = LocalAirflow(
            self.profile, self.state_dir, self.warehouse, port, artifacts_dir, echo=self.echo
        )
        started = time.perf_counter()
        info = self.airflow.start()
        pids = ", ".join(map(str, info.pids.values()))
        self.echo(
            f"  airflow   {info.url} UI and REST API, scheduler (LocalExecutor), dag-processor "
            f"(pids {pids}; ready in {time.perf_counter() - started:.1f} s)"
        )
        return info

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(
        self, detached: bool = False, airflow_port: int | None = None, artifacts_dir: Path | None = None
    ) -> StackInfo:
        """Start the endpoint and the warehouse, and Airflow too when given `airflow_port` (its UI's);
        on any failure stop what did start and raise."""
        if not detached and not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        airflow = None
        try:
            started = time.perf_counter()
            if airflow_port is not None:  # a taken UI port fails before anything starts
                airflow_local.check_ui_port(airflow_port)
            endpoint = self._start_endpoint(detached)
            self.echo(self._endpoint_line(endpoint))
            warehouse = self._start_warehouse()
            front = self._start_front(warehouse, detached)
            self._apply_redshift_ddl(warehouse)
            self.echo(
                f"  warehouse postgresql://{self.profile.warehouse_host}:{self.profile.warehouse_port}/"
                f"{warehouse.database}: Redshift front (pid {front.pid}, log {front.log}) -> Postgres "
                f"on port {warehouse.port} (pid {warehouse.pid}, log {warehouse.log_path})"
            )
            if airflow_port is not None:
                airflow = self.start_airflow(airflow_port, artifacts_dir)
            self.echo(f"  stack ready in {time.perf_counter() - started:.1f} s")
        except BaseException:
            self.stop()
            raise
        self.info = StackInfo(
            kind="embedded",
            profile=self.profile.name,
            endpoint_url=self.profile.aws_endpoint_url,
            endpoint_pid=endpoint.pid,
            endpoint_log=str(endpoint.log),
            endpoint_state_dir=str(self.state_dir / "emulator"),
            warehouse_dir=str(warehouse.data_dir),
            warehouse_host=self.profile.warehouse_host,
            warehouse_port=self.profile.warehouse_port,
            warehouse_log=str(warehouse.log_path),
            detached=detached,
            started_at=time.time(),
            airflow=airflow,
            front_pid=front.pid,
            front_log=str(front.log),
            postgres_port=warehouse.port,
        )
        return self.info

    def stop(self) -> None:
        """Stop the endpoint's whole process group and the warehouse; safe to call twice, and not cut
        short by a second Ctrl-C or SIGTERM (those take effect once both are stopped)."""
        errors = []
        with processes.signals_deferred():
            airflow, self.airflow = self.airflow, None
            endpoint, self.endpoint = self.endpoint, None
            front, self.front = self.front, None
            warehouse, self.warehouse = self.warehouse, None
            if airflow is not None:  # first: its metadata lives in the warehouse
                try:
                    airflow.stop()
                except Exception as exc:
                    errors.append(f"airflow: {exc}")
            if endpoint is not None:
                try:
                    processes.stop_group(endpoint)
                except Exception as exc:  # keep going: the warehouse must stop too
                    errors.append(f"endpoint: {exc}")
            if front is not None:
                try:
                    processes.stop_group(front)
                except Exception as exc:
                    errors.append(f"redshift front: {exc}")
            if warehouse is not None:
                try:
                    warehouse.stop()
                except Exception as exc:
                    errors.append(f"warehouse: {exc}")
        if errors:
            print("awstwin: while stopping the stack: " + "; ".join(errors), file=sys.stderr)

    def __enter__(self) -> EmbeddedStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def stop_recorded(info: StackInfo) -> list[str]:
    """Stop a stack another process started (`make down`); returns what was stopped."""
    stopped = airflow_local.stop_recorded(info.airflow) if info.airflow is not None else []
    if processes.alive(info.endpoint_pid) and processes.is_ours(info.endpoint_pid, ENDPOINT_MARKER):
        processes.stop_group(info.endpoint_pid)
        stopped.append(f"endpoint (pid {info.endpoint_pid})")
    elif processes.group_members(info.endpoint_pid):
        # The leader is gone but children it started (a Spark JVM) are left in its group.
        processes.stop_group(info.endpoint_pid)
        stopped.append(f"endpoint's leftover processes (group {info.endpoint_pid})")
    if info.localstack is not None:
        stopped += stop_localstack(info.localstack)
    if info.front_pid and processes.alive(info.front_pid) and processes.is_ours(info.front_pid, FRONT_MARKER):
        processes.stop_group(info.front_pid)
        stopped.append(f"Redshift front (pid {info.front_pid})")
    warehouse = Warehouse(info.warehouse_dir, port=info.backend_port, host=info.warehouse_host)
    if warehouse.is_running():
        pid = warehouse.pid
        warehouse.stop()
        stopped.append(f"warehouse (pid {pid})")
    return stopped
