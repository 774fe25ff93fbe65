"""Paths and catalog objects as AWS documents them: `//` in table locations, the `default` database,
and continuous logging's `/aws-glue/jobs/logs-v2` group."""

from __future__ import annotations

import time
import uuid

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import Endpoint


def _wait_query(athena, query_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        assert time.monotonic() < deadline, execution
        time.sleep(0.05)


def test_a_location_with_an_empty_path_part_reads_the_folder_without_it(aws):
    """https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html: Athena changes
    `s3://bucket/folder//folder/` to `s3://bucket/folder/folder/`. The Airflow provider's
    example_athena DAG writes `LOCATION "s3://<bucket>//<table>"` over objects under `<table>/`."""
    athena, s3 = aws("athena"), aws("s3")
    bucket, table = f"slashes-{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{table}/sample.csv", Body=b'"Alice",20\n"Bob",25\n')
    output = {"OutputLocation": f"s3://{bucket}/results/"}
    ddl = (
        f"CREATE EXTERNAL TABLE default.{table} (`name` string, `age` int) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe' "
        "WITH SERDEPROPERTIES ('serialization.format' = ',', 'field.delim' = ',') "
        f"LOCATION 's3://{bucket}//{table}'"
    )
    created = athena.start_query_execution(QueryString=ddl, ResultConfiguration=output)
    assert _wait_query(athena, created["QueryExecutionId"])["Status"]["State"] == "SUCCEEDED"
    query = athena.start_query_execution(
        QueryString=f"SELECT age FROM default.{table} ORDER BY age", ResultConfiguration=output
    )
    assert _wait_query(athena, query["QueryExecutionId"])["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=query["QueryExecutionId"])["ResultSet"]["Rows"]
    assert [r["Data"][0]["VarCharValue"] for r in rows] == ["age", "20", "25"]


def test_a_new_catalog_has_the_default_database(tmp_path):
    endpoint = Endpoint(EndpointSettings(port=0, state_dir=tmp_path))
    try:
        database = endpoint.glue.catalog.get_database(Name="default")["Database"]
        assert database["Name"] == "default" and database["Description"] == "Default Hive database"
        endpoint.glue.catalog.delete_database(Name="default")
    finally:
        endpoint.close()
    again = Endpoint(EndpointSettings(port=0, state_dir=tmp_path))  # deleted stays deleted
    try:
        names = [d["Name"] for d in again.glue.catalog.get_databases()["DatabaseList"]]
        assert "default" not in names
    finally:
        again.close()


def test_job_runs_log_to_the_continuous_logging_group(aws, tmp_path):
    """The provider's example_glue teardown prunes `/aws-glue/jobs/logs-v2` streams by run id; runs
    write there with `--enable-continuous-cloudwatch-log true` (Glue 4.0 and earlier:
    https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html)."""
    script = tmp_path / "hello.py"
    script.write_text("print('hello from the driver')\n")
    glue, logs, name = aws("glue"), aws("logs"), f"logs-v2-{uuid.uuid4().hex[:8]}"
    glue.create_job(
        Name=name,
        Role="r",
        GlueVersion="3.0",
        Command={"Name": "pythonshell", "ScriptLocation": str(script)},
        DefaultArguments={"--enable-continuous-cloudwatch-log": "true"},
    )
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    deadline = time.monotonic() + 60
    while (run := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] not in (
        "SUCCEEDED",
        "FAILED",
    ):
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    streams = logs.describe_log_streams(logGroupName="/aws-glue/jobs/logs-v2", logStreamNamePrefix=run_id)
    assert [s["logStreamName"] for s in streams["logStreams"]] == [run_id]
    events = logs.get_log_events(logGroupName="/aws-glue/jobs/logs-v2", logStreamName=run_id)["events"]
    assert "hello from the driver" in [e["message"] for e in events]
