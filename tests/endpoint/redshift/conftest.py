"""A local endpoint whose warehouse is a Redshift front over the session's Postgres, whose S3 and Glue
are that endpoint: the Data API, Redshift Serverless and the front as the local stacks wire them."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from awstwin.core.config import EndpointSettings
from awstwin.core.ports import free_port
from awstwin.endpoint.server import EndpointServer
from awstwin.redshift import Backend, RedshiftFront
from awstwin.warehouse import Warehouse


@dataclass
class Stack:
    endpoint: EndpointServer
    front: RedshiftFront
    warehouse: Warehouse
    workgroup: str
    namespace: str
    secret_arn: str

    def client(self, service: str, **kwargs: Any) -> Any:
        options = {"aws_access_key_id": "test", "aws_secret_access_key": "test", **kwargs}
        return boto3.client(service, endpoint_url=self.endpoint.url, region_name="us-east-1", **options)


@pytest.fixture(scope="session")
def stack(warehouse: Warehouse) -> Iterator[Stack]:
    """The endpoint, the front on a port chosen first (the endpoint names it as its warehouse), and
    the namespace, workgroup and admin secret infra/pipeline.yaml declares, made through the API."""
    state = Path(tempfile.mkdtemp(prefix="awstwin-redshift-data-"))
    port = free_port()
    settings = EndpointSettings(
        host="127.0.0.1", port=0, state_dir=state, warehouse_endpoint=f"127.0.0.1:{port}"
    )
    endpoint = EndpointServer(settings).start()
    backend = Backend(warehouse.host, warehouse.port, warehouse.user, warehouse.password)
    front = RedshiftFront(backend, "127.0.0.1", port, aws_endpoint_url=endpoint.url).start()
    found = Stack(endpoint, front, warehouse, "data-api-stack", "data-api-stack", "")
    serverless = found.client("redshift-serverless")
    serverless.create_namespace(
        namespaceName=found.namespace,
        dbName="dev",
        adminUsername=warehouse.user,
        adminUserPassword=warehouse.password,
    )
    serverless.create_workgroup(workgroupName=found.workgroup, namespaceName=found.namespace)
    secret = found.client("secretsmanager").create_secret(
        Name="data-api-stack/warehouse-admin",
        SecretString=json.dumps({"username": warehouse.user, "password": warehouse.password}),
    )
    found.secret_arn = secret["ARN"]
    yield found
    front.stop()
    endpoint.stop()
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def data(stack: Stack) -> Any:
    return stack.client("redshift-data")


@pytest.fixture
def run(stack: Stack, data: Any) -> Callable[..., dict[str, Any]]:
    """`run(sql, **more)` -> DescribeStatement of the statement once it ended (secret login)."""

    def execute(sql: str | list[str], **more: Any) -> dict[str, Any]:
        where = {"WorkgroupName": stack.workgroup, "Database": "dev", "SecretArn": stack.secret_arn}
        where.update(more)
        where = {k: v for k, v in where.items() if v is not None}
        if isinstance(sql, list):
            started = data.batch_execute_statement(Sqls=sql, **where)
        else:
            started = data.execute_statement(Sql=sql, **where)
        return wait(data, started["Id"])

    return execute


def wait(data: Any, statement_id: str) -> dict[str, Any]:
    """DescribeStatement until the statement ends (long-polling with WaitTimeSeconds)."""
    while True:
        described = data.describe_statement(Id=statement_id, WaitTimeSeconds=10)
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return described


@pytest.fixture
def table(run: Callable[..., dict[str, Any]]) -> str:
    name = f"public.data_api_{uuid.uuid4().hex[:8]}"
    described = run(f"CREATE TABLE {name} (id INTEGER NOT NULL, name VARCHAR(20), score DECIMAL(5,2))")
    assert described["Status"] == "FINISHED", described
    return name
