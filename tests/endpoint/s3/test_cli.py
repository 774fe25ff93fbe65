"""The AWS CLI (and awscli-local) against the local S3, as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
AWS = BIN / "aws"
AWSLOCAL = BIN / "awslocal"

pytestmark = pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def aws(endpoint, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(AWS), "--endpoint-url", endpoint.url, *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_s3_commands(endpoint, tmp_path, tree):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.csv").write_text("x,y\n1,2\n")
    (source / "sub" / "b.json").write_text('{"k": 1}')
    (source / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))  # multipart through the CLI
    aws(endpoint, "s3", "mb", "s3://cli-bucket")
    aws(endpoint, "s3", "cp", str(source / "a.csv"), "s3://cli-bucket/one/a.csv")
    aws(endpoint, "s3", "sync", str(source), "s3://cli-bucket/synced/")
    assert (tree / "cli-bucket" / "synced" / "sub" / "b.json").read_text() == '{"k": 1}'
    assert (tree / "cli-bucket" / "synced" / "big.bin").read_bytes() == (source / "big.bin").read_bytes()
    listing = aws(endpoint, "s3", "ls", "s3://cli-bucket/synced/").stdout
    assert "PRE sub/" in listing and "a.csv" in listing and "big.bin" in listing
    recursive = aws(endpoint, "s3", "ls", "--recursive", "s3://cli-bucket").stdout
    assert sorted(line.split()[-1] for line in recursive.splitlines()) == [
        "one/a.csv",
        "synced/a.csv",
        "synced/big.bin",
        "synced/sub/b.json",
    ]
    # A second sync finds nothing to do: sizes and times line up.
    assert aws(endpoint, "s3", "sync", str(source), "s3://cli-bucket/synced/").stdout == ""
    back = tmp_path / "back"
    aws(endpoint, "s3", "sync", "s3://cli-bucket/synced/", str(back))
    assert (back / "big.bin").read_bytes() == (source / "big.bin").read_bytes()
    aws(endpoint, "s3", "cp", "s3://cli-bucket/one/a.csv", str(tmp_path / "a-copy.csv"))
    assert (tmp_path / "a-copy.csv").read_text() == "x,y\n1,2\n"
    failed = aws(endpoint, "s3", "rb", "s3://cli-bucket", check=False)
    assert failed.returncode != 0 and "BucketNotEmpty" in failed.stderr
    aws(endpoint, "s3", "rm", "--recursive", "s3://cli-bucket/")
    aws(endpoint, "s3", "rb", "s3://cli-bucket")
    assert not (tree / "cli-bucket").exists()


def test_s3api_commands(endpoint, tmp_path):
    aws(endpoint, "s3api", "create-bucket", "--bucket", "cli-api")
    body = tmp_path / "body.txt"
    body.write_text("hello cli")
    put = json.loads(
        aws(
            endpoint,
            "s3api",
            "put-object",
            "--bucket",
            "cli-api",
            "--key",
            "k/hello.txt",
            "--body",
            str(body),
            "--content-type",
            "text/plain",
            "--metadata",
            "owner=cli",
        ).stdout
    )
    head = json.loads(
        aws(endpoint, "s3api", "head-object", "--bucket", "cli-api", "--key", "k/hello.txt").stdout
    )
    assert head["ETag"] == put["ETag"] and head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"owner": "cli"}
    listed = json.loads(
        aws(endpoint, "s3api", "list-objects-v2", "--bucket", "cli-api", "--delimiter", "/").stdout
    )
    assert listed["CommonPrefixes"] == [{"Prefix": "k/"}]
    missing = aws(
        endpoint,
        "s3api",
        "get-object",
        "--bucket",
        "cli-api",
        "--key",
        "nope",
        str(tmp_path / "o"),
        check=False,
    )
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr


@pytest.mark.skipif(not AWSLOCAL.exists(), reason="awscli-local is not installed")
def test_awslocal_finds_the_endpoint_from_localstack_host(endpoint):
    # awslocal uses AWS_ENDPOINT_URL when set, else LOCALSTACK_HOST=host:port (default localhost:4566).
    env = cli_env() | {"LOCALSTACK_HOST": f"127.0.0.1:{endpoint.port}", "DISABLE_DEPRECATION_NOTICE": "1"}
    run = subprocess.run(
        [str(AWSLOCAL), "s3", "mb", "s3://via-awslocal"], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [str(AWSLOCAL), "s3api", "list-buckets"], capture_output=True, text=True, env=env, timeout=120
    )
    assert "via-awslocal" in [b["Name"] for b in json.loads(run.stdout)["Buckets"]]
