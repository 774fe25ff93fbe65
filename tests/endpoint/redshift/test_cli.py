"""The AWS CLI (its own botocore) drives Redshift Serverless and the Data API on the local endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.endpoint.redshift.conftest import Stack

AWS = Path(sys.executable).parent / "aws"
pytestmark = pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed")


def aws(stack: Stack, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="")
    argv = [str(AWS), "--endpoint-url", stack.endpoint.url, *args, "--output", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_aws_cli_runs_a_statement_and_reads_its_result(stack: Stack) -> None:
    workgroup = aws(stack, "redshift-serverless", "get-workgroup", "--workgroup-name", stack.workgroup)
    assert workgroup["workgroup"]["endpoint"]["port"] == stack.front.port
    started = aws(
        stack,
        "redshift-data",
        "execute-statement",
        "--workgroup-name",
        stack.workgroup,
        "--database",
        "dev",
        "--secret-arn",
        stack.secret_arn,
        "--sql",
        "SELECT :greeting AS greeting",
        "--parameters",
        '[{"name": "greeting", "value": "hello"}]',
    )
    deadline = time.monotonic() + 60
    while aws(stack, "redshift-data", "describe-statement", "--id", started["Id"])["Status"] != "FINISHED":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    result = aws(stack, "redshift-data", "get-statement-result", "--id", started["Id"])
    assert result["Records"] == [[{"stringValue": "hello"}]]
    credentials = aws(stack, "redshift-serverless", "get-credentials", "--workgroup-name", stack.workgroup)
    assert credentials["dbUser"] == "IAM:moto" and credentials["dbPassword"]
