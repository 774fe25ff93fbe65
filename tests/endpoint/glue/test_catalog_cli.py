"""The AWS CLI against the local catalog, unchanged: `aws --endpoint-url ... glue ...`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

AWS_CLI = Path(sys.executable).with_name("aws")


def run(endpoint, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }
    command = [str(AWS_CLI), "--endpoint-url", endpoint.url, "--output", "json", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def cli(endpoint, *args: str) -> dict:
    done = run(endpoint, *args)
    if done.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return json.loads(done.stdout) if done.stdout.strip() else {}


@pytest.mark.skipif(not AWS_CLI.exists(), reason="the AWS CLI is not installed in this environment")
def test_cli_tables_and_partition_expression(endpoint):
    db = f"cli_{uuid.uuid4().hex[:8]}"
    cli(endpoint, "glue", "create-database", "--database-input", json.dumps({"Name": db}))
    table = {
        "Name": "events",
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://b/events/"},
    }
    cli(endpoint, "glue", "create-table", "--database-name", db, "--table-input", json.dumps(table))
    partitions = [
        {"Values": [d], "StorageDescriptor": {"Location": f"s3://b/events/dt={d}/"}} for d in ("a", "b")
    ]
    cli(
        endpoint, "glue", "batch-create-partition", "--database-name", db, "--table-name", "events",
        "--partition-input-list", json.dumps(partitions),
    )  # fmt: skip
    found = cli(
        endpoint, "glue", "get-partitions", "--database-name", db, "--table-name", "events",
        "--expression", "dt = 'b'",
    )  # fmt: skip
    assert [p["Values"] for p in found["Partitions"]] == [["b"]]
    tables = cli(endpoint, "glue", "get-tables", "--database-name", db)
    assert [t["Name"] for t in tables["TableList"]] == ["events"]
    missing = run(endpoint, "glue", "get-table", "--database-name", db, "--name", "nope")
    assert missing.returncode != 0
    assert "EntityNotFoundException" in missing.stderr and "nope" in missing.stderr
