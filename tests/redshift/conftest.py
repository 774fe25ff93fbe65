"""The Redshift front on the session's warehouse, its S3 and Glue being the local endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest

from awstwin.endpoint.server import EndpointServer
from awstwin.redshift import Backend, RedshiftFront
from awstwin.warehouse import Warehouse


@pytest.fixture(scope="session")
def front(warehouse: Warehouse, endpoint: EndpointServer) -> Iterator[RedshiftFront]:
    backend = Backend(warehouse.host, warehouse.port, warehouse.user, warehouse.password)
    server = RedshiftFront(backend, aws_endpoint_url=endpoint.url).start()
    yield server
    server.stop()


@pytest.fixture
def connect(front: RedshiftFront, warehouse: Warehouse) -> Iterator[Callable[..., Any]]:
    """`connect()` -> a psycopg2 connection through the front (closed after the test)."""
    opened = []

    def make(autocommit: bool = True) -> Any:
        connection = psycopg2.connect(
            host=front.host, port=front.port, user=warehouse.user, password=warehouse.password, dbname="dev"
        )
        connection.autocommit = autocommit
        opened.append(connection)
        return connection

    yield make
    for connection in opened:
        connection.close()


@pytest.fixture
def bucket(aws: Callable[..., Any]) -> str:
    name = f"redshift-{uuid.uuid4().hex[:10]}"
    aws("s3").create_bucket(Bucket=name)
    return name


def rows(connection: Any, sql: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
