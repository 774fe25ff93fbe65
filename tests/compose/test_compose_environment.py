"""Every environment variable a compose service reads is defined, and points where it should: the
emulator at LocalStack for S3 and Logs, Airflow's hooks at the emulator for Glue and Athena and at
LocalStack for the rest, the DAG's variables and connections at the compose profile's resources."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.compose.compose_cli import REPO

from awstwin.core import local_secrets
from awstwin.core.config import EndpointSettings
from awstwin.core.paths import DAGS_DIR, STATE_DIR
from awstwin.core.profile import load_profile
from awstwin.orchestration.environment import VARIABLES, airflow_environment
from awstwin.stack.compose import ComposeStack

AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor")
# Settings of awstwin.core.config the emulator container leaves to their defaults, and why that is right.
EMULATOR_DEFAULTS_BY_DESIGN = {
    "AWSTWIN_HOST": "the image's CMD passes --host 0.0.0.0",
    "AWSTWIN_PORT": "the image's CMD passes --port 4566",
    "AWSTWIN_STATE_DIR": "the image's CMD passes --state-dir /state (a named volume)",
}


@pytest.fixture(scope="module")
def profile() -> Any:
    return load_profile("compose")


def _env(services: dict[str, Any], name: str) -> dict[str, str]:
    return {k: str(v) for k, v in (services[name].get("environment") or {}).items()}


def test_every_setting_the_emulator_reads_is_defined(services: dict[str, Any]) -> None:
    """Scans awstwin/core/config.py for the variables it reads, so a new setting cannot go unnoticed."""
    source = (REPO / "src" / "awstwin" / "core" / "config.py").read_text()
    read = set(re.findall(r'_env\("([A-Z0-9_]+)"', source))
    assert {"AWSTWIN_EXTERNAL_S3_URL", "AWSTWIN_EXTERNAL_LOGS_URL"} <= read
    defined = set(_env(services, "emulator"))
    missing = read - defined - set(EMULATOR_DEFAULTS_BY_DESIGN)
    assert not missing, f"the emulator service does not set {sorted(missing)}"
    command = " ".join(services["emulator"].get("command") or [])
    assert not command, "the emulator runs the image's CMD (see the Dockerfile), which passes host/port/state"


def test_the_emulator_uses_localstack_for_s3_and_logs(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(services, "emulator")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = EndpointSettings.from_env(host="0.0.0.0", port=4566)
    assert not settings.serves_s3
    assert settings.external_s3_url == "http://localstack:4566"
    assert settings.external_logs_url == "http://localstack:4566"
    localstack_ports = {int(p["target"]) for p in services["localstack"]["ports"]}
    assert 4566 in localstack_ports
    assert set(services["localstack"]["environment"]["SERVICES"].split(",")) >= {"s3", "logs"}
    # ARNs the emulator builds agree with LocalStack's account for the generated access key: a key that
    # starts AKIA/ASIA/LKIA/LSIA would name another account to LocalStack.
    assert settings.account_id == "000000000000"
    assert not env["AWS_ACCESS_KEY_ID"].startswith(("AKIA", "ASIA", "LKIA", "LSIA"))


def test_every_aws_client_in_the_stack_signs_with_the_generated_key_the_emulator_checks(
    services: dict[str, Any], profile: Any
) -> None:
    """Strict mode on the emulator (its port is published): it accepts the key generated for this
    checkout, which Airflow's connection, the emulator's own Glue jobs and this machine's profile use."""
    generated = local_secrets.load(STATE_DIR)
    key, secret = generated["AWSTWIN_ACCESS_KEY_ID"], generated["AWSTWIN_SECRET_ACCESS_KEY"]
    emulator = _env(services, "emulator")
    assert emulator["AWSTWIN_AUTH"] == "sigv4"
    assert emulator["AWSTWIN_CREDENTIALS"] == f"{key}:{secret}"
    assert (emulator["AWS_ACCESS_KEY_ID"], emulator["AWS_SECRET_ACCESS_KEY"]) == (key, secret)
    connection = json.loads(_env(services, "airflow-scheduler")["AIRFLOW_CONN_AWS_DEFAULT"])
    assert (connection["login"], connection["password"]) == (key, secret)
    assert (profile.aws_access_key_id, profile.aws_secret_access_key) == (key, secret)


def test_airflow_services_share_one_environment(services: dict[str, Any]) -> None:
    base = _env(services, "airflow-scheduler")
    for name in AIRFLOW_SERVICES:
        env = _env(services, name)
        assert {k: env.get(k) for k in base} == base, name


@pytest.mark.parametrize(
    ("dag_file", "expected_connections"),
    [
        ("student_performance_etl.py", {"aws_default", "redshift_default"}),
        ("student_performance_copy_load.py", {"aws_default"}),
    ],
)
def test_every_variable_and_connection_the_dag_reads_is_defined(
    services: dict[str, Any], profile: Any, dag_file: str, expected_connections: set[str]
) -> None:
    dag = (DAGS_DIR / dag_file).read_text()
    variables = set(re.findall(r"var\.value\.(\w+)", dag)) | set(re.findall(r'Variable\.get\("(\w+)"', dag))
    # A Variable read with a default that no profile sets (artifacts_dir: a local run's folder) is optional.
    defaulted = set(re.findall(r'Variable\.get\("(\w+)",\s*default=', dag))
    variables = {v for v in variables if v in VARIABLES or v not in defaulted}
    connections = set(re.findall(r'(?:conn_id"?\s*[:=]\s*|CONN_ID = )"(\w+)"', dag))
    assert variables >= {"poll_seconds", "bucket"} and connections == expected_connections
    expected = airflow_environment(profile, Path("/unused"), DAGS_DIR)
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        env = _env(services, name)
        for variable in variables:
            key = f"AIRFLOW_VAR_{variable.upper()}"
            assert env.get(key) == expected[key], f"{name}: {key} differs from profiles/compose.env"
        for conn in connections:
            assert f"AIRFLOW_CONN_{conn.upper()}" in env, f"{name}: no connection {conn}"
    assert {f"AIRFLOW_VAR_{v.upper()}" for v in VARIABLES} <= set(_env(services, "airflow-scheduler"))


def test_the_warehouse_and_its_connection_match_the_profile(services: dict[str, Any], profile: Any) -> None:
    warehouse = _env(services, "warehouse")
    assert (warehouse["POSTGRES_DB"], warehouse["POSTGRES_USER"], warehouse["POSTGRES_PASSWORD"]) == (
        profile.warehouse_db,
        profile.warehouse_user,
        profile.warehouse_password,
    )
    assert "ports" not in services["warehouse"], "Postgres is reached through the Redshift front only"
    published = {int(p["target"]): int(p["published"]) for p in services["redshift"]["ports"]}
    assert published == {5439: profile.warehouse_port}
    front = _env(services, "redshift")
    assert (front["AWSTWIN_WAREHOUSE_USER"], front["AWSTWIN_WAREHOUSE_PASSWORD"]) == (
        profile.warehouse_user,
        profile.warehouse_password,
    )
    command = services["redshift"]["command"]
    assert command[command.index("--backend-host") + 1 :][:3] == ["warehouse", "--backend-port", "5432"]
    conn = json.loads(_env(services, "airflow-scheduler")["AIRFLOW_CONN_REDSHIFT_DEFAULT"])
    assert (conn["host"], conn["port"], conn["login"], conn["password"], conn["schema"]) == (
        "redshift",
        5439,
        profile.warehouse_user,
        profile.warehouse_password,
        profile.warehouse_db,
    )
    stack = ComposeStack(profile=profile)
    assert stack.warehouse_jdbc_url_in_stack == f"jdbc:postgresql://redshift:5439/{profile.warehouse_db}"


def test_the_localstack_hook_creates_the_profiles_bucket(services: dict[str, Any], profile: Any) -> None:
    assert _env(services, "localstack")["BUCKET"] == profile.bucket


def test_the_host_sees_the_ports_the_profile_names(resolved: dict[str, Any], profile: Any) -> None:
    stack = ComposeStack(profile=profile, config=resolved)
    assert stack.aws_url("s3") == profile.aws_endpoint_url
    assert stack.aws_url("logs") == stack.aws_url("sts") == stack.aws_url("iam") == profile.aws_endpoint_url
    assert stack.aws_url("glue") == stack.aws_url("athena") == "http://127.0.0.1:4567"
    assert stack.airflow_url == "http://127.0.0.1:8080"


@pytest.fixture()
def airflow_env(services: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, str]]:
    env = _env(services, "airflow-scheduler")
    env["AIRFLOW_HOME"] = str(tmp_path)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path / 'airflow.db'}"
    yield env


# The stock hooks the DAG's operators and sensors use, and where their clients must go.
HOOK_ENDPOINTS = """
import json
from airflow.providers.amazon.aws.hooks.athena import AthenaHook
from airflow.providers.amazon.aws.hooks.glue import GlueJobHook
from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook
from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.hooks.sts import StsHook
hooks = {
    "glue-job": GlueJobHook(job_name="x"), "glue-crawler": GlueCrawlerHook(), "athena": AthenaHook(),
    "logs": AwsLogsHook(), "s3": S3Hook(), "sts": StsHook(),
}
print(json.dumps({name: hook.conn.meta.endpoint_url for name, hook in hooks.items()}))
"""


def test_airflows_hooks_reach_the_right_container(airflow_env: dict[str, str]) -> None:
    """With the connection the compose file gives (no endpoint_url), botocore's per-service variables
    route each stock hook: Glue and Athena to the emulator, Logs (the Glue sensor's job output), S3 and
    STS to LocalStack."""
    import os

    result = subprocess.run(
        [sys.executable, "-c", HOOK_ENDPOINTS],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRFLOW"))}, **airflow_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    urls = json.loads(result.stdout.strip().splitlines()[-1])
    assert urls == {
        "glue-job": "http://emulator:4566",
        "glue-crawler": "http://emulator:4566",
        "athena": "http://emulator:4566",
        "logs": "http://localstack:4566",
        "s3": "http://localstack:4566",
        "sts": "http://localstack:4566",
    }
    connection = json.loads(airflow_env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert "endpoint_url" not in connection["extra"], "one connection for every service: no endpoint_url"
