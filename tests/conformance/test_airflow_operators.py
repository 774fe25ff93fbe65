"""The stock Airflow Amazon-provider operators and sensors, in a real Airflow DAG run, against the endpoint.

One DAG (Airflow's own `dag.test()`, in a child process with its own SQLite metadata database) runs:
GlueCrawlerRunOperator with wait -> the same crawler again without wait + GlueCrawlerSensor ->
GlueCatalogPartitionSensor -> GlueJobOperator (wait_for_completion=True, verbose=True) ->
GlueJobSensor -> AthenaOperator -> AthenaSensor. Every task must succeed, the job's log lines must each
reach Airflow's log exactly once (the resumable FilterLogEvents token), and the results are checked
through boto3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.conformance.conftest import unique

JOB_SCRIPT = """
import sys, time
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "day"])
for i in range(8):
    print(f"job line {i:02d} for {args['day']}", flush=True)
    time.sleep(0.5)
"""

DAG = """
from datetime import datetime

from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
from airflow.providers.amazon.aws.sensors.athena import AthenaSensor
from airflow.providers.amazon.aws.sensors.glue import GlueJobSensor
from airflow.providers.amazon.aws.sensors.glue_catalog_partition import GlueCatalogPartitionSensor
from airflow.providers.amazon.aws.sensors.glue_crawler import GlueCrawlerSensor
from airflow.sdk import DAG

P = {params}

with DAG("conformance_operators", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
    crawl = GlueCrawlerRunOperator(
        task_id="crawl_with_wait", crawler_name=P["crawler"], poll_interval=1, wait_for_completion=True
    )
    recrawl = GlueCrawlerRunOperator(
        task_id="recrawl_no_wait", crawler_name=P["crawler"], wait_for_completion=False
    )
    crawled = GlueCrawlerSensor(task_id="crawler_sensor", crawler_name=P["crawler"], poke_interval=1)
    partition = GlueCatalogPartitionSensor(
        task_id="partition_sensor",
        database_name=P["database"],
        table_name="events",
        expression="dt='2024-01-02'",
        poke_interval=1,
    )
    job = GlueJobOperator(
        task_id="glue_job",
        job_name=P["job"],
        script_location=P["script"],
        iam_role_arn="arn:aws:iam::123456789012:role/glue",
        create_job_kwargs={{"Command": {{"Name": "pythonshell", "ScriptLocation": P["script"]}}}},
        script_args={{"--day": "2024-01-02"}},
        wait_for_completion=True,
        verbose=True,
        job_poll_interval=1,
    )
    job_sensor = GlueJobSensor(
        task_id="glue_job_sensor",
        job_name=P["job"],
        run_id="{{{{ ti.xcom_pull(task_ids='glue_job') }}}}",
        poke_interval=1,
    )
    query = AthenaOperator(
        task_id="athena_query",
        query="SELECT dt, count(*) AS n, sum(amount) AS total FROM events GROUP BY dt ORDER BY dt",
        database=P["database"],
        output_location=P["output"],
        sleep_time=1,
    )
    query_sensor = AthenaSensor(
        task_id="athena_sensor",
        query_execution_id="{{{{ ti.xcom_pull(task_ids='athena_query') }}}}",
        poke_interval=1,
    )
    crawl >> recrawl >> crawled >> partition >> job >> job_sensor >> query >> query_sensor
"""

RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session
from sqlalchemy import select

bag = DagBag(dag_folder=sys.argv[1])
if bag.import_errors:
    print("RESULT " + json.dumps({"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}}))
    sys.exit(1)
dag = bag.dags["conformance_operators"]
run = dag.test()
with create_session() as session:
    rows = session.scalars(
        select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == run.run_id)
    )
    tasks = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in rows}
state = str(getattr(run.state, "value", run.state))
print("RESULT " + json.dumps({"state": state, "tasks": tasks}), flush=True)
"""

BIN = Path(sys.executable).parent


def airflow_env(home: Path, endpoint_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_ENDPOINT_URL"))}
    connection = {
        "conn_type": "aws",
        "login": "test",
        "password": "test",
        "extra": {"region_name": "us-east-1", "endpoint_url": endpoint_url},
    }
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps(connection),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory, endpoint: Any) -> tuple[Path, dict[str, str]]:
    """A fresh AIRFLOW_HOME with a migrated SQLite metadata database."""
    home = tmp_path_factory.mktemp("airflow-home")
    (home / "dags").mkdir()
    env = airflow_env(home, endpoint.url)
    done = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home, env


def test_stock_operators_and_sensors_in_a_dag_run(airflow_home, aws, s3, bucket, glue, athena):
    home, env = airflow_home
    database, crawler, job = unique("af_db_"), unique("af-crawler-"), unique("af-job-")
    for day, rows in (("2024-01-01", "1,2.5\n2,3.5\n"), ("2024-01-02", "3,10\n4,20\n5,30\n")):
        s3.put_object(Bucket=bucket, Key=f"lake/events/dt={day}/part.csv", Body=f"id,amount\n{rows}".encode())
    s3.put_object(Bucket=bucket, Key="scripts/job.py", Body=textwrap.dedent(JOB_SCRIPT).encode())
    glue.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/lake/events/"}]},
        # The days' `amount` crawl as double and bigint: with each partition's own schema Athena fails
        # with HIVE_PARTITION_SCHEMA_MISMATCH (bigint cannot be read as double), so the crawler makes
        # partitions inherit the table's schema, AWS's own fix for that error
        # (https://repost.aws/knowledge-center/athena-hive-partition-schema-mismatch,
        # https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html)
        Configuration=json.dumps(
            {"Version": 1.0, "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}}}
        ),
    )
    params = {
        "crawler": crawler,
        "database": database,
        "job": job,
        "script": f"s3://{bucket}/scripts/job.py",
        "output": f"s3://{bucket}/athena-results/",
    }
    (home / "dags" / "conformance_operators.py").write_text(DAG.format(params=repr(params)))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(home / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    log = home / "dag-run.log"
    log.write_text(output)
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert results, f"the DAG run printed no result; its output is in {log}"
    result = json.loads(results[-1][len("RESULT ") :])
    assert result.get("state") == "success", f"{result}; the run's output is in {log}"
    assert set(result["tasks"].values()) == {"success"} and len(result["tasks"]) == 8, result

    # GlueJobOperator(verbose=True) polled while the job printed: each line reached the task log once.
    for i in range(8):
        line = f"job line {i:02d} for 2024-01-02"
        assert output.count(line) == 1, (line, output.count(line))

    # What the operators did, seen through boto3.
    crawled = glue.get_crawler(Name=crawler)["Crawler"]
    assert crawled["LastCrawl"]["Status"] == "SUCCEEDED"
    assert len(glue.list_crawls(CrawlerName=crawler)["Crawls"]) == 2
    partitions = glue.get_partitions(DatabaseName=database, TableName="events")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-01-01", "2024-01-02"]
    amount = [
        [c["Type"] for c in p["StorageDescriptor"]["Columns"] if c["Name"] == "amount"] for p in partitions
    ]
    assert amount == [["double"], ["double"]]  # both inherit the table's type (InheritFromTable)
    runs = glue.get_job_runs(JobName=job)["JobRuns"]
    assert [r["JobRunState"] for r in runs] == ["SUCCEEDED"]
    assert runs[0]["Arguments"]["--day"] == "2024-01-02"
    latest = athena.list_query_executions()["QueryExecutionIds"][0]
    execution = athena.get_query_execution(QueryExecutionId=latest)["QueryExecution"]
    assert execution["Query"].startswith("SELECT dt, count(*)")
    rows = athena.get_query_results(QueryExecutionId=latest)["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in rows] == [
        ["dt", "n", "total"],
        ["2024-01-01", "2", "6.0"],
        ["2024-01-02", "3", "60.0"],
    ]
