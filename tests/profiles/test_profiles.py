"""One DAG, one Glue script, several profiles: the files hold nothing a profile decides, every profile
sets the same keys, and what each profile gives Airflow is complete (no variable the DAG reads is
missing, every connection names where it goes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from awstwin.core.paths import DAGS_DIR, PROFILES_DIR, SPARK_JOBS_DIR
from awstwin.core.profile import Profile, load_profile, parse_env_file
from awstwin.infra.account import expand, with_stack
from awstwin.orchestration.environment import VARIABLES, airflow_environment
from awstwin.pipeline.targets import AWS, COMPOSE, EMBEDDED, target_for
from awstwin.pipeline.targets.aws import aws_run_environment

PROFILES = sorted(path.stem for path in PROFILES_DIR.glob("*.env"))
# Every file that is the pipeline itself: deployed as is, whichever the profile.
PIPELINE_FILES = sorted(
    [p for p in DAGS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    + [p for p in SPARK_JOBS_DIR.rglob("*.py") if "__pycache__" not in p.parts]
)

# What only a profile may say: addresses, ports, endpoints, local service names.
PROFILE_SPECIFIC = {
    "an IPv4 address": re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"),
    "localhost": re.compile(r"localhost", re.IGNORECASE),
    "a local stack's port": re.compile(r"\b(4566|4567|5432|5439|8080)\b"),
    "a host:port address": re.compile(r"\b[a-z][a-z0-9.-]*[a-z]:\d{4,5}\b"),
    "an AWS service host": re.compile(r"amazonaws\.com"),
    "a compose service name": re.compile(r"\b(localstack|emulator|airflow-apiserver)\b(?!-)"),
    "an endpoint setting": re.compile(r"endpoint_url|AWS_ENDPOINT_URL"),
    "the profile's name": re.compile(r"\bPROFILE\b"),
}

# A fake deployed stack for the aws profile (what `make deploy` would leave): its outputs and secret.
ACCOUNT = "123456789012"
AWS_HOST = "awstwin-student-performance.123456789012.us-east-1.redshift-serverless.amazonaws.com"


def _deployed_aws_profile() -> Profile:
    profile = expand(load_profile("aws"), ACCOUNT)
    outputs = {
        "Bucket": profile.bucket,
        "GlueJob": profile.glue_job,
        "GlueDatabase": profile.glue_database,
        "AthenaWorkGroup": profile.athena_workgroup,
        "WarehouseEndpoint": AWS_HOST,
        "WarehouseJdbcUrl": f"jdbc:redshift://{AWS_HOST}:5439/dev",
        "WarehouseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
    }
    return with_stack(profile, outputs, {"username": "awsuser", "password": "Generated-Secret-1"})


def test_the_profiles_are_the_three_stacks() -> None:
    assert {"local", "compose", "aws"} <= set(PROFILES)
    assert {target_for(load_profile(name)) for name in ("local", "compose", "aws")} == {
        EMBEDDED,
        COMPOSE,
        AWS,
    }


def test_every_profile_defines_the_same_keys() -> None:
    keys = {name: set(parse_env_file(PROFILES_DIR / f"{name}.env")) for name in PROFILES}
    reference = keys["local"]
    for name, found in keys.items():
        assert found == reference, f"{name}.env: missing {reference - found}, extra {found - reference}"


def test_the_aws_profile_holds_no_secret_and_no_account() -> None:
    values = parse_env_file(PROFILES_DIR / "aws.env")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WAREHOUSE_PASSWORD", "AWS_ENDPOINT_URL"):
        assert values[key] == "", f"aws.env must leave {key} empty (credentials: the standard AWS chain)"
    assert not re.search(r"\b\d{12}\b", (PROFILES_DIR / "aws.env").read_text()), "an account id in aws.env"
    assert "{account_id}" in values["BUCKET"], "bucket names are global: the account makes them unique"


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_the_pipeline_files_hold_nothing_a_profile_decides(path: Path) -> None:
    text = path.read_text()
    for what, pattern in PROFILE_SPECIFIC.items():
        found = pattern.search(text)
        assert found is None, (
            f"{path.name} contains {what}: {found.group(0)!r} (a profile's value, not the file's)"
        )
    for name in PROFILES:
        values = load_profile(name)
        for secret in (values.warehouse_password, values.aws_secret_access_key, values.bucket):
            if len(secret) >= 8:
                assert secret not in text, f"{path.name} contains {name}.env's value {secret!r}"


def test_there_is_one_dag_file_and_one_glue_script_for_every_profile() -> None:
    assert sorted(p.name for p in DAGS_DIR.glob("*.py")) == [
        "student_performance_copy_load.py",
        "student_performance_etl.py",
    ]
    envs = [airflow_environment(load_profile(name), Path("/h"), DAGS_DIR) for name in ("local", "compose")]
    envs.append(aws_run_environment(_deployed_aws_profile(), Path("/h")))
    assert {env["AIRFLOW__CORE__DAGS_FOLDER"] for env in envs} == {str(DAGS_DIR)}
    keys = {load_profile(name).script_location.split("/", 3)[3] for name in PROFILES}
    assert len(keys) == 1, "every profile's job runs the same scripts/<file> from spark_jobs/"


def _variables_the_dag_reads() -> tuple[set[str], set[str]]:
    """(required, optional): names in `var.value.X` and `Variable.get("X")`; optional with a default."""
    required: set[str] = set()
    optional: set[str] = set()
    for path in DAGS_DIR.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        text = path.read_text(errors="replace")
        required |= set(re.findall(r"var\.value\.([A-Za-z_]\w*)", text))
        for name, default in re.findall(r"Variable\.get\(\s*[\"'](\w+)[\"']\s*(,\s*default)?", text):
            (optional if default else required).add(name)
    return required, optional - required


def _environments() -> dict[str, dict[str, str]]:
    envs = {
        name: airflow_environment(load_profile(name), Path("/h"), DAGS_DIR)
        for name in PROFILES
        if name != "aws"
    }
    envs["aws"] = aws_run_environment(_deployed_aws_profile(), Path("/h"))
    return envs


@pytest.mark.parametrize("name", PROFILES)
def test_each_profile_gives_airflow_every_variable_the_dag_reads(name: str) -> None:
    env = _environments()[name]
    required, _ = _variables_the_dag_reads()
    assert required, "the DAG reads its names from Airflow Variables"
    for variable in sorted(required):
        value = env.get(f"AIRFLOW_VAR_{variable.upper()}")
        assert value, f"profile {name}: the DAG reads Variable {variable}, which the profile does not set"
        assert "{" not in value, f"profile {name}: Variable {variable}={value!r} has an unfilled placeholder"
    assert set(VARIABLES) >= required


@pytest.mark.parametrize("name", PROFILES)
def test_each_profile_gives_airflow_complete_connections(name: str) -> None:
    env = _environments()[name]
    aws = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    warehouse = json.loads(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"])
    assert aws["conn_type"] == "aws" and aws["extra"]["region_name"]
    for key in ("host", "port", "login", "password", "schema"):
        assert warehouse.get(key), f"profile {name}: the warehouse connection has no {key}"
    if name == "aws":
        assert "endpoint_url" not in json.dumps(aws), "AWS itself: no endpoint_url"
        assert "login" not in aws and "password" not in aws, (
            "credentials: the standard chain, not the profile"
        )
        assert warehouse["host"] == AWS_HOST and warehouse["password"] == "Generated-Secret-1"
        assert not any("127.0.0.1" in value or "localhost" in value for value in env.values())
    else:
        profile = load_profile(name)
        assert aws["extra"]["endpoint_url"] == profile.aws_endpoint_url
        assert (aws["login"], aws["password"]) == (profile.aws_access_key_id, profile.aws_secret_access_key)
        assert aws["login"] and aws["password"], f"profile {name}: keys given or generated, never empty"
