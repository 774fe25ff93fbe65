"""The AWS CLI drives the local Athena as it drives AWS's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

AWS = Path(sys.executable).parent / "aws"

pytestmark = pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")


def aws(endpoint, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    result = subprocess.run(
        [str(AWS), "--endpoint-url", endpoint.url, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_cli_runs_a_query_and_reads_its_results(endpoint, lake):
    lake.put("cli/a.csv", "x,3\ny,4\n")
    lake.ok(
        f"CREATE EXTERNAL TABLE cli_t (k string, v int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"LOCATION 's3://{lake.bucket}/cli/'"
    )
    started = aws(
        endpoint,
        "athena",
        "start-query-execution",
        "--query-string",
        "SELECT k, v * 10 AS v10 FROM cli_t ORDER BY k",
        "--query-execution-context",
        f"Database={lake.database}",
        "--result-configuration",
        f"OutputLocation={lake.output}",
    )
    query_id = started["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while True:
        state = aws(endpoint, "athena", "get-query-execution", "--query-execution-id", query_id)
        if state["QueryExecution"]["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert state["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    results = aws(endpoint, "athena", "get-query-results", "--query-execution-id", query_id)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    assert rows == [["k", "v10"], ["x", "30"], ["y", "40"]]
    listed = aws(endpoint, "athena", "list-query-executions")
    assert query_id in listed["QueryExecutionIds"]
    groups = aws(endpoint, "athena", "list-work-groups")
    assert "primary" in [g["Name"] for g in groups["WorkGroups"]]
