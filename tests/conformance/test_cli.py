"""The AWS CLI (`aws --endpoint-url ...`) and awscli-local (`awslocal`) drive crawlers, jobs and Athena.

Covered elsewhere: `aws s3`/`s3api` and `awslocal s3` (tests/endpoint/s3/test_cli.py), `aws glue`
catalog commands (tests/endpoint/glue/test_catalog_cli.py), `aws athena` (tests/endpoint/athena/test_cli.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.conformance.conftest import unique

BIN = Path(sys.executable).parent
AWS, AWSLOCAL = BIN / "aws", BIN / "awslocal"

pytestmark = pytest.mark.skipif(
    not (AWS.exists() and AWSLOCAL.exists()), reason="the AWS CLI and awscli-local are not installed"
)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="")
    return env | extra


def run(argv: list[str], env: dict[str, str]) -> Any:
    done = subprocess.run([*argv, "--output", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else {}


def until(read: Any, done: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while not done(value := read()):
        assert time.monotonic() < deadline, value
        time.sleep(0.3)
    return value


def test_aws_cli_crawls_and_runs_a_job(endpoint, s3, bucket, tmp_path):
    def aws(*args: str) -> Any:
        return run([str(AWS), "--endpoint-url", endpoint.url, *args], cli_env())

    for day in ("2024-01-01", "2024-01-02"):
        s3.put_object(Bucket=bucket, Key=f"cli/dt={day}/a.csv", Body=b"id,amount\n1,2.5\n2,4\n")
    crawler, database, job = unique("cli-crawler-"), unique("cli_db_"), unique("cli-job-")
    targets = json.dumps({"S3Targets": [{"Path": f"s3://{bucket}/cli/"}]})
    aws(
        "glue",
        "create-crawler",
        "--name",
        crawler,
        "--role",
        "r",
        "--database-name",
        database,
        "--targets",
        targets,
    )
    aws("glue", "start-crawler", "--name", crawler)
    state = until(
        lambda: aws("glue", "get-crawler", "--name", crawler)["Crawler"],
        lambda c: c["State"] == "READY" and "LastCrawl" in c,
    )
    assert state["LastCrawl"]["Status"] == "SUCCEEDED"
    metrics = aws("glue", "get-crawler-metrics", "--crawler-name-list", crawler)["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 1
    found = aws(
        "glue",
        "get-partitions",
        "--database-name",
        database,
        "--table-name",
        "cli",
        "--expression",
        "dt > '2024-01-01'",
    )
    assert [p["Values"] for p in found["Partitions"]] == [["2024-01-02"]]

    script = tmp_path / "cli_job.py"
    script.write_text("import sys\nprint('from the cli job', sys.argv[sys.argv.index('--who') + 1])\n")
    command = json.dumps({"Name": "pythonshell", "ScriptLocation": str(script)})
    aws("glue", "create-job", "--name", job, "--role", "r", "--command", command)
    run_id = aws("glue", "start-job-run", "--job-name", job, "--arguments", '{"--who": "aws-cli"}')[
        "JobRunId"
    ]
    finished = until(
        lambda: aws("glue", "get-job-run", "--job-name", job, "--run-id", run_id)["JobRun"],
        lambda r: r["JobRunState"] not in ("STARTING", "RUNNING", "WAITING", "STOPPING"),
    )
    assert finished["JobRunState"] == "SUCCEEDED", finished.get("ErrorMessage")
    events = aws(
        "logs", "filter-log-events", "--log-group-name", "/aws-glue/jobs/output", "--log-stream-names", run_id
    )["events"]
    assert [e["message"] for e in events] == ["from the cli job aws-cli"]


def test_awslocal_drives_glue_and_athena(endpoint, s3, bucket):
    env = cli_env(LOCALSTACK_HOST=f"127.0.0.1:{endpoint.port}", DISABLE_DEPRECATION_NOTICE="1")

    def awslocal(*args: str) -> Any:
        return run([str(AWSLOCAL), *args], env)

    database = unique("awslocal_db_")
    s3.put_object(Bucket=bucket, Key="awslocal/t/a.csv", Body=b"k,v\nx,1\ny,2\n")
    awslocal("glue", "create-database", "--database-input", json.dumps({"Name": database}))
    assert database in [d["Name"] for d in awslocal("glue", "get-databases")["DatabaseList"]]
    ddl = (
        f"CREATE EXTERNAL TABLE t (k string, v int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"LOCATION 's3://{bucket}/awslocal/t/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    results = f"OutputLocation=s3://{bucket}/awslocal/results/"
    for sql in (ddl, "SELECT k, v * 2 AS doubled FROM t ORDER BY k"):
        query_id = awslocal(
            "athena",
            "start-query-execution",
            "--query-string",
            sql,
            "--query-execution-context",
            f"Database={database}",
            "--result-configuration",
            results,
        )["QueryExecutionId"]
        execution = until(
            lambda q=query_id: awslocal("athena", "get-query-execution", "--query-execution-id", q)[
                "QueryExecution"
            ],
            lambda q: q["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"),
        )
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    tables = awslocal("glue", "get-tables", "--database-name", database)["TableList"]
    assert [t["Name"] for t in tables] == ["t"]
    rows = awslocal("athena", "get-query-results", "--query-execution-id", query_id)["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in rows] == [
        ["k", "doubled"],
        ["x", "2"],
        ["y", "4"],
    ]
    assert (
        execution["ResultConfiguration"]["OutputLocation"] == f"s3://{bucket}/awslocal/results/{query_id}.csv"
    )
