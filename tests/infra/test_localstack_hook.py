"""localstack/init/ready.d hook: creates the bucket on any S3 endpoint, and is idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "localstack" / "init" / "ready.d" / "10-create-bucket.sh"


def _run(endpoint_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_ENDPOINT_URL": endpoint_url,
        "BUCKET": "localstack-hook-test",
    }
    return subprocess.run(["sh", str(HOOK)], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # the hook runs the AWS CLI, one process per command
def test_hook_creates_the_bucket_once(endpoint: Any, aws: Callable[[str], Any]) -> None:
    first = _run(endpoint.url)
    assert first.returncode == 0, first.stderr
    assert "created bucket s3://localstack-hook-test" in first.stdout
    aws("s3").head_bucket(Bucket="localstack-hook-test")
    again = _run(endpoint.url)
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout
