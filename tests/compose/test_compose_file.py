"""docker-compose.yml checked with no Docker engine: the real Compose binary validates it (and rejects a
broken copy), every image is pinned, every long-running service has a healthcheck that others wait on,
one-shot jobs are waited for to finish, mounts exist, and every variable is defined."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.compose.compose_cli import REPO, run_compose

from awstwin.core import local_secrets
from awstwin.stack.compose import COMPOSE_FILE

# An exact version (1.2 or 1.2.3, maybe with a variant such as -bookworm), optionally plus a digest.
# `KEY: value`, `KEY=value` or `"key": "value"` where the key names a password, secret or key and the
# value is written out instead of interpolated (`${...}`) or left empty.
LITERAL_SECRET = re.compile(
    r"""(?i)\b\w*(password|secret|_key|_key_id)"?[ \t]*[:=][ \t]*"?(?!\$\{)[^\s"'?]"""
)
# Keys whose value names a secret (a Secrets Manager secret's name), not the secret itself.
SECRET_NAMES = {"AIRFLOW_VAR_WAREHOUSE_SECRET"}
PINNED_IMAGE = re.compile(r"^[\w./-]+:\d+\.\d+(\.\d+)?(-[\w.]+)?(@sha256:[0-9a-f]{64})?$")


def _one_shots(services: dict[str, Any]) -> set[str]:
    """Jobs that run once and exit: no restart and no healthcheck."""
    return {
        name
        for name, svc in services.items()
        if svc.get("restart") == "no" and (svc.get("healthcheck") or {}).get("disable")
    }


def test_the_real_compose_binary_accepts_the_file(compose_bin: Path) -> None:
    result = run_compose(compose_bin, COMPOSE_FILE, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    # Compose warns on stderr about any ${VAR} it had to default to a blank string.
    assert result.stderr.strip() == ""


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (lambda doc: doc["services"]["emulator"].update(helthcheck={"test": ["CMD", "true"]}), "helthcheck"),
        (
            lambda doc: doc["services"]["emulator"]["depends_on"].update(
                nosuch={"condition": "service_healthy"}
            ),
            "nosuch",
        ),
        (lambda doc: doc["services"]["warehouse"].update(healthcheck={"test": 42}), "healthcheck"),
    ],
    ids=["unknown-key", "depends-on-a-missing-service", "healthcheck-of-the-wrong-type"],
)
def test_a_broken_copy_is_rejected(compose_bin: Path, tmp_path: Path, break_it: Any, complaint: str) -> None:
    """The check above can fail: the same binary refuses a copy with one mistake, naming it."""
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    break_it(doc)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = run_compose(compose_bin, broken, "config", "--quiet")
    assert result.returncode != 0
    assert complaint in result.stderr


def test_no_obsolete_version_key_and_a_fixed_project_name() -> None:
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    assert "version" not in doc
    assert doc["name"] == "awstwin"


def test_every_image_is_pinned(services: dict[str, Any]) -> None:
    for name, svc in services.items():
        if "build" in svc:
            # Built from this checkout's Dockerfile (whose bases tests/compose/test_dockerfile.py checks).
            assert svc["build"]["context"] == str(REPO), name
            assert svc["image"].endswith(":local"), (
                f"{name}: a built image gets a local tag, not {svc['image']}"
            )
            continue
        image = svc["image"]
        assert "latest" not in image, f"{name}: {image}"
        assert PINNED_IMAGE.match(image), (
            f"{name}: {image} is not an exact version tag (with an optional digest)"
        )


def test_localstack_is_the_last_tag_that_starts_without_an_account(services: dict[str, Any]) -> None:
    assert services["localstack"]["image"].split("@")[0] == "localstack/localstack:4.14.0"


def test_long_running_services_have_healthchecks(services: dict[str, Any]) -> None:
    one_shots = _one_shots(services)
    assert one_shots == {"airflow-init"}
    for name, svc in services.items():
        if name in one_shots:
            continue
        check = svc.get("healthcheck") or {}
        assert not check.get("disable"), name
        assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: {check}"
        assert check.get("start_period"), f"{name}: give slow starts a start_period"


def test_depends_on_waits_for_health_or_completion(services: dict[str, Any]) -> None:
    one_shots = _one_shots(services)
    for name, svc in services.items():
        for dependency, rule in (svc.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency in one_shots else "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dependency}: {rule['condition']}"


def test_every_one_shot_is_awaited_by_a_long_running_service(services: dict[str, Any]) -> None:
    """`up --wait` exits non-zero on a job that exited 0 unless a running service depends on its
    completion (docker/compose#10596); this keeps `make up` truthful."""
    one_shots = _one_shots(services)
    for job in one_shots:
        waiting = [
            name
            for name, svc in services.items()
            if name not in one_shots
            and (svc.get("depends_on") or {}).get(job, {}).get("condition")
            == "service_completed_successfully"
        ]
        assert waiting, f"no long-running service waits for {job} to complete"


def test_mounted_paths_exist_and_data_lives_in_named_volumes(
    services: dict[str, Any], resolved: dict[str, Any]
) -> None:
    declared = set(resolved.get("volumes") or {})
    for name, svc in services.items():
        for mount in svc.get("volumes") or []:
            if mount["type"] == "bind":
                source = Path(mount["source"])
                # Docker would create a missing host path as an empty folder: an empty mount, silently.
                assert source.exists(), f"{name}: {source} does not exist in the checkout"
                assert source.resolve().is_relative_to(REPO), f"{name}: {source} is outside the checkout"
                assert mount.get("read_only"), f"{name}: {source} is mounted writable"
            else:
                assert mount["type"] == "volume" and mount["source"] in declared, f"{name}: {mount}"


def test_the_pieces_are_mounted_where_their_images_look(services: dict[str, Any]) -> None:
    def mounts(name: str) -> dict[str, str]:
        return {m["target"]: m["source"] for m in services[name].get("volumes") or []}

    assert mounts("warehouse")["/docker-entrypoint-initdb.d"] == str(REPO / "postgres_init")
    assert mounts("localstack")["/etc/localstack/init/ready.d"] == str(
        REPO / "localstack" / "init" / "ready.d"
    )
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        assert mounts(name)["/opt/airflow/dags"] == str(REPO / "dags"), name


def test_host_ports_listen_on_loopback_only(services: dict[str, Any]) -> None:
    published = {}
    for name, svc in services.items():
        for port in svc.get("ports") or []:
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            published[name] = int(port["published"])
    assert published == {"localstack": 4566, "emulator": 4567, "redshift": 5439, "airflow-apiserver": 8080}


def test_the_auth_token_is_passed_through_for_users_who_have_one(compose_bin: Path) -> None:
    import json

    with_token = run_compose(
        compose_bin, COMPOSE_FILE, "config", "--format", "json", LOCALSTACK_AUTH_TOKEN="ls-abc123"
    )
    without = run_compose(compose_bin, COMPOSE_FILE, "config", "--format", "json")
    env_with = json.loads(with_token.stdout)["services"]["localstack"]["environment"]
    env_without = json.loads(without.stdout)["services"]["localstack"]["environment"]
    assert env_with["LOCALSTACK_AUTH_TOKEN"] == "ls-abc123"
    assert env_without["LOCALSTACK_AUTH_TOKEN"] == ""


def test_every_interpolated_variable_has_a_default_or_is_a_generated_secret() -> None:
    """A setting carries its default; a secret has none (no fixed secret in the file): it is one that
    `make up` generates into .state/secrets.env, and Compose without that file stops naming it."""
    text = COMPOSE_FILE.read_text()
    found = re.findall(r"(?<!\$)\$\{(\w+)([^}]*)\}", text)
    assert found, "the file interpolates LOCALSTACK_AUTH_TOKEN at least"
    required = set()
    for name, rest in found:
        if rest.startswith(":-"):
            assert name not in local_secrets.RECIPES, f"${{{name}{rest}}}: a secret with a fixed default"
            continue
        assert name in local_secrets.RECIPES, f"${{{name}{rest}}} has no default and is not generated"
        assert rest in ("", ":?make up generates it into .state/secrets.env"), f"${{{name}{rest}}}"
        if rest:
            required.add(name)
    assert required == set(local_secrets.RECIPES), "each generated secret is required (`:?`) somewhere"


def test_without_the_generated_secrets_compose_stops_and_names_the_file(
    compose_bin: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = run_compose(compose_bin, COMPOSE_FILE, "config", "--quiet", env_file=empty)
    assert result.returncode != 0
    assert "make up generates it into .state/secrets.env" in result.stderr, result.stderr


def test_no_password_or_key_is_written_in_the_compose_file_or_the_dockerfile() -> None:
    """No `KEY: value` naming a secret with the value written out (tests/security checks that the
    secrets the stacks used to ship are in no tracked file)."""
    for path in (COMPOSE_FILE, REPO / "Dockerfile", REPO / "profiles" / "compose.env"):
        text = path.read_text()
        literal = [
            found.group(0)
            for found in LITERAL_SECRET.finditer(text)
            if re.split(r'[\s:="]', found.group(0))[0] not in SECRET_NAMES
        ]
        assert literal == [], f"{path.name}: {literal}"


def test_the_localstack_hooks_are_executable_shell_scripts(services: dict[str, Any]) -> None:
    """LocalStack runs executable *.sh files with a shebang from ready.d; a syntax error would only show
    as an ERROR script state at start-up (and an unhealthy LocalStack)."""
    import os
    import subprocess

    (folder,) = [m["source"] for m in services["localstack"]["volumes"] if m["target"].endswith("ready.d")]
    hooks = sorted(Path(folder).glob("*.sh"))
    assert hooks
    for hook in hooks:
        assert os.access(hook, os.X_OK), f"{hook} is not executable"
        shebang = hook.read_text().splitlines()[0]
        assert shebang in ("#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env bash"), hook
        shell = "bash" if "bash" in shebang else "sh"
        result = subprocess.run([shell, "-n", str(hook)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_every_build_target_is_a_dockerfile_stage(services: dict[str, Any]) -> None:
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", (REPO / "Dockerfile").read_text(), flags=re.MULTILINE))
    targets = {svc["build"]["target"] for svc in services.values() if "build" in svc}
    assert targets == {"emulator", "airflow"} and targets <= stages
