"""What the Redshift Data API costs over the front: a statement's round trip (ExecuteStatement until
DescribeStatement says FINISHED) and reading a large result through GetStatementResult's pages.
The endpoint runs in-process, the front in its own process (as the stacks run them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from awstwin.core.ports import free_port

STATEMENTS = 50
RESULT_ROWS = 100_000


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _finished(data: Any, statement_id: str) -> None:
    while data.describe_statement(Id=statement_id, WaitTimeSeconds=30)["Status"] != "FINISHED":
        pass


def measure() -> dict[str, float]:
    from awstwin.core.config import EndpointSettings
    from awstwin.endpoint.server import EndpointServer
    from awstwin.warehouse import Warehouse

    folder = Path(tempfile.mkdtemp(prefix="awstwin-bench-data-"))
    folder.chmod(0o755)
    warehouse = Warehouse(folder / "wh", port=0, settings={"fsync": "off"}).start()
    port = free_port()
    settings = EndpointSettings(
        host="127.0.0.1", port=0, state_dir=folder / "state", warehouse_endpoint=f"127.0.0.1:{port}"
    )
    endpoint = EndpointServer(settings).start()
    env = {**os.environ, "AWSTWIN_WAREHOUSE_PASSWORD": warehouse.password, "AWS_ENDPOINT_URL": endpoint.url}
    argv = [
        sys.executable,
        "-m",
        "awstwin.redshift",
        "--port",
        str(port),
        "--backend-port",
        str(warehouse.port),
    ]
    front = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found: dict[str, float] = {}
    try:
        serverless = _client(endpoint.url, "redshift-serverless")
        serverless.create_namespace(
            namespaceName="bench", adminUsername=warehouse.user, adminUserPassword=warehouse.password
        )
        serverless.create_workgroup(workgroupName="bench", namespaceName="bench")
        secret = _client(endpoint.url, "secretsmanager").create_secret(
            Name="bench",
            SecretString=json.dumps({"username": warehouse.user, "password": warehouse.password}),
        )["ARN"]
        data = _client(endpoint.url, "redshift-data")
        where = {"WorkgroupName": "bench", "Database": "dev", "SecretArn": secret}
        deadline = time.monotonic() + 60
        while True:  # the front is up when a statement finishes
            started = data.execute_statement(Sql="SELECT 1", **where)
            if data.describe_statement(Id=started["Id"], WaitTimeSeconds=30)["Status"] == "FINISHED":
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the Redshift front did not answer the Data API")
            time.sleep(0.2)
        start = time.perf_counter()
        for _ in range(STATEMENTS):
            _finished(data, data.execute_statement(Sql="SELECT 1", **where)["Id"])
        found["redshift_data.statement_roundtrip_ms"] = (time.perf_counter() - start) / STATEMENTS * 1000
        sql = f"SELECT n, 'row ' || n AS label, n / 3.0 AS third FROM generate_series(1, {RESULT_ROWS}) AS n"
        started = data.execute_statement(Sql=sql, **where)
        _finished(data, started["Id"])
        start = time.perf_counter()
        rows = sum(
            len(page["Records"])
            for page in data.get_paginator("get_statement_result").paginate(Id=started["Id"])
        )
        assert rows == RESULT_ROWS, rows
        found["redshift_data.result_rows_per_second"] = RESULT_ROWS / (time.perf_counter() - start)
    finally:
        front.terminate()
        front.wait(timeout=30)
        endpoint.stop()
        warehouse.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return found


if __name__ == "__main__":
    for metric, number in measure().items():
        print(f"{metric:55s} {number:12.2f}")
