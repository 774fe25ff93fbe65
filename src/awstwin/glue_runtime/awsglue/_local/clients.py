"""boto3 clients for the services a job script's runtime calls (Glue catalog, Secrets Manager).

The job runner points every AWS SDK in the job at the local endpoint through the standard
`AWS_ENDPOINT_URL*` variables, so these are plain boto3 clients with no local special cases.
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def use(service: str, client_: Any | None) -> None:
    """Use `client_` for `service` (tests point the runtime at an endpoint; None forgets it)."""
    with _lock:
        if client_ is None:
            _clients.pop(service, None)
        else:
            _clients[service] = client_


def client(service: str) -> Any:
    with _lock:
        if service not in _clients:
            import boto3

            _clients[service] = boto3.client(service)
        return _clients[service]


def get_table(database: str, table_name: str, catalog_id: str | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"DatabaseName": database, "Name": table_name}
    if catalog_id:
        kwargs["CatalogId"] = catalog_id
    return client("glue").get_table(**kwargs)["Table"]


def get_partitions(
    database: str, table_name: str, expression: str | None = None, catalog_id: str | None = None
) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"DatabaseName": database, "TableName": table_name}
    if expression:
        kwargs["Expression"] = expression
    if catalog_id:
        kwargs["CatalogId"] = catalog_id
    partitions: list[dict[str, Any]] = []
    for page in client("glue").get_paginator("get_partitions").paginate(**kwargs):
        partitions.extend(page.get("Partitions", []))
    return partitions


def get_connection(name: str, catalog_id: str | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Name": name, "HidePassword": False}
    if catalog_id:
        kwargs["CatalogId"] = catalog_id
    return client("glue").get_connection(**kwargs)["Connection"]


def get_secret(secret_id: str) -> str:
    return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
