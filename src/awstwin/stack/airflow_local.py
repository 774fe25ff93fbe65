"""Airflow as a server in the embedded stack: what `make up` starts beside the endpoint and the
warehouse when no Docker engine answers, so the DAG runs where its UI shows it.

Three detached processes, each leading its own session (so `make down` stops them and every task
process they started): `airflow api-server` (UI, REST API and the execution API tasks talk to, on
127.0.0.1:AIRFLOW_UI_PORT, default 8080), `airflow scheduler` (LocalExecutor: tasks run as its child
processes) and `airflow dag-processor` (parses dags/ from this checkout). Their metadata lives in a
database `airflow` (owner `airflow`) on the embedded Postgres, created on the first `up` and migrated
once per Airflow version (the database's comment records which). The DAG's connections and Variables
are the embedded run's own (awstwin.orchestration.environment, from the profile); users come from the
simple auth manager: `admin` with password AIRFLOW_ADMIN_PASSWORD, else one generated for this
checkout. Every component signs and checks tokens with the same secrets; those, admin's generated
password and the metadata role's are made once into <home>/secrets.json (0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from awstwin.core import local_secrets, processes
from awstwin.core.paths import DAGS_DIR
from awstwin.core.ports import free_port, port_is_free
from awstwin.core.processes import ServiceError, Started
from awstwin.core.profile import Profile
from awstwin.orchestration.environment import airflow_environment
from awstwin.stack.airflow_rest import HEALTH_PATH, AirflowApi

UI_PORT_VARIABLE = "AIRFLOW_UI_PORT"
DEFAULT_UI_PORT = 8080
PASSWORD_VARIABLE = "AIRFLOW_ADMIN_PASSWORD"
ADMIN_USER = "admin"
GENERATED = "generated"  # AirflowInfo.password_source when admin's password is the home's own
METADATA_DB = METADATA_ROLE = "airflow"
HOST = "127.0.0.1"
# Tasks at once (LocalExecutor keeps this many worker processes): the DAG's widest step (gates) is 3.
PARALLELISM = 4
SCHEDULER_IDLE_SLEEP = "0.25"  # seconds; see server_environment
START_TIMEOUT = 180.0  # each wait: the API server, the scheduler, the first heartbeats
MIGRATE_TIMEOUT = 600.0
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
# Component -> what it runs as, `python -m <module> <arguments>`; api-server first: the scheduler's tasks
# call its execution API. The scheduler runs through awstwin.stack.airflow_preload, which imports what
# the DAGs import before `airflow scheduler` starts: the LocalExecutor forks every task from it, so no
# task imports boto3 and the Amazon provider again. The scheduler starts no log server: Airflow 3.3's
# binds every interface ([::] or 0.0.0.0, no setting for the host; airflow/utils/serve_logs/core.py),
# and it is not needed here: tasks run on this machine and write their logs into AIRFLOW_HOME, which
# the api-server reads directly. (Airflow's docs:
# https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/logging-tasks.html#serving-logs-from-workers)
COMPONENTS: dict[str, tuple[str, ...]] = {
    "api-server": ("airflow", "api-server"),
    "scheduler": ("awstwin.stack.airflow_preload", "scheduler", "--skip-serve-logs"),
    "dag-processor": ("airflow", "dag-processor"),
}
# /api/v2/monitor/health's parts that must say "healthy" -> the component whose log explains if not.
HEALTH_PARTS = {"metadatabase": "api-server", "scheduler": "scheduler", "dag_processor": "dag-processor"}
# Part of every component's command line, also after Airflow renames its process (setproctitle).
PROCESS_MARKER = "airflow"


@dataclass
class AirflowInfo:
    """The running Airflow of a `make up` stack, recorded in .state/stack.json."""

    url: str  # UI and REST API
    home: str
    pids: dict[str, int]  # component -> pid (also its session and process group id)
    logs: dict[str, str]  # component -> log file
    scheduler_health_url: str
    password_file: str  # the simple auth manager's passwords (admin's is what `make run` logs in with)
    password_source: str  # "AIRFLOW_ADMIN_PASSWORD" or "generated"
    metadata_db: str  # where its metadata lives (no password)
    extra: dict[str, Any] = field(default_factory=dict)

    def admin_password(self) -> str:
        return str(json.loads(Path(self.password_file).read_text())[ADMIN_USER])

    def api(self, password: str | None = None) -> AirflowApi:
        """A REST client logged in as admin (with the password `make up` gave it, unless told)."""
        hint = f"the stack keeps admin's password in {self.password_file}; `make down && make up` resets it"
        chosen = self.admin_password() if password is None else password
        return AirflowApi(self.url, ADMIN_USER, chosen, password_hint=hint)

    def credentials_text(self) -> str:
        """Who to log in as, and where the password comes from (a password the user chose is never
        shown; the generated one is, as `airflow standalone` shows its own)."""
        if self.password_source == PASSWORD_VARIABLE:
            return f"user {ADMIN_USER}, password from ${PASSWORD_VARIABLE} as it was at `make up`"
        return (
            f"user {ADMIN_USER}, password {self.admin_password()} (generated for this checkout, kept in "
            f"{self.password_file}; set ${PASSWORD_VARIABLE} before `make up` to choose one)"
        )


# ---------------------------------------------------------------------------------------------------
# Settings from the environment


def ui_port(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    text = (env.get(UI_PORT_VARIABLE) or "").strip() or str(DEFAULT_UI_PORT)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ServiceError(f"{UI_PORT_VARIABLE}={text!r} is not a TCP port: give a number such as 8081")
    return int(text)


def admin_password(home: Path, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(password, where it came from): AIRFLOW_ADMIN_PASSWORD, else the one generated for `home`."""
    env = os.environ if environ is None else environ
    chosen = env.get(PASSWORD_VARIABLE)
    return (chosen, PASSWORD_VARIABLE) if chosen else (home_secrets(home)["admin_password"], GENERATED)


def check_ui_port(port: int) -> None:
    if not port_is_free(HOST, port):
        raise ServiceError(
            f"port {port} is taken: another program listens on {HOST}:{port}, where Airflow's UI would "
            f"answer. Stop it (`make down` if it is a stack `make up` started), or choose another port: "
            f"`make up {UI_PORT_VARIABLE}={port + 1}`"
        )


# ---------------------------------------------------------------------------------------------------
# The metadata database on the embedded Postgres


def _migrated_comment() -> str:
    return f"awstwin: airflow db migrate done for apache-airflow-core {version('apache-airflow-core')}"


def ensure_metadata_database(warehouse: Any, password: str) -> str:
    """Create role and database `airflow` on the warehouse's cluster unless they exist, the role with
    `password` (set again each time: a role made by an older version had a fixed one); returns the
    SQLAlchemy URL Airflow connects with. `warehouse` is a started awstwin.warehouse.Warehouse."""
    with contextlib.closing(warehouse.connect("postgres")) as connection:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (METADATA_ROLE,))
            verb = "CREATE" if cursor.fetchone() is None else "ALTER"
            cursor.execute(f"{verb} ROLE {METADATA_ROLE} LOGIN PASSWORD %s", (password,))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (METADATA_DB,))
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE DATABASE {METADATA_DB} OWNER {METADATA_ROLE}")
    return f"postgresql+psycopg2://{METADATA_ROLE}:{password}@{warehouse.host}:{warehouse.port}/{METADATA_DB}"


def is_migrated(warehouse: Any) -> bool:
    """True when the database was migrated for this Airflow version (its comment says so)."""
    with contextlib.closing(warehouse.connect("postgres")) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (METADATA_DB,),
        )
        row = cursor.fetchone()
    return row is not None and row[0] == _migrated_comment()


def migrate(warehouse: Any, env: Mapping[str, str], log: Path) -> float:
    """`airflow db migrate` unless done for this version; returns the seconds spent (0 when done)."""
    if is_migrated(warehouse):
        return 0.0
    started = time.perf_counter()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=MIGRATE_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        raise ServiceError(
            f"`airflow db migrate` failed (exit {done.returncode}) on database {METADATA_DB}; last lines "
            f"of {log}:\n{processes.log_tail(log)}"
        )
    with contextlib.closing(warehouse.connect("postgres")) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE {METADATA_DB} IS %s", (_migrated_comment(),))
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------
# AIRFLOW_HOME: configuration file, secrets, passwords


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.touch(mode=0o600)
    temp.chmod(0o600)
    temp.write_text(text)
    temp.replace(path)


def home_secrets(home: Path) -> dict[str, str]:
    """The secrets every component must share (task tokens, log requests, encrypted fields), admin's
    password and the metadata role's: made once per home, so a restarted component still accepts the
    tokens the others signed."""
    path = home / "secrets.json"
    recipes = {
        "jwt_secret": local_secrets.token,
        "secret_key": local_secrets.token,
        "fernet_key": local_secrets.fernet_key,
        "admin_password": local_secrets.token,
        "metadata_password": local_secrets.token,
    }
    found: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(path.read_text())
        if set(recipes) <= set(found):
            return found
    made = {name: found.get(name) or recipe() for name, recipe in recipes.items()}
    _write_private(path, json.dumps(made, indent=2) + "\n")
    return made


def prepare_home(home: Path, password: str) -> Path:
    """airflow.cfg (settings come from the environment; the file only stops each component writing a
    default one at the same moment) and the passwords file; returns the passwords file."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "airflow.cfg"
    if not config.exists():
        config.write_text(
            "# Written by awstwin (awstwin.stack.airflow_local): every setting comes from the environment\n"
            "# `make up` gives Airflow's processes; see that module.\n"
        )
    passwords = home / "auth" / "passwords.json"
    _write_private(passwords, json.dumps({ADMIN_USER: password}) + "\n")
    return passwords


@dataclass(frozen=True)
class Ports:
    ui: int
    scheduler_health: int
    log_server: int


def server_environment(
    profile: Profile,
    home: Path,
    metadata_url: str,
    ports: Ports,
    passwords_file: Path,
    artifacts_dir: Path | None,
    dags_folder: Path = DAGS_DIR,
) -> dict[str, str]:
    """What Airflow's processes run with: the embedded run's connections and Variables for the profile
    (awstwin.orchestration.environment), then what a server needs on top of it."""
    keys = home_secrets(home)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    return {
        **inherited,
        **airflow_environment(profile, home, dags_folder, artifacts_dir=artifacts_dir),
        "PYTHONUNBUFFERED": "1",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{ports.ui}/execution/",
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(ports.ui),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": keys["secret_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": HOST,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(ports.scheduler_health),
        # No log server runs (see COMPONENTS); a port of our own keeps the api-server from asking
        # another Airflow's log server on the default 8793 for a running task's log.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports.log_server),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        # An idle scheduler loop sleeps this long before it looks again (Airflow's default: 1 s): a
        # task's successors waited up to that long after it ended, a dozen times a run.
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": SCHEDULER_IDLE_SLEEP,
    }


# ---------------------------------------------------------------------------------------------------
# The three processes


class LocalAirflow:
    """Start Airflow's api-server, scheduler and dag-processor for a profile on a started warehouse."""

    def __init__(
        self,
        profile: Profile,
        state_dir: Path,
        warehouse: Any,
        port: int,
        artifacts_dir: Path | None = None,
        echo: Callable[[str], None] = print,
    ):
        self.profile = profile
        self.state_dir = state_dir
        self.home = state_dir / "airflow-stack"
        self.logs = state_dir / "logs"
        self.warehouse = warehouse
        self.port = port
        self.artifacts_dir = artifacts_dir
        self.echo = echo
        self.started: dict[str, Started] = {}

    def start(self) -> AirflowInfo:
        """Migrate on first use, start the three, wait until they are healthy; on failure stop them."""
        check_ui_port(self.port)
        password, source = admin_password(self.home)
        ports = Ports(self.port, free_port(HOST), free_port(HOST))
        metadata_url = ensure_metadata_database(self.warehouse, home_secrets(self.home)["metadata_password"])
        passwords = prepare_home(self.home, password)
        env = server_environment(self.profile, self.home, metadata_url, ports, passwords, self.artifacts_dir)
        if not is_migrated(self.warehouse):
            self.echo(f"  airflow   migrating its metadata database {METADATA_DB} (first start only)")
        seconds = migrate(self.warehouse, env, self.logs / "airflow-db-migrate.log")
        if seconds:
            self.echo(f"  airflow   metadata database migrated in {seconds:.1f} s")
        try:
            for name, command in COMPONENTS.items():
                self.started[name] = processes.start_group(
                    f"Airflow {name}",
                    [sys.executable, "-m", *command],
                    self.logs / f"airflow-{name}.log",
                    env=env,
                )
            url = f"http://{HOST}:{ports.ui}"
            health_url = f"http://{HOST}:{ports.scheduler_health}/health"
            processes.wait_http(url + HEALTH_PATH, self.started["api-server"], START_TIMEOUT)
            processes.wait_http(health_url, self.started["scheduler"], START_TIMEOUT)
            self._wait_heartbeats(url)
        except BaseException:
            self.stop()
            raise
        return AirflowInfo(
            url=url,
            home=str(self.home),
            pids={name: started.pid for name, started in self.started.items()},
            logs={name: str(started.log) for name, started in self.started.items()},
            scheduler_health_url=health_url,
            password_file=str(passwords),
            password_source=source,
            metadata_db=f"postgresql://{METADATA_ROLE}@{self.warehouse.host}:{self.warehouse.port}/{METADATA_DB}",
        )

    def _wait_heartbeats(self, url: str) -> None:
        """Until the API reports the scheduler and the DAG processor healthy (their first heartbeats)."""
        api = AirflowApi(url, ADMIN_USER, "")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for name, started in self.started.items():
                if not started.running():
                    raise ServiceError(
                        f"Airflow {name} exited while starting; last lines of {started.log}:\n"
                        f"{processes.log_tail(started.log)}"
                    )
            health = api.health() or {}
            waiting = [name for part, name in HEALTH_PARTS.items() if _status(health, part) != "healthy"]
            if not waiting:
                return
            if time.monotonic() > deadline:
                log = self.started[waiting[0]].log
                raise ServiceError(
                    f"Airflow's {' and '.join(waiting)} not healthy after {START_TIMEOUT:.0f} s "
                    f"({url}{HEALTH_PATH} says {health}); last lines of {log}:\n{processes.log_tail(log)}"
                )
            time.sleep(0.5)

    def stop(self) -> None:
        started, self.started = list(self.started.values()), {}
        if started:
            processes.stop_sessions(started)


def _status(health: Mapping[str, Any], part: str) -> str | None:
    return (health.get(part) or {}).get("status")


def healthy(info: AirflowInfo) -> bool:
    """The recorded Airflow answers: its API (with a healthy scheduler) and its processes run."""
    if not all(processes.alive(pid) for pid in info.pids.values()):
        return False
    health = AirflowApi(info.url, ADMIN_USER, "").health() or {}
    return _status(health, "scheduler") == "healthy"


def stop_recorded(info: AirflowInfo) -> list[str]:
    """Stop a recorded Airflow (`make down`): each component's whole session, task processes included;
    returns what was stopped."""
    sessions, stopped = [], []
    for name, pid in info.pids.items():
        ours = processes.alive(pid) and processes.is_ours(pid, PROCESS_MARKER)
        if ours or processes.session_members(pid):
            sessions.append(pid)
            stopped.append(f"Airflow {name} (pid {pid})" if ours else f"Airflow {name}'s leftovers")
    if sessions:
        processes.stop_sessions(sessions)
    return stopped
