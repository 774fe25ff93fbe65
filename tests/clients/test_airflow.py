"""The Airflow Amazon provider's operators and sensors, unchanged, in real DAG runs (`dag.test()` in a
child process with its own SQLite metadata database) against the endpoint: DAGs written for this suite
that make the same calls as the provider's own system tests for S3, Athena, Glue and CloudFormation
(tests/clients/airflow/dags/). Configuration is the standard one: the `aws_default` connection's
endpoint_url for hooks, AWS_ENDPOINT_URL for the plain boto3 the DAGs use, as on MWAA with a VPC
endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conformance.test_airflow_operators import airflow_env

AIRFLOW = Path(__file__).with_name("airflow")
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory, endpoint: Any) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("clients-airflow")
    env = airflow_env(home, endpoint.url)
    env.update(AWS_ENDPOINT_URL=endpoint.url, AIRFLOW__CORE__DAGS_FOLDER=str(AIRFLOW / "dags"))
    done = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home, env


def run_dag(airflow_home: tuple[Path, dict[str, str]], dag_id: str, **env: str) -> dict[str, Any]:
    home, base = airflow_home
    done = subprocess.run(
        [sys.executable, str(AIRFLOW / "run_dag.py"), str(AIRFLOW / "dags"), dag_id],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = home / f"{dag_id}.log"
    log.write_text(done.stdout + done.stderr)
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert results, f"{dag_id} printed no result; its output is in {log}"
    result = json.loads(results[-1][len("RESULT ") :])
    failed = {task: state for task, state in result.get("tasks", {}).items() if state != "success"}
    assert result.get("state") == "success" and not failed, f"{dag_id}: {result}; its output is in {log}"
    result["log"] = log.read_text()
    return result


def test_s3_operators_and_sensors(airflow_home, aws: Callable[[str], Any]) -> None:
    env_id = f"s3{uuid.uuid4().hex[:6]}"
    result = run_dag(airflow_home, "clients_s3", AWSTWIN_SYSTEM_ENV_ID=env_id)
    assert len(result["tasks"]) == 19
    assert result["xcoms"]["read_tags"] == [{"Key": "team", "Value": "data"}]
    assert result["xcoms"]["keys"] == [f"{env_id}-prices", f"{env_id}-prices-copy"]
    names = {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    assert not {f"{env_id}-s3-first", f"{env_id}-s3-second"} & names  # the teardown removed them


def test_athena_operator_and_sensor(airflow_home, aws: Callable[[str], Any]) -> None:
    env_id = f"ath{uuid.uuid4().hex[:6]}"
    result = run_dag(airflow_home, "clients_athena", AWSTWIN_SYSTEM_ENV_ID=env_id)
    # The table's LOCATION is s3://bucket//table, as in the provider's example: Athena reads table/
    # LazySimpleSerDe keeps the quotes and the indentation as data, and the last line (four spaces,
    # as the example's sample ends) is a row with a NULL age, as Athena reads it.
    rows = result["xcoms"]["result_file"].splitlines()
    assert rows == ['"name","age"', '"""Dana""","41"', '"    ""Eli""","35"', '"    ""Fay""","28"', '"    ",']
    with pytest.raises(aws("glue").exceptions.EntityNotFoundException):
        aws("glue").get_database(Name=f"{env_id}_athena_db")


@pytest.mark.spark  # the job is a Glue Spark script
def test_glue_crawler_job_and_sensors(airflow_home, aws: Callable[[str], Any]) -> None:
    env_id = f"glue{uuid.uuid4().hex[:6]}"
    role = aws("iam").create_role(
        RoleName=f"{env_id}-glue",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "glue.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        ),
    )["Role"]
    result = run_dag(
        airflow_home, "clients_glue", AWSTWIN_SYSTEM_ENV_ID=env_id, AWSTWIN_GLUE_ROLE_ARN=role["Arn"]
    )
    assert "rows in the table: 3" in result["log"]  # the job's own output, through GlueJobSensor(verbose)
    run_id = result["xcoms"]["run_job"]
    deleted = result["xcoms"]["remove_logs"]
    assert f"/aws-glue/crawlers:{env_id}_crawler" in deleted
    assert f"/aws-glue/jobs/logs-v2:{run_id}" in " ".join(deleted)
    assert f"/aws-glue/jobs/output:{run_id}" in deleted
    with pytest.raises(aws("glue").exceptions.EntityNotFoundException):
        aws("glue").get_job(JobName=f"{env_id}_glue_job")


def test_cloudformation_operators_and_sensors(airflow_home, aws: Callable[[str], Any]) -> None:
    env_id = f"cfn{uuid.uuid4().hex[:6]}"
    run_dag(airflow_home, "clients_cloudformation", AWSTWIN_SYSTEM_ENV_ID=env_id)
    stacks = aws("cloudformation").list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert f"{env_id}-stack" in {s["StackName"] for s in stacks}
    with pytest.raises(aws("glue").exceptions.EntityNotFoundException):
        aws("glue").get_database(Name=f"{env_id}_cfn_db")
