"""Which service a request is for, read the way AWS's front door reads it.

Order: the JSON target header (`X-Amz-Target`, awsJson), the Smithy RPC v2 path, the SigV4 credential
scope (header or presigned query: rest-json, rest-xml, query), our own admin paths, and finally S3 for
anything unsigned (browsers, curl). The target prefixes of the services we serve come from botocore's
models (and the earlier models' prefixes in `protocol.models`), so an old SDK's awsJson Athena and a
new SDK's rest-json Athena both reach Athena.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import parse_qs

# The services the endpoint implements itself; everything else goes to moto.
SERVED = ("glue", "athena", "redshift-data", "redshift-serverless")
# Single operations of a moto-served service that we answer in front of moto (`logs/`).
TARGET_OPERATIONS = {"Logs_20140328.FilterLogEvents": "logs"}
ADMIN_PREFIX = "/_awstwin/"
RPC_V2_PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/")


@cache
def served_prefixes() -> dict[str, str]:
    """X-Amz-Target / RPC v2 service name -> the service we serve under it (botocore's models are
    loaded on the first request that needs them, not when the endpoint starts)."""
    from awstwin.endpoint.protocol.models import target_prefixes

    return {prefix: service for service in SERVED for prefix in target_prefixes(service)}


def _scope_service(credential: str) -> str | None:
    parts = credential.split("/")
    return parts[3] if len(parts) >= 5 else None


def service_of(environ: dict[str, Any]) -> str:
    """Return 'glue', 'athena', 'redshift-data', 'redshift-serverless', 's3', 'logs', 'admin', or the
    signing name of a service moto serves."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target in TARGET_OPERATIONS:
        return TARGET_OPERATIONS[target]
    if target:
        prefix = target.split(".", 1)[0]
        return served_prefixes().get(prefix, f"moto:{prefix}")
    path = environ.get("PATH_INFO", "")
    rpc = RPC_V2_PATH.match(path) if environ.get("HTTP_SMITHY_PROTOCOL") else None
    if rpc and rpc["service"] in served_prefixes():
        return served_prefixes()[rpc["service"]]
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
        service = _scope_service(credential)
        if service:
            return service
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "X-Amz-Credential" in query:
        service = _scope_service(query["X-Amz-Credential"][0])
        if service:
            return service
    if path.startswith(ADMIN_PREFIX):
        return "admin"
    if path.startswith("/moto-api"):
        return "moto"
    return "s3"
