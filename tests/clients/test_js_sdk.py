"""The AWS SDK for JavaScript v3 (@aws-sdk/client-s3, client-glue, client-athena from npm, pinned in
tests/clients/js/package-lock.json) on the machine's Node, unchanged: S3 put/get/list, a Glue database,
table and crawler that crawls, an Athena query read back from its result file. Installed by the test
tier with `npm ci`; skipped, saying why, when there is no Node or no registry answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.clients.conftest import run_client

JS = Path(__file__).with_name("js")

# Tiers: the clients' environment comes from a package registry, and each client is a process of its own
pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("no node/npm on this machine for the JavaScript SDK")
    done = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"npm ci failed in tests/clients/js (no registry answer?): {done.stderr[-500:]}")
    return node


def test_js_sdk_s3_glue_and_athena(node: str, endpoint: Any) -> None:
    done = run_client([node, str(JS / "calls.mjs"), uuid.uuid4().hex[:8]], endpoint, cwd=JS)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["s3Body"] == "student,score\nada,90\nbob,70\ncy,85\n"
    assert report["s3Keys"] == ["raw/scores/part-0.csv"]
    assert report["tableColumns"] == ["student:string", "score:int"] and report["tableCreated"] is True
    assert report["crawlStatus"] == "SUCCEEDED"
    assert report["tables"] == ["crawled_scores", "manual"]
    assert report["queryState"] == "SUCCEEDED", report["queryReason"]
    assert report["rows"] == [["n", "best"], ["3", "90"]]
    assert report["columnTypes"] == ["bigint", "bigint"]
    assert report["resultFile"] == '"n","best"\n"3","90"\n'
