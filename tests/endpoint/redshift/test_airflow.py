"""The Amazon provider's Redshift hooks and operators, unchanged, against the local Data API and
Redshift Serverless: RedshiftDataOperator in a real DAG run (`dag.test()`), RedshiftDataHook,
RedshiftSQLHook's and PostgresHook's IAM logins to a serverless workgroup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import redshift_connector
from tests.endpoint.redshift.conftest import Stack, wait

DAG = """
from datetime import datetime

from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator
from airflow.sdk import DAG

P = {params}
WHERE = dict(workgroup_name=P["workgroup"], database="dev", secret_arn=P["secret"], poll_interval=1)

with DAG("redshift_data_operator", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
    create = RedshiftDataOperator(
        task_id="create",
        sql=[
            f"CREATE TABLE {{P['table']}} (id INTEGER, label VARCHAR(10)) DISTKEY(id) SORTKEY(id)",
            f"INSERT INTO {{P['table']}} VALUES (1, 'one'), (2, 'two'), (3, 'three')",
        ],
        **WHERE,
    )
    update = RedshiftDataOperator(
        task_id="update",
        sql=f"UPDATE {{P['table']}} SET label = :label WHERE id = :id",
        parameters=[{{"name": "label", "value": "deux"}}, {{"name": "id", "value": "2"}}],
        **WHERE,
    )
    read = RedshiftDataOperator(
        task_id="read",
        sql=f"SELECT id, label FROM {{P['table']}} ORDER BY id",
        return_sql_result=True,
        **WHERE,
    )
    as_iam_user = RedshiftDataOperator(
        task_id="as_iam_user",
        sql="SELECT current_user",
        workgroup_name=P["workgroup"],
        database="dev",
        return_sql_result=True,
        poll_interval=1,
    )
    create >> update >> read >> as_iam_user
"""

RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
from sqlalchemy import select

bag = DagBag(dag_folder=sys.argv[1])
if bag.import_errors:
    print("RESULT " + json.dumps({"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}}))
    sys.exit(1)
dag = bag.dags["redshift_data_operator"]
run = dag.test()
with create_session() as session:
    rows = session.scalars(
        select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == run.run_id)
    )
    tasks = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in rows}
    xcoms = session.scalars(
        select(XComModel).where(XComModel.run_id == run.run_id, XComModel.key == "return_value")
    )
    returned = {x.task_id: x.value for x in xcoms}
state = str(getattr(run.state, "value", run.state))
print("RESULT " + json.dumps({"state": state, "tasks": tasks, "returned": returned}, default=str), flush=True)
"""


def aws_connection(stack: Stack) -> dict[str, Any]:
    return {
        "conn_type": "aws",
        "login": "test",
        "password": "test",
        "extra": {"region_name": "us-east-1", "endpoint_url": stack.endpoint.url},
    }


@pytest.fixture
def airflow_env(stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Stack:
    """Connections from the environment (no metadata database needed for hooks)."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(aws_connection(stack)))
    return stack


@pytest.mark.slow  # a migrated Airflow database and a dag.test() run
def test_redshift_data_operator_in_a_dag_run(stack: Stack, tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_ENDPOINT_URL"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps(aws_connection(stack)),
    )
    migrated = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    table = f"public.operator_{uuid.uuid4().hex[:8]}"
    params = {"workgroup": stack.workgroup, "secret": stack.secret_arn, "table": table}
    (home / "dags" / "redshift_data_operator.py").write_text(DAG.format(params=repr(params)))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(home / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = home / "dag-run.log"
    log.write_text(done.stdout + done.stderr)
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert results, f"the DAG run printed no result; its output is in {log}"
    result = json.loads(results[-1][len("RESULT ") :])
    assert result["state"] == "success", f"{result}; the run's output is in {log}"
    assert set(result["tasks"].values()) == {"success"} and len(result["tasks"]) == 4, result
    read = result["returned"]["read"][0]
    assert read["TotalNumRows"] == 3
    labels = [row[1]["stringValue"] for row in read["Records"]]
    assert labels == ["one", "deux", "three"]
    assert result["returned"]["as_iam_user"][0]["Records"] == [[{"stringValue": "IAM:moto"}]]
    assert len(result["returned"]["create"]) == 2  # the batch's statement ids, `<id>:1` and `<id>:2`
    data = stack.client("redshift-data")
    described = data.describe_statement(Id=result["returned"]["create"][1])
    assert described["Status"] == "FINISHED" and described["ResultRows"] == 3


def test_redshift_data_hook_runs_and_waits(airflow_env: Stack) -> None:
    from airflow.providers.amazon.aws.hooks.redshift_data import (
        RedshiftDataHook,
        RedshiftDataQueryFailedError,
    )

    hook = RedshiftDataHook(aws_conn_id="aws_default")
    where = {"workgroup_name": airflow_env.workgroup, "database": "dev", "secret_arn": airflow_env.secret_arn}
    done = hook.execute_query(sql="SELECT 1 + 1 AS two", poll_interval=1, **where)
    result = hook.conn.get_statement_result(Id=done.statement_id)
    assert result["Records"] == [[{"longValue": 2}]]
    with pytest.raises(RedshiftDataQueryFailedError, match="FAILED"):
        hook.execute_query(sql="SELECT * FROM public.no_such_table", poll_interval=1, **where)


def test_redshift_sql_hook_serverless_iam_token_logs_in(airflow_env: Stack, monkeypatch) -> None:
    """RedshiftSQLHook(iam=True, is_serverless) gets its login from GetCredentials; redshift_connector logs in
    with it (without TLS: the front offers none, and the driver's own IAM mode insists on TLS)."""
    from airflow.providers.amazon.aws.hooks.redshift_sql import RedshiftSQLHook

    connection = {
        "conn_type": "redshift",
        "host": "127.0.0.1",
        "port": airflow_env.front.port,
        "schema": "dev",
        "extra": {"iam": True, "is_serverless": True, "serverless_work_group": airflow_env.workgroup},
    }
    monkeypatch.setenv("AIRFLOW_CONN_REDSHIFT_IAM", json.dumps(connection))
    hook = RedshiftSQLHook(redshift_conn_id="redshift_iam")
    login, token, port = hook.get_iam_token(hook.conn)
    assert (login, port) == ("IAM:moto", airflow_env.front.port)
    driver = redshift_connector.connect(
        host="127.0.0.1", port=port, user=login, password=token, database="dev", ssl=False
    )
    try:
        cursor = driver.cursor()
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "IAM:moto"
    finally:
        driver.close()


def test_postgres_hook_logs_in_to_a_serverless_workgroup_with_iam(airflow_env: Stack, monkeypatch) -> None:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    connection = {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": airflow_env.front.port,
        "schema": "dev",
        "extra": {"iam": True, "redshift-serverless": True, "workgroup-name": airflow_env.workgroup},
    }
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE_IAM", json.dumps(connection))
    hook = PostgresHook(postgres_conn_id="warehouse_iam")
    assert hook.get_first("SELECT current_user") == ("IAM:moto",)


def test_transfer_operators_copy_and_unload_through_the_data_api(airflow_env: Stack) -> None:
    """S3ToRedshiftOperator (REPLACE: a BatchExecuteStatement with BEGIN/DELETE/COPY/COMMIT) and
    RedshiftToS3Operator (UNLOAD ($$...$$) with a credentials clause), as student_performance_copy_load
    runs them, on Parquet shaped like the curated zone's."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from airflow.providers.amazon.aws.transfers.redshift_to_s3 import RedshiftToS3Operator
    from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator

    stack = airflow_env
    bucket, table = f"transfers-{uuid.uuid4().hex[:8]}", f"copy_{uuid.uuid4().hex[:8]}"
    s3 = stack.client("s3")
    s3.create_bucket(Bucket=bucket)
    rows = pa.table(
        {
            "row_key": pa.array([f"k{i}" for i in range(500)]),
            "score": pa.array(range(500), pa.int32()),
            "school": pa.array(["Public" if i % 3 else "Private" for i in range(500)]),
            "loaded_at": pa.array([datetime_at(i) for i in range(500)], pa.timestamp("us")),
        }
    )
    for part in range(2):
        buffer = io.BytesIO()
        pq.write_table(rows.slice(part * 250, 250), buffer)
        s3.put_object(
            Bucket=bucket, Key=f"curated/ingest_date=2024-01-01/part-{part}.parquet", Body=buffer.getvalue()
        )
    data = stack.client("redshift-data")
    where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
    created = data.execute_statement(
        Sql=f"CREATE TABLE public.{table} "
        "(row_key VARCHAR(40), score INTEGER, school VARCHAR(32), loaded_at TIMESTAMP)",
        **where,
    )
    assert wait(data, created["Id"])["Status"] == "FINISHED"
    api = {
        "workgroup_name": stack.workgroup,
        "database": "dev",
        "secret_arn": stack.secret_arn,
        "poll_interval": 1,
    }
    for _ in range(2):  # REPLACE: the second run leaves the same rows, not twice as many
        S3ToRedshiftOperator(
            task_id="copy",
            schema="public",
            table=table,
            s3_bucket=bucket,
            s3_key="curated/ingest_date=2024-01-01/",
            copy_options=["FORMAT AS PARQUET"],
            method="REPLACE",
            aws_conn_id="aws_default",
            redshift_conn_id="aws_default",
            redshift_data_api_kwargs=api,
        ).execute(context={})
    RedshiftToS3Operator(
        task_id="unload",
        select_query=f"SELECT school, COUNT(*) AS n FROM public.{table} "
        "WHERE school = 'Public' GROUP BY school",
        s3_bucket=bucket,
        s3_key="exports/by_school_",
        table_as_file_name=False,
        unload_options=["FORMAT AS CSV", "ALLOWOVERWRITE", "PARALLEL OFF"],
        include_header=True,
        aws_conn_id="aws_default",
        redshift_conn_id="aws_default",
        redshift_data_api_kwargs=api,
    ).execute(context={})
    export = s3.get_object(Bucket=bucket, Key="exports/by_school_000")["Body"].read().decode()
    assert export.splitlines() == ["school,n", "Public,333"]
    counted = data.execute_statement(Sql=f"SELECT COUNT(*), MAX(loaded_at) FROM public.{table}", **where)
    wait(data, counted["Id"])
    result = data.get_statement_result(Id=counted["Id"])["Records"]
    assert result == [[{"longValue": 500}, {"stringValue": "2024-01-01 00:08:19"}]]


def datetime_at(seconds: int) -> Any:
    from datetime import datetime, timedelta

    return datetime(2024, 1, 1) + timedelta(seconds=seconds)
