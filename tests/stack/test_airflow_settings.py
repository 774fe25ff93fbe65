"""What `make up`'s Airflow server runs with, and the REST client both Airflow stacks share (no Airflow
process is started here: test_up_airflow.py runs the real one)."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from awstwin.core.paths import DAGS_DIR
from awstwin.core.processes import ServiceError
from awstwin.core.profile import load_profile
from awstwin.orchestration.environment import airflow_environment
from awstwin.stack import airflow_local, compose
from awstwin.stack.airflow_local import AirflowInfo, Ports, prepare_home, server_environment, ui_port
from awstwin.stack.airflow_rest import AirflowApi, AirflowRestError
from awstwin.stack.embedded import StackInfo


def _environment(home: Path) -> dict[str, str]:
    profile = load_profile("local", {"warehouse_port": 6543})
    passwords = prepare_home(home, "Pw-1")
    url = "postgresql+psycopg2://airflow:Pw-2@127.0.0.1:6543/airflow"
    return server_environment(profile, home, url, Ports(8181, 8975, 8794), passwords, home / "artifacts")


def test_the_server_gets_the_embedded_runs_connections_and_variables(tmp_path: Path) -> None:
    home = tmp_path / "airflow-stack"
    env = _environment(home)
    profile = load_profile("local", {"warehouse_port": 6543})
    embedded = airflow_environment(profile, home, DAGS_DIR, artifacts_dir=home / "artifacts")
    shared = {k: v for k, v in embedded.items() if k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    assert shared and {k: env[k] for k in shared} == shared
    assert json.loads(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"])["port"] == 6543
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_DIR)
    # a server's settings on top: metadata on Postgres (LocalExecutor needs more than SQLite)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__API__PORT"] == "8181" and env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8181/execution/"
    assert env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"] == "8975"
    assert "SimpleAuthManager" in env["AIRFLOW__CORE__AUTH_MANAGER"]


def test_secrets_are_made_once_per_home_and_kept_private(tmp_path: Path) -> None:
    home = tmp_path / "airflow-stack"
    first, again = _environment(home), _environment(home)
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY"):
        assert first[key] and first[key] == again[key], key
    assert (
        _environment(tmp_path / "other")["AIRFLOW__API_AUTH__JWT_SECRET"]
        != first["AIRFLOW__API_AUTH__JWT_SECRET"]
    )
    passwords = Path(first["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    assert json.loads(passwords.read_text()) == {"admin": "Pw-1"}
    for private in (passwords, home / "secrets.json"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private


def test_the_ui_port_comes_from_airflow_ui_port() -> None:
    assert ui_port({}) == 8080
    assert ui_port({"AIRFLOW_UI_PORT": "8181"}) == 8181
    with pytest.raises(ServiceError, match="AIRFLOW_UI_PORT='80a' is not a TCP port"):
        ui_port({"AIRFLOW_UI_PORT": "80a"})


def test_admins_password_is_chosen_or_generated_per_home_never_fixed(tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "other"
    chosen = airflow_local.admin_password(home, {"AIRFLOW_ADMIN_PASSWORD": "x"})
    assert chosen == ("x", "AIRFLOW_ADMIN_PASSWORD")
    generated, source = airflow_local.admin_password(home, {})
    assert source == "generated" and len(generated) >= 32 and generated != "admin"
    assert airflow_local.admin_password(home, {}) == (generated, source)  # made once, then kept
    assert airflow_local.admin_password(other, {})[0] != generated
    assert stat.S_IMODE((home / "secrets.json").stat().st_mode) == 0o600


def test_the_record_keeps_airflow_and_its_logs() -> None:
    airflow = AirflowInfo(
        url="http://127.0.0.1:8080",
        home="/s/airflow-stack",
        pids={"api-server": 11, "scheduler": 12, "dag-processor": 13},
        logs={"scheduler": "/s/logs/airflow-scheduler.log"},
        scheduler_health_url="http://127.0.0.1:8974/health",
        password_file="/s/airflow-stack/auth/passwords.json",
        password_source="generated",
        metadata_db="postgresql://airflow@127.0.0.1:5439/airflow",
    )
    info = StackInfo("embedded", "local", "http://127.0.0.1:4566", 10, "/s/logs/endpoint.log", "/s/e",
                     "/s/w", "127.0.0.1", 5439, "/s/w/postgres.log", True, 0.0, airflow)  # fmt: skip
    again = StackInfo.from_json(info.to_json())
    assert again == info and isinstance(again.airflow, AirflowInfo)
    assert again.logs["airflow-scheduler"] == "/s/logs/airflow-scheduler.log"
    assert StackInfo.from_json(json.dumps({**json.loads(info.to_json()), "airflow": None})).airflow is None


class _Refuses(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"detail": "Invalid credentials"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_refused_login_names_what_to_do_in_each_stack(refusing: str) -> None:
    with pytest.raises(compose.ComposeError, match="password docker-compose.yml was started with"):
        compose.AirflowApi(refusing, "admin", "wrong").token()
    with pytest.raises(AirflowRestError, match="HTTP 401.*keeps admin's password in /s/p.json"):
        AirflowApi(
            refusing, "admin", "wrong", password_hint="the stack keeps admin's password in /s/p.json"
        ).token()


def test_make_up_shows_a_generated_password_but_never_a_chosen_one(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"admin": "Made-for-this-checkout"}))
    fields = {
        "url": "http://127.0.0.1:8080",
        "home": str(tmp_path),
        "pids": {},
        "logs": {},
        "scheduler_health_url": "http://127.0.0.1:8974/health",
        "password_file": str(passwords),
        "metadata_db": "postgresql://airflow@127.0.0.1:5439/airflow",
    }
    generated = AirflowInfo(**fields, password_source="generated").credentials_text()
    assert "Made-for-this-checkout" in generated and str(passwords) in generated
    chosen = AirflowInfo(**fields, password_source="AIRFLOW_ADMIN_PASSWORD").credentials_text()
    assert "Made-for-this-checkout" not in chosen and "$AIRFLOW_ADMIN_PASSWORD" in chosen
